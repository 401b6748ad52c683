"""Score a cue detector on the voice set.

    python -m tests.voiceset.score [--caller] [--quick] [--verbose] [--manifest PATH]

A cue matches an event of its kind when ``start_s - 0.5 <= fired_s <= end_s + 1.0``
(each event at most once); its onset is ``fired_s - expect_s``; an event is found
on time when matched with an onset <= 2 s. A cue that matches no event is false.
Events marked optional (the raised voice of a shout that clips) may be matched
and are then not false, but they count in no recall. Without the caller track
(the default) talking_over events are not scored and a talking_over cue is false.
"""

from __future__ import annotations

import argparse
import inspect
import json
import multiprocessing
import statistics
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests.voiceset import dsp
from tests.voiceset.calls import KINDS

EARLY_S = 0.5
LATE_S = 1.0
ON_TIME_S = 2.0
CALLER_ONLY = "talking_over"

Analyse = Callable[[np.ndarray, int, "np.ndarray | None"], Any]


@dataclass(frozen=True)
class SeenCue:
    kind: str
    start_s: float
    fired_s: float
    end_s: float | None


@dataclass
class KindScore:
    kind: str
    events: int = 0
    found: int = 0  # matched with onset <= 2 s
    matched: int = 0  # matched at any onset
    recall: float | None = None  # found / events
    median_onset_s: float | None = None  # over matched events
    max_onset_s: float | None = None
    false: int = 0
    false_per_hour: float = 0.0
    held_median: float | None = None  # raised_voice only
    onsets: list[float] = field(default_factory=list, repr=False)
    held: list[float] = field(default_factory=list, repr=False)


@dataclass
class CallScore:
    id: str
    rate: int
    duration_s: float
    quiet: bool
    talk_share: float
    talk_share_truth: float
    false: int = 0
    problems: list[str] = field(default_factory=list)  # what went wrong, readable

    @property
    def talk_share_error(self) -> float:
        return abs(self.talk_share - self.talk_share_truth)


@dataclass
class Report:
    manifest: str
    use_caller: bool
    calls: int
    hours: float
    quiet_calls: int
    quiet_hours: float
    kinds: dict[str, KindScore]
    false: int
    false_per_hour: float
    quiet_false: int
    quiet_false_per_hour: float
    talk_share_mean_error: float
    talk_share_max_error: float
    per_call: list[CallScore]

    def table(self) -> str:
        mode = "microphone + caller track" if self.use_caller else "microphone only"
        out = [
            f"voice set {self.manifest}",
            f"{self.calls} calls, {self.hours:.2f} h scored ({self.quiet_calls} quiet calls, "
            f"{self.quiet_hours:.2f} h); {mode}",
            "",
            f"{'kind':<20} {'events':>6} {'found':>5} {'recall':>6} {'onset med':>9} "
            f"{'onset max':>9} {'late':>4} {'false':>5} {'false/h':>7} {'held':>5}",
        ]

        def f(v: float | None, fmt: str) -> str:
            return "-" if v is None else format(v, fmt)

        for k in KINDS:
            s = self.kinds[k]
            if not self.use_caller and k == CALLER_ONLY:
                label = f"{k} (not scored)"
                out.append(
                    f"{label:<20} {'-':>6} {'-':>5} {'-':>6} {'-':>9} {'-':>9} {'-':>4} "
                    f"{s.false:>5} {s.false_per_hour:>7.2f} {'-':>5}"
                )
                continue
            out.append(
                f"{k:<20} {s.events:>6} {s.found:>5} {f(s.recall, '.2f'):>6} "
                f"{f(s.median_onset_s, '+.2f'):>9} {f(s.max_onset_s, '+.2f'):>9} "
                f"{s.matched - s.found:>4} {s.false:>5} {s.false_per_hour:>7.2f} "
                f"{f(s.held_median, '.2f'):>5}"
            )
        out += [
            f"{'all':<20} {sum(s.events for s in self.kinds.values()):>6} "
            f"{sum(s.found for s in self.kinds.values()):>5} {'':>6} {'':>9} {'':>9} "
            f"{sum(s.matched - s.found for s in self.kinds.values()):>4} {self.false:>5} "
            f"{self.false_per_hour:>7.2f}",
            "",
            f"quiet calls: {self.quiet_false} false cues in {self.quiet_hours:.2f} h = "
            f"{self.quiet_false_per_hour:.2f} per hour",
            f"talk share error: mean {self.talk_share_mean_error:.3f}, "
            f"max {self.talk_share_max_error:.3f}",
            "onset = fired - expected (s); late = matched but onset > 2 s; "
            "held = median share of a raised passage the cue stayed up for",
        ]
        return "\n".join(out)

    def failures(self) -> str:
        """One block per call that missed, was late or fired falsely."""
        out = []
        for c in self.per_call:
            if not c.problems and c.talk_share_error <= 0.1:
                continue
            head = (
                f"{c.id} ({c.rate} Hz, {c.duration_s:.0f} s{', quiet' if c.quiet else ''}): "
                f"talk share {c.talk_share:.3f} vs {c.talk_share_truth:.3f}"
            )
            out.append("\n".join([head, *("  " + p for p in c.problems)]))
        return "\n".join(out) if out else "no failures"


# -- matching ---------------------------------------------------------------------
def _kind(k: Any) -> str:
    return str(getattr(k, "value", k))


def _cues(result: Any) -> tuple[list[SeenCue], float]:
    cues = [
        SeenCue(
            _kind(c.kind),
            float(c.start_s),
            float(c.fired_s),
            None if c.end_s is None else float(c.end_s),
        )
        for c in result.cues
    ]
    return sorted(cues, key=lambda c: c.fired_s), float(result.talk_share)


def _context(call: dict[str, Any], t0: float, t1: float) -> str:
    """What the truth says was going on between t0 and t1."""
    said = []
    for p in call["parts"]:
        if p["end_s"] > t0 and p["start_s"] < t1:
            who = "agent" if p["who"] == "agent" else "caller(bleed)"
            lvl = f" {p['over_db']:+.0f} dB" if p["over_db"] else ""
            said.append(f"{who} {p['role']}{lvl} {p['start_s']:.1f}-{p['end_s']:.1f}")
    for d in call["distractors"]:
        if d["end_s"] > t0 - 0.5 and d["start_s"] < t1 + 0.5:
            said.append(f"[{d['what']} {d['start_s']:.1f}-{d['end_s']:.1f}]")
    for m in call["mutes"]:
        if m["end_s"] > t0 and m["start_s"] < t1:
            said.append(f"[mute {m['mode']} {m['start_s']:.1f}-{m['end_s']:.1f}]")
    for a, b in call["keyboard"]:
        if b > t0 and a < t1:
            said.append(f"[typing {a:.1f}-{b:.1f}]")
    if not said:
        said.append("nobody speaking")
    return "; ".join(said[:8]) + (" ..." if len(said) > 8 else "")


def _describe_event(e: dict[str, Any]) -> str:
    extra = f" {e['over_db']:+.1f} dB" if "over_db" in e else ""
    if e.get("mode"):
        extra += f" {e['mode']}"
    return (
        f"{e['kind']} ({e['scenario']}{extra}) {e['start_s']:.2f}-{e['end_s']:.2f} "
        f"expect {e['expect_s']:.2f}"
    )


def score_call(
    call: dict[str, Any],
    cues: list[SeenCue],
    talk_share: float,
    use_caller: bool,
    kinds: dict[str, KindScore],
) -> CallScore:
    cs = CallScore(
        call["id"], call["rate"], call["duration_s"], call["quiet"], talk_share, call["talk_share"]
    )
    events = [e for e in call["events"] if use_caller or e["kind"] != CALLER_ONLY]
    # required events first, so an optional one never takes a cue a required one could
    events.sort(key=lambda e: (e["optional"], e["start_s"]))
    used: set[int] = set()
    hit: dict[int, SeenCue] = {}
    for cue in cues:
        match = None
        if use_caller or cue.kind != CALLER_ONLY:
            for i, e in enumerate(events):
                if (
                    i not in used
                    and e["kind"] == cue.kind
                    and e["start_s"] - EARLY_S <= cue.fired_s <= e["end_s"] + LATE_S
                ):
                    match = i
                    break
        if match is None:
            cs.false += 1
            kinds[cue.kind].false += 1
            why = "" if use_caller or cue.kind != CALLER_ONLY else " (no caller track given)"
            end = "open" if cue.end_s is None else f"{cue.end_s:.2f}"
            cs.problems.append(
                f"FALSE  {cue.kind}{why}: start {cue.start_s:.2f} fired {cue.fired_s:.2f} "
                f"end {end} | {_context(call, cue.start_s, cue.fired_s)}"
            )
            continue
        used.add(match)
        hit[match] = cue
    for i, e in enumerate(events):
        if e["optional"]:
            continue
        k = kinds[e["kind"]]
        k.events += 1
        cue = hit.get(i)
        if cue is None:
            same = [c for c in cues if c.kind == e["kind"]]
            near = min(same, key=lambda c: abs(c.fired_s - e["expect_s"]), default=None)
            hint = (
                f"nearest {e['kind']} cue fired {near.fired_s:.2f} "
                f"({near.fired_s - e['expect_s']:+.1f} s)"
                if near
                else f"no {e['kind']} cue in the call"
            )
            cs.problems.append(
                f"MISSED {_describe_event(e)}: {hint} | "
                f"{_context(call, e['start_s'], e['expect_s'] + 2.0)}"
            )
            continue
        onset = cue.fired_s - e["expect_s"]
        k.matched += 1
        k.onsets.append(onset)
        if onset <= ON_TIME_S:
            k.found += 1
        else:
            cs.problems.append(
                f"LATE   {_describe_event(e)}: fired {cue.fired_s:.2f} "
                f"({onset:+.2f} s) | {_context(call, e['expect_s'], cue.fired_s)}"
            )
        if e["kind"] == "raised_voice":
            span = e["end_s"] - cue.fired_s
            if span > 0.05:
                end = call["duration_s"] if cue.end_s is None else cue.end_s
                k.held.append(min(1.0, max(0.0, (min(end, e["end_s"]) - cue.fired_s) / span)))
    return cs


# -- running ------------------------------------------------------------------------
_JOB: tuple[Analyse, Path, bool] | None = None  # for forked workers


def _analyse_one(call: dict[str, Any]) -> tuple[list[SeenCue], float]:
    assert _JOB is not None
    analyse, root, use_caller = _JOB
    mic, rate = dsp.read_wav(root / call["mic"])
    caller = dsp.read_wav(root / call["caller"])[0] if use_caller else None
    return _cues(analyse(mic, rate, caller))


def score(manifest_path: Path, analyse: Analyse, use_caller: bool, jobs: int = 1) -> Report:
    """Run ``analyse`` on every call of the manifest and score its cues."""
    global _JOB
    manifest_path = Path(manifest_path)
    doc = json.loads(manifest_path.read_text())
    calls = doc["calls"]
    _JOB = (analyse, manifest_path.parent, use_caller)
    try:
        if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                results = pool.map(_analyse_one, calls, chunksize=1)
        else:
            results = [_analyse_one(c) for c in calls]
    finally:
        _JOB = None
    kinds = {k: KindScore(k) for k in KINDS}
    per_call = [
        score_call(c, cues, ts, use_caller, kinds)
        for c, (cues, ts) in zip(calls, results, strict=True)
    ]
    hours = sum(c["duration_s"] for c in calls) / 3600.0
    quiet_hours = sum(c["duration_s"] for c in calls if c["quiet"]) / 3600.0
    for k in kinds.values():
        k.recall = k.found / k.events if k.events else None
        if k.onsets:
            k.median_onset_s = round(statistics.median(k.onsets), 3)
            k.max_onset_s = round(max(k.onsets), 3)
        k.held_median = round(statistics.median(k.held), 3) if k.held else None
        k.false_per_hour = k.false / hours if hours else 0.0
    false = sum(c.false for c in per_call)
    quiet_false = sum(c.false for c in per_call if c.quiet)
    errors = [c.talk_share_error for c in per_call]
    return Report(
        manifest=str(manifest_path),
        use_caller=use_caller,
        calls=len(calls),
        hours=hours,
        quiet_calls=sum(c["quiet"] for c in calls),
        quiet_hours=quiet_hours,
        kinds=kinds,
        false=false,
        false_per_hour=false / hours if hours else 0.0,
        quiet_false=quiet_false,
        quiet_false_per_hour=quiet_false / quiet_hours if quiet_hours else 0.0,
        talk_share_mean_error=float(np.mean(errors)) if errors else 0.0,
        talk_share_max_error=float(np.max(errors)) if errors else 0.0,
        per_call=per_call,
    )


def calmline_analyse(use_caller: bool) -> Analyse:
    """Calmline's offline analysis; without ``caller=`` support (older detectors)
    the caller track is left out, with a warning."""
    from calmline.core.analysis import analyze_samples
    from calmline.core.cues import CueParams

    takes_caller = "caller" in inspect.signature(analyze_samples).parameters
    if use_caller and not takes_caller:
        warnings.warn(
            "analyze_samples takes no caller= yet: scoring the caller-track truth "
            "with microphone-only cues",
            stacklevel=2,
        )

    def run(mic: np.ndarray, rate: int, caller: np.ndarray | None) -> Any:
        if caller is None or not takes_caller:
            return analyze_samples(mic, rate, CueParams())
        return analyze_samples(mic, rate, CueParams(), caller=caller)  # type: ignore[call-arg]

    return run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.voiceset.score",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--caller", action="store_true", help="give the detector the caller track")
    ap.add_argument("--quick", action="store_true", help="the quick set")
    ap.add_argument("--manifest", type=Path, help="a built manifest (default: build the set)")
    ap.add_argument("--verbose", "-v", action="store_true", help="every miss and false cue")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes")
    args = ap.parse_args(argv)
    if args.manifest is None:
        from tests.voiceset.build import build, jobs

        args.manifest = build(None, args.quick)
        n = args.jobs or jobs()
    else:
        n = args.jobs or 1
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        analyse = calmline_analyse(args.caller)
    report = score(args.manifest, analyse, args.caller, jobs=n)
    print(report.table())
    if args.verbose:
        print()
        print(report.failures())
    return 0


if __name__ == "__main__":
    sys.exit(main())
