"""What a sync sends: one document per record version, and the rule that makes
an interrupted sync safe to run again — a target keeps the highest version of a
record, so sending a version it already has (or older) changes nothing and
counts as confirmed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SCHEMA_ID = "calmline.sync-document/1"
RECORD_TYPES = (
    "shift",
    "incident",
    "note",
    "step_event",
    "followup",
    "marker",  # a caution marker proposed by the agent (core/team.CautionMarker)
    "promise_kept",  # another agent's promise, recorded kept on this agent's call
    "marker_decision",  # a team lead's approve/reject/renew, written by `calmline markers`
)


@dataclass(frozen=True)
class SyncDoc:
    record_type: str  # one of RECORD_TYPES
    record_id: str  # the record's UUID
    version: int
    agent_id: str
    shift_day: str  # yyyy-mm-dd (UTC) of the shift the record belongs to
    record: dict[str, Any]  # the record's fields, JSON-ready

    @property
    def key(self) -> tuple[str, str]:
        return (self.record_type, self.record_id)

    def document(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_ID,
            "type": self.record_type,
            "id": self.record_id,
            "version": self.version,
            "agent_id": self.agent_id,
            "shift_day": self.shift_day,
            "record": self.record,
        }


@dataclass(frozen=True)
class Confirmed:
    """A target holds this version of the record (or a newer one)."""

    record_type: str
    record_id: str
    version: int


def accepts(incoming: int, held: int | None) -> bool:
    """Whether a target holding version ``held`` (None: nothing) should store
    ``incoming``. Either way the incoming version counts as confirmed."""
    return held is None or incoming > held


_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def path_part(text: str) -> str:
    """An agent id as one safe folder name on Windows, macOS and Linux."""
    cleaned = _UNSAFE.sub("_", text).strip("._") or "unknown-agent"
    return cleaned[:64]
