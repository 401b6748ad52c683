"""`calmline playbook validate FILE`: a playbook's problems with file, line, step
and field, or what it holds."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from calmline.cli.parser import Subparsers

if TYPE_CHECKING:
    from calmline.core.playbook import Playbook
    from calmline.core.problems import Problem


def add_playbook(sub: Subparsers) -> None:
    pb = sub.add_parser(
        "playbook", help="validate a playbook", description="Work with playbook TOML files."
    )
    pb_sub = pb.add_subparsers(dest="playbook_command", metavar="ACTION", required=True)
    pbv = pb_sub.add_parser(
        "validate",
        help="check a playbook TOML file",
        description="Check a playbook; exit 1 listing each problem with "
        "file, line, step and field. listen_for phrases are also checked against the "
        "recogniser's dictionary (listening.model_folder, else the bundled US-English one).",
    )
    pbv.add_argument("file", type=Path)


def run_playbook(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.context import read_playbook
    from calmline.core.problems import ProblemsError

    try:
        pb = read_playbook(args.file)
        unheard = unheard_words(pb, args.file)
    except ProblemsError as exc:
        for problem in exc.problems:
            print(problem, file=out)
        return 1
    if unheard:
        for problem in unheard:
            print(problem, file=out)
        return 1
    watch = sum(1 for s in pb.steps if s.kind.value == "watch")
    print(
        f"{args.file}: valid playbook '{pb.id}' with {len(pb.steps)} steps ({watch} watch)",
        file=out,
    )
    return 0


def unheard_words(pb: Playbook, path: Path) -> list[Problem]:
    """A problem for each listen_for word the recogniser's dictionary lacks (such
    a phrase could never be heard)."""
    from calmline.audio.spotter import ModelProblem, unknown_words
    from calmline.context import Context
    from calmline.core.playbook import PLAYBOOK_MAX_BYTES, field_line
    from calmline.core.problems import Problem
    from calmline.platform.bounded import read_limited_text

    listening = Context.load().settings.settings.listening
    model = Path(listening.model_folder).expanduser() if listening.model_folder else None
    problems: list[Problem] = []
    text = ""
    for index, step in enumerate(pb.steps):
        if not step.listen_for:
            continue
        try:
            missing = unknown_words(step.listen_for, model)
        except ModelProblem as exc:
            return [Problem(str(path), f"cannot check listen_for: {exc}", key="listen_for")]
        if missing and not text:
            text = read_limited_text(path, PLAYBOOK_MAX_BYTES, "playbook")
        for word in missing:
            problems.append(
                Problem(
                    str(path),
                    f"'{word}' is not in the recogniser's dictionary, so that phrase is never "
                    "heard",
                    key=f"step '{step.id}' field 'listen_for'",
                    line=field_line(text, index, "listen_for"),
                    fix="use other words for it, or set listening.model_folder to a model "
                    "whose dictionary has it",
                )
            )
    return problems
