"""The listening gate (only the agent's speech reaches the recogniser), the
phrase table, and the phrase forms the spotter listens for."""

from __future__ import annotations

import numpy as np
import pytest

from calmline.audio.spotter import threshold
from calmline.core.listening import (
    Audio,
    Begin,
    End,
    GateEvent,
    ListenGate,
    Spot,
    first_per_step,
    phrase_forms,
    phrase_table,
    said_in,
    words_of,
)
from calmline.core.playbook import parse_playbook
from tests.conftest import REPO

N = 160  # 10 ms at 16 kHz


def block(i: int) -> np.ndarray:
    """A block whose every sample is its own index: where audio came from shows."""
    return np.full(N, float(i), dtype=np.float32)


def run(flags: str, gate: ListenGate | None = None, bleed: str = "") -> list[GateEvent]:
    """Feed one block per character: 's' speech, '.' not; ``bleed`` 'b' marks the
    caller's blocks."""
    gate = gate or ListenGate(pre_roll_s=0.05, tail_s=0.03)
    events: list[GateEvent] = []
    for i, f in enumerate(flags):
        b = i < len(bleed) and bleed[i] == "b"
        events += gate.feed(i * 0.01, block(i), f == "s", bleed=b)
    return events + gate.finish()


def sent(events: list[GateEvent]) -> list[int]:
    """The block indexes the recogniser was given, in order."""
    out: list[int] = []
    for e in events:
        if isinstance(e, Audio):
            x = e.samples.reshape(-1, N)[:, 0]
            out += [int(v) for v in x]
    return out


def test_nothing_is_sent_without_speech() -> None:
    assert run("." * 200) == []


def test_a_stretch_gets_its_pre_roll_then_its_speech_then_the_tail() -> None:
    events = run("." * 10 + "s" * 8 + "." * 10)
    assert isinstance(events[0], Begin) and events[0].t_s == pytest.approx(0.05)
    assert sent(events) == list(range(5, 21))  # 5 blocks before, 8 speech, 3 of tail
    assert isinstance(events[-1], End) and events[-1].t_s == pytest.approx(0.21)
    assert sum(isinstance(e, Begin) for e in events) == 1
    assert sum(isinstance(e, End) for e in events) == 1


def test_audio_times_follow_the_blocks() -> None:
    events = run("...sss....")
    audio = [e for e in events if isinstance(e, Audio)]
    assert audio[0].t_s == pytest.approx(0.0) and len(audio[0].samples) == 3 * N
    assert [round(a.t_s, 2) for a in audio[1:]] == [0.03, 0.04, 0.05, 0.06, 0.07, 0.08]


def test_a_pause_shorter_than_the_tail_stays_in_one_stretch() -> None:
    events = run("sss..sss" + "." * 10)
    assert sum(isinstance(e, Begin) for e in events) == 1
    assert sent(events) == list(range(0, 11))


def test_a_longer_pause_ends_the_stretch_and_the_next_gets_a_fresh_pre_roll() -> None:
    events = run("sss" + "." * 8 + "sss" + "." * 5)
    begins = [e for e in events if isinstance(e, Begin)]
    assert len(begins) == 2
    # first: 0-2 speech, 3-5 tail; second: pre-roll 6..10 (blocks after the tail), 11-13, tail
    assert sent(events) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
    assert begins[1].t_s == pytest.approx(0.06)


def test_the_pre_roll_never_repeats_what_was_sent() -> None:
    events = run("sss" + "." * 4 + "sss" + "." * 5)
    got = sent(events)
    assert got == sorted(set(got))


def test_caller_blocks_are_never_sent() -> None:
    flags = "." * 10 + "s" * 5 + "." * 10
    bleed = "b" * 8 + ".." + "." * 5 + "bbb"
    got = sent(run(flags, bleed=bleed))
    assert not {i for i, b in enumerate(bleed) if b == "b"} & set(got)
    assert got == [8, 9, 10, 11, 12, 13, 14]  # pre-roll only since the bleed; tail cut by it


def test_the_gate_copies_the_pre_roll_but_not_the_speech() -> None:
    gate = ListenGate(pre_roll_s=0.02, tail_s=0.0)
    reused = np.zeros(N, dtype=np.float32)
    gate.feed(0.0, reused, False)
    reused[:] = 7.0  # the capture reuses its buffer
    events = gate.feed(0.01, block(1), True)
    assert isinstance(events[0], Begin)
    assert isinstance(events[1], Audio) and float(events[1].samples[0]) == 0.0
    mine = block(2)
    assert any(isinstance(e, Audio) and e.samples is mine for e in gate.feed(0.02, mine, True))


def test_a_gap_in_the_stream_is_not_pre_roll() -> None:
    gate = ListenGate(pre_roll_s=0.05, tail_s=0.0)
    for t in (0.0, 0.01, 0.02):
        gate.feed(t, block(0), False)
    events = gate.feed(5.0, block(1), True)  # the stream jumped (a device change)
    assert isinstance(events[0], Begin) and events[0].t_s == 5.0
    assert sent(events) == [1]


def test_the_ring_grows_with_the_pre_roll_only() -> None:
    gate = ListenGate(pre_roll_s=0.1)
    for i in range(1000):
        gate.feed(i * 0.01, block(i), False)
    assert gate._ring is not None and gate._ring.shape == (10, N)


def test_phrase_table_takes_once_steps_with_phrases() -> None:
    from types import SimpleNamespace as NS

    from calmline.core.playbook import StepKind

    book = NS(
        steps=(
            NS(id="stay-calm", kind=StepKind.WATCH, listen_for=("I'm here to help",)),
            NS(id="play-it-back", kind=StepKind.ONCE, listen_for=()),
            NS(id="apologise", kind=StepKind.ONCE, listen_for=("I'm sorry", "my apologies")),
            NS(id="thanks", kind=StepKind.ONCE, listen_for=("thank you for calling",)),
        )
    )
    assert phrase_table(book) == {  # type: ignore[arg-type]
        "apologise": ("I'm sorry", "my apologies"),
        "thanks": ("thank you for calling",),
    }


def test_the_built_in_playbooks_give_a_table() -> None:
    from calmline.core.playbook import StepKind

    text = (REPO / "resources" / "playbooks" / "irate-caller.toml").read_text()
    book = parse_playbook(text, "irate-caller.toml")
    table = phrase_table(book)
    once = {s.id for s in book.steps if s.kind is StepKind.ONCE}
    assert set(table) <= once


def test_first_per_step_keeps_the_first_tick() -> None:
    spots = [
        Spot("b", "x", 1.0, 2.0, 2.1),
        Spot("a", "y", 0.0, 0.5, 0.6),
        Spot("b", "z", 3.0, 4.0, 4.2),
    ]
    assert [(s.step, s.phrase) for s in first_per_step(spots)] == [("a", "y"), ("b", "x")]


def test_words_are_the_dictionarys() -> None:
    assert words_of("I’m SORRY — really, truly!") == ["i'm", "sorry", "really", "truly"]


@pytest.mark.parametrize(
    ("phrase", "said"),
    [
        ("i'm sorry", ["i'm sorry", "i am sorry", "i'm so sorry", "i am really sorry"]),
        ("I am sorry", ["i am sorry", "i'm sorry", "i'm very sorry"]),
        ("you're right", ["you're right", "you are right"]),
        ("i'll check that we're done", ["i will check that we are done"]),
        ("thank you for telling us", ["thank you for telling us", "thanks for telling us"]),
        ("thanks for raising", ["thank you for raising"]),
        ("here's what i can do", ["here is what i can do"]),
    ],
)
def test_a_phrase_is_heard_in_the_forms_people_say_it(phrase: str, said: list[str]) -> None:
    forms = phrase_forms(phrase)
    assert forms[0] == " ".join(words_of(phrase))  # as written first
    assert set(said) <= set(forms)


@pytest.mark.parametrize(
    ("phrase", "never"),
    [
        ("if i have this right", "if i've this right"),  # "have" as a verb is never short
        ("you have every right", "you've every right"),
        ("i understand how frustrating", "i understand how so frustrating"),
        ("sorry to hear that", "so sorry to hear that"),  # an intensifier only after "be"
    ],
)
def test_no_form_a_person_would_not_say(phrase: str, never: str) -> None:
    assert never not in phrase_forms(phrase)


def test_forms_are_bounded() -> None:
    assert len(phrase_forms("i'm sure you're right that it's what we're told i'll do")) <= 12


def test_said_in_is_word_for_word_in_any_form() -> None:
    assert said_in("i'm sorry", "Oh, I am so sorry about that!")
    assert said_in("anything else", "Is there anything else?")
    assert not said_in("i'm sorry", "Sorry, could you say that again?")
    assert not said_in("go on", "Go online and check")


def test_longer_phrases_and_higher_sensitivity_take_looser_thresholds() -> None:
    assert threshold(20, 0.5) < threshold(8, 0.5)
    assert threshold(12, 0.9) < threshold(12, 0.5) < threshold(12, 0.1)
