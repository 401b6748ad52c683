"""Shift and call state machine. Pure: time comes from an injected clock.

It refuses transitions that make no sense (ending a call that never started,
starting a call outside a shift...) with a message saying what to do instead,
and returns the records to persist; saving them is the caller's job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from calmline.core.clock import utc_now
from calmline.core.playbook import Playbook, Step, StepKind
from calmline.core.records import Incident, Note, Shift, StepAction, StepEvent, StepSource

Clock = Callable[[], datetime]


class TransitionError(ValueError):
    """An action that is not possible in the current state."""


def _bounded(what: str, value: str, key: str) -> str:
    """Every door's text is held to the softphone command's limits (core/commands)."""
    from calmline.core.commands import ARG_CHARS

    limit = ARG_CHARS[key]
    if len(value) > limit:
        raise TransitionError(
            f"the {what} is too long ({len(value):,} characters, at most {limit:,}) — shorten it"
        )
    return value


class Session:
    def __init__(self, playbook: Playbook, clock: Clock = utc_now) -> None:
        self._clock = clock
        self.playbook = playbook
        self.shift: Shift | None = None
        self.call: Incident | None = None
        self.ticked: list[str] = []  # step ids in tick order, current call only

    def restore(self, shift: Shift, call: Incident | None, ticked: list[str]) -> None:
        """Pick up a shift (and call) left open by a crash or a quit."""
        self.shift, self.call, self.ticked = shift, call, list(ticked)

    # -- shift -------------------------------------------------------------
    def start_shift(self, agent_id: str) -> Shift:
        if self.shift is not None:
            raise TransitionError("a shift is already running — end it before starting another")
        if not agent_id.strip():
            raise TransitionError(
                "an agent id is needed to start a shift — set agent_id or pass --agent"
            )
        agent = _bounded("agent id", agent_id.strip(), "agent")
        self.shift = Shift(agent_id=agent, started_at=self._clock())
        return self.shift

    def end_shift(self) -> Shift:
        shift = self._need_shift("end a shift")
        if self.call is not None:
            raise TransitionError("a call is still in progress — end the call first")
        ended = replace(shift, ended_at=self._clock())
        self.shift = None
        return ended

    # -- call --------------------------------------------------------------
    def start_call(self, caller_number: str = "", customer_ref: str = "") -> Incident:
        shift = self._need_shift("start a call")
        if self.call is not None:
            raise TransitionError("a call is already in progress — end it before starting another")
        self.call = Incident(
            shift_id=shift.meta.id,
            started_at=self._clock(),
            playbook_id=self.playbook.id,
            caller_number=_bounded("caller number", caller_number.strip(), "caller"),
            customer_ref=_bounded("customer reference", customer_ref.strip(), "customer"),
        )
        self.ticked = []
        return self.call

    def end_call(self) -> Incident:
        call = self._need_call("end a call")
        ended = replace(call, ended_at=self._clock())
        self.call = None
        self.ticked = []
        return ended

    def call_offset(self) -> float:
        """Seconds since the current call started."""
        call = self._need_call("measure call time")
        return (self._clock() - call.started_at).total_seconds()

    # -- steps -------------------------------------------------------------
    def next_step(self) -> str | None:
        """The first one-time step not yet ticked, in playbook order."""
        for step in self.playbook.steps:
            if step.kind is StepKind.ONCE and step.id not in self.ticked:
                return step.id
        return None

    def tick(
        self, step_id: str | None = None, source: StepSource = StepSource.UNKNOWN
    ) -> StepEvent:
        """Tick a step (default: the next one) at the current call time; ``source``
        is the door it came through."""
        call = self._need_call("tick a step")
        if step_id is None:
            step_id = self.next_step()
            if step_id is None:
                raise TransitionError("every step is already ticked")
        step = self._step(step_id)
        if step.kind is StepKind.WATCH:
            raise TransitionError(
                f"'{step.title}' is a reminder for the whole call, not a step to tick"
            )
        if step_id in self.ticked:
            raise TransitionError(f"'{step.title}' is already ticked")
        self.ticked.append(step_id)
        return self._event(call, step_id, StepAction.TICK, source)

    def untick(self, step_id: str) -> StepEvent:
        call = self._need_call("untick a step")
        if step_id not in self.ticked:
            raise TransitionError(f"step '{step_id}' is not ticked")
        self.ticked.remove(step_id)
        return self._event(call, step_id, StepAction.UNTICK)

    def switch_playbook(self, playbook: Playbook) -> StepEvent | None:
        """Change playbook (e.g. to abusive-caller); recorded when in a call."""
        self.playbook = playbook
        if self.call is None:
            return None
        # Ticks stay: they are what happened on this call, and switching back
        # must show them again (the step events hold no untick for them).
        self.call = replace(self.call, playbook_id=playbook.id)
        return self._event(self.call, "", StepAction.SWITCH_PLAYBOOK)

    # -- notes -------------------------------------------------------------
    def note(self, text: str, at: datetime | None = None) -> Note:
        """A note on the current call, or a shift note outside a call. ``at`` is
        the moment it is about (e.g. when the note hotkey was pressed); now if
        None. A moment before the call started counts as its start."""
        shift = self._need_shift("take a note")
        if not text.strip():
            raise TransitionError("the note is empty — type something first")
        text = _bounded("note", text.strip(), "text")
        now = self._clock() if at is None else at
        if self.call is None:
            return Note(shift_id=shift.meta.id, text=text.strip(), wall_time=now)
        return Note(
            shift_id=shift.meta.id,
            text=text.strip(),
            wall_time=now,
            incident_id=self.call.meta.id,
            call_offset_s=max(0.0, (now - self.call.started_at).total_seconds()),
        )

    # -- helpers -----------------------------------------------------------
    def _need_shift(self, action: str) -> Shift:
        if self.shift is None:
            raise TransitionError(f"cannot {action}: no shift is running — start a shift first")
        return self.shift

    def _need_call(self, action: str) -> Incident:
        if self.call is None:
            raise TransitionError(f"cannot {action}: no call is in progress — start a call first")
        return self.call

    def _step(self, step_id: str) -> Step:
        try:
            return self.playbook.step(step_id)
        except KeyError:
            raise TransitionError(
                f"playbook '{self.playbook.id}' has no step '{step_id}'"
            ) from None

    def _event(
        self,
        call: Incident,
        step_id: str,
        action: StepAction,
        source: StepSource = StepSource.UNKNOWN,
    ) -> StepEvent:
        now = self._clock()
        return StepEvent(
            incident_id=call.meta.id,
            step_id=step_id,
            action=action,
            wall_time=now,
            call_offset_s=(now - call.started_at).total_seconds(),
            playbook_id=self.playbook.id,
            source=source,
        )
