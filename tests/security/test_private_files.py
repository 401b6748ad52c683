"""Class 2: data at rest is the agent's alone — folders 0700, files 0600 from the
moment they exist, whatever the umask; another local user reads nothing."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmline.platform.json_file import write_json_object
from calmline.platform.logs import configure_logging
from calmline.platform.private import PrivateError, open_private, private_dir, replacing
from calmline.store.database import StoreError, open_database
from tests.apps import calmline, lock_pid, stop_pid


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The umask most desktops have: files 0644, folders 0755 unless we say so."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, str]:
    """Every folder and file under ``root`` (root included) and its mode."""
    out = {".": f"{stat.S_IMODE(root.stat().st_mode):o}"}
    for path in root.rglob("*"):
        out[str(path.relative_to(root))] = f"{stat.S_IMODE(path.lstat().st_mode):o}"
    return out


def _wide(modes: dict[str, str], root: Path) -> dict[str, str]:
    return {
        name: mode
        for name, mode in modes.items()
        if int(mode, 8) & 0o077 or not (root / name).exists()
    }


def test_the_app_and_cli_create_only_private_files(
    home: Path, tmp_path: Path, open_umask: None
) -> None:
    # The home folder Calmline is pointed at does not exist yet: it makes it.
    home.rmdir()
    env = dict(os.environ, CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    env.pop("DISPLAY", None)
    assert calmline("show", env=env).returncode == 0  # starts it: launch.log
    with contextlib.ExitStack() as running:
        running.callback(lambda: stop_pid(lock_pid(env)))
        assert calmline("shift", "start", "--agent", "a-1", env=env).returncode == 0
        assert calmline("call", "start", "--caller", "+44 1", env=env).returncode == 0
        assert calmline("note", "said", "my", "card", "number", env=env).returncode == 0
        assert calmline("call", "end", env=env).returncode == 0
        assert calmline("shift", "end", env=env).returncode == 0
    exports = home / "exports"
    exports.mkdir(mode=0o700)
    for fmt in ("csv", "json"):
        res = calmline(
            "incidents", "export", "--format", fmt, "--output", str(exports / f"x.{fmt}"), env=env
        )
        assert res.returncode == 0, res.stderr
    res = calmline("report", "--output", str(exports / "r.html"), env=env)
    assert res.returncode == 0, res.stderr
    modes = _modes(home)
    for name in (
        "calmline.db",
        "logs/calmline.log",
        "logs/launch.log",
        "exports/x.csv",
        "exports/r.html",
    ):
        assert name in modes, sorted(modes)
    # The default sync folder is a team store in miniature: what is inside keeps the
    # modes a share would give (IT may share it); its root keeps everyone else out.
    assert modes["sync"] == "700"
    inside_sync = {k: v for k, v in modes.items() if not k.startswith("sync/")}
    assert _wide(inside_sync, home) == {}, modes


def test_each_writer_creates_0600_under_a_0022_umask(tmp_path: Path, open_umask: None) -> None:
    root = tmp_path / "data"
    db = open_database(root / "nested" / "calmline.db")
    db.conn.execute("CREATE TABLE t(x)")  # writes the WAL and SHM
    db.conn.execute("INSERT INTO t VALUES (1)")
    db.conn.commit()
    handler = configure_logging(root / "logs" / "calmline.log")
    handler.maxBytes = 200  # rotate: each rotated file is private too
    import logging

    for i in range(20):
        logging.getLogger("t").warning("caller +44 %d said something private", i)
    handler.close()
    logging.getLogger().removeHandler(handler)
    write_json_object(root / "window.json", {"x": 1}, "window places")
    with open_private(root / "export.csv") as f:
        f.write("a,b\n")
    modes = _modes(root)
    assert {"nested/calmline.db-wal", "nested/calmline.db-shm", "logs/calmline.log.1"} <= set(modes)
    assert _wide(modes, root) == {}, modes
    db.conn.close()


def test_a_backup_before_migrating_is_private(tmp_path: Path, open_umask: None) -> None:
    import sqlite3

    from sqlite_utils import Database

    from calmline.store.migrations import migrations

    path = tmp_path / "calmline.db"
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before="0002_after_call")  # an older Calmline's database
    old.close()
    open_database(path).conn.close()
    backups = list(tmp_path.glob("calmline.db.v1-*.bak"))
    assert len(backups) == 1
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600


def test_another_user_reads_nothing(
    home: Path, tmp_path: Path, other_user: list[str], open_umask: None
) -> None:
    # Made traversable for the test, as a real home may be (0755).
    tmp_path.chmod(0o755)
    home.chmod(0o755)
    db = open_database(home / "data" / "calmline.db")
    db.conn.execute("CREATE TABLE t(x)")
    db.conn.commit()
    for target in ("data/calmline.db", "data/calmline.db-wal", "data"):
        res = subprocess.run(
            [*other_user, "cat" if target.endswith(("db", "wal")) else "ls", str(home / target)],
            capture_output=True,
            text=True,
        )
        assert res.returncode != 0 and "Permission denied" in res.stderr, (target, res)
    db.conn.close()


def test_an_older_open_folder_is_closed_and_a_foreign_one_refused(
    tmp_path: Path, other_user: list[str]
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o755)
    mine.chmod(0o755)
    private_dir(mine)
    assert stat.S_IMODE(mine.stat().st_mode) == 0o700
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, 65534, 65534)  # nobody made it first
    with pytest.raises(
        StoreError, match=r"theirs belongs to nobody \(uid 65534\), not to you; move it aside"
    ):
        open_database(theirs / "calmline.db")


def test_a_planted_link_is_never_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    logs = tmp_path / "logs"
    private_dir(logs)
    (logs / "calmline.log").symlink_to(victim)
    with pytest.raises(OSError):
        configure_logging(logs / "calmline.log")
    assert victim.read_text() == "keep me"
    link_dir = tmp_path / "data"
    link_dir.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(PrivateError, match="not a plain folder"):
        private_dir(link_dir)


def test_a_failed_replace_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("old")
    with pytest.raises(RuntimeError), replacing(path) as f:
        f.write("half")
        raise RuntimeError("disk gone")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_a_windows_acl_naming_another_account_is_a_problem() -> None:
    from calmline.platform.acl_windows import others_allowed

    me = "S-1-5-21-1-2-3-1001"
    usual = [(0, 0, me), (0, 0, "S-1-5-18"), (0, 0, "S-1-5-32-544"), (0, 0x08, "S-1-3-0")]
    assert others_allowed(usual, me) == []
    users = "S-1-5-32-545"
    assert others_allowed([*usual, (0, 0, users), (1, 0, "S-1-1-0")], me) == [users]
    assert others_allowed([(0, 0x08, users)], me) == []  # inherit-only: not this folder


@pytest.mark.skipif(os.name != "nt", reason="reads a real Windows ACL: runs on the Windows CI")
def test_the_local_app_data_folder_is_private_on_windows(tmp_path: Path) -> None:
    from calmline.platform.paths import app_paths
    from calmline.platform.private import check_private_dir

    data = private_dir(app_paths({}).data_dir)
    assert check_private_dir(data) is None


def test_opening_the_database_again_keeps_the_first_connections_locks(tmp_path: Path) -> None:
    """Closing any descriptor of a file drops this process's POSIX locks on it: a
    second open must never open and close the database file behind SQLite's back.
    Without its shared lock, another process that closes the database takes itself
    for the last user and removes the WAL this process still writes to."""
    import sys

    path = tmp_path / "calmline.db"
    first = open_database(path)
    first.conn.execute("CREATE TABLE t(x)")
    first.conn.commit()
    second = open_database(path)
    visit = (
        "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\n"
        "c.execute('SELECT 1 FROM t')\nc.close()"
    )
    subprocess.run([sys.executable, "-c", visit, str(path)], check=True)
    assert Path(f"{path}-wal").exists()  # still in use here: the visitor left it
    first.conn.execute("INSERT INTO t VALUES (1)")
    first.conn.commit()
    res = subprocess.run(
        [sys.executable, "-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1])"
         ".execute('SELECT count(*) FROM t').fetchone()[0])", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert res.stdout.strip() == "1"  # what was saved here is seen there
    for conn in (second.conn, first.conn):
        conn.close()


def test_doctor_fails_a_data_folder_that_is_not_the_agents(home: Path) -> None:
    import io

    from calmline.cli.doctor import doctor
    from calmline.context import Context

    logs = home / "logs"
    logs.mkdir()
    os.chown(logs, 65534, 65534)  # another user made it first
    out = io.StringIO()
    assert doctor(Context.load(), out, list_devices=lambda: []) == 1
    assert f"[FAIL] log folder: {logs}: {logs} belongs to nobody (uid 65534), not to you" in (
        out.getvalue()
    )
    assert "[pass] data folder" in out.getvalue()
