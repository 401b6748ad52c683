"""The heard-steps set's own code: its texts follow their rule, its plan is
consistent, a tiny case builds with ground truth that agrees with its audio, and
the scorer counts right. Calmline's recogniser is not tested here."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from calmline.core.playbook import StepKind, parse_playbook
from tests.voiceset import dsp
from tests.voiceset import heard_build as B
from tests.voiceset import heard_cases as C
from tests.voiceset import heard_score as S
from tests.voiceset import heard_texts as T

PLAYBOOKS = Path(__file__).resolve().parents[2] / "resources" / "playbooks"


def builtin() -> dict[str, Any]:
    out = {}
    for path in PLAYBOOKS.glob("*.toml"):
        pb = parse_playbook(path.read_text(encoding="utf-8"), str(path))
        out[pb.id] = pb
    return out


# -- the texts ----------------------------------------------------------------------
def test_every_step_line_marks_its_own_step_and_no_other() -> None:
    for playbook, steps in T.STEP_LINES.items():
        for step, lines in steps.items():
            assert 8 <= len(lines) <= 15, (playbook, step)
            assert len(set(lines)) == len(lines), (playbook, step)
            for text in lines:
                assert T.marked(text, playbook) == [step], (playbook, step, text)


def test_ordinary_talk_marks_no_step() -> None:
    ordinary = [t for lines in T.ORDINARY.values() for t in lines]
    assert len(set(ordinary)) == len(ordinary) >= 200
    for text in ordinary:
        for playbook in T.MARKERS:
            assert T.marked(text, playbook) == [], (playbook, text)
    # the near misses the rule names are there
    near = " | ".join(T.norm(t) for t in T.ORDINARY["nearmiss"])
    for word in ("sorry", "thanks", "thank you", "confirm", "credit card", "take your time"):
        assert word in near, word


def test_the_rule_catches_what_it_says() -> None:
    assert T.marked("Oh, I'm so sorry about that.", T.IRATE) == ["apologise"]
    assert T.marked("Sorry, could you say that again?", T.IRATE) == []
    assert T.marked("Thanks for letting us know.", T.IRATE) == ["anything-else"]
    assert T.marked("Thank you for calling, how can I help?", T.IRATE) == []
    assert T.marked("It's on the credit card.", T.IRATE) == []
    assert T.marked("I've put a credit on the bill.", T.IRATE) == ["make-amends"]
    assert T.marked("If you swear again I will end this call.", T.ABUSIVE) == ["warn"]
    assert T.marked("I'm ending this call now.", T.ABUSIVE) == ["end-or-escalate"]


def test_every_line_is_unique_and_ids_are_stable() -> None:
    lines = T.lines()
    assert len(set(lines.values())) == len(lines)
    assert lines["irate.apologise.00"] == "We got your delivery date wrong, and I'm sorry."
    assert T.truth_of("irate.play-it-back.03") == (T.IRATE, "play-it-back")
    assert T.truth_of("abusive.end-or-escalate.10") == (T.ABUSIVE, "end-or-escalate")
    assert T.truth_of("ord.nearmiss.02") is None
    assert T.expanded("I'm sorry, we'll fix it") == "i am sorry we will fix it"


def test_every_step_of_the_set_is_a_once_step_of_a_builtin_playbook() -> None:
    books = builtin()
    for playbook, steps in T.STEP_LINES.items():
        kinds = {s.id: s.kind for s in books[playbook].steps}
        for step in steps:
            assert kinds.get(step) is StepKind.ONCE, (playbook, step)


# -- the plan -----------------------------------------------------------------------
def test_the_plan_is_consistent() -> None:
    plans = C.plan()
    assert len({p.id for p in plans}) == len(plans)
    said: Counter[tuple[str, str]] = Counter()
    family_lines: dict[str, set[str]] = {f: set() for f in C.FAMILIES}
    for p in plans:
        steps = p.steps()
        assert len(steps) == len(set(steps)), p.id
        if p.kind == "ordinary":
            assert not steps and sum(map(len, p.turns)) == C.ORDINARY_LINES
        else:
            assert steps == [s for s in T.STEP_LINES[p.playbook] if s in steps], p.id
        lines = [line for turn in p.turns for line in turn]
        assert len(set(lines)) == len(lines), p.id
        for line in lines:
            assert line in T.lines()
            t = T.truth_of(line)
            if t is not None:
                assert t[0] == p.playbook
                said[(p.agent, line)] += 1
                family_lines[p.family].add(line)
    step_lines = [T.step_id(pb, s, i) for pb, st in T.STEP_LINES.items() for s, ls in st.items()
                  for i in range(len(ls))]  # fmt: skip
    # every agent says every step line exactly once, and every family has every line
    assert set(said) == {(a, line) for a in C.AGENTS for line in step_lines}
    assert set(said.values()) == {1}
    for f in C.FAMILIES:
        assert family_lines[f] == set(step_lines), f
    assert {(p.agent, p.family) for p in plans} == {(a, f) for a in C.AGENTS for f in C.FAMILIES}


def test_the_quick_plan_covers_every_agent_family_and_step() -> None:
    quick = C.plan(quick=True)
    full = {p.id: p for p in C.plan()}
    assert quick and all(full[p.id] == p for p in quick)
    assert len(quick) < len(full) / 3
    assert {(p.agent, p.family) for p in quick} >= {(a, f) for a in C.AGENTS for f in C.FAMILIES}
    assert {p.family for p in quick if p.kind == "ordinary"} == set(C.FAMILIES)
    said = {(p.playbook, s) for p in quick for s in p.steps()}
    assert said == {(pb, s) for pb, st in T.STEP_LINES.items() for s in st}


# -- a tiny build ---------------------------------------------------------------------
TINY_TURNS = (
    ("ord.greeting.02", "ord.account.01"),
    ("irate.apologise.03",),
    ("ord.nearmiss.05", "irate.anything-else.00"),
    ("ord.process.04",),
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if B.voices.check_engines():
        pytest.skip("; ".join(B.voices.check_engines()))
    root = tmp_path_factory.mktemp("heard")
    return B.build(root / "set", plans=tiny_plans(), workers=1, pool=root / "pool")


def tiny_plans() -> list[C.CasePlan]:
    return [
        C.CasePlan(
            f"tiny-{f}", f, "steps", T.IRATE, "flite:slt", "flite:kal", 7 + i, TINY_TURNS, True
        )
        for i, f in enumerate(("clean", "bleed"))
    ]


def test_a_tiny_case_builds_with_its_truth(tiny: Path) -> None:
    doc = json.loads(tiny.read_text())
    cases = {c["id"]: c for c in doc["cases"]}
    assert set(cases) == {f"tiny-{f}@{r}k" for f in ("clean", "bleed") for r in (16, 8)}
    for c in cases.values():
        mic, rate = dsp.read_wav(tiny.parent / c["mic"])
        caller, rate2 = dsp.read_wav(tiny.parent / c["caller"])
        assert rate == rate2 == c["rate"] and len(mic) == len(caller) == c["samples"]
        assert c["duration_s"] == pytest.approx(len(mic) / rate, abs=1e-3)
        assert [u["step"] for u in c["utterances"] if u["step"]] == ["apologise", "anything-else"]
        assert [u["line"] for u in c["utterances"]] == [x for t in TINY_TURNS for x in t]
        for u in c["utterances"]:
            assert 0 < u["start_s"] < u["end_s"] <= c["duration_s"]
        # the agent is where the truth says: speech 30+ dB over the quiet between turns
        speech = [(u["start_s"], u["end_s"]) for u in c["utterances"]]
        level = dsp.active_level_in(mic, rate, speech)
        if rate == 16000:
            assert level == pytest.approx(c["agent_dbfs"], abs=1.5)
        else:  # the telephone band takes what is under 300 Hz (most of a voice's power)
            assert c["agent_dbfs"] - 12.0 < level < c["agent_dbfs"], c["id"]
        busy = sorted(speech + [tuple(s) for s in c["caller_speech"]])
        quiet, t = [], 0.0
        for s, e in busy:
            if s - t > 0.4:
                quiet.append((t + 0.1, s - 0.1))
            t = max(t, e)
        q = np.concatenate([mic[round(a * rate) : round(b * rate)] for a, b in quiet])
        assert dsp.rms_db(q) < level - 30.0, c["id"]
        # the caller's track has the caller where the truth says
        cl = dsp.active_level_in(caller, rate, [tuple(s) for s in c["caller_speech"]])
        assert -28.0 <= cl <= -14.0
    # bleed: the caller is in the mic, 25-35 dB under the agent (clean: not at all)
    for fam, lo, hi in (("bleed", 22.0, 38.0), ("clean", 38.0, 200.0)):
        c = cases[f"tiny-{fam}@16k"]
        mic, rate = dsp.read_wav(tiny.parent / c["mic"])
        alone = [
            (s, e)
            for s, e in c["caller_speech"]
            if all(e < u["start_s"] - 0.3 or s > u["end_s"] + 0.3 for u in c["utterances"])
        ]
        assert alone, fam
        under = c["agent_dbfs"] - dsp.active_level_in(mic, rate, alone)
        assert lo <= under <= hi, (fam, under)


def test_the_tiny_build_is_kept(tiny: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in tiny.parent.glob("*.wav")}
    B.build(tiny.parent, plans=tiny_plans(), workers=1, pool=tiny.parent.parent / "pool")
    assert {p.name: p.stat().st_mtime_ns for p in tiny.parent.glob("*.wav")} == before


# -- the scorer -----------------------------------------------------------------------
def case(kind: str = "steps", utterances: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": "c1@16k",
        "condition": "clean 16k",
        "kind": kind,
        "agent_voice": "flite:slt",
        "playbook": T.IRATE,
        "duration_s": 1800.0,
        "utterances": utterances
        or [
            {"line": "ord.greeting.00", "step": None, "start_s": 1.0, "end_s": 4.0},
            {"line": "irate.apologise.00", "step": "apologise", "start_s": 10.0, "end_s": 12.0},
            {"line": "ord.explain.00", "step": None, "start_s": 20.0, "end_s": 24.0},
            {"line": "irate.what-next.01", "step": "what-next", "start_s": 30.0, "end_s": 32.0},
        ],
    }


LISTENED = {
    "apologise": ("i'm sorry",),
    "what-next": ("what happens next",),
    "anything-else": ("anything else",),
}


def test_scorer_perfect_and_latency() -> None:
    spots = [
        S.Seen("apologise", "i'm sorry", 11.0, 11.8, 12.3),
        S.Seen("what-next", "what happens next", 30.2, 31.0, 31.2),
    ]
    r = S.score_case(case(), spots, LISTENED)
    t = r.tally
    assert (t.phrases, t.caught, t.wrong, t.false) == (2, 2, 0, 0) and t.recall == 1.0
    assert (t.said, t.said_caught) == (2, 2)
    other = S.score_case(case(), spots, {**LISTENED, "what-next": ("passing this to",)})
    assert (other.tally.said, other.tally.said_caught) == (1, 1)
    assert sorted(t.latencies) == pytest.approx([-0.8, 0.3])
    assert r.problems == []


def test_scorer_false_wrong_and_missed() -> None:
    spots = [
        S.Seen("anything-else", "anything else", 21.0, 22.0, 22.1),  # on ordinary talk: false
        S.Seen("what-next", "what happens next", 11.0, 11.5, 11.6),  # on the apology: wrong
        S.Seen("apologise", "i'm sorry", 12.6, 13.0, 13.1),  # 0.6 s after it: false, and missed
    ]
    r = S.score_case(case(), spots, LISTENED)
    t = r.tally
    assert (t.phrases, t.caught, t.wrong, t.false, t.ordinary_false) == (2, 0, 1, 2, 0)
    assert t.false_per_hour == pytest.approx(4.0)
    text = "\n".join(r.problems)
    assert "FALSE  anything-else" in text and "WRONG  what-next" in text
    assert "MISSED apologise" in text and "MISSED what-next" in text
    assert r.by_step["anything-else"] == [0, 0, 0, 1, 0, 0]
    assert t.said == 2 and t.said_caught == 0
    # within the slack is caught
    ok = S.score_case(case(), [S.Seen("apologise", "i'm sorry", 12.4, 12.9, 13.0)], LISTENED)
    assert ok.tally.caught == 1


def test_scorer_ordinary_case_and_unlistened_step() -> None:
    ordinary = case(
        "ordinary", [{"line": "ord.hold.00", "step": None, "start_s": 5.0, "end_s": 8.0}]
    )
    r = S.score_case(ordinary, [S.Seen("apologise", "x", 6.0, 7.0, 7.1)], LISTENED)
    assert r.tally.ordinary_false == r.tally.false == 1 and r.tally.ordinary_hours == 0.5
    missed = S.score_case(case(), [], {"apologise": ("i'm sorry",)})
    assert any("what-next (step not listened for)" in p for p in missed.problems)


def test_report_targets() -> None:
    good = S.score_case(
        case(),
        [
            S.Seen("apologise", "i'm sorry", 11.0, 11.8, 12.3),
            S.Seen("what-next", "what happens next", 30.2, 31.0, 31.2),
        ],
        LISTENED,
    )
    rep = S.Report("m", 0.5, False, 1.0, [good], {T.IRATE: []})
    assert rep.missed_targets() == []
    assert "clean 16k" in rep.table() and "apologise" in rep.step_table()
    late = S.score_case(
        case(),
        [
            S.Seen("apologise", "i'm sorry", 11.0, 11.8, 13.5),
            S.Seen("what-next", "what happens next", 30.2, 31.0, 33.5),
        ],
        LISTENED,
    )
    rep = S.Report("m", 0.5, False, 1.0, [late], {T.IRATE: ["empathise"]})
    assert any("latency p90" in m for m in rep.missed_targets())
    assert "NOT LISTENED FOR" in rep.table()


def test_scorer_runs_over_a_built_set(tiny: Path) -> None:
    """Scored end to end with a fake recogniser that reports the truth."""
    doc = json.loads(tiny.read_text())
    by_len = {(c["samples"], c["rate"]): c for c in doc["cases"]}

    def truthful(mic: np.ndarray, rate: int, phrases: Any, caller: Any) -> list[S.Seen]:
        c = by_len[(len(mic), rate)]
        return [
            S.Seen(u["step"], "p", u["start_s"], u["end_s"], u["end_s"] + 0.2)
            for u in c["utterances"]
            if u["step"] in phrases
        ]

    tables = {T.IRATE: {"apologise": ("i'm sorry",), "anything-else": ("anything else",)}}
    rep = S.score(tiny, truthful, tables)
    tot = rep.total()
    assert tot.phrases == 8 and tot.recall == 1.0 and tot.false == 0
    assert tot.latency(0.9) == pytest.approx(0.2)
    assert re.search(r"bleed 8k\s+1\s", rep.table())
