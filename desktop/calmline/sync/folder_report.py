"""The team report from a folder store (`calmline report --team`): read from
the share by the walk folder_read.py makes, for a lead (FolderTarget.report
checks .calmline-leads first).

What it reads: incidents and follow-ups of the day folders from the day before
``start`` (a night shift's folder is its start day) to ``end``; promises-kept
records from then on (a promise may be kept after the period); markers and
decisions of every day (a marker awaits review until decided, however old).
Other documents are known by their names and never opened.

The figures: per agent, the calls started in the period, their outcomes, the
mean after-call time (the record's finalised_at - ended_at, final incidents
only, as core/shift_summary.after_call_s), and the overdue promises among the
period's follow-ups (due before ``today``, not done, not recorded kept by
anyone); talk share and raised-voice calls only from records carrying "voice"
(IT's sync.share_voice_figures), else None. Repeat callers: two or more calls
in the period by number key, else customer-ref key."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from calmline.core.cue_kinds import CueKind
from calmline.core.serialize import parse_iso
from calmline.core.team import (
    CautionMarker,
    MarkerDecision,
    MarkerStatus,
    PromiseKept,
    TeamIncident,
    TeamPromise,
    is_kept,
    marker_state,
    number_key,
    ref_key,
)
from calmline.core.team_report import REPEAT_ROWS, AgentRow, RepeatCaller, TeamReport
from calmline.sync.folder_read import ShareWalk

_ALWAYS = frozenset({"marker", "marker_decision"})


class _Versioned(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=_Versioned)


def _newer(table: dict[str, V], value: V) -> None:
    held = table.get(value.id)
    if held is None or held.version < value.version:
        table[value.id] = value


class _Read:
    """The newest version of each record the report needs."""

    def __init__(self) -> None:
        self.incidents: dict[str, TeamIncident] = {}
        self.records: dict[str, dict[str, Any]] = {}  # incident id -> its record as written
        self.promises: dict[str, TeamPromise] = {}
        self.kept: dict[str, PromiseKept] = {}
        self.markers: dict[str, CautionMarker] = {}
        self.decisions: dict[str, MarkerDecision] = {}

    def take(self, value: object, record: dict[str, Any]) -> None:
        if isinstance(value, TeamIncident):
            _newer(self.incidents, value)
            if self.incidents[value.id] is value:
                self.records[value.id] = record
        elif isinstance(value, TeamPromise):
            _newer(self.promises, value)
        elif isinstance(value, PromiseKept):
            _newer(self.kept, value)
        elif isinstance(value, CautionMarker):
            _newer(self.markers, value)
        elif isinstance(value, MarkerDecision):
            _newer(self.decisions, value)


def team_report(walk: ShareWalk, start: date, end: date, today: date, store: str) -> TeamReport:
    first, last = (start - timedelta(days=1)).isoformat(), end.isoformat()

    def types_for(day: str) -> frozenset[str]:
        if day < first:
            return _ALWAYS
        if day <= last:
            return _ALWAYS | {"incident", "followup", "promise_kept"}
        return _ALWAYS | {"promise_kept"}

    got = _Read()
    for _agent, _day, doc in walk.documents(types_for):
        got.take(doc.value, doc.record)
    calls = sorted(
        (
            (inc, got.records[inc.id])
            for inc in got.incidents.values()
            if start <= inc.started_at.date() <= end
        ),
        key=lambda pair: pair[0].started_at,
    )
    ids = {inc.id for inc, _ in calls}
    kept = list(got.kept.values())
    overdue = Counter(
        p.agent_id
        for p in got.promises.values()
        if p.incident_id in ids and p.due is not None and p.due < today and not is_kept(p, kept)
    )
    by_agent: dict[str, list[tuple[TeamIncident, dict[str, Any]]]] = defaultdict(list)
    for pair in calls:
        by_agent[pair[0].agent_id].append(pair)
    agents = tuple(
        _agent_row(agent, by_agent.get(agent, []), overdue[agent])
        for agent in sorted(set(by_agent) | set(overdue))
    )
    repeats = _repeat_callers([inc for inc, _ in calls])
    decisions = list(got.decisions.values())
    awaiting = tuple(
        sorted(
            (
                m
                for m in got.markers.values()
                if marker_state(m, decisions, today).status is MarkerStatus.PROPOSED
            ),
            key=lambda m: m.proposed_at,
        )
    )
    return TeamReport(
        start, end, today, store, agents, tuple(repeats[:REPEAT_ROWS]), awaiting, len(repeats)
    )


def _agent_row(
    agent: str, calls: list[tuple[TeamIncident, dict[str, Any]]], overdue: int
) -> AgentRow:
    outcomes = Counter(inc.resolution.value for inc, _ in calls)
    waits = [s for s in (_after_call_s(record) for _, record in calls) if s is not None]
    voices = [v for v in (record.get("voice") for _, record in calls) if isinstance(v, dict)]
    shares = [v["talk_share"] for v in voices if _number(v.get("talk_share"))]
    return AgentRow(
        agent_id=agent,
        calls=len(calls),
        outcomes=tuple(sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0]))),
        after_call_s=sum(waits) / len(waits) if waits else None,
        overdue_promises=overdue,
        talk_share=sum(shares) / len(shares) if shares else None,
        raised_voice_calls=sum(1 for v in voices if _raised(v)) if voices else None,
    )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _after_call_s(record: dict[str, Any]) -> float | None:
    """The incident record's after-call time (None for a draft, or when its
    times are missing or not times: the record is data from the share)."""
    if record.get("status") != "final":
        return None
    try:
        ended, final = parse_iso(record["ended_at"]), parse_iso(record["finalised_at"])
    except (KeyError, TypeError, ValueError):
        return None
    return max(0.0, (final - ended).total_seconds())


def _raised(voice: dict[str, Any]) -> bool:
    counts = voice.get("cue_counts")
    if not isinstance(counts, list):
        return False
    return any(
        isinstance(pair, list)
        and len(pair) == 2
        and pair[0] == CueKind.RAISED_VOICE.value
        and _number(pair[1])
        and pair[1] > 0
        for pair in counts
    )


def _repeat_callers(calls: list[TeamIncident]) -> list[RepeatCaller]:
    """Callers with two or more of ``calls`` (oldest first), most calls first."""
    groups: dict[str, list[TeamIncident]] = defaultdict(list)
    for inc in calls:
        number = number_key(inc.caller_number)
        key = f"n:{number}" if number else f"r:{ref_key(inc.customer_ref)}"
        if key != "r:":
            groups[key].append(inc)
    rows = [
        RepeatCaller(
            caller=group[0].caller_number if key.startswith("n:") else group[0].customer_ref,
            calls=len(group),
            agents=len({inc.agent_id for inc in group}),
            last_at=max(inc.started_at for inc in group),
        )
        for key, group in groups.items()
        if len(group) >= 2
    ]
    return sorted(rows, key=lambda r: (-r.calls, -_ts(r.last_at), r.caller))


def _ts(when: datetime) -> float:
    return when.timestamp()
