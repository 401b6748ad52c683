"""Calls: what happens when (the plan and the timeline), then the sound of it
(the render). Every time in the ground truth comes from where things were
placed here; nothing is measured back from the result except the clipped
samples of a shout, which the render itself makes.

A call is a mono microphone track (the agent near-field, the caller's bleed
from the earpiece, room noise, open-plan babble, typing, knocks, mutes) and a
caller track (the clean telephone audio the agent hears).
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests.voiceset import dsp, texts
from tests.voiceset.voices import BY_NAME, VOICES, Item, items_for, load

KINDS = ("raised_voice", "continuous_speaking", "mic_silent", "clipping", "talking_over")
# scenario -> the event kind it makes (spacing is kept per kind)
SCENARIO_KIND = {
    "raised": "raised_voice",
    "gradual_rise": "raised_voice",
    "clipping": "clipping",
    "monologue": "continuous_speaking",
    "mute": "mic_silent",
    "talking_over": "talking_over",
}
SPACING_S = 80.0  # between events of one kind (the brief asks >= 75)
CEILING_DB = -2.0  # peak limit of everything that is not a clipped shout
NARROW = (300.0, 3400.0)
WIDE = (100.0, 7000.0)


@dataclass(frozen=True)
class CallSpec:
    id: str
    seed: int
    rate: int
    agent: str
    caller: str
    band: str  # narrow | wide
    scenarios: tuple[str, ...]
    target_s: float
    loud: bool = False
    babble: bool = True
    keyboard: bool = True
    caller_shouts: bool = False
    mute_mode: str = "zero"  # zero | hiss
    quick: bool = False


@dataclass
class Part:
    who: str  # agent | caller
    item: Item
    s0: int  # first sample
    n: int
    role: str
    over_db: float = 0.0  # nominal, over the calm (agent) or normal (caller) level
    jitter_db: float = 0.0
    ramp: tuple[float, float, float] | None = None  # (start_s, length_s, top_db)
    clip: bool = False
    event: dict[str, Any] | None = None  # the event whose times the render fills in

    def start(self, rate: int) -> float:
        return self.s0 / rate

    def end(self, rate: int) -> float:
        return (self.s0 + self.n) / rate


@dataclass
class Timeline:
    spec: CallSpec
    pool: str
    rng: np.random.Generator
    t: float = 0.0
    parts: list[Part] = field(default_factory=list)
    mutes: list[tuple[float, float, str]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    distractors: list[dict[str, Any]] = field(default_factory=list)
    keyboard: list[tuple[float, float]] = field(default_factory=list)
    knocks: list[dict[str, Any]] = field(default_factory=list)
    agent_end: float = -10.0
    last_kind_end: dict[str, float] = field(default_factory=dict)
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=12))
    holds: int = 0

    def __post_init__(self) -> None:
        self.rate = self.spec.rate
        self.allowed = {
            v: set(items_for(v, self.spec.quick)) for v in (self.spec.agent, self.spec.caller)
        }

    # -- choosing lines ----------------------------------------------------
    def dur(self, item: Item) -> float:
        return len(load(self.pool, item, self.rate)) / self.rate

    def pick(
        self,
        who: str,
        cats: tuple[str, ...],
        variant: str = "calm",
        lo: float = 0.0,
        hi: float = 1e9,
        max_pause: float | None = None,
    ) -> Item | None:
        voice = self.spec.agent if who == "agent" else self.spec.caller
        cands = [
            it
            for it in self.allowed[voice]
            if it.category in cats
            and it.variant == variant
            and lo <= self.dur(it) <= hi
            and (max_pause is None or _pause(self.pool, it) < max_pause)
        ]
        if not cands:
            return None
        cands.sort()
        fresh = [it for it in cands if it.line not in self.recent] or cands
        it = fresh[int(self.rng.integers(len(fresh)))]
        self.recent.append(it.line)
        return it

    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def q(self, lo: float, hi: float, quick_hi: float) -> tuple[float, float]:
        """A range, cut short in the quick set."""
        return (float(lo), float(quick_hi if self.spec.quick else hi))

    # -- placing -----------------------------------------------------------
    def put(self, who: str, item: Item, start: float, role: str, **kw: Any) -> Part:
        s0 = round(start * self.rate)
        n = len(load(self.pool, item, self.rate))
        jitter = self.u(-1.0, 1.0) if who == "agent" else self.u(-1.5, 1.5)
        p = Part(who, item, s0, n, role, jitter_db=jitter, **kw)
        self.parts.append(p)
        if who == "agent":
            self.agent_end = max(self.agent_end, p.end(self.rate))
        return p

    def fill(
        self,
        who: str,
        cats: tuple[str, ...],
        start: float,
        target: float,
        hi: float,
        gap: tuple[float, float],
        variant: str = "calm",
        role: str = "calm",
        max_pause: float | None = None,
        **kw: Any,
    ) -> list[Part]:
        """Utterances one after another from ``start`` until ``target`` seconds
        are spoken, never past ``hi`` seconds."""
        out: list[Part] = []
        t = start
        while True:
            room = hi - (t - start)
            it = self.pick(who, cats, variant, 0.0, room, max_pause)
            if it is None:
                break
            p = self.put(who, it, t, role, **kw)
            out.append(p)
            t = p.end(self.rate)
            if t - start >= target:
                break
            t += self.u(*gap)
        return out

    def agent_start(self, gap: tuple[float, float] = (0.25, 0.9)) -> float:
        """When the agent may start a new turn: after a gap, and never less than
        1.5 s after the agent last spoke (so turns never join into one run)."""
        return max(self.t + self.u(*gap), self.agent_end + 1.5)

    def kind_ready(self, kind: str, start: float) -> bool:
        return start - self.last_kind_end.get(kind, -1e9) >= SPACING_S

    def event(
        self,
        kind: str,
        scenario: str,
        start: float,
        end: float,
        expect: float | None = None,
        optional: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        e = {
            "kind": kind,
            "start_s": round(start, 3),
            "end_s": round(end, 3),
            "expect_s": round(start if expect is None else expect, 3),
            "scenario": scenario,
            "optional": optional,
            **extra,
        }
        self.events.append(e)
        self.last_kind_end[kind] = max(self.last_kind_end.get(kind, -1e9), end)
        return e

    def distractor(self, what: str, start: float, end: float, **extra: Any) -> None:
        self.distractors.append(
            {"what": what, "start_s": round(start, 3), "end_s": round(end, 3), **extra}
        )

    # -- turns -------------------------------------------------------------
    def agent_turn(self, cats: tuple[str, ...], lo: float = 2.0, hi: float = 15.0) -> None:
        start = self.agent_start()
        parts = self.fill("agent", cats, start, self.u(lo, hi), hi, (0.15, 0.5))
        if parts:
            self.t = parts[-1].end(self.rate)

    def caller_turn(
        self,
        cats: tuple[str, ...] = ("complaint", "reply"),
        lo: float = 2.0,
        hi: float = 12.0,
        shout: bool = False,
        backchannels: bool = True,
        typing: float = 0.35,
    ) -> None:
        start = self.t + self.u(0.25, 0.9)
        variant = "raised" if shout else "calm"
        cats = tuple(c for c in cats if c in texts.CALLER_RAISED) if shout else cats
        over = self.shout_db if shout else 0.0
        role = "shout" if shout else "calm"
        parts = self.fill(
            "caller",
            cats,
            start,
            self.u(lo, hi),
            hi,
            (0.2, 0.7),
            variant=variant,
            role=role,
            over_db=over,
        )
        if not parts:
            return
        end = parts[-1].end(self.rate)
        if backchannels:
            for p in parts:
                d = p.n / self.rate
                if d < 2.6 or self.rng.random() > 0.3:
                    continue
                at = p.start(self.rate) + self.u(0.8, d - 1.4)
                if at - self.agent_end < 2.0:
                    continue
                bc = self.pick("agent", ("backchannel",), "fit", 0.0, 0.79)
                if bc is None:
                    continue
                b = self.put("agent", bc, at, "backchannel", over_db=-3.0)
                self.distractor("backchannel", b.start(self.rate), b.end(self.rate))
        if self.spec.keyboard and self.rng.random() < typing and end - start > 3.0:
            a = start + self.u(0.2, 0.4 * (end - start))
            self.keyboard.append((a, min(end, a + self.u(2.0, 9.0))))
        self.t = end

    def exchange(self) -> None:
        if self.spec.quick:  # short turns: the quick set is a few minutes in all
            self.caller_turn(("complaint", "reply"), 2.0, 5.0)
            self.agent_turn(("empathy", "apology", "explain"), 2.0, 6.0)
            return
        r = self.rng.random()
        if r < 0.12:
            self.caller_turn(("rant", "complaint"), 10.0, 40.0)
        elif r < 0.2 and self.spec.caller_shouts:
            self.caller_turn(("shout", "complaint"), 2.0, 8.0, shout=True)
        else:
            self.caller_turn()
        if self.rng.random() < 0.15 and self.spec.keyboard:
            # the agent looks something up: a longer pause with typing
            a = self.t + self.u(0.4, 0.8)
            e = a + self.u(1.5, 4.0)
            self.keyboard.append((a, e))
            self.t = e
        cats = (
            ("empathy", "apology", "explain", "long")
            if self.rng.random() < 0.35
            else ("empathy", "apology", "explain")
        )
        self.agent_turn(cats)

    # -- scenarios -----------------------------------------------------------
    def raised(self) -> None:
        self.caller_turn(("shout", "complaint"), 3.0, 8.0, shout=True, backchannels=False)
        start = self.agent_start((0.2, 0.6))
        over = self.u(9.0, 14.0)
        parts = self.fill(
            "agent",
            ("firm", "explain", "empathy"),
            start,
            self.u(*self.q(8, 20, 10)),
            20.0,
            (0.12, 0.35),
            variant="raised",
            role="raised",
            over_db=over,
        )
        s, e = parts[0].start(self.rate), parts[-1].end(self.rate)
        if e - s < 8.0:  # one more short line
            parts += self.fill(
                "agent",
                ("firm", "explain", "empathy"),
                e + 0.2,
                8.0 - (e - s),
                20.0 - (e - s) - 0.2,
                (0.12, 0.35),
                variant="raised",
                role="raised",
                over_db=over,
            )
            e = parts[-1].end(self.rate)
        assert 8.0 <= e - s <= 20.0, (self.spec.id, s, e)
        self.event("raised_voice", "raised", s, e, over_db=round(over, 2))
        self.t = e
        self.caller_turn(("reply", "complaint"), 2.0, 6.0)

    def gradual_rise(self) -> None:
        self.caller_turn()
        r0 = self.agent_start((0.3, 0.8))
        ramp, hold = self.u(*self.q(15, 25, 18)), self.u(*self.q(6, 10, 7))
        # Where a ramp of 0.5-0.8 dB/s becomes "raised" cannot be timed closer than
        # the +/-2 dB by which one calm sentence differs from the next. So a cue from
        # the +4.5 dB crossing (halfway between the clear and raised levels) is not
        # early, and its onset is timed from the +7.5 dB crossing (+6 dB and that
        # precision); the +6 dB crossing is kept in the truth as cross_6_s.
        cross = r0 + ramp / 2
        earliest, clearly = r0 + ramp * 4.5 / 12, r0 + ramp * 7.5 / 12
        t, run_start, parts = r0, r0, []
        while t < r0 + ramp + hold:
            variant = "raised" if t > cross else "calm"
            it = self.pick("agent", ("explain", "empathy", "firm"), variant, 0.0, 6.0)
            assert it is not None
            p = self.put(
                "agent",
                it,
                t,
                "ramp",
                ramp=(r0, ramp, 12.0),
                over_db=round(12.0 * min(1.0, max(0.0, (t - r0) / ramp)), 2),
            )
            parts.append(p)
            t = p.end(self.rate)
            if t >= r0 + ramp + hold:
                break
            gap = self.u(0.12, 0.35)
            if t - run_start > self.u(8.0, 11.0) and not (
                earliest - 2.5 < t + 1.8 and t < clearly + 2.5
            ):
                gap = self.u(1.3, 1.7)  # a breath long enough to end a run of speech
                run_start = t + gap
            t += gap
        e = parts[-1].end(self.rate)
        self.event(
            "raised_voice",
            "gradual_rise",
            earliest,
            e,
            expect=clearly,
            cross_6_s=round(cross, 3),
            ramp_start_s=round(r0, 3),
            ramp_s=round(ramp, 3),
        )
        self.t = e
        self.caller_turn(("reply",), 1.5, 4.0)

    def exclamation(self) -> None:
        self.caller_turn()
        start = self.agent_start()
        a = self.fill("agent", ("explain", "empathy"), start, 1.0, 6.0, (0.2, 0.4))
        t = a[-1].end(self.rate) + self.u(0.25, 0.5)
        it = self.pick("agent", ("exclaim",), "fit", 0.5, 1.2)
        assert it is not None
        over = self.u(10.0, 15.0)
        p = self.put("agent", it, t, "exclamation", over_db=over)
        what = "laugh" if it.text.lower().startswith("ha") else "exclamation"
        self.distractor(what, p.start(self.rate), p.end(self.rate), over_db=round(over, 2))
        t = p.end(self.rate) + self.u(0.3, 0.6)
        b = self.fill("agent", ("explain", "empathy", "apology"), t, 1.0, 5.0, (0.2, 0.4))
        self.t = b[-1].end(self.rate) if b else p.end(self.rate)

    def monologue(self) -> None:
        self.caller_turn(("complaint",), 2.0, 6.0)
        start = self.agent_start((0.4, 0.9))
        parts = self.fill(
            "agent",
            ("long", "explain"),
            start,
            self.u(*self.q(40, 60, 45)),
            60.0,
            (0.1, 0.4),
            role="monologue",
            max_pause=0.45,
        )
        s, e = parts[0].start(self.rate), parts[-1].end(self.rate)
        assert e - s >= 40.0, (self.spec.id, e - s)
        self.event("continuous_speaking", "monologue", s, e, expect=s + 30.0)
        self.t = e + self.u(1.2, 2.0)  # the caller waits a moment before answering
        self.caller_turn(("reply", "complaint"), 2.0, 6.0)

    def caller_first(self) -> None:
        s = self.t
        self.caller_turn(("rant", "complaint", "shout"), *self.q(15, 40, 20), backchannels=False)
        self.distractor("caller_first", s, self.t)
        self.agent_turn(("apology", "empathy"), 3.0, 10.0)

    def _hold(self, lo: float, hi: float, mode: str) -> tuple[float, float]:
        start = self.agent_start()
        it = self.pick("agent", ("hold",), "calm")
        assert it is not None
        p = self.put("agent", it, start, "calm")
        m0 = round(p.end(self.rate) + self.u(0.4, 1.0), 3)  # on the ms grid: exact in the truth
        m1 = round(m0 + self.u(lo, hi), 3)
        if mode != "room":
            self.mutes.append((m0, m1, mode))
        elif self.spec.keyboard:
            self.keyboard.append((m0 + 0.3, m1 - 0.3))
        self.t = m1
        back = self.pick("agent", ("hold",), "calm")
        assert back is not None
        q = self.put("agent", back, m1 + self.u(0.3, 0.8), "calm")
        self.t = q.end(self.rate)
        return m0, m1

    def mute(self) -> None:
        mode = self.spec.mute_mode
        m0, m1 = self._hold(*self.q(12, 20, 14), mode)
        self.event("mic_silent", "mute", m0, m1, expect=m0 + 10.0, mode=mode)

    def short_hold(self) -> None:
        mode = ("zero", "hiss", "room")[(self.spec.seed + self.holds) % 3]
        self.holds += 1
        m0, m1 = self._hold(3.0, 8.0, mode)
        self.distractor(f"short_hold_{mode}", m0, m1)

    def clipping(self) -> None:
        self.caller_turn(("shout", "complaint"), 3.0, 8.0, shout=True, backchannels=False)
        start = self.agent_start((0.2, 0.5))
        it = self.pick("agent", ("firm",), "shout", 2.0, 4.0)
        assert it is not None
        p = self.put("agent", it, start, "shout", over_db=20.0, clip=True)
        p.event = self.event("clipping", "clipping", p.start(self.rate), p.end(self.rate))
        # a shout this loud is also a raised voice: a raised_voice cue here is neither
        # required nor false
        self.event("raised_voice", "clipping", p.start(self.rate), p.end(self.rate), optional=True)
        self.t = p.end(self.rate)
        self.caller_turn(("reply", "complaint"), 2.0, 6.0)

    def talking_over(self) -> None:
        c0 = max(self.t + self.u(0.3, 0.9), self.agent_end + 0.4)
        over = self.u(1.5, 4.0)
        it = self.pick("caller", ("complaint", "rant"), "calm", over + 1.2, 14.0)
        assert it is not None
        c = self.put("caller", it, c0, "calm")
        c_end = c.end(self.rate)
        a0 = c_end - over
        ag = self.pick(
            "agent", ("explain", "empathy", "firm", "apology", "long"), "calm", over + 0.8, 12.0
        )
        assert ag is not None
        a = self.put("agent", ag, a0, "talking_over")
        self.event("talking_over", "talking_over", a.start(self.rate), c_end)
        self.t = a.end(self.rate)

    # -- the whole call --------------------------------------------------------
    def earliest(self, sc: str) -> float:
        base = {
            "raised": 60.0,
            "gradual_rise": 60.0,
            "clipping": 50.0,
            "monologue": 20.0,
            "mute": 20.0,
            "talking_over": 20.0,
            "exclamation": 25.0,
            "short_hold": 15.0,
            "caller_first": 0.0,
            "knock": 0.0,
        }[sc]
        return base * (0.3 if self.spec.quick else 1.0)

    def build(self) -> None:
        self.shout_db = self.u(6.0, 10.0)
        self.t = self.u(0.3, 1.0)
        scen = list(self.spec.scenarios)
        if "caller_first" in scen:
            scen.remove("caller_first")
            self.caller_first()
        else:
            self.agent_turn(("greeting",), 2.0, 6.0)
        for sc in scen:
            if sc == "knock":
                continue  # placed once the timeline is known
            kind = SCENARIO_KIND.get(sc)
            guard = 0
            while True:
                # the event starts after self.t, so spacing from self.t is a floor
                if self.t >= self.earliest(sc) and (
                    kind is None
                    or (
                        self.kind_ready(kind, self.t)
                        and (sc != "clipping" or self.kind_ready("raised_voice", self.t))
                    )
                ):
                    break
                self.exchange()
                guard += 1
                assert guard < 100
            getattr(self, sc)()
            if not self.spec.quick:
                self.exchange()
        while self.t < self.spec.target_s:
            self.exchange()
        self.agent_turn(("closing",), 2.0, 4.0 if self.spec.quick else 6.0)
        self.duration = self.t + self.u(0.6, 1.5)
        for _ in range(self.spec.scenarios.count("knock")):
            self.place_knock(full=len(self.knocks) == 0)

    def place_knock(self, full: bool) -> None:
        rate = self.rate
        agent = [(p.start(rate), p.end(rate)) for p in self.parts if p.who == "agent"]
        busy = agent + [(m0, m1) for m0, m1, _ in self.mutes]
        busy += [(e["start_s"], e["end_s"]) for e in self.events if e["kind"] == "clipping"]
        busy += [(k["t"], k["t"]) for k in self.knocks]
        for _ in range(500):
            t = self.u(5.0, self.duration - 3.0)
            if all(t < s - 2.0 or t > e + 2.0 for s, e in busy):
                peak = self.u(0.5, 2.5) if full else self.u(-14.0, -4.0)
                self.knocks.append({"t": round(t, 3), "peak_db": round(peak, 2), "full": full})
                self.distractor("knock", t, t + 0.06, full_scale=full)
                return
        raise AssertionError(f"{self.spec.id}: no room for a knock")


_PAUSES: dict[tuple[str, Item], float] = {}


def _pause(pool: str, item: Item) -> float:
    key = (pool, item)
    if key not in _PAUSES:
        _PAUSES[key] = dsp.max_pause_s(load(pool, item, 16000).astype(np.float64), 16000)
    return _PAUSES[key]


def merge(spans: list[tuple[float, float]], gap: float = 0.0) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for s, e in sorted(spans):
        if out and s - out[-1][1] <= gap:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


# -- render -----------------------------------------------------------------
@dataclass
class Levels:
    calm_db: float
    bleed_db: float
    loop_db: float
    noise_db: float
    babble_db: float | None  # relative to the agent's calm level (negative)
    hp_hz: float
    ear_hp_hz: float
    ear_peak_hz: float


def draw_levels(spec: CallSpec, rng: np.random.Generator) -> Levels:
    if spec.loud:
        calm = rng.uniform(-12.0, -10.0)
    elif {"raised", "gradual_rise", "exclamation"} & set(spec.scenarios):
        calm = rng.uniform(-32.0, -24.0)
    else:
        calm = rng.uniform(-32.0, -16.0)
    return Levels(
        calm_db=float(calm),
        bleed_db=float(rng.uniform(-35.0, -25.0)),
        loop_db=float(rng.uniform(-26.0, -16.0)),
        noise_db=float(rng.uniform(-75.0, -60.0)),
        babble_db=float(-rng.uniform(25.0, 40.0)) if spec.babble else None,
        hp_hz=float(rng.uniform(70.0, 120.0)),
        ear_hp_hz=float(rng.uniform(280.0, 380.0)),
        ear_peak_hz=float(rng.uniform(1800.0, 3000.0)),
    )


def _scaled(x: np.ndarray, rate: int, target_db: float) -> np.ndarray:
    a = dsp.active_level_db(x, rate)
    return x * dsp.db_to_gain(target_db - a)


def _limited(y: np.ndarray, rate: int) -> np.ndarray:
    """The limiter, with the gain before it raised so the active level stays."""
    target = dsp.active_level_db(y, rate)
    g = 1.0
    out = dsp.limit(y, rate, CEILING_DB)
    for _ in range(4):
        if out is y:
            return out
        miss = target - dsp.active_level_db(out, rate)
        if abs(miss) < 0.05:
            break
        g *= dsp.db_to_gain(miss)
        out = dsp.limit(y * g, rate, CEILING_DB)
    return out


def _clipped(x: np.ndarray, rate: int, s0: int, base: float) -> tuple[np.ndarray, int, int]:
    """Gain a shout up until it hard-clips in >= 3 blocks of every second of it
    (blocks on the file's 10 ms grid); returns it and its first/last clipped sample."""
    n = round(rate * dsp.BLOCK_S)
    for extra_db in np.arange(0.0, 40.0, 1.0):
        y = np.clip(x * base * dsp.db_to_gain(float(extra_db)), -1.0, 1.0)
        hot = np.abs(y) >= 0.999
        if not hot.any():
            continue
        blocks = np.zeros((len(y) + s0 % n + n - 1) // n, dtype=bool)
        idx = (np.nonzero(hot)[0] + s0 % n) // n
        blocks[idx] = True
        per_s = 100
        secs = len(blocks) // per_s
        tail = len(blocks) - secs * per_s
        counts = [blocks[i * per_s : (i + 1) * per_s].sum() for i in range(secs)]
        if tail >= 50:
            counts.append(blocks[secs * per_s :].sum())
        first, last = int(np.nonzero(hot)[0][0]), int(np.nonzero(hot)[0][-1])
        if counts and min(counts) >= 3 and (last - first) / rate >= 1.9:
            return y, first, last
    raise AssertionError("a shout that will not clip")


def _noise(rng: np.random.Generator, n: int, rate: int, db: float) -> np.ndarray:
    w = rng.standard_normal(n)
    pink = dsp.lowpass(w, rate, 400.0, 1) * 3.0 + 0.5 * w
    return pink * dsp.db_to_gain(db - dsp.rms_db(pink))


def _babble(
    spec: CallSpec,
    pool: str,
    rng: np.random.Generator,
    n_out: int,
    target_db: float,
    exclude: set[str],
) -> np.ndarray:
    base = 8000 if spec.rate == 8000 else 16000
    dur = n_out / spec.rate
    n = math.ceil(dur * base) + 1
    voices = [v.name for v in VOICES if v.person not in exclude]
    total = np.zeros(n)
    for _ in range(int(rng.integers(3, 7))):
        voice = voices[int(rng.integers(len(voices)))]
        cands = sorted(it for it in items_for(voice, spec.quick) if it.variant == "calm")
        stream = np.zeros(n)
        t = rng.uniform(0.0, 3.0)
        while t < dur:
            it = cands[int(rng.integers(len(cands)))]
            x = load(pool, it, base).astype(np.float64)
            s = round(t * base)
            m = min(len(x), n - s)
            if m <= 0:
                break
            stream[s : s + m] += _scaled(x, base, rng.uniform(-6.0, 0.0))[:m]
            t += len(x) / base + rng.uniform(0.3, 2.5)
        total += dsp.lowpass(stream, base, rng.uniform(1800.0, 3500.0), 2)
    tau = rng.uniform(0.08, 0.15)
    ir_t = np.arange(round(0.6 * base)) / base
    ir = rng.standard_normal(ir_t.size) * np.exp(-ir_t / tau)
    ir[0] += 0.3 * np.abs(ir).max()
    from scipy.signal import oaconvolve

    wet = oaconvolve(total, ir)[:n]
    wet = dsp.resample(wet, base, spec.rate)[:n_out]
    wet = np.pad(wet, (0, n_out - len(wet)))
    return wet * dsp.db_to_gain(target_db - dsp.active_level_db(wet, spec.rate))


def _clicks(
    rng: np.random.Generator, rate: int, spans: list[tuple[float, float]], n: int, peak_db: float
) -> np.ndarray:
    out = np.zeros(n)
    m = max(8, round(0.006 * rate))
    tt = np.arange(m) / rate
    hp = min(1500.0, 0.3 * rate)
    for s, e in spans:
        t = s
        while t < e:
            click = rng.standard_normal(m) * np.exp(-tt / rng.uniform(0.0008, 0.002))
            click += np.sin(2 * np.pi * rng.uniform(1500, 0.4 * rate) * tt) * np.exp(-tt / 0.001)
            click = dsp.highpass(click, rate, hp, 2)
            click *= dsp.db_to_gain(peak_db + rng.uniform(-4.0, 0.0)) / np.abs(click).max()
            for at, g in ((t, 1.0), (t + rng.uniform(0.04, 0.09), 0.4)):
                i = round(at * rate)
                if i + m < n:
                    out[i : i + m] += g * click
            t += rng.gamma(3.0, 1.0 / 18.0) + 0.03
            if rng.random() < 0.04:
                t += rng.uniform(0.4, 1.2)  # thinking
    return out


def _knock(rng: np.random.Generator, rate: int, peak_db: float, full: bool) -> np.ndarray:
    m = round(0.12 * rate)
    tt = np.arange(m) / rate
    f = rng.uniform(90.0, 160.0)
    x = np.sin(2 * np.pi * f * tt) * np.exp(-tt / rng.uniform(0.010, 0.022))
    x += 0.15 * rng.standard_normal(m) * np.exp(-tt / 0.002)
    x /= np.abs(x).max()
    if not full:
        return x * dsp.db_to_gain(peak_db)
    # full scale once: clipped in at most two 10 ms blocks wherever it lands
    amp = dsp.db_to_gain(peak_db)
    while amp > 1.0:
        hot = np.nonzero(np.abs(x * amp) >= 0.99)[0]
        if hot.size and (hot[-1] - hot[0]) < 0.008 * rate:
            break
        amp *= 0.97
    return x * max(amp, 1.0)


def render(tl: Timeline, out_dir: Path) -> dict[str, Any]:
    spec, rate, pool = tl.spec, tl.rate, tl.pool
    rng = np.random.default_rng([spec.seed, 2])
    lv = draw_levels(spec, np.random.default_rng([spec.seed, 1]))
    n = math.ceil(tl.duration * rate)
    agent = np.zeros(n)
    caller = np.zeros(n)
    bleed = np.zeros(n)
    band = NARROW if spec.band == "narrow" else WIDE
    for p in tl.parts:
        x = load(pool, p.item, rate).astype(np.float64)
        if p.who == "agent":
            x = dsp.highpass(x, rate, lv.hp_hz, 2)
            y = _scaled(x, rate, lv.calm_db + p.over_db + p.jitter_db)
            if p.ramp is not None and not p.clip:
                r0, length, top = p.ramp
                t = (p.s0 + np.arange(p.n)) / rate
                y = y * 10 ** (top * np.clip((t - r0) / length, 0.0, 1.0) / 20.0)
                y = y * dsp.db_to_gain(-p.over_db)  # the ramp carries the level here
            if p.clip:
                y, first, last = _clipped(
                    x, rate, p.s0, dsp.db_to_gain(lv.calm_db + 12.0 - dsp.active_level_db(x, rate))
                )
                assert p.event is not None
                p.event["start_s"] = p.event["expect_s"] = round((p.s0 + first) / rate, 3)
                p.event["end_s"] = round((p.s0 + last + 1) / rate, 3)
            else:
                y = _limited(y, rate)
            agent[p.s0 : p.s0 + p.n] += y[: n - p.s0]
        else:
            tel = dsp.bandpass(x, rate, *band, order=4)
            level = p.over_db + p.jitter_db
            caller[p.s0 : p.s0 + p.n] += _scaled(tel, rate, lv.loop_db + level)[: n - p.s0]
            ear = dsp.highpass(tel, rate, lv.ear_hp_hz, 3)
            ear = dsp.peaking(ear, rate, lv.ear_peak_hz, 1.2, 4.0)
            if spec.band == "wide":
                ear = dsp.lowpass(ear, rate, 5000.0, 2)
            b = _scaled(ear, rate, lv.calm_db + lv.bleed_db + level)
            bleed[p.s0 : p.s0 + p.n] += b[: n - p.s0]
    # the optional raised_voice event of a clipped shout follows its clipping event
    for e in tl.events:
        if e["optional"] and e["scenario"] == "clipping":
            twin = min(
                (c for c in tl.events if c["kind"] == "clipping"),
                key=lambda c: abs(c["start_s"] - e["start_s"]),
            )
            e["start_s"] = e["expect_s"] = twin["start_s"]
            e["end_s"] = twin["end_s"]
    noise = _noise(rng, n, rate, lv.noise_db)
    mic = agent + bleed + noise
    if lv.babble_db is not None:
        exclude = {BY_NAME[spec.agent].person, BY_NAME[spec.caller].person}
        mic += _babble(spec, pool, rng, n, lv.calm_db + lv.babble_db, exclude)
    # typing peaks 15-30 dB under the agent's speech peaks (the median utterance peak)
    peaks = [
        float(np.abs(agent[p.s0 : p.s0 + p.n]).max())
        for p in tl.parts
        if p.who == "agent" and p.role == "calm"
    ]
    speech_peak = 20 * math.log10(float(np.median(peaks))) if peaks else lv.calm_db + 15.0
    key_below = float(rng.uniform(15.0, 30.0))
    mic += _clicks(rng, rate, tl.keyboard, n, speech_peak - key_below)
    for k in tl.knocks:
        x = _knock(rng, rate, k["peak_db"], k["full"])
        i = round(k["t"] * rate)
        mic[i : i + len(x)] += x[: n - i]
    mic = np.clip(mic, -1.0, 1.0)
    for m0, m1, mode in tl.mutes:
        a, b = round(m0 * rate), round(m1 * rate)
        mic[a:b] = 0.0 if mode == "zero" else _noise(rng, b - a, rate, rng.uniform(-90.0, -84.0))
    line = dsp.bandpass(rng.standard_normal(n), rate, *band, order=2)
    caller_track = caller + line * dsp.db_to_gain(lv.loop_db - 55.0 - dsp.rms_db(line))
    caller_track = np.clip(caller_track, -1.0, 1.0)

    out_dir.mkdir(parents=True, exist_ok=True)
    dsp.write_wav(out_dir / f"{spec.id}.mic.wav", mic, rate)
    dsp.write_wav(out_dir / f"{spec.id}.caller.wav", caller_track, rate)
    call = truth(tl, lv, n)
    call["agent_peak_dbfs"] = round(speech_peak, 2)
    call["keyboard_peak_db"] = round(-key_below, 2)
    return call


def truth(tl: Timeline, lv: Levels, n: int) -> dict[str, Any]:
    spec, rate = tl.spec, tl.rate
    duration = n / rate

    def spans(who: str) -> list[list[float]]:
        return [
            [round(p.start(rate), 3), round(min(p.end(rate), duration), 3)]
            for p in sorted(tl.parts, key=lambda p: p.s0)
            if p.who == who
        ]

    agent_speech = spans("agent")
    talk = sum(e - s for s, e in merge([(s, e) for s, e in agent_speech]))
    events = sorted(tl.events, key=lambda e: e["start_s"])
    required = [e for e in events if not e["optional"]]
    parts = [
        {
            "who": p.who,
            "start_s": round(p.start(rate), 3),
            "end_s": round(p.end(rate), 3),
            "role": p.role,
            "over_db": round(p.over_db, 2),
            "voice": p.item.voice,
            "line": p.item.line,
            "variant": p.item.variant,
        }
        for p in sorted(tl.parts, key=lambda p: p.s0)
    ]
    call = {
        "id": spec.id,
        "mic": f"{spec.id}.mic.wav",
        "caller": f"{spec.id}.caller.wav",
        "rate": rate,
        "duration_s": round(duration, 3),
        "samples": n,
        "agent_voice": spec.agent,
        "caller_voice": spec.caller,
        "quiet": not required,
        "scenarios": list(spec.scenarios) + (["loud_agent"] if spec.loud else []),
        "band": spec.band,
        "agent_speech": agent_speech,
        "caller_speech": spans("caller"),
        "talk_share": round(talk / duration, 4),
        "events": events,
        "distractors": sorted(tl.distractors, key=lambda d: d["start_s"]),
        "agent_calm_dbfs": round(lv.calm_db, 2),
        "bleed_db": round(lv.bleed_db, 2),
        "caller_loop_dbfs": round(lv.loop_db, 2),
        "caller_shout_db": round(tl.shout_db, 2),
        "noise_dbfs": round(lv.noise_db, 2),
        "babble_db": None if lv.babble_db is None else round(lv.babble_db, 2),
        "mutes": [
            {"start_s": round(a, 3), "end_s": round(b, 3), "mode": m} for a, b, m in tl.mutes
        ],
        "keyboard": [[round(a, 3), round(b, 3)] for a, b in tl.keyboard],
        "knocks": tl.knocks,
        "parts": parts,
    }
    check(call)
    return call


def check(call: dict[str, Any]) -> None:
    """What the plan promises, checked on the truth (a failure is a bug here)."""
    cid, dur = call["id"], call["duration_s"]
    mono = [
        (e["start_s"], e["end_s"]) for e in call["events"] if e["kind"] == "continuous_speaking"
    ]
    for s, e in merge([tuple(x) for x in call["agent_speech"]], gap=1.0):
        if e - s >= 26.0:
            assert any(ms - 0.01 <= s and e <= me + 0.01 for ms, me in mono), (cid, s, e)
    for ev in call["events"]:
        assert 0.0 <= ev["start_s"] <= ev["expect_s"] <= dur and ev["end_s"] <= dur, (cid, ev)
        assert ev["start_s"] <= ev["end_s"], (cid, ev)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for ev in call["events"]:
        by_kind.setdefault(ev["kind"], []).append(ev)
    for kind, evs in by_kind.items():
        for a, b in itertools.pairwise(evs):
            assert b["start_s"] - a["end_s"] >= 75.0, (cid, kind, a, b)
    for ms, me in mono:
        for s, e in call["caller_speech"]:
            assert e <= ms or s >= me, (cid, "caller talks in a monologue", s, e)
    for m in call["mutes"]:
        for s, e in call["agent_speech"] + call["caller_speech"]:
            assert e <= m["start_s"] or s >= m["end_s"], (cid, "speech in a mute", s, e)
    if call["quiet"]:
        assert not [e for e in call["events"] if not e["optional"]]


def compose(spec: CallSpec, pool: str, out_dir: str) -> dict[str, Any]:
    """Build one call into out_dir; its manifest entry."""
    tl = Timeline(spec, pool, np.random.default_rng([spec.seed, 0]))
    tl.build()
    return render(tl, Path(out_dir))


# -- the plan -------------------------------------------------------------------
EVENT_KINDS = ("raised", "monologue", "mute", "talking_over", "gradual_rise", "clipping")
EXTRAS = (
    "exclamation",
    "short_hold",
    "knock",
    "caller_first",
    "knock",
    "short_hold",
    "exclamation",
)
QUIET = (
    ("exclamation", "short_hold"),
    ("caller_first", "knock"),
    ("loud",),
    ("exclamation", "knock", "short_hold"),
    ("caller_first", "exclamation"),
    ("loud", "short_hold"),
    ("knock", "short_hold", "exclamation"),
    (),
    ("caller_first", "short_hold", "knock"),
    ("loud", "knock"),
    ("exclamation", "exclamation"),
    ("short_hold", "short_hold"),
    ("caller_first",),
    (),
    ("knock", "exclamation"),
)
RATES = (8000, 16000, 48000)
AGENTS = tuple(v.name for v in VOICES if v.role == "agent")
CALLERS = tuple(v.name for v in VOICES if v.role == "caller")


def _spec(
    i: int, cid: str, scen: tuple[str, ...], target: float, quick: bool, **kw: Any
) -> CallSpec:
    rate = kw.pop("rate", RATES[i % 3])
    loud = "loud" in scen
    scen = tuple(s for s in scen if s != "loud")
    band = kw.pop("band", "narrow" if rate == 8000 or i % 2 == 0 else "wide")
    return CallSpec(
        id=cid,
        seed=1000 + i if not quick else 9000 + i,
        rate=rate,
        agent=kw.pop("agent", AGENTS[i % len(AGENTS)]),
        caller=kw.pop("caller", CALLERS[(2 * i + 1) % len(CALLERS)]),
        band=band,
        scenarios=scen,
        target_s=target,
        loud=loud,
        quick=quick,
        babble=kw.pop("babble", i % 5 != 3),
        keyboard=kw.pop("keyboard", i % 4 != 2),
        caller_shouts=kw.pop("caller_shouts", i % 3 == 1),
        mute_mode=kw.pop("mute_mode", ("zero", "hiss")[i % 2]),
        **kw,
    )


def plan(quick: bool) -> list[CallSpec]:
    if quick:
        return [
            _spec(
                0,
                "q1-quiet",
                ("exclamation", "short_hold", "knock"),
                25.0,
                True,
                rate=16000,
                band="wide",
                agent="piper:joe",
                caller="flite:rms",
            ),
            _spec(
                1,
                "q2-raised",
                ("caller_first", "raised"),
                25.0,
                True,
                rate=8000,
                agent="flite:awb",
                caller="flite:kal",
            ),
            _spec(
                2,
                "q3-loud",
                ("loud", "short_hold"),
                25.0,
                True,
                rate=48000,
                agent="festival:slt_hts",
                caller="festival:ked",
                babble=False,
                keyboard=False,
                caller_shouts=True,
            ),
            _spec(
                3,
                "q4-monologue",
                ("monologue", "mute"),
                25.0,
                True,
                rate=16000,
                agent="flite:slt",
                caller="festival:kal",
                mute_mode="zero",
            ),
            _spec(
                4,
                "q5-rise",
                ("gradual_rise", "knock"),
                25.0,
                True,
                rate=48000,
                band="wide",
                agent="piper:joe",
                caller="flite:kal16",
            ),
            _spec(
                5,
                "q6-clip",
                ("clipping", "talking_over", "mute"),
                25.0,
                True,
                rate=8000,
                agent="festival:slt_hts",
                caller="flite:rms",
                mute_mode="hiss",
            ),
        ]
    specs = []
    for i, scen in enumerate(QUIET):
        specs.append(_spec(i, f"quiet{i + 1:02d}", scen, 230.0 + 15.0 * (i % 7), False))
    slot = 0
    for j in range(16):
        i = len(QUIET) + j
        kinds = tuple(EVENT_KINDS[(slot + k) % len(EVENT_KINDS)] for k in range(4))
        slot += 4 if j % 3 != 2 else 3
        extra = (EXTRAS[j % len(EXTRAS)],)
        scen = ("caller_first", *kinds) if extra == ("caller_first",) else (*kinds, *extra)
        specs.append(_spec(i, f"event{j + 1:02d}", scen, 200.0, False))
    return specs
