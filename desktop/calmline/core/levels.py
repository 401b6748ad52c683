"""Level maths for the voice meter and the offline analysis: block levels in
dBFS, meter ballistics in milliseconds, speech detection, the calm baseline.

Conventions follow `sox stats`: samples are floats in [-1, 1], a full-scale
square wave reads 0 dB RMS (a full-scale sine -3.01 dB), and digital silence is
clamped to FLOOR_DB instead of -inf. Everything takes elapsed time, never a
count of ticks, so it behaves the same at any block size or refresh rate.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FLOOR_DB = -100.0
BLOCK_S = 0.010  # the meter and the analysis work in 10 ms blocks
Samples = npt.NDArray[np.float32] | npt.NDArray[np.float64]


def block_samples(rate: int) -> int:
    """How many samples one block holds at ``rate`` Hz (480 at 48 kHz)."""
    return max(1, round(rate * BLOCK_S))


def to_db(amplitude: float) -> float:
    """20·log10 of a linear amplitude, never below FLOOR_DB (nor NaN)."""
    if not amplitude > 0.0:  # also catches NaN
        return FLOOR_DB
    return max(FLOOR_DB, 20.0 * math.log10(amplitude))


def power_db(mean_square: float) -> float:
    return to_db(math.sqrt(mean_square)) if mean_square > 0.0 else FLOOR_DB


@dataclass(frozen=True)
class BlockLevel:
    rms_db: float
    peak_db: float
    mean_square: float  # kept so levels can be averaged as power, not as dB


def block_level(block: Samples) -> BlockLevel:
    """RMS and peak of one block of samples."""
    if block.size == 0:
        return BlockLevel(FLOOR_DB, FLOOR_DB, 0.0)
    return block_levels(block.reshape(1, -1))[0]


def _row_sums_of_squares(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    # NumPy 2's vecdot is one ufunc call with nothing to parse; einsum for 1.26
    sums: npt.NDArray[np.float64] = (
        _vecdot(x, x) if _vecdot is not None else np.einsum("ij,ij->i", x, x)
    )
    return sums


_vecdot = getattr(np, "vecdot", None)


def block_levels(blocks: Samples) -> list[BlockLevel]:
    """The level of each row, in one pass (the meter drains several blocks at once).
    Four array operations whatever the count (each costs more than the sums in it
    at 10 ms blocks), then to_db and power_db written out for each row."""
    if blocks.size == 0:
        return []
    x = blocks.astype(np.float64, copy=False)
    n = x.shape[1]
    sums = _row_sums_of_squares(x).tolist()
    peaks = np.abs(x).max(axis=1).tolist()
    log10, sqrt, floor = math.log10, math.sqrt, FLOOR_DB
    out = []
    for total, peak in zip(sums, peaks, strict=True):
        ms = total / n
        rms_db = 20.0 * log10(sqrt(ms)) if ms > 0.0 else floor  # power_db; NaN: the floor
        peak_db = 20.0 * log10(peak) if peak > 0.0 else floor  # to_db
        out.append(BlockLevel(max(floor, rms_db), max(floor, peak_db), ms))
    return out


class Ballistics:
    """What the bar shows: fast attack, release of ``release_db_per_s``, and a
    peak-hold tick that stays ``hold_ms`` before it falls at the same rate."""

    def __init__(
        self, attack_ms: float = 5.0, release_db_per_s: float = 20.0 / 1.5, hold_ms: float = 1500.0
    ) -> None:
        self.attack_ms = attack_ms
        self.release = release_db_per_s
        self.hold_ms = hold_ms
        self.level = FLOOR_DB
        self.peak = FLOOR_DB
        self._peak_age_ms = 0.0

    def update(self, level_db: float, peak_db: float, dt_ms: float) -> None:
        if level_db >= self.level:
            # exponential approach; with dt >> attack it is instant
            k = 1.0 - math.exp(-dt_ms / self.attack_ms) if self.attack_ms > 0 else 1.0
            self.level += (level_db - self.level) * k
        else:
            self.level = max(level_db, self.level - self.release * dt_ms / 1000.0)
        if peak_db >= self.peak:
            self.peak, self._peak_age_ms = peak_db, 0.0
        else:
            self._peak_age_ms += dt_ms
            if self._peak_age_ms > self.hold_ms:
                fall = self.release * min(dt_ms, self._peak_age_ms - self.hold_ms) / 1000.0
                self.peak = max(peak_db, self.peak - fall)


class SpeechDetector:
    """Speech = a block well above an adaptive noise floor (and above an absolute
    minimum), held for a hangover so the gaps between words stay speech.

    The floor drops at once to any quieter block and creeps up slowly, so it
    follows room noise but not the voice."""

    def __init__(
        self,
        margin_db: float = 10.0,
        min_speech_db: float = -55.0,
        rise_db_per_s: float = 2.0,
        hangover_ms: float = 300.0,
    ) -> None:
        self.margin = margin_db
        self.min_speech = min_speech_db
        self.rise = rise_db_per_s
        self.hangover_ms = hangover_ms
        self.floor: float | None = None
        self._since_voice_ms = math.inf

    def update(self, rms_db: float, dt_ms: float) -> bool:
        if self.floor is None or rms_db < self.floor:
            self.floor = rms_db
        else:
            self.floor = min(rms_db, self.floor + self.rise * dt_ms / 1000.0)
        voiced = rms_db >= max(self.floor + self.margin, self.min_speech)
        self._since_voice_ms = 0.0 if voiced else self._since_voice_ms + dt_ms
        return self._since_voice_ms <= self.hangover_ms


class Baseline:
    """The agent's calm level: the median speech level over their first
    ``needed_s`` seconds of speech (or set by a calibration). After
    ``provisional_s`` of it, the median so far stands in (``provisional``), so a
    voice raised early in the first call is not missed."""

    def __init__(
        self, needed_s: float = 20.0, known_db: float | None = None, provisional_s: float = 8.0
    ) -> None:
        self.needed_s = needed_s
        self.provisional_s = provisional_s
        self.value: float | None = known_db
        self.provisional: float | None = known_db
        self._levels: list[float] = []
        self._speech_s = 0.0

    def add(self, rms_db: float, speech: bool, dt_s: float) -> float | None:
        if self.value is None and speech:
            self._levels.append(rms_db)
            self._speech_s += dt_s
            if self._speech_s >= self.needed_s:
                self.value = self.provisional = float(np.median(self._levels))
                self._levels = []
            elif self._speech_s >= self.provisional_s and len(self._levels) % 10 == 0:
                self.provisional = float(np.median(self._levels))
        return self.value


class DbMean:
    """Mean dB over the last ``span_s`` of the blocks it is given (a mean of dB,
    not of power: one loud syllable does not make a loud passage), O(1) a block."""

    def __init__(self, span_s: float, dt_s: float = BLOCK_S) -> None:
        self.values: deque[float] = deque(maxlen=max(1, round(span_s / dt_s)))
        self._sum = 0.0

    def add(self, db: float) -> float:
        if len(self.values) == self.values.maxlen:
            self._sum -= self.values[0]
        self.values.append(db)
        self._sum += db
        return self._sum / len(self.values)


class Window:
    """A sliding window over the last ``span_s`` seconds of (time, value, flag)
    samples, with running sums: O(1) per sample however long the window."""

    def __init__(self, span_s: float) -> None:
        self.span_s = span_s
        self.items: deque[tuple[float, float, bool]] = deque()
        self._flagged = 0
        self._flagged_sum = 0.0

    def add(self, t: float, value: float, flag: bool) -> None:
        self.items.append((t, value, flag))
        if flag:
            self._flagged += 1
            self._flagged_sum += value
        while self.items and self.items[0][0] <= t - self.span_s:
            _, old, was = self.items.popleft()
            if was:
                self._flagged -= 1
                self._flagged_sum -= old
        if not self._flagged:
            self._flagged_sum = 0.0  # no drift from float rounding

    def flagged_power_db(self) -> float | None:
        """Mean power (as dB) of the flagged samples, None if there are none."""
        if not self._flagged:
            return None
        return power_db(max(0.0, self._flagged_sum) / self._flagged)

    def flagged_share(self) -> float:
        return self._flagged / len(self.items) if self.items else 0.0
