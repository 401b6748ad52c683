"""`calmline analyze FILE.wav [--caller FILE.wav] [--playbook FILE] [--json]`: the
meter's maths over a recorded call, for coaching — levels, speech, talk share,
cues, and the steps heard (the live app's recogniser, on the same path)."""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from calmline.cli.common import fail
from calmline.cli.parser import Subparsers

if TYPE_CHECKING:
    from calmline.audio.heard import HeardRun
    from calmline.context import Context
    from calmline.core.analysis import Analysis
    from calmline.core.levels import Samples
    from calmline.core.listening import Spot

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
    ana.add_argument(
        "--playbook",
        type=Path,
        metavar="FILE.toml",
        help="the playbook whose listen_for phrases are listened for (default: the configured one)",
    )
    ana.add_argument("--json", action="store_true", help="one JSON object, with 100 ms windows")


def run_analyze(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.audio.spotter import ModelProblem
    from calmline.audio.wavfile import WavError
    from calmline.core.problems import ProblemsError

    try:
        result, heard = _analysis(args)
    except WavError as exc:
        return fail(str(exc), UNREADABLE)
    except ProblemsError as exc:
        return fail("\n".join(map(str, exc.problems)))
    except ModelProblem as exc:
        return fail(f"cannot listen for steps: {exc}")
    if args.json:
        _write_json(result, heard, out)
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
    for h in heard:
        print(f"  heard   {h.step} {h.start_s:.1f}-{h.end_s:.1f} s", file=out)
    return 0


def _analysis(args: argparse.Namespace) -> tuple[Analysis, list[Spot]]:
    """The file (and the caller's track) read a block at a time through the
    analysis and the heard steps' recogniser."""
    from calmline.audio.wavfile import WavError, WavReader
    from calmline.context import Context
    from calmline.core.analysis import Analyzer

    ctx = Context.load()
    params = ctx.settings.settings.cues
    with contextlib.ExitStack() as files:
        mic = files.enter_context(WavReader(args.file))
        caller = files.enter_context(WavReader(args.caller)) if args.caller else None
        if caller is not None and caller.rate != mic.rate:
            raise WavError(
                f"{args.caller}: {caller.rate} Hz, but {args.file} is {mic.rate} Hz — give "
                f"both tracks at one rate (e.g. sox {args.caller} -r {mic.rate} caller.wav)"
            )
        run = Analyzer(mic.rate, params, str(args.file), caller_channel=caller is not None)
        listen = _listener(ctx, args.playbook, mic.rate, caller is not None)
        heard = caller.blocks(mic.rate) if caller is not None else None
        for block in mic.blocks(mic.rate):  # a second at a time: whole 10 ms blocks
            other = next(heard, None) if heard is not None else None
            run.feed(block, other)
            if listen is not None:
                _listen(listen, block, other)
        return run.finish(), listen.finish() if listen is not None else []


def _listener(ctx: Context, playbook: Path | None, rate: int, caller: bool) -> HeardRun | None:
    """The recogniser for the playbook's phrases (None when it has none)."""
    from calmline.audio.heard import HeardRun
    from calmline.audio.spotter import Spotter
    from calmline.context import read_playbook
    from calmline.core.listening import phrase_table

    phrases = phrase_table(read_playbook(playbook) if playbook else ctx.playbook())
    if not phrases:
        return None
    cfg = ctx.settings.settings.listening
    model = Path(cfg.model_folder).expanduser() if cfg.model_folder else None
    spotter = Spotter(phrases, rate, cfg.sensitivity, model)
    return HeardRun(spotter, ctx.settings.settings.cues, caller_channel=caller)


def _listen(run: HeardRun, mic: Samples, caller: Samples | None) -> None:
    """A piece of the file (whole seconds: whole blocks) into the recogniser's run."""
    import numpy as np

    from calmline.core.analysis import fit_caller, whole_blocks

    rows = whole_blocks(np.asarray(mic, dtype=np.float32), run.n)
    other = None
    if caller is not None:
        other = whole_blocks(fit_caller(caller, len(mic)).astype(np.float32), run.n)
    run.feed_blocks(rows, other)


def _write_json(result: Analysis, heard: list[Spot], out: TextIO) -> None:
    """One JSON object, its windows written one by one (an hour has 36 000)."""
    from dataclasses import asdict, fields

    doc = {f.name: getattr(result, f.name) for f in fields(result) if f.name != "windows"}
    doc["cues"] = [
        {k: asdict(c)[k] for k in ("kind", "start_s", "end_s", "max_over_baseline_db")}
        for c in result.cues
    ]
    doc["heard"] = [
        {"step": h.step, "start_s": round(h.start_s, 2), "end_s": round(h.end_s, 2)} for h in heard
    ]
    out.write(json.dumps(doc)[:-1] + ', "windows": [')
    for i, w in enumerate(result.windows):
        out.write((", " if i else "") + json.dumps(asdict(w)))
    out.write("]}\n")
