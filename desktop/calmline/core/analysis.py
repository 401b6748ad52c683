"""Offline analysis of a recorded call: the meter's maths over a whole file, in
10 ms blocks, reported per 100 ms window and as cues. Pure (numpy only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calmline.core.cues import Cue, CueParams, VoiceTracker
from calmline.core.levels import Samples, block_level

BLOCK_S = 0.010
WINDOW_BLOCKS = 10  # 100 ms


@dataclass(frozen=True)
class WindowLevel:
    t: float
    rms_dbfs: float
    peak_dbfs: float
    speech: bool


@dataclass(frozen=True)
class Analysis:
    file: str
    sample_rate: int
    duration_s: float
    rms_dbfs: float
    peak_dbfs: float
    speech_s: float
    talk_share: float
    baseline_dbfs: float | None
    cues: list[Cue]
    windows: list[WindowLevel]


def block_size(rate: int) -> int:
    return max(1, round(rate * BLOCK_S))


def analyze_samples(
    x: Samples, rate: int, params: CueParams, file: str = "", baseline_db: float | None = None
) -> Analysis:
    """Levels, speech and cues of mono samples in [-1, 1] at ``rate``."""
    x = np.asarray(x, dtype=np.float64)
    n = block_size(rate)
    dt = n / rate
    tracker = VoiceTracker(params, baseline_db)
    flags: list[bool] = []
    for start in range(0, len(x), n):
        chunk = x[start : start + n]
        state = tracker.feed((start + len(chunk)) / rate, block_level(chunk), len(chunk) / rate)
        flags.append(state.speech)
    windows: list[WindowLevel] = []
    w = n * WINDOW_BLOCKS
    for j, start in enumerate(range(0, len(x), w)):
        level = block_level(x[start : start + w])
        f = flags[j * WINDOW_BLOCKS : (j + 1) * WINDOW_BLOCKS]
        windows.append(
            WindowLevel(
                round(start / rate, 3),
                round(level.rms_db, 2),
                round(level.peak_db, 2),
                sum(f) * 2 > len(f),
            )
        )
    speech_blocks = sum(flags)
    duration = len(x) / rate
    cues = tracker.finish(duration)
    speech_s = round(speech_blocks * dt, 3)
    whole = block_level(x)
    return Analysis(
        file=file,
        sample_rate=rate,
        duration_s=round(duration, 3),
        rms_dbfs=round(whole.rms_db, 2),
        peak_dbfs=round(whole.peak_db, 2),
        speech_s=speech_s,
        talk_share=round(speech_s / duration, 3) if duration else 0.0,
        baseline_dbfs=(
            round(tracker.baseline.value, 2) if tracker.baseline.value is not None else None
        ),
        cues=cues,
        windows=windows,
    )
