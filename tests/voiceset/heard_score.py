"""Score heard steps on the heard-steps set.

    python -m tests.voiceset.heard_score [--quick] [--voices V,V] [--conditions C,C]
        [--sensitivity S] [--caller] [--verbose] [--save FILE] [--manifest PATH]

Builds the set if it is missing (``--quick``: the quick subset, about a sixth:
a tuning loop of a minute or two), runs ``calmline.audio.heard.heard_in`` on
every case with the phrase table of the case's built-in playbook
(resources/playbooks/*.toml, ``listen_for``), two processes, and prints per
condition:

- recall: a ground-truth phrase (an utterance of a step line) is caught when
  heard_in reports its step with the spot's start/end overlapping the utterance
  widened by 0.5 s each side. A step the playbook does not listen for is missed.
- wrong: spots of another step that overlap a phrase utterance (and none of
  their own step's).
- false: spots that overlap no utterance of their step and no phrase utterance
  (ticks on ordinary talk, or on nothing); per hour of the condition's audio,
  and apart on the ordinary cases alone (nothing in them should tick).
- latency: at_s - the utterance's end, over caught phrases (p50, p90).

Targets (issue 19): recall >= 0.9 clean, >= 0.75 with noise or bleed; false ticks
<= 3 per hour of ordinary talk; latency p90 <= 1.0 s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests.voiceset import dsp
from tests.voiceset import heard_cases as C
from tests.voiceset import heard_texts as T

SLACK_S = 0.5
ROW = 6  # a step's row: phrases, caught, wrong, false, said, said and caught
ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "resources" / "playbooks"
TARGETS = {"recall_clean": 0.9, "recall_noisy": 0.75, "false_per_hour": 3.0, "latency_p90": 1.0}

Phrases = Mapping[str, Sequence[str]]
# (mic samples, rate, phrases, caller samples or None) -> spots with step/phrase/start_s/end_s/at_s
Analyse = Callable[[np.ndarray, int, Phrases, "np.ndarray | None"], Sequence[Any]]


@dataclass(frozen=True)
class Seen:
    step: str
    phrase: str
    start_s: float
    end_s: float
    at_s: float


@dataclass
class Tally:
    cases: int = 0
    hours: float = 0.0
    ordinary_hours: float = 0.0
    phrases: int = 0
    caught: int = 0
    wrong: int = 0
    false: int = 0
    ordinary_false: int = 0
    said: int = 0  # phrases whose line says a listen_for phrase word for word
    said_caught: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for k in (
            "cases",
            "hours",
            "ordinary_hours",
            "phrases",
            "caught",
            "wrong",
            "false",
            "ordinary_false",
            "said",
            "said_caught",
        ):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.latencies += other.latencies

    @property
    def said_recall(self) -> float | None:
        return self.said_caught / self.said if self.said else None

    @property
    def recall(self) -> float | None:
        return self.caught / self.phrases if self.phrases else None

    @property
    def false_per_hour(self) -> float:
        return self.false / self.hours if self.hours else 0.0

    @property
    def ordinary_false_per_hour(self) -> float | None:
        return self.ordinary_false / self.ordinary_hours if self.ordinary_hours else None

    def latency(self, q: float) -> float | None:
        if not self.latencies:
            return None
        return float(np.quantile(np.asarray(self.latencies), q))


@dataclass
class CaseResult:
    id: str
    condition: str
    kind: str
    agent: str
    tally: Tally
    by_step: dict[str, list[int]]  # step -> [phrases, caught, wrong, false, said, said caught]
    problems: list[str]


@dataclass
class Report:
    manifest: str
    sensitivity: float
    use_caller: bool
    seconds: float
    cases: list[CaseResult]
    unlistened: dict[str, list[str]]  # playbook -> steps of the set it has no phrases for
    cpu_s: float = 0.0  # CPU seconds in heard_in, all processes

    def rtf(self) -> float:
        hours = self.total().hours
        return self.cpu_s / (hours * 3600.0) if hours else 0.0

    def by(self, key: Callable[[CaseResult], str]) -> dict[str, Tally]:
        out: dict[str, Tally] = {}
        for c in self.cases:
            out.setdefault(key(c), Tally()).add(c.tally)
        return out

    def conditions(self) -> dict[str, Tally]:
        got = self.by(lambda c: c.condition)
        return {k: got[k] for k in C.CONDITIONS if k in got}

    def total(self) -> Tally:
        t = Tally()
        for c in self.cases:
            t.add(c.tally)
        return t

    def steps(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for c in self.cases:
            for s, v in c.by_step.items():
                row = out.setdefault(s, [0] * ROW)
                for i in range(ROW):
                    row[i] += v[i]
        return dict(sorted(out.items()))

    def table(self) -> str:
        def f(v: float | None, fmt: str) -> str:
            return "-" if v is None else format(v, fmt)

        head = (
            f"{'condition':<10} {'cases':>5} {'hours':>5} {'phrases':>7} {'caught':>6} "
            f"{'recall':>6} {'wrong':>5} {'false':>5} {'false/h':>7} {'ord h':>5} "
            f"{'ord f/h':>7} {'lat p50':>7} {'lat p90':>7} {'said':>5} {'r said':>6}"
        )
        mode = "microphone + caller track" if self.use_caller else "microphone only"
        out = [
            f"heard set {self.manifest}",
            f"sensitivity {self.sensitivity}, {mode}; scored in {self.seconds:.0f} s, "
            f"heard_in {self.cpu_s:.0f} CPU-s = {self.rtf():.3f} x real time of the audio",
            "",
            head,
        ]
        rows = [*self.conditions().items(), ("all", self.total())]
        for name, t in rows:
            out.append(
                f"{name:<10} {t.cases:>5} {t.hours:>5.2f} {t.phrases:>7} {t.caught:>6} "
                f"{f(t.recall, '.3f'):>6} {t.wrong:>5} {t.false:>5} {t.false_per_hour:>7.2f} "
                f"{t.ordinary_hours:>5.2f} {f(t.ordinary_false_per_hour, '.2f'):>7} "
                f"{f(t.latency(0.5), '+.2f'):>7} {f(t.latency(0.9), '+.2f'):>7} "
                f"{t.said:>5} {f(t.said_recall, '.3f'):>6}"
            )
        out += [
            "",
            "recall: caught / phrases; wrong: another step's spot on a phrase; false: a spot on "
            "ordinary talk (false/h over all hours; ord f/h over the ordinary-only cases); "
            "lat: at_s - end of the phrase's utterance (s); said: phrases whose line says a "
            "listen_for phrase word for word (r said: recall on those)",
        ]
        for pb, steps in self.unlistened.items():
            if steps:
                out.append(f"NOT LISTENED FOR in {pb} (counted as missed): {', '.join(steps)}")
        return "\n".join(out)

    def step_table(self) -> str:
        out = [
            f"{'step':<20} {'phrases':>7} {'caught':>6} {'recall':>6} {'wrong':>5} {'false':>5} "
            f"{'said':>5} {'r said':>6}"
        ]
        for s, (n, c, w, fa, sd, sc) in self.steps().items():
            r = f"{c / n:.2f}" if n else "-"
            rs = f"{sc / sd:.2f}" if sd else "-"
            out.append(f"{s:<20} {n:>7} {c:>6} {r:>6} {w:>5} {fa:>5} {sd:>5} {rs:>6}")
        return "\n".join(out)

    def voice_table(self) -> str:
        out = [f"{'agent voice':<18} {'phrases':>7} {'recall':>6} {'false':>5} {'false/h':>7}"]
        for v, t in sorted(self.by(lambda c: c.agent).items()):
            r = "-" if t.recall is None else f"{t.recall:.3f}"
            out.append(f"{v:<18} {t.phrases:>7} {r:>6} {t.false:>5} {t.false_per_hour:>7.2f}")
        return "\n".join(out)

    def failures(self) -> str:
        out = []
        for c in self.cases:
            if c.problems:
                out.append("\n".join([c.id, *("  " + p for p in c.problems)]))
        return "\n".join(out) if out else "no failures"

    def missed_targets(self) -> list[str]:
        """The targets this report misses, in words (empty when all are met)."""
        bad = []
        for name, t in self.conditions().items():
            want = TARGETS["recall_clean"] if name.startswith("clean") else TARGETS["recall_noisy"]
            if t.recall is None or t.recall < want:
                bad.append(f"{name}: recall {t.recall} < {want}")
        tot = self.total()
        if tot.false_per_hour > TARGETS["false_per_hour"]:
            bad.append(f"false ticks {tot.false_per_hour:.2f}/h > {TARGETS['false_per_hour']}")
        ofh = tot.ordinary_false_per_hour
        if ofh is not None and ofh > TARGETS["false_per_hour"]:
            bad.append(f"false ticks on ordinary cases {ofh:.2f}/h > {TARGETS['false_per_hour']}")
        p90 = tot.latency(0.9)
        if p90 is None or p90 > TARGETS["latency_p90"]:
            bad.append(f"latency p90 {p90} > {TARGETS['latency_p90']}")
        return bad


# -- scoring one case -----------------------------------------------------------------
def _context(case: dict[str, Any], t0: float, t1: float) -> str:
    lines = T.lines()
    said = [
        f'{u["line"]} {u["start_s"]:.1f}-{u["end_s"]:.1f} "{lines[u["line"]]}"'
        for u in case["utterances"]
        if u["end_s"] + SLACK_S >= t0 and u["start_s"] - SLACK_S <= t1
    ]
    return "; ".join(said) if said else "no agent speech"


def _says(phrases: Sequence[str], text: str) -> bool:
    """Whether the text says one of the phrases word for word (in one of its forms)."""
    try:
        from calmline.core.listening import said_in
    except ImportError:
        return any(f" {T.expanded(p)} " in f" {T.expanded(text)} " for p in phrases)
    return any(said_in(p, text) for p in phrases)


def score_case(case: dict[str, Any], spots: Sequence[Seen], table: Phrases) -> CaseResult:
    utt = case["utterances"]
    phrases = [u for u in utt if u["step"]]
    by_step: dict[str, list[int]] = {}
    t = Tally(cases=1, hours=case["duration_s"] / 3600.0)
    if case["kind"] == "ordinary":
        t.ordinary_hours = t.hours
    problems: list[str] = []
    caught: dict[int, Seen] = {}
    for s in spots:
        over = [
            i
            for i, u in enumerate(utt)
            if s.start_s <= u["end_s"] + SLACK_S and s.end_s >= u["start_s"] - SLACK_S
        ]
        mine = [i for i in over if utt[i]["step"] == s.step]
        row = by_step.setdefault(s.step, [0] * ROW)
        if mine:
            caught.setdefault(mine[0], s)
            continue
        where = f"{s.start_s:.2f}-{s.end_s:.2f} at {s.at_s:.2f}"
        ctx = _context(case, s.start_s, s.end_s)
        if any(utt[i]["step"] for i in over):
            t.wrong += 1
            row[2] += 1
            problems.append(f"WRONG  {s.step} ({s.phrase!r}) {where} | {ctx}")
        else:
            t.false += 1
            row[3] += 1
            if case["kind"] == "ordinary":
                t.ordinary_false += 1
            problems.append(f"FALSE  {s.step} ({s.phrase!r}) {where} | {ctx}")
    for i, u in enumerate(utt):
        if not u["step"]:
            continue
        row = by_step.setdefault(u["step"], [0] * ROW)
        row[0] += 1
        t.phrases += 1
        said = _says(table.get(u["step"], ()), T.lines()[u["line"]])
        row[4] += said
        t.said += said
        hit = caught.get(i)
        if hit is None:
            why = "" if u["step"] in table else " (step not listened for)"
            why += "" if said else " (no phrase said word for word)"
            problems.append(
                f"MISSED {u['step']}{why} {u['start_s']:.2f}-{u['end_s']:.2f} "
                f'"{T.lines()[u["line"]]}"'
            )
            continue
        row[1] += 1
        t.caught += 1
        row[5] += said
        t.said_caught += said
        t.latencies.append(hit.at_s - u["end_s"])
    assert t.phrases == len(phrases)
    return CaseResult(
        case["id"], case["condition"], case["kind"], case["agent_voice"], t, by_step, problems
    )


# -- running --------------------------------------------------------------------------
def builtin_phrases() -> dict[str, dict[str, tuple[str, ...]]]:
    """playbook id -> its phrase table (core/listening.phrase_table)."""
    from calmline.core.listening import phrase_table
    from calmline.core.playbook import parse_playbook

    out = {}
    for path in sorted(PLAYBOOKS.glob("*.toml")):
        pb = parse_playbook(path.read_text(encoding="utf-8"), str(path))
        out[pb.id] = phrase_table(pb)
    return out


def phrase_conflicts(tables: dict[str, dict[str, tuple[str, ...]]]) -> list[str]:
    """listen_for phrases said word for word (contractions written out) in a line
    that should not tick their step: ordinary talk, or another step's line."""
    ordinary = {T.ordinary_id(c, i): t for c, ls in T.ORDINARY.items() for i, t in enumerate(ls)}
    out = []
    for pb, table in tables.items():
        others = {
            T.step_id(pb, s, i): (s, t)
            for s, ls in T.STEP_LINES.get(pb, {}).items()
            for i, t in enumerate(ls)
        }
        for step, phrases in table.items():
            for phrase in phrases:
                want = f" {T.expanded(phrase)} "
                hits = [lid for lid, t in ordinary.items() if want in f" {T.expanded(t)} "]
                hits += [
                    lid
                    for lid, (s, t) in others.items()
                    if s != step and want in f" {T.expanded(t)} "
                ]
                if hits:
                    out.append(f"{pb} {step} {phrase!r} is said in {', '.join(hits)}")
    return out


_SPOTTERS: dict[tuple[str, int, float], Any] = {}


def calmline_analyse(sensitivity: float = 0.5) -> Analyse:
    """heard_in, with one Spotter per phrase table and rate in each process."""
    from calmline.audio.heard import heard_in
    from calmline.audio.spotter import Spotter

    def run(mic: np.ndarray, rate: int, phrases: Phrases, caller: np.ndarray | None) -> Any:
        key = (json.dumps(phrases, sort_keys=True), rate, sensitivity)
        if key not in _SPOTTERS:
            _SPOTTERS[key] = Spotter(phrases, rate, sensitivity)
        return heard_in(mic, rate, phrases, sensitivity, caller=caller, spotter=_SPOTTERS[key])

    return run


_JOB: tuple[Analyse, Path, dict[str, dict[str, tuple[str, ...]]], bool] | None = None


def _run_one(case: dict[str, Any]) -> tuple[list[Seen], float]:
    """One case's spots, and the CPU seconds heard_in took (the machine may be busy)."""
    assert _JOB is not None
    analyse, root, tables, use_caller = _JOB
    mic, rate = dsp.read_wav(root / case["mic"])
    caller = dsp.read_wav(root / case["caller"])[0] if use_caller else None
    t0 = time.process_time()
    spots = analyse(mic.astype(np.float32), rate, tables[case["playbook"]], caller)
    cpu = time.process_time() - t0
    seen = [
        Seen(str(s.step), str(s.phrase), float(s.start_s), float(s.end_s), float(s.at_s))
        for s in spots
    ]
    return seen, cpu


def select(
    cases: list[dict[str, Any]],
    quick: bool = False,
    voices: Sequence[str] | None = None,
    conditions: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    out = [c for c in cases if c["quick"] or not quick]
    if voices:
        out = [c for c in out if c["agent_voice"] in voices or C.SHORT[c["agent_voice"]] in voices]
    if conditions:
        out = [c for c in out if c["condition"] in conditions or c["family"] in conditions]
    return out


def score(
    manifest: Path,
    analyse: Analyse,
    tables: dict[str, dict[str, tuple[str, ...]]],
    cases: list[dict[str, Any]] | None = None,
    use_caller: bool = False,
    jobs: int = 1,
    sensitivity: float = 0.5,
) -> Report:
    """Run ``analyse`` over the cases (default: all of the manifest's) and score it."""
    global _JOB
    manifest = Path(manifest)
    if cases is None:
        cases = json.loads(manifest.read_text())["cases"]
    t0 = time.monotonic()
    _JOB = (analyse, manifest.parent, tables, use_caller)
    try:
        # the longest first, so the workers finish together
        order = sorted(range(len(cases)), key=lambda i: -cases[i]["duration_s"])
        todo = [cases[i] for i in order]
        if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                got = pool.map(_run_one, todo, chunksize=1)
        else:
            got = [_run_one(c) for c in todo]
    finally:
        _JOB = None
    spots = {c["id"]: s for c, (s, _) in zip(todo, got, strict=True)}
    cpu = sum(c for _, c in got)
    results = [score_case(c, spots[c["id"]], tables[c["playbook"]]) for c in cases]
    wanted: dict[str, set[str]] = {}
    for c in cases:
        wanted.setdefault(c["playbook"], set()).update(
            u["step"] for u in c["utterances"] if u["step"]
        )
    unlistened = {pb: sorted(s - set(tables.get(pb, {}))) for pb, s in wanted.items()}
    return Report(
        str(manifest), sensitivity, use_caller, time.monotonic() - t0, results, unlistened, cpu
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.voiceset.heard_score",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--quick", action="store_true", help="the quick subset (a sixth)")
    ap.add_argument("--manifest", type=Path, help="a built manifest (default: build the set)")
    ap.add_argument("--voices", help="only these agent voices (joe,slthts,slt,awb or full names)")
    ap.add_argument("--conditions", help="only these: clean,noise,bleed or e.g. 'clean 8k'")
    ap.add_argument("--sensitivity", type=float, default=0.5)
    ap.add_argument("--caller", action="store_true", help="give heard_in the caller track")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--verbose", "-v", action="store_true", help="per step, per voice, failures")
    ap.add_argument("--save", type=Path, help="write every case's spots and score as JSON")
    args = ap.parse_args(argv)
    if args.manifest is None:
        from tests.voiceset.heard_build import build

        try:
            args.manifest = build(None, args.quick)
        except RuntimeError as exc:
            print(f"heardset: {exc}", file=sys.stderr)
            return 1
    cases = select(
        json.loads(args.manifest.read_text())["cases"],
        args.quick,
        args.voices.split(",") if args.voices else None,
        args.conditions.split(",") if args.conditions else None,
    )
    report = score(
        args.manifest,
        calmline_analyse(args.sensitivity),
        builtin_phrases(),
        cases,
        args.caller,
        args.jobs,
        args.sensitivity,
    )
    print(report.table())
    missed = report.missed_targets()
    print("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    if args.verbose:
        print()
        print("\n".join(phrase_conflicts(builtin_phrases())) or "no phrase said in other lines")
        print()
        print(report.step_table())
        print()
        print(report.voice_table())
        print()
        print(report.failures())
    if args.save:
        args.save.write_text(
            json.dumps(
                [
                    {"id": c.id, "condition": c.condition, "problems": c.problems}
                    for c in report.cases
                ],
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
