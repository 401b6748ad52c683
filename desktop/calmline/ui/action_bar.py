"""The buttons of the flow: shift, call, abusive-caller mode, collapse."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget


class ActionBar(QWidget):
    shift_clicked = Signal()
    call_clicked = Signal()
    abusive_toggled = Signal(bool)
    collapse_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shift = QPushButton(self)
        self.call = QPushButton(self)
        self.abusive = QPushButton("&Abusive caller", self)
        self.abusive.setCheckable(True)
        self.abusive.setAccessibleName("Abusive-caller mode")
        self.abusive.setToolTip("Switch the checklist to the abusive-caller playbook")
        self.collapse = QPushButton("▁", self)
        self.collapse.setAccessibleName("Collapse to a slim strip")
        self.collapse.setToolTip("Collapse to a slim strip")
        self.collapse.setFixedWidth(self.collapse.sizeHint().height())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for b in (self.shift, self.call, self.abusive):
            layout.addWidget(b, 1)
        layout.addWidget(self.collapse)
        self.shift.clicked.connect(self.shift_clicked)
        self.call.clicked.connect(self.call_clicked)
        self.abusive.clicked.connect(self.abusive_toggled)
        self.collapse.clicked.connect(self.collapse_clicked)
        self.show_state(shift_running=False, in_call=False, abusive=False)

    def show_state(self, *, shift_running: bool, in_call: bool, abusive: bool) -> None:
        self.shift.setText("End s&hift" if shift_running else "Start s&hift")
        self.shift.setAccessibleName(self.shift.text().replace("&", ""))
        self.shift.setEnabled(not in_call)
        self.call.setText("&End call" if in_call else "&Start call")
        self.call.setAccessibleName(self.call.text().replace("&", ""))
        self.abusive.setChecked(abusive)
