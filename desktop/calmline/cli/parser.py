"""The top of the command line: its parser class, the texts of `calmline --help`
and the options that take no command (--version, --self-test, --at-login). Each
command adds its own parser (see the table in calmline.cli)."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from calmline import __version__

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

# What a command's add function is given: argparse's subparsers action (the class
# is private to argparse), whose add_parser makes a Parser.
Subparsers = Any


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (what, and where the help is), however
    long or odd the word it quotes; subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        from calmline.core.commands import as_text

        text = as_text(message)
        if len(text) > ERROR_CHARS:
            text = text[:ERROR_CHARS] + "…"
        self.exit(2, f"{self.prog}: {text} — see `{self.prog} --help`\n")


def top_parser() -> tuple[Parser, Subparsers]:
    """`calmline` with its own options, and the place its commands are added."""
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
    return p, p.add_subparsers(dest="command", metavar="COMMAND")
