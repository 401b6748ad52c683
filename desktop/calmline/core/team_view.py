"""What the agent sees of the team's memory when a caller rings: the badge
("3 earlier calls · last: pending refund, 2 days ago, agent-12"), the promises
still open from anyone on the team ("Callback promised by Friday — agent-12"),
an active caution marker as one calm line, and how old the team's part is.
Pure: the values the window shows and their words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from calmline.core.after_call import RESOLUTION_WORDS, ago_text
from calmline.core.display_text import ID_MAX, line
from calmline.core.records import FollowUp, Incident
from calmline.core.team import (
    MarkerReason,
    MarkerState,
    TeamIncident,
    TeamPromise,
)

PROMISE_MAX = 80  # a promise's words in its line
BADGE_PART = 20  # a category or an agent id inside the badge: it stays one short line
STALE_AFTER = timedelta(minutes=30)  # older team history than this is said to be old
REASON_WORDS = {
    MarkerReason.THREATS: "threats",
    MarkerReason.SUSTAINED_ABUSE: "sustained abuse",
    MarkerReason.HARASSMENT: "harassment",
}


@dataclass(frozen=True)
class CallerMemory:
    """What this computer and the team store know of the caller in a call."""

    earlier: tuple[TeamIncident, ...] = ()  # newest first; the agent's own too; not this call
    open_promises: tuple[TeamPromise, ...] = ()  # not done, not kept; soonest due first
    cautions: tuple[MarkerState, ...] = ()  # active markers of this caller
    as_of: datetime | None = None  # when the team's part was last read (None: never)
    live: bool = False  # the team store answered for this call, just now
    earlier_total: int = 0  # all the caller's earlier calls (``earlier`` may hold the newest only)

    @property
    def empty(self) -> bool:
        return not (self.earlier or self.open_promises or self.cautions)


def own_incident(inc: Incident, agent_id: str) -> TeamIncident:
    """One of this computer's own incidents, as the team sees it."""
    return TeamIncident(
        id=inc.meta.id,
        version=inc.meta.version,
        agent_id=agent_id,
        started_at=inc.started_at,
        ended_at=inc.ended_at,
        caller_number=inc.caller_number,
        customer_ref=inc.customer_ref,
        category=inc.category,
        resolution=inc.resolution,
        agreed_resolution=inc.agreed_resolution,
        apology_kind=inc.apology_kind,
        summary=inc.summary,
    )


def own_promise(f: FollowUp, agent_id: str) -> TeamPromise:
    return TeamPromise(
        id=f.meta.id,
        version=f.meta.version,
        incident_id=f.incident_id,
        agent_id=agent_id,
        what=f.what,
        who=f.who,
        due=f.due,
        done_at=f.done_at,
    )


def last_words(inc: TeamIncident) -> str:
    """'pending refund': the outcome, and what the call was about."""
    outcome = RESOLUTION_WORDS[inc.resolution]
    about = line(inc.category, BADGE_PART)
    return f"{outcome} {about}" if about else outcome


def memory_badge(memory: CallerMemory, me: str, now: datetime) -> str:
    """'3 earlier calls · last: pending refund, 2 days ago, agent-12'; '' for a
    new caller. The agent's own calls say 'you'."""
    if not memory.earlier:
        return ""
    last = memory.earlier[0]
    n = max(memory.earlier_total, len(memory.earlier))
    noun = "call" if n == 1 else "calls"
    who = "you" if last.agent_id == me else line(last.agent_id, BADGE_PART)
    return f"{n} earlier {noun} · last: {last_words(last)}, {ago_text(last.started_at, now)}, {who}"


def due_words(due: date | None, today: date) -> str:
    """'by today', 'by tomorrow', 'by Friday' (this week), 'by 12 Dec', 'overdue since 2 Dec'."""
    if due is None:
        return ""
    if due < today:
        return f"overdue since {due.day} {due:%b}"
    if due == today:
        return "by today"
    if due == today + timedelta(days=1):
        return "by tomorrow"
    if due < today + timedelta(days=7):
        return f"by {due:%A}"
    return f"by {due.day} {due:%b}"


def promise_line(p: TeamPromise, me: str, today: date) -> str:
    """'Callback promised by Friday — agent-12' ('— you' for the agent's own)."""
    what = line(p.what, PROMISE_MAX)
    what = what[:1].upper() + what[1:]
    due = due_words(p.due, today)
    who = "you" if p.agent_id == me else line(p.agent_id, ID_MAX)
    return f"{what} promised {due} — {who}" if due else f"{what} promised — {who}"


def caution_line(state: MarkerState) -> str:
    """One calm line: the marker's reason and until when it stands."""
    reason = REASON_WORDS[state.marker.reason]
    until = f", reviewed by {state.review_by:%d %b %Y}" if state.review_by else ""
    return (
        f"Caution: this caller is marked for {reason}{until}. "
        "Stay calm; you may end an abusive call."
    )


def age_words(memory: CallerMemory, now: datetime, stale_after: timedelta = STALE_AFTER) -> str:
    """'' while the team's part is fresh (or live); else how old it is."""
    if memory.live:
        return ""
    if memory.as_of is None:
        return "Team history not read yet: your own calls only."
    age = now - memory.as_of
    if age <= stale_after:
        return ""
    return f"Team history as of {ago_text(memory.as_of, now)} (the team store did not answer)."
