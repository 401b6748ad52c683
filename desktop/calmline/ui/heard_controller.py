"""Heard steps in the window: the listen worker's spots become the flow's ticks
(source "heard"), the listening bar says what listening does and offers Undo
for a few seconds after a step ticked itself, and the checklist marks the heard
steps with the words that matched. The worker is told when calls start and end
and when the checklist switches playbooks.

The words shown are the playbook's listen_for phrase, kept in memory for the
call only: the stored tick event holds the step, its time and "heard"."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from calmline.core.commands import Command, Name
from calmline.core.listening import Spot, phrase_table
from calmline.core.outcomes import CallEnded, CallStarted, Outcome, StepsSwitched, Ticked, Unticked
from calmline.core.records import StepSource
from calmline.core.session import TransitionError
from calmline.ui.listening_bar import ON_TEXT, UNDO_S

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from calmline.audio.listen_worker import ListenWorker
    from calmline.flow import Flow
    from calmline.ui.main_window import CompanionWindow

log = logging.getLogger(__name__)
OFF_FOR_CALL = "Listening off for this call"


class HeardController(QObject):
    def __init__(
        self,
        window: CompanionWindow,
        flow: Flow,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(window)
        self.window, self.flow, self.clock = window, flow, clock
        self.worker: ListenWorker | None = None
        self.marks: dict[str, str] = {}  # step id -> the phrase heard, this call
        self._undo: tuple[str, float] | None = None  # (step, until) a heard tick may be undone
        window.undo_heard_requested.connect(self.undo)
        window.listening_off_requested.connect(self.turn_off)

    def attach(self, worker: ListenWorker, heard: SignalInstance) -> None:
        """Listen with ``worker``; ``heard`` is the meter's signal, one Spot each."""
        self.worker = worker
        heard.connect(self.heard)
        if self.flow.call is not None:  # a call resumed after a restart
            worker.call_started()
        self._show()

    # -- the flow's outcomes (Companion passes each one before it repaints) ----
    def follow(self, outcome: Outcome) -> None:
        worker = self.worker
        match outcome:
            case CallStarted():
                self.marks.clear()
                self._undo = None
                if worker is not None:
                    worker.call_started()
            case CallEnded():
                self.marks.clear()
                self._undo = None
                if worker is not None:
                    worker.call_ended()
            case Ticked(step, _, StepSource.HEARD, phrase):
                self.marks[step.id] = phrase
                self._undo = (step.id, self.clock() + UNDO_S)
                self.window.show_heard(step.id, step.title, phrase)
            case Unticked(step):
                self.marks.pop(step.id, None)
                if self._undo is not None and self._undo[0] == step.id:
                    self._undo = None
                    self.window.clear_heard()
            case StepsSwitched() if worker is not None:
                worker.set_phrases(phrase_table(self.flow.playbook))
        if not isinstance(outcome, Ticked):
            self._show()

    def _show(self) -> None:
        worker = self.worker
        if worker is None or self.flow.call is None or not worker.enabled:
            self.window.show_listening("")
        elif worker.problem:
            self.window.show_listening(f"Not listening: {worker.problem}")
        elif worker.off_for_call:
            self.window.show_listening(OFF_FOR_CALL)
        else:
            self.window.show_listening(ON_TEXT, can_turn_off=True)

    # -- what was heard ------------------------------------------------------
    def heard(self, spot: Spot) -> None:
        """A spot from the worker: tick its step, unless there is nothing to tick."""
        flow = self.flow
        if flow.call is None or spot.step in flow.session.ticked:
            return
        try:
            flow.run(Command(Name.STEP_HEARD, {"step": spot.step, "phrase": spot.phrase}))
        except TransitionError as exc:  # a step of the other playbook, a reminder
            log.info("heard step %s not ticked: %s", spot.step, exc)

    def undo_pending(self) -> str:
        """The heard step the tick hotkey would undo now ("" when none)."""
        if self._undo is None or self.clock() > self._undo[1]:
            return ""
        return self._undo[0]

    def undo(self, step_id: str) -> None:
        if step_id and step_id in self.flow.session.ticked:
            try:
                self.flow.run(Command(Name.STEP_UNTICK, {"step": step_id}))
            except TransitionError as exc:
                log.info("undo of %s refused: %s", step_id, exc)

    def turn_off(self) -> None:
        if self.worker is not None:
            self.worker.turn_off_for_call()
            log.info("listening off for this call")
        self._show()
