from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from calmline.core.after_call import history_badge, summary_from_notes, ticked_steps
from calmline.core.commands import Command
from calmline.core.problems import ProblemsError
from calmline.core.records import (
    AbuseLevel,
    IncidentStatus,
    Promise,
    Resolution,
    StepAction,
)
from calmline.core.session import TransitionError
from calmline.flow import Flow, FlowEvent
from tests.fakes import ABUSIVE, FakeClock, make_flow


def test_whole_flow_lands_in_sqlite(flow: Flow, clock: FakeClock) -> None:
    seen: list[FlowEvent] = []
    flow.listeners.append(lambda e, _i: seen.append(e))
    shift = flow.start_shift()
    assert shift.agent_id == "agent-7" and shift.meta.version == 1
    call = flow.start_call("+1 555 0101", "C-9")
    clock.advance(12)
    current = flow.session.next_step()
    assert flow.tick() == current and flow.session.next_step() != current
    clock.advance(30)
    flow.note("wants a refund")
    clock.advance(18)
    ended = flow.end_call()
    assert ended.ended_at == call.started_at + timedelta(seconds=60)
    assert ended.status is IncidentStatus.DRAFT
    store = flow.store
    assert store.get(type(ended), ended.meta.id).ended_at == ended.ended_at
    notes = store.notes_for(call.meta.id)
    assert [(n.text, n.call_offset_s) for n in notes] == [("wants a refund", 42.0)]
    assert summary_from_notes(notes) == "- [0:42] wants a refund"
    assert [off for _s, off in ticked_steps(store.step_events_for(call.meta.id))] == [12.0]
    final = flow.save_incident(replace(ended, resolution=Resolution.TOTAL), final=True)
    assert final.status is IncidentStatus.FINAL
    end = flow.end_shift()
    assert end.drafts == [] and store.open_shift() is None
    assert seen == [
        FlowEvent.SHIFT,
        FlowEvent.CALL,
        FlowEvent.STEPS,
        FlowEvent.NOTE,
        FlowEvent.CALL_ENDED,
        FlowEvent.INCIDENT_SAVED,
        FlowEvent.SHIFT,
    ]


def test_final_save_checks_fields_and_creates_followups_once(flow: Flow, clock: FakeClock) -> None:
    flow.start_shift()
    flow.start_call()
    ended = flow.end_call()
    bad = replace(ended, resolution=Resolution.ESCALATED)
    with pytest.raises(ProblemsError, match="escalated_to"):
        flow.save_incident(bad, final=True)
    assert flow.store.get(type(ended), ended.meta.id).status is IncidentStatus.DRAFT
    promise = Promise("call back with the refund number", "Ana", date(2026, 11, 24))
    inc = replace(ended, resolution=Resolution.PENDING, next_steps=(promise,))
    clock.advance(95)
    saved = flow.save_incident(inc, final=True)
    clock.advance(600)
    saved = flow.save_incident(saved, final=True)  # saving again adds nothing
    # after-call work ended at the first final save, not at a later edit
    assert saved.ended_at is not None and saved.finalised_at is not None
    assert (saved.finalised_at - saved.ended_at).total_seconds() == 95
    followups = flow.store.followups_for(saved.meta.id)
    assert [(f.what, f.who, f.due) for f in followups] == [
        ("call back with the refund number", "Ana", date(2026, 11, 24))
    ]


def test_later_leaves_a_draft_listed_at_shift_end(flow: Flow) -> None:
    flow.start_shift()
    flow.start_call("555")
    draft = flow.end_call()
    flow.save_incident(replace(draft, summary="- half done"), final=False)
    assert [d.meta.id for d in flow.drafts()] == [draft.meta.id]
    end = flow.end_shift()
    assert [d.summary for d in end.drafts] == ["- half done"]


def test_abusive_mode_switches_records_and_flags_the_incident(flow: Flow, clock: FakeClock) -> None:
    flow.start_shift()
    call = flow.start_call()
    clock.advance(95)
    flow.set_abusive(True)
    assert flow.playbook.id == ABUSIVE.id
    events = flow.store.step_events_for(call.meta.id)
    assert [(e.action, e.call_offset_s, e.playbook_id) for e in events] == [
        (StepAction.SWITCH_PLAYBOOK, 95.0, ABUSIVE.id)
    ]
    ended = flow.end_call()
    assert ended.abuse_level is AbuseLevel.ABUSIVE and ended.playbook_id == ABUSIVE.id
    assert flow.playbook.id != ABUSIVE.id  # the next call starts with the normal playbook


def test_a_restart_resumes_the_open_shift_and_call(tmp_path: Path, clock: FakeClock) -> None:
    flow = make_flow(tmp_path / "c.db", clock, agent_id="a")
    flow.start_shift()
    call = flow.start_call("555")
    first = flow.tick()
    flow.set_abusive(True)
    again = make_flow(tmp_path / "c.db", clock)
    assert again.shift and again.call and again.call.meta.id == call.meta.id
    assert again.abusive and again.playbook.id == ABUSIVE.id
    assert again.session.ticked == [first]
    again.end_call()  # the resumed call keeps its saved version: no stale-record error


def test_history_of_a_caller(flow: Flow, clock: FakeClock) -> None:
    flow.start_shift()
    flow.start_call("555-0101")
    old = flow.end_call()
    flow.save_incident(replace(old, resolution=Resolution.PENDING), final=True)
    clock.advance(3 * 86400)
    flow.start_call("", "C-1")
    flow.end_call()
    clock.advance(300)
    now = flow.start_call("555-0101", "C-1")
    earlier = flow.history(now)
    assert len(earlier) == 2
    assert (
        history_badge(earlier, clock()) == "2 earlier incidents · last: not logged yet, 5 min ago"
    )
    assert history_badge(earlier[1:], clock()) == "1 earlier incident · last: pending, 3 days ago"
    assert history_badge([], clock()) == ""


def test_commands_reply_with_one_clear_line(flow: Flow) -> None:
    def run(name: str, **args: str) -> tuple[bool, str]:
        r = flow.execute(Command(name, args))
        return r.ok, r.message

    assert run("call-end") == (
        False,
        "cannot end a call: no call is in progress — start a call first",
    )
    ok, msg = run("call-start", caller="555")
    assert not ok and "no shift is running" in msg
    assert run("shift-start", agent="b-2") == (True, "shift started for b-2")
    assert run("call-start", caller="555") == (True, "call started with 555")
    ok, msg = run("step-next")
    assert ok and msg.startswith("ticked '") and "; next: " in msg
    assert run("note", text="angry about fees") == (True, "note saved at 0:00 into the call")
    ok, msg = run("shift-end")
    assert not ok and "end the call first" in msg
    assert run("call-end") == (True, "call ended after 0:00; incident form open")
    assert run("note", text="x") == (True, "saved as a shift note (no call in progress)")
    assert run("shift-end") == (True, "shift ended; 1 incident draft(s) still to finish")


def test_call_start_outside_a_shift_when_settings_say_so(tmp_path: Path, clock: FakeClock) -> None:
    auto = make_flow(tmp_path / "a.db", clock, agent_id="a-1", auto_start_shift=True)
    assert auto.execute(Command("call-start")).message == "call started (shift started)"
    assert auto.shift and auto.shift.agent_id == "a-1"
    nobody = make_flow(tmp_path / "b.db", clock, auto_start_shift=True)
    reply = nobody.execute(Command("call-start"))
    assert not reply.ok and "agent_id is not set" in reply.message


def test_watch_steps_are_not_ticked(flow: Flow) -> None:
    flow.start_shift()
    flow.start_call()
    watch = next(s for s in flow.playbook.steps if s.kind.value == "watch")
    with pytest.raises(TransitionError, match="reminder for the whole call"):
        flow.tick(watch.id)
