"""Cues from the agent's own voice: rare and right. The tracker takes block
levels with their times (and the caller's, when there is a caller channel); the
same code runs live and on a recorded call.

Whose voice a block is, is core/agent_voice.py's call. Then, on the agent's
speech only:

raised_voice        the agent's loudness (mean level over their last 250 ms of
                    speech) over baseline + raised_voice_db for raised_voice_hold_s of
                    their speech (word gaps neither count nor reset it; speech halfway
                    down to the clear level keeps the run but does not count; a dip
                    under that longer than DIP_S of speech, or a pause of pause_s,
                    starts it over); shown until raised_voice_clear_db for CLEAR_S of
                    speech, or ENDED_S without the agent speaking
continuous_speaking agent speech for continuous_speaking_s without a pause of pause_s
Both of these wait until the agent's level is confirmed (agent_voice: until then it
may be the caller's bleed).
talking_over        with a caller channel: the agent starts while the caller is
                    talking and both go on for talking_over_s of the agent's speech
mic_silent          in a call, every block below SILENT_DB (under any live microphone's
                    own noise: a muted or unplugged headset) for mic_silent_s
clipping            peaks at or above clipping_dbfs in 3 blocks of 2+ separate bursts
                    within one second (a single knock on the boom is one burst)
Two cues of one kind start at least min_interval_s apart.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from calmline.core.agent_voice import JUMP_DB, AgentVoice, Judgement
from calmline.core.caller_level import CallerLevel
from calmline.core.cue_kinds import CueKind as CueKind  # re-exported
from calmline.core.levels import Baseline, BlockLevel, DbMean, Window

if TYPE_CHECKING:
    from calmline.core.settings import CueSettings

    CueParams = CueSettings

SILENT_DB = -80.0  # a live headset mic's own noise sits well above this
CLIP_BLOCKS = 3
LOUDNESS_S = 0.25  # of the agent's own speech: what the raised-voice rule reads
SUSTAINED_S = 1.0  # what "up to N dB over the calm level" reports (a syllable is no passage)
CLEAR_S = 0.6  # of calm speech
DIP_S = 0.3  # of the agent's speech under the clear level: a raised run goes on
ENDED_S = 2.0
CALLER_FIRST_S = 0.5  # the caller must have been talking this long to be talked over
PROVISIONAL_DB = 1.5  # extra margin over a calm level still being learnt
RELEARN_EVERY_S = 60.0  # of agent speech: a baseline far above it is relearnt


PRIORITY = list(CueKind)  # the one shown when several are active


def __getattr__(name: str) -> type[CueSettings]:
    """``CueParams``: the detectors read the settings' [cues] section itself, so its
    nine fields, their defaults and bounds are written once, in core/settings.py
    (reading a field of the frozen model is a plain attribute read, as fast as a
    dataclass's). Loaded when first asked for: the window imports CueKind from here
    before its first paint, and the settings model (pydantic) costs ~0.2 s cold."""
    if name == "CueParams":
        from calmline.core.settings import CueSettings

        return CueSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    judged: Judgement
    loudness_db: float | None  # the agent's last 250 ms of speech
    sustained_db: float | None  # ... and their last second of it
    baseline_db: float | None  # the calm level, or its stand-in while it is learnt
    talk_share: float  # of the last minute
    started: list[Cue] = field(default_factory=list)
    ended: list[Cue] = field(default_factory=list)

    @property
    def speech(self) -> bool:
        return self.judged.speech


class VoiceTracker:
    """Whose voice, the calm baseline and the cues over a stream of blocks."""

    def __init__(
        self,
        params: CueSettings,
        baseline_db: float | None = None,
        caller_channel: bool = False,
        calibrated: bool = False,
    ) -> None:
        self.p = params
        self.voice = AgentVoice(baseline_db, caller_channel)  # a known level is confirmed
        self.baseline = Baseline(known_db=baseline_db)
        self.calibrated = calibrated and baseline_db is not None
        self.loudness = DbMean(LOUDNESS_S)
        self.loudness_db: float | None = None
        self.sustained = DbMean(SUSTAINED_S)
        self.sustained_db: float | None = None
        self.caller = CallerLevel()  # only fed with a caller channel
        self.minute = Window(60.0)
        self.active: dict[CueKind, Cue] = {}
        self.cues: list[Cue] = []  # ended ones, in order
        self._last_start: dict[CueKind, float] = {}
        self._since: dict[CueKind, float | None] = dict.fromkeys(CueKind)
        self._clips: deque[tuple[float, bool]] = deque()  # (t, first block of a burst)
        self._clipped_before = False
        self._pause_s = 0.0
        self._raised_s = 0.0
        self._top = 0.0
        self._dip_s = 0.0
        self._calm_s = 0.0
        self._quiet_s = 0.0
        self._caller_s = 0.0
        self._over_s = 0.0
        self._relearnt = 0
        self._check: list[float] = []
        self.in_call = True

    def calibrate(self, baseline_db: float) -> None:
        """The agent read a sentence: their calm level, trusted over anything learnt."""
        self.baseline = Baseline(known_db=baseline_db)
        self.calibrated = True
        self.voice.set_ref(baseline_db)

    def remember(self, baseline_db: float | None, calibrated: bool) -> None:
        """Another agent's remembered level (None: learn it)."""
        if baseline_db is not None and calibrated:
            self.calibrate(baseline_db)
            return
        self.calibrated = False
        self.baseline = Baseline(known_db=baseline_db)
        self.voice.remember(baseline_db)

    def feed(
        self, t: float, level: BlockLevel, dt_s: float, caller: BlockLevel | None = None
    ) -> VoiceState:
        judged = self.voice.feed(level.mean_square, dt_s, caller.mean_square if caller else None)
        if caller is not None:
            self.caller.feed(self.voice.caller_env_db, judged.caller, dt_s)
        if self.voice.relearnt != self._relearnt:
            self._forget_bleed()
        if judged.core:
            self.loudness_db = self.loudness.add(judged.env_db)
            self.sustained_db = self.sustained.add(judged.env_db)
            if self.baseline.value is not None:
                self._check_baseline(self.loudness_db)
        if judged.speech and self.loudness_db is not None and self.baseline.value is None:
            learnt = self.baseline.add(self.loudness_db, True, dt_s)  # 20 s of speech
            if learnt is not None:
                self.voice.ref = learnt
        self.minute.add(t, 0.0, judged.speech)
        state = VoiceState(
            t,
            level,
            judged,
            self.loudness_db,
            self.sustained_db,
            self.baseline.provisional,
            self.minute.flagged_share(),
        )
        self._raised_voice(state, dt_s)
        self._continuous(state, dt_s)
        self._talking_over(state, dt_s)
        self._mic_silent(state)
        self._clipping(state)
        return state

    def finish(self, t: float) -> list[Cue]:
        """End every active cue at ``t`` (end of a call or a file); all cues."""
        for kind in list(self.active):
            self._end(kind, t, None)
        return list(self.cues)

    # -- the calm baseline ---------------------------------------------------
    def _forget_bleed(self) -> None:
        """What was learnt before the agent's level jumped was learnt from bleed."""
        self._relearnt = self.voice.relearnt
        self._since[CueKind.CONTINUOUS_SPEAKING] = self._since[CueKind.RAISED_VOICE] = None
        self._raised_s = 0.0
        self.loudness, self.sustained = DbMean(LOUDNESS_S), DbMean(SUSTAINED_S)
        if not self.calibrated:
            self.baseline = Baseline()
            self._check = []

    def _check_baseline(self, loudness: float) -> None:
        """A baseline learnt while the agent was loud reads their calm speech as far
        below it for a minute of speech: learn it again from that minute."""
        if self.calibrated or self.baseline.value is None:
            return
        self._check.append(loudness)
        if len(self._check) * 0.01 >= RELEARN_EVERY_S:
            self._check.sort()
            median = self._check[len(self._check) // 2]
            if median < self.baseline.value - self.p.raised_voice_db:
                self.baseline = Baseline(known_db=round(median, 2))
                self.voice.ref = median
            self._check = []

    # -- detectors ---------------------------------------------------------
    def _raised_voice(self, s: VoiceState, dt_s: float) -> None:
        k = CueKind.RAISED_VOICE
        base = s.baseline_db
        agent = s.judged.core
        self._quiet_s = 0.0 if agent else self._quiet_s + dt_s
        if base is None or s.loudness_db is None or not self.voice.sure:
            return  # no calm level yet, or it may be the caller's bleed
        # a stand-in calm level is less sure: it must be cleared by more
        over = s.loudness_db - base - (0.0 if self.baseline.value is not None else PROVISIONAL_DB)
        sustained = (s.sustained_db or s.loudness_db) - base
        if not self.voice.confirmed and over >= JUMP_DB:
            return  # so far over a level not yet known to be the agent's: it was not
        if k in self.active:
            if agent:
                self._calm_s = self._calm_s + dt_s if over < self.p.raised_voice_clear_db else 0.0
                cue = self.active[k]
                top = max(cue.max_over_baseline_db or sustained, sustained)
                self.active[k] = replace(cue, max_over_baseline_db=round(top, 2))
            if self._calm_s >= CLEAR_S or self._quiet_s >= ENDED_S:
                self._end(k, s.t, s)
                self._raised_s = 0.0
            return
        if self._quiet_s >= self.p.pause_s:
            self._raised_s, self._since[k] = 0.0, None
        if not agent:
            return
        since = self._since[k]
        if since is None:
            if over <= self.p.raised_voice_db:
                return
            since = self._since[k] = s.t
            self._top, self._raised_s, self._dip_s = sustained, 0.0, 0.0
        # a raised run counts the agent's speech over raised_voice_db; it goes on
        # through speech halfway down to the clear level, and through dips under
        # that shorter than DIP_S (a calm sentence reads up to ~+5 dB: not raised)
        mid = (self.p.raised_voice_db + self.p.raised_voice_clear_db) / 2
        if over < mid:
            self._dip_s += dt_s
            if self._dip_s > DIP_S:
                self._since[k] = None
            return
        self._dip_s = 0.0
        if over > self.p.raised_voice_db:
            self._raised_s += dt_s
        self._top = max(self._top, sustained)  # the passage's top, its hold included
        if self._raised_s >= self.p.raised_voice_hold_s - 1e-9:
            self._calm_s = 0.0
            self._start(k, since, s, round(self._top, 2))

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
            and self.voice.sure
            and s.t - since >= self.p.continuous_speaking_s
        ):
            self._start(k, since, s, None)

    def _talking_over(self, s: VoiceState, dt_s: float) -> None:
        k = CueKind.TALKING_OVER
        j = s.judged
        caller_before = self._caller_s  # how long the caller had been talking
        self._caller_s = self._caller_s + dt_s if j.caller else 0.0
        both = j.caller and j.speech
        if k in self.active:
            if not both:
                self._end(k, s.t, s)
            return
        if not both:
            self._since[k], self._over_s = None, 0.0
            return
        if self._since[k] is None:
            if caller_before < CALLER_FIRST_S or not j.core:
                return  # the agent was first, or answers a pause: not talking over
            self._since[k] = s.t
        if j.core:
            self._over_s += dt_s
        since = self._since[k]
        if since is not None and self._over_s >= self.p.talking_over_s - 1e-9:
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
        clipped = s.level.peak_db >= self.p.clipping_dbfs
        if clipped:
            self._clips.append((s.t, not self._clipped_before))
        self._clipped_before = clipped
        while self._clips and self._clips[0][0] <= s.t - 1.0:
            self._clips.popleft()
        bursts = sum(first for _, first in self._clips)
        if k in self.active and not self._clips:
            self._end(k, s.t, s)
        elif k not in self.active and len(self._clips) >= CLIP_BLOCKS and bursts >= 2:
            self._start(k, self._clips[0][0], s, None)

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
