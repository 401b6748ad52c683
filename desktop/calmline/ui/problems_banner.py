"""A banner listing settings and playbook problems, so none is silent."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from calmline.core.problems import Problem


class ProblemsBanner(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAccessibleName("Configuration problems")
        self.setStyleSheet(
            "QLabel { background: #fff3cd; color: #5c4400; "
            "border: 1px solid #e0c36a; padding: 4px; }"
        )
        self.set_problems([])

    def set_problems(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        self.setText("\n".join(f"⚠ {p}" for p in problems))
        self.setVisible(bool(problems))
