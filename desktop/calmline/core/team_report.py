"""The team report a lead reads (`calmline report --team`): what the team
store's own queries return, as values. Pure. Voice figures appear only when
IT shares them (sync.share_voice_figures): otherwise the agents' rows carry
none, because the team store holds none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from calmline.core.team import CautionMarker


@dataclass(frozen=True)
class AgentRow:
    agent_id: str
    calls: int
    outcomes: tuple[tuple[str, int], ...]  # (Resolution value, calls), most first
    after_call_s: float | None  # mean seconds from a call's end to its form saved as final
    overdue_promises: int  # open follow-ups whose due day is before the report's "today"
    # Only when the agent's voice figures are shared (None otherwise):
    talk_share: float | None = None  # mean share of the call the agent spoke
    raised_voice_calls: int | None = None  # calls with a raised-voice cue


@dataclass(frozen=True)
class RepeatCaller:
    caller: str  # the number, else the customer reference, as first written
    calls: int
    agents: int  # how many agents took them
    last_at: datetime


@dataclass(frozen=True)
class TeamReport:
    start: date
    end: date  # inclusive
    today: date
    store: str  # the team store's name (no secret)
    agents: tuple[AgentRow, ...]  # by agent id
    repeat_callers: tuple[RepeatCaller, ...]  # two or more calls in the period, most first
    awaiting_review: tuple[CautionMarker, ...]  # proposed markers with no decision, oldest first
    repeat_callers_total: int = 0  # before the report's cut (it shows the top REPEAT_ROWS)


REPEAT_ROWS = 50  # repeat callers shown; the total says how many there were
