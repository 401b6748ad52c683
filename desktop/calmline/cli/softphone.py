"""The softphone commands of the CLI: `call`, `note`, `step`, `shift` and `show`,
parsed here and run by the running window (sent to it as a core.commands.Command).

Free of Qt and pydantic imports: a softphone runs these synchronously on every
call, so they must start fast.

What a softphone appends to `call start` and `call end` is the caller's id, which
the caller controls: it may be "-rf", "--help" or "--caller". So those two are not
parsed by argparse (which would read such a word as an option, print help or fail)
but by ``call_words``: only ``--caller``/``--customer`` (with the next word, or
``=`` and a value) and ``--`` are options; every other word is the number.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from calmline.cli.common import REFUSED, fail
from calmline.cli.parser import Subparsers

if TYPE_CHECKING:
    from calmline.core.commands import Command

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


def add_call(sub: Subparsers) -> None:
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


def add_note(sub: Subparsers) -> None:
    note = sub.add_parser(
        "note",
        help="a timestamped note on the current call",
        description="Save a note with its call time (outside a call: a shift note).",
    )
    note.add_argument("text", nargs="+", help="the note; several words are joined")


def add_step(sub: Subparsers) -> None:
    step = sub.add_parser("step", help="tick the current step", description="Work the checklist.")
    step_sub = step.add_subparsers(dest="step_command", metavar="ACTION", required=True)
    step_sub.add_parser("next", help="tick the current step and move on")


def add_shift(sub: Subparsers) -> None:
    shift = sub.add_parser(
        "shift", help="start or end a shift", description="Start or end the shift."
    )
    shift_sub = shift.add_subparsers(dest="shift_command", metavar="ACTION", required=True)
    sstart = shift_sub.add_parser("start", help="start a shift (starts Calmline if needed)")
    sstart.add_argument("--agent", default="", help="agent id (default: agent_id setting)")
    shift_sub.add_parser("end", help="end the shift")


def add_show(sub: Subparsers) -> None:
    sub.add_parser("show", help="show the window (starts Calmline if needed)")


NOT_RUNNING = 3  # the exit status when no running Calmline answers


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


def command_of(args: argparse.Namespace) -> Command:
    """The command a softphone's words stand for."""
    from calmline.core.commands import Command, Name

    if args.command == "call":
        if args.call_command == "start":
            return Command(Name.CALL_START, {"caller": args.caller, "customer": args.customer})
        return Command(Name.CALL_END)
    if args.command == "note":
        return Command(Name.NOTE, {"text": " ".join(args.text)})
    if args.command == "step":
        return Command(Name.STEP_NEXT)
    if args.command == "shift":
        if args.shift_command == "start":
            return Command(Name.SHIFT_START, {"agent": args.agent})
        return Command(Name.SHIFT_END)
    return Command(Name.SHOW)


def run_softphone(args: argparse.Namespace, out: TextIO) -> int:
    """Send the command to the running Calmline (started first when it is not
    running, for the commands that open it) and print its answer; the exit status
    says done, refused or not reachable."""
    from calmline.core.commands import CommandError, Name, check_command
    from calmline.platform.instance import (
        InstanceRefused,
        NotRunning,
        instance_address,
        send,
        send_starting_if_needed,
    )

    try:  # refused here, before Calmline is started for it
        cmd = check_command(command_of(args))
    except CommandError as exc:
        return fail(str(exc), REFUSED)
    address = instance_address()
    try:
        if cmd.name in {Name.CALL_START, Name.SHOW, Name.SHIFT_START}:
            reply = send_starting_if_needed(address, cmd)
        else:
            reply = send(address, cmd)
    except NotRunning as exc:
        detail = str(exc) if "Calmline" in str(exc) else "Calmline is not running"
        return fail(f"{detail} — start it with `calmline`", NOT_RUNNING)
    except InstanceRefused as exc:  # someone else's folder, socket or server: said as it is
        return fail(str(exc), NOT_RUNNING)
    except (ConnectionError, TimeoutError) as exc:
        return fail(f"no answer from the running Calmline ({exc})", NOT_RUNNING)
    if not reply.ok:
        return fail(reply.message, REFUSED)
    print(reply.message, file=out)
    return 0
