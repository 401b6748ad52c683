"""The local cache of the team's memory (tables team_* of migration 0005): what
the team store handed back, so that a ringing number is answered at once and
when the store is unreachable. Each value is kept as its JSON beside the keys
it is found by; a newer version replaces an older one, never the reverse, so
a refresh or a live answer applied twice changes nothing. Bounded by the
retention setting (``purge``). Also the folder reader's index (FolderIndex).

The cache belongs to one team store: when sync.target names another, the
first refresh empties it (``begin``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from calmline.core.search_query import MAX_TERMS, SearchQuery
from calmline.core.serialize import from_plain, iso, parse_iso, plain
from calmline.core.team import (
    CautionMarker,
    MarkerDecision,
    PromiseKept,
    TeamChanges,
    TeamIncident,
    TeamPromise,
    number_key,
    ref_key,
)
from calmline.store.database import writing
from calmline.store.repository import Store

T = TypeVar("T")
_TABLES = ("team_incidents", "team_promises", "team_kept", "team_markers", "team_decisions")


@dataclass(frozen=True)
class TeamRows:
    """What the cache holds of one caller."""

    incidents: list[TeamIncident]  # newest first
    promises: list[TeamPromise]
    kept: list[PromiseKept]
    markers: list[CautionMarker]
    decisions: list[MarkerDecision]
    total: int  # the caller's calls in the cache (``incidents`` holds the newest EARLIER_MAX)


EARLIER_MAX = 100  # a caller's calls read for the badge and the window; the rest are counted
PROMISES_MAX = 200  # a caller's open promises read, soonest due first


def _of_caller(table: str, nkey: str, rkey: str) -> tuple[str, list[str]]:
    """SQL of the ids in ``table`` with this number key or reference key, read
    through the partial indexes (each WHERE names its index's own condition)."""
    parts, args = [], []
    for column, key in (("number_key", nkey), ("ref_key", rkey)):
        if key:
            parts.append(f"SELECT id FROM {table} WHERE {column} = ? AND {column} != ''")
            args.append(key)
    return " UNION ".join(parts), args


def _item(value: Any) -> str:
    return json.dumps(plain(value), ensure_ascii=False, separators=(",", ":"))


def _values(cls: type[T], rows: Iterable[Any]) -> list[T]:
    return [from_plain(cls, json.loads(r[0])) for r in rows]


def _search_text(inc: TeamIncident) -> str:
    parts = (inc.caller_number, inc.customer_ref, inc.category, inc.summary, inc.agreed_resolution)
    return " ".join(" ".join(parts).split()).casefold()


class TeamCache:
    def __init__(self, store: Store) -> None:
        self._db = store.db

    # -- meta ------------------------------------------------------------------
    def _meta(self, key: str) -> str:
        row = self._db.execute("SELECT value FROM team_meta WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else ""

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO team_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    @property
    def cursor(self) -> str:
        return self._meta("cursor")

    @property
    def store_name(self) -> str:
        return self._meta("store")

    @property
    def as_of(self) -> datetime | None:
        """When the whole cache was last brought up to date from the team store."""
        text = self._meta("as_of")
        return parse_iso(text) if text else None

    def begin(self, store_name: str) -> bool:
        """Before a refresh from ``store_name``: a cache of another store is
        emptied (True when it was). One transaction."""
        if self.store_name == store_name:
            return False
        with writing(self._db):
            for table in (*_TABLES, "team_folder_dirs", "team_folder_files", "team_meta"):
                self._db.execute(f"DELETE FROM {table}")
            self._set_meta("store", store_name)
        return True

    # -- FolderIndex -------------------------------------------------------------
    def folders(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT rel_dir, mtime_ns FROM team_folder_dirs").fetchall())

    def files(self, rel_dir: str) -> dict[str, tuple[int, int]]:
        rows = self._db.execute(
            "SELECT name, mtime_ns, size FROM team_folder_files WHERE rel_dir = ?", [rel_dir]
        )
        return {name: (mtime, size) for name, mtime, size in rows}

    # -- writing -------------------------------------------------------------------
    def apply(self, changes: TeamChanges, as_of: datetime | None = None) -> int:
        """``changes`` into the cache, in one transaction, with the folder index
        and the cursor it came with; ``as_of`` (a whole refresh's end) says the
        cache is up to date as of then. A live answer passes neither. Returns how
        many values were new or newer (a value read again changes nothing)."""
        db = self._db
        changed = 0
        with writing(db):
            changed += self._upsert(
                "team_incidents",
                "number_key, ref_key, agent_id, started_at, search_text",
                [
                    (
                        i.id,
                        i.version,
                        number_key(i.caller_number),
                        ref_key(i.customer_ref),
                        i.agent_id,
                        iso(i.started_at),
                        _search_text(i),
                        _item(i),
                    )
                    for i in changes.incidents
                ],
            )
            changed += self._upsert(
                "team_promises",
                "incident_id, due, open",
                [
                    (
                        p.id,
                        p.version,
                        p.incident_id,
                        p.due and p.due.isoformat(),
                        p.done_at is None,
                        _item(p),
                    )
                    for p in changes.promises
                ],
            )
            changed += self._upsert(
                "team_kept",
                "followup_id",
                [(k.id, k.version, k.followup_id, _item(k)) for k in changes.kept],
            )
            changed += self._upsert(
                "team_markers",
                "number_key, ref_key, proposed_at",
                [
                    (
                        m.id,
                        m.version,
                        number_key(m.caller_number),
                        ref_key(m.customer_ref),
                        iso(m.proposed_at),
                        _item(m),
                    )
                    for m in changes.markers
                ],
            )
            changed += self._upsert(
                "team_decisions",
                "marker_id",
                [(d.id, d.version, d.marker_id, _item(d)) for d in changes.decisions],
            )
            for entry in changes.folder_index:
                db.execute("DELETE FROM team_folder_files WHERE rel_dir = ?", [entry.rel_dir])
                db.conn.executemany(
                    "INSERT INTO team_folder_files (rel_dir, name, mtime_ns, size) "
                    "VALUES (?, ?, ?, ?)",
                    [(entry.rel_dir, n, m, s) for n, (m, s) in entry.files.items()],
                )
                db.execute(
                    "INSERT INTO team_folder_dirs (rel_dir, mtime_ns) VALUES (?, ?) "
                    "ON CONFLICT (rel_dir) DO UPDATE SET mtime_ns = excluded.mtime_ns",
                    [entry.rel_dir, entry.mtime_ns],
                )
            if changes.cursor:
                self._set_meta("cursor", changes.cursor)
            if as_of is not None:
                self._set_meta("as_of", iso(as_of))
        return changed

    def _upsert(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        cols = ["id", "version", *(c.strip() for c in columns.split(",")), "item"]
        update = ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
        return self._db.conn.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT (id) DO UPDATE SET {update} WHERE excluded.version > {table}.version",
            rows,
        ).rowcount

    def purge(self, before: datetime) -> int:
        """Drop team calls started before ``before`` (the retention bound) and
        their promises and kept records; markers stay while they may be active
        (a lead's decision says when they end). Returns how many calls went."""
        cut = iso(before)
        with writing(self._db):
            gone = self._db.execute(
                "DELETE FROM team_incidents WHERE started_at < ?", [cut]
            ).rowcount
            self._db.execute(
                "DELETE FROM team_promises WHERE incident_id NOT IN (SELECT id FROM team_incidents)"
            )
            self._db.execute(
                "DELETE FROM team_kept WHERE followup_id NOT IN (SELECT id FROM team_promises)"
            )
        return int(gone)

    # -- reading -------------------------------------------------------------------
    def caller(self, number: str, ref: str) -> TeamRows:
        """What the cache holds of the caller with this number or reference: their
        newest EARLIER_MAX calls (and how many there are in all), the promises of
        their calls still not done (the PROMISES_MAX soonest due), who recorded
        which kept, their markers."""
        nkey, rkey = number_key(number), ref_key(ref)
        if not nkey and not rkey:
            return TeamRows([], [], [], [], [], 0)
        db = self._db
        calls, args = _of_caller("team_incidents", nkey, rkey)
        newest: list[tuple[str, str, str]] = []  # (started_at, id, item), by either key
        for column, key in (("number_key", nkey), ("ref_key", rkey)):
            if key:
                newest += db.execute(
                    f"SELECT started_at, id, item FROM team_incidents WHERE {column} = ? "
                    f"AND {column} != '' ORDER BY started_at DESC LIMIT ?",
                    [key, EARLIER_MAX],
                ).fetchall()
        unique = {row[1]: row for row in newest}.values()
        rows = sorted(unique, reverse=True)[:EARLIER_MAX]
        incidents = _values(TeamIncident, [(item,) for _, _, item in rows])
        total = int(db.execute(f"SELECT COUNT(*) FROM ({calls})", args).fetchone()[0])
        promises = _values(
            TeamPromise,
            db.execute(
                f"SELECT item FROM team_promises WHERE open AND incident_id IN ({calls}) "
                "ORDER BY due IS NULL, due LIMIT ?",
                [*args, PROMISES_MAX],
            ),
        )
        kept = _values(PromiseKept, self._by("team_kept", "followup_id", [p.id for p in promises]))
        marked, args = _of_caller("team_markers", nkey, rkey)
        markers = _values(
            CautionMarker,
            db.execute(
                f"SELECT item FROM team_markers WHERE id IN ({marked}) ORDER BY proposed_at", args
            ),
        )
        decisions = _values(
            MarkerDecision, self._by("team_decisions", "marker_id", [m.id for m in markers])
        )
        return TeamRows(incidents, promises, kept, markers, decisions, total)

    def held(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` the cache holds as team calls."""
        return {r[0] for r in self._by("team_incidents", "id", ids, column_out="id")}

    def _by(self, table: str, column: str, keys: list[str], column_out: str = "item") -> list[Any]:
        out: list[Any] = []
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ", ".join("?" * len(part))
            out += self._db.execute(
                f"SELECT {column_out} FROM {table} WHERE {column} IN ({marks})", part
            ).fetchall()
        return out

    def search(self, query: SearchQuery, not_agent: str = "") -> list[TeamIncident]:
        """Team calls matching ``query`` (every word of its text, the caller, the
        category), newest first; ``not_agent``: leave that agent's own out."""
        where, args = ["agent_id != ?"], [not_agent]
        for word in query.text.casefold().split()[:MAX_TERMS]:
            where.append("instr(search_text, ?) > 0")
            args.append(word)
        who = []
        if query.caller_number and number_key(query.caller_number):
            who.append("number_key = ?")
            args.append(number_key(query.caller_number))
        if query.customer_ref and ref_key(query.customer_ref):
            who.append("ref_key = ?")
            args.append(ref_key(query.customer_ref))
        if who:
            where.append(f"({' OR '.join(who)})")
        elif query.caller_number or query.customer_ref:
            return []
        if query.exclude_id:
            where.append("id != ?")
            args.append(query.exclude_id)
        if query.category:
            where.append("json_extract(item, '$.category') = ? COLLATE NOCASE")
            args.append(query.category)
        return _values(
            TeamIncident,
            self._db.execute(
                f"SELECT item FROM team_incidents WHERE {' AND '.join(where)} "
                "ORDER BY started_at DESC LIMIT ?",
                [*args, query.limit if query.limit > 0 else -1],
            ),
        )

    def markers(self) -> tuple[list[CautionMarker], list[MarkerDecision]]:
        """Every marker the cache holds, oldest first, with every decision."""
        markers = _values(
            CautionMarker, self._db.execute("SELECT item FROM team_markers ORDER BY proposed_at")
        )
        decisions = _values(MarkerDecision, self._db.execute("SELECT item FROM team_decisions"))
        return markers, decisions

    def promise(self, followup_id: str) -> TeamPromise | None:
        rows = self._db.execute("SELECT item FROM team_promises WHERE id = ?", [followup_id])
        found = _values(TeamPromise, rows)
        return found[0] if found else None

    def counts(self) -> dict[str, int]:
        return {
            t: int(self._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in _TABLES
        }
