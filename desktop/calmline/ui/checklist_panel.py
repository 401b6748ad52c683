"""The checklist panel: the playbook's steps grouped by phase, with the selected
step's reason and phrases below."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from calmline.core.playbook import Playbook, Step, StepKind

PHASE_TITLES = {
    "open": "Opening",
    "listen": "Listen",
    "acknowledge": "Acknowledge",
    "solve": "Solve",
    "close": "Close",
    "after": "After the call",
}
STEP_ROLE = Qt.ItemDataRole.UserRole


class ChecklistPanel(QWidget):
    def __init__(self, playbook: Playbook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName("De-escalation steps")
        self.tree.setWordWrap(True)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setAccessibleName("Why this step matters, and phrases to use")
        self.detail.setMinimumHeight(90)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 3)
        layout.addWidget(self.detail, 1)
        self.tree.currentItemChanged.connect(self._show_detail)
        self.set_playbook(playbook)

    def set_playbook(self, playbook: Playbook) -> None:
        self.playbook = playbook
        self.tree.clear()
        first: QTreeWidgetItem | None = None
        for phase, steps in playbook.by_phase():
            header = QTreeWidgetItem([PHASE_TITLES[phase.value]])
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = header.font(0)
            font.setBold(True)
            header.setFont(0, font)
            self.tree.addTopLevelItem(header)
            for step in steps:
                marker = "◉ " if step.kind is StepKind.WATCH else "☐ "
                item = QTreeWidgetItem([marker + step.title])
                item.setData(0, STEP_ROLE, step.id)
                item.setToolTip(0, step.why)
                header.addChild(item)
                first = first or item
            header.setExpanded(True)
        if first is not None:
            self.tree.setCurrentItem(first)

    def current_step(self) -> Step | None:
        item = self.tree.currentItem()
        step_id = item.data(0, STEP_ROLE) if item else None
        return self.playbook.step(step_id) if step_id else None

    def _show_detail(self, *_: object) -> None:
        step = self.current_step()
        if step is None:
            self.detail.clear()
            return
        kind = "Reminder for the whole call" if step.kind is StepKind.WATCH else "Step"
        phrases = "".join(f"<li>{_esc(p)}</li>" for p in step.phrases)
        self.detail.setText(
            f"<b>{_esc(step.title)}</b> <i>({kind})</i><br>{_esc(step.why)}"
            f"<ul style='margin-left:-20px'>{phrases}</ul>"
        )


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
