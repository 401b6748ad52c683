"""A banner listing settings and playbook problems, so none is silent. It shows
the first few (file names and values are outside text: plain and cut to a line
each); `calmline doctor` and the log have them all."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from calmline.core.problems import Problem
from calmline.ui.plain_text import line, plain

SHOWN = 3  # problems listed in the window; the rest are counted
LINES = 8  # at most this tall, however long the problems are


class ProblemsBanner(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAccessibleName("Configuration problems")
        self.setStyleSheet(
            "QLabel { background: #fff3cd; color: #5c4400; "
            "border: 1px solid #e0c36a; padding: 4px; }"
        )
        plain(self, LINES)
        self.set_problems([])

    def set_problems(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = [f"⚠ {line(p)}" for p in problems[:SHOWN]]
        if len(problems) > SHOWN:
            lines.append(f"… and {len(problems) - SHOWN} more: `calmline doctor` lists them all")
        self.setText("\n".join(lines))
        self.setVisible(bool(problems))
