"""The shift's plots, shared by the End-shift summary and `calmline report`:
the agent's voice over the shift (level above their calm level, one point a
second, raised-voice cues marked), talk share per call, and outcomes.

Static pictures: no mouse, no auto-range, antialiasing off. ``png()`` renders
any of them to PNG bytes, offscreen or on screen."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtWidgets import QWidget

from calmline.core.report_html import Plot
from calmline.core.shift_summary import CallVoice, ShiftSummary, outcome_counts

INK, GRID, CALM, RAISED, BAR = "#333333", "#bbbbbb", "#2e7d32", "#c62828", "#1565c0"


def _static(plot: pg.PlotWidget, title: str, left: str) -> None:
    plot.setBackground("w")
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    item = plot.getPlotItem()
    item.setTitle(title, color=INK, size="10pt")
    item.setLabel("left", left, color=INK)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(INK))
        axis.setTextPen(pg.mkPen(INK))
    item.showGrid(x=False, y=True, alpha=0.25)


def _bars(plot: pg.PlotWidget, xs: Sequence[int], heights: Sequence[float], slots: int) -> None:
    """Bars at ``xs`` over ``slots`` places, one per call or kind."""
    if xs:
        plot.addItem(
            pg.BarGraphItem(
                x=list(xs),
                height=list(heights),
                width=0.6,
                brush=pg.mkBrush(BAR),
                pen=pg.mkPen(BAR),
            )
        )
    plot.setXRange(-0.7, max(slots, 1) - 0.3, padding=0)


class VoiceTimeline(pg.PlotWidget):
    """Level over the calm baseline through the shift, one line per call; calls
    without a calm level yet, or without a microphone, are left out."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, axisItems={"bottom": pg.DateAxisItem()})
        _static(self, "Your voice through the shift", "dB over your calm level")
        self.setAccessibleName("Voice level through the shift, raised-voice cues marked")
        self.setMinimumHeight(160)
        self.marks = 0  # raised-voice cues drawn (the report says how many)

    def show_calls(self, calls: Sequence[CallVoice], raised_db: float) -> None:
        self.clear()
        self.marks = 0
        xs_all: list[float] = []
        mark_x: list[float] = []
        mark_y: list[float] = []
        for call in calls:
            if call.baseline_db is None or not call.levels_db:
                continue
            t0 = call.started_at.timestamp()
            xs = [t0 + n for n in range(len(call.levels_db))]
            ys = [math.nan if v is None else v - call.baseline_db for v in call.levels_db]
            self.plot(xs, ys, pen=pg.mkPen(BAR, width=1), connect="finite")
            xs_all += [xs[0], xs[-1]]
            for at in call.raised_at_s:
                n = min(int(at), len(ys) - 1)
                mark_x.append(t0 + at)
                mark_y.append(ys[n] if not math.isnan(ys[n]) else raised_db)
        self.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen(CALM, style=Qt.PenStyle.DashLine)))
        self.addItem(
            pg.InfiniteLine(raised_db, angle=0, pen=pg.mkPen(RAISED, style=Qt.PenStyle.DashLine))
        )
        if mark_x:
            self.marks = len(mark_x)
            self.addItem(
                pg.ScatterPlotItem(
                    mark_x, mark_y, symbol="t", size=11, brush=pg.mkBrush(RAISED), pen=None
                )
            )
        if xs_all:
            self.setXRange(min(xs_all), max(xs_all), padding=0.02)
        self.setYRange(-15, max(raised_db + 9, 15), padding=0)


class TalkShareBars(pg.PlotWidget):
    """How much of each call the agent spoke; the caller should have most of it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _static(self, "Talk share per call", "% spoken by you")
        self.setAccessibleName("Talk share per call")
        self.setMinimumHeight(140)

    def show_calls(self, calls: Sequence[CallVoice]) -> None:
        self.clear()
        shown = [(n, c) for n, c in enumerate(calls) if c.talk_share is not None]
        heights = [100 * (c.talk_share or 0) for _, c in shown]
        _bars(self, [n for n, _ in shown], heights, len(calls))
        self.addItem(pg.InfiniteLine(50, angle=0, pen=pg.mkPen(GRID, style=Qt.PenStyle.DashLine)))
        step = max(1, len(calls) // 8)
        ticks = [(n, c.started_at.astimezone().strftime("%H:%M")) for n, c in enumerate(calls)][
            ::step
        ]
        self.getPlotItem().getAxis("bottom").setTicks([ticks])
        self.setYRange(0, 100, padding=0)


class CountBars(pg.PlotWidget):
    """Counts by kind (e.g. resolutions), labelled under each bar."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _static(self, title, "calls")
        self.setAccessibleName(title)
        self.setMinimumHeight(140)

    def show_counts(self, counts: Sequence[tuple[str, int]]) -> None:
        self.clear()
        _bars(self, range(len(counts)), [n for _, n in counts], len(counts))
        self.getPlotItem().getAxis("bottom").setTicks([list(enumerate(k for k, _ in counts))])
        self.setYRange(0, max([n for _, n in counts] + [1]) * 1.15, padding=0)


def png(widget: QWidget, width: int, height: int) -> bytes:
    """The widget drawn at ``width`` x ``height`` as PNG bytes."""
    widget.resize(width, height)
    pixmap = widget.grab()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def report_plots(summary: ShiftSummary, raised_db: float) -> dict[str, Plot]:
    """The report's pictures, drawn by the same widgets as the End-shift summary."""
    timeline = VoiceTimeline()
    timeline.getPlotItem().setTitle("The agent's voice, in dB over their calm level", color=INK)
    timeline.show_calls(summary.voice, raised_db)
    talk = TalkShareBars()
    talk.show_calls(summary.voice)
    outcomes = CountBars("Outcomes")
    outcomes.show_counts(outcome_counts(summary))
    plots = {
        "voice": Plot(
            "voice",
            f"Voice level through the period, {timeline.marks} raised-voice cue(s) marked",
            png(timeline, 940, 280),
        ),
        "talk": Plot("talk", "Talk share per call", png(talk, 940, 220)),
        "outcomes": Plot("outcomes", "Calls by outcome", png(outcomes, 620, 220)),
    }
    for widget in (timeline, talk, outcomes):
        widget.deleteLater()
    return plots
