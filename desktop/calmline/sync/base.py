"""The interface every sync target implements, and its errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from calmline.core.redact import redact_target
from calmline.core.sync_docs import Confirmed, SyncDoc
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


class Target(Protocol):
    @property
    def name(self) -> str:
        """The target as a person would recognise it (path or URL), through
        redact_target: never a secret."""
        ...

    def send(self, docs: Sequence[SyncDoc]) -> BatchResult: ...

    def close(self) -> None: ...
