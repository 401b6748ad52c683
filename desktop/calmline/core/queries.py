"""What the window may ask of the records, as questions: the UI's one way to
read them (store/queries.py answers; ui/ never imports store/). The CLI, a
composition root, uses the Store itself. Pure: a Protocol and the values it
returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from calmline.core.records import FollowUp, Incident, Note, Shift, StepEvent
from calmline.core.search_query import SearchQuery
from calmline.core.shift_summary import ShiftSummary
from calmline.core.team import TeamIncident, TeamPromise
from calmline.core.team_view import CallerMemory


@dataclass(frozen=True)
class Period:
    """The records behind a shift summary or a report."""

    title: str
    incidents: list[Incident]  # oldest first; ended calls only
    followups: list[FollowUp]  # created on those calls
    summary: ShiftSummary


class Queries(Protocol):
    def calls_in_shift(self, shift_id: str) -> int:
        """Calls started in this shift (the header's count)."""
        ...

    def caller_history(self, incident: Incident) -> list[Incident]:
        """Earlier incidents of the same caller (by number or customer
        reference), newest first."""
        ...

    def open_followups(self) -> list[FollowUp]:
        """Follow-ups not done yet, soonest due first."""
        ...

    def incident(self, incident_id: str) -> Incident: ...

    def followup(self, followup_id: str) -> FollowUp: ...

    def notes_for(self, incident_id: str) -> list[Note]: ...

    def step_events_for(self, incident_id: str) -> list[StepEvent]: ...

    def search(self, query: SearchQuery) -> list[Incident]: ...

    def categories(self) -> list[tuple[str, int]]:
        """Categories used so far, most used first, with their counts."""
        ...

    def last_shift(self) -> Shift | None: ...

    def shift_period(self, shift: Shift, now: datetime) -> Period:
        """A shift's calls and follow-ups, up to its end (or ``now``)."""
        ...

    def caller_memory(self, incident: Incident, agent_id: str, today: date) -> CallerMemory:
        """What this computer and the local team cache know of the caller of
        ``incident`` (their calls before it, promises still open from anyone,
        active caution markers); ``agent_id``: whose this computer's calls are."""
        ...

    def team_search(self, query: SearchQuery, agent_id: str) -> list[TeamIncident]:
        """Other agents' calls in the team cache matching ``query``, newest first."""
        ...

    def team_promise(self, followup_id: str) -> TeamPromise | None:
        """A promise in the team cache (another agent's, usually)."""
        ...
