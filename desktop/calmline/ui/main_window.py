"""The always-on-top companion window, a view: header, checklist, meter slot,
buttons, collapsing to a strip, remembering where it was per screen layout.
It shows what it is given (``show_state``, ``say``) and turns clicks into
intents (signals); it decides nothing and keeps no records. The controller
(ui/companion.py, built by the composition root) wires intents to the flow.

It paints at once, before settings and the database are loaded, saying it is
starting. Its panels are made the first time anything is to be shown in them
(the controller's first state, right after the database loads), not before the
first paint: making them costs about 100 ms — the checklist alone 85 ms, most
of it PySide6 creating each Qt enum type on its first use — which the first
paint does not wait for (make bench: cold start to first paint)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QMoveEvent, QResizeEvent, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from calmline import APP_NAME
from calmline.ui.plain_text import escape, line, plain, rich
from calmline.ui.window_state import (
    Placement,
    WindowStateFile,
    fit_on,
    layout_key,
    visible_on,
)

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from calmline.core.playbook import Playbook
    from calmline.core.problems import Problem
    from calmline.core.records import Incident, Shift
    from calmline.core.settings import WindowSettings
    from calmline.core.team_view import CallerMemory

log = logging.getLogger(__name__)
STATUS_MS = 6000
STATUS_LINES = 3  # a passing message: notes and step titles in it are cut to fit


@dataclass(frozen=True)
class WindowState:
    """All the window shows of the flow, computed by the controller."""

    playbook: Playbook
    abusive: bool
    shift: Shift | None
    call: Incident | None
    ticked: list[str]
    current: str | None  # the step to do next, in a call
    calls: int  # calls this shift
    badge: str  # the caller's history, in a call
    heard: dict[str, str] = field(default_factory=dict)  # heard steps: the phrase that matched
    memory: CallerMemory | None = None  # what the team knows of the caller, in a call
    me: str = ""  # the agent id the team's lines call "you"


class CompanionWindow(QMainWindow):
    shift_requested = Signal()  # start or end the shift
    call_requested = Signal()  # start or end a call
    next_step_requested = Signal()  # tick the current step
    tick_requested = Signal(str, bool)  # step id, ticked
    abusive_requested = Signal(bool)
    history_requested = Signal()  # the caller's earlier incidents
    search_requested = Signal()
    followups_requested = Signal()
    closing = Signal()  # about to close or hide: open forms should be saved
    quit_requested = Signal()
    undo_heard_requested = Signal(str)  # a heard tick, undone (step id)
    listening_off_requested = Signal()  # no heard steps for the rest of this call
    kept_requested = Signal(str)  # a team promise (follow-up id) kept on this call

    def __init__(self, state_file: WindowStateFile, now: Callable[[], datetime]) -> None:
        super().__init__()
        self.now = now
        self.state_file = state_file
        self.setWindowTitle(APP_NAME)
        self._set_on_top(True)
        # Beside the softphone it must never steal focus from the CRM; on macOS a
        # tool window would otherwise hide whenever another app is active.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAttribute(Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow)
        self.hide_on_close = False  # True when a tray icon can bring it back
        self.state: WindowState | None = None  # None: still starting
        self.collapsed = False
        self._full_height = 600
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(500)
        self._save_timer.timeout.connect(self.save_placement)
        self.starting = QLabel("Starting Calmline…", self)
        self.starting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.starting)
        self.setCentralWidget(self.pages)
        self._built = False
        self.resize(360, 600)
        self._placement = self._restore_placement()

    def _set_on_top(self, on_top: bool) -> None:
        flags = self.windowFlags() | Qt.WindowType.Tool
        if on_top:
            flags |= Qt.WindowType.WindowStaysOnTopHint
        else:
            flags &= ~Qt.WindowType.WindowStaysOnTopHint
        visible = self.isVisible()
        self.setWindowFlags(flags)
        if visible:  # changing flags hides a window
            self.show()

    def apply_settings(self, settings: WindowSettings) -> None:
        if not settings.always_on_top:
            self._set_on_top(False)
        self.setWindowOpacity(settings.opacity)

    # -- building ----------------------------------------------------------
    def _build(self) -> None:
        """The panels, once: the first time anything is to be shown in them."""
        if self._built:
            return
        self._built = True
        from calmline.core.playbook import Playbook
        from calmline.ui.action_bar import ActionBar
        from calmline.ui.checklist_panel import ChecklistPanel
        from calmline.ui.header_panel import HeaderPanel
        from calmline.ui.listening_bar import ListeningBar
        from calmline.ui.problems_banner import ProblemsBanner
        from calmline.ui.strip_panel import StripPanel
        from calmline.ui.team_panel import TeamPanel

        full = QWidget()
        self.banner = ProblemsBanner(full)
        self.header = HeaderPanel(full)
        self.team = TeamPanel(full)
        self.hint = QLabel(full)  # a gentle word after a hard call
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName("Suggestion")
        self.hint.setStyleSheet("QLabel { background: #e8f0fe; padding: 4px; border-radius: 3px; }")
        plain(self.hint, STATUS_LINES)
        self.hint.hide()
        self.title = rich(QLabel(full))  # the playbook's title, escaped
        self.title.setWordWrap(True)
        self.title.setAccessibleName("Playbook")
        no_steps = Playbook("", "", "", (), "")  # until the first state
        self.checklist = ChecklistPanel(no_steps, QGuiApplication.clipboard(), full)
        self.listening = ListeningBar(full)
        self.meter_slot = QWidget(full)  # the voice meter goes here
        self.meter_slot.setAccessibleName("Voice meter")
        QVBoxLayout(self.meter_slot).setContentsMargins(0, 0, 0, 0)
        self.actions_bar = ActionBar(full)
        self.status = QLabel(full)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        plain(self.status, STATUS_LINES)  # notes, phrases, step titles, save failures
        self.shared = plain(QLabel("Your voice figures are shared with your team lead", full))
        self.shared.setAccessibleName("Voice figures shared")
        self.shared.setStyleSheet("QLabel { color: #5f6368; font-size: 85%; }")
        self.shared.hide()  # shown for good when IT shares them (set_voice_shared)
        layout = QVBoxLayout(full)
        layout.setContentsMargins(6, 6, 6, 6)
        for w in (self.banner, self.header, self.team, self.hint, self.meter_slot, self.title):
            layout.addWidget(w)
        layout.addWidget(self.listening)
        layout.addWidget(self.checklist, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.shared)
        layout.addWidget(self.actions_bar)
        self.full = full
        self.strip = StripPanel()
        for page in (full, self.strip):
            self.pages.addWidget(page)
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.timeout.connect(self.status.clear)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick_clock)
        # Intents: what the agent asked for; the controller decides.
        bar = self.actions_bar
        bar.shift_clicked.connect(self.shift_requested)
        bar.call_clicked.connect(self.call_requested)
        bar.abusive_toggled.connect(self.abusive_requested)
        bar.search_clicked.connect(self.search_requested)
        bar.collapse_clicked.connect(lambda: self.set_collapsed(True))
        self.strip.expand_clicked.connect(lambda: self.set_collapsed(False))
        self.checklist.tick_toggled.connect(self.tick_requested)
        self.listening.undo_requested.connect(self.undo_heard_requested)
        self.listening.off_requested.connect(self.listening_off_requested)
        self.checklist.phrase_copied.connect(lambda p: self.say(f"Copied: “{p}”"))
        self.header.history_requested.connect(self.history_requested)
        self.team.kept_requested.connect(self.kept_requested)
        self.team.playbook_requested.connect(lambda: self.abusive_requested.emit(True))
        self.header.followups.clicked.connect(self.followups_requested)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(self.search_requested)

    # -- intents a door may ask for by name (the tray, hotkeys, tests) -------
    def toggle_shift(self) -> None:
        self.shift_requested.emit()

    def toggle_call(self) -> None:
        self.call_requested.emit()

    def next_step(self) -> None:
        self.next_step_requested.emit()

    def set_abusive(self, on: bool) -> None:
        self.abusive_requested.emit(on)

    def show_history(self) -> None:
        self.history_requested.emit()

    # -- showing -----------------------------------------------------------
    def show_state(self, state: WindowState) -> None:
        self._build()
        first = self.state is None
        self.state = state
        if first:  # no longer starting: the full window, or the strip it was left as
            self.pages.setCurrentWidget(self.strip if self.collapsed else self.full)
            self._clock.start()
            if self._placement is not None and self._placement.collapsed:
                self.set_collapsed(True)
        if self.checklist.playbook.id != state.playbook.id:
            self.checklist.set_playbook(state.playbook)
        in_call = state.call is not None
        self.checklist.set_state(
            state.ticked if in_call else [], state.current, state.heard if in_call else {}
        )
        mode = " — abusive-caller mode" if state.abusive else ""
        self.title.setText(f"<b>{escape(state.playbook.title)}</b>{mode}")
        self.header.show_state(state.shift, state.call, state.calls, state.badge, self.now())
        memory = state.memory if in_call else None
        self.team.show_memory(memory, state.me, self.now(), state.abusive)
        self.actions_bar.show_state(
            shift_running=state.shift is not None, in_call=in_call, abusive=state.abusive
        )
        self._tick_clock()

    def _tick_clock(self) -> None:
        from calmline.core.after_call import clock_text  # loaded with the panels

        state = self.state
        if state is None:
            return
        call, now = state.call, self.now()
        self.header.tick(call, now)
        step = state.playbook.step(state.current).title if call and state.current else ""
        if call is None:
            step = "No call" if state.shift else "No shift running"
        timer = clock_text((now - call.started_at).total_seconds()) if call else "--:--"
        self.strip.show_state(step, timer)

    def set_meter(self, panel: QWidget, compact: QWidget) -> None:
        """Put the voice meter in its place, and its compact bar in the strip."""
        self._build()
        layout = self.meter_slot.layout()
        assert layout is not None
        layout.addWidget(panel)
        strip_layout = self.strip.meter_slot.layout()
        assert strip_layout is not None
        strip_layout.addWidget(compact)
        compact.setFixedWidth(60)

    def show_listening(self, text: str, can_turn_off: bool = False) -> None:
        """What heard steps do now ("" hides the line: no call, or listening is off)."""
        self._build()
        self.listening.show_listening(text, can_turn_off)

    def show_heard(self, step_id: str, title: str, phrase: str) -> None:
        """A step ticked itself: what was heard, with Undo for a few seconds."""
        self._build()
        self.listening.show_heard(step_id, title, phrase)

    def clear_heard(self) -> None:
        self._build()
        self.listening.clear_heard()

    def say(self, text: str) -> None:
        """A passing message in the window: never a dialog, never focus."""
        self._build()
        if not text:
            return
        self.status.setText(line(text))
        self._status_timer.start(STATUS_MS)

    def set_hint(self, text: str) -> None:
        """A gentle suggestion (after a hard call); "" hides it."""
        self._build()
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def set_problems(self, problems: list[Problem]) -> None:
        self._build()
        self.banner.set_problems(problems)

    def add_problems(self, problems: list[Problem]) -> None:
        """More problems for the banner (e.g. hotkeys that could not be had)."""
        self._build()
        if problems:
            self.banner.set_problems(self.banner.problems + problems)

    def set_voice_shared(self, shared: bool) -> None:
        """IT shares the agent's voice figures with their lead: said, for good."""
        self._build()
        self.shared.setVisible(shared)

    def set_followups_badge(self, text: str) -> None:
        self._build()
        self.header.followups.setText(text)
        self.header.followups.setVisible(bool(text))

    def show_from_command(self) -> None:
        """`calmline show` / a second launch: visible and on top, focus untouched."""
        self.show()
        self.raise_()

    def toggle_visible(self) -> None:
        self.setVisible(not self.isVisible())

    # -- collapsing and placement ------------------------------------------
    def set_collapsed(self, collapsed: bool) -> None:
        self._build()
        if collapsed == self.collapsed:
            return
        if collapsed:
            self._full_height = self.height()
        self.collapsed = collapsed
        if self.state is not None:
            self.pages.setCurrentWidget(self.strip if collapsed else self.full)
        if collapsed:
            self.setMinimumHeight(0)
            self.resize(self.width(), self.strip.sizeHint().height())
        else:
            self.resize(self.width(), self._full_height)
        self._tick_clock()
        self._save_timer.start()

    def _screens(self) -> list:  # type: ignore[type-arg]
        return list(QGuiApplication.screens())

    def _restore_placement(self) -> Placement | None:
        placement = self.state_file.load(layout_key(self._screens()))
        if placement is not None and visible_on(placement.rect(), self._screens()):
            placement = fit_on(placement, self._screens())  # a stretched size is not kept
            self.setGeometry(placement.rect())
            self._full_height = placement.height
            return placement
        screen = QGuiApplication.primaryScreen()
        if screen is not None:  # first run: top right, beside most softphones
            area = screen.availableGeometry()
            self.move(area.right() - self.width() - 16, area.top() + 48)
        return None

    def save_placement(self) -> None:
        if self.state is None:
            return  # still starting: nothing the agent placed yet
        g = self.geometry()
        height = self._full_height if self.collapsed else g.height()
        self.state_file.save(
            layout_key(self._screens()),
            Placement(g.x(), g.y(), g.width(), height, self.collapsed),
        )

    # Only moves and resizes come through Python: an event() override would see
    # every repaint request of the window (30 a second while the meter runs).
    def moveEvent(self, event: QMoveEvent) -> None:
        self._placement_changed()
        super().moveEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._placement_changed()
        super().resizeEvent(event)

    def _placement_changed(self) -> None:
        if self.isVisible():
            self._save_timer.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_placement()
        self.closing.emit()
        if self.hide_on_close:
            event.ignore()
            self.hide()
            return
        super().closeEvent(event)
        self.quit_requested.emit()
