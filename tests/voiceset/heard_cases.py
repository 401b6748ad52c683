"""The heard-steps cases: who says which lines in what order, under which
condition. This plan is the ground truth of what was said (each step line's
step comes from heard_texts); the build adds the times, from where it places
each utterance, and the audio.

- Families (conditions): ``clean``; ``noise`` (office babble, typing and room
  noise 10-15 dB under the agent); ``bleed`` (the caller's voice from the
  headset, 25-35 dB under the agent, in the gaps and over the agent). Each case
  is rendered at 16 kHz and, band-limited to the telephone band, at 8 kHz: six
  conditions.
- Agents: Piper joe, festival slt_hts, flite slt, flite awb. Every (agent, step
  line) pair is said in exactly one family, rotated so every family has every
  line (said by different agents) and every agent.
- Step cases: one call of one playbook, each heard step at most once (the app
  ticks a step once), in playbook order, among ordinary talk.
- Ordinary cases: about three minutes of ordinary talk (near misses included)
  that should tick nothing; half scored against each playbook.

The quick subset (``quick=True``) is the first step case of each agent,
family and playbook and four ordinary cases: about a sixth of the set.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from tests.voiceset import heard_texts as T

FAMILIES = ("clean", "noise", "bleed")
RATES = (16000, 8000)
AGENTS = ("piper:joe", "festival:slt_hts", "flite:slt", "flite:awb")
CALLERS = ("flite:rms", "flite:kal", "festival:ked", "festival:kal")
SHORT = {"piper:joe": "joe", "festival:slt_hts": "slthts", "flite:slt": "slt", "flite:awb": "awb"}
ORDINARY_LINES = 40  # per ordinary case (about three minutes with the caller's turns)


@dataclass(frozen=True)
class CasePlan:
    id: str
    family: str
    kind: str  # steps | ordinary
    playbook: str
    agent: str
    caller: str
    seed: int
    turns: tuple[tuple[str, ...], ...]  # the agent's line ids, turn by turn
    quick: bool

    def steps(self) -> list[str]:
        """The ground-truth steps of the case, in the order they are said."""
        out = []
        for turn in self.turns:
            for line in turn:
                t = T.truth_of(line)
                if t is not None:
                    out.append(t[1])
        return out


def seed_of(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def _ordinary_ids(exclude: tuple[str, ...] = ("greeting",)) -> list[str]:
    return [
        T.ordinary_id(cat, i)
        for cat, lines in T.ORDINARY.items()
        if cat not in exclude
        for i in range(len(lines))
    ]


class _Stream:
    """An agent's ordinary lines in a seeded order, cycled, never the same line
    twice within one case while there are others."""

    def __init__(self, ids: list[str], seed: int) -> None:
        self.ids = ids
        self.rng = np.random.default_rng(seed)
        self.order: list[str] = []

    def take(self, used: set[str]) -> str:
        for _ in range(2):
            for i, line in enumerate(self.order):
                if line not in used:
                    del self.order[i]
                    used.add(line)
                    return line
            self.order += [self.ids[j] for j in self.rng.permutation(len(self.ids))]
        raise AssertionError("no ordinary line left")


def _greeting(rng: np.random.Generator) -> str:
    return T.ordinary_id("greeting", int(rng.integers(len(T.ORDINARY["greeting"]))))


def _step_case(
    cid: str,
    family: str,
    playbook: str,
    agent: str,
    caller: str,
    lines: dict[str, str],
    stream: _Stream,
    quick: bool,
) -> CasePlan:
    seed = seed_of(cid)
    rng = np.random.default_rng(seed)
    used: set[str] = set()
    turns: list[tuple[str, ...]] = [(_greeting(rng), stream.take(used))]
    order = [s for s in T.STEP_LINES[playbook] if s in lines]
    for step in order:
        turn: list[str] = []
        if rng.random() < 0.4:
            turn.append(stream.take(used))
        turn.append(lines[step])
        if rng.random() < 0.4:
            turn.append(stream.take(used))
        turns.append(tuple(turn))
        if rng.random() < 0.25:  # a turn of ordinary talk between two steps
            turns.append((stream.take(used),))
    return CasePlan(cid, family, "steps", playbook, agent, caller, seed, tuple(turns), quick)


def _ordinary_case(
    cid: str, family: str, playbook: str, agent: str, caller: str, stream: _Stream, quick: bool
) -> CasePlan:
    seed = seed_of(cid)
    rng = np.random.default_rng(seed)
    used: set[str] = set()
    turns: list[tuple[str, ...]] = [(_greeting(rng),)]
    n = 1
    while n < ORDINARY_LINES:
        k = min(int(rng.integers(1, 4)), ORDINARY_LINES - n)
        turns.append(tuple(stream.take(used) for _ in range(k)))
        n += k
    return CasePlan(cid, family, "ordinary", playbook, agent, caller, seed, tuple(turns), quick)


def plan(quick: bool = False) -> list[CasePlan]:
    """Every case (or the quick subset), in a fixed order."""
    out: list[CasePlan] = []
    for vi, agent in enumerate(AGENTS):
        stream = _Stream(_ordinary_ids(), seed_of(f"ordinary|{agent}"))
        for fi, family in enumerate(FAMILIES):
            caller = CALLERS[(vi + 2 * fi) % len(CALLERS)]
            name = f"{family}-{SHORT[agent]}"
            for playbook, steps in T.STEP_LINES.items():
                pb = "irate" if playbook == T.IRATE else "abusive"
                # this agent's lines of each step in this family
                mine = {
                    s: [T.step_id(playbook, s, i) for i in range(len(ls)) if (i + vi) % 3 == fi]
                    for s, ls in steps.items()
                }
                for k in range(max(len(v) for v in mine.values())):
                    lines = {s: v[k] for s, v in mine.items() if k < len(v)}
                    out.append(
                        _step_case(
                            f"{name}-{pb}-s{k + 1}",
                            family,
                            playbook,
                            agent,
                            caller,
                            lines,
                            stream,
                            k == 0,
                        )
                    )
            for k, playbook in enumerate((T.IRATE, T.ABUSIVE)):
                pb = "irate" if playbook == T.IRATE else "abusive"
                out.append(
                    _ordinary_case(
                        f"{name}-{pb}-o{k + 1}",
                        family,
                        playbook,
                        agent,
                        caller,
                        stream,
                        k == 0 and (vi + fi) % 3 == 0,
                    )
                )
    return [p for p in out if p.quick] if quick else out


def case_id(plan_id: str, rate: int) -> str:
    """A scored case: one plan at one rate."""
    return f"{plan_id}@{rate // 1000}k"


def condition(family: str, rate: int) -> str:
    return f"{family} {rate // 1000}k"


CONDITIONS = tuple(condition(f, r) for f in FAMILIES for r in RATES)
