"""Class 5: faults never strand work. A full disk, a read-only folder, a newer
database, a deleted WAL: one clear line, nothing saved lost, and the same action
works again once the cause is gone."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmline.core.records import Incident, Note
from calmline.flow import Flow, SaveFailed
from calmline.store.database import StoreError, open_database
from calmline.store.repository import Store
from tests.fakes import FakeClock, make_flow


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        pytest.skip(f"needs to mount a small tmpfs (root): {res.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 4 MB file system of its own, to fill up or make read-only."""
    with _tmpfs(tmp_path / "disk", "4m") as root:
        yield root


def _fill(root: Path) -> Path:
    """Fill the file system to the last byte."""
    filler = root / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (65536, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * chunk):
                    pass
    finally:
        os.close(fd)
    return filler


def _notes(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [r[0] for r in conn.execute("SELECT text FROM notes ORDER BY wall_time")]


def test_a_full_disk_refuses_with_a_line_and_the_call_still_ends(
    small_disk: Path, clock: FakeClock
) -> None:
    db = small_disk / "calmline.db"
    flow = make_flow(db, clock, agent_id="a-1")
    flow.start_shift()
    flow.start_call("+44 1")
    flow.note("wants a refund")
    filler = _fill(small_disk)
    # Notes long enough that SQLite needs new pages, until one does not fit.
    with pytest.raises(SaveFailed) as refused:
        for i in range(200):
            clock.advance(1)
            flow.note(f"note {i} " + "x" * 3000)
    assert str(refused.value).startswith("cannot save the note: the disk is full; free some space")
    with pytest.raises(SaveFailed, match="cannot end the call: the disk is full"):
        flow.end_call()
    assert flow.call is not None  # still in the call: it can be ended again
    filler.unlink()
    ended = flow.end_call()
    assert ended.ended_at is not None and flow.call is None
    flow.end_shift()
    flow.store.db.conn.close()
    again = Store(open_database(db), clock)
    assert again.get(Incident, ended.meta.id).ended_at is not None
    assert "wants a refund" in _notes(db)
    assert again.open_shift() is None


def test_a_read_only_folder_at_start_is_one_line(small_disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(StoreError) as refused:
        open_database(small_disk / "data" / "calmline.db")
    assert "read-only; ask IT to make it writable" in str(refused.value)


def test_a_newer_database_is_refused_untouched(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "calmline.db"
    flow = make_flow(path, clock, agent_id="a-1")
    flow.start_shift()
    flow.store.db.conn.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('calmline', '0099_from_the_future', '2030-01-01')"
        )
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    os.chmod(path, 0o644)
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns, 0o644)
    with pytest.raises(StoreError) as refused:
        open_database(path)
    assert str(refused.value) == (
        f"{path}: written by a newer Calmline (schema 0099_from_the_future), which this "
        "version cannot use; install that Calmline again — nothing was changed"
    )
    st = path.stat()
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns, st.st_mode & 0o777) == (
        before
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calmline.db"]  # no WAL, no backup


CRASH = """
import os, sys
from pathlib import Path
from tests.fakes import FakeClock, make_flow
flow = make_flow(Path(sys.argv[1]), FakeClock(), agent_id="a-1")
flow.start_shift()
flow.start_call("+44 1")
for i in range(5):
    flow.note(f"note {i}")
flow.tick()
os._exit(9)  # a crash: no close, no checkpoint at exit
"""


def test_a_wal_deleted_after_a_crash_costs_nothing_saved(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "calmline.db"
    res = subprocess.run([sys.executable, "-c", CRASH, str(path)], cwd=Path(__file__).parents[2])
    assert res.returncode == 9
    Path(f"{path}-wal").unlink(missing_ok=True)  # a clean-up tool, or a copy without it
    flow = Flow(
        Store(open_database(path), clock),
        make_flow(tmp_path / "other.db", clock).playbooks[False],
        make_flow(tmp_path / "other2.db", clock).playbooks[True],
    )
    assert flow.call is not None and flow.call.caller_number == "+44 1"
    assert _notes(path) == [f"note {i}" for i in range(5)]
    assert len(flow.session.ticked) == 1


def test_a_wal_deleted_while_running_costs_nothing_saved(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "calmline.db"
    flow = make_flow(path, clock, agent_id="a-1")
    flow.start_shift()
    flow.start_call("+44 1")
    flow.note("before")
    Path(f"{path}-wal").unlink(missing_ok=True)
    flow.note("after")
    assert _notes(path) == ["before", "after"]  # another process reads both


def test_a_failed_save_keeps_the_session_as_it_was(flow: Flow, clock: FakeClock) -> None:
    """Whatever the cause (here the table is made to refuse writes), the window and
    the database agree afterwards: the action can simply be done again."""
    flow.start_shift()
    call = flow.start_call("+44 1")
    conn = flow.store.db.conn
    conn.execute(
        "CREATE TRIGGER refuse BEFORE UPDATE ON incidents BEGIN "
        "SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    with pytest.raises(SaveFailed, match="cannot end the call: the disk is full"):
        flow.end_call()
    assert flow.call == call
    conn.execute("DROP TRIGGER refuse")
    assert flow.end_call().meta.id == call.meta.id
    note = flow.note("shift note " + uuid.uuid4().hex)
    assert flow.store.get(Note, note.meta.id).text == note.text


def test_the_windows_own_doors_are_held_to_the_command_limits(flow: Flow) -> None:
    """A pasted 1 MB note, agent id or caller is refused in one line at every door
    (the quick note keeps its text on a refusal), as the softphone's is."""
    from calmline.core.session import TransitionError

    with pytest.raises(TransitionError, match=r"the agent id is too long \(200 characters"):
        flow.start_shift("a" * 200)
    flow.start_shift("a-1")
    with pytest.raises(TransitionError, match="the caller number is too long"):
        flow.start_call("1" * 129)
    assert flow.call is None
    flow.start_call("+44 1")
    with pytest.raises(
        TransitionError,
        match=r"^the note is too long \(1,000,000 characters, at most 10,000\) — shorten it$",
    ):
        flow.note("x" * 1_000_000)
    assert flow.store.notes_for(flow.call.meta.id) == []


def test_an_incident_form_the_database_refuses_keeps_its_text(qtbot, flow: Flow) -> None:  # type: ignore[no-untyped-def]
    """A draft that cannot be saved is said in the form, which stays open with what
    was typed; once the cause is gone, closing it saves everything."""
    from tests.ui.conftest import companion, make

    w = make(qtbot, flow)
    flow.start_shift("a-1")
    flow.start_call("+44 1")
    ended = flow.end_call()
    form = companion(w).forms.forms[ended.meta.id]
    conn = flow.store.db.conn
    conn.execute(
        "CREATE TRIGGER refuse BEFORE UPDATE ON incidents BEGIN "
        "SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    form.summary.setPlainText("- wants a refund for the double charge")
    assert form.save_draft() is False
    assert form.status.text().startswith("⚠ Cannot save the incident: the disk is full")
    form.close()
    assert form.isVisible()  # not closed: the text would go with it
    conn.execute("DROP TRIGGER refuse")
    form.close()
    assert not form.isVisible()
    assert flow.store.get(Incident, ended.meta.id).summary == (
        "- wants a refund for the double charge"
    )
