"""A synthetic microphone: blocks from an array, handed out as the caller asks.
Same surface as Capture, for widget tests and demos without an audio server."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from calmline.audio.capture import Blocks
from calmline.core.levels import BLOCK_S, block_samples


class ArraySource:
    def __init__(self, samples: npt.NDArray[np.float64], rate: int = 48000) -> None:
        self.rate = rate
        self.block = block_samples(rate)
        self.samples = samples.astype(np.float32)
        self.pos = 0
        self.pending = 0  # blocks the next poll() returns
        self.running = False
        self.reason = "not started"
        self.device_name = "synthetic"

    def start(self) -> bool:
        self.running, self.reason = True, ""
        return True

    def stop(self, reason: str = "stopped") -> None:
        self.running, self.reason = False, reason

    def advance(self, seconds: float) -> None:
        """Make ``seconds`` of audio available to the next poll()."""
        self.pending += round(seconds / BLOCK_S)

    def poll(self) -> Blocks:
        left = (len(self.samples) - self.pos) // self.block
        count = min(self.pending, left) if self.running else 0
        out = self.samples[self.pos : self.pos + count * self.block].reshape(count, self.block)
        self.pos += count * self.block
        self.pending = 0
        return out
