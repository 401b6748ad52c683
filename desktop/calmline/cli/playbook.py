"""`calmline playbook validate FILE`: a playbook's problems with file, line, step
and field, or what it holds."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from calmline.cli.parser import Subparsers


def add_playbook(sub: Subparsers) -> None:
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


def run_playbook(args: argparse.Namespace, out: TextIO) -> int:
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
