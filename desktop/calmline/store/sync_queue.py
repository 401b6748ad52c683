"""The store's side of sync: the records waiting in the outbox as documents
(with the agent and shift day each belongs to), and marking versions the
target confirmed. Only the confirmed version leaves the outbox: a record saved
again meanwhile stays queued with its newer version."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from calmline.core.records import FollowUp, Incident, Note, Shift, StepEvent
from calmline.core.serialize import flat_record
from calmline.core.sync_docs import Confirmed, SyncDoc
from calmline.store.codec import from_row
from calmline.store.repository import Store

# record type -> (class, table, SQL joining the row to its shift as s)
_SOURCES: dict[str, tuple[type, str, str]] = {
    "shift": (Shift, "shifts", "shifts s ON s.id = t.id"),
    "incident": (Incident, "incidents", "shifts s ON s.id = t.shift_id"),
    "note": (Note, "notes", "shifts s ON s.id = t.shift_id"),
    "step_event": (
        StepEvent,
        "step_events",
        "incidents i ON i.id = t.incident_id JOIN shifts s ON s.id = i.shift_id",
    ),
    "followup": (
        FollowUp,
        "followups",
        "incidents i ON i.id = t.incident_id JOIN shifts s ON s.id = i.shift_id",
    ),
}


def pending_count(store: Store) -> int:
    return int(store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


def pending_docs(store: Store) -> list[SyncDoc]:
    """Every queued record as a document, shifts first (then incidents, ...), so
    a target never holds a child before its parent."""
    docs: list[SyncDoc] = []
    for record_type, (cls, table, join) in _SOURCES.items():
        rows = store.db.query(
            f"SELECT t.*, s.agent_id AS _agent, substr(s.started_at, 1, 10) AS _day "
            f"FROM outbox o JOIN {table} t ON t.id = o.record_id JOIN {join} "
            f"WHERE o.record_type = ? ORDER BY t.created_at",
            [record_type],
        )
        for row in rows:
            record: Any = from_row(cls, row)
            docs.append(
                SyncDoc(
                    record_type,
                    row["id"],
                    row["version"],
                    row["_agent"],
                    row["_day"],
                    flat_record(record),
                )
            )
    return docs


def mark_synced(store: Store, confirmed: Iterable[Confirmed]) -> int:
    """Drop confirmed versions from the outbox, in one transaction; returns how
    many left it."""
    with store.db.atomic():
        cur = store.db.conn.executemany(
            "DELETE FROM outbox WHERE record_type = ? AND record_id = ? AND version <= ?",
            [(c.record_type, c.record_id, c.version) for c in confirmed],
        )
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
                                      ON i.id = f.incident_id WHERE i.shift_id = s.id))
               AND NOT EXISTS (SELECT 1 FROM followups f JOIN incidents i
                               ON i.id = f.incident_id
                               WHERE i.shift_id = s.id AND f.done_at IS NULL)""",
            [before],
        )
    ]
    in_shift = "SELECT id FROM incidents WHERE shift_id = ?"
    with store.db.atomic():
        for sid in shift_ids:
            for sql in (
                f"DELETE FROM step_events WHERE incident_id IN ({in_shift})",
                f"DELETE FROM followups WHERE incident_id IN ({in_shift})",
                "DELETE FROM notes WHERE shift_id = ?",
                "DELETE FROM incidents WHERE shift_id = ?",
                "DELETE FROM shifts WHERE id = ?",
            ):
                store.db.conn.execute(sql, [sid])
    return len(shift_ids)
