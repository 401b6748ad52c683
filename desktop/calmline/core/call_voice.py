"""A call's voice figures, from the tracker's block states: the same sums live
(the meter) and offline (`calmline analyze`). Only figures are kept: a level and
two flags per 10 ms block while the call lasts (for the talk share, judged again
at the end), then the few numbers stored with the incident. Never audio.

VoiceRun is the one per-block loop both use: each block through the tracker,
and, while a call runs, its state into the call's figures."""

from __future__ import annotations

from array import array
from collections import Counter

import numpy as np

from calmline.core.agent_voice import talk_share
from calmline.core.cues import VoiceState, VoiceTracker
from calmline.core.levels import BlockLevel
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


class VoiceRun:
    """A tracker and the figures of the call it hears. The tracker's ``in_call``
    says whether a call runs: offline, the whole recording is one call."""

    def __init__(self, tracker: VoiceTracker) -> None:
        self.tracker = tracker
        self.call = CallVoice()

    def feed(
        self, t: float, level: BlockLevel, dt_s: float, heard: BlockLevel | None = None
    ) -> VoiceState:
        """One block of the microphone at ``t`` s (and the caller's beside it)."""
        state = self.tracker.feed(t, level, dt_s, heard)
        if self.tracker.in_call:
            self.call.feed(state, dt_s)
        return state

    def new_call(self) -> None:
        """A call starts: its figures count from here, and mic_silent may fire."""
        self.tracker.in_call = True
        self.call = CallVoice()

    def figures(self) -> VoiceFigures:
        """The call's voice so far, against the calm level as it stands now."""
        return self.call.figures(self.tracker.baseline.value, self.tracker.voice.ref)

    def talk_share(self) -> float | None:
        return self.call.talk_share(self.tracker.voice.ref)
