"""Offline analysis of a recorded call: the meter's maths over a whole file, in
10 ms blocks, reported per 100 ms window and as cues. With the caller's track
(what the agent heard) it runs as the meter does with a caller channel. Pure
(numpy only).

The samples are fed in pieces (``Analyzer.feed``), so a recording of any length
is read a block at a time: what is kept grows only by the figures, about 5 bytes
a 10 ms block (for the talk share, judged at the end) and 17 bytes a 100 ms
window, never the audio — some 2.5 MB an hour (MAX_DURATION_S bounds it)."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

import numpy as np

from calmline.core.call_voice import VoiceRun
from calmline.core.cues import Cue, VoiceTracker
from calmline.core.levels import (
    FLOOR_DB,
    Samples,
    block_levels,
    block_samples,
    power_db,
    to_db,
)

if TYPE_CHECKING:
    from calmline.core.settings import CueSettings

WINDOW_BLOCKS = 10  # 100 ms
MAX_DURATION_S = 12 * 3600.0  # longer than any call; the figures of 12 h are ~30 MB


@dataclass(frozen=True)
class WindowLevel:
    t: float
    rms_dbfs: float
    peak_dbfs: float
    speech: bool


class Windows(Sequence[WindowLevel]):
    """The 100 ms windows, kept as four arrays (a list of objects would take ten
    times the memory); each WindowLevel is made when it is read."""

    def __init__(self) -> None:
        self._t, self._rms, self._peak = array("d"), array("d"), array("d")
        self._speech = array("b")

    def append(self, t: float, rms_dbfs: float, peak_dbfs: float, speech: bool) -> None:
        self._t.append(t)
        self._rms.append(rms_dbfs)
        self._peak.append(peak_dbfs)
        self._speech.append(speech)

    def __len__(self) -> int:
        return len(self._t)

    def _at(self, i: int) -> WindowLevel:
        return WindowLevel(self._t[i], self._rms[i], self._peak[i], bool(self._speech[i]))

    @overload
    def __getitem__(self, i: int) -> WindowLevel: ...
    @overload
    def __getitem__(self, i: slice) -> list[WindowLevel]: ...
    def __getitem__(self, i: int | slice) -> WindowLevel | list[WindowLevel]:
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._at(i)

    def __iter__(self) -> Iterator[WindowLevel]:
        return (self._at(i) for i in range(len(self)))


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
    windows: Sequence[WindowLevel]
    caller_channel: bool = False


def whole_blocks(x: np.ndarray, n: int) -> np.ndarray:  # type: ignore[type-arg]
    """Whole blocks of n samples as rows (the tail shorter than a block is dropped)."""
    whole = len(x) // n
    return x[: whole * n].reshape(whole, n)


def fit_caller(caller: Samples | None, n: int) -> np.ndarray:  # type: ignore[type-arg]
    """The caller's samples beside n of the microphone's: cut, or padded with silence."""
    c = np.zeros(n)
    if caller is not None:
        got = np.asarray(caller, dtype=np.float64)[:n]
        c[: len(got)] = got
    return c


class Analyzer:
    """The analysis of one recording, fed its samples in pieces of any length."""

    def __init__(
        self,
        rate: int,
        params: CueSettings,
        file: str = "",
        baseline_db: float | None = None,
        caller_channel: bool = False,
    ) -> None:
        self.rate, self.file = rate, file
        self.caller_channel = caller_channel
        self.n = block_samples(rate)
        self.dt = self.n / rate
        self.run = VoiceRun(VoiceTracker(params, baseline_db, caller_channel=caller_channel))
        self.windows = Windows()
        self.samples = 0
        self._blocks = 0
        self._sum_sq = 0.0
        self._peak = 0.0
        self._mic = np.zeros(0)  # less than a window, waiting for the rest of it
        self._caller = np.zeros(0)

    def feed(self, mic: Samples, caller: Samples | None = None) -> None:
        """More of the microphone's samples in [-1, 1] and, with a caller channel,
        the caller's beside them (cut or padded to the same length)."""
        x = np.asarray(mic, dtype=np.float64)
        if not len(x):
            return
        self.samples += len(x)
        # einsum, not dot: BLAS's threads wake for each call (ms on a busy machine)
        self._sum_sq += float(np.einsum("i,i->", x, x))
        self._peak = max(self._peak, float(np.max(x)), -float(np.min(x)))
        w = self.n * WINDOW_BLOCKS
        x = np.concatenate([self._mic, x])
        whole = len(x) // w * w
        c = None
        if self.caller_channel:
            c = np.concatenate([self._caller, fit_caller(caller, len(x) - len(self._caller))])
            self._caller = c[whole:]
        self._mic = x[whole:]
        if whole:
            self._run(x[:whole], c[:whole] if c is not None else None)

    def _run(self, x: np.ndarray, c: np.ndarray | None) -> None:  # type: ignore[type-arg]
        """Whole windows (or the last, part one) through the tracker."""
        mic = block_levels(whole_blocks(x, self.n))
        heard = block_levels(whole_blocks(c, self.n)) if c is not None else None
        flags: list[bool] = []
        for i, level in enumerate(mic):
            self._blocks += 1
            state = self.run.feed(
                self._blocks * self.dt, level, self.dt, heard[i] if heard is not None else None
            )
            flags.append(state.speech)
        w = self.n * WINDOW_BLOCKS
        rows = len(x) // w
        levels = block_levels(x[: rows * w].reshape(rows, w))
        if len(x) > rows * w:  # the part window at the end of the file
            levels += block_levels(x[rows * w :].reshape(1, -1))
        for j, level in enumerate(levels):
            f = flags[j * WINDOW_BLOCKS : (j + 1) * WINDOW_BLOCKS]
            self.windows.append(
                round(len(self.windows) * w / self.rate, 3),
                round(level.rms_db, 2),
                round(level.peak_db, 2),
                sum(f) * 2 > len(f),
            )

    def finish(self) -> Analysis:
        if len(self._mic):
            self._run(self._mic, self._caller if self.caller_channel else None)
            self._mic = self._caller = np.zeros(0)
        duration = self.samples / self.rate
        cues = self.run.tracker.finish(duration)
        share = self.run.talk_share() or 0.0
        base = self.run.tracker.baseline.value
        rms = power_db(self._sum_sq / self.samples) if self.samples else FLOOR_DB
        peak = to_db(self._peak) if self.samples else FLOOR_DB
        return Analysis(
            file=self.file,
            sample_rate=self.rate,
            duration_s=round(duration, 3),
            rms_dbfs=round(rms, 2),
            peak_dbfs=round(peak, 2),
            speech_s=round(share * self._blocks * self.dt, 3),
            talk_share=share,
            baseline_dbfs=round(base, 2) if base is not None else None,
            cues=cues,
            windows=self.windows,
            caller_channel=self.caller_channel,
        )


def analyze_samples(
    x: Samples,
    rate: int,
    params: CueSettings,
    file: str = "",
    baseline_db: float | None = None,
    caller: Samples | None = None,
) -> Analysis:
    """Levels, speech and cues of mono samples in [-1, 1] at ``rate``; ``caller``,
    when given, is the caller's track at the same rate (shorter is padded)."""
    run = Analyzer(rate, params, file, baseline_db, caller_channel=caller is not None)
    run.feed(x, caller)
    return run.finish()
