"""The store's side of sync: the records waiting in the outbox as documents
(with the agent and shift day each belongs to), and marking versions the
target confirmed. Only the confirmed version leaves the outbox: a record saved
again meanwhile stays queued with its newer version. A version a target refused
for good is set aside (with the target's reason): it stays in the outbox, never
synced and never purged, but later runs to that target skip it until the record
changes again or the agent asks for a retry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from calmline.core.records import (
    FollowUp,
    Incident,
    KeptPromise,
    MarkerProposal,
    Note,
    Shift,
    StepEvent,
)
from calmline.core.serialize import flat_record, iso
from calmline.core.sync_docs import Confirmed, SyncDoc
from calmline.store.codec import from_row
from calmline.store.database import writing
from calmline.store.repository import Store

_OF_INCIDENT = "incidents i ON i.id = t.incident_id JOIN shifts s ON s.id = i.shift_id"
# record type -> (class, table, SQL joining the row to its shift as s)
_SOURCES: dict[str, tuple[type, str, str]] = {
    "shift": (Shift, "shifts", "shifts s ON s.id = t.id"),
    "incident": (Incident, "incidents", "shifts s ON s.id = t.shift_id"),
    "note": (Note, "notes", "shifts s ON s.id = t.shift_id"),
    "step_event": (StepEvent, "step_events", _OF_INCIDENT),
    "followup": (FollowUp, "followups", _OF_INCIDENT),
    "marker": (MarkerProposal, "markers", _OF_INCIDENT),
    "promise_kept": (KeptPromise, "kept_promises", _OF_INCIDENT),
}


@dataclass(frozen=True)
class SetAside:
    """A record version a target refused for good, and the target's reason."""

    record_type: str
    record_id: str
    version: int
    reason: str
    target: str = ""  # the target's name (no secret), filled in when stored
    set_aside_at: str = ""  # ISO UTC


def pending_count(store: Store) -> int:
    """Records the team store has not confirmed (set-aside ones included)."""
    return int(store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


def pending_docs(
    store: Store, target: str | None = None, share_voice: bool = False
) -> list[SyncDoc]:
    """Every queued record as a document, shifts first (then incidents, ...), so
    a target never holds a child before its parent. With ``target``, versions
    that target set aside are left out. An incident's voice figures stay on
    this computer unless IT shares them (``share_voice``: sync.share_voice_figures)."""
    docs: list[SyncDoc] = []
    for record_type, (cls, table, join) in _SOURCES.items():
        rows = store.db.query(
            f"SELECT t.*, s.agent_id AS _agent, substr(s.started_at, 1, 10) AS _day "
            f"FROM outbox o JOIN {table} t ON t.id = o.record_id JOIN {join} "
            "WHERE o.record_type = ? AND NOT EXISTS (SELECT 1 FROM sync_set_aside a "
            "WHERE a.record_type = o.record_type AND a.record_id = o.record_id "
            "AND a.version >= t.version AND a.target = ?) ORDER BY t.created_at",
            [record_type, target],
        )
        for row in rows:
            record: Any = from_row(cls, row)
            fields = flat_record(record)
            if record_type == "incident" and not share_voice:
                del fields["voice"]
            docs.append(
                SyncDoc(
                    record_type,
                    row["id"],
                    row["version"],
                    row["_agent"],
                    row["_day"],
                    fields,
                )
            )
    return docs


def mark_synced(store: Store, confirmed: Iterable[Confirmed]) -> int:
    """Drop confirmed versions from the outbox (and from the set-aside list), in
    one transaction; returns how many left the outbox."""
    rows = [(c.record_type, c.record_id, c.version) for c in confirmed]
    with writing(store.db):
        cur = store.db.conn.executemany(
            "DELETE FROM outbox WHERE record_type = ? AND record_id = ? AND version <= ?", rows
        )
        left = int(cur.rowcount)
        store.db.conn.executemany(
            "DELETE FROM sync_set_aside WHERE record_type = ? AND record_id = ? AND version <= ?",
            rows,
        )
    return left


def mark_set_aside(store: Store, target: str, refused: Iterable[SetAside]) -> int:
    """Remember versions ``target`` refused for good, with its reasons; returns how many."""
    now = iso(datetime.now(UTC))
    rows = [(r.record_type, r.record_id, r.version, target, r.reason, now) for r in refused]
    with writing(store.db):
        store.db.conn.executemany(
            "INSERT INTO sync_set_aside (record_type, record_id, version, target, reason, "
            "set_aside_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (record_type, record_id) DO "
            "UPDATE SET version = excluded.version, target = excluded.target, "
            "reason = excluded.reason, set_aside_at = excluded.set_aside_at",
            rows,
        )
    return len(rows)


def set_aside_records(store: Store) -> list[SetAside]:
    """The records still set aside (not changed since), oldest first."""
    rows = store.db.execute(
        "SELECT a.record_type, a.record_id, a.version, a.reason, a.target, a.set_aside_at "
        "FROM sync_set_aside a JOIN outbox o ON o.record_type = a.record_type "
        "AND o.record_id = a.record_id AND o.version <= a.version ORDER BY a.set_aside_at"
    ).fetchall()
    return [SetAside(*r) for r in rows]


def retry_set_aside(store: Store) -> int:
    """Forget every refusal, so the next run sends those records again; returns how many."""
    with writing(store.db):
        cur = store.db.conn.execute("DELETE FROM sync_set_aside")
    return int(cur.rowcount)


def purge_synced(store: Store, before: str) -> int:
    """Delete whole shifts that ended before ``before`` (ISO UTC) once every record
    of theirs is confirmed by the team store and no follow-up of theirs is still
    open; returns how many shifts went. An unsynced record is never purged."""
    shift_ids = [
        r[0]
        for r in store.db.execute(
            """SELECT s.id FROM shifts s
               WHERE s.ended_at IS NOT NULL AND s.ended_at < ?
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = s.id
                   OR o.record_id IN (SELECT id FROM incidents WHERE shift_id = s.id)
                   OR o.record_id IN (SELECT id FROM notes WHERE shift_id = s.id)
                   OR o.record_id IN (SELECT e.id FROM step_events e JOIN incidents i
                                      ON i.id = e.incident_id WHERE i.shift_id = s.id)
                   OR o.record_id IN (SELECT f.id FROM followups f JOIN incidents i
                                      ON i.id = f.incident_id WHERE i.shift_id = s.id)
                   OR o.record_id IN (SELECT m.id FROM markers m JOIN incidents i
                                      ON i.id = m.incident_id WHERE i.shift_id = s.id)
                   OR o.record_id IN (SELECT k.id FROM kept_promises k JOIN incidents i
                                      ON i.id = k.incident_id WHERE i.shift_id = s.id))
               AND NOT EXISTS (SELECT 1 FROM followups f JOIN incidents i
                               ON i.id = f.incident_id
                               WHERE i.shift_id = s.id AND f.done_at IS NULL)""",
            [before],
        )
    ]
    in_shift = "SELECT id FROM incidents WHERE shift_id = ?"
    with writing(store.db):
        for sid in shift_ids:
            for sql in (
                f"DELETE FROM step_events WHERE incident_id IN ({in_shift})",
                f"DELETE FROM followups WHERE incident_id IN ({in_shift})",
                f"DELETE FROM markers WHERE incident_id IN ({in_shift})",
                f"DELETE FROM kept_promises WHERE incident_id IN ({in_shift})",
                "DELETE FROM notes WHERE shift_id = ?",
                "DELETE FROM incidents WHERE shift_id = ?",
                "DELETE FROM shifts WHERE id = ?",
            ):
                store.db.conn.execute(sql, [sid])
    return len(shift_ids)
