from __future__ import annotations

import pytest

from calmline.context import read_playbook
from calmline.core.records import StepAction
from calmline.core.session import Session, TransitionError
from calmline.platform.paths import resource_path
from tests.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def session(clock: FakeClock) -> Session:
    return Session(read_playbook(resource_path("playbooks", "irate-caller.toml")), clock)


def test_full_call_flow(session: Session, clock: FakeClock) -> None:
    shift = session.start_shift("agent-7")
    call = session.start_call(caller_number="+44 20 7946 0000", customer_ref="C-1")
    assert call.shift_id == shift.meta.id and call.playbook_id == "irate-caller"
    clock.advance(42.5)
    event = session.tick()
    assert (event.step_id, event.action, event.call_offset_s) == (
        "let-them-vent",
        StepAction.TICK,
        42.5,
    )
    clock.advance(10)
    note = session.note("  wants refund  ")
    assert note.text == "wants refund" and note.call_offset_s == 52.5
    assert note.incident_id == call.meta.id
    assert session.next_step() == "play-it-back"  # watch steps are skipped
    clock.advance(8)
    ended = session.end_call()
    assert ended.ended_at == clock.now and session.call is None
    shift_note = session.note("coffee machine broken")
    assert shift_note.incident_id is None and shift_note.call_offset_s is None
    assert session.end_shift().ended_at == clock.now


@pytest.mark.parametrize(
    "action, message",
    [
        (lambda s: s.start_call(), "no shift is running"),
        (lambda s: s.end_call(), "no call is in progress"),
        (lambda s: s.end_shift(), "no shift is running"),
        (lambda s: s.note("x"), "no shift is running"),
    ],
)
def test_invalid_transitions_outside_a_shift(session: Session, action, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TransitionError, match=message):
        action(session)


def test_invalid_transitions_in_a_shift(session: Session) -> None:
    session.start_shift("a")
    with pytest.raises(TransitionError, match="already running"):
        session.start_shift("a")
    with pytest.raises(TransitionError, match="no call is in progress"):
        session.tick()
    session.start_call()
    with pytest.raises(TransitionError, match="already in progress"):
        session.start_call()
    with pytest.raises(TransitionError, match="end the call first"):
        session.end_shift()
    with pytest.raises(TransitionError, match="reminder for the whole call"):
        session.tick("stay-calm")
    with pytest.raises(TransitionError, match="has no step 'nope'"):
        session.tick("nope")
    session.tick("apologise")
    with pytest.raises(TransitionError, match="already ticked"):
        session.tick("apologise")
    with pytest.raises(TransitionError, match="empty"):
        session.note("   ")
    with pytest.raises(TransitionError, match="agent id"):
        Session(session.playbook).start_shift(" ")


def test_untick_and_switch_playbook(session: Session, clock: FakeClock) -> None:
    session.start_shift("a")
    call = session.start_call()
    session.tick("apologise")
    assert session.untick("apologise").action is StepAction.UNTICK
    session.tick("acknowledge")
    clock.advance(30)
    abusive = read_playbook(resource_path("playbooks", "abusive-caller.toml"))
    event = session.switch_playbook(abusive)
    assert event is not None and event.action is StepAction.SWITCH_PLAYBOOK
    assert event.call_offset_s == 30 and event.playbook_id == "abusive-caller"
    assert session.call is not None and session.call.meta.id == call.meta.id
    assert session.call.playbook_id == "abusive-caller"
    assert session.ticked == ["acknowledge"]
    assert session.next_step() == "set-the-line"
    session.tick("set-the-line")
    session.switch_playbook(read_playbook(resource_path("playbooks", "irate-caller.toml")))
    assert session.ticked == ["acknowledge", "set-the-line"]  # back again: the ticks remain


def test_all_ticked(session: Session) -> None:
    session.start_shift("a")
    session.start_call()
    while session.next_step():
        session.tick()
    with pytest.raises(TransitionError, match="every step"):
        session.tick()
