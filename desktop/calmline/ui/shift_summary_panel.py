"""The shift in figures and pictures: calls, handling and after-call time,
outcomes, apologies, escalations, abusive calls, follow-ups; the agent's voice
through the shift and talk share per call; and the follow-ups that are due."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from calmline.core.after_call import APOLOGY_WORDS, RESOLUTION_WORDS, duration_text
from calmline.core.followups import due_text
from calmline.core.records import FollowUp, Resolution
from calmline.core.shift_summary import ShiftSummary
from calmline.ui.summary_plots import TalkShareBars, VoiceTimeline


def counts_text(pairs: list[tuple[str, int]]) -> str:
    """'2 resolved · 1 pending' — kinds with a count only; 'none' if all are 0."""
    return " · ".join(f"{n} {word}" for word, n in pairs if n) or "none"


def figure_rows(s: ShiftSummary) -> list[tuple[str, str]]:
    """The summary's figures as (label, text), shared with the HTML report."""
    after = duration_text(s.after_call_avg_s)
    drafts = f"; {s.drafts} still a draft" if s.drafts else ""
    share = f"{s.talk_share_avg:.0%}" if s.talk_share_avg is not None else "–"
    resolutions = [(RESOLUTION_WORDS[r], n) for r, n in s.resolutions.items()]
    return [
        ("Calls handled", str(s.calls)),
        (
            "Handling time",
            f"{duration_text(s.handle_total_s)} in all, "
            f"{duration_text(s.handle_avg_s)} a call on average",
        ),
        (
            "After-call work",
            f"{duration_text(s.after_call_total_s)} in all, {after} a call{drafts}",
        ),
        ("Outcomes", counts_text(resolutions)),
        ("Apologies", counts_text([(APOLOGY_WORDS[a], n) for a, n in s.apologies.items()])),
        ("Escalations", str(s.escalations)),
        ("Abusive calls", f"{s.abusive} abusive, {s.aggressive} aggressive"),
        (
            "Follow-ups promised",
            f"{s.followups_created} ({s.followups_done} done already)",
        ),
        ("Your voice", f"{s.raised_voice_cues} raised-voice cues; you spoke {share} of the time"),
    ]


def outcome_counts(s: ShiftSummary) -> list[tuple[str, int]]:
    order = [Resolution.TOTAL, Resolution.PENDING, Resolution.ESCALATED, Resolution.DECLINED]
    return [(RESOLUTION_WORDS[r], s.resolutions[r]) for r in [*order, Resolution.NONE]]


class ShiftSummaryPanel(QWidget):
    def __init__(self, raised_db: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.raised_db = raised_db
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.figures = QFormLayout()
        self.timeline = VoiceTimeline(self)
        self.talk = TalkShareBars(self)
        self.due_box = QGroupBox("Follow-ups due", self)
        self.due_list = QLabel(self.due_box)
        self.due_list.setWordWrap(True)
        self.due_list.setAccessibleName("Follow-ups due")
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
        self.title.setText(f"<b>{title}</b>")
        while self.figures.rowCount():
            self.figures.removeRow(0)
        for label, text in figure_rows(s):
            value = QLabel(text)
            value.setWordWrap(True)
            value.setAccessibleName(label)
            self.figures.addRow(f"{label}:", value)
        self.timeline.show_calls(s.voice, self.raised_db)
        self.talk.show_calls(s.voice)
        lines = [
            f"• {f.what}{f' (for {f.who})' if f.who else ''} — {due_text(f, today)}" for f in due
        ]
        self.due_list.setText("\n".join(lines) or "Nothing due.")
