"""What the team knows about the caller in a call, under the header: the
promises still open to them (from anyone on the team), each with "Kept"; an
active caution marker as one calm line with the abusive-caller playbook one
click away; and, in small grey text, how old the team's part is when it is.
Hidden outside a call and when there is nothing to show. A view: it shows the
CallerMemory it is given and turns clicks into intents (signals)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from calmline.core.team_view import CallerMemory, age_words, caution_line, promise_line
from calmline.ui.plain_text import line, plain, tooltip

KEPT_TIP = "Record that this promise was kept on this call"
PLAYBOOK_TIP = "Switch this call to the abusive-caller playbook"
# Calm, not an alarm: a soft sand background and dark text, no red.
CAUTION_STYLE = "QLabel { background: #f3efe2; color: #3c3a33; padding: 4px; border-radius: 3px; }"
PROMISE_STYLE = "QLabel { color: #1f3a5f; }"
AGE_STYLE = "QLabel { color: #777777; font-size: 85%; }"
PROMISES_SHOWN = 3  # more than this are counted on one line (the window stays small)


class TeamPanel(QWidget):
    kept_requested = Signal(str)  # a promise's (follow-up's) id
    playbook_requested = Signal()  # the abusive-caller playbook, for this call

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("What the team knows about this caller")
        self.promise_box = QWidget(self)
        self.promise_rows = QVBoxLayout(self.promise_box)
        self.promise_rows.setContentsMargins(0, 0, 0, 0)
        self.promise_rows.setSpacing(2)
        self.caution = QLabel(self)
        self.caution.setStyleSheet(CAUTION_STYLE)
        self.caution.setWordWrap(True)
        self.caution.setAccessibleName("Caution marker")
        plain(self.caution, 4)
        self.playbook = QPushButton("Abusive-caller playbook", self)
        self.playbook.setAccessibleName("Abusive-caller playbook")
        self.playbook.setToolTip(PLAYBOOK_TIP)
        self.playbook.clicked.connect(self.playbook_requested)
        self.age = QLabel(self)
        self.age.setStyleSheet(AGE_STYLE)
        self.age.setWordWrap(True)
        self.age.setAccessibleName("How old the team's history is")
        plain(self.age, 2)
        playbook_row = QHBoxLayout()  # under the line: the line keeps the window's width
        playbook_row.addStretch(1)
        playbook_row.addWidget(self.playbook)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(3)
        layout.addWidget(self.promise_box)
        layout.addWidget(self.caution)
        layout.addLayout(playbook_row)
        layout.addWidget(self.age)
        self._shown: tuple[object, ...] | None = None  # what the rows were built from
        self.kept_buttons: dict[str, QPushButton] = {}  # promise id -> its button
        self.promise_labels: list[QLabel] = []
        self.show_memory(None, "", datetime.now().astimezone(), False)

    def show_memory(
        self, memory: CallerMemory | None, me: str, now: datetime, abusive: bool
    ) -> None:
        """The caller's memory in a call (None: no call)."""
        if memory is None:
            self._set_promises([])
            self.caution.setText("")
            self.age.setText("")
        else:
            today = now.date()
            rows = [(p.id, promise_line(p, me, today)) for p in memory.open_promises]
            self._set_promises(rows)
            caution = caution_line(memory.cautions[0]) if memory.cautions else ""
            self.caution.setText(line(caution))
            self.age.setText(line(age_words(memory, now)))
        has_caution = bool(self.caution.text())
        self.caution.setVisible(has_caution)
        self.playbook.setVisible(has_caution and not abusive)
        self.age.setVisible(bool(self.age.text()))
        has_promises = bool(self.kept_buttons)
        self.promise_box.setVisible(has_promises)
        self.setVisible(has_caution or has_promises or bool(self.age.text()))

    def _set_promises(self, rows: list[tuple[str, str]]) -> None:
        """One line and a Kept button per promise; rebuilt only when they changed
        (the window repaints on every tick)."""
        key = tuple(rows)
        if key == self._shown:
            return
        self._shown = key
        while self.promise_rows.count():
            item = self.promise_rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.kept_buttons, self.promise_labels = {}, []
        for promise_id, text in rows[:PROMISES_SHOWN]:
            row = QWidget(self.promise_box)
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            label = QLabel(line(text), row)
            label.setStyleSheet(PROMISE_STYLE)  # before plain(): its padding counts
            label.setWordWrap(True)
            plain(label, 1)  # a long promise is cut (its tooltip has it all), never a taller window
            label.setToolTip(tooltip(text))
            label.setAccessibleName("Open promise")
            kept = QPushButton("Kept", row)
            kept.setAccessibleName(f"Kept: {line(text)}")
            kept.setToolTip(KEPT_TIP)
            kept.clicked.connect(lambda _=False, pid=promise_id: self.kept_requested.emit(pid))
            h.addWidget(label, 1)
            h.addWidget(kept)
            self.promise_rows.addWidget(row)
            self.kept_buttons[promise_id] = kept
            self.promise_labels.append(label)
        if len(rows) > PROMISES_SHOWN:
            more = plain(QLabel(f"and {len(rows) - PROMISES_SHOWN} more open promises", self))
            more.setStyleSheet(AGE_STYLE)
            self.promise_rows.addWidget(more)
            self.promise_labels.append(more)
