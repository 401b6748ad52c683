"""Signal helpers for the voice set: levels, filters, resampling, a peak
limiter and 16-bit WAV files. Levels follow Calmline's convention (a
full-scale square wave is 0 dBFS RMS)."""

from __future__ import annotations

import math
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import ndimage, signal

Array = npt.NDArray[np.float64]
BLOCK_S = 0.010
FLOOR_DB = -200.0


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def block_power(x: npt.ArrayLike, rate: int) -> Array:
    """Mean square of each whole 10 ms block."""
    x = np.asarray(x, dtype=np.float64)
    n = max(1, round(rate * BLOCK_S))
    m = len(x) // n
    if m == 0:
        return np.zeros(0)
    b = x[: m * n].reshape(m, n)
    return np.einsum("ij,ij->i", b, b) / n


def power_db(p: npt.ArrayLike) -> Array:
    return 10.0 * np.log10(np.maximum(np.asarray(p, dtype=np.float64), 1e-20))


def rms_db(x: npt.ArrayLike) -> float:
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return FLOOR_DB
    return float(power_db(np.mean(x * x)))


def active_level_from_power(p: Array, margin_db: float = 15.9) -> float:
    """Active speech level of blocks' mean squares, in the spirit of ITU-T P.56:
    the power mean of the blocks above (that level - margin_db), found as the
    fixed point of that rule starting from the loudest block."""
    p = p[p > 1e-20]
    if p.size == 0:
        return FLOOR_DB
    db = power_db(p)
    a = float(db.max())
    for _ in range(100):
        new = float(power_db(p[db > a - margin_db].mean()))
        if abs(new - a) < 1e-4:
            return new
        a = new
    return a


def active_level_db(x: npt.ArrayLike, rate: int) -> float:
    """Active speech level of a signal (silences between words do not count)."""
    return active_level_from_power(block_power(x, rate))


def active_level_in(
    x: Array, rate: int, spans: list[tuple[float, float]], floor_db: float | None = None
) -> float:
    """Active level over several time spans of one signal, taken together; with
    ``floor_db`` that steady background's power is taken off each block first
    (else a floor within ~16 dB of the level counts as speech)."""
    n = max(1, round(rate * BLOCK_S))
    parts = []
    for s, e in spans:
        a, b = round(s * rate / n) * n, round(e * rate / n) * n
        if b > a:
            parts.append(block_power(x[a:b], rate))
    if not parts:
        return FLOOR_DB
    p = np.concatenate(parts)
    if floor_db is not None:
        p = np.maximum(p - 10.0 ** (floor_db / 10.0), 0.0)
    return active_level_from_power(p)


@lru_cache(maxsize=64)
def _sos(kind: str, rate: int, f: tuple[float, ...], order: int) -> npt.NDArray[np.float64]:
    nyq = rate / 2.0
    if kind == "bandpass":
        lo, hi = f[0], min(f[1], 0.95 * nyq)
        return signal.butter(order, [lo, hi], btype="bandpass", fs=rate, output="sos")
    cut = min(f[0], 0.95 * nyq)
    return signal.butter(order, cut, btype=kind, fs=rate, output="sos")


def highpass(x: Array, rate: int, hz: float, order: int = 2) -> Array:
    return signal.sosfilt(_sos("highpass", rate, (float(hz),), order), x)


def lowpass(x: Array, rate: int, hz: float, order: int = 2) -> Array:
    if hz >= 0.95 * rate / 2:
        return x
    return signal.sosfilt(_sos("lowpass", rate, (float(hz),), order), x)


def bandpass(x: Array, rate: int, lo: float, hi: float, order: int = 4) -> Array:
    return signal.sosfilt(_sos("bandpass", rate, (float(lo), float(hi)), order), x)


def peaking(x: Array, rate: int, hz: float, q: float, gain_db: float) -> Array:
    """RBJ peaking EQ (a gentle resonance)."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * hz / rate
    alpha = math.sin(w0) / (2 * q)
    b = [1 + alpha * a, -2 * math.cos(w0), 1 - alpha * a]
    den = [1 + alpha / a, -2 * math.cos(w0), 1 - alpha / a]
    return signal.lfilter(b, den, x)


def resample(x: Array, src: int, dst: int) -> Array:
    if src == dst:
        return np.asarray(x, dtype=np.float64)
    g = math.gcd(src, dst)
    return signal.resample_poly(np.asarray(x, dtype=np.float64), dst // g, src // g)


def limit(x: Array, rate: int, ceiling_db: float = -2.0, window_s: float = 0.003) -> Array:
    """Peak limiter: a gain that never lets |x| exceed the ceiling, taken as the
    smoothed minimum of the gain each sample needs (look-ahead, no overshoot)."""
    c = db_to_gain(ceiling_db)
    ax = np.abs(x)
    if ax.size == 0 or ax.max() <= c:
        return x
    need = np.minimum(1.0, c / np.maximum(ax, 1e-12))
    h = max(1, round(window_s * rate))
    g = ndimage.minimum_filter1d(need, 2 * h + 1, mode="nearest")
    g = ndimage.uniform_filter1d(g, 2 * h + 1, mode="nearest")
    # the mean of minima over windows that all contain n is <= need[n]
    return x * np.minimum(g, need)


def trim(x: Array, rate: int, below_db: float = 40.0, pad_s: float = 0.01) -> Array:
    """Cut leading and trailing blocks more than below_db under the active level."""
    p = block_power(x, rate)
    if p.size == 0:
        return x
    a = active_level_from_power(p)
    on = np.nonzero(power_db(p) > a - below_db)[0]
    if on.size == 0:
        return x[:0]
    n = max(1, round(rate * BLOCK_S))
    pad = round(pad_s * rate)
    s = max(0, on[0] * n - pad)
    e = min(len(x), (on[-1] + 1) * n + pad)
    return x[s:e]


def max_pause_s(x: Array, rate: int, below_db: float = 30.0) -> float:
    """Longest run of blocks more than below_db under the active level."""
    p = block_power(x, rate)
    if p.size == 0:
        return 0.0
    quiet = power_db(p) <= active_level_from_power(p) - below_db
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best * BLOCK_S


def to_int16(x: Array) -> npt.NDArray[np.int16]:
    return np.clip(np.round(np.asarray(x) * 32767.0), -32768, 32767).astype("<i2")


def write_wav(path: Path, x: Array, rate: int) -> None:
    """16-bit mono PCM; samples outside [-1, 1] are clipped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(to_int16(x).tobytes())
    tmp.replace(path)


def read_wav(path: Path) -> tuple[Array, int]:
    """First channel as floats (int / 2^15), and the rate; 16-bit PCM only."""
    with wave.open(str(path), "rb") as w:
        ch, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"{path}: {8 * width}-bit samples, expected 16")
    data = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    return data.reshape(-1, ch)[:, 0].copy(), rate
