"""The voice set's own code: the quick set builds, its ground truth agrees with
its audio, and the scorer counts right. Calmline's detector is not tested here."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.voiceset import calls, dsp
from tests.voiceset.build import POOL, build
from tests.voiceset.score import score

pytestmark = pytest.mark.timeout(300)  # the first build on a machine synthesises the pool


@pytest.fixture(scope="module")
def manifest() -> Path:
    return build(None, quick=True)


@pytest.fixture(scope="module")
def doc(manifest: Path) -> dict[str, Any]:
    return json.loads(manifest.read_text())


def minus(
    spans: list[tuple[float, float]], cuts: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    out = []
    for s, e in spans:
        segs = [(s, e)]
        for cs, ce in cuts:
            nxt = []
            for a, b in segs:
                if ce <= a or cs >= b:
                    nxt.append((a, b))
                    continue
                if cs > a:
                    nxt.append((a, cs))
                if ce < b:
                    nxt.append((ce, b))
            segs = nxt
        out += [x for x in segs if x[1] - x[0] > 0.05]
    return out


def noises(c: dict[str, Any]) -> list[tuple[float, float]]:
    return [tuple(k) for k in c["keyboard"]] + [(k["t"] - 0.2, k["t"] + 0.4) for k in c["knocks"]]


def test_quick_set_files_and_rates(manifest: Path, doc: dict[str, Any]) -> None:
    cs = doc["calls"]
    assert len(cs) == 6
    assert {c["rate"] for c in cs} == {8000, 16000, 48000}
    total = sum(c["duration_s"] for c in cs)
    assert 200 < total < 480
    for c in cs:
        mic, rate = dsp.read_wav(manifest.parent / c["mic"])
        caller, rate2 = dsp.read_wav(manifest.parent / c["caller"])
        assert rate == rate2 == c["rate"]
        assert len(mic) == len(caller) == c["samples"]
        assert c["duration_s"] == pytest.approx(c["samples"] / rate, abs=1e-3)
        assert c["agent_voice"] != c["caller_voice"]
    kinds = {e["kind"] for c in cs for e in c["events"]}
    assert kinds == set(calls.KINDS)
    scen = {s for c in cs for s in c["scenarios"]}
    assert {
        "raised",
        "gradual_rise",
        "exclamation",
        "monologue",
        "caller_first",
        "mute",
        "short_hold",
        "clipping",
        "knock",
        "loud_agent",
        "talking_over",
    } <= scen
    assert any(c["quiet"] for c in cs) and not all(c["quiet"] for c in cs)


def test_build_is_idempotent(manifest: Path) -> None:
    before = manifest.stat().st_mtime_ns
    assert build(None, quick=True) == manifest
    assert manifest.stat().st_mtime_ns == before


def test_same_spec_same_files(manifest: Path, tmp_path: Path) -> None:
    spec = next(s for s in calls.plan(True) if s.id == "q3-loud")
    entry = calls.compose(spec, str(POOL), str(tmp_path))
    for track in ("mic", "caller"):
        assert (tmp_path / entry[track]).read_bytes() == (
            manifest.parent / entry[track]
        ).read_bytes()


def test_truth_is_consistent(doc: dict[str, Any]) -> None:
    for c in doc["calls"]:
        dur = c["duration_s"]
        assert 0.0 < c["talk_share"] < 1.0
        union = sum(e - s for s, e in calls.merge([tuple(x) for x in c["agent_speech"]]))
        assert c["talk_share"] == pytest.approx(union / dur, abs=1e-3)
        for s, e in c["agent_speech"] + c["caller_speech"]:
            assert 0.0 <= s < e <= dur
        assert c["quiet"] == (not [e for e in c["events"] if not e["optional"]])
        for e in c["events"]:
            assert e["kind"] in calls.KINDS
            assert 0.0 <= e["start_s"] <= e["expect_s"] <= dur and e["start_s"] < e["end_s"] <= dur
        for d in c["distractors"]:
            assert 0.0 <= d["start_s"] < d["end_s"] <= dur
            if d["what"] == "backchannel":
                assert d["end_s"] - d["start_s"] < 0.8
                assert any(s <= d["start_s"] and d["end_s"] <= e for s, e in c["caller_speech"])
            if d["what"] in ("exclamation", "laugh"):
                assert 0.5 <= d["end_s"] - d["start_s"] <= 1.2
        calls.check(c)
        ev = {e["scenario"]: e for e in c["events"]}
        if "monologue" in ev:
            e = ev["monologue"]
            assert 40.0 <= e["end_s"] - e["start_s"] <= 60.0
            assert e["expect_s"] == pytest.approx(e["start_s"] + 30.0, abs=1e-3)
        if "mute" in ev:
            e = ev["mute"]
            assert 12.0 <= e["end_s"] - e["start_s"] <= 20.0
            assert e["expect_s"] == pytest.approx(e["start_s"] + 10.0, abs=1e-3)
        if "raised" in ev:
            assert 8.0 <= ev["raised"]["end_s"] - ev["raised"]["start_s"] <= 20.0


def test_agent_calm_level(manifest: Path, doc: dict[str, Any]) -> None:
    """Measured on the mic where only the calm agent speaks."""
    for c in doc["calls"]:
        mic, rate = dsp.read_wav(manifest.parent / c["mic"])
        calm = [
            (p["start_s"], p["end_s"])
            for p in c["parts"]
            if p["who"] == "agent" and p["role"] in ("calm", "monologue")
        ]
        spans = minus(calm, [tuple(s) for s in c["caller_speech"]] + noises(c))
        assert sum(e - s for s, e in spans) > 5.0
        level = dsp.active_level_in(mic, rate, spans)
        assert level == pytest.approx(c["agent_calm_dbfs"], abs=1.0), c["id"]
        if "loud_agent" in c["scenarios"]:
            assert -12.5 <= level <= -9.5
        else:
            assert -33.0 <= level <= -15.0


def test_bleed_and_caller_levels(manifest: Path, doc: dict[str, Any]) -> None:
    """Bleed measured on the mic where only the (normal) caller speaks, in calls
    whose background is well under it; the caller track at its loopback level."""
    measured = 0
    for c in doc["calls"]:
        mic, rate = dsp.read_wav(manifest.parent / c["mic"])
        caller, _ = dsp.read_wav(manifest.parent / c["caller"])
        normal = [
            (p["start_s"], p["end_s"])
            for p in c["parts"]
            if p["who"] == "caller" and p["role"] == "calm"
        ]
        loop = dsp.active_level_in(caller, rate, normal)
        assert loop == pytest.approx(c["caller_loop_dbfs"], abs=1.0), c["id"]
        bleed = c["agent_calm_dbfs"] + c["bleed_db"]
        assert -35.0 <= c["bleed_db"] <= -25.0
        quiet_bg = (c["babble_db"] is None or c["babble_db"] < c["bleed_db"] - 6.0) and (
            c["noise_dbfs"] < bleed - 6.0
        )
        if not quiet_bg:
            continue
        spans = minus(normal, [tuple(s) for s in c["agent_speech"]] + noises(c))
        floor = 10 * math.log10(
            10 ** (c["noise_dbfs"] / 10)
            + (10 ** ((c["agent_calm_dbfs"] + c["babble_db"]) / 10) if c["babble_db"] else 0.0)
        )
        level = dsp.active_level_in(mic, rate, spans, floor)
        assert level - c["agent_calm_dbfs"] == pytest.approx(c["bleed_db"], abs=1.5), c["id"]
        measured += 1
    assert measured >= 1


def test_mutes_knocks_and_clipping(manifest: Path, doc: dict[str, Any]) -> None:
    modes = set()
    for c in doc["calls"]:
        mic, rate = dsp.read_wav(manifest.parent / c["mic"])
        n = round(rate * 0.01)
        for m in c["mutes"]:
            seg = mic[math.ceil(m["start_s"] * rate) : math.floor(m["end_s"] * rate)]
            modes.add(m["mode"])
            if m["mode"] == "zero":
                assert not seg.any()
            else:
                p = dsp.power_db(dsp.block_power(seg, rate))
                assert p.max() < -80.0 and -95.0 < dsp.rms_db(seg) < -82.0
        # outside mutes the mic never goes below -80 dBFS for a block
        p = dsp.power_db(dsp.block_power(mic, rate))
        t = np.arange(p.size) * 0.01
        inside = np.zeros(p.size, dtype=bool)
        for m in c["mutes"]:
            inside |= (t >= m["start_s"] - 0.02) & (t <= m["end_s"] + 0.02)
        assert (p[~inside] > -80.0).all(), c["id"]
        peaks = np.abs(mic[: len(mic) // n * n]).reshape(-1, n).max(axis=1)
        hot = peaks >= 0.99
        for k in c["knocks"]:
            i = int(k["t"] * 100)
            got = int(hot[i : i + 13].sum())
            assert (1 <= got <= 2) if k["full"] else got == 0, (c["id"], k)
        clip = [e for e in c["events"] if e["kind"] == "clipping"]
        for e in clip:
            first = int(e["start_s"] * 100)
            assert hot[first : first + 100].sum() >= 3
            assert 1.9 <= e["end_s"] - e["start_s"] <= 4.0
        # nothing else comes near full scale
        allowed = np.zeros(hot.size, dtype=bool)
        for e in clip:
            allowed[int(e["start_s"] * 100) - 5 : int(e["end_s"] * 100) + 5] = True
        for k in c["knocks"]:
            allowed[int(k["t"] * 100) - 1 : int(k["t"] * 100) + 14] = True
        assert not (peaks[~allowed] >= dsp.db_to_gain(-1.0)).any(), c["id"]
    assert modes == {"zero", "hiss"}


# -- the scorer -----------------------------------------------------------------------
@dataclass
class FakeCue:
    kind: str
    start_s: float
    fired_s: float
    end_s: float | None


@dataclass
class FakeResult:
    cues: list[FakeCue]
    talk_share: float


def truth_analyser(
    doc: dict[str, Any], extra: dict[str, list[FakeCue]] | None = None, use_caller: bool = True
) -> Any:
    by_shape = {(c["samples"], c["rate"]): c for c in doc["calls"]}

    def analyse(mic: np.ndarray, rate: int, caller: np.ndarray | None) -> FakeResult:
        c = by_shape[(len(mic), rate)]
        cues = [
            FakeCue(e["kind"], e["start_s"], e["expect_s"] + 0.3, e["end_s"])
            for e in c["events"]
            if not e["optional"] and (use_caller or e["kind"] != "talking_over")
        ]
        return FakeResult(cues + (extra or {}).get(c["id"], []), c["talk_share"])

    return analyse


@pytest.mark.parametrize("use_caller", [False, True])
def test_scorer_perfect(manifest: Path, doc: dict[str, Any], use_caller: bool) -> None:
    r = score(manifest, truth_analyser(doc, use_caller=use_caller), use_caller)
    assert r.false == 0 and r.quiet_false == 0 and r.false_per_hour == 0.0
    assert r.talk_share_max_error == pytest.approx(0.0, abs=1e-9)
    assert r.hours == pytest.approx(sum(c["duration_s"] for c in doc["calls"]) / 3600)
    for kind, k in r.kinds.items():
        if kind == "talking_over" and not use_caller:
            assert k.events == 0
            continue
        assert k.events >= 1 and k.recall == 1.0 and k.found == k.events, kind
        assert k.median_onset_s == pytest.approx(0.3)
    assert r.kinds["raised_voice"].held_median == 1.0
    assert "raised_voice" in r.table()
    assert r.failures() == "no failures"


def test_scorer_counts_an_extra_cue(manifest: Path, doc: dict[str, Any]) -> None:
    rnd = random.Random(7)
    quiet = next(c for c in doc["calls"] if c["quiet"])
    t = rnd.uniform(5.0, quiet["duration_s"] - 5.0)
    extra = {quiet["id"]: [FakeCue("raised_voice", t - 1.5, t, t + 2.0)]}
    r = score(manifest, truth_analyser(doc, extra), True)
    assert r.false == 1 and r.quiet_false == 1
    assert r.kinds["raised_voice"].false == 1
    assert r.false_per_hour == pytest.approx(1 / r.hours)
    assert r.quiet_false_per_hour == pytest.approx(1 / r.quiet_hours)
    assert all(k.recall == 1.0 for k in r.kinds.values())
    assert f"FALSE  raised_voice: start {t - 1.5:.2f} fired {t:.2f}" in r.failures()


def test_scorer_mic_only_ignores_and_rejects_talking_over(
    manifest: Path, doc: dict[str, Any]
) -> None:
    # the full truth (talking_over cues included) given without the caller track
    r = score(manifest, truth_analyser(doc, use_caller=True), False)
    n = sum(1 for c in doc["calls"] for e in c["events"] if e["kind"] == "talking_over")
    assert r.kinds["talking_over"].events == 0
    assert r.kinds["talking_over"].false == r.false == n


def test_scorer_late_and_missed(manifest: Path, doc: dict[str, Any]) -> None:
    base = truth_analyser(doc, use_caller=True)

    def analyse(mic: np.ndarray, rate: int, caller: np.ndarray | None) -> FakeResult:
        res = base(mic, rate, caller)
        cues = []
        for cue in res.cues:
            if cue.kind == "mic_silent":
                continue  # missed
            if cue.kind == "continuous_speaking":
                cue = FakeCue(cue.kind, cue.start_s, cue.fired_s + 5.0, cue.end_s)  # late
            cues.append(cue)
        return FakeResult(cues, min(1.0, res.talk_share + 0.1))

    r = score(manifest, analyse, True)
    assert r.kinds["mic_silent"].found == 0 and r.kinds["mic_silent"].recall == 0.0
    cs = r.kinds["continuous_speaking"]
    assert cs.matched == cs.events and cs.found == 0 and cs.max_onset_s == pytest.approx(5.3)
    assert r.false == 0
    assert r.talk_share_mean_error == pytest.approx(0.1, abs=1e-6)
    text = r.failures()
    assert "MISSED mic_silent" in text and "LATE   continuous_speaking" in text
