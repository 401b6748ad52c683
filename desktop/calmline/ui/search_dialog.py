"""Search past incidents as you type: words, a caller's number in any format,
a category, and "what worked before" (best-practice solutions only). Opened
from the window, or from a known caller's history badge filtered to them."""

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

from calmline.core.after_call import ago_text, caller_of, headline, outcome_word
from calmline.core.queries import Queries
from calmline.core.records import Incident
from calmline.core.search_query import SearchQuery
from calmline.ui.plain_text import ID_MAX, button_text, cannot_widen, line, plain, tooltip

ID_ROLE = Qt.ItemDataRole.UserRole
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


class SearchDialog(QDialog):
    open_requested = Signal(str)  # incident id

    def __init__(
        self, queries: Queries, now: Callable[[], datetime], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.queries, self.now = queries, now
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
        self.results.itemActivated.connect(lambda it: self.open_requested.emit(it.data(ID_ROLE)))
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
        shown = len(found)
        more = "+" if shown == SearchQuery.limit else ""
        self.count.setText(
            f"{shown}{more} incident{'s' if shown != 1 else ''} — double-click or Enter opens one"
            if shown
            else "Nothing found."
        )

    def _open_first(self) -> None:
        self.run()
        item = self.results.currentItem() or self.results.item(0)
        if item is not None:
            self.open_requested.emit(item.data(ID_ROLE))
