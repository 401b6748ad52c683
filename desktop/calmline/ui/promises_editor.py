"""Next steps promised to the caller: what, for whom, by when. Each becomes a
follow-up when the incident is saved."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from calmline.core.records import Promise


def next_working_day(today: date) -> date:
    day = today + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class PromiseRow(QWidget):
    changed = Signal()
    remove_clicked = Signal()

    def __init__(self, promise: Promise, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.what = QLineEdit(promise.what, self)
        self.what.setPlaceholderText("What was promised")
        self.what.setAccessibleName("Promised next step")
        self.who = QLineEdit(promise.who, self)
        self.who.setPlaceholderText("For whom")
        self.who.setAccessibleName("Who the follow-up is for")
        self.who.setMaximumWidth(110)
        self.due = QDateEdit(self)
        self.due.setCalendarPopup(True)
        self.due.setAccessibleName("Due date")
        due = promise.due or next_working_day(today)
        self.due.setDate(QDate(due.year, due.month, due.day))
        self.remove = QPushButton("✕", self)
        self.remove.setAccessibleName("Remove this next step")
        self.remove.setFixedWidth(self.remove.sizeHint().height())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.what, 3)
        layout.addWidget(self.who, 1)
        layout.addWidget(self.due)
        layout.addWidget(self.remove)
        self.what.textChanged.connect(self.changed)
        self.who.textChanged.connect(self.changed)
        self.due.dateChanged.connect(self.changed)
        self.remove.clicked.connect(self.remove_clicked)

    def promise(self) -> Promise:
        d = self.due.date()
        return Promise(self.what.text(), self.who.text(), date(d.year(), d.month(), d.day()))


class PromisesEditor(QWidget):
    changed = Signal()

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.today = today
        self.rows: list[PromiseRow] = []
        self.add = QPushButton("+ Add a promised &next step", self)
        self.add.setAccessibleName("Add a promised next step")
        self.add.clicked.connect(lambda: self._add(Promise(""), focus=True))
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.add)

    def set_promises(self, promises: tuple[Promise, ...]) -> None:
        for row in list(self.rows):
            self._remove(row, notify=False)
        for p in promises:
            self._add(p, notify=False)

    def promises(self) -> tuple[Promise, ...]:
        """Rows with text; an empty new row is not a promise yet."""
        return tuple(p for p in (r.promise() for r in self.rows) if p.what.strip())

    def _add(self, promise: Promise, focus: bool = False, notify: bool = True) -> None:
        row = PromiseRow(promise, self.today, self)
        row.changed.connect(self.changed)
        row.remove_clicked.connect(lambda r=row: self._remove(r))
        self.rows.append(row)
        self._layout.insertWidget(self._layout.count() - 1, row)
        if focus:
            row.what.setFocus()
        if notify:
            self.changed.emit()

    def _remove(self, row: PromiseRow, notify: bool = True) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        if notify:
            self.changed.emit()
