"""Promised follow-ups: which are due, how the window's badge reads, and
marking one done. Pure: "today" is always passed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from enum import StrEnum

from calmline.core.problems import Problem, ProblemsError
from calmline.core.records import FollowUp


class Due(StrEnum):
    OVERDUE = "overdue"
    TODAY = "due today"
    LATER = "later"
    UNDATED = "no date"
    DONE = "done"


def due_state(f: FollowUp, today: date) -> Due:
    if f.done_at is not None:
        return Due.DONE
    if f.due is None:
        return Due.UNDATED
    if f.due < today:
        return Due.OVERDUE
    return Due.TODAY if f.due == today else Due.LATER


def is_due(f: FollowUp, today: date) -> bool:
    """Open and due today or earlier: what the agent must see now."""
    return due_state(f, today) in (Due.OVERDUE, Due.TODAY)


def due_text(f: FollowUp, today: date) -> str:
    """'overdue by 2 days', 'due today', 'due Fri 27 Nov', 'no date', 'done 22 Nov'."""
    state = due_state(f, today)
    if state is Due.DONE:
        assert f.done_at is not None
        return f"done {f.done_at.astimezone():%d %b}"
    if f.due is None:
        return "no date"
    if state is Due.OVERDUE:
        days = (today - f.due).days
        return f"overdue by {days} day{'s' if days != 1 else ''}"
    if state is Due.TODAY:
        return "due today"
    return f"due {f.due:%a %d %b}"


def badge_text(followups: Iterable[FollowUp], today: date) -> str:
    """The window's follow-up badge: '' when nothing is due."""
    states = [due_state(f, today) for f in followups]
    overdue, today_n = states.count(Due.OVERDUE), states.count(Due.TODAY)
    if not overdue and not today_n:
        return ""
    parts = [f"{overdue} overdue"] if overdue else []
    if today_n:
        parts.append(f"{today_n} due today")
    return "Follow-ups: " + ", ".join(parts)


def complete(f: FollowUp, note: str, at: datetime) -> FollowUp:
    """``f`` marked done at ``at``; the note says what was done (required)."""
    if f.done_at is not None:
        raise ProblemsError(
            [Problem("follow-up", f"'{f.what}' is already done", fix="nothing to do")]
        )
    if not note.strip():
        raise ProblemsError(
            [
                Problem(
                    "follow-up",
                    "a done follow-up needs a note",
                    key="done_note",
                    fix="say what was done, e.g. 'refund confirmed by email'",
                )
            ]
        )
    return replace(f, done_at=at, done_note=note.strip())
