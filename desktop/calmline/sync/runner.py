"""One sync run: send every queued record in batches, mark what the target
confirmed, stop at the first failure (what is left stays queued, safe in the
local database, and is sent by the next run). Runs off the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from calmline.store.codec import iso
from calmline.store.repository import Store
from calmline.store.sync_queue import mark_synced, pending_docs, purge_synced
from calmline.sync.base import BATCH, Target, TargetError

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (records done, records in this run)


@dataclass(frozen=True)
class SyncSummary:
    target: str
    total: int  # records queued when the run began
    sent: int  # confirmed by the target
    failure: str = ""  # why the run stopped early, "" when it did not

    @property
    def pending(self) -> int:
        return self.total - self.sent

    def text(self) -> str:
        if self.total == 0:
            return f"Nothing to send to {self.target}: everything is synced."
        done = f"Sent {self.sent} of {self.total} records to {self.target}."
        if not self.pending:
            return done
        return (
            f"{done} {self.pending} not sent: {self.failure}. They are safe in the local "
            "database and will be sent by the next sync."
        )


def run_sync(
    store: Store, target: Target, progress: Progress | None = None, retention_days: int = 90
) -> SyncSummary:
    """Send what is queued; then purge shifts older than ``retention_days`` whose
    records are all confirmed (never an unsynced one)."""
    docs = pending_docs(store)
    total, sent = len(docs), 0
    if progress:
        progress(0, total)
    for start in range(0, total, BATCH):
        batch = docs[start : start + BATCH]
        try:
            result = target.send(batch)
        except TargetError as exc:
            return _stopped(target, total, sent, str(exc))
        mark_synced(store, result.confirmed)
        sent += len(result.confirmed)
        if progress:
            progress(sent, total)
        if result.failure:
            return _stopped(target, total, sent, result.failure)
    log.info("sync to %s: %d of %d sent", target.name, sent, total)
    cutoff = datetime.now(UTC) - timedelta(days=retention_days)
    purged = purge_synced(store, iso(cutoff))
    if purged:
        log.info("purged %d synced shift(s) older than %d days", purged, retention_days)
    return SyncSummary(target.name, total, sent)


def _stopped(target: Target, total: int, sent: int, why: str) -> SyncSummary:
    log.warning("sync to %s stopped after %d of %d: %s", target.name, sent, total, why)
    return SyncSummary(target.name, total, sent, why)
