"""The window's controller: the doors of the window (its buttons, the tray, the
`show` command) turned into the flow's commands, the flow's outcomes turned
into what the window shows, and the work around calls — the incident forms,
after-call help, the shift's end. Built by the composition root with
everything it needs; the window itself stays a view."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from calmline.core.commands import Command, Name
from calmline.core.outcomes import CallEnded, Outcome, WindowShown
from calmline.core.session import TransitionError
from calmline.core.team_view import CallerMemory, memory_badge
from calmline.core.wording import for_window
from calmline.flow import Flow, FlowEvent
from calmline.ui.after_call_controller import AfterCallController
from calmline.ui.form_manager import FormManager
from calmline.ui.heard_controller import HeardController
from calmline.ui.main_window import CompanionWindow, WindowState
from calmline.ui.plain_text import ask_text, sentence
from calmline.ui.shift_end_dialog import ShiftEndDialog

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from calmline.audio.listen_worker import ListenWorker
    from calmline.core.problems import Problem
    from calmline.core.records import Incident
    from calmline.core.settings import Settings
    from calmline.ui.tray import Tray

log = logging.getLogger(__name__)


def memory_counts(memory: CallerMemory) -> str:
    """'2 earlier calls, 1 open promises, 1 cautions, live' (or 'from the cache')."""
    where = "live" if memory.live else "from the cache"
    return (
        f"{len(memory.earlier)} earlier calls, {len(memory.open_promises)} open promises, "
        f"{len(memory.cautions)} cautions, {where}"
    )


class Companion(QObject):
    def __init__(
        self,
        window: CompanionWindow,
        flow: Flow,
        settings: Settings,
        problems: list[Problem],
        now: Callable[[], datetime],
        tray: Tray | None = None,
    ) -> None:
        super().__init__(window)
        self.window, self.flow, self.now, self.tray = window, flow, now, tray
        window.apply_settings(settings.window)
        window.set_problems(problems)
        self.forms = FormManager(flow, now)
        self.after = AfterCallController(
            flow, window, now, settings.after_call, settings.cues.raised_voice_db
        )
        self.after.open_requested.connect(self.forms.open_id)
        self.heard = HeardController(window, flow)
        self._memory: tuple[str, CallerMemory] | None = None  # the call's, until the next event
        self._said = ""  # the last caller memory logged
        window.shift_requested.connect(self.toggle_shift)
        window.call_requested.connect(lambda: self.do(Command(Name.CALL_TOGGLE)))
        window.next_step_requested.connect(lambda: self.do(Command(Name.STEP_NEXT)))
        window.tick_requested.connect(self._tick)
        window.abusive_requested.connect(
            lambda on: self.do(Command(Name.ABUSIVE, {"on": "yes" if on else "no"}))
        )
        window.history_requested.connect(self.show_history)
        window.kept_requested.connect(lambda fid: self.do(Command(Name.PROMISE_KEPT, {"id": fid})))
        window.set_voice_shared(flow.voice_shared)
        window.search_requested.connect(lambda: self.after.show_search())
        window.followups_requested.connect(lambda: self.after.show_followups())
        window.closing.connect(self.save_all)
        flow.provide(Name.SHOW, lambda _cmd: self._show())
        flow.listeners.append(self._on_flow)
        if tray is not None:
            if tray.available():
                window.hide_on_close = True
                tray.show()
            tray.show_hide.connect(window.toggle_visible)
            tray.call.connect(lambda: self.do(Command(Name.CALL_TOGGLE)))
            tray.end_shift.connect(self.toggle_shift)
        self.refresh()

    # -- the flow, shown ---------------------------------------------------
    def refresh(self) -> None:
        flow = self.flow
        call = flow.call
        memory = self.memory(call) if call else None
        me = self.me()
        self.window.show_state(
            WindowState(
                playbook=flow.playbook,
                abusive=flow.abusive,
                shift=flow.shift,
                call=call,
                ticked=list(flow.session.ticked),
                current=flow.session.next_step() if call else None,
                calls=flow.queries.calls_in_shift(flow.shift.meta.id) if flow.shift else 0,
                badge=memory_badge(memory, me, self.now()) if memory else "",
                heard=dict(self.heard.marks),
                memory=memory,
                me=me,
            )
        )
        if self.tray is not None:
            self.tray.show_state(shift_running=flow.shift is not None, in_call=call is not None)

    def me(self) -> str:
        """Whose this computer's calls are: the shift's agent, else the settings'."""
        shift = self.flow.shift
        return shift.agent_id if shift is not None else self.flow.agent_id

    def memory(self, call: Incident) -> CallerMemory:
        """What this computer and the team know of the caller, read once per
        change: a tick or a note repaints without asking again."""
        if self._memory is None or self._memory[0] != call.meta.id:
            memory = self.flow.memory(call)
            self._memory = (call.meta.id, memory)
            said = memory_counts(memory)
            if said != self._said:  # counts only: no caller's number or words in the log
                self._said = said
                log.info("caller memory shown: %s", said)
        return self._memory[1]

    def invalidate_memory(self) -> None:
        """The caller's memory is read again at the next repaint."""
        self._memory = None

    def listen(self, worker: ListenWorker, heard: SignalInstance) -> None:
        """Heard steps: ``worker`` listens, the meter's ``heard`` signal brings its spots."""
        self.heard.attach(worker, heard)

    def _on_flow(self, event: FlowEvent, outcome: Outcome) -> None:
        self.heard.follow(outcome)  # its marks, before the repaint shows them
        if event not in (FlowEvent.STEPS, FlowEvent.NOTE):
            self.invalidate_memory()  # a call, the team's answer, a promise kept
        self.refresh()
        self.window.say(for_window(outcome))
        if isinstance(outcome, CallEnded):
            self.forms.open(outcome.incident)  # raised, not focused: the agent clicks in

    # -- the window's doors --------------------------------------------------
    def do(self, cmd: Command) -> Outcome | None:
        """Run ``cmd``; a refusal is said in the window (the flow is unchanged).
        The tick hotkey, pressed while a heard tick may still be undone, undoes it."""
        undo = self.heard.undo_pending()
        if cmd.name == Name.STEP_NEXT and cmd.arg("source") == "hotkey" and undo:
            cmd = Command(Name.STEP_UNTICK, {"step": undo})
        try:
            return self.flow.run(cmd)
        except TransitionError as exc:
            self.window.say(sentence(exc))
            self.refresh()
            return None

    def _tick(self, step_id: str, checked: bool) -> None:
        self.do(Command(Name.STEP_TICK if checked else Name.STEP_UNTICK, {"step": step_id}))

    def _show(self) -> WindowShown:
        self.window.show_from_command()
        return WindowShown()

    def toggle_shift(self) -> None:
        """Start a shift (asking for the agent id), or end it: first the drafts
        still to finish, then the shift's summary, then the end (and its sync)."""
        flow = self.flow
        if flow.shift is None:
            agent, ok = ask_text(self.window, "Start shift", "Agent id:", flow.agent_id)
            if ok:
                self.do(Command(Name.SHIFT_START, {"agent": agent}))
            return
        drafts = flow.drafts()
        if drafts:
            dialog = ShiftEndDialog(drafts, self.now(), self.window)
            dialog.open_requested.connect(self.forms.open_id)
            if not dialog.exec():
                return
        if self.after.confirm_end_shift():  # the shift's summary, before the sync
            self.do(Command(Name.SHIFT_END))
            self.after.shift_ended()

    def save_all(self) -> None:
        """Every open incident form's pending changes, saved (at quit)."""
        self.forms.save_all()

    def show_history(self) -> None:
        """The history badge: search, filtered to this caller."""
        call = self.flow.call
        if call is not None:
            self.after.show_search(call.caller_number, call.customer_ref, call.meta.id)
