"""The records Calmline keeps: shifts, incidents (one per call), notes, step events,
follow-ups. Frozen dataclasses; the store assigns versions and timestamps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum

from calmline.core.problems import Problem


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Meta:
    """Identity and change tracking shared by every record; version 0 = never saved."""

    id: str = field(default_factory=new_id)
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ApologyKind(StrEnum):
    NONE = "none"
    DIRECT = "direct"  # names what went wrong and apologises for it
    BLAMELESS = "blameless"  # sorry for the frustration, no fault admitted
    NON_APOLOGY = "non-apology"  # "sounds like we owe you an apology"


class Resolution(StrEnum):
    NONE = "none"
    TOTAL = "total"
    PENDING = "pending"  # e.g. a repair under warranty
    ESCALATED = "escalated"
    DECLINED = "declined-with-reason"  # request out of line, explained calmly


class AbuseLevel(IntEnum):
    NONE = 0
    AGGRESSIVE = 1
    ABUSIVE = 2


class IncidentStatus(StrEnum):
    DRAFT = "draft"
    FINAL = "final"


class StepAction(StrEnum):
    TICK = "tick"
    UNTICK = "untick"
    SWITCH_PLAYBOOK = "switch-playbook"


class StepSource(StrEnum):
    """Which door ticked a step: stored with its tick event, shown in the form.
    Only the door, never what was said: a heard tick keeps its step and time."""

    UNKNOWN = ""  # events saved before sources were recorded
    CLICKED = "clicked"  # the window's checklist
    HOTKEY = "hotkey"
    SOFTPHONE = "softphone"  # `calmline step next` from the softphone
    HEARD = "heard"  # the agent said one of the step's listen_for phrases


class MarkerReason(StrEnum):
    """Why a caller is marked: a fixed list, never free text about the person."""

    THREATS = "threats"
    SUSTAINED_ABUSE = "sustained-abuse"
    HARASSMENT = "harassment"


@dataclass(frozen=True)
class Promise:
    """A next step promised to the caller; becomes a follow-up."""

    what: str
    who: str = ""
    due: date | None = None


@dataclass(frozen=True)
class VoiceFigures:
    """The agent's voice over a call, from the meter (never audio)."""

    baseline_dbfs: float | None = None
    max_over_baseline_db: float | None = None
    talk_share: float | None = None
    cue_counts: tuple[tuple[str, int], ...] = ()
    # One point per second of the call: the mean speech level (dBFS) in that
    # second, None when the agent did not speak. Too coarse to hold any audio.
    levels_db: tuple[float | None, ...] = ()
    cue_marks: tuple[tuple[str, float], ...] = ()  # (kind, call second it started)

    def count(self, kind: str) -> int:
        """How many cues of ``kind`` (a CueKind value) the call raised."""
        return dict(self.cue_counts).get(kind, 0)


@dataclass(frozen=True)
class Shift:
    agent_id: str
    started_at: datetime
    ended_at: datetime | None = None
    meta: Meta = field(default_factory=Meta)


@dataclass(frozen=True)
class Incident:
    shift_id: str
    started_at: datetime
    ended_at: datetime | None = None
    playbook_id: str = ""
    caller_number: str = ""
    customer_ref: str = ""
    category: str = ""
    summary: str = ""  # point form, one point per line
    facts: str = ""
    apology_kind: ApologyKind = ApologyKind.NONE
    customer_proposed: bool = False
    customer_solution: str = ""
    resolution: Resolution = Resolution.NONE
    resolution_reason: str = ""  # why a request was declined
    agreed_resolution: str = ""
    next_steps: tuple[Promise, ...] = ()
    compensation_kind: str = ""
    compensation_amount: str = ""  # decimal text, currency-free
    escalated_to: str = ""
    abuse_level: AbuseLevel = AbuseLevel.NONE
    warnings_given: int = 0
    best_practice: bool = False
    best_practice_text: str = ""
    mood_start: int | None = None  # 1 (furious) .. 5 (calm)
    mood_end: int | None = None
    voice: VoiceFigures = field(default_factory=VoiceFigures)
    status: IncidentStatus = IncidentStatus.DRAFT
    finalised_at: datetime | None = None  # first saved as final: ends after-call work
    meta: Meta = field(default_factory=Meta)


@dataclass(frozen=True)
class Note:
    shift_id: str
    text: str
    wall_time: datetime
    incident_id: str | None = None  # None = a shift note, taken outside a call
    call_offset_s: float | None = None
    meta: Meta = field(default_factory=Meta)


@dataclass(frozen=True)
class StepEvent:
    incident_id: str
    step_id: str
    action: StepAction
    wall_time: datetime
    call_offset_s: float
    playbook_id: str = ""
    source: StepSource = StepSource.UNKNOWN
    meta: Meta = field(default_factory=Meta)


@dataclass(frozen=True)
class FollowUp:
    incident_id: str
    what: str
    who: str = ""
    due: date | None = None
    done_at: datetime | None = None
    done_note: str = ""
    meta: Meta = field(default_factory=Meta)


@dataclass(frozen=True)
class MarkerProposal:
    """This agent proposes, after an abusive call, that the caller be marked.
    A team lead reviews it in the team store; nothing here is about the person
    but the reason from the fixed list."""

    incident_id: str
    reason: MarkerReason
    proposed_at: datetime
    caller_number: str = ""
    customer_ref: str = ""
    meta: Meta = field(default_factory=Meta)


@dataclass(frozen=True)
class KeptPromise:
    """On this agent's call, another agent's promise to the caller was kept.
    The promiser's follow-up stays theirs; this record is this agent's own."""

    followup_id: str
    incident_id: str  # the call it was kept on
    kept_at: datetime
    meta: Meta = field(default_factory=Meta)


def incident_problems(inc: Incident, source: str = "incident") -> list[Problem]:
    """What must be fixed before an incident can be saved as final."""
    out: list[Problem] = []

    def bad(key: str, message: str, fix: str) -> None:
        out.append(Problem(source, message, key=key, fix=fix))

    for key, mood in (("mood_start", inc.mood_start), ("mood_end", inc.mood_end)):
        if mood is not None and not 1 <= mood <= 5:
            bad(key, f"mood {mood} out of range", "rate from 1 (furious) to 5 (calm)")
    if inc.warnings_given < 0:
        bad("warnings_given", f"{inc.warnings_given} is negative", "use 0 or more")
    if inc.resolution is Resolution.DECLINED and not inc.resolution_reason.strip():
        bad(
            "resolution_reason",
            "a declined request needs the reason given",
            "write why the request could not be accommodated",
        )
    if inc.resolution is Resolution.ESCALATED and not inc.escalated_to.strip():
        bad("escalated_to", "an escalation needs a target", "name the team or person")
    if inc.customer_proposed and not inc.customer_solution.strip():
        bad(
            "customer_solution",
            "flagged as customer-proposed but empty",
            "write what the caller proposed",
        )
    if inc.best_practice and not inc.best_practice_text.strip():
        bad(
            "best_practice_text",
            "flagged as best practice but empty",
            "describe the solution so others can reuse it",
        )
    if inc.compensation_amount:
        try:
            amount = float(inc.compensation_amount)
        except ValueError:
            amount = -1.0
        if amount < 0:
            bad(
                "compensation_amount",
                f"{inc.compensation_amount!r} is not an amount",
                "write a number such as 15 or 15.50",
            )
    for n, promise in enumerate(inc.next_steps, 1):
        if not promise.what.strip():
            bad(f"next_steps[{n}].what", "a promised next step is empty", "say what was promised")
    return out
