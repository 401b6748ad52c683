"""The meter panel: level bar, cue word, talk share, the last minute, and the
microphone's state. It only shows what the meter controller hands it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QPushButton, QWidget

from calmline.core.cues import CueKind
from calmline.ui.history_strip import HistoryStrip
from calmline.ui.level_bar import RAISED, LevelBar

CUE_WORDS = {
    CueKind.RAISED_VOICE: "Lower your voice",
    CueKind.CONTINUOUS_SPEAKING: "Let them talk",
    CueKind.TALKING_OVER: "Let them finish",
    CueKind.MIC_SILENT: "Mic silent — muted?",
    CueKind.CLIPPING: "Too loud for the mic",
}


class MeterPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Voice meter")
        self.bar = LevelBar(self)
        self.cue = QLabel(self)
        self.cue.setAccessibleName("Voice cue")
        self.cue.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cue.setMinimumWidth(120)
        self.talk = QProgressBar(self)
        self.talk.setRange(0, 100)
        self.talk.setFormat("you talked %p% of the last minute")
        self.talk.setAccessibleName("Your share of the talking, last minute")
        self.talk.setMaximumHeight(self.fontMetrics().height() + 4)
        self.history = HistoryStrip(self)
        self.status = QLabel(self)
        self.status.setAccessibleName("Microphone")
        self.status.setWordWrap(True)
        self.calibrate = QPushButton("Calibrate", self)
        self.calibrate.setAccessibleName("Calibrate your calm voice level")
        self.calibrate.setToolTip("Read a sentence in your normal voice to set your calm level")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.bar, 0, 0)
        grid.addWidget(self.cue, 0, 1)
        grid.addWidget(self.history, 1, 0, 1, 2)
        grid.addWidget(self.talk, 2, 0, 1, 2)
        grid.addWidget(self.status, 3, 0)
        grid.addWidget(self.calibrate, 3, 1, Qt.AlignmentFlag.AlignRight)
        grid.setColumnStretch(0, 1)
        self._shown: CueKind | None = None  # the label starts empty and unstyled

    def show_cue(self, kind: CueKind | None) -> None:
        """A colour and a word; never a dialog. (Called 30 times a second: a style
        sheet is re-applied only when the cue changes.)"""
        if kind == self._shown:
            return
        self._shown = kind
        if kind is None:
            self.cue.setText("")
            self.cue.setStyleSheet("")
            return
        self.cue.setText(CUE_WORDS[kind])
        self.cue.setStyleSheet(
            f"QLabel {{ background: {RAISED.name()}; color: white; font-weight: bold; "
            "border-radius: 3px; padding: 1px 6px; }"
        )

    def push_history(self, level_db: float, baseline: float | None, talk_share: float) -> None:
        """One point of the last minute (10 Hz); repaints only what changed."""
        self.history.push(level_db, baseline)
        percent = round(talk_share * 100)
        if percent != self.talk.value():
            self.talk.setValue(percent)

    def show_status(self, text: str) -> None:
        if text == self.status.text():
            return
        self.status.setText(text)
        self.status.setVisible(bool(text))
