"""The shift's plots — the agent's voice over the shift (level above their calm
level, one point a second, raised-voice cues marked), talk share per call, and
outcomes — drawn onto any pyqtgraph plot: the End-shift summary's widgets
(ui/summary_plots.py) draw with these, and ``report_plots`` draws the same
pictures as PNG for `calmline report`, on a canvas made and deleted for each.

Static pictures: no mouse, no auto-range, antialiasing off. No widget class of
Calmline's lives here, so the command line can draw without the window's."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, Qt
from PySide6.QtWidgets import QApplication

from calmline.core.report_html import Plot
from calmline.core.shift_summary import CallVoice, ShiftSummary, outcome_counts

INK, GRID, CALM, RAISED, BAR = "#333333", "#bbbbbb", "#2e7d32", "#c62828", "#1565c0"


@dataclass(frozen=True)
class Look:
    """A plot's title, the label on its left, and whether time runs along the bottom."""

    title: str
    left: str
    dates: bool = False

    def axes(self) -> dict[str, pg.AxisItem]:
        """The axes a plot of this look is made with."""
        return {"bottom": pg.DateAxisItem()} if self.dates else {}


VOICE = Look("Your voice through the shift", "dB over your calm level", dates=True)
TALK = Look("Talk share per call", "% spoken by you")


def style(plot: pg.PlotWidget, look: Look) -> None:
    """A still picture on white, titled and labelled."""
    plot.setBackground("w")
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    item = plot.getPlotItem()
    item.setTitle(look.title, color=INK, size="10pt")
    item.setLabel("left", look.left, color=INK)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(INK))
        axis.setTextPen(pg.mkPen(INK))
    item.showGrid(x=False, y=True, alpha=0.25)


def canvas(look: Look) -> pg.PlotWidget:
    """A plot to draw one picture on, offscreen (``png`` deletes it)."""
    plot = pg.PlotWidget(axisItems=look.axes())
    style(plot, look)
    return plot


def _bars(plot: pg.PlotItem, xs: Sequence[int], heights: Sequence[float], slots: int) -> None:
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


def draw_voice(plot: pg.PlotItem, calls: Sequence[CallVoice], raised_db: float) -> int:
    """Level over the calm baseline through the shift, one line per call; calls
    without a calm level yet, or without a microphone, are left out. Returns the
    raised-voice cues marked (the report says how many)."""
    plot.clear()
    xs_all: list[float] = []
    mark_x: list[float] = []
    mark_y: list[float] = []
    for call in calls:
        if call.baseline_db is None or not call.levels_db:
            continue
        t0 = call.started_at.timestamp()
        xs = [t0 + n for n in range(len(call.levels_db))]
        ys = [math.nan if v is None else v - call.baseline_db for v in call.levels_db]
        plot.plot(xs, ys, pen=pg.mkPen(BAR, width=1), connect="finite")
        xs_all += [xs[0], xs[-1]]
        for at in call.raised_at_s:
            n = min(int(at), len(ys) - 1)
            mark_x.append(t0 + at)
            mark_y.append(ys[n] if not math.isnan(ys[n]) else raised_db)
    plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen(CALM, style=Qt.PenStyle.DashLine)))
    plot.addItem(
        pg.InfiniteLine(raised_db, angle=0, pen=pg.mkPen(RAISED, style=Qt.PenStyle.DashLine))
    )
    if mark_x:
        plot.addItem(
            pg.ScatterPlotItem(
                mark_x, mark_y, symbol="t", size=11, brush=pg.mkBrush(RAISED), pen=None
            )
        )
    if xs_all:
        plot.setXRange(min(xs_all), max(xs_all), padding=0.02)
    plot.setYRange(-15, max(raised_db + 9, 15), padding=0)
    return len(mark_x)


def draw_talk_share(plot: pg.PlotItem, calls: Sequence[CallVoice]) -> None:
    """How much of each call the agent spoke; the caller should have most of it."""
    plot.clear()
    shown = [(n, c) for n, c in enumerate(calls) if c.talk_share is not None]
    heights = [100 * (c.talk_share or 0) for _, c in shown]
    _bars(plot, [n for n, _ in shown], heights, len(calls))
    plot.addItem(pg.InfiniteLine(50, angle=0, pen=pg.mkPen(GRID, style=Qt.PenStyle.DashLine)))
    step = max(1, len(calls) // 8)
    ticks = [(n, c.started_at.astimezone().strftime("%H:%M")) for n, c in enumerate(calls)][::step]
    plot.getAxis("bottom").setTicks([ticks])
    plot.setYRange(0, 100, padding=0)


def draw_counts(plot: pg.PlotItem, counts: Sequence[tuple[str, int]]) -> None:
    """Counts by kind (e.g. resolutions), labelled under each bar."""
    plot.clear()
    _bars(plot, range(len(counts)), [n for _, n in counts], len(counts))
    plot.getAxis("bottom").setTicks([list(enumerate(k for k, _ in counts))])
    plot.setYRange(0, max([n for _, n in counts] + [1]) * 1.15, padding=0)


def png(plot: pg.PlotWidget, width: int, height: int) -> bytes:
    """The plot drawn at ``width`` x ``height`` as PNG bytes; the plot is then
    deleted (pyqtgraph lays out axes only in a view, so each picture has one)."""
    plot.resize(width, height)
    pixmap = plot.grab()
    plot.deleteLater()
    # Gone now: processEvents() does not run deferred deletes.
    QApplication.sendPostedEvents(plot, QEvent.Type.DeferredDelete)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def report_plots(summary: ShiftSummary, raised_db: float) -> dict[str, Plot]:
    """The report's pictures, drawn as the End-shift summary draws them."""
    voice = canvas(VOICE)
    voice.getPlotItem().setTitle("The agent's voice, in dB over their calm level", color=INK)
    marks = draw_voice(voice.getPlotItem(), summary.voice, raised_db)
    talk = canvas(TALK)
    draw_talk_share(talk.getPlotItem(), summary.voice)
    outcomes = canvas(Look("Outcomes", "calls"))
    draw_counts(outcomes.getPlotItem(), outcome_counts(summary))
    return {
        "voice": Plot(
            "voice",
            f"Voice level through the period, {marks} raised-voice cue(s) marked",
            png(voice, 940, 280),
        ),
        "talk": Plot("talk", "Talk share per call", png(talk, 940, 220)),
        "outcomes": Plot("outcomes", "Calls by outcome", png(outcomes, 620, 220)),
    }
