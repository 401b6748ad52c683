"""Reading the team's memory into the local cache: a whole refresh (at shift
start, after every sync, every few minutes in a shift, `calmline team
refresh`) and the live lookup of a ringing caller. Both make their own target;
the refresh opens its own database connection, so either runs on a worker
thread as sync/job.py does. A store that cannot be read is a summary with its
reason, never an exception: the cache keeps what it had."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmline.core.redact import redact_target
from calmline.core.team import TeamChanges
from calmline.store.repository import Store
from calmline.store.team_cache import TeamCache
from calmline.sync.base import TargetError, TeamReader
from calmline.sync.job import OpenStore
from calmline.sync.targets import target_for

log = logging.getLogger(__name__)
MAX_PAGES = 10_000  # a runaway server's "more": stop there


@dataclass(frozen=True)
class RefreshSummary:
    store: str  # the team store's name (no secret)
    fetched: int  # values new or newer than the cache held (one read again does not count)
    skipped: int  # documents or items that were not Calmline's (one log line each)
    error: str = ""  # why the refresh stopped; the cache keeps what it had
    as_of: datetime | None = None  # when the cache was last whole
    purged: int = 0  # team calls older than the retention setting, dropped

    def text(self) -> str:
        """One line for a person: what was fetched, or why not."""
        if self.error:
            return f"team history from {self.store} not refreshed: {self.error}"
        skipped = f"; {self.skipped} skipped (see the log)" if self.skipped else ""
        return f"team history from {self.store}: {self.fetched} new or changed{skipped}"


def refresh(
    store: Store, reader: TeamReader, name: str, retention_days: int, now: datetime
) -> RefreshSummary:
    """Every page of changes since the cache's cursor, each applied in one
    transaction; then the cache is whole as of ``now`` and bounded by retention."""
    cache = TeamCache(store)
    if cache.begin(name):
        log.info("team cache emptied: it held another team store's history")
    since = now - timedelta(days=retention_days)
    fetched = skipped = 0
    cursor = cache.cursor
    for _ in range(MAX_PAGES):
        try:
            changes = reader.changes(cursor, since, cache)
        except TargetError as exc:
            return RefreshSummary(name, fetched, skipped, str(exc), cache.as_of)
        fetched += cache.apply(changes, as_of=None if changes.more else now)
        skipped += len(changes.skipped)
        if not changes.more or not changes.cursor or changes.cursor == cursor:
            break
        cursor = changes.cursor
    purged = cache.purge(since)
    log.info("team history from %s: %d new or changed, %d skipped", name, fetched, skipped)
    return RefreshSummary(name, fetched, skipped, "", cache.as_of, purged)


def team_refresh_job(
    open_store: OpenStore,
    url: str,
    default_folder: Path,
    retention_days: int,
    agent_id: str = "",
    contain: bool = True,
) -> RefreshSummary:
    """A whole refresh, start to end, on the calling thread. ``contain``: any
    failure becomes the summary's error (a worker thread must report back)."""
    store = open_store()
    try:
        try:
            target = target_for(url, default_folder, agent_id)
        except TargetError as exc:
            return RefreshSummary(redact_target(url), 0, 0, str(exc))
        try:
            return refresh(store, target, target.name, retention_days, datetime.now(UTC))
        finally:
            target.close()
    except Exception as exc:
        if not contain:
            raise
        log.error(
            "team refresh failed: %s", redact_target("".join(traceback.format_exception(exc)))
        )
        return RefreshSummary(redact_target(url), 0, 0, redact_target(str(exc)))
    finally:
        store.close()


def lookup_job(
    url: str, default_folder: Path, agent_id: str, number: str, ref: str, budget_s: float
) -> TeamChanges | str:
    """The team store's live answer for a ringing caller, or why there is none
    (unreachable, too slow, refused): a line for the log, never an exception.
    Writes nothing: the GUI thread applies the answer (Flow.team_apply)."""
    try:
        target = target_for(url, default_folder, agent_id)
    except TargetError as exc:
        return str(exc)
    try:
        return target.lookup(number, ref, budget_s)
    except TargetError as exc:
        return str(exc)
    except Exception as exc:  # a worker thread must always report back
        log.error("team lookup failed: %s", redact_target("".join(traceback.format_exception(exc))))
        return redact_target(f"{type(exc).__name__}: {exc}")
    finally:
        target.close()
