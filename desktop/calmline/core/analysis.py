"""Offline analysis of a recorded call: the meter's maths over a whole file, in
10 ms blocks, reported per 100 ms window and as cues. With the caller's track
(what the agent heard) it runs as the meter does with a caller channel. Pure
(numpy only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calmline.core.call_voice import CallVoice
from calmline.core.cues import Cue, CueParams, VoiceTracker
from calmline.core.levels import BLOCK_S, Samples, block_level, block_levels

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
    caller_channel: bool = False


def block_size(rate: int) -> int:
    return max(1, round(rate * BLOCK_S))


def _blocks(x: np.ndarray, n: int) -> np.ndarray:  # type: ignore[type-arg]
    """Whole blocks of n samples as rows (the tail shorter than a block is dropped)."""
    whole = len(x) // n
    return x[: whole * n].reshape(whole, n)


def analyze_samples(
    x: Samples,
    rate: int,
    params: CueParams,
    file: str = "",
    baseline_db: float | None = None,
    caller: Samples | None = None,
) -> Analysis:
    """Levels, speech and cues of mono samples in [-1, 1] at ``rate``; ``caller``,
    when given, is the caller's track at the same rate (shorter is padded)."""
    x = np.asarray(x, dtype=np.float64)
    n = block_size(rate)
    dt = n / rate
    mic = block_levels(_blocks(x, n))
    heard = None
    if caller is not None:
        c = np.zeros(len(x))
        got = np.asarray(caller, dtype=np.float64)[: len(x)]
        c[: len(got)] = got
        heard = block_levels(_blocks(c, n))
    tracker = VoiceTracker(params, baseline_db, caller_channel=heard is not None)
    figures = CallVoice()
    flags: list[bool] = []
    for i, level in enumerate(mic):
        state = tracker.feed((i + 1) * dt, level, dt, heard[i] if heard is not None else None)
        figures.feed(state, dt)
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
    duration = len(x) / rate
    cues = tracker.finish(duration)
    share = figures.talk_share(tracker.voice.ref) or 0.0
    whole = block_level(x)
    base = tracker.baseline.value
    return Analysis(
        file=file,
        sample_rate=rate,
        duration_s=round(duration, 3),
        rms_dbfs=round(whole.rms_db, 2),
        peak_dbfs=round(whole.peak_db, 2),
        speech_s=round(share * len(mic) * dt, 3),
        talk_share=share,
        baseline_dbfs=round(base, 2) if base is not None else None,
        cues=cues,
        windows=windows,
        caller_channel=heard is not None,
    )
