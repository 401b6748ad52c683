"""The live app's voice: everything computed from the microphone's blocks while
the app runs. The meter controller hands it each burst of 10 ms block levels
(and the caller's beside them) and shows what comes back; the flow tells it,
through VoiceSource, whose shift it is and when a call starts and ends, and asks
it for the call's figures before saving the end.

It owns the tracker (whose voice, the calm level, the cues), the figures of the
call that runs (core/call_voice.py's VoiceRun, the loop `calmline analyze`
runs too), calibration and what is remembered of each agent's calm level.

Remembered levels: a level the agent calibrated is trusted over anything learnt;
a learnt one is remembered only once the tracker is sure it is the agent's own
voice (never a level of the caller's bleed), and only when it changed. The
memory itself (baselines.json) is whatever implements CalmLevels.

Pure apart from its log lines (the cues, learnt and calibrated levels, and how
the caller channel was used, at call end): figures only, never audio."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from calmline.core.call_voice import VoiceRun
from calmline.core.cues import Cue, VoiceState, VoiceTracker
from calmline.core.levels import BlockLevel
from calmline.core.records import VoiceFigures

if TYPE_CHECKING:
    from calmline.core.settings import CueSettings

log = logging.getLogger(__name__)
CALIBRATION_SPEECH_S = 4.0  # of the agent's speech: its median is their calm level


class CalmLevels(Protocol):
    """Each agent's remembered calm level (platform/baselines.py's JSON file)."""

    def get(self, agent: str) -> float | None: ...
    def calibrated(self, agent: str) -> bool: ...
    def set(self, agent: str, dbfs: float, calibrated: bool = False) -> None: ...


@dataclass(frozen=True)
class Heard:
    """What a burst of blocks tells the meter."""

    states: list[VoiceState]  # one a block, in order
    shown: Cue | None  # the one cue to show now
    calibrated: bool  # a calibration ended in these blocks
    caller_db: float  # the caller's level now (with a caller channel)
    caller_calm_db: float | None
    caller_loud: bool


class LiveVoice:
    """Implements core/voice_source.py's VoiceSource for the flow."""

    def __init__(self, params: CueSettings, memory: CalmLevels, agent: str = "") -> None:
        self.params, self.memory, self.agent = params, memory, agent
        self.tracker = VoiceTracker(
            params,
            memory.get(agent) if agent else None,
            calibrated=bool(agent) and memory.calibrated(agent),
        )
        self.tracker.in_call = False
        self.run = VoiceRun(self.tracker)
        self._saved = self.tracker.baseline.value  # what the memory holds for the agent
        self.t = 0.0  # seconds of audio heard
        self._calibration: list[float] | None = None  # speech levels read so far
        self._calibration_s = 0.0

    # -- VoiceSource: what the flow tells and asks -------------------------
    def set_agent(self, agent_id: str) -> None:
        if agent_id and agent_id != self.agent:
            self.agent = agent_id
            self.tracker.remember(self.memory.get(agent_id), self.memory.calibrated(agent_id))
            self._saved = self.tracker.baseline.value

    def call_started(self) -> None:
        self.run.new_call()

    def figures(self) -> VoiceFigures:
        """The voice over the call so far (never audio)."""
        return self.run.figures()

    def call_ended(self) -> None:
        self.tracker.in_call = False
        v = self.tracker.voice
        if v.caller_channel:  # figures only: how the caller channel was used
            log.info(
                "caller channel: the mic heard the caller %.0f dB down%s",
                v.coupling,
                " (the same sound as the mic: not used)" if v.echo else "",
            )

    # -- what the meter asks -----------------------------------------------
    @property
    def baseline_db(self) -> float | None:
        """The agent's calm level (None while it is still being learnt)."""
        return self.tracker.baseline.value

    @property
    def calibrating(self) -> bool:
        return self._calibration is not None

    def calibrate(self) -> None:
        """Learn the calm level from the next CALIBRATION_SPEECH_S of speech,
        read now in a normal voice."""
        self._calibration, self._calibration_s = [], 0.0

    def feed(
        self, levels: Sequence[BlockLevel], dt_s: float, heard: Sequence[BlockLevel | None]
    ) -> Heard:
        """A burst of the microphone's blocks, ``dt_s`` each, and the caller's block
        beside each one (None: no caller channel)."""
        states: list[VoiceState] = []
        calibrated = False
        for level, caller in zip(levels, heard, strict=True):
            self.t += dt_s
            state = self.run.feed(self.t, level, dt_s, caller)
            for cue in state.started:
                log.info("cue %s (audio %.2f s)", cue.kind.value, self.t)
            calibrated = self._calibrating(state, dt_s) or calibrated
            states.append(state)
        self._remember_learnt()
        c = self.tracker.caller
        return Heard(
            states,
            self.tracker.shown(),
            calibrated,
            self.tracker.voice.caller_env_db,
            c.calm.value,
            c.loud,
        )

    def _calibrating(self, s: VoiceState, dt_s: float) -> bool:
        """Collect the agent's speech; True when the calibration just ended."""
        if self._calibration is None or not s.speech or s.loudness_db is None:
            return False
        self._calibration.append(s.loudness_db)
        self._calibration_s += dt_s
        if self._calibration_s < CALIBRATION_SPEECH_S:
            return False
        base = round(float(np.median(self._calibration)), 2)
        self._calibration = None
        self.tracker.calibrate(base)
        if self.agent:
            self.memory.set(self.agent, base, calibrated=True)
        log.info("calm level calibrated: %.1f dBFS", base)
        return True

    def _remember_learnt(self) -> None:
        """A learnt calm level, once it is surely the agent's, is remembered."""
        learnt = self.tracker.baseline.value
        sure = self.agent and not self.tracker.calibrated and self.tracker.voice.confirmed
        if learnt is not None and learnt != self._saved and sure:  # never a level of bleed
            self.memory.set(self.agent, learnt)
            self._saved = learnt
            log.info("calm level learnt: %.1f dBFS", learnt)
