"""The interface every sync target implements, and its errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from calmline.core.redact import redact_target
from calmline.core.sync_docs import Confirmed, SyncDoc
from calmline.core.team import TeamChanges
from calmline.core.team_report import TeamReport
from calmline.store.sync_queue import SetAside

BATCH = 100  # records per batch (the HTTPS target's limit too)
REASON_CHARS = 300  # a target's reason for refusing a record, as kept and shown


class TargetError(Exception):
    """The target cannot be used at all (bad URL, unreachable, refused); the
    message names the target and the cause, secrets redacted."""

    def __init__(self, message: str) -> None:
        super().__init__(redact_target(message))


@dataclass
class BatchResult:
    """What became of a batch. Without a failure, every record of the batch is
    either confirmed or set aside; with one, the rest stay pending."""

    confirmed: list[Confirmed] = field(default_factory=list)
    # Refused for good, each for a reason about that record (row-level security,
    # a validation answer): never blocks the records behind it.
    set_aside: list[SetAside] = field(default_factory=list)
    # Set when the target stopped partway: why, in one line. The batch's
    # unconfirmed records stay pending.
    failure: str = ""


def refused(doc: SyncDoc, reason: str) -> SetAside:
    """``doc`` set aside for ``reason`` (one line, bounded, secrets redacted)."""
    line = " ".join(redact_target(reason).split())
    if len(line) > REASON_CHARS:
        line = line[: REASON_CHARS - 1] + "…"
    return SetAside(doc.record_type, doc.record_id, doc.version, line or "(no reason given)")


class TeamReader(Protocol):
    """The read side of a team store (core/team.py holds what it returns).
    Every target implements it; the window's refresh, `calmline team refresh`,
    the live lookup at call start and `calmline report --team` use it."""

    def changes(
        self, cursor: str, since: datetime, index: FolderIndex | None = None
    ) -> TeamChanges:
        """What changed in the store after ``cursor`` ("" = from the start), for
        calls started on or after ``since`` (the retention bound): new or newer
        incidents (caller-facing fields only), promises, kept records, markers
        and decisions. A target answers in pages: ``more`` says ask again with
        the new ``cursor``. Raises TargetError when the store cannot be read.
        ``index`` is the folder's local index (FolderTarget only; the others
        ignore it)."""
        ...

    def lookup(self, number: str, ref: str, budget_s: float) -> TeamChanges:
        """Live, for a ringing caller: everything the store holds of the caller
        with this number or customer reference (either may be ""), matched by
        core.team.number_key / ref_key. Gives up after ``budget_s`` seconds
        with TargetError: the window never waits longer."""
        ...

    def report(self, start: date, end: date, today: date) -> TeamReport:
        """The team report for calls started from ``start`` to ``end``
        (inclusive), read with the lead's role; TargetError when the login is
        not a lead or the store cannot be read."""
        ...


class Target(TeamReader, Protocol):
    """A team store: the write side (send) and the read side (TeamReader)."""

    @property
    def name(self) -> str:
        """The target as a person would recognise it (path or URL), through
        redact_target: never a secret."""
        ...

    def send(self, docs: Sequence[SyncDoc]) -> BatchResult: ...

    def close(self) -> None: ...


class FolderIndex(Protocol):
    """The folder reader's memory, kept in the local team cache: what it read
    at the last refresh, so the next reads only what changed."""

    def folders(self) -> dict[str, int]:
        """rel_dir -> mtime_ns of every folder read before."""
        ...

    def files(self, rel_dir: str) -> dict[str, tuple[int, int]]:
        """name -> (mtime_ns, size) of the documents read in ``rel_dir``."""
        ...
