"""What the window and the incident form derive from the records: the caller's
history badge, the point-form summary from quick notes, the steps ticked, and
follow-ups from promises. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from calmline.core.cue_kinds import CueKind
from calmline.core.records import (
    AbuseLevel,
    ApologyKind,
    FollowUp,
    Incident,
    IncidentStatus,
    Note,
    Resolution,
    StepAction,
    StepEvent,
)

RESOLUTION_WORDS = {
    Resolution.NONE: "unresolved",
    Resolution.TOTAL: "resolved",
    Resolution.PENDING: "pending",
    Resolution.ESCALATED: "escalated",
    Resolution.DECLINED: "declined",
}


APOLOGY_WORDS = {
    ApologyKind.NONE: "none",
    ApologyKind.DIRECT: "direct (named the fault)",
    ApologyKind.BLAMELESS: "blameless (sorry for the trouble)",
    ApologyKind.NON_APOLOGY: "non-apology",
}


def caller_of(inc: Incident) -> str:
    """The caller as people know them: the number, else the customer reference."""
    return inc.caller_number or inc.customer_ref


def headline(inc: Incident) -> str:
    """The summary's first line, without its point-form dash ('' if none)."""
    text = inc.summary.strip()
    return text.splitlines()[0].lstrip("- ") if text else ""


def duration_text(seconds: float | None) -> str:
    """A span for people: '45 s', '12 min', '2 h 05 min'; '–' when unknown."""
    if seconds is None:
        return "–"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, s = divmod(s, 60)
        return f"{m} min {s:02d} s" if s else f"{m} min"
    h, rest = divmod(s, 3600)
    return f"{h} h {rest // 60:02d} min"


def clock_text(seconds: float | None) -> str:
    """Call time as m:ss, or h:mm:ss past an hour."""
    if seconds is None:
        return "--:--"
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def ago_text(then: datetime, now: datetime) -> str:
    s = (now - then).total_seconds()
    if s < 90:
        return "just now"
    if s < 3600:
        return f"{round(s / 60)} min ago"
    if s < 86400:
        return f"{round(s / 3600)} h ago"
    days = round(s / 86400)
    return "yesterday" if days == 1 else f"{days} days ago"


def outcome_word(inc: Incident) -> str:
    if inc.status is IncidentStatus.DRAFT and inc.resolution is Resolution.NONE:
        return "not logged yet"
    return RESOLUTION_WORDS[inc.resolution]


def history_badge(earlier: Iterable[Incident], now: datetime) -> str:
    """'2 earlier incidents · last: pending, 3 days ago', or '' for a new caller."""
    found = sorted(earlier, key=lambda i: i.started_at)
    if not found:
        return ""
    last = found[-1]
    n = len(found)
    noun = "incident" if n == 1 else "incidents"
    return f"{n} earlier {noun} · last: {outcome_word(last)}, {ago_text(last.started_at, now)}"


def break_reason(inc: Incident, raised_after: int) -> str:
    """Why a few minutes before the next call would help, or '' (an abusive call,
    or the agent's voice rose ``raised_after`` times or more)."""
    raised = inc.voice.count(CueKind.RAISED_VOICE.value)
    if inc.abuse_level is AbuseLevel.ABUSIVE:
        return "That caller was abusive."
    if raised >= raised_after:
        return f"Your voice rose {raised} times on that call."
    return ""


def summary_from_notes(notes: Iterable[Note]) -> str:
    """Quick notes as an editable point-form summary, one point per line."""
    return "\n".join(f"- [{clock_text(n.call_offset_s)}] {n.text}" for n in notes)


def standing_ticks(events: Iterable[StepEvent]) -> list[StepEvent]:
    """The tick events of the steps still ticked at the end of the call, in call
    time order (each carries its time and its source)."""
    done: dict[str, StepEvent] = {}
    for e in sorted(events, key=lambda e: e.wall_time):
        if e.action is StepAction.TICK:
            done[e.step_id] = e
        elif e.action is StepAction.UNTICK:
            done.pop(e.step_id, None)
    return sorted(done.values(), key=lambda e: e.call_offset_s)


def ticked_steps(events: Iterable[StepEvent]) -> list[tuple[str, float]]:
    """Steps ticked at the end of the call, with the call time of their tick."""
    return [(e.step_id, e.call_offset_s) for e in standing_ticks(events)]


def followups_to_create(inc: Incident, existing: Iterable[FollowUp]) -> list[FollowUp]:
    """One follow-up per promised next step not already tracked (saving twice
    must not duplicate them)."""
    have = {(f.what.strip(), f.who.strip(), f.due) for f in existing}
    out = []
    for p in inc.next_steps:
        key = (p.what.strip(), p.who.strip(), p.due)
        if key[0] and key not in have:
            have.add(key)
            out.append(FollowUp(incident_id=inc.meta.id, what=key[0], who=key[1], due=p.due))
    return out
