"""Repositories: save and load core records; every save bumps the version,
stamps updated_at and queues the record in the outbox, in one transaction."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

from calmline.core.records import (
    FollowUp,
    Incident,
    IncidentStatus,
    KeptPromise,
    MarkerProposal,
    Meta,
    Note,
    Shift,
    StepEvent,
)
from calmline.store.codec import from_row, iso, to_row
from calmline.store.search import SearchQuery, categories, search

R = TypeVar("R", Shift, Incident, Note, StepEvent, FollowUp, MarkerProposal, KeptPromise)

TABLES: dict[type, str] = {
    Shift: "shifts",
    Incident: "incidents",
    Note: "notes",
    StepEvent: "step_events",
    FollowUp: "followups",
    MarkerProposal: "markers",
    KeptPromise: "kept_promises",
}
RECORD_TYPES = {cls: table.rstrip("s") for cls, table in TABLES.items()} | {
    KeptPromise: "promise_kept"  # the sync document's type (core/sync_docs.RECORD_TYPES)
}
LISTED_BY: dict[type, str] = {
    Incident: "see `calmline incidents list`",
    FollowUp: "see `calmline followups`",
    Shift: "see `calmline report --list-shifts`",
    MarkerProposal: "see `calmline markers list`",
    KeptPromise: "see `calmline followups`",
}


ID_CHARS = 36  # a uuid4 as text
_ID_PREFIX = re.compile(rf"[0-9a-f-]{{1,{ID_CHARS}}}")
_IN_CHUNK = 500  # ids per IN (...): well under SQLite's 32766 host parameters


class StaleRecordError(RuntimeError):
    """The record changed in the store since it was read."""


class NotFoundError(KeyError):
    pass


class SaveRefused(RuntimeError):
    """The database (or the disk under it) refused a write; the message says why
    and the fix in one phrase (a full disk, a read-only folder...)."""


@dataclass(frozen=True)
class StoreHealth:
    """What `calmline doctor` says of the local database."""

    ok: bool  # PRAGMA quick_check
    schema: int  # migrations applied
    latest: int  # migrations this Calmline knows
    journal_mode: str
    incidents: int
    unsynced: int


@dataclass(frozen=True)
class OutboxEntry:
    record_type: str
    record_id: str
    version: int


class Store:
    """All reads and writes of the local database. Not shared across threads."""

    @classmethod
    def open(cls, path: Path) -> Store:
        """The store in the database file at ``path`` (created or migrated; StoreError
        says why not): the one way to a store from above store/."""
        from calmline.store.database import open_database

        return cls(open_database(path))

    def __init__(self, db: Database, clock: Callable[[], datetime] | None = None) -> None:
        self.db = db  # only store/ (and tests) touch the handle: the layer test checks
        self._clock = clock or (lambda: datetime.now(UTC))

    # -- the handle ----------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All the saves inside, or none; then the write-ahead log is copied into
        the database file. SaveRefused (with the reason and fix) when the database
        or the disk refuses."""
        from calmline.store.database import checkpoint, failure_text, writing

        try:
            with writing(self.db):
                yield
        except (sqlite3.Error, OSError) as exc:
            raise SaveRefused(failure_text(exc)) from exc
        checkpoint(self.db)

    def close(self) -> None:
        self.db.close()

    def health(self) -> StoreHealth:
        """sqlite3.DatabaseError when the file cannot be read at all."""
        from calmline.store.database import latest_schema_version, schema_version

        db = self.db
        return StoreHealth(
            ok=db.execute("PRAGMA quick_check").fetchone()[0] == "ok",
            schema=schema_version(db),
            latest=latest_schema_version(),
            journal_mode=str(db.execute("PRAGMA journal_mode").fetchone()[0]),
            incidents=db.table("incidents").count,
            unsynced=len(self.outbox()),
        )

    # -- writing -----------------------------------------------------------
    def save(self, record: R) -> R:
        """Insert or update ``record``; returns it with its new version and times."""
        table = TABLES[type(record)]
        now = self._clock()
        old = record.meta
        meta = Meta(
            id=old.id, version=old.version + 1, created_at=old.created_at or now, updated_at=now
        )
        saved = replace(record, meta=meta)
        row = to_row(saved)
        conn = self.db.conn
        with self.db.atomic():
            if old.version == 0:
                try:
                    self.db.table(table).insert(row)
                except sqlite3.IntegrityError as exc:
                    if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
                        raise StaleRecordError(f"{table} {old.id} already exists") from exc
                    raise
            else:
                cols = [c for c in row if c != "id"]
                cur = conn.execute(
                    f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in cols)} "
                    "WHERE id = ? AND version = ?",
                    [row[c] for c in cols] + [old.id, old.version],
                )
                if cur.rowcount != 1:
                    raise StaleRecordError(
                        f"{table} {old.id} version {old.version} is not the "
                        "stored version; reload it and apply the change again"
                    )
            conn.execute(
                "INSERT INTO outbox (record_type, record_id, version, queued_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (record_type, record_id) DO UPDATE SET "
                "version = excluded.version, queued_at = excluded.queued_at",
                [RECORD_TYPES[type(record)], old.id, meta.version, iso(now)],
            )
        return saved

    # -- reading -----------------------------------------------------------
    def get(self, cls: type[R], record_id: str) -> R:
        rows = list(self.db.table(TABLES[cls]).rows_where("id = ?", [record_id]))
        if not rows:
            raise NotFoundError(f"no {RECORD_TYPES[cls]} with id {record_id}")
        return from_row(cls, rows[0])

    def find(self, cls: type[R], prefix: str) -> R:
        """A record by full id or a unique id prefix (as the CLI lists them): hex
        digits and hyphens, matched as characters (never as a LIKE pattern), read
        through the id index."""
        name = RECORD_TYPES[cls].replace("_", " ").replace("followup", "follow-up")
        key = prefix.strip().lower()
        if not _ID_PREFIX.fullmatch(key):
            shown = prefix if len(prefix) <= 40 else prefix[:40] + "…"
            raise NotFoundError(
                f"no {name} with id {shown!r} — {LISTED_BY[cls]} (an id is up to "
                f"{ID_CHARS} hex digits and hyphens)"
            )
        # every id starting with key sorts in [key, key + U+10FFFF) (BINARY collation)
        rows = list(
            self.db.table(TABLES[cls]).rows_where(
                "id >= ? AND id < ?", [key, key + "\U0010ffff"], order_by="id", limit=2
            )
        )
        if not rows:
            raise NotFoundError(f"no {name} with id {prefix!r} — {LISTED_BY[cls]}")
        if len(rows) > 1:
            raise NotFoundError(f"id {prefix!r} matches several {name}s — give more characters")
        return from_row(cls, rows[0])

    def incidents(
        self,
        *,
        limit: int | None = None,
        shift_id: str | None = None,
        caller_number: str | None = None,
        customer_ref: str | None = None,
        status: IncidentStatus | None = None,
    ) -> list[Incident]:
        """Newest first; the filters given must all match."""
        where, args = [], []
        for column, value in (
            ("shift_id", shift_id),
            ("caller_number", caller_number),
            ("customer_ref", customer_ref),
            ("status", status.value if status else None),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        rows = self.db.table("incidents").rows_where(
            " AND ".join(where) or None, args, order_by="started_at DESC", limit=limit
        )
        return [from_row(Incident, r) for r in rows]

    def _children(self, cls: type[R], incident_id: str, order: str) -> list[R]:
        rows = self.db.table(TABLES[cls]).rows_where(
            "incident_id = ?", [incident_id], order_by=order
        )
        return [from_row(cls, r) for r in rows]

    def notes_for(self, incident_id: str) -> list[Note]:
        return self._children(Note, incident_id, "wall_time")

    def step_events_for(self, incident_id: str) -> list[StepEvent]:
        return self._children(StepEvent, incident_id, "wall_time")

    def count_calls(self, shift_id: str) -> int:
        """Calls started in the shift (the header's count): counted, not read."""
        sql = "SELECT COUNT(*) FROM incidents WHERE shift_id = ?"
        return int(self.db.execute(sql, [shift_id]).fetchone()[0])

    def markers_of(self, incident_id: str) -> list[MarkerProposal]:
        return self._children(MarkerProposal, incident_id, "proposed_at")

    def has(self, cls: type[R], record_id: str) -> bool:
        return bool(
            self.db.execute(f"SELECT 1 FROM {TABLES[cls]} WHERE id = ?", [record_id]).fetchone()
        )

    def followups_for(self, incident_id: str) -> list[FollowUp]:
        return self._children(FollowUp, incident_id, "due")

    def followups(self, *, open_only: bool = True) -> list[FollowUp]:
        """Follow-ups (by default those not done yet), soonest due first, undated last."""
        rows = self.db.table("followups").rows_where(
            "done_at IS NULL" if open_only else None, order_by="due IS NULL, due, created_at"
        )
        return [from_row(FollowUp, r) for r in rows]

    def followups_of_incidents(self, incident_ids: list[str]) -> list[FollowUp]:
        found: list[FollowUp] = []
        for at in range(0, len(incident_ids), _IN_CHUNK):
            chunk = incident_ids[at : at + _IN_CHUNK]
            rows = self.db.table("followups").rows_where(
                f"incident_id IN ({', '.join('?' * len(chunk))})", chunk
            )
            found += [from_row(FollowUp, r) for r in rows]
        return sorted(found, key=lambda f: f.meta.created_at or datetime.min.replace(tzinfo=UTC))

    def incidents_between(self, start: datetime, end: datetime) -> list[Incident]:
        """Calls started in [start, end), oldest first."""
        rows = self.db.table("incidents").rows_where(
            "started_at >= ? AND started_at < ?", [iso(start), iso(end)], order_by="started_at"
        )
        return [from_row(Incident, r) for r in rows]

    def last_shift(self) -> Shift | None:
        rows = list(self.db.table("shifts").rows_where(order_by="started_at DESC", limit=1))
        return from_row(Shift, rows[0]) if rows else None

    def open_shift(self) -> Shift | None:
        rows = list(
            self.db.table("shifts").rows_where(
                "ended_at IS NULL", order_by="started_at DESC", limit=1
            )
        )
        return from_row(Shift, rows[0]) if rows else None

    def open_call(self, shift_id: str) -> Incident | None:
        """The call of this shift that has not ended (left open by a crash or a quit)."""
        rows = list(
            self.db.table("incidents").rows_where(
                "shift_id = ? AND ended_at IS NULL", [shift_id], order_by="started_at DESC", limit=1
            )
        )
        return from_row(Incident, rows[0]) if rows else None

    def search(self, query: SearchQuery) -> list[Incident]:
        """Past incidents by words, number fragments, caller, category (see search.py)."""
        return search(self.db, query)

    def categories(self) -> list[tuple[str, int]]:
        """Categories used so far, most used first, with their counts."""
        return categories(self.db)

    def outbox(self) -> list[OutboxEntry]:
        rows = self.db.execute(
            "SELECT record_type, record_id, version FROM outbox ORDER BY queued_at"
        ).fetchall()
        return [OutboxEntry(*r) for r in rows]
