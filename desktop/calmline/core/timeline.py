"""A call's voice as one point per second — the mean speech level in that second,
or None when the agent did not speak — so the shift summary can draw it. Kept
with the incident; far too coarse to hold anything of the audio itself."""

from __future__ import annotations

import math


class SecondLevels:
    """Fed block by block (level in dBFS, speech or not, block length in s)."""

    def __init__(self) -> None:
        self.points: list[float | None] = []
        self._t = 0.0  # seconds into the current second
        self._power = 0.0
        self._n = 0

    def feed(self, rms_db: float, speech: bool, dt: float) -> None:
        if speech:
            self._power += 10.0 ** (rms_db / 10.0)
            self._n += 1
        self._t += dt
        if self._t >= 1.0 - 1e-9:
            self._close()
            self._t -= 1.0

    def _mean(self) -> float | None:
        """Power mean of the speech blocks in the current second."""
        return round(10.0 * math.log10(self._power / self._n), 1) if self._n else None

    def _close(self) -> None:
        self.points.append(self._mean())
        self._power, self._n = 0.0, 0

    def result(self) -> tuple[float | None, ...]:
        """Every whole second so far, plus the part second at the end of the call."""
        tail = [self._mean()] if self._t > 1e-9 else []
        return tuple(self.points + tail)
