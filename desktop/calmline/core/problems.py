"""A user-facing problem report: where it is, what is wrong, how to fix it."""

from __future__ import annotations

import re
from dataclasses import dataclass


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
