"""The End-shift summary's plots as widgets: the agent's voice over the shift and
talk share per call, drawn by ui/plot_images.py (which draws the same pictures
for `calmline report`)."""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from calmline.core.shift_summary import CallVoice
from calmline.ui.plot_images import TALK, VOICE, draw_talk_share, draw_voice, style


class VoiceTimeline(pg.PlotWidget):
    """Level over the calm baseline through the shift, one line per call."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, axisItems=VOICE.axes())
        style(self, VOICE)
        self.setAccessibleName("Voice level through the shift, raised-voice cues marked")
        self.setMinimumHeight(160)
        self.marks = 0  # raised-voice cues drawn

    def show_calls(self, calls: Sequence[CallVoice], raised_db: float) -> None:
        self.marks = draw_voice(self.getPlotItem(), calls, raised_db)


class TalkShareBars(pg.PlotWidget):
    """How much of each call the agent spoke; the caller should have most of it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        style(self, TALK)
        self.setAccessibleName("Talk share per call")
        self.setMinimumHeight(140)

    def show_calls(self, calls: Sequence[CallVoice]) -> None:
        draw_talk_share(self.getPlotItem(), calls)
