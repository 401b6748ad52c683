"""The words for what an action did: one function per audience, each fact
worded here once. The softphone (and any command line) gets a short line for a
terminal; the window shows a passing status line (or nothing, where the window
itself shows the change). Pure; step titles and notes are outside text, cut to
fit with core/display_text.py."""

from __future__ import annotations

from calmline.core.after_call import caller_of, clock_text
from calmline.core.display_text import line
from calmline.core.outcomes import (
    CallEnded,
    CallStarted,
    FollowUpDone,
    HotkeysReported,
    IncidentSaved,
    MarkerProposed,
    NoteSaved,
    Outcome,
    PromiseKeptOutcome,
    ShiftEnded,
    ShiftStarted,
    StepsSwitched,
    TeamUpdated,
    Ticked,
    Unticked,
    WindowShown,
)
from calmline.core.records import StepSource

STEP_IN_LINE = 60  # a step's title inside the window's status line


def for_softphone(outcome: Outcome) -> str:
    """The reply a forwarded command prints (`calmline call start ...`)."""
    match outcome:
        case ShiftStarted(shift):
            return f"shift started for {shift.agent_id}"
        case ShiftEnded(_, drafts):
            pending = f"; {len(drafts)} incident draft(s) still to finish" if drafts else ""
            return f"shift ended{pending}"
        case CallStarted(call, shift_started):
            who = caller_of(call)
            also = " (shift started)" if shift_started else ""
            return f"call started{f' with {who}' if who else ''}{also}"
        case CallEnded(incident):
            assert incident.ended_at is not None
            length = clock_text((incident.ended_at - incident.started_at).total_seconds())
            return f"call ended after {length}; incident form open"
        case NoteSaved(note):
            if note.incident_id is None:
                return "saved as a shift note (no call in progress)"
            return f"note saved at {clock_text(note.call_offset_s)} into the call"
        case Ticked(step, nxt):
            after = f"; next: {nxt.title}" if nxt else "; all done"
            return f"ticked '{step.title}'{after}"
        case Unticked(step):
            return f"unticked '{step.title}'"
        case IncidentSaved(incident):
            return f"incident saved ({incident.status.value})"
        case FollowUpDone(followup):
            return f"follow-up done: {followup.what}"
        case HotkeysReported(lines, _):
            return "\n".join(lines)
        case WindowShown():
            return "window shown"
        case MarkerProposed(marker):
            return f"caution marker proposed ({marker.reason.value}); a team lead reviews it"
        case TeamUpdated(_, count):
            return f"team history: {count} new or changed"
    return for_window(outcome)


def for_window(outcome: Outcome) -> str:
    """The window's passing status line; "" when the window shows the change
    itself (a call's timer, the ticked box, the form that opened)."""
    match outcome:
        case Ticked(source=StepSource.HEARD):
            return ""  # the listening bar says what was heard, with its Undo
        case Ticked(step, nxt):
            after = f" — next: {line(nxt.title, STEP_IN_LINE)}" if nxt else " — all steps done"
            return f"Ticked: {line(step.title, STEP_IN_LINE)}{after}"
        case Unticked(step):
            return ""
        case NoteSaved(note):
            return f"Note saved: {note.text}"
        case StepsSwitched(abusive):
            return "Abusive-caller steps shown" if abusive else "Back to the usual steps"
        case FollowUpDone():
            return ""
        case PromiseKeptOutcome(_, what, promiser):
            whose = f" ({promiser}'s promise)" if promiser else ""
            return f"Recorded as kept on this call: {line(what, STEP_IN_LINE)}{whose}"
        case MarkerProposed():
            return "Caution marker proposed — a team lead reviews it"
        case TeamUpdated():
            return ""
        case IncidentSaved() | ShiftStarted() | ShiftEnded() | CallStarted() | CallEnded():
            return ""
        case WindowShown() | HotkeysReported():
            return ""
    raise TypeError(f"no words for {outcome!r}")
