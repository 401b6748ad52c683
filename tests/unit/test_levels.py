"""Level maths with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calmline.core.analysis import analyze_samples
from calmline.core.cues import CueKind, CueParams
from calmline.core.levels import FLOOR_DB, Ballistics, Baseline, SpeechDetector, block_level, to_db
from tests.signals import RATE, db_to_amp, sine, speechlike, square


@pytest.mark.parametrize(
    ("signal", "rms", "peak"),
    [
        (square(1, 1.0), 0.0, 0.0),  # sox: a full-scale square wave is 0 dB
        (sine(1, 1.0), -3.01, 0.0),
        (sine(1, 0.1), -23.01, -20.0),
        (square(1, 0.5), -6.02, -6.02),
    ],
)
def test_block_levels_follow_sox(signal: np.ndarray, rms: float, peak: float) -> None:
    level = block_level(signal)
    assert level.rms_db == pytest.approx(rms, abs=0.01)
    assert level.peak_db == pytest.approx(peak, abs=0.01)


def test_silence_and_nan_clamp_to_the_floor() -> None:
    level = block_level(np.zeros(480))
    assert (level.rms_db, level.peak_db) == (FLOOR_DB, FLOOR_DB)
    assert to_db(float("nan")) == FLOOR_DB and to_db(1e-30) == FLOOR_DB
    assert block_level(np.zeros(0)).rms_db == FLOOR_DB
    assert not math.isnan(block_level(np.full(480, 1e-300)).rms_db)


@pytest.mark.parametrize("dt_ms", [10.0, 33.3, 100.0])
def test_ballistics_are_in_milliseconds_not_ticks(dt_ms: float) -> None:
    b = Ballistics()
    elapsed = 0.0
    while elapsed < 30.0 - 1e-6:
        b.update(-20.0, -10.0, dt_ms)
        elapsed += dt_ms
    assert b.level == pytest.approx(-20.0, abs=0.25)  # fast attack: there within 30 ms
    start, elapsed = b.level, 0.0
    while elapsed + dt_ms <= 1500.0 + 1e-6:
        b.update(FLOOR_DB, FLOOR_DB, dt_ms)
        elapsed += dt_ms
    assert b.level == pytest.approx(start - 20.0 / 1.5 * elapsed / 1000, abs=0.01)  # 20 dB/1.5 s
    assert b.peak == -10.0  # still held at 1.5 s
    for _ in range(int(1500 / dt_ms) + 1):
        b.update(FLOOR_DB, FLOOR_DB, dt_ms)
    assert b.peak < -25.0  # then falls


def test_speech_detector_follows_room_noise_and_bridges_gaps() -> None:
    d = SpeechDetector()
    flags = [d.update(-70.0, 10) for _ in range(100)]
    assert not any(flags)
    assert d.update(-30.0, 10)
    assert all(d.update(-70.0, 10) for _ in range(25))  # 250 ms gap: still speech
    later = [d.update(-70.0, 10) for _ in range(10)]
    assert later[:5] == [True] * 5 and later[-4:] == [False] * 4  # the 300 ms hangover
    noisy = SpeechDetector()
    for _ in range(3000):  # the room gets louder: the floor creeps up after it
        noisy.update(-45.0, 10)
    assert noisy.floor == pytest.approx(-45.0, abs=0.01)
    assert not noisy.update(-44.0, 10)


def test_baseline_is_the_median_of_the_first_20_s_of_speech() -> None:
    b = Baseline()
    for i in range(1999):
        assert b.add(-30.0 + (i % 3), True, 0.01) is None
    assert b.add(-29.0, False, 0.01) is None  # silence does not count
    assert b.add(-29.0, True, 0.01) == -29.0
    assert b.add(0.0, True, 0.01) == -29.0  # then it stays


def cues(x: np.ndarray, **params: float) -> list:  # type: ignore[type-arg]
    return analyze_samples(x, RATE, CueParams(**params)).cues


def test_one_raised_voice_cue_for_a_loud_passage() -> None:
    x = np.concatenate(
        [speechlike(25, -30), speechlike(5, -21, seed=2), speechlike(5, -30, seed=3)]
    )
    found = cues(x)
    raised = [c for c in found if c.kind is CueKind.RAISED_VOICE]
    assert len(raised) == 1, found
    cue = raised[0]
    assert 25.0 <= cue.start_s <= 26.0
    # the hold counts the agent's raised speech (1.3 s), not the gaps between words
    assert cue.start_s + 1.3 <= cue.fired_s <= 25.0 + 2.0
    assert cue.end_s is not None and 30.0 <= cue.end_s <= 31.5
    assert cue.max_over_baseline_db is not None and 7.5 <= cue.max_over_baseline_db <= 10.5
    calm = cues(np.concatenate([speechlike(25, -30), speechlike(5, -26, seed=2)]))
    assert not [c for c in calm if c.kind is CueKind.RAISED_VOICE]  # +4 dB is not raised


def test_min_interval_between_cues_of_a_kind() -> None:
    parts = [speechlike(22, -30)]
    for i in range(2):
        parts += [speechlike(4, -20, seed=10 + i), speechlike(8, -30, seed=20 + i)]
    x = np.concatenate(parts)
    assert len([c for c in cues(x) if c.kind is CueKind.RAISED_VOICE]) == 1
    assert len([c for c in cues(x, min_interval_s=5) if c.kind is CueKind.RAISED_VOICE]) == 2


def test_continuous_speaking_needs_no_pause_for_30_s() -> None:
    talking = speechlike(35, -30, off_s=0.1)
    found = [c for c in cues(talking) if c.kind is CueKind.CONTINUOUS_SPEAKING]
    assert len(found) == 1 and found[0].fired_s == pytest.approx(30.0, abs=0.4)
    with_pauses = np.concatenate(
        [np.concatenate([speechlike(12, -30, seed=s), np.zeros(int(1.5 * RATE))]) for s in range(3)]
    )
    assert not [c for c in cues(with_pauses) if c.kind is CueKind.CONTINUOUS_SPEAKING]


def test_mic_silent_only_for_a_dead_microphone() -> None:
    dead = np.zeros(12 * RATE)
    found = [c for c in cues(dead) if c.kind is CueKind.MIC_SILENT]
    assert len(found) == 1 and found[0].fired_s == pytest.approx(10.0, abs=0.02)
    listening = np.random.default_rng(3).standard_normal(12 * RATE) * db_to_amp(-65)
    assert not cues(listening)  # a quiet room while the caller talks is not a muted mic


def test_clipping_needs_three_blocks_in_a_second() -> None:
    x = speechlike(3, -30)
    for block in (50, 60, 70):
        x[block * 480 + 5] = 1.0
    found = [c for c in cues(x) if c.kind is CueKind.CLIPPING]
    assert len(found) == 1 and found[0].start_s == pytest.approx(0.51, abs=0.01)
    x2 = speechlike(3, -30)
    x2[50 * 480 + 5] = x2[160 * 480 + 5] = x2[270 * 480] = 1.0  # spread over 2+ seconds
    assert not [c for c in cues(x2) if c.kind is CueKind.CLIPPING]
