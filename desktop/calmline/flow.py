"""The call and shift flow with its records kept: every transition of the pure
Session is saved to the local store at once, and listeners (the window, the
tray) are told. Commands from the softphone arrive here too.

Not thread-safe: it lives on the GUI thread, like the store it writes to.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from calmline.core.after_call import caller_of, clock_text, followups_to_create, ticked_steps
from calmline.core.commands import Command, Reply
from calmline.core.playbook import Playbook
from calmline.core.problems import ProblemsError
from calmline.core.records import (
    AbuseLevel,
    Incident,
    IncidentStatus,
    Note,
    Shift,
    VoiceFigures,
    incident_problems,
)
from calmline.core.session import Clock, Session, TransitionError, utc_now

if TYPE_CHECKING:  # the window imports this module before the database layer is loaded
    from datetime import datetime

    from calmline.store.repository import Store

log = logging.getLogger(__name__)


class FlowEvent(StrEnum):
    SHIFT = "shift"  # started or ended
    CALL = "call"  # started
    CALL_ENDED = "call-ended"  # payload: the saved draft incident
    STEPS = "steps"  # ticked, unticked, or the playbook switched
    NOTE = "note"  # payload: None; the note is in ``last_note``
    INCIDENT_SAVED = "incident-saved"  # the incident form saved; payload: the incident


Listener = Callable[[FlowEvent, Incident | None], None]


class SaveFailed(TransitionError):
    """The local database refused a save: the action did not happen, the state is
    as it was before it, and it can be tried again once the cause is gone."""


@dataclass(frozen=True)
class ShiftEnd:
    shift: Shift
    drafts: list[Incident]  # incidents still to finish: pending work


class Flow:
    def __init__(
        self,
        store: Store,
        playbook: Playbook,
        abusive_playbook: Playbook,
        *,
        agent_id: str = "",
        auto_start_shift: bool = False,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.playbooks = {False: playbook, True: abusive_playbook}
        self.agent_id = agent_id
        self.auto_start_shift = auto_start_shift
        self.clock = clock
        self.session = Session(playbook, clock)
        self.abusive = False
        self.last_note: Note | None = None
        self.listeners: list[Listener] = []
        self.voice: Callable[[], VoiceFigures] | None = None  # the meter, when there is one
        self._resume()

    # -- state -------------------------------------------------------------
    @property
    def shift(self) -> Shift | None:
        return self.session.shift

    @property
    def call(self) -> Incident | None:
        return self.session.call

    @property
    def playbook(self) -> Playbook:
        return self.session.playbook

    def _resume(self) -> None:
        shift = self.store.open_shift()
        if shift is None:
            return
        call = self.store.open_call(shift.meta.id)
        ticked: list[str] = []
        if call is not None:
            events = self.store.step_events_for(call.meta.id)
            self.abusive = call.playbook_id == self.playbooks[True].id
            self.session.playbook = self.playbooks[self.abusive]
            ticked = [step for step, _ in ticked_steps(events)]
        self.session.restore(shift, call, ticked)
        log.info("resumed shift %s%s", shift.meta.id, " with an open call" if call else "")

    @contextmanager
    def _saving(self, action: str) -> Iterator[None]:
        """Run a transition and its saves; when the database refuses (a full disk,
        a read-only folder...), put the session back as it was, so the same action
        can be done again once the cause is gone — a call is never stranded open
        in the window while the database says otherwise."""
        s = self.session
        kept = (s.shift, s.call, list(s.ticked), s.playbook, self.abusive)
        from calmline.store.database import checkpoint, failure_text

        try:
            with self.store.db.atomic():  # all of an action's records, or none
                yield
        except (sqlite3.Error, OSError) as exc:
            s.shift, s.call, s.ticked, s.playbook, self.abusive = kept
            log.error("cannot %s: %s", action, exc)
            raise SaveFailed(
                f"cannot {action}: {failure_text(exc)} — nothing saved is lost; "
                "try again once that is fixed"
            ) from exc
        checkpoint(self.store.db)

    def _emit(self, event: FlowEvent, incident: Incident | None = None) -> None:
        for listener in list(self.listeners):
            listener(event, incident)

    # -- shift -------------------------------------------------------------
    def start_shift(self, agent_id: str = "") -> Shift:
        with self._saving("start the shift"):
            shift = self.store.save(self.session.start_shift(agent_id or self.agent_id))
        self.session.shift = shift
        self._emit(FlowEvent.SHIFT)
        return shift

    def end_shift(self) -> ShiftEnd:
        if self.session.shift is None:
            raise TransitionError("cannot end a shift: no shift is running")
        shift_id = self.session.shift.meta.id
        with self._saving("end the shift"):
            ended = self.store.save(self.session.end_shift())
        drafts = self.store.incidents(shift_id=shift_id, status=IncidentStatus.DRAFT)
        self._emit(FlowEvent.SHIFT)
        return ShiftEnd(ended, drafts)

    # -- call --------------------------------------------------------------
    def start_call(self, caller_number: str = "", customer_ref: str = "") -> Incident:
        if self.session.shift is None and self.auto_start_shift:
            self.start_shift()
        with self._saving("start the call"):
            self._set_abusive(False)
            call = self.store.save(self.session.start_call(caller_number, customer_ref))
        self.session.call = call
        self._emit(FlowEvent.CALL)
        return call

    def end_call(self) -> Incident:
        with self._saving("end the call"):
            ended = self.session.end_call()
            if self.voice is not None:
                ended = replace(ended, voice=self.voice())
            if self.abusive:
                ended = replace(ended, abuse_level=max(ended.abuse_level, AbuseLevel.ABUSIVE))
            saved = self.store.save(ended)
            self._set_abusive(False)
        self._emit(FlowEvent.CALL_ENDED, saved)
        return saved

    def history(self, incident: Incident) -> list[Incident]:
        """Earlier incidents of the same caller (by number or customer reference),
        newest first: what the search dialog shows from the history badge."""
        if not caller_of(incident):
            return []
        from calmline.store.search import SearchQuery

        query = SearchQuery(
            caller_number=incident.caller_number,
            customer_ref=incident.customer_ref,
            exclude_id=incident.meta.id,
            limit=-1,  # all of them
        )
        return [i for i in self.store.search(query) if i.started_at < incident.started_at]

    # -- steps and notes ---------------------------------------------------
    def tick(self, step_id: str | None = None) -> str:
        """Tick a step (default: the current one); returns the step id."""
        with self._saving("tick the step"):
            event = self.store.save(self.session.tick(step_id))
        self._emit(FlowEvent.STEPS)
        return event.step_id

    def untick(self, step_id: str) -> None:
        with self._saving("untick the step"):
            self.store.save(self.session.untick(step_id))
        self._emit(FlowEvent.STEPS)

    def set_abusive(self, on: bool) -> None:
        """Switch the checklist to the abusive-caller playbook (or back); recorded
        with its call time when in a call."""
        if on == self.abusive:
            return
        with self._saving("switch the steps"):
            self._set_abusive(on)
        self._emit(FlowEvent.STEPS)

    def _set_abusive(self, on: bool) -> None:
        if on == self.abusive:
            return
        self.abusive = on
        event = self.session.switch_playbook(self.playbooks[on])
        if event is not None and self.session.call is not None:
            self.session.call = self.store.save(self.session.call)
            self.store.save(event)

    def note(self, text: str, at: datetime | None = None) -> Note:
        with self._saving("save the note"):
            note = self.store.save(self.session.note(text, at))
        self.last_note = note
        self._emit(FlowEvent.NOTE)
        return note

    # -- after the call ----------------------------------------------------
    def save_incident(self, incident: Incident, final: bool) -> Incident:
        """Save the incident form: a draft as is; final only when complete, and
        then its promised next steps become follow-ups."""
        if final:
            problems = incident_problems(incident)
            if problems:
                raise ProblemsError(problems)
            first = incident.finalised_at or self.clock()
            incident = replace(incident, status=IncidentStatus.FINAL, finalised_at=first)
        with self._saving("save the incident"):
            saved = self.store.save(incident)
            if final:
                existing = self.store.followups_for(saved.meta.id)
                for followup in followups_to_create(saved, existing):
                    self.store.save(followup)
        self._emit(FlowEvent.INCIDENT_SAVED, saved)
        return saved

    def drafts(self) -> list[Incident]:
        """Ended calls whose incident is still a draft (this shift, or any if none)."""
        shift_id = self.session.shift.meta.id if self.session.shift else None
        drafts = self.store.incidents(shift_id=shift_id, status=IncidentStatus.DRAFT)
        return [d for d in drafts if d.ended_at is not None]

    # -- softphone commands ------------------------------------------------
    def execute(self, cmd: Command) -> Reply:
        """Run a forwarded command; a refusal is a Reply with ok=False."""
        try:
            return Reply(True, self._run(cmd))
        except TransitionError as exc:
            return Reply(False, str(exc))

    def _run(self, cmd: Command) -> str:
        if cmd.name == "shift-start":
            shift = self.start_shift(cmd.arg("agent"))
            return f"shift started for {shift.agent_id}"
        if cmd.name == "shift-end":
            end = self.end_shift()
            pending = f"; {len(end.drafts)} incident draft(s) still to finish" if end.drafts else ""
            return f"shift ended{pending}"
        if cmd.name == "call-start":
            started_shift = self.session.shift is None
            if started_shift and self.auto_start_shift and not self.agent_id.strip():
                raise TransitionError(
                    "cannot start a shift for this call: agent_id is not set — "
                    "set agent_id in config.toml or run `calmline shift start --agent ID`"
                )
            call = self.start_call(cmd.arg("caller"), cmd.arg("customer"))
            who = caller_of(call)
            also = " (shift started)" if started_shift else ""
            return f"call started{f' with {who}' if who else ''}{also}"
        if cmd.name == "call-end":
            ended = self.end_call()
            assert ended.ended_at is not None
            length = clock_text((ended.ended_at - ended.started_at).total_seconds())
            return f"call ended after {length}; incident form open"
        if cmd.name == "note":
            note = self.note(cmd.arg("text"))
            if note.incident_id is None:
                return "saved as a shift note (no call in progress)"
            return f"note saved at {clock_text(note.call_offset_s)} into the call"
        if cmd.name == "step-next":
            step = self.session.playbook.step(self.tick())
            nxt = self.session.next_step()
            after = f"; next: {self.session.playbook.step(nxt).title}" if nxt else "; all done"
            return f"ticked '{step.title}'{after}"
        raise TransitionError(f"{cmd.name} is handled by the window, not the flow")
