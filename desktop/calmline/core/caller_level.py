"""How loud the caller is, for a quiet indicator beside the agent's own meter
("they're loud — keep yours low"). Only with a caller channel; never a cue, never
counted: the guidance is about the agent's voice, the caller's is context.

The caller's loudness is the mean dB of their last 250 ms of speech; their calm
level is the median of it over their first 20 s of speech. They count as loud
after LOUD_S of speech LOUD_DB over it, and calm again after CALM_S under CALM_DB.
"""

from __future__ import annotations

from calmline.core.levels import Baseline, DbMean

LOUD_DB = 6.0
CALM_DB = 3.0
LOUD_S = 1.0
CALM_S = 1.5
LOUDNESS_S = 0.25  # of the caller's speech


class CallerLevel:
    def __init__(self) -> None:
        self.calm = Baseline()
        self.loudness_db: float | None = None
        self.loud = False
        self._loudness = DbMean(LOUDNESS_S)
        self._for_s = 0.0

    def feed(self, env_db: float, speaking: bool, dt_s: float) -> None:
        if not speaking:
            return
        self.loudness_db = self._loudness.add(env_db)
        calm = self.calm.value
        if calm is None:
            self.calm.add(self.loudness_db, True, dt_s)
            return
        over = self.loudness_db - calm
        changing = over < CALM_DB if self.loud else over > LOUD_DB
        self._for_s = self._for_s + dt_s if changing else 0.0
        if self._for_s >= (CALM_S if self.loud else LOUD_S):
            self.loud, self._for_s = not self.loud, 0.0
