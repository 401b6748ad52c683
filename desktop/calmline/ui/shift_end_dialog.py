"""Asked at End shift when incident drafts are still open: finish them first, or
end the shift anyway (they stay listed as pending work)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from calmline.core.records import Incident
from calmline.ui.search_dialog import ID_ROLE, incident_line


class ShiftEndDialog(QDialog):
    open_requested = Signal(str)

    def __init__(self, drafts: list[Incident], now: datetime, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("End shift")
        n = len(drafts)
        text = QLabel(
            f"{n} incident{' is' if n == 1 else 's are'} still a draft. Finish "
            f"{'it' if n == 1 else 'them'} now while the call is fresh, or end the shift "
            "anyway — drafts are kept and listed again next time.",
            self,
        )
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Incident drafts still to finish")
        for inc in drafts:
            item = QListWidgetItem(incident_line(inc, now))
            item.setData(ID_ROLE, inc.meta.id)
            self.list.addItem(item)
        buttons = QDialogButtonBox(self)
        self.finish = QPushButton("&Finish drafts", self)
        self.end_anyway = QPushButton("&End shift anyway", self)
        buttons.addButton(self.finish, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.addButton(self.end_anyway, QDialogButtonBox.ButtonRole.AcceptRole)
        self.finish.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self._finish)
        self.list.itemActivated.connect(lambda it: self.open_requested.emit(it.data(ID_ROLE)))

    def _finish(self) -> None:
        for n in range(self.list.count()):
            self.open_requested.emit(self.list.item(n).data(ID_ROLE))
        self.reject()
