"""Whose voice: the agent's near-field voice against the earpiece's bleed, on
signals with known parts (the natural-voice test set in tests/voiceset scores
the whole detector; these pin each rule)."""

from __future__ import annotations

import numpy as np
import pytest

from calmline.core.analysis import analyze_samples
from calmline.core.cues import CueKind, CueParams
from tests.signals import RATE, db_to_amp, speechlike


def silence(seconds: float, room_db: float = -70.0, seed: int = 9) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(int(seconds * RATE)) * db_to_amp(room_db)


def turns(parts: list[tuple[str, float, float]], seed: int = 1) -> tuple[np.ndarray, float]:
    """(who, seconds, level) in turn; returns the mic track and the agent's seconds."""
    out, agent_s = [], 0.0
    for i, (who, seconds, level) in enumerate(parts):
        if who == "gap":
            out.append(silence(seconds, seed=seed + i))
        else:
            out.append(speechlike(seconds, level, seed=seed + i, off_s=0.12))
            agent_s += seconds if who == "agent" else 0.0
    return np.concatenate(out), agent_s


def kinds(x: np.ndarray, **kw: object) -> list[CueKind]:
    return [c.kind for c in analyze_samples(x, RATE, CueParams(), **kw).cues]  # type: ignore[arg-type]


def test_a_caller_who_speaks_first_is_not_the_agent() -> None:
    # 40 s of the caller's bleed (-57 dBFS, no pause of 1 s), then a calm agent at -27
    parts = [("caller", 40, -57), ("gap", 0.6, 0)]
    for _ in range(6):
        parts += [("agent", 6, -27), ("gap", 0.8, 0), ("caller", 8, -57), ("gap", 0.7, 0)]
    x, agent_s = turns(parts)
    result = analyze_samples(x, RATE, CueParams())
    assert not result.cues  # no "Let them talk" from the rant, no raised voice after it
    assert result.baseline_dbfs is not None and -32 < result.baseline_dbfs < -25  # not -57
    truth = agent_s / (len(x) / RATE)
    assert result.talk_share == pytest.approx(truth, abs=0.05)


def test_bleed_fills_no_pause_and_a_real_monologue_is_found() -> None:
    parts = [("agent", 25, -26), ("gap", 0.3, 0)]
    for _ in range(3):  # the caller answers in the agent's pauses: still pauses
        parts += [("caller", 5, -55), ("agent", 5, -26)]
    parts += [("gap", 1.5, 0), ("agent", 45, -26), ("gap", 2, 0)]
    x, _ = turns(parts)
    result = analyze_samples(x, RATE, CueParams())
    talk = [c for c in result.cues if c.kind is CueKind.CONTINUOUS_SPEAKING]
    start = 25.3 + 30 + 1.5
    assert len(talk) == 1 and talk[0].fired_s == pytest.approx(start + 30, abs=1.0), talk


def test_a_raised_passage_fires_within_2_s_and_stays_through_word_gaps() -> None:
    calm, _ = turns([("agent", 30, -28)])
    # raised speech with gaps of 0.5 s between phrases (longer than the hangover)
    phrases = [speechlike(1.6, -19, seed=40 + i, off_s=0.06) for i in range(8)]
    raised = np.concatenate(
        [np.concatenate([p, silence(0.5, seed=60 + i)]) for i, p in enumerate(phrases)]
    )
    x = np.concatenate([calm, raised, turns([("agent", 6, -28)], seed=80)[0]])
    cues = [c for c in analyze_samples(x, RATE, CueParams()).cues if c.kind is CueKind.RAISED_VOICE]
    assert len(cues) == 1, cues
    cue = cues[0]
    passage_end = 30 + 8 * 2.1
    assert cue.fired_s - 30 <= 2.0
    assert cue.end_s is not None and passage_end - 0.6 <= cue.end_s <= passage_end + 2.5


@pytest.mark.parametrize("seconds", [0.5, 0.8, 1.2])
def test_a_short_exclamation_is_not_a_raised_voice(seconds: float) -> None:
    x = np.concatenate(
        [
            turns([("agent", 30, -28)])[0],
            speechlike(seconds, -15, seed=5, off_s=0.05),
            turns([("agent", 8, -28)], seed=30)[0],
        ]
    )
    assert CueKind.RAISED_VOICE not in kinds(x)


def test_a_knock_on_the_boom_is_not_clipping() -> None:
    x, _ = turns([("agent", 5, -28)])
    thump = np.exp(-np.arange(int(0.03 * RATE)) / (0.008 * RATE))
    at = int(2.0 * RATE)
    x[at : at + len(thump)] = np.clip(4 * thump, -1, 1)  # three clipped blocks in a row
    assert CueKind.CLIPPING not in kinds(x)


def two_tracks() -> tuple[np.ndarray, np.ndarray, float]:
    """Agent and caller turns; the mic hears the caller 30 dB down. The agent
    talks over the caller once (2.5 s) and says a short "mm-hm" (0.5 s) once."""
    n = int(120 * RATE)
    agent, caller = np.zeros(n), np.zeros(n)

    def put(track: np.ndarray, start: float, seconds: float, level: float, seed: int) -> None:
        s = int(start * RATE)
        track[s : s + int(seconds * RATE)] += speechlike(
            seconds, level, seed=seed, off_s=0.12, room_db=-140
        )

    t, seed = 0.0, 100
    for _ in range(6):
        put(agent, t, 6, -26, seed)
        put(caller, t + 7, 10, -20, seed + 1)
        t, seed = t + 18, seed + 2
    put(agent, 7 + 4, 0.5, -26, 7)  # a backchannel in the caller's first turn
    put(agent, 18 * 3 + 7 + 5, 2.5, -26, 8)  # talking over the caller's 4th turn
    mic = agent + caller * db_to_amp(-30) + silence(120)
    return mic, caller, 18 * 3 + 7 + 5


def test_talking_over_the_caller_needs_the_caller_channel() -> None:
    mic, caller, over_at = two_tracks()
    with_caller = analyze_samples(mic, RATE, CueParams(), caller=caller)
    over = [c for c in with_caller.cues if c.kind is CueKind.TALKING_OVER]
    assert len(over) == 1 and 0 <= over[0].fired_s - over_at <= 2.0, over
    assert CueKind.TALKING_OVER not in kinds(mic)  # the microphone alone cannot tell


def test_the_caller_channel_keeps_bleed_out_of_the_talk_share() -> None:
    mic, caller, _ = two_tracks()
    truth = (6 * 6 + 0.5 + 2.5) / 120
    res = analyze_samples(mic, RATE, CueParams(), caller=caller)
    assert res.caller_channel and res.talk_share == pytest.approx(truth, abs=0.05)


def test_the_caller_counts_as_loud_only_when_louder_than_their_own_calm() -> None:
    from calmline.core.caller_level import CallerLevel

    c = CallerLevel()
    for _ in range(2500):
        c.feed(-22.0, True, 0.01)
    assert c.calm.value == -22.0 and not c.loud
    for _ in range(90):
        c.feed(-12.0, True, 0.01)
    assert not c.loud  # under a second of shouting
    for _ in range(30):
        c.feed(-12.0, True, 0.01)
    assert c.loud
    for _ in range(500):
        c.feed(-60.0, False, 0.01)  # silence changes nothing
    assert c.loud
    for _ in range(200):
        c.feed(-22.0, True, 0.01)
    assert not c.loud


def test_a_caller_channel_that_is_the_microphone_itself_is_not_used() -> None:
    """Open speakers, or a monitor of the microphone's own sink: the 'caller' is
    heard at the mic's own level. The channel then says nothing."""
    mic, _caller, _ = two_tracks()
    alone = analyze_samples(mic, RATE, CueParams())
    echoed = analyze_samples(mic, RATE, CueParams(), caller=mic)
    assert CueKind.TALKING_OVER not in [c.kind for c in echoed.cues]
    assert echoed.talk_share == pytest.approx(alone.talk_share, abs=0.03)
