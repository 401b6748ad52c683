"""A call's voice figures, from the tracker's block states: the same sums live
(the meter) and offline (`calmline analyze`). Only figures are kept: a level and
two flags per 10 ms block while the call lasts (for the talk share, judged again
at the end), then the few numbers stored with the incident. Never audio."""

from __future__ import annotations

from array import array
from collections import Counter

import numpy as np

from calmline.core.agent_voice import talk_share
from calmline.core.cues import VoiceState
from calmline.core.records import VoiceFigures
from calmline.core.timeline import SecondLevels


class CallVoice:
    def __init__(self) -> None:
        self._env = array("f")
        self._clear = array("b")
        self.seconds = SecondLevels()
        self.max_over: float | None = None
        self.marks: list[tuple[str, float]] = []  # (cue kind, call second it fired)
        self.t = 0.0

    def feed(self, s: VoiceState, dt_s: float) -> None:
        self.t += dt_s
        self._env.append(s.judged.env_db)
        self._clear.append(s.judged.clear)
        self.seconds.feed(s.level.rms_db, s.speech, dt_s)
        for cue in s.started:
            self.marks.append((cue.kind.value, round(self.t, 1)))
        if s.judged.core and s.sustained_db is not None and s.baseline_db is not None:
            over = round(s.sustained_db - s.baseline_db, 2)
            self.max_over = over if self.max_over is None else max(self.max_over, over)

    def talk_share(self, ref_db: float | None) -> float | None:
        if not len(self._env):
            return None
        if ref_db is None:
            return 0.0
        env = np.frombuffer(self._env, dtype=np.float32)
        clear = np.frombuffer(self._clear, dtype=np.int8).astype(bool)
        return round(talk_share(env, clear, ref_db), 3)

    def figures(self, baseline_db: float | None, ref_db: float | None) -> VoiceFigures:
        """The voice over the call so far (the meter asks at call end)."""
        return VoiceFigures(
            baseline_dbfs=baseline_db,
            max_over_baseline_db=self.max_over,
            talk_share=self.talk_share(ref_db),
            cue_counts=tuple(sorted(Counter(kind for kind, _ in self.marks).items())),
            levels_db=self.seconds.result(),
            cue_marks=tuple(self.marks),
        )
