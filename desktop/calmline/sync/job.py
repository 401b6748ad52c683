"""One sync, start to end: open the local database (on the calling thread: a
connection is not shared across threads), make the target, send, close both.
The window's worker thread and `calmline sync` run this same job."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path

from calmline.core.redact import redact_target
from calmline.store.repository import Store
from calmline.store.sync_queue import pending_count
from calmline.sync.base import TargetError
from calmline.sync.runner import SyncSummary, run_sync
from calmline.sync.targets import target_for

log = logging.getLogger(__name__)
OpenStore = Callable[[], Store]
Progress = Callable[[int, int], None]


def sync_job(
    open_store: OpenStore,
    url: str,
    default_folder: Path,
    retention_days: int,
    progress: Progress,
    retry_set_aside: bool = False,
    contain: bool = False,
    share_voice: bool = False,
) -> SyncSummary:
    """Send what is pending to ``url``; a target that cannot be made is a summary
    with its error (every record stays pending), never an exception. ``contain``
    (a worker thread, which must always report back): any other failure too."""
    store = open_store()
    try:
        try:
            target = target_for(url, default_folder)
        except TargetError as exc:
            return SyncSummary(url, pending_count(store), 0, str(exc))
        try:
            return run_sync(store, target, progress, retention_days, retry_set_aside, share_voice)
        finally:
            target.close()
    except Exception as exc:
        if not contain:
            raise
        log.error("sync failed: %s", redact_target("".join(traceback.format_exception(exc))))
        return SyncSummary(url, pending_count(store), 0, str(exc))
    finally:
        store.close()
