"""The `calmline` command. No arguments starts the companion window."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from calmline import __version__
from calmline.cli.softphone import FORWARDED, add_forwarded, call_words, forward, softphone_split
from calmline.cli.incidents import add_incidents, run_followups, run_incidents
from calmline.cli.report import ReportError, add_report, run_report
from calmline.cli.sync import add_sync, run_sync_command

if TYPE_CHECKING:
    from calmline.core.analysis import Analysis

DESCRIPTION = """\
Calmline: a de-escalation companion for phone agents.
Run without a command to open the always-on-top companion window."""

EPILOG = """\
environment:
  CALMLINE_HOME   keep settings (config.toml), database and logs in this one folder

softphone commands (forwarded to the running window; see docs/softphones.md):
  call start [NUMBER] [--caller N] [--customer REF], call end, note TEXT,
  step next, shift start [--agent ID], shift end, show
  exit status: 0 done, 1 refused (e.g. call end with no call), 3 Calmline not reachable

examples:
  calmline call start --caller "+44 20 7946 0000"
  calmline call start -- -123         a number that starts with "-" (or --caller=-123)
  calmline doctor                     check this machine and show every setting's source
  calmline config validate my.toml    check a settings file before deploying it
  calmline incidents export --format csv -o shift.csv"""


ERROR_CHARS = 300  # an argparse error quotes the word it could not use: cut it short


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (what, and where the help is), however
    long or odd the word it quotes; subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        from calmline.core.commands import as_text

        text = as_text(message)
        if len(text) > ERROR_CHARS:
            text = text[:ERROR_CHARS] + "…"
        self.exit(2, f"{self.prog}: {text} — see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = Parser(prog="calmline", description=DESCRIPTION, epilog=EPILOG, formatter_class=fmt)
    p.add_argument("--version", action="version", version=f"calmline {__version__}")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation (settings, playbooks, database, audio, libraries, "
        "drawing the window offscreen if need be), print a summary; exit 1 on any failure",
    )
    p.add_argument(
        "--at-login",
        action="store_true",
        help="what the installed login item runs: open the window only when the "
        "start_at_login setting is on, else exit at once",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    doc = sub.add_parser(
        "doctor",
        help="check this machine; show settings with their sources",
        description="Print paths, every setting with the layer it comes from, and "
        "one pass/fail line per check. Exit status 1 if any check fails.",
    )
    doc.add_argument(
        "--policy",
        type=Path,
        metavar="FILE",
        help="preview a managed policy before deploying it: read FILE instead of this "
        "machine's policy (.reg export of HKLM\\Software\\Policies\\Calmline, "
        ".mobileconfig profile, or managed-preferences .plist)",
    )

    cfg = sub.add_parser(
        "config",
        help="show or validate settings",
        description="Show the effective settings or validate a settings file.",
    )
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = cfg_sub.add_parser(
        "show",
        help="the effective settings",
        description="Print the effective settings (after all layers).",
    )
    show.add_argument(
        "--json", action="store_true", help="one JSON object: {key: {value, source, layer, locked}}"
    )
    val = cfg_sub.add_parser(
        "validate",
        help="check a settings TOML file",
        description="Check a settings file; exit 1 listing each problem.",
    )
    val.add_argument("file", type=Path)

    pb = sub.add_parser(
        "playbook", help="validate a playbook", description="Work with playbook TOML files."
    )
    pb_sub = pb.add_subparsers(dest="playbook_command", metavar="ACTION", required=True)
    pbv = pb_sub.add_parser(
        "validate",
        help="check a playbook TOML file",
        description="Check a playbook; exit 1 listing each problem with "
        "file, line, step and field.",
    )
    pbv.add_argument("file", type=Path)

    add_incidents(sub)
    add_report(sub)
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
    add_forwarded(sub)
    add_sync(sub)
    return p


def _fail(message: str) -> int:
    print(f"calmline: {message}", file=sys.stderr)
    return 1


def _config(args: argparse.Namespace, out: TextIO) -> int:
    # Commands import what they need when run, so `--help` stays fast and Qt-free.
    from calmline.context import Context
    from calmline.core.settings import LayerName, all_keys, parse_toml_layer

    if args.config_command == "validate":
        from calmline.platform.bounded import FileRefused
        from calmline.platform.config_files import read_settings_text

        try:
            text = read_settings_text(args.file)
        except FileRefused as exc:
            return _fail(str(exc))
        except (OSError, UnicodeDecodeError) as exc:
            return _fail(f"{args.file}: cannot read ({exc})")
        layer = parse_toml_layer(LayerName.USER, str(args.file), text)
        for problem in layer.problems:
            print(problem, file=out)
        if layer.problems:
            return 1
        print(f"{args.file}: valid ({len(layer.values)} settings)", file=out)
        return 0
    ctx = Context.load()
    eff = ctx.settings
    if args.json:
        from calmline.core.redact import redact_target

        def value(v: object) -> object:
            return redact_target(v) if isinstance(v, str) else v

        data = {
            k: {
                "value": value(eff.settings.get(k)),
                "layer": eff.source_of(k).layer.value,
                "source": eff.source_of(k).source,
                "locked": eff.is_locked(k),
            }
            for k in all_keys()
        }
        json.dump(data, out, indent=2)
        print(file=out)
    else:
        from calmline.cli.doctor import settings_lines

        print("\n".join(settings_lines(ctx)), file=out)
    for problem in eff.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def _playbook(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.context import read_playbook
    from calmline.core.problems import ProblemsError

    try:
        pb = read_playbook(args.file)
    except ProblemsError as exc:
        for problem in exc.problems:
            print(problem, file=out)
        return 1
    watch = sum(1 for s in pb.steps if s.kind.value == "watch")
    print(
        f"{args.file}: valid playbook '{pb.id}' with {len(pb.steps)} steps ({watch} watch)",
        file=out,
    )
    return 0


def _analysis(args: argparse.Namespace) -> Analysis:
    """The file (and the caller's track) read a block at a time through the analysis."""
    import contextlib

    from calmline.audio.wavfile import WavError, WavReader
    from calmline.context import Context
    from calmline.core.analysis import Analyzer
    from calmline.core.cues import CueParams

    cue_settings = Context.load().settings.settings.cues
    params = CueParams(**cue_settings.model_dump())
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


def _analyze(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.audio.wavfile import WavError

    try:
        result = _analysis(args)
    except WavError as exc:
        print(f"calmline: {exc}", file=sys.stderr)
        return 2
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


def _wanted_at_login() -> bool:
    """The login item runs on every login; the setting (often machine policy) decides."""
    from calmline.context import Context

    return Context.load().settings.settings.start_at_login


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line as a namespace. What follows `call start`/`call end` is the
    softphone's (a caller's id may be "-rf" or "--help"): forward.call_words reads it."""
    split = softphone_split(argv)
    if split is None:
        return build_parser().parse_args(argv)
    head, words = split
    args = build_parser().parse_args(head)
    call_words(args, words)
    return args


def _plain_output() -> None:
    """Undecodable bytes in a name we print (a file name from argv) are written
    escaped, never a UnicodeEncodeError half-way through the output."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    _plain_output()
    out = out or sys.stdout
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.self_test:
            from calmline.context import Context
            from calmline.cli.selftest import self_test

            return self_test(Context.load(), out)
        if args.command is None:
            from calmline.app import run_app  # Qt is loaded only for the window

            if args.at_login and not _wanted_at_login():
                return 0
            return run_app()
        if args.command in FORWARDED:
            return forward(args, out)
        if args.command == "doctor":
            from calmline.context import Context
            from calmline.cli.doctor import doctor
            from calmline.platform.policy_files import policy_from_file

            try:
                policy = policy_from_file(args.policy) if args.policy else None
            except ValueError as exc:
                return _fail(str(exc))
            return doctor(Context.load(policy=policy), out)
        if args.command == "config":
            return _config(args, out)
        if args.command == "playbook":
            return _playbook(args, out)
        if args.command == "incidents":
            return run_incidents(args, out)
        if args.command == "followups":
            return run_followups(args, out)
        if args.command == "analyze":
            return _analyze(args, out)
        if args.command == "sync":
            return run_sync_command(args, out)
        if args.command == "report":
            return run_report(args, out)
    except Exception as exc:  # a user-facing failure becomes one clear line
        from calmline.core.commands import CommandError
        from calmline.core.problems import ProblemsError
        from calmline.store.database import StoreError

        if isinstance(exc, StoreError | ProblemsError | OSError | ReportError | CommandError):
            return _fail(str(exc))
        raise
    return _fail(f"unknown command {args.command!r}")
