"""Sync to a real PostgreSQL server started for these tests, with the shipped
server SQL: exactly once under kills and a server stopped mid-sync, row-level
security between agents, and clear lines for a wrong password or no server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from calmline.store.database import open_database
from calmline.store.repository import Store
from calmline.store.sync_queue import pending_count
from tests.integration.sync_kills import change_everything, kill_mid_sync
from tests.integration.test_sync_folder import local_versions, seed
from tests.servers import calmline_postgresql

TABLES = ("shifts", "incidents", "notes", "step_events", "followups")


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    """The server with the Calmline schema, two agents and a team lead."""
    with calmline_postgresql() as found:
        yield found


def url(server: dict[str, Any], role: str) -> str:
    return f"postgresql://{role}@127.0.0.1:{server['port']}/calmline"


def keyring_env(tmp_path: Path) -> dict[str, str]:
    """A real file-based keyring in a private folder (no Secret Service here)."""
    return dict(
        os.environ,
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        XDG_DATA_HOME=str(tmp_path / "keyring"),
    )


def calmline(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "calmline", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def remote_versions(server: dict[str, Any], agent: str) -> dict[tuple[str, str], int]:
    out = {}
    with psycopg.connect(server["admin"]) as c:
        for table in TABLES:
            for rid, version in c.execute(
                f"SELECT id::text, version FROM calmline.{table} WHERE agent_id = %s", [agent]
            ):
                out[(table.rstrip("s"), rid)] = version
    return out


def agent_env(home: Path, tmp_path: Path, server: dict[str, Any], role: str) -> dict[str, str]:
    env = dict(keyring_env(tmp_path), CALMLINE_HOME=str(home))
    stored = calmline(env, "sync", "--set-secret", "--target", url(server, role),
                      stdin=f"pw-{role}\n")  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    return env


def test_sync_lands_once_and_rls_keeps_agents_apart(
    server: dict[str, Any], home: Path, tmp_path: Path
) -> None:
    seed(home, calls=3)
    env = agent_env(home, tmp_path, server, "agent-7")
    first = calmline(env, "sync", "--target", url(server, "agent-7"))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Sent 13 of 13 records to postgresql://agent-7@127.0.0.1" in first.stdout
    assert remote_versions(server, "agent-7") == local_versions(home)
    again = calmline(env, "sync", "--target", url(server, "agent-7"))
    assert "Nothing to send" in again.stdout
    # agent-8 can neither read nor change agent-7's rows, nor write rows as agent-7
    dsn8 = url(server, "agent-8")
    with psycopg.connect(dsn8, password="pw-agent-8", autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM calmline.incidents").fetchone() == (0,)
        cur = c.execute("UPDATE calmline.incidents SET version = 99")
        assert cur.rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            c.execute(
                "INSERT INTO calmline.notes (id, version, agent_id, shift_day, record) "
                "VALUES (gen_random_uuid(), 1, 'agent-7', '2026-11-22', '{}')"
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("DELETE FROM calmline.notes")
    # the team lead reads everything and writes nothing
    with psycopg.connect(url(server, "lead"), password="pw-lead", autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM calmline.incidents").fetchone() == (3,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("UPDATE calmline.incidents SET version = 99")


def test_killed_and_server_stopped_mid_sync_still_lands_exactly_once(
    server: dict[str, Any], home: Path, tmp_path: Path
) -> None:
    flow = seed(home, calls=150)
    env = agent_env(home, tmp_path, server, "agent-7")
    target = url(server, "agent-7")
    store = flow.store
    assert kill_mid_sync(store, env, target, seed=3, max_sleep_s=0.005) >= 10
    # The server stopped while a sync runs: what it confirmed stays confirmed.
    queued = change_everything(store)
    proc = subprocess.Popen([sys.executable, "-m", "calmline", "sync", "--target", target],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    assert proc.stderr is not None
    proc.stderr.readline()
    proc.stderr.readline()  # the first batch is in
    server["pg"].stop()
    out, _ = proc.communicate(timeout=60)
    server["pg"].start()
    assert proc.returncode == 1
    assert "not sent" in out and "safe in the local database" in out
    assert 0 < pending_count(store) < queued
    final = calmline(env, "sync", "--target", target)
    assert final.returncode == 0, final.stdout + final.stderr
    remote = remote_versions(server, "agent-7")
    assert {k: v for k, v in remote.items() if k in local_versions(home)} == local_versions(home)
    assert pending_count(store) == 0


def test_wrong_password_and_no_server_are_one_clear_line(
    server: dict[str, Any], home: Path, tmp_path: Path
) -> None:
    seed(home, calls=1)
    env = dict(keyring_env(tmp_path), CALMLINE_HOME=str(home))
    calmline(env, "sync", "--set-secret", "--target", url(server, "agent-7"), stdin="wrong\n")
    wrong = calmline(env, "sync", "--target", url(server, "agent-7"))
    assert wrong.returncode == 1
    assert f"{url(server, 'agent-7')}: cannot connect" in wrong.stdout
    assert 'password authentication failed for user "agent-7"' in wrong.stdout
    assert "5 not sent" in wrong.stdout
    nobody = calmline(env, "sync", "--target", "postgresql://agent-7@127.0.0.1:1/calmline")
    assert nobody.returncode == 1 and "cannot connect" in nobody.stdout
    in_url = calmline(env, "sync", "--target", "postgresql://agent-7:secret@127.0.0.1/calmline")
    assert in_url.returncode == 1 and "holds a password" in in_url.stderr
    assert "secret" not in in_url.stderr.replace("--set-secret", "")
    assert pending_count(Store(open_database(home / "calmline.db"))) == 5


def test_two_machines_of_one_agent_sync_the_same_records_at_once(
    server: dict[str, Any], home: Path, tmp_path: Path
) -> None:
    import shutil

    flow = seed(home, calls=60)
    flow.store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    shutil.copy(home / "calmline.db", laptop / "calmline.db")
    [first, *_] = flow.store.incidents()
    newer = flow.store.save(type(first)(**{**first.__dict__, "summary": "- newer on the desktop"}))
    env = agent_env(home, tmp_path, server, "agent-7")
    runs = [
        subprocess.Popen([sys.executable, "-m", "calmline", "sync", "--target",
                          url(server, "agent-7")], env=dict(env, CALMLINE_HOME=str(h)),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for h in (home, laptop)
    ]  # fmt: skip
    for proc in runs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out + err
    remote = remote_versions(server, "agent-7")
    assert remote[("incident", first.meta.id)] == newer.meta.version
    assert {k: v for k, v in remote.items() if k in local_versions(home)} == local_versions(home)
