"""The records behind a shift summary or a report: one shift, or every call
started in a span of days."""

from __future__ import annotations

from datetime import datetime, timedelta

from calmline.core.queries import Period
from calmline.core.records import Incident, Shift
from calmline.core.shift_summary import summarise
from calmline.store.codec import from_row
from calmline.store.repository import Store


def _period(
    title: str, incidents: list[Incident], store: Store, start: datetime, end: datetime
) -> Period:
    ended = sorted((i for i in incidents if i.ended_at is not None), key=lambda i: i.started_at)
    followups = store.followups_of_incidents([i.meta.id for i in ended])
    return Period(title, ended, followups, summarise(ended, followups, start, end))


def shift_period(store: Store, shift: Shift, now: datetime) -> Period:
    """A shift, up to its end (or ``now`` while it runs)."""
    end = shift.ended_at or now
    local = shift.started_at.astimezone()
    title = (
        f"Shift of {shift.agent_id or 'an agent'}, {local:%a %d %b %Y}, "
        f"{local:%H:%M}–{end.astimezone():%H:%M}"
    )
    return _period(title, store.incidents(shift_id=shift.meta.id), store, shift.started_at, end)


def range_period(store: Store, start: datetime, end: datetime) -> Period:
    """Every call started in [start, end), whatever its shift."""
    first, last = start.astimezone(), (end - timedelta(microseconds=1)).astimezone()
    title = f"Calls from {first:%a %d %b %Y} to {last:%a %d %b %Y}"
    return _period(title, store.incidents_between(start, end), store, start, end)


def recent_shifts(store: Store, limit: int = 30) -> list[tuple[Shift, int]]:
    """The newest shifts, each with its number of ended calls."""
    rows = store.db.query(
        "SELECT s.*, (SELECT COUNT(*) FROM incidents i WHERE i.shift_id = s.id "
        "AND i.ended_at IS NOT NULL) AS calls FROM shifts s ORDER BY s.started_at DESC LIMIT ?",
        [limit],
    )
    return [(from_row(Shift, row), int(row["calls"])) for row in rows]


__all__ = ["Period", "range_period", "recent_shifts", "shift_period"]
