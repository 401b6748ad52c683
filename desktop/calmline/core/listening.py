"""Heard steps, the pure half: which audio the recogniser hears, and what it
reports. Pure (numpy only); the recogniser itself is audio/spotter.py.

The recogniser hears the agent's own speech only. ``ListenGate`` is fed every
10 ms block with the tracker's ``speech`` flag (core/cues.py VoiceState.speech:
the agent's voice, not the caller's bleed, with a 0.3 s hangover over word gaps)
and says when a stretch of speech begins, which audio belongs to it and when it
ends. The speech flag rises some 50-100 ms after the voice does (the envelope
must clear the noise floor and reach the agent's level), so the gate keeps the
last ``pre_roll_s`` of blocks in a preallocated ring and sends them first; after
the flag falls it sends ``tail_s`` more, so a phrase's last phone is not cut and
a short pause inside a phrase stays inside one stretch. A block the caller
channel says is the caller's (``bleed``) is never sent: it empties the ring and
ends a tail at once.

Nothing here keeps what was said: a Spot names the playbook's phrase, never a
transcript."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calmline.core.levels import BLOCK_S
from calmline.core.playbook import Playbook, StepKind

PRE_ROLL_S = 0.25  # the flag's rise (50-100 ms) and the first phone's onset before it
TAIL_S = 0.3  # on top of the tracker's 0.3 s hangover: pauses up to 0.6 s stay in one stretch

Block = npt.NDArray[np.float32] | npt.NDArray[np.float64]


@dataclass(frozen=True)
class Spot:
    """One heard phrase."""

    step: str  # playbook step id
    phrase: str  # the listen_for phrase that matched (the playbook's words, never a transcript)
    start_s: float  # stream time (s) the matched speech started
    end_s: float  # ... and ended
    at_s: float  # stream time (s) of the audio when the spot was reported

    @property
    def latency_s(self) -> float:
        return self.at_s - self.end_s


@dataclass(frozen=True)
class Begin:
    """A stretch of the agent's speech starts at ``t_s`` (its first sample, pre-roll included)."""

    t_s: float


@dataclass(frozen=True)
class Audio:
    """Samples of the stretch, starting at stream time ``t_s``; contiguous with the last."""

    samples: Block
    t_s: float


@dataclass(frozen=True)
class End:
    """The stretch is over at ``t_s`` (the end of its last sample)."""

    t_s: float


GateEvent = Begin | Audio | End


class ListenGate:
    """Begin/Audio/End from 10 ms blocks and the agent's speech flag.

    ``feed`` takes one block (its first sample at stream time ``t_s``); the
    samples of a block in speech are passed on as they are (not copied: the
    caller must not reuse the array), the pre-roll is copied out of the ring once
    at Begin. Per block nothing else is allocated but the returned list."""

    def __init__(self, pre_roll_s: float = PRE_ROLL_S, tail_s: float = TAIL_S) -> None:
        self.pre_blocks = max(0, round(pre_roll_s / BLOCK_S))
        self.tail_s = tail_s
        self._ring: npt.NDArray[np.float32] | None = None  # (pre_blocks, block length)
        self._ring_t = np.zeros(self.pre_blocks)
        self._held = 0  # blocks in the ring, the newest at _next - 1
        self._next = 0
        self.open = False  # a stretch is under way
        self._quiet_s = 0.0  # of tail sent since the flag fell
        self._end_t = 0.0  # end of the last block sent

    def feed(
        self, t_s: float, samples: Block, speech: bool, bleed: bool = False
    ) -> list[GateEvent]:
        """One block; ``bleed``: the caller channel says this block is the caller's."""
        dt = BLOCK_S
        if self.open:
            if bleed:
                return self._close()
            if speech:
                self._quiet_s = 0.0
            else:
                self._quiet_s += dt
                if self._quiet_s > self.tail_s + 1e-9:
                    events = self._close()
                    self._keep(t_s, samples)
                    return events
            self._end_t = t_s + dt
            return [Audio(samples, t_s)]
        if bleed:
            self._held = 0
            return []
        if not speech:
            self._keep(t_s, samples)
            return []
        return self._begin(t_s, samples, dt)

    def finish(self) -> list[GateEvent]:
        """The stream is over: end a stretch under way."""
        return self._close() if self.open else []

    # -- internals ---------------------------------------------------------
    def _keep(self, t_s: float, samples: Block) -> None:
        """A block before speech, into the pre-roll ring (copied: the caller reuses it)."""
        if not self.pre_blocks:
            return
        if self._ring is None or self._ring.shape[1] != len(samples):
            self._ring = np.zeros((self.pre_blocks, len(samples)), dtype=np.float32)
            self._held = self._next = 0
        self._ring[self._next] = samples
        self._ring_t[self._next] = t_s
        self._next = (self._next + 1) % self.pre_blocks
        self._held = min(self._held + 1, self.pre_blocks)

    def _begin(self, t_s: float, samples: Block, dt: float) -> list[GateEvent]:
        self.open, self._quiet_s = True, 0.0
        self._end_t = t_s + dt
        events: list[GateEvent] = []
        ring = self._ring
        if self._held and ring is not None and ring.shape[1] == len(samples):
            order = [(self._next - self._held + i) % self.pre_blocks for i in range(self._held)]
            # only the blocks that run on without a gap up to this one
            first = len(order)
            expect = t_s
            for i in reversed(order):
                if abs(self._ring_t[i] + dt - expect) > dt / 2:
                    break
                expect = self._ring_t[i]
                first -= 1
            order = order[first:]
            if order:
                start = float(self._ring_t[order[0]])
                events.append(Begin(start))
                events.append(Audio(ring[order].reshape(-1), start))
        self._held = 0
        if not events:
            events.append(Begin(t_s))
        events.append(Audio(samples, t_s))
        return events

    def _close(self) -> list[GateEvent]:
        self.open = False
        self._quiet_s = 0.0
        self._held = 0
        return [End(self._end_t)]


def phrase_table(playbook: Playbook) -> dict[str, tuple[str, ...]]:
    """Step id -> its listen_for phrases, for the steps that are ticked once
    (a watch step is never ticked) and have phrases, in playbook order."""
    table: dict[str, tuple[str, ...]] = {}
    for s in playbook.steps:
        if s.kind is StepKind.ONCE and s.listen_for:
            table[s.id] = tuple(s.listen_for)
    return table


def first_per_step(spots: Iterable[Spot]) -> list[Spot]:
    """The first spot of each step, in time order: the app ticks a step once."""
    seen: dict[str, Spot] = {}
    for s in sorted(spots, key=lambda s: (s.at_s, s.end_s)):
        seen.setdefault(s.step, s)
    return sorted(seen.values(), key=lambda s: s.at_s)


# -- the forms a phrase is said in ------------------------------------------
# Agents paraphrase; the recogniser matches word for word. Each listen_for phrase
# is listened for in the forms a person says it in: a contraction short or whole
# ("i'm" / "i am"), "thank you" / "thanks", and a feeling word with or without
# the intensifier people put before it ("i'm sorry" / "i'm so sorry").
MAX_FORMS = 12  # keyphrases per phrase: each costs decoding time and false ticks

# said short -> said whole
CONTRACTIONS = {
    "i'm": "i am",
    "i'll": "i will",
    "i've": "i have",
    "i'd": "i would",
    "you're": "you are",
    "you'll": "you will",
    "you've": "you have",
    "we're": "we are",
    "we'll": "we will",
    "we've": "we have",
    "they're": "they are",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "here's": "here is",
    "what's": "what is",
    "let's": "let us",
    "can't": "cannot",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "won't": "will not",
    "isn't": "is not",
    "wasn't": "was not",
    "aren't": "are not",
    "couldn't": "could not",
    "wouldn't": "would not",
}
# whole -> short, but not "i have": "if i have this right" is never "if i've this right"
_SHORTENED = {v: k for k, v in CONTRACTIONS.items() if not v.endswith(" have")}
_SWAPS = {"thank you": "thanks", "thanks": "thank you"}
INTENSIFIERS = ("so", "really", "very", "terribly")
FEELINGS = frozenset({"sorry", "frustrating", "upsetting", "stressful", "annoying"})
_BE = frozenset({"i'm", "am", "is", "was", "been", "be", "are", "it's", "that's", "you're"})
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def words_of(phrase: str) -> list[str]:
    """A phrase as the dictionary's words: lower case, no punctuation, apostrophes kept."""
    text = phrase.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.findall(text)


def phrase_forms(phrase: str) -> list[str]:
    """The forms the phrase is listened for in, the phrase as written first;
    at most MAX_FORMS."""
    words = words_of(phrase)
    slots: list[list[str]] = []
    i = 0
    while i < len(words):
        w, pair = words[i], " ".join(words[i : i + 2])
        if pair in _SHORTENED or pair in _SWAPS:
            slots.append([pair, _SHORTENED.get(pair) or _SWAPS[pair]])
            i += 2
            continue
        alts = [w]
        if w in CONTRACTIONS:
            alts.append(CONTRACTIONS[w])
        elif w in _SWAPS:
            alts.append(_SWAPS[w])
        elif w in FEELINGS and i and words[i - 1] in _BE:
            alts += [f"{x} {w}" for x in INTENSIFIERS]
        slots.append(alts)
        i += 1
    forms = [""]
    for alts in slots:
        forms = [f"{f} {a}".strip() for f in forms for a in alts]
    out: list[str] = []
    for f in sorted(forms, key=lambda f: (_distance(f, forms[0]), forms.index(f))):
        if f and f not in out:
            out.append(f)
    return out[:MAX_FORMS]


def _distance(form: str, written: str) -> int:
    """How many words differ from the phrase as written (the nearest forms are kept)."""
    a, b = form.split(), written.split()
    return abs(len(a) - len(b)) + sum(x != y for x, y in zip(a, b, strict=False))


def said_in(phrase: str, text: str) -> bool:
    """Whether ``text`` says ``phrase`` in one of its forms, word for word (the
    truth of the tests and the bench; the recogniser itself hears sounds)."""
    said = f" {' '.join(words_of(text))} "
    return any(f" {f} " in said for f in phrase_forms(phrase))
