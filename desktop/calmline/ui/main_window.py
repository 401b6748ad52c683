"""The always-on-top companion window: header, checklist, meter slot, buttons;
collapses to a strip; remembers where it was per screen layout. It shows the
flow's state and turns clicks into flow actions — the flow keeps the records.

It is built in two steps so it appears at once: the window itself (placed where
it was, saying it is starting), then ``attach()`` with the flow once settings and
the database are loaded."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QMoveEvent, QResizeEvent, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow

from calmline import APP_NAME
from calmline.ui.plain_text import ask_text, escape, line, plain, rich, sentence
from calmline.ui.window_state import (
    Placement,
    WindowStateFile,
    fit_on,
    layout_key,
    visible_on,
)

# The panels, forms and flow are imported in attach(): the empty window must
# paint before anything it does not need is loaded (see app.py).
if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QWidget

    from calmline.core.problems import Problem
    from calmline.core.records import Incident
    from calmline.core.settings import Settings
    from calmline.flow import Flow, FlowEvent

log = logging.getLogger(__name__)
STATUS_MS = 6000
STATUS_LINES = 3  # a passing message: notes and step titles in it are cut to fit
STEP_IN_LINE = 60  # a step's title inside a message


class CompanionWindow(QMainWindow):
    quit_requested = Signal()

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
        self.state_listeners: list[Callable[[], None]] = []  # e.g. the tray menu
        self.hide_on_close = False  # True when a tray icon can bring it back
        self.attached = False  # True once attach() has given it the flow
        self.collapsed = False
        self._full_height = 600
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(500)
        self._save_timer.timeout.connect(self.save_placement)
        self.starting = QLabel("Starting Calmline…", self)
        self.starting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.starting)
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

    def attach(self, flow: Flow, settings: Settings, problems: list[Problem]) -> None:
        """Fill the window with the flow, once settings and the database are loaded."""
        self.flow = flow
        if not settings.window.always_on_top:
            self._set_on_top(False)
        self.setWindowOpacity(settings.window.opacity)
        from calmline.ui.after_call_controller import AfterCallController
        from calmline.ui.form_manager import FormManager

        self.forms = FormManager(flow, self.now)
        self._build(problems)
        self.after = AfterCallController(
            flow,
            self,
            self.header.followups,
            self.hint,
            self.forms.open_id,
            self.now,
            settings.after_call,
            settings.cues.raised_voice_db,
        )
        self._wire()
        self.attached = True
        if self._placement is not None and self._placement.collapsed:
            self.set_collapsed(True)
        self.refresh()

    # -- building ----------------------------------------------------------
    def _build(self, problems: list[Problem]) -> None:
        from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

        from calmline.ui.action_bar import ActionBar
        from calmline.ui.checklist_panel import ChecklistPanel
        from calmline.ui.header_panel import HeaderPanel
        from calmline.ui.problems_banner import ProblemsBanner
        from calmline.ui.strip_panel import StripPanel

        full = QWidget()
        self.banner = ProblemsBanner(full)
        self.banner.set_problems(problems)
        self.header = HeaderPanel(full)
        self.hint = QLabel(full)  # a gentle word after a hard call
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName("Suggestion")
        self.hint.setStyleSheet("QLabel { background: #e8f0fe; padding: 4px; border-radius: 3px; }")
        plain(self.hint, STATUS_LINES)
        self.title = rich(QLabel(full))  # the playbook's title, escaped
        self.title.setWordWrap(True)
        self.title.setAccessibleName("Playbook")
        clipboard = QGuiApplication.clipboard()
        self.checklist = ChecklistPanel(self.flow.playbook, clipboard, full)
        self.meter_slot = QWidget(full)  # the voice meter issue fills this
        self.meter_slot.setAccessibleName("Voice meter")
        QVBoxLayout(self.meter_slot).setContentsMargins(0, 0, 0, 0)
        self.actions_bar = ActionBar(full)
        self.status = QLabel(full)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        plain(self.status, STATUS_LINES)  # notes, phrases, step titles, save failures
        layout = QVBoxLayout(full)
        layout.setContentsMargins(6, 6, 6, 6)
        for w in (self.banner, self.header, self.hint, self.meter_slot, self.title):
            layout.addWidget(w)
        layout.addWidget(self.checklist, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.actions_bar)
        self.strip = StripPanel()
        self.pages = QStackedWidget(self)
        self.pages.addWidget(full)
        self.pages.addWidget(self.strip)
        self.setCentralWidget(self.pages)  # replaces (and deletes) the "starting" label
        self.pages.show()  # children added to a shown window start hidden
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.timeout.connect(self.status.clear)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick_clock)
        self._clock.start()

    def _wire(self) -> None:
        self.flow.listeners.append(self._on_flow)
        self.actions_bar.shift_clicked.connect(self.toggle_shift)
        self.actions_bar.call_clicked.connect(self.toggle_call)
        self.actions_bar.abusive_toggled.connect(self.set_abusive)
        self.actions_bar.collapse_clicked.connect(lambda: self.set_collapsed(True))
        self.strip.expand_clicked.connect(lambda: self.set_collapsed(False))
        self.checklist.tick_toggled.connect(self._tick_toggled)
        self.checklist.phrase_copied.connect(lambda p: self.say(f"Copied: “{p}”"))
        self.header.history_requested.connect(self.show_history)
        self.actions_bar.search_clicked.connect(lambda: self.after.show_search())
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(lambda: self.after.show_search())

    # -- showing the flow --------------------------------------------------
    def refresh(self) -> None:
        from calmline.core.after_call import history_badge

        flow = self.flow
        if self.checklist.playbook.id != flow.playbook.id:
            self.checklist.set_playbook(flow.playbook)
        in_call = flow.call is not None
        current = flow.session.next_step() if in_call else None
        self.checklist.set_state(flow.session.ticked if in_call else [], current)
        mode = " — abusive-caller mode" if flow.abusive else ""
        self.title.setText(f"<b>{escape(flow.playbook.title)}</b>{mode}")
        calls = len(flow.store.incidents(shift_id=flow.shift.meta.id)) if flow.shift else 0
        badge = history_badge(flow.history(flow.call), self.now()) if flow.call else ""
        self.header.show_state(flow.shift, flow.call, calls, badge, self.now())
        self.actions_bar.show_state(
            shift_running=flow.shift is not None, in_call=in_call, abusive=flow.abusive
        )
        self._tick_clock()
        for listener in self.state_listeners:
            listener()

    def _tick_clock(self) -> None:
        from calmline.core.after_call import clock_text

        call = self.flow.call
        now = self.now()
        self.header.tick(call, now)
        step_id = self.flow.session.next_step() if call else None
        step = self.flow.playbook.step(step_id).title if step_id else ""
        if call is None:
            step = "No call" if self.flow.shift else "No shift running"
        timer = clock_text((now - call.started_at).total_seconds()) if call else "--:--"
        self.strip.show_state(step, timer)

    def _on_flow(self, event: FlowEvent, incident: Incident | None) -> None:
        from calmline.flow import FlowEvent

        self.refresh()
        if event is FlowEvent.CALL_ENDED and incident is not None:
            self.forms.open(incident)  # raised, not focused: the agent clicks in
        elif event is FlowEvent.NOTE and self.flow.last_note is not None:
            self.say(f"Note saved: {self.flow.last_note.text}")

    def set_meter(self, panel: QWidget, compact: QWidget) -> None:
        """Put the voice meter in its place, and its compact bar in the strip."""
        layout = self.meter_slot.layout()
        assert layout is not None
        layout.addWidget(panel)
        strip_layout = self.strip.meter_slot.layout()
        assert strip_layout is not None
        strip_layout.addWidget(compact)
        compact.setFixedWidth(60)

    def say(self, text: str) -> None:
        """A passing message in the window: never a dialog, never focus."""
        self.status.setText(line(text))
        self._status_timer.start(STATUS_MS)

    # -- actions -----------------------------------------------------------
    def _attempt(self, action: Callable[[], object]) -> bool:
        from calmline.core.session import TransitionError

        try:
            action()
        except TransitionError as exc:
            self.say(sentence(exc))
            self.refresh()
            return False
        return True

    def toggle_shift(self) -> None:
        if self.flow.shift is None:
            agent, ok = ask_text(self, "Start shift", "Agent id:", self.flow.agent_id)
            if ok:
                self._attempt(lambda: self.flow.start_shift(agent))
            return
        drafts = self.flow.drafts()
        if drafts:
            from calmline.ui.shift_end_dialog import ShiftEndDialog

            dialog = ShiftEndDialog(drafts, self.now(), self)
            dialog.open_requested.connect(self.forms.open_id)
            if not dialog.exec():
                return
        if self.after.confirm_end_shift():  # the shift's summary, before the sync
            self._attempt(self.flow.end_shift)
            self.after.shift_ended()

    def toggle_call(self) -> None:
        self._attempt(self.flow.end_call if self.flow.call else self.flow.start_call)

    def next_step(self) -> None:
        """Tick the current step (the next-step hotkey)."""
        flow, ticked = self.flow, []
        if self._attempt(lambda: ticked.append(flow.tick())):
            nxt = flow.session.next_step()
            step = flow.playbook.step
            after = (
                f" — next: {line(step(nxt).title, STEP_IN_LINE)}" if nxt else " — all steps done"
            )
            self.say(f"Ticked: {line(step(ticked[0]).title, STEP_IN_LINE)}{after}")

    def add_problems(self, problems: list[Problem]) -> None:
        """More problems for the banner (e.g. hotkeys that could not be had)."""
        if problems:
            self.banner.set_problems(self.banner.problems + problems)

    def set_abusive(self, on: bool) -> None:
        self.flow.set_abusive(on)
        self.say("Abusive-caller steps shown" if on else "Back to the usual steps")

    def _tick_toggled(self, step_id: str, checked: bool) -> None:
        if checked:
            self._attempt(lambda: self.flow.tick(step_id))
        else:
            self._attempt(lambda: self.flow.untick(step_id))

    def show_history(self) -> None:
        """The history badge: search, filtered to this caller."""
        call = self.flow.call
        if call is not None:
            self.after.show_search(call.caller_number, call.customer_ref, call.meta.id)

    def show_from_command(self) -> str:
        """`calmline show` / a second launch: visible and on top, focus untouched."""
        self.show()
        self.raise_()
        return "window shown"

    def toggle_visible(self) -> None:
        self.setVisible(not self.isVisible())

    # -- collapsing and placement ------------------------------------------
    def set_collapsed(self, collapsed: bool) -> None:
        if collapsed == self.collapsed:
            return
        if collapsed:
            self._full_height = self.height()
        self.collapsed = collapsed
        self.pages.setCurrentWidget(self.strip if collapsed else self.pages.widget(0))
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
        if not self.attached:
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
        if self.attached:
            self.forms.save_all()
        if self.hide_on_close:
            event.ignore()
            self.hide()
            return
        super().closeEvent(event)
        self.quit_requested.emit()
