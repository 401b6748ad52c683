"""The cue detector on the quick natural-voice set (six calls, ~6 minutes, every
scenario once: a caller who speaks first, a raised passage, a gradual rise, a
monologue, mutes, a clipped shout, talking over, exclamations, knocks, typing,
babble). `make bench` scores the full set against the issue's targets; this
keeps the everyday run honest. Pure computation on files built deterministically,
so it cannot depend on how busy the machine is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calmline.core.analysis import analyze_samples
from calmline.core.cues import CueParams
from tests.voiceset.build import build
from tests.voiceset.score import score


def analyse(mic: np.ndarray, rate: int, caller: np.ndarray | None):  # type: ignore[no-untyped-def]
    return analyze_samples(mic, rate, CueParams(), caller=caller)


@pytest.fixture(scope="module")
def manifest() -> Path:
    return build(quick=True)


@pytest.mark.parametrize("use_caller", [False, True], ids=["mic-only", "with-caller"])
def test_every_event_found_and_nothing_false(manifest: Path, use_caller: bool) -> None:
    rep = score(manifest, analyse, use_caller)
    detail = rep.table() + "\n" + rep.failures()
    assert rep.false == 0, detail
    for kind, k in rep.kinds.items():
        if kind == "talking_over" and not use_caller:
            continue
        assert k.matched == k.events, detail  # found, if (the early raised passage) late
    for kind in ("continuous_speaking", "mic_silent", "clipping", "talking_over"):
        if rep.kinds[kind].events and (use_caller or kind != "talking_over"):
            assert rep.kinds[kind].recall == 1.0, detail
    assert rep.talk_share_max_error <= 0.05, detail
