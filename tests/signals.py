"""Synthetic test signals with known levels."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RATE = 48000
Array = npt.NDArray[np.float64]


def sine(seconds: float, amplitude: float, freq: float = 1000.0, rate: int = RATE) -> Array:
    t = np.arange(int(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def square(seconds: float, amplitude: float, freq: float = 100.0, rate: int = RATE) -> Array:
    return amplitude * np.sign(sine(seconds, 1.0, freq, rate) + 1e-12)


def db_to_amp(db: float) -> float:
    return float(10 ** (db / 20))


def speechlike(
    seconds: float,
    level_db: float,
    rate: int = RATE,
    seed: int = 1,
    on_s: float = 0.25,
    off_s: float = 0.1,
    room_db: float = -70.0,
) -> Array:
    """Syllable-like bursts of noise at ``level_db`` RMS with short gaps, over room noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    gate = (np.mod(t, on_s + off_s) < on_s).astype(np.float64)
    voice = rng.standard_normal(n) * db_to_amp(level_db) * gate
    return voice + rng.standard_normal(n) * db_to_amp(room_db)
