"""The End-shift sync dialog: progress (n of N), then what was sent, what was
not and why, and that unsent records stay safe locally. Not modal: the agent
may close it at any time; the sync goes on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from calmline.core.redact import redact_target
from calmline.ui.plain_text import block, plain

if TYPE_CHECKING:
    from calmline.sync.runner import SyncSummary


class SyncDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sending the shift's records")
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        plain(self.text, 8)  # server messages are not markup, nor the dialog's size
        self.text.setAccessibleName("Sync result")
        self.bar = QProgressBar(self)
        self.bar.setFormat("%v of %m records")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        layout.addWidget(buttons)
        self.resize(420, self.sizeHint().height())

    def begin(self) -> None:
        self.text.setText("Sending this shift's records to the team store…")
        self.bar.setRange(0, 0)  # busy until the count is known
        self.bar.show()

    def show_progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def show_summary(self, summary: SyncSummary) -> None:
        self.bar.setRange(0, max(summary.total, 1))
        self.bar.setValue(summary.sent)
        self.bar.setVisible(summary.total > 0)
        self.text.setText(block(redact_target(summary.text())))
