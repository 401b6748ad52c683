"""The PostgreSQL team store's read side (sync/base.TeamReader): the changes
feed and the live lookup at call start, both through the SECURITY DEFINER
functions of installers/server/postgresql.sql (schema version 2), which hand
out other agents' caller-facing fields only, as the JSON of core/team.py's
values. What the server returns is data: each value is read by
sync/team_docs.value_of and one that does not fit is skipped with one line."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from calmline.core.team import TeamChanges, number_key, ref_key
from calmline.sync.base import TargetError
from calmline.sync.team_docs import LISTS, READ_TYPES, ForeignDocument, value_of

if TYPE_CHECKING:
    from calmline.sync.postgres import PostgresTarget

log = logging.getLogger(__name__)
PAGE = 1000  # rows per page of the changes feed
# How far back a refresh's last cursor is set, so that a row written by a
# transaction that started before rows already read, and committed after them,
# is still read next time (installers/server/postgresql.sql, team_changes).
OVERLAP = timedelta(minutes=15)
START = ("-infinity", "00000000-0000-0000-0000-000000000000")
_CURSOR = re.compile(r"^pg1 (\S+) ([0-9a-f-]{36})$")
LOOKUP_CONNECT_S = 2  # libpq's shortest connect timeout (1 counts as 2)


def cursor_text(received_at: datetime | str, row_id: str) -> str:
    at = received_at if isinstance(received_at, str) else received_at.isoformat()
    return f"pg1 {at} {row_id}"


def parse_cursor(cursor: str) -> tuple[str, str]:
    """(received_at, id) to read after; the start for "" or a cursor that is
    not this target's (logged: reading from the start again is harmless)."""
    if not cursor:
        return START
    match = _CURSOR.match(cursor)
    if match is None:
        log.warning("team cursor %r is not a PostgreSQL one; reading from the start", cursor[:80])
        return START
    return match[1], match[2]


def gather(store: str, rows: Iterable[tuple[str, Any]], into: TeamChanges) -> None:
    """Each (kind, item) row as its core/team value, into the right list of
    ``into``; an item that is not one is skipped with one line naming it."""
    for kind, item in rows:
        cls = READ_TYPES.get(kind)
        listed = LISTS.get(kind)
        if cls is None or listed is None:
            into.skipped.append(f"{store}: unknown kind {str(kind)[:40]!r} skipped")
            continue
        try:
            value = value_of(cls, item if isinstance(item, dict) else {})
        except ForeignDocument as exc:
            shown = str(item.get("id", "?"))[:40] if isinstance(item, dict) else "?"
            into.skipped.append(f"{store}: {kind} {shown} skipped: {exc}")
            continue
        getattr(into, listed).append(value)


def changes(target: PostgresTarget, cursor: str, since: datetime) -> TeamChanges:
    """One page of calmline.team_changes after ``cursor``."""
    import psycopg

    after_at, after_id = parse_cursor(cursor)
    day = (since.astimezone(UTC) if since.tzinfo else since).date()
    conn = target._connect()
    try:
        with conn.transaction():
            now: datetime = conn.execute("SELECT now()").fetchone()[0]
            rows = conn.execute(
                "SELECT kind, received_at, id::text, item "
                "FROM calmline.team_changes(%s::timestamptz, %s::uuid, %s, %s)",
                [after_at, after_id, day, PAGE],
            ).fetchall()
    except psycopg.Error as exc:
        raise read_error(target, exc) from exc
    out = TeamChanges()
    gather(target.name, ((kind, item) for kind, _at, _id, item in rows), out)
    if len(rows) >= PAGE:
        out.more = True
        out.cursor = cursor_text(rows[-1][1], rows[-1][2])
        return out
    if rows:
        at: datetime | None = rows[-1][1]
        row_id = rows[-1][2]
    else:
        at = None if after_at == START[0] else datetime.fromisoformat(after_at)
        row_id = after_id
    out.cursor = settled(at, row_id, now)
    return out


def settled(at: datetime | None, row_id: str, now: datetime) -> str:
    """The cursor a refresh ends on: where it got to, but never later than
    OVERLAP before the server's ``now``."""
    if at is None:
        return cursor_text(START[0], START[1])
    if at > now - OVERLAP:
        return cursor_text(now - OVERLAP, START[1])
    return cursor_text(at, row_id)


def read_error(target: PostgresTarget, exc: BaseException, drop: bool = True) -> TargetError:
    """A failed read as one line naming the store and the fix (``drop``: close
    the target's connection when it was lost)."""
    import psycopg

    from calmline.sync.postgres import _first_line

    if isinstance(exc, psycopg.OperationalError):
        if drop:
            target.close()
        return TargetError(f"{target.name}: cannot read the team store ({_first_line(exc)})")
    if isinstance(exc, psycopg.errors.UndefinedFunction | psycopg.errors.UndefinedTable):
        return TargetError(
            f"{target.name}: the team store has no team read side ({_first_line(exc)}); run "
            "installers/server/postgresql.sql again on that database to upgrade it to "
            "schema version 2"
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return TargetError(
            f"{target.name}: the server refused ({_first_line(exc)}); the login must be a "
            "member of calmline_agent or calmline_lead (installers/server/postgresql.sql)"
        )
    return TargetError(f"{target.name}: {_first_line(exc)}")


class LiveLookup:
    """The lookup at call start on its own connection (the sync's may be busy
    in another thread), kept open between calls. Each lookup runs in a worker
    thread that the caller waits on for the budget and no longer: a server
    that does not answer (stopped, unplugged, a dead network) costs the budget
    at most. The server stops the query itself at the budget too
    (statement_timeout)."""

    def __init__(self, target: PostgresTarget) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._conn: Any = None

    def lookup(self, number: str, ref: str, budget_s: float) -> TeamChanges:
        keys = (number_key(number), ref_key(ref))
        if not any(keys):
            return TeamChanges()
        box: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["rows"] = self._rows(keys, budget_s)
            except BaseException as exc:  # handed to the waiting thread
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=work, name="calmline-team-lookup", daemon=True).start()
        if not done.wait(budget_s):
            raise TargetError(f"{self.target.name}: no answer within {budget_s:g} s")
        if "error" in box:
            error = box["error"]
            if isinstance(error, TargetError):
                raise error
            raise self._error(error) from error
        out = TeamChanges()
        gather(self.target.name, box["rows"], out)
        return out

    def _rows(self, keys: tuple[str, str], budget_s: float) -> list[tuple[str, Any]]:
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = self.target._open(
                        LOOKUP_CONNECT_S, autocommit=True, tcp_user_timeout=budget_ms(budget_s)
                    )
                conn = self._conn
                conn.execute(
                    "SELECT set_config('statement_timeout', %s, false)", [f"{budget_ms(budget_s)}"]
                )
                rows: list[tuple[str, Any]] = conn.execute(
                    "SELECT kind, item FROM calmline.team_lookup(%s, %s)", list(keys)
                ).fetchall()
                return rows
            except BaseException:
                self.close_locked()
                raise

    def _error(self, exc: BaseException) -> TargetError:
        import psycopg

        if isinstance(exc, psycopg.errors.QueryCanceled):
            return TargetError(f"{self.target.name}: no answer within the lookup's budget")
        return read_error(self.target, exc, drop=False)

    def close_locked(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def close(self) -> None:
        if self._lock.acquire(timeout=0.05):  # a stuck lookup's thread keeps its own
            try:
                self.close_locked()
            finally:
                self._lock.release()


def budget_ms(budget_s: float) -> int:
    return max(1, int(budget_s * 1000))
