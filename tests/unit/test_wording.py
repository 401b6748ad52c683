"""Every outcome has its event and its words for both audiences: an action added
to the flow without them fails here, not in front of an agent."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import pytest

from calmline.core import outcomes as oc
from calmline.core.commands import COMMANDS, Command, CommandError, Name, check_command
from calmline.core.playbook import Phase, Step, StepKind
from calmline.core.records import FollowUp, Incident, MarkerProposal, MarkerReason, Note, Shift
from calmline.core.wording import for_softphone, for_window
from calmline.flow import _EVENTS

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
STEP = Step("vent", "Let them vent", "why", (), StepKind.ONCE, Phase.LISTEN)
CALL = Incident(shift_id="s", started_at=AT, ended_at=AT, caller_number="555")
EXAMPLES: dict[type, oc.Outcome] = {
    oc.ShiftStarted: oc.ShiftStarted(Shift(agent_id="a-1", started_at=AT)),
    oc.ShiftEnded: oc.ShiftEnded(Shift(agent_id="a-1", started_at=AT), []),
    oc.CallStarted: oc.CallStarted(CALL, False),
    oc.CallEnded: oc.CallEnded(CALL),
    oc.NoteSaved: oc.NoteSaved(Note(shift_id="s", text="late refund", wall_time=AT)),
    oc.Ticked: oc.Ticked(STEP, None),
    oc.Unticked: oc.Unticked(STEP),
    oc.StepsSwitched: oc.StepsSwitched(True),
    oc.IncidentSaved: oc.IncidentSaved(CALL),
    oc.FollowUpDone: oc.FollowUpDone(FollowUp(incident_id="x", what="call back")),
    oc.WindowShown: oc.WindowShown(),
    oc.HotkeysReported: oc.HotkeysReported(("quick note: Ctrl+Shift+F8 (ours)",), True),
    oc.PromiseKeptOutcome: oc.PromiseKeptOutcome("f1", "call back", "agent-12"),
    oc.MarkerProposed: oc.MarkerProposed(MarkerProposal("i1", MarkerReason.THREATS, AT)),
    oc.TeamUpdated: oc.TeamUpdated(True, 3),
}


def test_a_promise_kept_for_another_agent_says_whose_it_was() -> None:
    kept = EXAMPLES[oc.PromiseKeptOutcome]
    assert for_window(kept) == "Recorded as kept on this call: call back (agent-12's promise)"
    assert for_softphone(kept) == for_window(kept)
    own = oc.PromiseKeptOutcome("f1", "call back")
    assert for_window(own) == "Recorded as kept on this call: call back"


def test_every_outcome_type_has_an_example_here() -> None:
    assert set(EXAMPLES) == set(typing.get_args(oc.Outcome))


@pytest.mark.parametrize("kind", list(EXAMPLES), ids=lambda k: k.__name__)
def test_every_outcome_has_words_for_both_audiences(kind: type) -> None:
    outcome = EXAMPLES[kind]
    assert isinstance(for_softphone(outcome), str) and for_softphone(outcome)
    assert isinstance(for_window(outcome), str)  # "" where the window shows it itself


@pytest.mark.parametrize(
    "kind", [k for k in EXAMPLES if k not in (oc.WindowShown, oc.HotkeysReported)]
)
def test_every_action_outcome_names_its_event(kind: type) -> None:
    assert kind in _EVENTS


def test_the_ticked_step_in_each_audiences_words() -> None:
    nxt = Step("mirror", "Play it back", "why", (), StepKind.ONCE, Phase.LISTEN)
    assert for_softphone(oc.Ticked(STEP, nxt)) == "ticked 'Let them vent'; next: Play it back"
    assert for_window(oc.Ticked(STEP, nxt)) == "Ticked: Let them vent — next: Play it back"
    assert for_window(oc.Ticked(STEP, None)) == "Ticked: Let them vent — all steps done"


@pytest.mark.parametrize("name", [n for n in Name if n not in COMMANDS])
def test_window_only_actions_are_refused_from_the_socket(name: Name) -> None:
    with pytest.raises(CommandError, match="unknown command"):
        check_command(Command(name))
