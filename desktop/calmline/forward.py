"""The softphone commands of the CLI: parsed here, run by the running window.

Kept apart from cli.py and free of Qt and pydantic imports: a softphone runs
these synchronously on every call, so they must start fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

FORWARDED = {"call", "note", "step", "shift", "show"}


def add_forwarded(sub: Any) -> None:
    call = sub.add_parser(
        "call",
        help="start or end a call (from the softphone)",
        description="Tell the running Calmline a call started or ended. `call start` "
        "starts Calmline first if it is not running.",
    )
    call_sub = call.add_subparsers(dest="call_command", metavar="ACTION", required=True)
    start = call_sub.add_parser(
        "start",
        help="a call started",
        description="Start a call. A softphone that appends the caller's number "
        "may pass it as NUMBER.",
    )
    start.add_argument("number", nargs="?", default="", help="caller number (same as --caller)")
    start.add_argument("--caller", default="", help="caller number")
    start.add_argument("--customer", default="", help="customer reference")
    end = call_sub.add_parser(
        "end",
        help="the call ended; opens the incident form",
        description="End the call in progress and open its incident form.",
    )
    end.add_argument(
        "number", nargs="?", default="", help="ignored: accepted because softphones append it"
    )
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


def forward(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.core.commands import Command
    from calmline.platform.instance import (
        NotRunning,
        instance_address,
        send,
        send_starting_if_needed,
    )

    if args.command == "call":
        if args.call_command == "start":
            cmd = Command(
                "call-start", {"caller": args.caller or args.number, "customer": args.customer}
            )
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
    except (ConnectionError, TimeoutError) as exc:
        print(f"calmline: no answer from the running Calmline ({exc})", file=sys.stderr)
        return NOT_RUNNING
    if not reply.ok:
        print(f"calmline: {reply.message}", file=sys.stderr)
        return 1
    print(reply.message, file=out)
    return 0
