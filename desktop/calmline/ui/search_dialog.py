"""Search past incidents as you type: words, a caller's number in any format,
a category, and "what worked before" (best-practice solutions only). Opened
from the window, or from a known caller's history badge filtered to them.
The team's incidents (other agents', from the local team cache) are listed
after this computer's own, each marked with its agent; they open read-only
(ui/team_incident_view.py), never in the incident form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from calmline.core.after_call import RESOLUTION_WORDS, ago_text, caller_of, headline, outcome_word
from calmline.core.queries import Queries
from calmline.core.records import Incident
from calmline.core.search_query import SearchQuery
from calmline.core.team import TeamIncident
from calmline.ui.plain_text import ID_MAX, button_text, cannot_widen, line, plain, tooltip
from calmline.ui.team_incident_view import TeamIncidentView

ID_ROLE = Qt.ItemDataRole.UserRole
TEAM_ROLE = Qt.ItemDataRole.UserRole + 1  # the TeamIncident of a team row
TYPING_MS = 150


def incident_line(inc: Incident, now: datetime) -> str:
    """'02 Nov 09:00 · (3 days ago) · pending · 555-0101 · first line of the summary'
    (the caller and the summary cut to fit one line)."""
    when = inc.started_at.astimezone().strftime("%d %b %H:%M")
    parts = [when, f"({ago_text(inc.started_at, now)})", outcome_word(inc)]
    parts += [line(caller_of(inc), ID_MAX), line(headline(inc), 80)]
    return " · ".join(p for p in parts if p)


def result_text(inc: Incident, now: datetime) -> str:
    text = incident_line(inc, now)
    if inc.category:
        text += f" · {line(inc.category, ID_MAX)}"
    if inc.best_practice and inc.best_practice_text:
        text += f"\n    What worked: {line(inc.best_practice_text)}"
    return text


def team_text(inc: TeamIncident, now: datetime) -> str:
    """A team row: '02 Nov 09:00 · (3 days ago) · pending · 555-0101 · summary ·
    agent-12 (team, read-only)'."""
    when = inc.started_at.astimezone().strftime("%d %b %H:%M")
    summary = inc.summary.strip()
    first = summary.splitlines()[0].lstrip("- ") if summary else ""
    parts = [when, f"({ago_text(inc.started_at, now)})", RESOLUTION_WORDS[inc.resolution]]
    parts += [line(inc.caller_number or inc.customer_ref, ID_MAX), line(first, 80)]
    if inc.category:
        parts.append(line(inc.category, ID_MAX))
    parts.append(f"{line(inc.agent_id, ID_MAX)} (team, read-only)")
    return " · ".join(p for p in parts if p)


class SearchDialog(QDialog):
    open_requested = Signal(str)  # incident id

    def __init__(
        self,
        queries: Queries,
        now: Callable[[], datetime],
        parent: QWidget | None = None,
        me: Callable[[], str] = lambda: "",
    ) -> None:
        super().__init__(parent)
        self.queries, self.now, self.me = queries, now, me  # me: this computer's agent
        self.caller = ""  # a caller number (or a reference) to keep to
        self.ref = ""  # ... and a customer reference
        self.exclude = ""  # the call in progress: not its own history
        self.setWindowTitle("Search incidents")
        self.text = QLineEdit(self)
        self.text.setPlaceholderText("Words, a caller's number or a customer reference")
        self.text.setAccessibleName("Search text")
        self.text.setClearButtonEnabled(True)
        self.category = QComboBox(self)
        self.category.setAccessibleName("Category")
        # Category names are typed by agents: the box never widens to the longest.
        self.category.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.category.setMinimumContentsLength(24)
        self.worked = QCheckBox("Only what &worked (best practice)", self)
        self.caller_chip = QPushButton(self)
        self.caller_chip.setToolTip("Show every caller again")
        cannot_widen(self.caller_chip)
        self.caller_chip.clicked.connect(lambda: self.set_caller(""))
        self.results = QListWidget(self)
        self.results.setAccessibleName("Search results")
        self.results.setWordWrap(True)
        self.count = plain(QLabel(self))
        filters = QHBoxLayout()
        filters.addWidget(self.category, 1)
        filters.addWidget(self.worked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(filters)
        layout.addWidget(self.caller_chip)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.count)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_MS)
        self._typing.timeout.connect(self.run)
        self.text.textChanged.connect(lambda _t: self._typing.start())
        self.category.currentIndexChanged.connect(lambda _i: self.run())
        self.worked.toggled.connect(lambda _on: self.run())
        self.results.itemActivated.connect(self._open)
        self.team_view: TeamIncidentView | None = None
        self.text.returnPressed.connect(self._open_first)
        self.resize(560, 420)
        self.reload_categories()
        self.set_caller("")

    def reload_categories(self) -> None:
        current = self.category.currentData()
        self.category.blockSignals(True)
        self.category.clear()
        self.category.addItem("Any category", "")
        for name, n in self.queries.categories():
            self.category.addItem(f"{line(name, ID_MAX)} ({n})", name)
        found = self.category.findData(current) if current else 0
        self.category.setCurrentIndex(max(found, 0))
        self.category.blockSignals(False)

    def set_caller(self, caller: str, ref: str = "", exclude: str = "") -> None:
        """Only the incidents of this caller number or customer reference (as the
        history badge counts them), or everyone's; ``exclude``: the call in progress."""
        self.caller, self.ref, self.exclude = caller, ref, exclude
        who = " · ref ".join(line(w, ID_MAX) for w in (caller, ref) if w)
        self.caller_chip.setText(f"Only caller {button_text(who)}  ✕" if who else "")
        self.caller_chip.setAccessibleName(f"Only caller {who}; press to show every caller")
        self.caller_chip.setVisible(bool(who))
        self.run()

    def query(self) -> SearchQuery:
        return SearchQuery(
            text=self.text.text(),
            caller_number=self.caller,
            customer_ref=self.ref,
            category=self.category.currentData() or "",
            best_practice=self.worked.isChecked(),
            exclude_id=self.exclude,
        )

    def run(self) -> None:
        self._typing.stop()
        found = self.queries.search(self.query())
        now = self.now()
        self.results.clear()
        for inc in found:
            item = QListWidgetItem(result_text(inc, now))
            item.setData(ID_ROLE, inc.meta.id)
            item.setToolTip(tooltip(inc.summary or "no summary"))
            self.results.addItem(item)
        team = self.queries.team_search(self.query(), self.me())
        for tinc in team:
            item = QListWidgetItem(team_text(tinc, now))
            item.setData(ID_ROLE, tinc.id)
            item.setData(TEAM_ROLE, tinc)
            item.setToolTip(tooltip(tinc.summary or "no summary"))
            item.setForeground(Qt.GlobalColor.darkGray)
            self.results.addItem(item)
        shown, theirs = len(found), len(team)
        more = "+" if shown == SearchQuery.limit else ""
        words = f"{shown}{more} incident{'s' if shown != 1 else ''}"
        if theirs:
            words += f" and {theirs} of the team's"
        self.count.setText(
            f"{words} — double-click or Enter opens one" if shown or theirs else "Nothing found."
        )

    def _open(self, item: QListWidgetItem) -> None:
        """One of this computer's own: its form; a team incident: read-only."""
        team = item.data(TEAM_ROLE)
        if isinstance(team, TeamIncident):
            if self.team_view is not None:
                self.team_view.close()
            self.team_view = TeamIncidentView(team, self.now(), self)
            self.team_view.show()
            return
        self.open_requested.emit(item.data(ID_ROLE))

    def _open_first(self) -> None:
        self.run()
        item = self.results.currentItem() or self.results.item(0)
        if item is not None:
            self._open(item)
