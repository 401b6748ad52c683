"""One sync run: send every queued record in batches, mark what the target
confirmed, set aside what it refused for good (with its reason; the records
behind it still go), and stop at the first failure that is not about one
record (what is left stays queued, safe in the local database, and is sent by
the next run). Runs off the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from calmline.core.redact import redact_target
from calmline.core.serialize import iso
from calmline.core.sync_docs import Confirmed, SyncDoc
from calmline.store.repository import Store
from calmline.store.sync_queue import (
    SetAside,
    mark_set_aside,
    mark_synced,
    pending_docs,
    purge_synced,
    retry_set_aside,
    set_aside_records,
)
from calmline.sync.base import BATCH, BatchResult, Target, TargetError

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (records done, records in this run)
LISTED = 5  # set-aside records named in a summary; the rest are counted


def record_label(r: SetAside) -> str:
    return f"{r.record_type.replace('_', ' ')} {r.record_id[:8]} (version {r.version})"


@dataclass(frozen=True)
class SyncSummary:
    target: str  # redacted on the way in: a summary is shown and logged
    total: int  # records queued for this target when the run began
    sent: int  # confirmed by the target
    failure: str = ""  # why the run stopped early, "" when it did not
    set_aside: tuple[SetAside, ...] = ()  # refused for good in this run
    earlier: int = 0  # set aside by earlier runs and not sent this time

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", redact_target(self.target))
        object.__setattr__(self, "failure", redact_target(self.failure))

    @property
    def pending(self) -> int:
        """Left queued by a run that stopped early."""
        return self.total - self.sent - len(self.set_aside)

    @property
    def unsynced(self) -> int:
        """Not at the team store after this run: pending or set aside."""
        return self.pending + len(self.set_aside) + self.earlier

    def text(self) -> str:
        if self.total == 0:
            if self.earlier:
                return (
                    f"Nothing new to send to {self.target}; {self.earlier} record(s) it "
                    "refused earlier are set aside (see `calmline doctor`) — once the cause "
                    "is fixed, `calmline sync --retry-set-aside` sends them again."
                )
            return f"Nothing to send to {self.target}: everything is synced."
        parts = [f"Sent {self.sent} of {self.total} records to {self.target}."]
        if self.set_aside:
            named = "; ".join(f"{record_label(r)}: {r.reason}" for r in self.set_aside[:LISTED])
            more = len(self.set_aside) - LISTED
            parts.append(
                f"{len(self.set_aside)} set aside, refused by the target for good: {named}"
                + (f"; and {more} more (see `calmline doctor`)" if more > 0 else "")
                + ". They are kept in the local database and no longer hold up the others; "
                "once the cause is fixed, `calmline sync --retry-set-aside` sends them again "
                "(a record changed again is sent by itself)."
            )
        if self.pending:
            parts.append(
                f"{self.pending} not sent: {self.failure}. They are safe in the local "
                "database and will be sent by the next sync."
            )
        return redact_target(" ".join(parts))


def run_sync(
    store: Store,
    target: Target,
    progress: Progress | None = None,
    retention_days: int = 90,
    retry: bool = False,
    share_voice: bool = False,
) -> SyncSummary:
    """Send what is queued (``retry``: the set-aside records too); then purge
    shifts older than ``retention_days`` whose records are all confirmed (never
    an unsynced or set-aside one). Incidents go without the agent's voice
    figures unless ``share_voice`` (sync.share_voice_figures, IT's policy)."""
    if retry:
        retry_set_aside(store)
    earlier = sum(1 for r in set_aside_records(store) if r.target == target.name)
    docs = pending_docs(store, target.name, share_voice)
    total, sent, aside = len(docs), 0, list[SetAside]()
    if progress:
        progress(0, total)
    for start in range(0, total, BATCH):
        batch = docs[start : start + BATCH]
        try:
            result = _checked(target.send(batch), batch)
        except TargetError as exc:
            return _stopped(target, total, sent, str(exc), aside, earlier)
        mark_synced(store, result.confirmed)
        mark_set_aside(store, target.name, result.set_aside)
        for r in result.set_aside:
            log.warning("sync to %s: set aside %s: %s", target.name, record_label(r), r.reason)
        sent += len(result.confirmed)
        aside += result.set_aside
        if progress:
            progress(sent + len(aside), total)
        if result.failure:
            return _stopped(target, total, sent, result.failure, aside, earlier)
    log.info("sync to %s: %d of %d sent, %d set aside", target.name, sent, total, len(aside))
    cutoff = datetime.now(UTC) - timedelta(days=retention_days)
    purged = purge_synced(store, iso(cutoff))
    if purged:
        log.info("purged %d synced shift(s) older than %d days", purged, retention_days)
    return SyncSummary(target.name, total, sent, "", tuple(aside), earlier)


def _checked(result: BatchResult, batch: Sequence[SyncDoc]) -> BatchResult:
    """Only records of this batch, at the version sent, count; a batch the
    target neither confirmed nor set aside whole without saying why stops the run."""
    sent = {d.key: d for d in batch}
    confirmed = {
        (c.record_type, c.record_id): Confirmed(c.record_type, c.record_id, sent[k].version)
        for c in result.confirmed
        if (k := (c.record_type, c.record_id)) in sent and c.version >= sent[k].version
    }
    aside = {
        (r.record_type, r.record_id): r
        for r in result.set_aside
        if (r.record_type, r.record_id) in sent and (r.record_type, r.record_id) not in confirmed
    }
    failure = result.failure
    missing = len(sent) - len(confirmed) - len(aside)
    if missing and not failure:
        failure = f"the target did not confirm {missing} of the {len(sent)} records it was sent"
    return BatchResult(list(confirmed.values()), list(aside.values()), failure)


def _stopped(
    target: Target, total: int, sent: int, why: str, aside: list[SetAside], earlier: int
) -> SyncSummary:
    log.warning(
        "sync to %s stopped after %d of %d: %s", target.name, sent, total, redact_target(why)
    )
    return SyncSummary(target.name, total, sent, why, tuple(aside), earlier)
