"""The softphone commands of the CLI: parsed here, run by the running window.

Kept apart from cli.py and free of Qt and pydantic imports: a softphone runs
these synchronously on every call, so they must start fast.

What a softphone appends to `call start` and `call end` is the caller's id, which
the caller controls: it may be "-rf", "--help" or "--caller". So those two are not
parsed by argparse (which would read such a word as an option, print help or fail)
but by ``call_words``: only ``--caller``/``--customer`` (with the next word, or
``=`` and a value) and ``--`` are options; every other word is the number.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, TextIO

FORWARDED = {"call", "note", "step", "shift", "show"}
SOFTPHONE = {("call", "start"), ("call", "end")}  # their words are read by call_words

CALL_HELP = """call start [NUMBER] [--caller N] [--customer REF]
  A call started. NUMBER (what a softphone appends) and --caller are the same; if
  both are given, --caller wins. Every word after `call start` other than --caller,
  --customer, their values and `--` is taken as the number, whatever it starts with
  ("-rf", "--help", "-123"): the caller sets their own id. Several such words are
  joined with spaces. Forms: --caller N, --caller=N, `-- -123`.
call end [NUMBER]
  The call ended; opens the incident form. Any words after it are ignored (softphones
  append the number)."""


def add_forwarded(sub: Any) -> None:
    call = sub.add_parser(
        "call",
        help="start or end a call (from the softphone)",
        description="Tell the running Calmline a call started or ended. `call start` "
        "starts Calmline first if it is not running.",
        epilog=CALL_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    call_sub = call.add_subparsers(dest="call_command", metavar="ACTION", required=True)
    # No options here: the words after these two are read by call_words (see above),
    # so `calmline call --help` is where they are described.
    call_sub.add_parser("start", help="a call started (see `calmline call --help`)", add_help=False)
    call_sub.add_parser("end", help="the call ended; opens the incident form", add_help=False)
    note = sub.add_parser(
        "note",
        help="a timestamped note on the current call",
        description="Save a note with its call time (outside a call: a shift note).",
    )
    note.add_argument("text", nargs="+", help="the note; several words are joined")
    step = sub.add_parser("step", help="tick the current step", description="Work the checklist.")
    step_sub = step.add_subparsers(dest="step_command", metavar="ACTION", required=True)
    step_sub.add_parser("next", help="tick the current step and move on")
    shift = sub.add_parser(
        "shift", help="start or end a shift", description="Start or end the shift."
    )
    shift_sub = shift.add_subparsers(dest="shift_command", metavar="ACTION", required=True)
    sstart = shift_sub.add_parser("start", help="start a shift (starts Calmline if needed)")
    sstart.add_argument("--agent", default="", help="agent id (default: agent_id setting)")
    shift_sub.add_parser("end", help="end the shift")
    sub.add_parser("show", help="show the window (starts Calmline if needed)")


NOT_RUNNING = 3
REFUSED = 1


def softphone_split(argv: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """(``["call", "start"]``, the words after it) for the two softphone commands,
    else None (argparse reads everything)."""
    if len(argv) >= 2 and (argv[0], argv[1]) in SOFTPHONE:
        return list(argv[:2]), list(argv[2:])
    return None


def call_words(args: argparse.Namespace, words: Sequence[str]) -> None:
    """Set ``args.caller`` and ``args.customer`` from the words after `call start`
    (or `call end`, where they are ignored), by the rule in CALL_HELP."""
    caller: str | None = None
    customer = ""
    number: list[str] = []
    literal = False
    i = 0
    while i < len(words):
        word = words[i]
        name, eq, value = word.partition("=")
        if literal:
            number.append(word)
        elif word == "--":
            literal = True
        elif name in ("--caller", "--customer") and (eq or i + 1 < len(words)):
            if not eq:
                i += 1
                value = words[i]
            if name == "--caller":
                caller = value
            else:
                customer = value
        else:
            number.append(word)
        i += 1
    args.caller = caller if caller else " ".join(number)
    args.customer = customer


def forward(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.core.commands import Command, CommandError, check_command
    from calmline.platform.instance import (
        InstanceRefused,
        NotRunning,
        instance_address,
        send,
        send_starting_if_needed,
    )

    if args.command == "call":
        if args.call_command == "start":
            cmd = Command("call-start", {"caller": args.caller, "customer": args.customer})
        else:
            cmd = Command("call-end")
    elif args.command == "note":
        cmd = Command("note", {"text": " ".join(args.text)})
    elif args.command == "step":
        cmd = Command("step-next")
    elif args.command == "shift":
        agent = {"agent": args.agent} if args.shift_command == "start" else {}
        cmd = Command(f"shift-{args.shift_command}", agent)
    else:
        cmd = Command("show")
    try:  # refused here, before Calmline is started for it
        cmd = check_command(cmd)
    except CommandError as exc:
        print(f"calmline: {exc}", file=sys.stderr)
        return REFUSED
    address = instance_address()
    try:
        if cmd.name in {"call-start", "show", "shift-start"}:
            reply = send_starting_if_needed(address, cmd)
        else:
            reply = send(address, cmd)
    except NotRunning as exc:
        detail = str(exc) if "Calmline" in str(exc) else "Calmline is not running"
        print(f"calmline: {detail} — start it with `calmline`", file=sys.stderr)
        return NOT_RUNNING
    except InstanceRefused as exc:  # someone else's folder, socket or server: said as it is
        print(f"calmline: {exc}", file=sys.stderr)
        return NOT_RUNNING
    except (ConnectionError, TimeoutError) as exc:
        print(f"calmline: no answer from the running Calmline ({exc})", file=sys.stderr)
        return NOT_RUNNING
    if not reply.ok:
        print(f"calmline: {reply.message}", file=sys.stderr)
        return REFUSED
    print(reply.message, file=out)
    return 0
