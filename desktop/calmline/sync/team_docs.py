"""A sync document read back from the team store, as the caller-facing value
core/team.py names. Another agent's documents (the folder target) and a
server's answers (HTTPS) are data from outside: anything that is not one of
Calmline's documents, or holds a text longer than any Calmline writes, is
refused with one line that says what is wrong and where, never half-read."""

from __future__ import annotations

import dataclasses
from typing import Any

from calmline.core.serialize import from_plain
from calmline.core.sync_docs import SCHEMA_ID
from calmline.core.team import (
    CautionMarker,
    MarkerDecision,
    PromiseKept,
    TeamChanges,
    TeamIncident,
    TeamPromise,
)

TeamValue = TeamIncident | TeamPromise | PromiseKept | CautionMarker | MarkerDecision
# Document type -> the value it becomes. Shifts, notes and step events stay
# the agent's own: the team read side never hands them out.
READ_TYPES: dict[str, type] = {
    "incident": TeamIncident,
    "followup": TeamPromise,
    "promise_kept": PromiseKept,
    "marker": CautionMarker,
    "marker_decision": MarkerDecision,
}
# Document type -> the list of core.team.TeamChanges it goes into.
LISTS = {
    "incident": "incidents",
    "followup": "promises",
    "promise_kept": "kept",
    "marker": "markers",
    "marker_decision": "decisions",
}
MAX_TEXT = 20_000  # characters in one field: more than the incident form lets anyone write
MAX_ID = 64


class ForeignDocument(ValueError):
    """Not one of Calmline's documents (or not one the read side hands out)."""


def team_value(document: Any) -> TeamValue | None:
    """The value a sync document holds; None for a document of Calmline's that
    the team read side does not hand out (a shift, a note, a step event).
    Raises ForeignDocument saying what is wrong."""
    if not isinstance(document, dict):
        raise ForeignDocument("not a JSON object")
    if document.get("schema") != SCHEMA_ID:
        raise ForeignDocument(f"its schema is not {SCHEMA_ID}")
    kind = document.get("type")
    if kind in ("shift", "note", "step_event"):
        return None
    cls = READ_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ForeignDocument(f"unknown document type {str(kind)[:40]!r}")
    record, agent = document.get("record"), document.get("agent_id")
    version = document.get("version")
    if not isinstance(record, dict) or not isinstance(agent, str) or not agent:
        raise ForeignDocument("no record or no agent_id")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ForeignDocument("its version is not a whole number of 1 or more")
    if not isinstance(document.get("id"), str) or record.get("id") != document["id"]:
        raise ForeignDocument("its id and its record's id differ")
    value: TeamValue = value_of(cls, {**record, "version": version, "agent_id": agent})
    return value


def value_of(cls: type[Any], data: dict[str, Any]) -> Any:
    """``data`` (a plain dict, e.g. from a server's answer) as a ``cls`` value;
    ForeignDocument when a field is missing, of the wrong kind, or too long."""
    for name in ("id", "agent_id"):
        if not isinstance(data.get(name), str) or not 0 < len(data[name]) <= MAX_ID:
            raise ForeignDocument(f"its {name} is missing or longer than {MAX_ID} characters")
    for key, value in data.items():
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise ForeignDocument(f"its field {str(key)[:40]!r} is over {MAX_TEXT} characters")
    try:
        value = from_plain(cls, data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ForeignDocument(
            f"a field cannot be read ({type(exc).__name__}: {exc})"[:200]
        ) from exc
    for f in dataclasses.fields(value):
        if f.default is dataclasses.MISSING and f.name not in data:
            raise ForeignDocument(f"it has no {f.name}")
        got = getattr(value, f.name)
        if got is not None and f.type in ("str", "int") and type(got).__name__ != f.type:
            raise ForeignDocument(f"its {f.name} is not a {f.type}")
    return value


def add(out: TeamChanges, value: TeamValue) -> None:
    """``value`` into the list of ``out`` its kind goes to."""
    kind = next(key for key, cls in READ_TYPES.items() if isinstance(value, cls))
    getattr(out, LISTS[kind]).append(value)
