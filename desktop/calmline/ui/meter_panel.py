"""The meter panel: level bar, cue word, talk share, the last minute, the
microphone's state and, with a caller channel, a thin bar of the caller's level.
It only shows what the meter controller hands it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QPushButton, QWidget

from calmline.core.cues import CueKind
from calmline.ui.history_strip import HistoryStrip
from calmline.ui.level_bar import RAISED, LevelBar
from calmline.ui.plain_text import line, plain

# The strip gets its points (10 a second) five at a time, so it is drawn twice a
# second: it moves a few pixels a redraw, and a redraw of it (pyqtgraph) costs more
# than the rest of the meter's drain.
HISTORY_BATCH = 5
TALK_EVERY = 10  # points: the share of the last minute is shown again once a second

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
        self.caller = LevelBar(self, thickness=6)
        self.caller.setAccessibleName("The caller's level")
        self.caller.raised_db = 6.0
        self.caller_word = QLabel(self)
        self.caller_word.setAccessibleName("The caller")
        self.caller_word.setTextFormat(Qt.TextFormat.PlainText)
        for w in (self.caller, self.caller_word):
            w.hide()  # until a caller channel runs
        self._caller_loud: bool | None = None
        self.history = HistoryStrip(self)
        self.status = QLabel(self)
        self.status.setAccessibleName("Microphone")
        self.status.setWordWrap(True)
        plain(self.status, 3)  # device names come from the OS (a USB headset names itself)
        self.calibrate = QPushButton("Calibrate", self)
        self.calibrate.setAccessibleName("Calibrate your calm voice level")
        self.calibrate.setToolTip("Read a sentence in your normal voice to set your calm level")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.bar, 0, 0)
        grid.addWidget(self.cue, 0, 1)
        grid.addWidget(self.caller, 1, 0)
        grid.addWidget(self.caller_word, 1, 1)
        grid.addWidget(self.history, 2, 0, 1, 2)
        grid.addWidget(self.talk, 3, 0, 1, 2)
        grid.addWidget(self.status, 4, 0)
        grid.addWidget(self.calibrate, 4, 1, Qt.AlignmentFlag.AlignRight)
        grid.setColumnStretch(0, 1)
        self._shown: CueKind | None = None  # the label starts empty and unstyled
        self._points: list[float] = []  # levels waiting for the strip
        self._talk_wait = 0  # points until the talk share is shown again

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

    def show_caller(self, level_db: float, calm_db: float | None, loud: bool) -> None:
        """The caller's level, quietly: a thin bar and one word, amber when they are
        loud (context for the agent, never a cue)."""
        if self.caller.isHidden():
            self.caller.show()
            self.caller_word.show()
        self.caller.show_level(level_db, -100.0, calm_db, False)
        if loud == self._caller_loud:
            return
        self._caller_loud = loud
        self.caller_word.setText("Caller loud — keep yours low" if loud else "Caller")
        self.caller_word.setStyleSheet(f"QLabel {{ color: {RAISED.name()}; }}" if loud else "")

    def push_history(self, level_db: float, baseline: float | None, talk_share: float) -> None:
        """One point of the last minute (10 Hz). The strip is drawn every
        HISTORY_BATCH points, and the talk share (a progress bar repaints itself
        at once on a change) once a second."""
        self._points.append(level_db)
        if len(self._points) >= HISTORY_BATCH or not self.history.isVisible():
            for point in self._points:  # pushed back to back: one repaint
                self.history.push(point, baseline)
            self._points.clear()
        self._talk_wait -= 1
        if self._talk_wait <= 0:
            self._talk_wait = TALK_EVERY
            percent = round(talk_share * 100)
            if percent != self.talk.value():
                self.talk.setValue(percent)

    def show_status(self, text: str) -> None:
        text = line(text)
        if text == self.status.text():
            return
        self.status.setText(text)
        self.status.setVisible(bool(text))
