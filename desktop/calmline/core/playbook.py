"""Playbook model and its TOML parser (text in, dataclasses out; no file access).

A playbook is bounded: at most PLAYBOOK_MAX_BYTES of text, MAX_STEPS steps, 1 to 3
phrases a step and a length cap on every text (TEXT_CHARS), so a custom file
cannot fill the window or hold up the start; parsing is linear in its size."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from calmline.core.playbook_listen import listen_for, shared_phrases
from calmline.core.problems import Problem, ProblemsError, at_most, shown, toml_error_line

PLAYBOOK_MAX_BYTES = 256 * 1024  # the built-in ones are under 8 KB
MAX_STEPS = 60  # the built-in ones have 11 and 20
MAX_PHRASES = 3
# field -> most characters; the built-in playbooks use at most a third of each
TEXT_CHARS = {
    "id": 64,
    "title": 120,
    "why": 600,
    "phrases": 300,  # each phrase
    "description": 1000,
}


class Phase(StrEnum):
    OPEN = "open"
    LISTEN = "listen"
    ACKNOWLEDGE = "acknowledge"
    SOLVE = "solve"
    CLOSE = "close"
    AFTER = "after"


class StepKind(StrEnum):
    ONCE = "once"  # ticked once when done
    WATCH = "watch"  # a standing reminder for the whole call, never ticked


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    why: str
    phrases: tuple[str, ...]
    kind: StepKind
    phase: Phase
    # phrases that, said by the agent, tick the step (lower case, words only)
    listen_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class Playbook:
    id: str
    title: str
    description: str
    steps: tuple[Step, ...]
    source: str

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def by_phase(self) -> list[tuple[Phase, list[Step]]]:
        """Steps grouped by phase, phases in call order, empty phases left out."""
        return [
            (ph, [s for s in self.steps if s.phase is ph])
            for ph in Phase
            if any(s.phase is ph for s in self.steps)
        ]


STEP_FIELDS = {"id", "title", "why", "phrases", "kind", "phase", "listen_for"}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_STEPS_HEADER = re.compile(r"^\s*\[\[\s*steps\s*\]\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


class _Lines:
    """Where things are in the text, for problem lines: each line is read once,
    however many problems a file has (a search per problem was quadratic)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # 1-based line number of each ``[[steps]]`` header, in order
        self.headers = [n for n, line in enumerate(self.lines, 1) if _STEPS_HEADER.match(line)]
        self._keys: dict[int, dict[str, int]] = {}

    def field_line(self, start: int, field: str) -> int:
        """Line of ``field =`` in the step block whose header is line ``start``
        (else ``start``)."""
        keys = self._keys.get(start)
        if keys is None:
            keys = self._keys[start] = {}
            for n in range(start, len(self.lines)):  # index `start`: the line after the header
                if self.lines[n].lstrip().startswith("["):
                    break
                if m := _KEY.match(self.lines[n]):
                    keys.setdefault(m.group(1), n + 1)
        return keys.get(field, start)


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _too_long(field: str, value: Any, what: str = "") -> str | None:
    """What is wrong when a text is longer than its field allows, else None."""
    limit = TEXT_CHARS[field]
    if isinstance(value, str) and len(value) > limit:
        return f"{what or field} is {len(value)} characters long, at most {limit}"
    return None


def parse_playbook(text: str, source: str) -> Playbook:
    """Parse and validate playbook TOML; raise ProblemsError listing the problems
    (at most MAX_PROBLEMS of them, and how many more)."""
    if len(text) > PLAYBOOK_MAX_BYTES:
        raise ProblemsError(
            [
                Problem(
                    source,
                    f"{len(text)} characters is too long for a playbook "
                    f"(at most {PLAYBOOK_MAX_BYTES})",
                    fix="give the right file, or split it",
                )
            ]
        )
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ProblemsError(
            [
                Problem(
                    source,
                    "not a playbook (values nested too deeply)",
                    fix="a playbook is a [playbook] table and [[steps]] tables of plain values",
                )
            ]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        line = toml_error_line(exc)
        raise ProblemsError(
            [Problem(source, f"not valid TOML ({exc})", line=line, fix="fix the TOML syntax")]
        ) from exc

    problems: list[Problem] = []
    meta = data.get("playbook", {})
    if not isinstance(meta, dict) or not _nonempty_str(meta.get("id")):
        problems.append(
            Problem(
                source,
                "missing [playbook] table with a non-empty id",
                key="playbook.id",
                fix='add [playbook] with id = "my-playbook"',
            )
        )
        meta = meta if isinstance(meta, dict) else {}
    for field in ("id", "title", "description"):
        value = meta.get(field)
        if field != "id" and value is not None and not isinstance(value, str):
            problems.append(
                Problem(
                    source,
                    f"{field} must be a text, got {shown(value)}",
                    key=f"playbook.{field}",
                    fix=f'write {field} = "..."',
                )
            )
        elif too_long := _too_long(field, value):
            problems.append(
                Problem(source, too_long, key=f"playbook.{field}", fix=f"shorten the {field}")
            )
    for key in sorted(set(data) - {"playbook", "steps"}):
        problems.append(
            Problem(
                source,
                f"unknown table {shown(key)}",
                key=key[:60],
                fix="allowed: [playbook] and [[steps]]",
            )
        )

    raw_steps = data.get("steps", [])
    where = _Lines(text)
    headers = where.headers
    if not isinstance(raw_steps, list) or not raw_steps:
        problems.append(
            Problem(source, "no steps", key="steps", fix="add at least one [[steps]] table")
        )
        raw_steps = []
    if len(raw_steps) > MAX_STEPS:
        problems.append(
            Problem(
                source,
                f"{len(raw_steps)} steps, at most {MAX_STEPS} (the rest not checked)",
                key="steps",
                fix="keep the checklist to what an agent can follow on a call",
            )
        )
        raw_steps = raw_steps[:MAX_STEPS]

    steps: list[Step] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_steps):
        start = headers[index] if index < len(headers) else 1
        if not isinstance(raw, dict):
            problems.append(
                Problem(
                    source,
                    f"step #{index + 1} is {shown(raw)}, not a table",
                    key="steps",
                    line=start,
                    fix="write each step as a [[steps]] table",
                )
            )
            continue
        raw_id = raw.get("id")
        name = raw_id[:60] if isinstance(raw_id, str) and raw_id else f"#{index + 1}"
        bad: list[Problem] = []

        def report(
            field: str,
            message: str,
            fix: str,
            *,
            _start: int = start,
            _name: str = name,
            _bad: list[Problem] = bad,
        ) -> None:
            _bad.append(
                Problem(
                    source,
                    message,
                    key=f"step '{_name}' field '{field[:60]}'",
                    line=where.field_line(_start, field),
                    fix=fix,
                )
            )

        for field in sorted(set(raw) - STEP_FIELDS):
            report(field, "unknown field", f"allowed fields: {', '.join(sorted(STEP_FIELDS))}")
        step_id = raw.get("id")
        if (
            not isinstance(step_id, str)
            or len(step_id) > TEXT_CHARS["id"]
            or not _ID_RE.match(step_id)
        ):
            report(
                "id",
                f"invalid id {shown(step_id)}",
                "use lower-case letters, digits and hyphens, at most "
                f'{TEXT_CHARS["id"]} of them, e.g. "let-them-vent"',
            )
        elif step_id in seen:
            report(
                "id",
                f"duplicate id '{step_id}' (first used on line {seen[step_id]})",
                "give every step its own id",
            )
        else:
            seen[step_id] = where.field_line(start, "id")
        for field in ("title", "why"):
            if not _nonempty_str(raw.get(field)):
                report(field, f"{field} is missing or empty", f"write a short {field}")
            elif too_long := _too_long(field, raw[field]):
                report(field, too_long, f"shorten the {field}")
        phrases: Any = raw.get("phrases")
        if not (
            isinstance(phrases, list)
            and 1 <= len(phrases) <= MAX_PHRASES
            and all(_nonempty_str(p) for p in phrases)
        ):
            report(
                "phrases",
                f"needs 1 to {MAX_PHRASES} non-empty phrases, got {shown(phrases)}",
                'e.g. phrases = ["I can hear how upsetting this has been."]',
            )
        else:
            for n, phrase in enumerate(phrases, 1):
                if too_long := _too_long("phrases", phrase, f"phrase {n}"):
                    report("phrases", too_long, "shorten the phrase")
        listen = listen_for(raw.get("listen_for", []), raw.get("kind") == "watch", report)
        kind: Any = raw.get("kind")
        phase: Any = raw.get("phase")
        if not isinstance(kind, str) or kind not in {k.value for k in StepKind}:
            report(
                "kind",
                f"unknown kind {shown(kind)}",
                f"use one of: {', '.join(k.value for k in StepKind)}",
            )
        if not isinstance(phase, str) or phase not in {p.value for p in Phase}:
            report(
                "phase",
                f"unknown phase {shown(phase)}",
                f"use one of: {', '.join(p.value for p in Phase)}",
            )
        if bad:
            problems.extend(bad)
            continue
        steps.append(
            Step(
                id=str(step_id),
                title=raw["title"].strip(),
                why=raw["why"].strip(),
                phrases=tuple(p.strip() for p in phrases),
                kind=StepKind(kind),
                phase=Phase(phase),
                listen_for=listen,
            )
        )
    problems.extend(
        shared_phrases(
            steps,
            lambda i, f: where.field_line(headers[i] if i < len(headers) else 1, f),
            source,
        )
    )
    if problems:
        raise ProblemsError(at_most(problems, source))
    return Playbook(
        id=meta["id"],
        title=str(meta.get("title", meta["id"])),
        description=str(meta.get("description", "")),
        steps=tuple(steps),
        source=source,
    )


def field_line(text: str, step_index: int, field: str) -> int:
    """The line of ``field =`` in the playbook text's step number ``step_index``
    (0-based): for problems found after parsing (a word the recogniser lacks)."""
    where = _Lines(text)
    headers = where.headers
    return where.field_line(headers[step_index] if step_index < len(headers) else 1, field)
