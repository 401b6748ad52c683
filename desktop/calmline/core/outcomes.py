"""What an action did, as a value: the flow returns one for every action,
whichever door asked (button, tray, hotkey, softphone, second launch), and
core/wording.py turns it into words for that door. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from calmline.core.playbook import Step
from calmline.core.records import FollowUp, Incident, MarkerProposal, Note, Shift, StepSource


@dataclass(frozen=True)
class ShiftStarted:
    shift: Shift


@dataclass(frozen=True)
class ShiftEnded:
    shift: Shift
    drafts: list[Incident]  # incidents still to finish: pending work


@dataclass(frozen=True)
class CallStarted:
    call: Incident
    shift_started: bool  # the call started the shift too (shift.auto_start)


@dataclass(frozen=True)
class CallEnded:
    incident: Incident  # the saved draft: its form opens


@dataclass(frozen=True)
class NoteSaved:
    note: Note


@dataclass(frozen=True)
class Ticked:
    step: Step
    next: Step | None  # None: every step is done
    source: StepSource = StepSource.CLICKED
    phrase: str = ""  # a heard tick: the listen_for phrase that matched


@dataclass(frozen=True)
class Unticked:
    step: Step


@dataclass(frozen=True)
class StepsSwitched:
    abusive: bool  # the abusive-caller steps are shown


@dataclass(frozen=True)
class IncidentSaved:
    incident: Incident


@dataclass(frozen=True)
class FollowUpDone:
    followup: FollowUp


@dataclass(frozen=True)
class WindowShown:
    pass


@dataclass(frozen=True)
class HotkeysReported:
    lines: tuple[str, ...]  # one per hotkey: what it does and whether it is ours
    ok: bool  # every configured hotkey could be had


@dataclass(frozen=True)
class PromiseKeptOutcome:
    """A promise to the caller recorded kept on this call: the agent's own
    follow-up marked done, or another agent's recorded kept (``promiser``)."""

    followup_id: str
    what: str
    promiser: str = ""  # "" when it was this agent's own


@dataclass(frozen=True)
class MarkerProposed:
    marker: MarkerProposal


@dataclass(frozen=True)
class TeamUpdated:
    """The local team cache took new values (a refresh, or a live answer)."""

    live: bool
    count: int


Outcome = (
    ShiftStarted
    | ShiftEnded
    | CallStarted
    | CallEnded
    | NoteSaved
    | Ticked
    | Unticked
    | StepsSwitched
    | IncidentSaved
    | FollowUpDone
    | WindowShown
    | HotkeysReported
    | PromiseKeptOutcome
    | MarkerProposed
    | TeamUpdated
)
