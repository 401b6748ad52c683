"""The `calmline` command. No arguments starts the companion window.

One module per command; ``COMMANDS`` is the one table from a command's name to
the function that adds its parser and the function that runs it. Every parser is
built on every run (a softphone's `call start` included, which must start fast),
so a command module's top imports only what building its parser needs: what a
command needs to run (settings and pydantic, the store and sqlite-utils, numpy, Qt,
a socket, even the small core modules) is imported in its run function. Measured:
importing them at the top put 30 ms on every softphone call and 20 ms on --help."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from calmline.cli import (
    analyze,
    config,
    doctor,
    incidents,
    markers,
    playbook,
    report,
    softphone,
    sync,
    team,
)
from calmline.cli.common import fail, plain_output
from calmline.cli.parser import Parser, Subparsers, top_parser

Add = Callable[[Subparsers], None]
Run = Callable[[argparse.Namespace, TextIO], int]

# In the order `calmline --help` lists them.
COMMANDS: dict[str, tuple[Add, Run]] = {
    "doctor": (doctor.add_doctor, doctor.run_doctor),
    "config": (config.add_config, config.run_config),
    "playbook": (playbook.add_playbook, playbook.run_playbook),
    "incidents": (incidents.add_incidents, incidents.run_incidents),
    "followups": (incidents.add_followups, incidents.run_followups),
    "team": (team.add_team, team.run_team),
    "markers": (markers.add_markers, markers.run_markers),
    "report": (report.add_report, report.run_report),
    "analyze": (analyze.add_analyze, analyze.run_analyze),
    "call": (softphone.add_call, softphone.run_softphone),
    "note": (softphone.add_note, softphone.run_softphone),
    "step": (softphone.add_step, softphone.run_softphone),
    "shift": (softphone.add_shift, softphone.run_softphone),
    "show": (softphone.add_show, softphone.run_softphone),
    "sync": (sync.add_sync, sync.run_sync),
}


def build_parser() -> Parser:
    p, sub = top_parser()
    for add, _ in COMMANDS.values():
        add(sub)
    return p


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line as a namespace. What follows `call start`/`call end` is the
    softphone's (a caller's id may be "-rf" or "--help"): softphone.call_words reads it."""
    split = softphone.softphone_split(argv)
    if split is None:
        return build_parser().parse_args(argv)
    head, words = split
    args = build_parser().parse_args(head)
    softphone.call_words(args, words)
    return args


def _open_window(args: argparse.Namespace) -> int:
    from calmline.app import run_app  # Qt is loaded only for the window

    if args.at_login:  # the login item runs on every login; the setting (often policy) decides
        from calmline.context import Context

        if not Context.load().settings.settings.start_at_login:
            return 0
    return run_app()


def _user_error(exc: Exception) -> bool:
    """A failure the user can act on, said in one line instead of a traceback."""
    from calmline.core.commands import CommandError
    from calmline.core.problems import ProblemsError
    from calmline.store.database import StoreError

    return isinstance(exc, StoreError | ProblemsError | OSError | report.ReportError | CommandError)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    plain_output()
    out = out or sys.stdout
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.self_test:  # an option, not a command: it loads logging and Qt
            from calmline.cli.selftest import run_self_test

            return run_self_test(args, out)
        if args.command is None:
            return _open_window(args)
        _, run = COMMANDS[args.command]
        return run(args, out)
    except Exception as exc:
        if _user_error(exc):
            return fail(str(exc))
        raise
