"""Cue figures on the natural-voice test set (tests/voiceset: built by script,
ground truth from how each call was made, never from Calmline). Targets, from the
issue "Cues that are right on a real headset":

microphone only    raised voice and "let them talk" recall >= 0.9 with onset within
                   2 s; false cues <= 2 per hour of calls; talk share within 0.1
with caller track  false cues <= 1 per hour; talk share within 0.05; talking-over
                   recall >= 0.8

The whole set is scored by the same `analyze_samples` the meter's maths run in;
figures are printed as a table (`make bench`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calmline.core.analysis import analyze_samples
from calmline.core.cues import CueParams
from tests.voiceset.build import build
from tests.voiceset.score import Report, score


def analyse(mic: np.ndarray, rate: int, caller: np.ndarray | None):  # type: ignore[no-untyped-def]
    return analyze_samples(mic, rate, CueParams(), caller=caller)


@pytest.fixture(scope="module")
def manifest() -> Path:
    return build()


def report(manifest: Path, use_caller: bool) -> Report:
    rep = score(manifest, analyse, use_caller, jobs=2)
    print()
    print(rep.table())
    print(rep.failures())
    return rep


def test_cues_from_the_microphone_alone(manifest: Path) -> None:
    rep = report(manifest, use_caller=False)
    assert rep.hours >= 2.0 and rep.quiet_hours >= 1.0  # an hour of calls where nothing fires
    for kind in ("raised_voice", "continuous_speaking"):
        k = rep.kinds[kind]
        assert k.recall is not None and k.recall >= 0.9, (kind, k)
    assert rep.false_per_hour <= 2.0
    assert rep.talk_share_max_error <= 0.1


def test_cues_with_the_caller_track(manifest: Path) -> None:
    rep = report(manifest, use_caller=True)
    assert rep.false_per_hour <= 1.0
    assert rep.talk_share_max_error <= 0.05
    over = rep.kinds["talking_over"]
    assert over.recall is not None and over.recall >= 0.8, over
