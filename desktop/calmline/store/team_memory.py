"""A caller's memory, put together from this computer's own records and the
local team cache (core/team_view.CallerMemory): the answer behind the history
badge, the open-promise lines and the caution line at call start."""

from __future__ import annotations

from datetime import date

from calmline.core.after_call import caller_of
from calmline.core.records import Incident
from calmline.core.search_query import SearchQuery
from calmline.core.team import MarkerStatus, TeamIncident, TeamPromise, marker_state
from calmline.core.team_view import CallerMemory, own_incident, own_promise
from calmline.store.repository import Store
from calmline.store.team_cache import TeamCache


def kept_here(store: Store) -> set[str]:
    """Follow-up ids this computer recorded kept for another agent."""
    return {r[0] for r in store.db.execute("SELECT followup_id FROM kept_promises")}


def earlier_calls(store: Store, incident: Incident) -> list[Incident]:
    """This computer's own calls of the same caller (number or reference) that
    started before ``incident``, newest first."""
    if not caller_of(incident):
        return []
    query = SearchQuery(
        caller_number=incident.caller_number,
        customer_ref=incident.customer_ref,
        exclude_id=incident.meta.id,
        limit=-1,  # all of them
    )
    return [i for i in store.search(query) if i.started_at < incident.started_at]


def caller_memory(store: Store, incident: Incident, agent_id: str, today: date) -> CallerMemory:
    cache = TeamCache(store)
    number, ref = incident.caller_number, incident.customer_ref
    if not number.strip() and not ref.strip():
        return CallerMemory(as_of=cache.as_of)
    own = earlier_calls(store, incident)
    team = cache.caller(number, ref)
    earlier: dict[str, TeamIncident] = {
        i.id: i
        for i in team.incidents
        if i.id != incident.meta.id and i.started_at < incident.started_at
    }
    earlier.update((i.meta.id, own_incident(i, agent_id)) for i in own)  # ours are the freshest
    promises: dict[str, TeamPromise] = {p.id: p for p in team.promises}
    promises.update(
        (f.meta.id, own_promise(f, agent_id))
        for f in store.followups_of_incidents([i.meta.id for i in own])
    )
    kept = {k.followup_id for k in team.kept} | kept_here(store)
    open_ = sorted(
        (p for p in promises.values() if p.done_at is None and p.id not in kept),
        key=lambda p: (p.due is None, p.due or date.max),
    )
    states = [marker_state(m, team.decisions, today) for m in team.markers]
    in_cache = cache.held([incident.meta.id, *(o.meta.id for o in own)])
    total = team.total - (incident.meta.id in in_cache)
    total += sum(1 for o in own if o.meta.id not in in_cache)  # not synced yet
    return CallerMemory(
        earlier=tuple(sorted(earlier.values(), key=lambda i: i.started_at, reverse=True)),
        earlier_total=total,
        open_promises=tuple(open_),
        cautions=tuple(s for s in states if s.status is MarkerStatus.ACTIVE),
        as_of=cache.as_of,
    )
