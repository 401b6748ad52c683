"""Whose voice is this block? The agent's own near-field voice, told apart from
the caller leaking out of the headset's earpiece, neighbours and desk noise.

A headset boom hears its wearer 20-35 dB above the earpiece's bleed and well
above open-plan babble, so the judgement is relative to the agent's own speech
level (``ref``), never to the room's quietest blocks alone:

- a block *sounds* when its short envelope (~30 ms) is 9 dB over the adaptive
  noise floor for at least 50 ms (a key click or a knock on the boom does not);
- it is the *agent's* when it also lies within ``GATE_DB`` of ``ref``;
- ``ref`` is first the median of the first second that sounds (that second counts
  as the agent's), then follows the
  agent slowly. When a second of sound within two sits ``JUMP_DB`` (once
  confirmed, ``JUMP_CONFIRMED_DB``) or more above it, ref
  was learnt from bleed (a caller who spoke first): it moves up at once, and
  ``relearnt`` tells the caller of this class to forget what it learnt from it;
- a learnt ref counts as *confirmed* only once the evidence says it is the
  agent: a second, quieter cluster of sound (the bleed) below it, a jump, a
  calibration, a level only a boom hears its wearer at, or 45 s of sound with no
  one else heard. Cues about talking wait for it (or for a caller channel, which
  keeps the bleed out whatever ref is; babble or typing heard before the agent
  speaks can still be ref then, and the jump puts that right).

With the caller's channel (loopback of what the agent hears), a block heard in
the microphone while the caller speaks is the agent only when it is clearly
louder than the caller's bleed is known to be (the coupling from earpiece to
mic, learnt while the caller talks alone).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calmline.core.levels import FLOOR_DB, SpeechDetector, power_db

ENV_TAU_S = 0.03  # the envelope the decisions look at: a syllable, not a click
SOUND_MARGIN_DB = 9.0  # over the noise floor
SOUND_MIN_DB = -75.0
MIN_RUN_S = 0.05  # shorter bursts are clicks and knocks
GATE_DB = 14.0  # agent speech lies within this of the agent's level
# ... and its syllables' cores within this: what loudness, pauses and the baseline
# read (the rising and falling edges of each syllable are not how loud it is, and
# a shouting caller's bleed reaches the gate's edge but not the core)
CORE_DB = 9.0
JUMP_DB = 18.0  # two seconds this far above ref: ref was the bleed
# ... once ref is confirmed as the agent's, only a bigger jump says so: the agent
# shouting into clipping reads some 20 dB over their calm level, bleed 25-35 dB.
JUMP_CONFIRMED_DB = 24.0
JUMP_SPAN_S = 2.0
LOWER_DB = 16.0  # a cluster this far below ref is someone else: ref is the agent
LOWER_NEEDED_S = 1.5
CONFIRM_ALONE_S = 45.0  # of agent sound with nobody else heard: it is the agent
# A boom hears its wearer at about -32..-16 dBFS and the earpiece's bleed 25-35 dB
# lower: a level this high is taken for the agent's before anything else says so.
CONFIRM_LEVEL_DB = -38.0
TRACK_DB_PER_S = 0.3  # how fast ref follows the agent's own level
LEARN_S = 1.0
HANGOVER_S = 0.3  # word gaps stay speech
# caller channel
CALLER_MIN_DB = -60.0
OVER_BLEED_DB = 8.0  # mic this far over the expected bleed: the agent is talking too
COUPLING_INIT_DB = -30.0  # earpiece to boom, before it is measured
COUPLING_FIRST = 50  # blocks of both sounding: their median starts the coupling
COUPLING_RATE_DB = 0.05  # per caller-only block, towards the median
BLEED_SPREAD_S = 0.1  # the two paths are not sample-aligned: compare with the max nearby
# An earpiece leaks into a boom some 30 dB down. A channel the mic hears within
# this of its own level is not an earpiece's bleed but the same sound (loud open
# speakers, a monitor of the mic itself): it cannot tell the two apart, so it is
# not used while that lasts.
ECHO_DB = -10.0  # (the same sound reads about -7 dB against the max of its neighbours)


@dataclass(frozen=True)
class Judgement:
    env_db: float  # the block's short envelope
    sounding: bool  # something audible, not a click
    clear: bool  # sounding, and not the caller's bleed (as far as the caller channel tells)
    agent: bool  # the agent's own voice (before the hangover)
    core: bool  # ... and the core of a syllable of it
    speech: bool  # the agent speaks: cores, with the hangover over word gaps
    caller: bool  # the caller speaks (caller channel only)


class _Envelope:
    """One-pole power smoothing with a time constant in seconds."""

    def __init__(self, tau_s: float) -> None:
        self.tau_s = tau_s
        self.power = 0.0

    def update(self, mean_square: float, dt_s: float) -> float:
        k = 1.0 - math.exp(-dt_s / self.tau_s)
        self.power += (mean_square - self.power) * k
        return power_db(self.power)


class _Sounding:
    """Envelope over a noise floor, kept only for runs of at least MIN_RUN_S."""

    def __init__(self, min_db: float) -> None:
        self.env = _Envelope(ENV_TAU_S)
        self.floor = SpeechDetector(margin_db=SOUND_MARGIN_DB, min_speech_db=min_db, hangover_ms=0)
        self.run_s = 0.0

    def update(self, mean_square: float, dt_s: float) -> tuple[float, bool]:
        env_db = self.env.update(mean_square, dt_s)
        loud = self.floor.update(env_db, dt_s * 1000.0)
        self.run_s = self.run_s + dt_s if loud else 0.0
        return env_db, self.run_s >= MIN_RUN_S - 1e-9


class AgentVoice:
    """Fed one 10 ms block at a time (mic, and the caller's block if there is a
    caller channel); says whose voice it is."""

    def __init__(self, known_ref_db: float | None = None, caller_channel: bool = False) -> None:
        self.mic = _Sounding(SOUND_MIN_DB)
        self.ref: float | None = known_ref_db
        self.confirmed = known_ref_db is not None
        self.caller_channel = caller_channel  # blocks of the caller come (or came) too
        self.relearnt = 0  # how many times ref was found to be bleed
        self._learn: list[float] = []
        self._recent: deque[tuple[float, float]] = deque()  # (t, env) of sound lately
        self._lower_s = 0.0
        self._alone_s = 0.0
        self._since_agent_s = math.inf
        self._t = 0.0
        self.caller = _Sounding(CALLER_MIN_DB)
        self.coupling = COUPLING_INIT_DB
        self._coupled = 0
        self._first: list[float] = []
        n = max(1, round(BLEED_SPREAD_S / 0.01))
        self._caller_env: deque[float] = deque([FLOOR_DB] * (2 * n + 1), maxlen=2 * n + 1)
        self._caller_since_s = math.inf
        self.caller_env_db = FLOOR_DB

    @property
    def sure(self) -> bool:
        """Cues about the agent's talking may run: their level is confirmed, or the
        caller channel tells the caller's bleed apart whatever ref is."""
        return self.confirmed or self.caller_channel

    def remember(self, ref_db: float | None) -> None:
        """The agent's level as learnt, and confirmed, on an earlier call (only a
        confirmed level is remembered); a jump still corrects it."""
        self.ref, self._learn = ref_db, []
        self.confirmed = ref_db is not None

    def set_ref(self, ref_db: float) -> None:
        """A calibration: trusted."""
        self.ref, self.confirmed, self._learn = ref_db, True, []

    def feed(self, mean_square: float, dt_s: float, caller_ms: float | None = None) -> Judgement:
        self._t += dt_s
        env_db, sounding = self.mic.update(mean_square, dt_s)
        caller = False
        bleed_db = None
        if caller_ms is not None:  # a block of what the agent hears came with this one
            self.caller_channel = True
            caller, bleed_db = self._caller(caller_ms, env_db, sounding, dt_s)
        clear = sounding and (bleed_db is None or env_db >= bleed_db + OVER_BLEED_DB)
        if clear:
            self._learn_ref(env_db, dt_s)
        agent = clear and (self.ref is None or env_db >= self.ref - GATE_DB)
        core = agent and (self.ref is None or env_db >= self.ref - CORE_DB)
        if agent:
            self._track(env_db, dt_s)
        self._since_agent_s = 0.0 if core else self._since_agent_s + dt_s
        speech = self._since_agent_s <= HANGOVER_S
        return Judgement(env_db, sounding, clear, agent, core, speech, caller)

    # -- the agent's level -------------------------------------------------
    def _learn_ref(self, env_db: float, dt_s: float) -> None:
        if self.ref is None:
            self._learn.append(env_db)
            if len(self._learn) * dt_s >= LEARN_S:
                self.ref = float(np.median(self._learn))
                self._learn = []
                self.confirmed = self.confirmed or self.ref >= CONFIRM_LEVEL_DB
            return
        self._recent.append((self._t, env_db))
        while self._recent and self._recent[0][0] <= self._t - JUMP_SPAN_S:
            self._recent.popleft()
        if env_db < self.ref - LOWER_DB:
            self._lower_s += dt_s
            if self._lower_s >= LOWER_NEEDED_S:
                self.confirmed = True  # someone quieter is heard too: ref is the agent
        jump = JUMP_CONFIRMED_DB if self.confirmed else JUMP_DB
        if len(self._recent) * dt_s >= LEARN_S and self._recent[-1][1] > self.ref + jump:
            # a second of sound this far up within two: that cluster is the agent
            high = [e for _, e in self._recent if e >= self.ref + jump]
            if len(high) * dt_s >= LEARN_S:
                self.ref = float(np.median(high))
                self.confirmed = True
                self.relearnt += 1
                self._recent.clear()

    def _track(self, env_db: float, dt_s: float) -> None:
        if self.ref is None:
            return
        step = TRACK_DB_PER_S * dt_s
        self.ref += step if env_db > self.ref else -step
        if not self.confirmed:
            self._alone_s += dt_s
            if self._alone_s >= CONFIRM_ALONE_S:
                self.confirmed = True

    # -- the caller's channel ----------------------------------------------
    def _caller(
        self, caller_ms: float, mic_env: float, mic_sounding: bool, dt_s: float
    ) -> tuple[bool, float | None]:
        caller_env, caller_sounding = self.caller.update(caller_ms, dt_s)
        self.caller_env_db = caller_env
        self._caller_env.append(caller_env)
        self._caller_since_s = 0.0 if caller_sounding else self._caller_since_s + dt_s
        speaking = self._caller_since_s <= HANGOVER_S
        if not speaking:
            return False, None
        loudest = max(self._caller_env)
        if caller_sounding and mic_sounding:
            # learn how much of the caller the mic hears, from blocks that are not
            # clearly the agent (the median of mic - caller, tracked in steps)
            d = mic_env - loudest
            if self._coupled < COUPLING_FIRST:
                self._first.append(d)
                self._coupled += 1
                if self._coupled == COUPLING_FIRST:  # the median of the first half second
                    self.coupling = float(np.median(self._first))
            elif d < self.coupling + OVER_BLEED_DB:
                self.coupling += COUPLING_RATE_DB if d > self.coupling else -COUPLING_RATE_DB
        if self.echo:
            return False, None
        return True, loudest + self.coupling

    @property
    def echo(self) -> bool:
        """The caller channel carries what the microphone hears, at its level."""
        return self._coupled >= COUPLING_FIRST and self.coupling > ECHO_DB


def talk_share(env_db: npt.NDArray[np.float32], clear: npt.NDArray[np.bool_], ref: float) -> float:
    """The share of blocks the agent spoke, judged again at the end with the level
    the agent turned out to have (a caller who spoke first is not the agent's
    talk): their blocks, with gaps of up to HANGOVER_S between them filled."""
    if not len(env_db):
        return 0.0
    agent = clear & (env_db >= ref - GATE_DB)
    idx = np.flatnonzero(agent)
    if not len(idx):
        return 0.0
    gaps = np.diff(idx) - 1
    max_gap = round(HANGOVER_S / 0.01)
    filled = len(idx) + int(gaps[gaps <= max_gap].sum())
    return filled / len(env_db)
