"""The listening bar: one quiet line above the checklist while a call runs, saying
whether heard steps are listening ("Listening for steps", with one button to turn
it off for this call), and, for a few seconds after a step ticks itself, what was
heard and an Undo button. Never a pop-up, never focus."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from calmline.ui.plain_text import line, plain

UNDO_S = 8.0  # a heard tick can be undone this long (the button, or the tick hotkey)
ON_TEXT = "● Listening for steps"
ON_TIP = (
    "Calmline listens to your own microphone, on this computer, for the phrases that "
    "mark a step. Nothing you say is kept."
)


class ListeningBar(QWidget):
    undo_requested = Signal(str)  # step id
    off_requested = Signal()  # listening off for this call

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = QLabel(self)
        self.state.setAccessibleName("Listening")
        plain(self.state, 1)
        self.state.setStyleSheet("QLabel { color: palette(mid); }")
        self.off = QPushButton("Off for this call", self)
        self.off.setFlat(True)
        self.off.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # never steals the CRM's focus
        self.off.setAccessibleName("Stop listening for this call")
        self.heard = QLabel(self)
        self.heard.setAccessibleName("Heard")
        plain(self.heard, 2)
        self.heard.setWordWrap(True)
        self.undo = QPushButton("Undo", self)
        self.undo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.undo.setAccessibleName("Undo the heard tick")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state, 1)
        layout.addWidget(self.off)
        layout.addWidget(self.heard, 1)
        layout.addWidget(self.undo)
        self.step = ""  # the step the Undo button unticks
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(self.clear_heard)
        self.off.clicked.connect(self.off_requested)
        self.undo.clicked.connect(lambda: self.undo_requested.emit(self.step))
        self.show_listening("")
        self.clear_heard()

    def show_listening(self, text: str, can_turn_off: bool = False) -> None:
        """``text``: what listening does now ("" outside a call: the bar hides)."""
        self.state.setText(text)
        self.state.setToolTip(ON_TIP if can_turn_off else "")
        self.off.setVisible(can_turn_off)
        self._visible()

    def show_heard(self, step_id: str, title: str, phrase: str) -> None:
        """A step ticked itself: say what was heard, and offer Undo for UNDO_S."""
        self.step = step_id
        self.heard.setText(f"Heard “{line(phrase, 60)}” → {line(title, 60)}")
        self.heard.show()
        self.undo.show()
        self.state.hide()
        self.off.hide()
        self._undo_timer.start(int(UNDO_S * 1000))
        self._visible()

    def clear_heard(self) -> None:
        self.step = ""
        self._undo_timer.stop()
        self.heard.hide()
        self.undo.hide()
        self.state.show()
        self.off.setVisible(bool(self.state.toolTip()))
        self._visible()

    def _visible(self) -> None:
        self.setVisible(bool(self.state.text() or self.step))
