"""The incident form's "Propose a caution marker", shown on an aggressive or
abusive call: a reason from the fixed list (a combo, never free text about
the person) and one button; once proposed it says a team lead reviews it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from calmline.core.records import MarkerReason
from calmline.ui.plain_text import plain

REASONS = [
    (MarkerReason.THREATS, "Threats"),
    (MarkerReason.SUSTAINED_ABUSE, "Sustained abuse"),
    (MarkerReason.HARASSMENT, "Harassment"),
]
PROPOSED = "Proposed — a team lead reviews it"


class CautionProposal(QWidget):
    propose_clicked = Signal(str)  # a MarkerReason value

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reason = QComboBox(self)
        self.reason.setAccessibleName("Caution marker reason")
        self.reason.addItems([text for _, text in REASONS])
        self.button = QPushButton("Propose a caution marker", self)
        self.button.setToolTip("A team lead reviews it; an approved marker has a review date")
        self.status = plain(QLabel(self), 2)
        self.status.setAccessibleName("Caution marker status")
        self.status.setWordWrap(True)
        self.status.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.reason, 1)
        layout.addWidget(self.button)
        layout.addWidget(self.status, 1)
        self.button.clicked.connect(
            lambda: self.propose_clicked.emit(REASONS[self.reason.currentIndex()][0].value)
        )

    def proposed(self) -> None:
        """Done: the reason and the button give way to what happens next."""
        self.reason.hide()
        self.button.hide()
        self.status.setText(PROPOSED)
        self.status.show()
