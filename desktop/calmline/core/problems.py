"""A user-facing problem report: where it is, what is wrong, how to fix it."""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass
from typing import Any

MAX_PROBLEMS = 20  # listed per file; the rest are counted in one more line
_REPR = reprlib.Repr()  # (keyword arguments only from Python 3.12)
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, 60, 60
_REPR.maxdict = _REPR.maxlist = _REPR.maxtuple = _REPR.maxset = 4


def shown(value: Any) -> str:
    """A value as a problem quotes it: short whatever its size or depth, and never
    a secret it holds (a password or token in a URL-like value)."""
    if isinstance(value, str):
        from calmline.core.redact import redact_target

        value = redact_target(value)
    text = _REPR.repr(value)
    if isinstance(value, str) and len(value) > _REPR.maxstring:
        text += f" ({len(value)} characters)"
    return text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file a person wrote (settings, playbook...)."""

    source: str
    message: str
    key: str = ""
    line: int | None = None
    fix: str = ""

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        text = f"{where}: {self.key + ': ' if self.key else ''}{self.message}"
        return f"{text} — {self.fix}" if self.fix else text


def at_most(problems: list[Problem], source: str) -> list[Problem]:
    """The first MAX_PROBLEMS problems, and one line counting the rest."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    more = Problem(source, f"{rest} more problems not listed", fix="fix the ones above first")
    return [*problems[:MAX_PROBLEMS], more]


class ProblemsError(ValueError):
    """Raised when a file cannot be used at all; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def toml_error_line(exc: Exception) -> int | None:
    """The line a tomllib.TOMLDecodeError points at (the attribute is 3.14+ only)."""
    line = getattr(exc, "lineno", None)
    if isinstance(line, int):
        return line
    match = re.search(r"at line (\d+)", str(exc))
    return int(match.group(1)) if match else None
