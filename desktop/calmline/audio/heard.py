"""Heard steps in a recording, by the live app's own path: 10 ms blocks through
the tracker (core/call_voice.VoiceRun, as core/analysis.py runs it), the
ListenGate on each block's speech flag, the Spotter on what the gate lets
through. ``calmline analyze --json`` and the accuracy bench use it.

Audio reaches the spotter in pieces of FEED_BLOCKS blocks (the live worker
drains the capture at about 30 Hz), so a spot's latency here is the live one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from calmline.audio.spotter import Spotter
from calmline.core.call_voice import VoiceRun
from calmline.core.cues import VoiceTracker
from calmline.core.levels import BLOCK_S, Samples, block_levels, block_samples
from calmline.core.listening import Audio, Begin, End, GateEvent, ListenGate, Spot, first_per_step

if TYPE_CHECKING:
    from calmline.core.settings import CueSettings

FEED_BLOCKS = 3  # 30 ms: what the live worker gets per drain
CHUNK_BLOCKS = 1000  # 10 s of a recording's levels computed at once


class HeardRun:
    """The tracker, the gate and the spotter over one stream of blocks; ``spots``
    collects every spot (first_per_step keeps what the app would tick)."""

    def __init__(
        self,
        spotter: Spotter,
        params: CueSettings | None = None,
        caller_channel: bool = False,
        gate: ListenGate | None = None,
    ) -> None:
        if params is None:
            from calmline.core.settings import CueSettings

            params = CueSettings()
        self.spotter = spotter
        self.n = block_samples(spotter.rate)
        self.run = VoiceRun(VoiceTracker(params, caller_channel=caller_channel))
        self.gate = gate or ListenGate()
        self.spots: list[Spot] = []
        self.blocks = 0
        self.gated_blocks = 0  # blocks the recogniser heard (pre-roll and tail included)
        self._pending: list[npt.NDArray[np.float32]] = []

    def feed_blocks(
        self,
        mic: npt.NDArray[np.float32],
        caller: npt.NDArray[np.float32] | None = None,
    ) -> None:
        """Whole blocks as rows (and the caller's rows beside them)."""
        levels = block_levels(mic)
        heard = block_levels(caller) if caller is not None else None
        for i, level in enumerate(levels):
            t = self.blocks * BLOCK_S
            self.blocks += 1
            state = self.run.feed(
                t + BLOCK_S, level, BLOCK_S, heard[i] if heard is not None else None
            )
            bleed = state.judged.caller and not state.speech
            self._handle(self.gate.feed(t, mic[i], state.speech, bleed))

    def finish(self) -> list[Spot]:
        self._handle(self.gate.finish())
        if self.spotter.open:
            self._flush()
            self.spots.extend(self.spotter.end())
        return first_per_step(self.spots)

    def _handle(self, events: list[GateEvent]) -> None:
        for e in events:
            if isinstance(e, Begin):
                self.spotter.begin(e.t_s)
            elif isinstance(e, Audio):
                self._pending.append(np.asarray(e.samples, dtype=np.float32))
                self.gated_blocks += max(1, len(e.samples) // self.n)
                if len(self._pending) >= FEED_BLOCKS:
                    self._flush()
            elif isinstance(e, End):
                self._flush()
                self.spots.extend(self.spotter.end())

    def _flush(self) -> None:
        if self._pending:
            x = np.concatenate(self._pending)
            self._pending.clear()
            self.spots.extend(self.spotter.feed(x))


def heard_in(
    samples: Samples,
    rate: int,
    phrases: Mapping[str, Sequence[str]],
    sensitivity: float = 0.5,
    model_dir: Path | None = None,
    caller: Samples | None = None,
    *,
    spotter: Spotter | None = None,
    params: CueSettings | None = None,
) -> list[Spot]:
    """The steps heard in a recording (mono samples in [-1, 1] at ``rate``), the
    first spot of each, in time order. ``caller``: the caller's track at the same
    rate (cut or padded to the microphone's length). ``spotter``: one already made
    for these phrases at this rate (making one costs ~0.4 s)."""
    spotter = spotter or Spotter(phrases, rate, sensitivity, model_dir)
    run = HeardRun(spotter, params, caller_channel=caller is not None)
    n = block_samples(rate)
    x = np.asarray(samples, dtype=np.float32)
    whole = len(x) // n
    c = None
    if caller is not None:
        c = np.zeros(whole * n, dtype=np.float32)
        got = np.asarray(caller, dtype=np.float32)[: whole * n]
        c[: len(got)] = got
    step = CHUNK_BLOCKS * n
    for i in range(0, whole * n, step):
        j = min(i + step, whole * n)
        mic = x[i:j].reshape(-1, n)
        run.feed_blocks(mic, c[i:j].reshape(-1, n) if c is not None else None)
    return run.finish()
