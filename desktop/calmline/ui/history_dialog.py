"""A caller's earlier incidents, newest first; double-click (or Enter) opens one."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from calmline.core.after_call import ago_text, outcome_word
from calmline.core.records import Incident

ID_ROLE = Qt.ItemDataRole.UserRole


def incident_line(inc: Incident, now: datetime) -> str:
    first = inc.summary.strip().splitlines()[0].lstrip("- ") if inc.summary.strip() else ""
    when = inc.started_at.astimezone().strftime("%d %b %H:%M")
    who = inc.caller_number or inc.customer_ref
    parts = [when, f"({ago_text(inc.started_at, now)})", outcome_word(inc), who, first]
    return " · ".join(p for p in parts if p)


class IncidentListDialog(QDialog):
    open_requested = Signal(str)  # incident id

    def __init__(
        self, title: str, incidents: list[Incident], now: datetime, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.list = QListWidget(self)
        self.list.setAccessibleName(title)
        self.list.setWordWrap(True)
        for inc in incidents:
            item = QListWidgetItem(incident_line(inc, now))
            item.setData(ID_ROLE, inc.meta.id)
            item.setToolTip(inc.summary or "no summary")
            self.list.addItem(item)
        hint = QLabel("Double-click or press Enter to open one.", self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(hint)
        self.list.itemActivated.connect(lambda it: self.open_requested.emit(it.data(ID_ROLE)))
        self.resize(440, 300)
