"""Reading a recorded call for analysis: PCM WAV, 8-48 kHz, 16 or 24 bit, mono
or stereo (the first channel is the agent's). Never written: Calmline stores no
audio."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

RATES = (8000, 48000)


class WavError(ValueError):
    """The file cannot be analysed; the message names it and says why."""


def read_wav(path: Path) -> tuple[npt.NDArray[np.float64], int]:
    """First channel as floats in [-1, 1] (sox scaling: int / 2^(bits-1)), and the rate."""
    if not path.exists():
        raise WavError(f"{path}: no such file")
    if path.is_dir():
        raise WavError(f"{path}: is a folder, not a WAV file")
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        what = "empty file" if path.stat().st_size == 0 else str(exc)
        raise WavError(f"{path}: not a PCM WAV file ({what})") from exc
    if not RATES[0] <= rate <= RATES[1]:
        raise WavError(f"{path}: sample rate {rate} Hz — expected 8000 to 48000 Hz")
    if width == 2:
        data = np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 3:
        raw = np.frombuffer(frames, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        ints = np.where(ints & 0x800000, ints - 0x1000000, ints)
        data = ints.astype(np.float64) / 8388608.0
    else:
        raise WavError(f"{path}: {width * 8}-bit samples — expected 16 or 24 bit")
    if data.size == 0:
        raise WavError(f"{path}: no audio in it (0 samples)")
    return data.reshape(-1, channels)[:, 0].copy(), rate
