"""The collapsed window: one slim strip with the meter, current step and timer."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from calmline.ui.plain_text import line, plain, tooltip


class StripPanel(QWidget):
    expand_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.meter_slot = QWidget(self)  # the meter issue puts a compact bar here
        self.meter_slot.setAccessibleName("Voice meter")
        QHBoxLayout(self.meter_slot).setContentsMargins(0, 0, 0, 0)
        self.step = plain(QLabel(self))  # a playbook's step title
        self.step.setAccessibleName("Current step")
        self.timer = QLabel("--:--", self)
        self.timer.setAccessibleName("Call timer")
        font = QFont(self.timer.font())
        font.setBold(True)
        self.timer.setFont(font)
        self.expand = QPushButton("▔", self)
        self.expand.setAccessibleName("Expand the window")
        self.expand.setToolTip("Show the whole checklist")
        self.expand.setFixedWidth(self.expand.sizeHint().height())
        self.expand.clicked.connect(self.expand_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.meter_slot)
        layout.addWidget(self.step, 1)
        layout.addWidget(self.timer)
        layout.addWidget(self.expand)
        self._shown: tuple[str, int] | None = None  # the step title as elided, and its width

    def show_state(self, step_title: str, timer: str) -> None:
        """Called every second (the timer): the title is elided again only when it
        or the room for it changed."""
        width = max(40, self.step.width())
        if self._shown != (step_title, width):
            self._shown = (step_title, width)
            title = line(step_title)
            metrics = self.step.fontMetrics()
            self.step.setText(metrics.elidedText(title, Qt.TextElideMode.ElideRight, width))
            self.step.setToolTip(tooltip(title))
        self.timer.setText(timer)
