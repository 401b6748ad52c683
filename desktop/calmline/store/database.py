"""Opening the local database: WAL, foreign keys, backup before migrating."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from calmline.platform.private import PrivateError, private_dir, touch_private
from calmline.store.migrations import migrations

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The local database cannot be used; the message says why and what to do."""


def _backup(path: Path, conn: sqlite3.Connection, version: int) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dest = touch_private(path.with_name(f"{path.name}.v{version}-{stamp}.bak"))
    with sqlite3.connect(dest) as target:
        conn.backup(target)
    target.close()
    return dest


class _Locked(sqlite3.OperationalError):
    pass


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. SQLite answers "database is locked" at once, without its busy
    handler, when another connection is switching the same new file at that moment
    (two launches racing); that is retried with backoff for up to 10 s."""
    import stamina

    for attempt in stamina.retry_context(
        on=_Locked, attempts=None, timeout=10.0, wait_initial=0.02, wait_jitter=0.05, wait_max=0.2
    ):
        with attempt:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                raise _Locked(str(exc)) from exc


_FULL = "the disk is full; free some space"
_READ_ONLY = "the data folder is read-only; ask IT to make it writable"
_DENIED = "permission denied; ask IT to give you back the data folder"
# What SQLite says -> the cause and the fix, in the agent's words.
_SQLITE = {
    "database or disk is full": _FULL,
    "readonly database": _READ_ONLY,
    "read-only": _READ_ONLY,
    "unable to open database file": _DENIED,
    "disk i/o error": "the disk could not be written (full, removed or failing); "
    "free some space or ask IT to check the disk",
    "database is locked": "another program holds the database; close it",
}


def failure_text(exc: BaseException) -> str:
    """Why a read or write of the local database failed, and the fix, in one phrase."""
    if isinstance(exc, PrivateError):
        return str(exc)
    if isinstance(exc, OSError):
        import errno

        fixes = {
            errno.ENOSPC: _FULL,
            errno.EDQUOT: "your disk quota is used up; free some space",
            errno.EROFS: _READ_ONLY,
            errno.EACCES: _DENIED,
            errno.EPERM: _DENIED,
        }
        return fixes.get(exc.errno or 0, exc.strerror or str(exc))
    text = str(exc).lower()
    for needle, why in _SQLITE.items():
        if needle in text:
            return why
    return str(exc)


def checkpoint(db: Database) -> None:
    """Copy what the write-ahead log holds into the database file and empty the log,
    so that a -wal file deleted by a clean-up tool or lost with a crash costs nothing
    already saved. Best effort: a reader on another thread may hold some back."""
    try:
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as exc:
        log.warning("checkpoint of the local database failed: %s", exc)


def schema_version(db: Database) -> int:
    """How many migrations this database has applied."""
    return len(migrations.applied(db))


def latest_schema_version() -> int:
    return len(migrations.pending(Database(memory=True)))


def open_database(path: Path) -> Database:
    """Open (creating or migrating) the store at ``path``.

    A database that already holds data is copied next to itself before any
    migration runs, so a failed upgrade never costs the agent their incidents.
    """
    _refuse_newer(path)
    try:
        # 0700 folder, 0600 file before SQLite opens it: SQLite gives the WAL and
        # SHM files the database's own mode.
        private_dir(path.parent)
        touch_private(path)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the local database ({failure_text(exc)})") from exc
    try:
        conn = sqlite3.connect(path, timeout=10)
        _use_wal(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path}: cannot open the local database ({exc}); move the file "
            "aside and start again — a backup may sit beside it (*.bak)"
        ) from exc
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")  # an agent's notes must survive a power cut
    conn.execute("PRAGMA busy_timeout=10000")
    db = Database(conn)
    try:
        _migrate(path, db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(
            f"{path}: the local database is damaged or from a newer Calmline "
            f"({exc}); restore the newest {path.name}.*.bak beside it"
        ) from exc
    return db


def _refuse_newer(path: Path) -> None:
    """A database a newer Calmline has written is refused before anything in it
    (or its folder) is touched: this version would not know its newer fields."""
    try:
        if path.stat().st_size == 0:
            return
    except OSError:
        return  # missing (a first start) or unreadable: opening it says why
    from urllib.parse import quote

    # Read-only; and without a WAL beside it, immutable, so that not even an
    # empty -wal or -shm file is made.
    wal = Path(f"{path}-wal").exists()
    query = "mode=ro" if wal else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?{query}", uri=True, timeout=10)
        try:
            rows = conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [migrations.name]
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return  # no migrations yet, or damaged: opening it says which
    known = {m.name for m in migrations.pending(Database(memory=True))}
    newer = sorted({name for (name,) in rows} - known)
    if newer:
        raise StoreError(
            f"{path}: written by a newer Calmline (schema {newer[-1]}), which this "
            f"version cannot use; install that Calmline again — nothing was changed"
        )


def _migrate(path: Path, db: Database) -> None:
    """Apply pending migrations, one process at a time: two launches opening a new
    database at once must not both create its tables."""
    if not migrations.pending(db):
        return
    current = schema_version(db)
    if current > 0:
        _backup(path, db.conn, current)
    db.conn.execute("BEGIN IMMEDIATE")  # the write lock first; others wait (busy_timeout)
    try:
        migrations.apply(db)  # reads what is pending again, under the lock
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def writing(db: Database) -> Iterator[None]:
    """A write transaction that takes the write lock first (BEGIN IMMEDIATE), or a
    savepoint inside one already open. A deferred BEGIN that reads and then writes
    fails at once ("database is locked", no busy wait) when another connection —
    the team refresh or a sync on their threads — wrote in between; an immediate
    one waits its turn (busy_timeout)."""
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
