"""Reading a recorded call for analysis: PCM WAV, 8-48 kHz, 16 or 24 bit, 1 to
MAX_CHANNELS channels (the first is the agent's). Never written: Calmline stores
no audio.

A recording is read a block at a time (``WavReader.blocks``), so memory does not
grow with the file. Only a regular file is opened (a FIFO or a device would
never end), and the header is not trusted for how much audio there is: a
header may claim 2^32 frames (streaming recorders write that), so the length is
what the file holds, at most MAX_DURATION_S."""

from __future__ import annotations

import os
import wave
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from calmline.core.analysis import MAX_DURATION_S
from calmline.platform.bounded import FileRefused, open_regular

RATES = (8000, 48000)
MAX_CHANNELS = 8
MAX_CHUNKS = 64  # RIFF chunks before the audio (fmt, LIST, bext...): real files have < 10
BLOCK_BYTES = 1 << 20  # read at most this much at a time


class WavError(ValueError):
    """The file cannot be analysed; the message names it and says why."""


def _first_channel(data: bytes, width: int, channels: int) -> npt.NDArray[np.float64]:
    """The first channel of whole frames as floats (sox scaling: int / 2^(bits-1))."""
    if width == 2:
        ints = np.frombuffer(data, dtype="<i2").reshape(-1, channels)[:, 0]
        return ints.astype(np.float64) / 32768.0
    raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3 * channels)[:, :3].astype(np.int32)
    v = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
    v = np.where(v & 0x800000, v - 0x1000000, v)
    return v.astype(np.float64) / 8388608.0


def _count_chunks(f: BinaryIO, path: Path) -> None:
    """Refuse a RIFF file with more than MAX_CHUNKS chunks before its audio (each
    is a seek; a file of millions of tiny ones would take minutes to open)."""
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return  # not RIFF/WAVE: the wave module says what it is not
    for _ in range(MAX_CHUNKS):
        chunk = f.read(8)
        if len(chunk) < 8 or chunk[:4] == b"data":
            return
        size = int.from_bytes(chunk[4:8], "little")
        f.seek(size + (size & 1), os.SEEK_CUR)
    raise WavError(
        f"{path}: more than {MAX_CHUNKS} header chunks before the audio — not a recording "
        f"Calmline reads; re-save it (e.g. sox {path} call.wav)"
    )


class WavReader:
    """An open recording: ``rate``, ``frames`` (what the file holds), ``blocks()``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._f = open_regular(path, "WAV file")
        except FileNotFoundError:
            raise WavError(f"{path}: no such file") from None
        except FileRefused as exc:
            raise WavError(f"{path}: {exc.reason} — {exc.fix}") from None
        except OSError as exc:
            raise WavError(f"{path}: cannot read ({exc.strerror or exc})") from None
        try:
            self._open()
        except BaseException:
            self._f.close()
            raise

    def _open(self) -> None:
        path, f = self.path, self._f
        size = os.fstat(f.fileno()).st_size
        try:
            _count_chunks(f, path)
            f.seek(0)
            self._w = wave.open(f, "rb")  # noqa: SIM115 - closed by close()
            self.channels = self._w.getnchannels()
            self.width = self._w.getsampwidth()
            self.rate = self._w.getframerate()
            claimed = self._w.getnframes()
            data_at = f.tell()  # wave.open stops at the start of the data chunk
        except (wave.Error, EOFError) as exc:
            what = "empty file" if size == 0 else str(exc)
            raise WavError(f"{path}: not a PCM WAV file ({what})") from None
        except OSError as exc:
            raise WavError(f"{path}: cannot read ({exc.strerror or exc})") from None
        if not RATES[0] <= self.rate <= RATES[1]:
            raise WavError(f"{path}: sample rate {self.rate} Hz — expected 8000 to 48000 Hz")
        if self.width not in (2, 3):
            raise WavError(f"{path}: {self.width * 8}-bit samples — expected 16 or 24 bit")
        if self.channels > MAX_CHANNELS:
            raise WavError(
                f"{path}: {self.channels} channels — expected 1 to {MAX_CHANNELS}; "
                f"take the agent's (e.g. sox {path} agent.wav remix 1)"
            )
        self.frame_bytes = self.channels * self.width
        self.frames = min(claimed, max(0, size - data_at) // self.frame_bytes)
        if self.frames == 0:
            raise WavError(f"{path}: no audio in it (0 samples)")
        hours = self.frames / self.rate / 3600
        if hours * 3600 > MAX_DURATION_S:
            most = MAX_DURATION_S / 3600
            raise WavError(
                f"{path}: {hours:.1f} hours of audio — at most {most:g} hours are analysed; "
                f"cut it first (e.g. sox {path} part.wav trim 0 {most:g}:00:00)"
            )

    def blocks(self, frames: int | None = None) -> Iterator[npt.NDArray[np.float64]]:
        """The first channel, ``frames`` at a time (default: at most BLOCK_BYTES)."""
        step = max(1, min(frames or self.rate, BLOCK_BYTES // self.frame_bytes))
        left = self.frames
        while left > 0:
            try:
                data = self._w.readframes(min(step, left))
            except OSError as exc:
                raise WavError(f"{self.path}: cannot read ({exc.strerror or exc})") from None
            whole = len(data) - len(data) % self.frame_bytes
            if whole == 0:
                return  # the file ended sooner than it said (it was cut short)
            left -= whole // self.frame_bytes
            yield _first_channel(data[:whole], self.width, self.channels)

    def close(self) -> None:
        self._w.close()
        self._f.close()

    def __enter__(self) -> WavReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_wav(path: Path) -> tuple[npt.NDArray[np.float64], int]:
    """The whole first channel in memory, and the rate (for short files and tests;
    `calmline analyze` reads blocks)."""
    with WavReader(path) as r:
        return np.concatenate(list(r.blocks())), r.rate
