"""The live voice (core/live_voice.py) on its own: fed block levels as the meter
feeds them, told of shifts and calls as the flow tells it, with a remembered
calm level held in a dict instead of baselines.json."""

from __future__ import annotations

import numpy as np

from calmline.core.analysis import analyze_samples
from calmline.core.cues import CueKind, CueParams
from calmline.core.levels import block_levels, block_samples
from calmline.core.live_voice import Heard, LiveVoice
from calmline.core.voice_source import VoiceSource
from tests.signals import RATE, speechlike

N = block_samples(RATE)
DT = N / RATE


class Memory:
    """CalmLevels in a dict: agent -> (dBFS, calibrated)."""

    def __init__(self, **levels: tuple[float, bool]) -> None:
        self.levels = dict(levels)
        self.sets: list[tuple[str, float, bool]] = []

    def get(self, agent: str) -> float | None:
        return self.levels[agent][0] if agent in self.levels else None

    def calibrated(self, agent: str) -> bool:
        return agent in self.levels and self.levels[agent][1]

    def set(self, agent: str, dbfs: float, calibrated: bool = False) -> None:
        self.levels[agent] = (round(dbfs, 2), calibrated)
        self.sets.append((agent, dbfs, calibrated))


def hear(voice: LiveVoice, x: np.ndarray, burst_s: float = 0.1) -> list[Heard]:
    """The samples in bursts of ``burst_s``, as the meter's timer drains them."""
    levels = block_levels(x[: len(x) // N * N].reshape(-1, N))
    step = round(burst_s / DT)
    return [
        voice.feed(levels[i : i + step], DT, [None] * len(levels[i : i + step]))
        for i in range(0, len(levels), step)
    ]


def test_it_is_the_flows_voice_source() -> None:
    source: VoiceSource = LiveVoice(CueParams(), Memory())
    source.set_agent("a-1")
    source.call_started()
    assert source.figures().talk_share is None  # nothing heard yet
    source.call_ended()


def test_a_call_is_counted_as_analyze_counts_a_recording() -> None:
    x = np.concatenate([speechlike(4, -30), speechlike(4, -20, seed=2), speechlike(2, -30, seed=3)])
    voice = LiveVoice(CueParams(), Memory(a=(-31.0, False)), "a")
    voice.call_started()
    heard = hear(voice, x)
    live = voice.figures()
    offline = analyze_samples(x, RATE, CueParams(), baseline_db=-31.0)
    assert dict(live.cue_counts) == {"raised_voice": 1} == {c.kind.value: 1 for c in offline.cues}
    assert live.talk_share == offline.talk_share and live.baseline_dbfs == -31.0
    shown = {h.shown.kind if h.shown else None for h in heard}
    assert shown == {None, CueKind.RAISED_VOICE}


def test_only_the_call_counts() -> None:
    voice = LiveVoice(CueParams(), Memory(a=(-31.0, False)), "a")
    hear(voice, speechlike(3, -30, seed=5))  # before the call: not its figures
    voice.call_started()
    hear(voice, speechlike(4, -30))
    live = voice.figures()
    assert len(live.levels_db) == 4
    voice.call_ended()
    hear(voice, speechlike(3, -20, seed=6))  # after the end: the figures stay as saved
    assert voice.figures() == live


def test_a_learnt_level_is_remembered_once_it_is_the_agents_own() -> None:
    memory = Memory()
    voice = LiveVoice(CueParams(), memory, "a")
    hear(voice, speechlike(26, -30))
    assert [(agent, calibrated) for agent, _, calibrated in memory.sets] == [("a", False)]
    assert voice.baseline_db is not None and memory.get("a") == round(voice.baseline_db, 2)
    nobody = Memory()
    hear(LiveVoice(CueParams(), nobody, ""), speechlike(26, -30))  # no agent: nobody's level
    assert nobody.sets == []


def test_calibration_is_the_median_of_four_seconds_of_speech() -> None:
    memory = Memory(a=(-40.0, False))
    voice = LiveVoice(CueParams(), memory, "a")
    voice.calibrate()
    assert voice.calibrating
    heard = hear(voice, speechlike(8, -24))
    assert [h.calibrated for h in heard].count(True) == 1 and not voice.calibrating
    assert voice.baseline_db is not None and -28 < voice.baseline_db < -20
    assert memory.levels["a"] == (voice.baseline_db, True)


def test_the_shifts_agent_brings_their_calm_level() -> None:
    memory = Memory(b=(-33.0, True))
    voice = LiveVoice(CueParams(), memory, "a")
    assert voice.baseline_db is None  # a is new: learning
    voice.set_agent("b")
    assert voice.baseline_db == -33.0 and voice.tracker.calibrated
    voice.set_agent("")  # no agent named: b's level stays
    assert voice.baseline_db == -33.0
