"""The meter panel and controller on a synthetic microphone, offscreen."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from calmline.audio.sources import ArraySource
from calmline.core.cues import CueParams
from calmline.core.live_voice import LiveVoice
from calmline.core.records import Incident
from calmline.flow import Flow
from calmline.platform.baselines import BaselineFile
from calmline.ui.level_bar import LevelBar
from calmline.ui.meter_controller import MeterController
from calmline.ui.meter_panel import MeterPanel
from tests.fakes import FakeClock, make_flow
from tests.signals import speechlike
from tests.ui.conftest import make


def meter(qtbot: QtBot, tmp_path: Path, samples: np.ndarray, baseline: float | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / "baselines.json"
    if baseline is not None:
        path.write_text(json.dumps({"agent-7": baseline}))
    panel, compact = MeterPanel(), LevelBar()
    qtbot.addWidget(panel)
    panel.show()  # hidden bars are not drawn
    source = ArraySource(samples)
    voice = LiveVoice(CueParams(), BaselineFile(path), "agent-7")
    ctl = MeterController(source, voice, panel, compact)
    ctl.start()
    ctl.timer.stop()  # the test drives time
    return ctl, source, panel, compact


def run(ctl: MeterController, source: ArraySource, seconds: float, step: float = 0.1) -> None:
    for _ in range(round(seconds / step)):
        source.advance(step)
        ctl.drain()


def test_bar_follows_the_voice_and_the_cue_is_a_word(qtbot: QtBot, tmp_path: Path) -> None:
    x = np.concatenate([speechlike(5, -30), speechlike(4, -20, seed=2), speechlike(3, -30, seed=3)])
    ctl, source, panel, compact = meter(qtbot, tmp_path, x, baseline=-31.0)
    run(ctl, source, 5)
    assert -36 < panel.bar.level < -24 and panel.bar.baseline == -31.0
    assert panel.cue.text() == "" and not panel.bar.alert
    run(ctl, source, 3.5)
    assert panel.cue.text() == "Lower your voice" and panel.bar.alert
    assert panel.history.values[-1] > -26  # the strip shows it too
    run(ctl, source, 3)
    assert panel.cue.text() == ""  # cleared once the voice is back down
    assert panel.talk.value() > 50
    assert compact.level == -100.0  # hidden (the strip is not shown): not drawn at all
    compact.show()
    run(ctl, source, 0.5)
    assert compact.level == panel.bar.level > -100


def test_learns_and_remembers_the_calm_level(qtbot: QtBot, tmp_path: Path) -> None:
    ctl, source, panel, _compact = meter(qtbot, tmp_path, speechlike(26, -30))
    assert "learning your calm level" in panel.status.text()
    run(ctl, source, 25)
    learnt = json.loads((tmp_path / "baselines.json").read_text())["agent-7"]
    assert -34 < learnt["dbfs"] < -28 and learnt["calibrated"] is False
    ctl._status()
    assert "calm level -" in panel.status.text()


def test_calibration_sets_the_calm_level(qtbot: QtBot, tmp_path: Path) -> None:
    ctl, source, panel, _compact = meter(qtbot, tmp_path, speechlike(8, -24))
    panel.calibrate.click()
    assert "Read this aloud" in panel.status.text()
    run(ctl, source, 6)
    tracker = ctl.voice.tracker
    assert tracker.baseline.value is not None and -28 < tracker.baseline.value < -20
    assert BaselineFile(tmp_path / "baselines.json").get("agent-7") == tracker.baseline.value
    assert BaselineFile(tmp_path / "baselines.json").calibrated("agent-7")


def test_no_microphone_is_said_and_the_window_works(qtbot: QtBot, flow: Flow) -> None:
    panel = MeterPanel()
    qtbot.addWidget(panel)
    source = ArraySource(np.zeros(0))
    source.start = lambda: False  # type: ignore[method-assign]
    source.reason = "no microphone found"
    voice = LiveVoice(CueParams(), BaselineFile(Path("/nonexistent/b.json")), "")
    ctl = MeterController(source, voice, panel, LevelBar())
    ctl.start()
    ctl.drain()
    assert panel.status.text() == "No microphone — no microphone found"
    w = make(qtbot, flow)
    w.set_meter(panel, LevelBar())
    flow.start_shift()
    flow.start_call()
    assert flow.end_call().ended_at is not None


def test_call_figures_reach_the_incident(qtbot: QtBot, tmp_path: Path, clock: FakeClock) -> None:
    x = np.concatenate([speechlike(4, -30), speechlike(4, -20, seed=2), speechlike(2, -30, seed=3)])
    ctl, source, _panel, _compact = meter(qtbot, tmp_path, x, baseline=-31.0)
    flow = make_flow(tmp_path / "c.db", clock, agent_id="agent-7", voice=ctl.voice)
    flow.start_shift()
    flow.start_call()
    run(ctl, source, 10)
    ended = flow.end_call()
    stored = flow.store.get(Incident, ended.meta.id).voice
    assert dict(stored.cue_counts) == {"raised_voice": 1}
    assert stored.max_over_baseline_db is not None and 7 < stored.max_over_baseline_db < 12
    assert stored.talk_share is not None and 0.5 < stored.talk_share <= 1
    assert stored.baseline_dbfs == -31.0
    # One point a second for the shift summary: calm, raised (the +10 dB passage
    # from 4 s to 8 s), calm again; the cue marked where it started.
    levels = stored.levels_db
    assert len(levels) == 10 and all(v is not None for v in levels)
    calm = [v for v in levels[:4] + levels[8:] if v is not None]
    loud = [v for v in levels[4:8] if v is not None]
    assert max(calm) < -26 and min(loud) > -24, levels
    (kind, at_s), *_ = stored.cue_marks
    assert kind == "raised_voice" and 5.0 <= at_s <= 7.0


def test_history_strip_draws_the_level_where_it_belongs(qtbot: QtBot) -> None:
    """The curve's bounds are fixed (so a point repaints only the plot area):
    what it draws must still sit at the right height, and a level past either
    end of the range stays on the strip."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor, QPalette

    from calmline.ui.history_strip import HistoryStrip

    strip = HistoryStrip()
    qtbot.addWidget(strip)
    strip.resize(400, 60)
    strip.show()
    bounds = strip.curve.boundingRect()
    for _ in range(600):
        strip.push(-15.0, None)  # a quarter down from the top
    strip.push(+3.0, None)  # a float source may exceed full scale
    strip.push(-120.0, None)
    assert strip.values[-2] == 0.0 and strip.values[-1] == -60.0
    assert strip.curve.boundingRect() == bounds
    image = strip.grab().toImage()
    line = strip.palette().color(QPalette.ColorRole.Highlight)
    view = strip.getPlotItem().getViewBox()
    top, bottom = (view.mapViewToDevice(QPointF(-30.0, db)).y() for db in (0.0, -60.0))
    expected = view.mapViewToDevice(QPointF(-30.0, -15.0)).y()
    assert bottom - top > 40 and abs(expected - (top + (bottom - top) / 4)) < 1
    rows = [
        y
        for y in range(image.height())
        if sum(QColor(image.pixel(x, y)) == line for x in range(100, 300)) > 150
    ]
    assert rows and all(abs(y - expected) <= 2 for y in rows), (rows, expected)


def test_level_bar_draws_level_peak_and_marks_at_their_places(qtbot: QtBot) -> None:
    """The frame and the marks are cached layers: the picture must still follow
    every change of level, baseline, size and palette."""
    from PySide6.QtGui import QColor, QPalette

    bar = LevelBar()
    qtbot.addWidget(bar)
    bar.resize(242, 14)  # 240 px inside the frame: 4 px a dB over the 60 dB range
    bar.show()
    pal = bar.palette()
    fill, text = (pal.color(r) for r in (QPalette.ColorRole.Highlight, QPalette.ColorRole.Text))

    def columns(colour: QColor) -> list[int]:
        image = bar.grab().toImage()
        return [x for x in range(image.width()) if QColor(image.pixel(x, 7)) == colour]

    bar.show_level(-30.0, -10.0, -45.0, False)
    filled = columns(fill)
    assert filled[0] == 1 and max(x for x in filled if x < 150) == 120  # -30 dB
    assert [x for x in filled if x > 150] == [200, 201]  # the peak tick at -10 dB
    assert columns(text) == [61, 85]  # calm level -45 dB, and +6 dB (dashed: row 7 is on)
    bar.show_level(-30.0, -10.0, -35.0, True)
    assert columns(text) == [101, 125]
    assert columns(fill) == []  # raised voice: the level turns orange
    bar.resize(122, 14)  # 2 px a dB
    bar.show_level(-30.0, -100.0, -35.0, False)
    assert max(columns(fill)) == 60 and columns(text) == [51, 63]
    dark = QPalette(pal)
    dark.setColor(QPalette.ColorRole.Text, QColor("#00ff00"))
    bar.setPalette(dark)
    assert columns(QColor("#00ff00")) == [51, 63]


def test_with_a_caller_channel_the_caller_shows_and_talking_over_is_a_word(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from tests.unit.test_agent_voice import two_tracks

    mic, heard, over_at = two_tracks()
    loud = heard.copy()
    loud[90 * 48000 :] *= 4  # the caller shouts (+12 dB) from 90 s
    panel, compact = MeterPanel(), LevelBar()
    qtbot.addWidget(panel)
    panel.show()
    source, caller = ArraySource(mic), ArraySource(loud)
    path = tmp_path / "baselines.json"
    voice = LiveVoice(CueParams(), BaselineFile(path), "agent-7")
    ctl = MeterController(source, voice, panel, compact, caller=caller)
    ctl.start()
    ctl.timer.stop()
    assert panel.caller.isHidden()
    seen: set[str] = set()
    for _ in range(1200):
        source.advance(0.1)
        caller.advance(0.1)
        ctl.drain()
        seen.add(panel.cue.text())
        seen.add(panel.caller_word.text())
    assert not panel.caller.isHidden() and "Let them finish" in seen
    assert "Caller" in seen and panel.caller_word.text() == "Caller loud — keep yours low"
    assert "hears the caller from synthetic" in panel.status.text()
    assert 0 < over_at < 120


def test_device_names_are_plain_text(qtbot: QtBot, tmp_path: Path) -> None:
    """A device's name comes from the OS (a USB headset names itself): never markup."""
    ctl, _source, panel, _compact = meter(qtbot, tmp_path, speechlike(1, -30))
    caller = ArraySource(speechlike(1, -30))
    caller.device_name = "<b>Jabra</b><img src=x>"
    ctl.caller = caller
    caller.start()
    ctl._status()
    assert "hears the caller from <b>Jabra</b><img src=x>" in panel.status.text()
    assert panel.status.textFormat() == Qt.TextFormat.PlainText
    assert panel.caller_word.textFormat() == Qt.TextFormat.PlainText


class FakeListener:
    """A ListenSink that keeps what it was fed and reports the spots it is given."""

    def __init__(self) -> None:
        self.active = True
        self.fed: list[tuple[np.ndarray, np.ndarray, float]] = []
        self.spots: list[object] = []

    def feed(self, blocks: np.ndarray, speech: np.ndarray, t_s: float) -> None:
        self.fed.append((blocks, speech, t_s))

    def take(self) -> list[object]:
        spots, self.spots = self.spots, []
        return spots


def test_listening_gets_the_drained_blocks_with_their_speech_and_time(
    qtbot: QtBot, tmp_path: Path
) -> None:
    x = np.concatenate([np.zeros(48000), speechlike(2, -25), np.zeros(2 * 48000)])
    panel, compact = MeterPanel(), LevelBar()
    qtbot.addWidget(panel)
    source, listener = ArraySource(x), FakeListener()
    voice = LiveVoice(CueParams(), BaselineFile(tmp_path / "b.json"), "")
    ctl = MeterController(source, voice, panel, compact, listen=listener)
    heard: list[object] = []
    ctl.heard.connect(heard.append)
    ctl.start()
    ctl.timer.stop()
    speech: list[bool] = []
    for _ in range(40):
        source.advance(0.1)
        before = voice.t
        ctl.drain()
        blocks, flags, t_s = listener.fed[-1]
        assert t_s == before and blocks.shape == (10, 480) and blocks.dtype == np.float32
        assert flags.dtype == np.bool_ and flags.shape == (10,)
        speech += flags.tolist()
    fed = np.concatenate([b for b, _f, _t in listener.fed]).ravel()
    assert np.array_equal(fed, x[: len(fed)].astype(np.float32))  # exactly the mic's blocks
    assert not any(speech[:90]) and all(speech[110:290]) and not any(speech[-50:])
    assert len(speech) == 400
    assert heard == []
    listener.spots = ["spot-1", "spot-2"]
    listener.active = False  # off for this call: no more audio, spots still said
    source.advance(0.1)
    ctl.drain()
    assert len(listener.fed) == 40 and heard == ["spot-1", "spot-2"]
    source.advance(0.1)
    ctl.drain()
    assert heard == ["spot-1", "spot-2"]
