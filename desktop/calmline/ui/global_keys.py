"""Global hotkeys in the app: registers them (reporting any it cannot have in
the window), turns presses into the flow's commands (a door, like a button),
and runs the quick-note box —
focus is taken only for the note and handed back where the agent was.

The same keys also work as ordinary shortcuts while the window itself is
active, so they keep working where global hotkeys are off (e.g. Wayland)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut

from calmline.core.after_call import clock_text
from calmline.core.commands import Command, Name
from calmline.core.hotkeys import HotkeyAction
from calmline.core.session import TransitionError
from calmline.platform.hotkeys.registry import HotkeyReport, configured, register_all
from calmline.ui.plain_text import sentence
from calmline.ui.quick_note import QuickNoteBox

if TYPE_CHECKING:
    from calmline.core.settings import HotkeySettings
    from calmline.platform.focus import FocusKeeper
    from calmline.platform.hotkeys import HotkeyBackend
    from calmline.ui.companion import Companion

log = logging.getLogger(__name__)
COMMANDS = {  # the hotkeys that are the flow's actions
    HotkeyAction.CALL_TOGGLE: Command(Name.CALL_TOGGLE),
    HotkeyAction.NEXT_STEP: Command(Name.STEP_NEXT, {"source": "hotkey"}),
    HotkeyAction.ABUSIVE_MODE: Command(Name.ABUSIVE, {"on": "toggle"}),
}


class GlobalKeys(QObject):
    def __init__(
        self,
        backend: HotkeyBackend,
        focus: FocusKeeper,
        companion: Companion,
        settings: HotkeySettings,
        now: Callable[[], datetime],
        locked: Callable[[str], bool] = lambda key: False,
    ) -> None:
        super().__init__()
        self.backend, self.focus, self.companion = backend, focus, companion
        self.window, self.flow = companion.window, companion.flow
        self.settings, self.now, self.locked = settings, now, locked
        self.report = HotkeyReport(backend.name)
        self.note_box = QuickNoteBox()
        self.note_box.submitted.connect(self._save_note)
        self.note_box.cancelled.connect(self._close_note)
        self._ticker = QTimer(self)  # the call timer in the box's heading
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(lambda: self.note_box.set_heading(self._heading()))
        self.shortcuts: list[QShortcut] = []

    def start(self, app: Any) -> HotkeyReport:
        self.report = register_all(self.backend, self.settings, self.press, self.locked)
        self.backend.start(app)
        for action, chord in configured(self.settings):
            shortcut = QShortcut(QKeySequence(chord.text), self.window)
            shortcut.activated.connect(lambda a=action: self.press(a))
            self.shortcuts.append(shortcut)
        for line in self.report.lines():
            log.info("hotkey %s", line)
        self.window.add_problems(self.report.problems)
        return self.report

    def close(self) -> None:
        self.backend.close()

    def press(self, action: HotkeyAction) -> None:
        log.info("hotkey pressed: %s", action.value)
        if action is HotkeyAction.QUICK_NOTE:
            self.open_note()
        elif action is HotkeyAction.SHOW_HIDE:
            self.window.toggle_visible()
        else:
            self.companion.do(COMMANDS[action])

    # -- the quick note ------------------------------------------------------
    def _heading(self) -> str:
        flow = self.flow
        if flow.call is not None:
            elapsed = (self.now() - flow.call.started_at).total_seconds()
            return f"Note on this call — {clock_text(elapsed)}"
        return "Shift note (no call in progress)" if flow.shift else "No shift running"

    def open_note(self) -> None:
        box = self.note_box
        if not box.isVisible():
            self.focus.remember()  # where the agent was typing
        screen = self.window.screen() or QGuiApplication.primaryScreen()
        box.open(
            self._heading(), self.now(), self.window.frameGeometry(), screen.availableGeometry()
        )
        self._ticker.start()

    def _save_note(self, text: str) -> None:
        opened = self.note_box.opened_at
        args = {"text": text, "at": opened.isoformat() if opened else ""}
        try:  # the window says "Note saved" when the flow tells it
            self.flow.run(Command(Name.NOTE, args))
        except TransitionError as exc:
            self.note_box.refuse(sentence(exc))
            return  # the text stays in the box
        self._close_note()

    def _close_note(self) -> None:
        self._ticker.stop()
        if self.note_box.isVisible():
            self.note_box.hide()
            self.focus.restore()
