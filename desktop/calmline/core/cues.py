"""Cues from the agent's own voice: rare and right. Each detector takes the
block levels with their times; the same code runs live and on a recorded call.

raised_voice        speech over the last second above baseline + raised_voice_db for
                    raised_voice_hold_s; clears below baseline + raised_voice_clear_db
continuous_speaking speech for continuous_speaking_s without a pause of pause_s
mic_silent          in a call, every block below SILENT_DB (under any live microphone's
                    own noise: a muted or unplugged headset) for mic_silent_s
clipping            peaks at or above clipping_dbfs in 3 blocks within one second
Two cues of one kind start at least min_interval_s apart.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from enum import StrEnum

from calmline.core.levels import Baseline, BlockLevel, SpeechDetector, Window

SILENT_DB = -80.0  # a live headset mic's own noise sits well above this
CLIP_BLOCKS = 3


class CueKind(StrEnum):
    MIC_SILENT = "mic_silent"
    CLIPPING = "clipping"
    RAISED_VOICE = "raised_voice"
    CONTINUOUS_SPEAKING = "continuous_speaking"


PRIORITY = list(CueKind)  # the one shown when several are active


@dataclass(frozen=True)
class CueParams:
    raised_voice_db: float = 6.0
    raised_voice_clear_db: float = 3.0
    raised_voice_hold_s: float = 1.5
    continuous_speaking_s: float = 30.0
    pause_s: float = 1.0
    mic_silent_s: float = 10.0
    clipping_dbfs: float = -0.5
    min_interval_s: float = 60.0


@dataclass(frozen=True)
class Cue:
    kind: CueKind
    start_s: float  # when the condition began
    fired_s: float  # when the cue was raised (start + the hold it needs)
    end_s: float | None = None
    max_over_baseline_db: float | None = None


@dataclass
class VoiceState:
    """What one block of audio tells the window."""

    t: float
    level: BlockLevel
    speech: bool
    speech_level_db: float | None  # speech over the last second
    baseline_db: float | None
    talk_share: float  # of the last minute
    started: list[Cue] = field(default_factory=list)
    ended: list[Cue] = field(default_factory=list)


class VoiceTracker:
    """Speech detection, baseline and cues over a stream of blocks."""

    def __init__(self, params: CueParams, baseline_db: float | None = None) -> None:
        self.p = params
        self.detector = SpeechDetector()
        self.baseline = Baseline(known_db=baseline_db)
        self.second = Window(1.0)
        self.minute = Window(60.0)
        self.active: dict[CueKind, Cue] = {}
        self.cues: list[Cue] = []  # ended ones, in order
        self._last_start: dict[CueKind, float] = {}
        self._since: dict[CueKind, float | None] = dict.fromkeys(CueKind)
        self._clips: deque[float] = deque()
        self._pause_s = 0.0
        self.in_call = True

    def feed(self, t: float, level: BlockLevel, dt_s: float) -> VoiceState:
        speech = self.detector.update(level.rms_db, dt_s * 1000.0)
        self.second.add(t, level.mean_square, speech)
        self.minute.add(t, 0.0, speech)
        lvl = self.second.flagged_power_db()
        if speech and lvl is not None:
            # the baseline is the same quantity the raised-voice cue compares
            self.baseline.add(lvl, True, dt_s)
        state = VoiceState(t, level, speech, lvl, self.baseline.value, self.minute.flagged_share())
        self._raised_voice(state)
        self._continuous(state, dt_s)
        self._mic_silent(state)
        self._clipping(state)
        return state

    def finish(self, t: float) -> list[Cue]:
        """End every active cue at ``t`` (end of a call or a file); all cues."""
        for kind in list(self.active):
            self._end(kind, t, None)
        return list(self.cues)

    # -- detectors ---------------------------------------------------------
    def _raised_voice(self, s: VoiceState) -> None:
        k = CueKind.RAISED_VOICE
        if s.baseline_db is None:
            return
        lvl = s.speech_level_db if s.speech else None
        over = None if lvl is None else lvl - s.baseline_db
        if k in self.active:
            if over is None or over < self.p.raised_voice_clear_db:
                self._end(k, s.t, s)
            else:
                cue = self.active[k]
                top = max(cue.max_over_baseline_db or over, over)
                self.active[k] = replace(cue, max_over_baseline_db=round(top, 2))
            return
        if over is not None and over > self.p.raised_voice_db:
            since = self._since[k]
            if since is None:
                since = self._since[k] = s.t
            if s.t - since >= self.p.raised_voice_hold_s:
                self._start(k, since, s, round(over, 2))
        else:
            self._since[k] = None

    def _continuous(self, s: VoiceState, dt_s: float) -> None:
        k = CueKind.CONTINUOUS_SPEAKING
        self._pause_s = 0.0 if s.speech else self._pause_s + dt_s
        if self._pause_s >= self.p.pause_s:
            self._since[k] = None
            if k in self.active:
                self._end(k, s.t, s)
            return
        if s.speech and self._since[k] is None:
            self._since[k] = s.t
        since = self._since[k]
        if (
            since is not None
            and k not in self.active
            and s.t - since >= self.p.continuous_speaking_s
        ):
            self._start(k, since, s, None)

    def _mic_silent(self, s: VoiceState) -> None:
        k = CueKind.MIC_SILENT
        if not self.in_call or s.level.rms_db >= SILENT_DB:
            self._since[k] = None
            if k in self.active:
                self._end(k, s.t, s)
            return
        if self._since[k] is None:
            self._since[k] = s.t
        since = self._since[k]
        if since is not None and k not in self.active and s.t - since >= self.p.mic_silent_s:
            self._start(k, since, s, None)

    def _clipping(self, s: VoiceState) -> None:
        k = CueKind.CLIPPING
        if s.level.peak_db >= self.p.clipping_dbfs:
            self._clips.append(s.t)
        while self._clips and self._clips[0] <= s.t - 1.0:
            self._clips.popleft()
        if k in self.active and not self._clips:
            self._end(k, s.t, s)
        elif k not in self.active and len(self._clips) >= CLIP_BLOCKS:
            self._start(k, self._clips[0], s, None)

    # -- bookkeeping -------------------------------------------------------
    def _start(self, kind: CueKind, since: float, s: VoiceState, over: float | None) -> None:
        last = self._last_start.get(kind)
        if last is not None and s.t - last < self.p.min_interval_s:
            return  # too soon after the last one of this kind: stay quiet
        self._last_start[kind] = s.t
        cue = Cue(kind, round(since, 3), round(s.t, 3), max_over_baseline_db=over)
        self.active[kind] = cue
        s.started.append(cue)

    def _end(self, kind: CueKind, t: float, s: VoiceState | None) -> None:
        cue = replace(self.active.pop(kind), end_s=round(t, 3))
        self.cues.append(cue)
        self._since[kind] = None
        if s is not None:
            s.ended.append(cue)

    def shown(self) -> Cue | None:
        """The one cue to show now: at most one at a time, by priority."""
        for kind in PRIORITY:
            if kind in self.active:
                return self.active[kind]
        return None
