"""The call and shift flow: the one place where actions and their rules live.

Every door — a button, the tray, a hotkey, the softphone's command line, a
second launch — turns its input into a Command and hands it to ``run``; one
table maps each command name to its handler, which applies the rules (the
pure Session's, and the flow's own, such as "no shift for a call without an
agent id"), saves every record at once in one transaction, tells the
listeners with the outcome as payload, and returns that outcome. The door
words it with core/wording.py. The methods below (start_call, tick...) are the
same handlers for callers that want the record itself (tests, the composition).

Readers ask ``queries`` (core/queries.py); only store/ touches the database.
Not thread-safe: it lives on the GUI thread, like the store it writes to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from calmline.core import outcomes as oc
from calmline.core import team_actions
from calmline.core.after_call import followups_to_create, ticked_steps
from calmline.core.clock import utc_now
from calmline.core.commands import Command, Name, Reply, note_time, step_source, switch_to
from calmline.core.followups import complete
from calmline.core.playbook import Playbook
from calmline.core.problems import ProblemsError
from calmline.core.records import (
    AbuseLevel,
    FollowUp,
    Incident,
    IncidentStatus,
    Note,
    Shift,
    StepSource,
    incident_problems,
)
from calmline.core.session import Clock, Session, TransitionError
from calmline.core.team import TeamChanges
from calmline.core.team_view import CallerMemory
from calmline.core.wording import for_softphone
from calmline.store.queries import StoreQueries
from calmline.store.repository import NotFoundError, SaveRefused, Store
from calmline.store.team_cache import TeamCache

if TYPE_CHECKING:
    from calmline.core.queries import Queries
    from calmline.core.voice_source import VoiceSource

log = logging.getLogger(__name__)


class FlowEvent(StrEnum):
    SHIFT = "shift"  # started or ended
    CALL = "call"  # started
    CALL_ENDED = "call-ended"  # payload: CallEnded, with the saved draft incident
    STEPS = "steps"  # ticked, unticked, or the playbook switched
    NOTE = "note"  # payload: NoteSaved
    INCIDENT_SAVED = "incident-saved"  # the incident form saved; payload: IncidentSaved
    FOLLOWUP_DONE = "followup-done"  # payload: FollowUpDone or PromiseKeptOutcome
    TEAM = "team"  # payload: TeamUpdated or MarkerProposed


Listener = Callable[[FlowEvent, oc.Outcome], None]
Handler = Callable[[Command], oc.Outcome]
Done = TypeVar("Done")
_EVENTS: dict[type, FlowEvent] = {
    oc.ShiftStarted: FlowEvent.SHIFT,
    oc.ShiftEnded: FlowEvent.SHIFT,
    oc.CallStarted: FlowEvent.CALL,
    oc.CallEnded: FlowEvent.CALL_ENDED,
    oc.Ticked: FlowEvent.STEPS,
    oc.Unticked: FlowEvent.STEPS,
    oc.StepsSwitched: FlowEvent.STEPS,
    oc.NoteSaved: FlowEvent.NOTE,
    oc.IncidentSaved: FlowEvent.INCIDENT_SAVED,
    oc.FollowUpDone: FlowEvent.FOLLOWUP_DONE,
    oc.PromiseKeptOutcome: FlowEvent.FOLLOWUP_DONE,
    oc.MarkerProposed: FlowEvent.TEAM,
    oc.TeamUpdated: FlowEvent.TEAM,
}
NO_AGENT = (
    "cannot start a shift for this call: agent_id is not set — "
    "set agent_id in config.toml or run `calmline shift start --agent ID`"
)


class SaveFailed(TransitionError):
    """The local database refused a save: the action did not happen, the state is
    as it was before it, and it can be tried again once the cause is gone."""


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
        voice: VoiceSource | None = None,  # the live meter's figures, when there is one
        voice_shared: bool = False,  # IT shares them with the lead (sync.share_voice_figures)
    ) -> None:
        self.store = store
        self.queries: Queries = StoreQueries(store)
        self.playbooks = {False: playbook, True: abusive_playbook}
        self.agent_id = agent_id
        self.auto_start_shift = auto_start_shift
        self.clock = clock
        self.voice, self.voice_shared = voice, voice_shared
        self._live_for = ""  # the call the team store answered live for
        self.session = Session(playbook, clock)
        self.abusive = False
        self.listeners: list[Listener] = []
        self.actions: dict[str, Handler] = {
            Name.SHIFT_START: lambda c: self._start_shift(c.arg("agent")),
            Name.SHIFT_END: lambda c: self.end_shift(),
            Name.CALL_START: lambda c: self._start_call(c.arg("caller"), c.arg("customer")),
            Name.CALL_END: lambda c: self._end_call(),
            Name.CALL_TOGGLE: lambda c: self._end_call() if self.call else self._start_call(),
            Name.NOTE: lambda c: self._note(c.arg("text"), note_time(c.arg("at"))),
            Name.STEP_NEXT: lambda c: self._tick(None, step_source(c, StepSource.SOFTPHONE)),
            Name.STEP_TICK: lambda c: self._tick(c.arg("step"), step_source(c, StepSource.CLICKED)),
            Name.STEP_HEARD: lambda c: self._tick(c.arg("step"), StepSource.HEARD, c.arg("phrase")),
            Name.STEP_UNTICK: lambda c: self.untick(c.arg("step")),
            Name.ABUSIVE: lambda c: self.set_abusive(switch_to(c.arg("on"), self.abusive)),
            Name.FOLLOWUP_DONE: lambda c: self._followup_done(c.arg("id"), c.arg("text")),
            Name.PROMISE_KEPT: lambda c: self._promise_kept(c.arg("id")),
            Name.MARKER_PROPOSE: lambda c: self._propose(c.arg("incident"), c.arg("reason")),
        }
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
        if self.voice is not None:
            self.voice.set_agent(shift.agent_id)
            if call is not None:
                self.voice.call_started()
        log.info("resumed shift %s%s", shift.meta.id, " with an open call" if call else "")

    # -- the one door ------------------------------------------------------
    def run(self, cmd: Command) -> oc.Outcome:
        """Do ``cmd``, whoever asked; TransitionError says why it cannot be done."""
        handler = self.actions.get(cmd.name)
        if handler is None:
            raise TransitionError(f"{cmd.name} is not an action of the running Calmline")
        return handler(cmd)

    def provide(self, name: str, handler: Handler) -> None:
        """An action the window does itself (show, the hotkey report), given by the
        composition root so every door reaches it through ``run``."""
        self.actions[name] = handler

    def execute(self, cmd: Command) -> Reply:
        """Run a forwarded command; a refusal is a Reply with ok=False."""
        try:
            outcome = self.run(cmd)
        except TransitionError as exc:
            return Reply(False, str(exc))
        ok = not isinstance(outcome, oc.HotkeysReported) or outcome.ok
        return Reply(ok, for_softphone(outcome))

    @contextmanager
    def _saving(self, action: str) -> Iterator[None]:
        """Run a transition and its saves in one transaction; when the database
        refuses (a full disk, a read-only folder...), put the session back as it
        was, so the same action can be done again once the cause is gone — a call
        is never stranded open in the window while the database says otherwise."""
        s = self.session
        kept = (s.shift, s.call, list(s.ticked), s.playbook, self.abusive)
        try:
            with self.store.transaction():  # all of an action's records, or none
                yield
        except SaveRefused as exc:
            s.shift, s.call, s.ticked, s.playbook, self.abusive = kept
            log.error("cannot %s: %s", action, exc)
            raise SaveFailed(
                f"cannot {action}: {exc} — nothing saved is lost; try again once that is fixed"
            ) from exc

    def _emit(self, outcome: Done) -> Done:
        event = _EVENTS[type(outcome)]
        for listener in list(self.listeners):
            listener(event, outcome)  # type: ignore[arg-type]
        return outcome

    # -- shift -------------------------------------------------------------
    def start_shift(self, agent_id: str = "") -> Shift:
        return self._start_shift(agent_id).shift

    def _start_shift(self, agent_id: str) -> oc.ShiftStarted:
        with self._saving("start the shift"):
            shift = self.store.save(self.session.start_shift(agent_id or self.agent_id))
        self.session.shift = shift
        if self.voice is not None:
            self.voice.set_agent(shift.agent_id)
        return self._emit(oc.ShiftStarted(shift))

    def end_shift(self) -> oc.ShiftEnded:
        if self.session.shift is None:
            raise TransitionError("cannot end a shift: no shift is running")
        shift_id = self.session.shift.meta.id
        with self._saving("end the shift"):
            ended = self.store.save(self.session.end_shift())
        drafts = self.store.incidents(shift_id=shift_id, status=IncidentStatus.DRAFT)
        return self._emit(oc.ShiftEnded(ended, drafts))

    # -- call --------------------------------------------------------------
    def start_call(self, caller_number: str = "", customer_ref: str = "") -> Incident:
        return self._start_call(caller_number, customer_ref).call

    def _start_call(self, caller_number: str = "", customer_ref: str = "") -> oc.CallStarted:
        starts_shift = self.session.shift is None and self.auto_start_shift
        if starts_shift and not self.agent_id.strip():
            raise TransitionError(NO_AGENT)
        if starts_shift:
            self._start_shift("")
        with self._saving("start the call"):
            self._set_abusive(False)
            call = self.store.save(self.session.start_call(caller_number, customer_ref))
        self.session.call = call
        if self.voice is not None:
            self.voice.call_started()
        return self._emit(oc.CallStarted(call, starts_shift))

    def end_call(self) -> Incident:
        return self._end_call().incident

    def _end_call(self) -> oc.CallEnded:
        with self._saving("end the call"):
            ended = self.session.end_call()
            if self.voice is not None:
                ended = replace(ended, voice=self.voice.figures())
            if self.abusive:
                ended = replace(ended, abuse_level=max(ended.abuse_level, AbuseLevel.ABUSIVE))
            saved = self.store.save(ended)
            self._set_abusive(False)
        if self.voice is not None:
            self.voice.call_ended()
        return self._emit(oc.CallEnded(saved))

    def memory(self, call: Incident) -> CallerMemory:
        """What this computer and the team cache know of the caller of ``call``."""
        agent = self.shift.agent_id if self.shift else self.agent_id
        found = self.queries.caller_memory(call, agent, self.clock().date())
        return replace(found, live=True) if self._live_for == call.meta.id else found

    def team_apply(self, changes: TeamChanges, live: bool = False) -> oc.TeamUpdated:
        """A live answer of the team store (at call start) into the local cache."""
        with self._saving("keep the team's history"):
            TeamCache(self.store).apply(changes)
        if live and self.call is not None:
            self._live_for = self.call.meta.id
        return self._emit(oc.TeamUpdated(live, changes.count()))

    def history(self, incident: Incident) -> list[Incident]:
        """Earlier incidents of the same caller, newest first (the history badge)."""
        return self.queries.caller_history(incident)

    # -- steps and notes ---------------------------------------------------
    def tick(self, step_id: str | None = None, source: StepSource = StepSource.CLICKED) -> str:
        """Tick a step (default: the current one); returns the step id."""
        return self._tick(step_id, source).step.id

    def _tick(self, step_id: str | None, source: StepSource, phrase: str = "") -> oc.Ticked:
        """``phrase``: the listen_for phrase a heard tick matched (shown, never stored)."""
        with self._saving("tick the step"):
            event = self.store.save(self.session.tick(step_id or None, source))
        nxt = self.session.next_step()
        pb = self.session.playbook
        step = pb.step(event.step_id)
        return self._emit(oc.Ticked(step, pb.step(nxt) if nxt else None, source, phrase))

    def untick(self, step_id: str) -> oc.Unticked:
        with self._saving("untick the step"):
            self.store.save(self.session.untick(step_id))
        return self._emit(oc.Unticked(self.session.playbook.step(step_id)))

    def set_abusive(self, on: bool) -> oc.StepsSwitched:
        """Switch the checklist to the abusive-caller playbook (or back); recorded
        with its call time when in a call."""
        if on != self.abusive:
            with self._saving("switch the steps"):
                self._set_abusive(on)
        return self._emit(oc.StepsSwitched(on))  # said even when already so

    def _set_abusive(self, on: bool) -> None:
        if on == self.abusive:
            return
        self.abusive = on
        event = self.session.switch_playbook(self.playbooks[on])
        if event is not None and self.session.call is not None:
            self.session.call = self.store.save(self.session.call)
            self.store.save(event)

    def note(self, text: str, at: datetime | None = None) -> Note:
        return self._note(text, at).note

    def _note(self, text: str, at: datetime | None) -> oc.NoteSaved:
        with self._saving("save the note"):
            note = self.store.save(self.session.note(text, at))
        return self._emit(oc.NoteSaved(note))

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
        self._emit(oc.IncidentSaved(saved))
        return saved

    def _followup_done(self, followup_id: str, text: str) -> oc.FollowUpDone:
        """Mark a promised follow-up done, with a note of what was done."""
        try:
            followup = self.queries.followup(followup_id)
        except NotFoundError:
            raise TransitionError(
                "that follow-up is no longer in the list — close the list and open it again"
            ) from None
        with self._saving("mark the follow-up done"):
            done = self.store.save(complete(followup, text, self.clock()))
        return self._emit(oc.FollowUpDone(done))

    def _promise_kept(self, followup_id: str) -> oc.PromiseKeptOutcome:
        """Kept on this call: the agent's own follow-up is marked done; another
        agent's gets a record of this agent's (the promiser's stays theirs)."""
        if self.store.has(FollowUp, followup_id):
            done = self._followup_done(followup_id, "kept on a later call")
            return oc.PromiseKeptOutcome(followup_id, done.followup.what)  # told as FollowUpDone
        promise = self.queries.team_promise(followup_id)
        if promise is None:
            raise TransitionError("that promise is not in the team's history")
        with self._saving("record the promise kept"):
            self.store.save(team_actions.kept(followup_id, self.call, self.clock()))
        return self._emit(oc.PromiseKeptOutcome(followup_id, promise.what, promise.agent_id))

    def _propose(self, incident_id: str, reason: str) -> oc.MarkerProposed:
        """A caution marker proposed for the caller of that call (the form's, the CLI's)."""
        try:
            incident = self.queries.incident(incident_id)
        except NotFoundError:
            raise TransitionError(f"no incident with id {incident_id[:40]!r}") from None
        earlier = self.store.markers_of(incident.meta.id)
        marker = team_actions.proposal(incident, reason, self.clock(), earlier)
        with self._saving("propose the caution marker"):
            saved = self.store.save(marker)
        return self._emit(oc.MarkerProposed(saved))  # after the commit, as every action

    def drafts(self) -> list[Incident]:
        """Ended calls whose incident is still a draft (this shift, or any if none)."""
        shift_id = self.session.shift.meta.id if self.session.shift else None
        drafts = self.store.incidents(shift_id=shift_id, status=IncidentStatus.DRAFT)
        return [d for d in drafts if d.ended_at is not None]
