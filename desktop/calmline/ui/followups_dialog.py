"""Promised follow-ups, soonest due first: shown at shift start when some are
due, and from the window's badge. Mark one done with a note of what was done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from calmline.core.after_call import caller_of
from calmline.core.followups import Due, complete, due_state, due_text, is_due
from calmline.core.problems import ProblemsError
from calmline.core.records import FollowUp, Incident
from calmline.store.repository import Store

ID_ROLE = Qt.ItemDataRole.UserRole
LATE = "#c62828"


class FollowUpsDialog(QDialog):
    changed = Signal()  # one was marked done: the badge may change
    open_requested = Signal(str)  # the incident it came from

    def __init__(
        self, store: Store, now: Callable[[], datetime], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store, self.now = store, now
        self.setWindowTitle("Follow-ups")
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.tree = QTreeWidget(self)
        self.tree.setAccessibleName("Open follow-ups")
        self.tree.setHeaderLabels(["Due", "What", "For", "Caller"])
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnWidth(0, 130)
        self.tree.setColumnWidth(1, 260)
        self.done = QPushButton("Mark &done…", self)
        self.open_call = QPushButton("Open its &incident", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.done, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.open_call, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        self.done.clicked.connect(self.mark_done)
        self.open_call.clicked.connect(self._open_incident)
        self.tree.itemActivated.connect(lambda *_: self.mark_done())
        self.tree.currentItemChanged.connect(lambda *_: self._enable())
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        self.resize(620, 320)
        self.reload()

    def reload(self) -> None:
        today = self.now().date()
        followups = self.store.followups()
        self.tree.clear()
        for f in followups:
            inc = self.store.get(Incident, f.incident_id)
            item = QTreeWidgetItem([due_text(f, today), f.what, f.who, caller_of(inc)])
            item.setData(0, ID_ROLE, f.meta.id)
            item.setToolTip(1, f.what)
            if due_state(f, today) is Due.OVERDUE:
                item.setForeground(0, Qt.GlobalColor.red)
            self.tree.addTopLevelItem(item)
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.intro.setText(self._intro(followups, today))
        self._enable()

    @staticmethod
    def _intro(followups: list[FollowUp], today: date) -> str:
        if not followups:
            return "No open follow-ups: every promise is kept."
        due = sum(is_due(f, today) for f in followups)
        return (
            f"{len(followups)} open, {due} due today or overdue. Keep the promises made to "
            "callers: mark each done with what you did."
        )

    def _enable(self) -> None:
        has = self.tree.currentItem() is not None
        self.done.setEnabled(has)
        self.open_call.setEnabled(has)

    def _current(self) -> FollowUp | None:
        item = self.tree.currentItem()
        return self.store.get(FollowUp, item.data(0, ID_ROLE)) if item else None

    def mark_done(self) -> None:
        followup = self._current()
        if followup is None:
            return
        note, ok = QInputDialog.getText(
            self, "Follow-up done", f"What was done about “{followup.what}”?"
        )
        if not ok:
            return
        try:
            self.store.save(complete(followup, note, self.now()))
        except ProblemsError as exc:
            self.intro.setText(
                f"<span style='color:{LATE}'>{exc.problems[0].message} — "
                f"{exc.problems[0].fix}</span>"
            )
            return
        self.reload()
        self.changed.emit()

    def _open_incident(self) -> None:
        followup = self._current()
        if followup is not None:
            self.open_requested.emit(followup.incident_id)
