"""The store's answers to core/queries.py's questions, for the window (and
anything else above store/ that reads records)."""

from __future__ import annotations

from datetime import date, datetime

from calmline.core.queries import Period
from calmline.core.records import FollowUp, Incident, Note, Shift, StepEvent
from calmline.core.search_query import SearchQuery
from calmline.core.team import TeamIncident, TeamPromise
from calmline.core.team_view import CallerMemory
from calmline.store.reports import shift_period
from calmline.store.repository import Store
from calmline.store.team_cache import TeamCache
from calmline.store.team_memory import caller_memory, earlier_calls


class StoreQueries:
    def __init__(self, store: Store) -> None:
        self._store = store

    def calls_in_shift(self, shift_id: str) -> int:
        return self._store.count_calls(shift_id)

    def caller_history(self, incident: Incident) -> list[Incident]:
        return earlier_calls(self._store, incident)

    def open_followups(self) -> list[FollowUp]:
        return self._store.followups()

    def incident(self, incident_id: str) -> Incident:
        return self._store.get(Incident, incident_id)

    def followup(self, followup_id: str) -> FollowUp:
        return self._store.get(FollowUp, followup_id)

    def notes_for(self, incident_id: str) -> list[Note]:
        return self._store.notes_for(incident_id)

    def step_events_for(self, incident_id: str) -> list[StepEvent]:
        return self._store.step_events_for(incident_id)

    def search(self, query: SearchQuery) -> list[Incident]:
        return self._store.search(query)

    def categories(self) -> list[tuple[str, int]]:
        return self._store.categories()

    def last_shift(self) -> Shift | None:
        return self._store.last_shift()

    def shift_period(self, shift: Shift, now: datetime) -> Period:
        return shift_period(self._store, shift, now)

    def caller_memory(self, incident: Incident, agent_id: str, today: date) -> CallerMemory:
        return caller_memory(self._store, incident, agent_id, today)

    def team_search(self, query: SearchQuery, agent_id: str) -> list[TeamIncident]:
        return TeamCache(self._store).search(query, not_agent=agent_id)

    def team_promise(self, followup_id: str) -> TeamPromise | None:
        return TeamCache(self._store).promise(followup_id)
