"""End shift, step two: the shift's summary before the records are sent. Also
shown, read-only, when the softphone ended the shift."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton, QVBoxLayout, QWidget

from calmline.ui.shift_summary_panel import ShiftSummaryPanel


class ShiftSummaryDialog(QDialog):
    def __init__(self, raised_db: float, confirm: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your shift" if confirm else "Shift ended")
        self.panel = ShiftSummaryPanel(raised_db, self)
        buttons = QDialogButtonBox(self)
        if confirm:
            self.end = QPushButton("&End shift and send records", self)
            self.end.setDefault(True)
            buttons.addButton(self.end, QDialogButtonBox.ButtonRole.AcceptRole)
            keep = QPushButton("&Keep working", self)
            buttons.addButton(keep, QDialogButtonBox.ButtonRole.RejectRole)
        else:
            buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        layout.addWidget(buttons)
        self.resize(760, 640)
