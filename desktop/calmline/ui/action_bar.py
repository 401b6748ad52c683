"""The buttons of the flow: shift, call, abusive-caller mode, search, collapse."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget


def magnifier(color: QColor, size: int = 16) -> QIcon:
    """A drawn search icon: no icon theme or emoji font needed on any OS."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color, size / 8))
    r = size * 0.6
    painter.drawEllipse(QRectF(size * 0.1, size * 0.1, r, r))
    painter.drawLine(QPointF(size * 0.62, size * 0.62), QPointF(size * 0.92, size * 0.92))
    painter.end()
    return QIcon(pixmap)


class ActionBar(QWidget):
    shift_clicked = Signal()
    call_clicked = Signal()
    abusive_toggled = Signal(bool)
    collapse_clicked = Signal()
    search_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shift = QPushButton(self)
        self.call = QPushButton(self)
        self.abusive = QPushButton("&Abusive caller", self)
        self.abusive.setCheckable(True)
        self.abusive.setAccessibleName("Abusive-caller mode")
        self.abusive.setToolTip("Switch the checklist to the abusive-caller playbook")
        self.search = QPushButton(self)
        self.search.setIcon(magnifier(self.palette().buttonText().color()))
        self.search.setAccessibleName("Search past incidents")
        self.search.setToolTip("Search past incidents and what worked before (Ctrl+F)")
        self.collapse = QPushButton("▁", self)
        self.collapse.setAccessibleName("Collapse to a slim strip")
        self.collapse.setToolTip("Collapse to a slim strip")
        self.collapse.setFixedWidth(self.collapse.sizeHint().height())
        self.search.setFixedWidth(self.collapse.sizeHint().height())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for b in (self.shift, self.call, self.abusive):
            layout.addWidget(b, 1)
        layout.addWidget(self.search)
        layout.addWidget(self.collapse)
        self.shift.clicked.connect(self.shift_clicked)
        self.call.clicked.connect(self.call_clicked)
        self.abusive.clicked.connect(self.abusive_toggled)
        self.collapse.clicked.connect(self.collapse_clicked)
        self.search.clicked.connect(self.search_clicked)
        self.show_state(shift_running=False, in_call=False, abusive=False)

    def show_state(self, *, shift_running: bool, in_call: bool, abusive: bool) -> None:
        self.shift.setText("End s&hift" if shift_running else "Start s&hift")
        self.shift.setAccessibleName(self.shift.text().replace("&", ""))
        self.shift.setEnabled(not in_call)
        self.call.setText("&End call" if in_call else "&Start call")
        self.call.setAccessibleName(self.call.text().replace("&", ""))
        self.abusive.setChecked(abusive)
