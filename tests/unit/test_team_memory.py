"""The team's memory on this computer: the local cache (newest version wins,
one store at a time, bounded by retention), a caller's memory put together
from the agent's own records and the cache, the agent's two team actions, and
voice figures that stay on this computer unless IT shares them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from calmline.core.commands import Command, Name
from calmline.core.records import (
    AbuseLevel,
    FollowUp,
    KeptPromise,
    MarkerProposal,
    MarkerReason,
    Resolution,
    VoiceFigures,
)
from calmline.core.search_query import SearchQuery
from calmline.core.session import TransitionError
from calmline.core.team import (
    CautionMarker,
    FolderEntry,
    MarkerAction,
    MarkerDecision,
    MarkerStatus,
    PromiseKept,
    TeamChanges,
    TeamIncident,
    TeamPromise,
    marker_state,
    may_decide,
    number_key,
    ref_key,
)
from calmline.core.team_view import age_words, caution_line, memory_badge, promise_line
from calmline.flow import Flow
from calmline.store.sync_queue import pending_docs
from calmline.store.team_cache import TeamCache
from tests.fakes import FakeClock, FixedVoice, make_flow

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def team_call(
    n: int, agent: str = "agent-12", number: str = "+44 20 7946 0000", **kw: object
) -> TeamIncident:
    return TeamIncident(
        id=f"00000000-0000-4000-8000-{n:012d}",
        version=1,
        agent_id=agent,
        started_at=T0 - timedelta(days=n),
        caller_number=number,
        **kw,  # type: ignore[arg-type]
    )


def promise(n: int, incident: TeamIncident, **kw: object) -> TeamPromise:
    fields: dict[str, object] = {"what": "callback", **kw}
    return TeamPromise(
        id=f"10000000-0000-4000-8000-{n:012d}",
        version=1,
        incident_id=incident.id,
        agent_id=incident.agent_id,
        **fields,  # type: ignore[arg-type]
    )


def test_caller_keys_ignore_how_a_number_or_reference_is_written() -> None:
    assert number_key("+44 20 7946 0000") == number_key("0044 (20) 7946-0000") == "442079460000"
    assert number_key("sip:agent@host") == "" and number_key("") == ""
    assert ref_key("  AC  1234 ") == ref_key("ac 1234") == "ac 1234"


def test_a_marker_is_active_until_its_review_date_and_only_a_lead_decision_moves_it() -> None:
    marker = CautionMarker("m1", 1, "agent-7", "i1", T0, MarkerReason.THREATS, "+44 1")
    assert marker_state(marker, [], T0.date()).status is MarkerStatus.PROPOSED
    approve = MarkerDecision("d1", 1, "m1", "lead", T0, MarkerAction.APPROVE, date(2027, 2, 20))
    active = marker_state(marker, [approve], date(2027, 2, 20))
    assert active.status is MarkerStatus.ACTIVE and active.review_by == date(2027, 2, 20)
    assert marker_state(marker, [approve], date(2027, 2, 21)).status is MarkerStatus.EXPIRED
    renew = MarkerDecision(
        "d2", 1, "m1", "lead", T0 + timedelta(days=80), MarkerAction.RENEW, date(2027, 6, 1)
    )
    assert marker_state(marker, [renew, approve], date(2027, 3, 1)).status is MarkerStatus.ACTIVE
    other = replace(approve, id="d3", marker_id="m2")
    assert marker_state(marker, [other], T0.date()).status is MarkerStatus.PROPOSED
    assert may_decide(MarkerAction.RENEW, MarkerStatus.PROPOSED)
    assert may_decide(MarkerAction.APPROVE, MarkerStatus.ACTIVE)
    assert not may_decide(MarkerAction.APPROVE, MarkerStatus.PROPOSED)
    assert not may_decide(MarkerAction.RENEW, MarkerStatus.EXPIRED)


def test_the_cache_keeps_the_newest_version_and_finds_a_caller_by_either_key(flow: Flow) -> None:
    cache = TeamCache(flow.store)
    a, b = team_call(1, category="refund"), team_call(2, number="", customer_ref="AC 1234")
    cache.apply(TeamChanges(incidents=[a, b]))
    cache.apply(TeamChanges(incidents=[replace(a, version=3, category="late delivery")]))
    cache.apply(TeamChanges(incidents=[replace(a, version=2, category="older")]))  # ignored
    found = cache.caller("0044 20 7946 0000", "ac  1234")
    assert [(i.id, i.version, i.category) for i in found.incidents] == [
        (a.id, 3, "late delivery"),
        (b.id, 1, ""),
    ]
    assert cache.caller("", "").incidents == [] and cache.caller("+1 555", "").incidents == []


def test_a_cache_of_another_store_is_emptied_and_retention_bounds_it(flow: Flow) -> None:
    cache = TeamCache(flow.store)
    assert cache.begin("folder /a")
    old, new = team_call(100), team_call(1)
    cache.apply(
        TeamChanges(
            incidents=[old, new],
            promises=[promise(1, old), promise(2, new)],
            cursor="c1",
            folder_index=[FolderEntry("agent-12/2026-11-21", 5, {"incident-x.json": (5, 10)})],
        ),
        as_of=T0,
    )
    assert cache.cursor == "c1" and cache.as_of == T0
    assert cache.files("agent-12/2026-11-21") == {"incident-x.json": (5, 10)}
    assert cache.purge(T0 - timedelta(days=90)) == 1
    assert cache.counts()["team_incidents"] == 1 and cache.counts()["team_promises"] == 1
    assert not cache.begin("folder /a")
    assert cache.begin("postgresql://db/calmline")
    assert cache.counts() == dict.fromkeys(cache.counts(), 0)
    assert cache.cursor == "" and cache.folders() == {} and cache.as_of is None


def test_team_search_leaves_the_agents_own_calls_out(flow: Flow) -> None:
    cache = TeamCache(flow.store)
    mine, theirs = team_call(1, agent="agent-7"), team_call(2, summary="- wants a Refund")
    cache.apply(TeamChanges(incidents=[mine, theirs]))
    assert [i.id for i in cache.search(SearchQuery(text="refund"), "agent-7")] == [theirs.id]
    assert cache.search(SearchQuery(text="refund nothing"), "agent-7") == []
    by_caller = SearchQuery(caller_number="+44 20 7946 0000")
    assert [i.id for i in cache.search(by_caller, "agent-7")] == [theirs.id]


def call_with_history(flow: Flow, clock: FakeClock) -> tuple[TeamIncident, TeamPromise]:
    """agent-12 took this caller two days ago and promised a callback."""
    cache = TeamCache(flow.store)
    earlier = replace(team_call(2), resolution=Resolution.PENDING, category="refund")
    open_promise = promise(1, earlier, due=clock().date() + timedelta(days=3))
    done = promise(2, earlier, what="send the form", done_at=T0 - timedelta(days=1))
    marker = CautionMarker("m1", 1, "agent-9", "x", T0, MarkerReason.THREATS, "+442079460000")
    approve = MarkerDecision("d1", 1, "m1", "lead", T0, MarkerAction.APPROVE, date(2027, 1, 1))
    cache.apply(
        TeamChanges(
            incidents=[earlier],
            promises=[open_promise, done],
            markers=[marker],
            decisions=[approve],
        ),
        as_of=clock(),
    )
    return earlier, open_promise


def test_at_call_start_the_memory_holds_the_teams_calls_open_promises_and_cautions(
    flow: Flow, clock: FakeClock
) -> None:
    earlier, open_promise = call_with_history(flow, clock)
    flow.start_shift("agent-7")
    call = flow.start_call("+44 (20) 7946-0000")
    memory = flow.memory(call)
    assert [i.id for i in memory.earlier] == [earlier.id]
    assert [p.id for p in memory.open_promises] == [open_promise.id]
    assert [c.marker.id for c in memory.cautions] == ["m1"]
    assert memory_badge(memory, "agent-7", clock()) == (
        "1 earlier call · last: pending refund, 2 days ago, agent-12"
    )
    assert promise_line(open_promise, "agent-7", clock().date()) == (
        "Callback promised by Wednesday — agent-12"
    )
    assert "threats" in caution_line(memory.cautions[0])
    assert age_words(memory, clock()) == ""
    clock.advance(3600)
    assert "1 h ago" in age_words(flow.memory(call), clock())


def test_the_agents_own_calls_count_too_and_say_you(flow: Flow, clock: FakeClock) -> None:
    flow.start_shift("agent-7")
    first = flow.start_call("+44 20 7946 0000")
    clock.advance(60)
    flow.end_call()
    flow.store.save(FollowUp(first.meta.id, "refund the fee", due=clock().date()))
    clock.advance(3600)
    memory = flow.memory(flow.start_call("+44 20 7946 0000"))
    assert [i.id for i in memory.earlier] == [first.meta.id]
    assert memory_badge(memory, "agent-7", clock()).endswith(", you")
    assert [p.what for p in memory.open_promises] == ["refund the fee"]


def test_another_agents_promise_kept_on_this_call_is_this_agents_record(
    flow: Flow, clock: FakeClock
) -> None:
    _, open_promise = call_with_history(flow, clock)
    flow.start_shift("agent-7")
    call = flow.start_call("+44 20 7946 0000")
    outcome = flow.run(Command(Name.PROMISE_KEPT, {"id": open_promise.id}))
    assert outcome.promiser == "agent-12"  # type: ignore[union-attr]
    assert flow.memory(call).open_promises == ()
    kept = [d for d in pending_docs(flow.store) if d.record_type == "promise_kept"]
    assert [(d.agent_id, d.record["followup_id"], d.record["incident_id"]) for d in kept] == [
        ("agent-7", open_promise.id, call.meta.id)
    ]
    with pytest.raises(TransitionError, match="not in the team's history"):
        flow.run(Command(Name.PROMISE_KEPT, {"id": "no-such-promise"}))


def test_kept_outside_a_call_is_refused(flow: Flow, clock: FakeClock) -> None:
    _, open_promise = call_with_history(flow, clock)
    with pytest.raises(TransitionError, match="during the call"):
        flow.run(Command(Name.PROMISE_KEPT, {"id": open_promise.id}))
    assert flow.store.db.table("kept_promises").count == 0


def test_a_marker_is_proposed_only_after_an_aggressive_call_once_with_a_listed_reason(
    flow: Flow, clock: FakeClock
) -> None:
    flow.start_shift("agent-7")
    flow.start_call("+44 20 7946 0000")
    clock.advance(60)
    ended = flow.end_call()
    propose = Command(Name.MARKER_PROPOSE, {"incident": ended.meta.id, "reason": "threats"})
    with pytest.raises(TransitionError, match="aggressive or abusive"):
        flow.run(propose)
    flow.save_incident(replace(ended, abuse_level=AbuseLevel.ABUSIVE), final=False)
    with pytest.raises(TransitionError, match="threats, sustained-abuse, harassment"):
        flow.run(Command(Name.MARKER_PROPOSE, {"incident": ended.meta.id, "reason": "rude"}))
    outcome = flow.run(propose)
    assert outcome.marker.reason is MarkerReason.THREATS  # type: ignore[union-attr]
    with pytest.raises(TransitionError, match="already proposed"):
        flow.run(propose)
    (doc,) = [d for d in pending_docs(flow.store) if d.record_type == "marker"]
    assert doc.agent_id == "agent-7" and doc.record["caller_number"] == "+44 20 7946 0000"
    assert set(doc.record) == {
        "id", "version", "created_at", "updated_at",
        "incident_id", "reason", "proposed_at", "caller_number", "customer_ref",
    }  # fmt: skip


def test_voice_figures_leave_this_computer_only_when_it_shares_them(tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    figures = VoiceFigures(baseline_dbfs=-30.0, talk_share=0.6, levels_db=(-30.0, None))
    flow = make_flow(tmp_path / "c.db", clock, agent_id="agent-7", voice=FixedVoice(figures))
    flow.start_shift("agent-7")
    flow.start_call("+44 20 7946 0000")
    clock.advance(60)
    flow.end_call()
    (kept,) = [d for d in pending_docs(flow.store) if d.record_type == "incident"]
    assert "voice" not in kept.record and "-30.0" not in str(kept.document())
    docs = pending_docs(flow.store, share_voice=True)
    (shared,) = [d for d in docs if d.record_type == "incident"]
    assert shared.record["voice"]["talk_share"] == 0.6
    assert flow.store.get(type(flow.store.incidents()[0]), kept.record_id).voice == figures


def test_purged_shifts_take_their_markers_and_kept_records_along(
    flow: Flow, clock: FakeClock
) -> None:
    from calmline.core.sync_docs import Confirmed
    from calmline.store.sync_queue import mark_synced, purge_synced

    flow.start_shift("agent-7")
    call = flow.start_call("+44 20 7946 0000")
    flow.store.save(KeptPromise("someone-elses", call.meta.id, clock()))
    clock.advance(60)
    ended = flow.end_call()
    ended = flow.save_incident(replace(ended, abuse_level=AbuseLevel.ABUSIVE), final=False)
    flow.store.save(MarkerProposal(ended.meta.id, MarkerReason.HARASSMENT, clock(), "+44"))
    flow.end_shift()
    sent = pending_docs(flow.store)
    mark_synced(flow.store, [Confirmed(d.record_type, d.record_id, d.version) for d in sent])
    assert purge_synced(flow.store, "2099-01-01") == 1
    assert flow.store.db.table("markers").count == 0
    assert flow.store.db.table("kept_promises").count == 0


def test_a_live_answer_goes_into_the_cache_and_marks_the_memory_live(
    flow: Flow, clock: FakeClock
) -> None:
    flow.start_shift("agent-7")
    call = flow.start_call("+44 20 7946 0000")
    assert not flow.memory(call).live and flow.memory(call).earlier == ()
    seen: list[object] = []
    flow.listeners.append(lambda _e, outcome: seen.append(outcome))
    kept = PromiseKept("k1", 1, "p1", "i9", "agent-9", T0)
    flow.team_apply(TeamChanges(incidents=[team_call(3)], kept=[kept]), live=True)
    memory = flow.memory(call)
    assert memory.live and [i.id for i in memory.earlier] == [team_call(3).id]
    assert len(seen) == 1 and seen[0].count == 2  # type: ignore[attr-defined]
    assert TeamCache(flow.store).as_of is None  # a live answer does not make the cache whole


def test_a_caller_with_hundreds_of_calls_is_counted_whole_and_read_newest_first(
    flow: Flow, clock: FakeClock
) -> None:
    from calmline.store.team_cache import EARLIER_MAX

    calls = [team_call(n) for n in range(1, EARLIER_MAX + 51)]
    TeamCache(flow.store).apply(TeamChanges(incidents=calls))
    flow.start_shift("agent-7")
    memory = flow.memory(flow.start_call("+44 20 7946 0000"))
    assert len(memory.earlier) == EARLIER_MAX and memory.earlier[0].id == calls[0].id
    assert memory_badge(memory, "agent-7", clock()).startswith(f"{EARLIER_MAX + 50} earlier calls")


def test_a_value_read_again_is_not_counted_as_a_change(flow: Flow) -> None:
    cache = TeamCache(flow.store)
    call = team_call(1)
    assert cache.apply(TeamChanges(incidents=[call], promises=[promise(1, call)])) == 2
    assert cache.apply(TeamChanges(incidents=[call])) == 0  # PostgreSQL's overlap re-read
    assert cache.apply(TeamChanges(incidents=[replace(call, version=2)])) == 1
