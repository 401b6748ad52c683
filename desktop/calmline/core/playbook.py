"""Playbook model and its TOML parser (text in, dataclasses out; no file access)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from calmline.core.problems import Problem, ProblemsError, toml_error_line


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


STEP_FIELDS = {"id", "title", "why", "phrases", "kind", "phase"}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_STEPS_HEADER = re.compile(r"^\s*\[\[\s*steps\s*\]\]")


def _step_lines(text: str) -> list[int]:
    """1-based line number of each ``[[steps]]`` header, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1) if _STEPS_HEADER.match(line)]


def _field_line(text: str, start: int, field: str) -> int:
    """Line of ``field =`` inside the step block starting at ``start`` (else ``start``)."""
    lines = text.splitlines()
    pat = re.compile(rf"^\s*{re.escape(field)}\s*=")
    for n in range(start, len(lines)):  # 0-based index `start` is the line after the header
        if lines[n].lstrip().startswith("["):
            break
        if pat.match(lines[n]):
            return n + 1
    return start


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def parse_playbook(text: str, source: str) -> Playbook:
    """Parse and validate playbook TOML; raise ProblemsError listing every problem."""
    try:
        data = tomllib.loads(text)
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
    for key in set(data) - {"playbook", "steps"}:
        problems.append(
            Problem(
                source, f"unknown table '{key}'", key=key, fix="allowed: [playbook] and [[steps]]"
            )
        )

    raw_steps = data.get("steps", [])
    headers = _step_lines(text)
    if not isinstance(raw_steps, list) or not raw_steps:
        problems.append(
            Problem(source, "no steps", key="steps", fix="add at least one [[steps]] table")
        )
        raw_steps = []

    steps: list[Step] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_steps):
        start = headers[index] if index < len(headers) else 1
        name = (
            raw.get("id") if isinstance(raw.get("id"), str) and raw.get("id") else f"#{index + 1}"
        )
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
                    key=f"step '{_name}' field '{field}'",
                    line=_field_line(text, _start, field),
                    fix=fix,
                )
            )

        for field in sorted(set(raw) - STEP_FIELDS):
            report(field, "unknown field", f"allowed fields: {', '.join(sorted(STEP_FIELDS))}")
        step_id = raw.get("id")
        if not isinstance(step_id, str) or not _ID_RE.match(step_id):
            report(
                "id",
                f"invalid id {step_id!r}",
                'use lower-case letters, digits and hyphens, e.g. "let-them-vent"',
            )
        elif step_id in seen:
            report(
                "id",
                f"duplicate id '{step_id}' (first used on line {seen[step_id]})",
                "give every step its own id",
            )
        else:
            seen[step_id] = _field_line(text, start, "id")
        for field in ("title", "why"):
            if not _nonempty_str(raw.get(field)):
                report(field, f"{field} is missing or empty", f"write a short {field}")
        phrases = raw.get("phrases")
        if not (
            isinstance(phrases, list)
            and 1 <= len(phrases) <= 3
            and all(_nonempty_str(p) for p in phrases)
        ):
            report(
                "phrases",
                f"needs 1 to 3 non-empty phrases, got {phrases!r}",
                'e.g. phrases = ["I can hear how upsetting this has been."]',
            )
        kind, phase = raw.get("kind"), raw.get("phase")
        if kind not in {k.value for k in StepKind}:
            report(
                "kind",
                f"unknown kind {kind!r}",
                f"use one of: {', '.join(k.value for k in StepKind)}",
            )
        if phase not in {p.value for p in Phase}:
            report(
                "phase",
                f"unknown phase {phase!r}",
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
            )
        )
    if problems:
        raise ProblemsError(problems)
    return Playbook(
        id=meta["id"],
        title=str(meta.get("title", meta["id"])),
        description=str(meta.get("description", "")),
        steps=tuple(steps),
        source=source,
    )
