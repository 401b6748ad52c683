"""The shift in figures and pictures: calls, handling and after-call time,
outcomes, apologies, escalations, abusive calls, follow-ups; the agent's voice
through the shift and talk share per call; and the follow-ups that are due."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from calmline.core.followups import due_text
from calmline.core.records import FollowUp
from calmline.core.shift_summary import ShiftSummary, figure_rows
from calmline.ui.plain_text import ID_MAX, line, plain
from calmline.ui.summary_plots import TalkShareBars, VoiceTimeline

DUE_SHOWN = 12  # follow-ups listed; the rest are counted (the Follow-ups list has them all)


class ShiftSummaryPanel(QWidget):
    def __init__(self, raised_db: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.raised_db = raised_db
        self.title = plain(QLabel(self))
        self.title.setWordWrap(True)
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.figures = QFormLayout()
        self.timeline = VoiceTimeline(self)
        self.talk = TalkShareBars(self)
        self.due_box = QGroupBox("Follow-ups due", self)
        self.due_list = plain(QLabel(self.due_box))  # promises as agents typed them
        self.due_list.setWordWrap(True)
        self.due_list.setAccessibleName("Follow-ups due")
        self.due_list.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        QVBoxLayout(self.due_box).addWidget(self.due_list)
        figures = QWidget(self)
        figures.setLayout(self.figures)
        top = QHBoxLayout()
        top.addWidget(figures, 3)
        top.addWidget(self.due_box, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(top)
        layout.addWidget(self.timeline, 2)
        layout.addWidget(self.talk, 1)

    def show_summary(self, title: str, s: ShiftSummary, due: list[FollowUp], today: date) -> None:
        self.title.setText(line(title))
        while self.figures.rowCount():
            self.figures.removeRow(0)
        for label, text in figure_rows(s):
            value = plain(QLabel(text))
            value.setWordWrap(True)
            value.setAccessibleName(label)
            self.figures.addRow(f"{label}:", value)
        self.timeline.show_calls(s.voice, self.raised_db)
        self.talk.show_calls(s.voice)
        lines = [
            f"• {line(f.what, 80)}{f' (for {line(f.who, ID_MAX)})' if f.who else ''}"
            f" — {due_text(f, today)}"
            for f in due[:DUE_SHOWN]
        ]
        if len(due) > DUE_SHOWN:
            lines.append(f"… and {len(due) - DUE_SHOWN} more")
        self.due_list.setText("\n".join(lines) or "Nothing due.")
