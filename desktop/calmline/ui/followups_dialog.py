"""Promised follow-ups, soonest due first: shown at shift start when some are
due, and from the window's badge. Mark one done with a note of what was done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from calmline.core.after_call import caller_of
from calmline.core.commands import Command, Name
from calmline.core.followups import Due, due_state, due_text, is_due
from calmline.core.problems import ProblemsError
from calmline.core.records import FollowUp
from calmline.core.session import TransitionError
from calmline.flow import Flow
from calmline.ui.plain_text import ID_MAX, ask_text, block, line, plain, tooltip

ID_ROLE = Qt.ItemDataRole.UserRole
LATE = "#c62828"
PROBLEM = f"QLabel {{ color: {LATE}; }}"


class FollowUpsDialog(QDialog):
    open_requested = Signal(str)  # the incident it came from

    def __init__(
        self, flow: Flow, now: Callable[[], datetime], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.flow, self.queries, self.now = flow, flow.queries, now
        self.setWindowTitle("Follow-ups")
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        plain(self.intro, 4)  # a refusal can quote the promise
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
        followups = self.queries.open_followups()
        self.tree.clear()
        for f in followups:
            inc = self.queries.incident(f.incident_id)
            shown = [line(f.what), line(f.who, ID_MAX), line(caller_of(inc), ID_MAX)]
            item = QTreeWidgetItem([due_text(f, today), *shown])
            item.setData(0, ID_ROLE, f.meta.id)
            item.setToolTip(1, tooltip(f.what))
            if due_state(f, today) is Due.OVERDUE:
                item.setForeground(0, Qt.GlobalColor.red)
            self.tree.addTopLevelItem(item)
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.intro.setStyleSheet("")
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
        return self.queries.followup(item.data(0, ID_ROLE)) if item else None

    def mark_done(self) -> None:
        followup = self._current()
        if followup is None:
            return
        note, ok = ask_text(
            self, "Follow-up done", f"What was done about “{line(followup.what, 80)}”?"
        )
        if not ok:
            return
        try:  # through the flow: saved, and every listener told (the badge)
            self.flow.run(Command(Name.FOLLOWUP_DONE, {"id": followup.meta.id, "text": note}))
        except ProblemsError as exc:
            self._refused(f"{exc.problems[0].message} — {exc.problems[0].fix}")
            return
        except TransitionError as exc:
            self._refused(str(exc))
            return
        self.reload()

    def _refused(self, text: str) -> None:
        self.intro.setStyleSheet(PROBLEM)
        self.intro.setText(block(text, 400, 4))

    def _open_incident(self) -> None:
        followup = self._current()
        if followup is not None:
            self.open_requested.emit(followup.incident_id)
