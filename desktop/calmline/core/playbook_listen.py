"""A playbook step's ``listen_for`` phrases (heard steps): what the agent says
that marks the step. Checked as strictly as the rest of a playbook: 1 to
MAX_LISTEN short phrases of plain words (the recogniser's dictionary has no
digits or punctuation), none shared between two steps, none on a reminder
(it is never ticked). Whether each word is in the recogniser's dictionary is
the engine's to say (`calmline playbook validate` asks it)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from calmline.core.problems import Problem, shown

MAX_LISTEN = 5
LISTEN_WORDS = 8  # a short phrase: a sentence would rarely be said word for word
LISTEN_CHARS = 60  # each phrase
_LISTEN_RE = re.compile(r"^[a-z']+( [a-z']+)*$")
Report = Callable[[str, str, str], None]  # field, what is wrong, the fix


class Listening(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def listen_for(self) -> tuple[str, ...]: ...


def _too_long(raw: str, n: int) -> str | None:
    if len(raw) > LISTEN_CHARS:
        return f"phrase {n} is {len(raw)} characters long, at most {LISTEN_CHARS}"
    return None


def normal_phrase(text: str) -> str:
    """A listen_for phrase as it is matched: lower case, curly apostrophes
    straightened, single spaces."""
    return " ".join(text.lower().replace("\u2019", "'").split())


def listen_for(value: Any, watch: bool, report: Report) -> tuple[str, ...]:
    """The step's listen_for phrases, normalised; problems go to ``report``."""
    if value == []:
        return ()
    example = 'e.g. listen_for = ["i understand", "that sounds frustrating"]'
    if not (isinstance(value, list) and 1 <= len(value) <= MAX_LISTEN):
        report("listen_for", f"needs 1 to {MAX_LISTEN} phrases, got {shown(value)}", example)
        return ()
    if watch:
        report(
            "listen_for",
            "a reminder for the whole call is never ticked, so nothing can be heard for it",
            'remove listen_for from this step, or make it kind = "once"',
        )
    phrases: list[str] = []
    for n, raw in enumerate(value, 1):
        if not (isinstance(raw, str) and raw.strip()):
            report("listen_for", f"phrase {n} is {shown(raw)}, not a phrase", example)
            continue
        if too_long := _too_long(raw, n):
            report("listen_for", too_long, "listen for a few words the agent says, not a sentence")
            continue
        phrase = normal_phrase(raw)
        if not _LISTEN_RE.match(phrase):
            report(
                "listen_for",
                f"phrase {n} {shown(raw)} has characters other than letters, "
                "apostrophes and spaces",
                'write the words as spoken: no digits or punctuation ("two days", not "2 days")',
            )
        elif len(phrase.split()) > LISTEN_WORDS:
            report(
                "listen_for",
                f"phrase {n} has {len(phrase.split())} words, at most {LISTEN_WORDS}",
                "listen for the few words that mark the step",
            )
        elif phrase in phrases:
            report("listen_for", f"phrase {n} {shown(raw)} is listed twice", "list it once")
        else:
            phrases.append(phrase)
    return tuple(phrases)


def shared_phrases(
    steps: Sequence[Listening], line_of: Callable[[int, str], int], source: str
) -> list[Problem]:
    """A phrase two steps listen for could tick either: say which."""
    first: dict[str, str] = {}
    problems: list[Problem] = []
    for index, step in enumerate(steps):
        for phrase in step.listen_for:
            other = first.setdefault(phrase, step.id)
            if other != step.id:
                problems.append(
                    Problem(
                        source,
                        f"'{phrase}' is also a phrase of step '{other}'",
                        key=f"step '{step.id}' field 'listen_for'",
                        line=line_of(index, "listen_for"),
                        fix="give each phrase to one step",
                    )
                )
    return problems
