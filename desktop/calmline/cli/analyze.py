"""`calmline analyze FILE.wav [--caller FILE.wav] [--json]`: the meter's maths
over a recorded call, for coaching — levels, speech, talk share and cues."""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from calmline.cli.common import fail
from calmline.cli.parser import Subparsers

if TYPE_CHECKING:
    from calmline.core.analysis import Analysis

UNREADABLE = 2  # the exit status when a file cannot be read


def add_analyze(sub: Subparsers) -> None:
    ana = sub.add_parser(
        "analyze",
        help="levels, speech and cues of a recorded call (WAV)",
        description="Run the meter's maths over a recorded call for coaching: 8-48 kHz, "
        "16 or 24 bit PCM WAV, 1 to 8 channels (the first is taken), up to 12 hours, read a "
        "block at a time. Levels in dBFS as `sox stats` reports them. Exit 2 if the file "
        "cannot be read.",
    )
    ana.add_argument("file", type=Path, help="the agent's microphone")
    ana.add_argument(
        "--caller",
        type=Path,
        metavar="FILE.wav",
        help="the caller's track of the same call (what the agent heard), at the same "
        "sample rate: speech is then told from the caller's bleed by it, and talking over "
        "the caller is found",
    )
    ana.add_argument("--json", action="store_true", help="one JSON object, with 100 ms windows")


def run_analyze(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.audio.wavfile import WavError

    try:
        result = _analysis(args)
    except WavError as exc:
        return fail(str(exc), UNREADABLE)
    if args.json:
        _write_json(result, out)
        return 0
    base = f"{result.baseline_dbfs:.1f} dBFS" if result.baseline_dbfs is not None else "not reached"
    print(
        f"{result.file}: {result.duration_s:.1f} s at {result.sample_rate} Hz\n"
        f"  level   RMS {result.rms_dbfs:.2f} dBFS, peak {result.peak_dbfs:.2f} dBFS\n"
        f"  speech  {result.speech_s:.1f} s ({result.talk_share:.0%} of the call); "
        f"calm baseline {base}\n"
        f"  caller  {'from ' + str(args.caller) if args.caller else 'no track: microphone only'}",
        file=out,
    )
    if not result.cues:
        print("  cues    none", file=out)
    for c in result.cues:
        end = f"{c.end_s:.1f}" if c.end_s is not None else "end"
        over = (
            f", up to {c.max_over_baseline_db:+.1f} dB over baseline"
            if c.max_over_baseline_db is not None
            else ""
        )
        print(f"  cue     {c.kind.value} {c.start_s:.1f}-{end} s{over}", file=out)
    return 0


def _analysis(args: argparse.Namespace) -> Analysis:
    """The file (and the caller's track) read a block at a time through the analysis."""
    from calmline.audio.wavfile import WavError, WavReader
    from calmline.context import Context
    from calmline.core.analysis import Analyzer

    params = Context.load().settings.settings.cues
    with contextlib.ExitStack() as files:
        mic = files.enter_context(WavReader(args.file))
        caller = files.enter_context(WavReader(args.caller)) if args.caller else None
        if caller is not None and caller.rate != mic.rate:
            raise WavError(
                f"{args.caller}: {caller.rate} Hz, but {args.file} is {mic.rate} Hz — give "
                f"both tracks at one rate (e.g. sox {args.caller} -r {mic.rate} caller.wav)"
            )
        run = Analyzer(mic.rate, params, str(args.file), caller_channel=caller is not None)
        heard = caller.blocks(mic.rate) if caller is not None else None
        for block in mic.blocks(mic.rate):
            run.feed(block, next(heard, None) if heard is not None else None)
        return run.finish()


def _write_json(result: Analysis, out: TextIO) -> None:
    """One JSON object, its windows written one by one (an hour has 36 000)."""
    from dataclasses import asdict, fields

    doc = {f.name: getattr(result, f.name) for f in fields(result) if f.name != "windows"}
    doc["cues"] = [
        {k: asdict(c)[k] for k in ("kind", "start_s", "end_s", "max_over_baseline_db")}
        for c in result.cues
    ]
    out.write(json.dumps(doc)[:-1] + ', "windows": [')
    for i, w in enumerate(result.windows):
        out.write((", " if i else "") + json.dumps(asdict(w)))
    out.write("]}\n")
