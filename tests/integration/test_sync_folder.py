"""Shift-end sync to a folder target, on real files and real processes: every
record lands once, at its newest version, whatever is killed or fails."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from calmline.core.records import FollowUp
from calmline.flow import Flow
from calmline.platform.paths import resource_path
from calmline.store.codec import iso
from calmline.store.database import open_database
from calmline.store.repository import Store
from calmline.store.sync_queue import pending_count, purge_synced
from tests.fakes import FakeClock, make_flow
from tests.integration.sync_kills import kill_mid_sync

SCHEMA = json.loads(resource_path("schemas", "sync-document.schema.json").read_text())


def seed(home: Path, calls: int, clock: FakeClock | None = None) -> Flow:
    """A shift with ``calls`` calls, each with notes, ticks and a follow-up."""
    clock = clock or FakeClock()
    flow = make_flow(home / "calmline.db", clock, agent_id="agent-7")
    flow.start_shift("agent-7")
    for n in range(calls):
        flow.start_call(f"+44 20 7946 {n:04d}")
        clock.advance(30)
        flow.note(f"caller {n} wants a refund")
        flow.tick()
        clock.advance(60)
        incident = flow.end_call()
        flow.save_incident(incident, final=False)
        flow.store.save(FollowUp(incident.meta.id, f"call back {n}", due=None))
    return flow


def local_versions(home: Path) -> dict[tuple[str, str], int]:
    db = sqlite3.connect(home / "calmline.db")
    out = {}
    for kind, table in [("shift", "shifts"), ("incident", "incidents"), ("note", "notes"),
                        ("step_event", "step_events"), ("followup", "followups")]:  # fmt: skip
        for rid, version in db.execute(f"SELECT id, version FROM {table}"):
            out[(kind, rid)] = version
    db.close()
    return out


def target_versions(root: Path) -> dict[tuple[str, str], int]:
    """Every document in the folder, checked against the shipped schema."""
    out: dict[tuple[str, str], int] = {}
    for path in root.rglob("*.json"):
        doc = json.loads(path.read_text())
        jsonschema.validate(doc, SCHEMA)
        assert path.name == f"{doc['type']}-{doc['id']}.json"
        assert path.parent.name == doc["shift_day"] and path.parent.parent.name == "agent-7"
        key = (doc["type"], doc["id"])
        assert key not in out, f"{key} twice"
        out[key] = doc["version"]
    return out


def sync(home: Path, target: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CALMLINE_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "calmline", "sync", "--target", str(target)],
        env=env, capture_output=True, text=True, timeout=120, **kw,  # type: ignore[call-overload]
    )  # fmt: skip


def test_everything_lands_once_and_a_second_run_sends_nothing(home: Path, tmp_path: Path) -> None:
    seed(home, calls=3)
    target = tmp_path / "team"
    target.mkdir()
    (target / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
    first = sync(home, target)
    assert first.returncode == 0, first.stderr
    # 1 shift + 3 x (incident, note, tick, follow-up)
    assert "Sent 13 of 13 records" in first.stdout
    assert "sent 13 of 13" in first.stderr  # progress
    assert target_versions(target) == local_versions(home)
    second = sync(home, target)
    assert second.returncode == 0 and "Nothing to send" in second.stdout


def test_a_record_changed_after_sync_is_sent_again_at_its_new_version(
    home: Path, tmp_path: Path
) -> None:
    flow = seed(home, calls=1)
    target = tmp_path / "team"
    target.mkdir()
    (target / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
    assert sync(home, target).returncode == 0
    [incident] = flow.store.incidents()
    changed = flow.store.save(type(incident)(**{**incident.__dict__, "summary": "- refund agreed"}))
    assert sync(home, target).returncode == 0
    versions = target_versions(target)
    assert (
        versions[("incident", incident.meta.id)]
        == changed.meta.version
        == incident.meta.version + 1
    )
    assert versions == local_versions(home)


def test_an_older_version_never_replaces_a_newer_one(home: Path, tmp_path: Path) -> None:
    flow = seed(home, calls=1)
    target = tmp_path / "team"
    target.mkdir()
    (target / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
    assert sync(home, target).returncode == 0
    [path] = target.rglob("incident-*.json")
    newer = json.loads(path.read_text())
    newer["version"], newer["record"]["summary"] = 9, "- edited on another machine"
    path.write_text(json.dumps(newer))
    [incident] = flow.store.incidents()
    flow.store.save(type(incident)(**{**incident.__dict__, "summary": "- local edit"}))
    result = sync(home, target)
    assert result.returncode == 0 and "Sent 1 of 1" in result.stdout  # confirmed: newer there
    assert json.loads(path.read_text())["record"]["summary"] == "- edited on another machine"
    assert pending_count(Store(open_database(home / "calmline.db"))) == 0


def test_killed_at_random_points_20_times_lands_exactly_once(home: Path, tmp_path: Path) -> None:
    flow = seed(home, calls=150)  # 601 records: seven batches
    target = tmp_path / "team"
    target.mkdir()
    (target / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
    env = dict(os.environ, CALMLINE_HOME=str(home))
    assert kill_mid_sync(flow.store, env, str(target), seed=7) >= 10  # most landed mid-sync
    final = sync(home, target)
    assert final.returncode == 0, final.stdout + final.stderr
    assert target_versions(target) == local_versions(home)
    assert pending_count(flow.store) == 0
    assert not list(target.rglob("*.tmp"))  # no half-written file left behind


def test_two_machines_of_one_agent_sync_the_same_records(home: Path, tmp_path: Path) -> None:
    flow = seed(home, calls=20)
    other = tmp_path / "laptop"
    other.mkdir()
    flow.store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(home / "calmline.db", other / "calmline.db")
    [first, *_] = flow.store.incidents()
    flow.store.save(type(first)(**{**first.__dict__, "summary": "- newer on the desktop"}))
    target = tmp_path / "team"
    target.mkdir()
    (target / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
    env = dict(os.environ)
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "calmline", "sync", "--target", str(target)],
            env=dict(env, CALMLINE_HOME=str(h)),
            stdout=subprocess.PIPE,
            text=True,
        )
        for h in (home, other)
    ]
    assert all(p.wait(120) == 0 for p in runs)
    versions = target_versions(target)
    assert versions == local_versions(home)  # the desktop holds the newest of everything
    assert versions[("incident", first.meta.id)] == first.meta.version + 1


@contextmanager
def small_filesystem(path: Path, size: str) -> Iterator[Path]:
    """A real tmpfs mounted at ``path`` (a share that fills up or turns read-only)."""
    path.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]
    ).returncode:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def test_a_full_then_read_only_share_stops_the_sync_and_keeps_the_rest_pending(
    home: Path, tmp_path: Path
) -> None:
    seed(home, calls=10)  # 41 records; 4 KiB each on tmpfs: a 64 KiB share fills partway
    with small_filesystem(tmp_path / "team", "64k") as target:
        (target / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
        full = sync(home, target)
        assert full.returncode == 1
        sent = int(full.stdout.split("Sent ")[1].split(" of ")[0])
        assert 0 < sent < 41, full.stdout  # stopped mid-batch
        assert f"folder {target}: cannot write " in full.stdout
        assert "No space left on device" in full.stdout
        assert "safe in the local database and will be sent by the next sync" in full.stdout
        store = Store(open_database(home / "calmline.db"))
        assert pending_count(store) == 41 - sent
        assert len(target_versions(target)) == sent  # what was confirmed is there, whole
        subprocess.run(["mount", "-o", "remount,ro,size=1m", str(target)], check=True)
        read_only = sync(home, target)
        assert read_only.returncode == 1 and "Read-only file system" in read_only.stdout
        assert pending_count(store) == 41 - sent
        subprocess.run(["mount", "-o", "remount,rw,size=1m", str(target)], check=True)
        assert sync(home, target).returncode == 0
        assert target_versions(target) == local_versions(home)
        assert pending_count(store) == 0


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://files.example.com/calmline", "unknown kind 'ftp:'"),
        ("http://sync.example.com/api", "plain http would send incident data unencrypted"),
    ],
)
def test_a_bad_target_is_one_clear_line(home: Path, tmp_path: Path, url: str, says: str) -> None:
    seed(home, calls=1)
    result = subprocess.run(
        [sys.executable, "-m", "calmline", "sync", "--target", url],
        env=dict(os.environ, CALMLINE_HOME=str(home)), capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert says in line and url in line


def test_a_missing_share_is_named(home: Path, tmp_path: Path) -> None:
    seed(home, calls=1)
    result = sync(home, tmp_path / "not-mounted")
    assert result.returncode == 1
    assert f"folder {tmp_path / 'not-mounted'}: the folder does not exist" in result.stdout
    assert "5 not sent" in result.stdout


def test_retention_purges_only_old_shifts_whose_records_are_all_synced(
    home: Path, tmp_path: Path
) -> None:
    clock = FakeClock(datetime.now(UTC) - timedelta(days=200))
    flow = make_flow(home / "calmline.db", clock, agent_id="agent-7")

    def shift(followup_open: bool = False) -> str:
        s = flow.start_shift("agent-7")
        flow.start_call("+44 20 7946 0000")
        flow.note("x")
        incident = flow.end_call()
        done = None if followup_open else clock()
        flow.store.save(FollowUp(incident.meta.id, "call back", done_at=done))
        flow.end_shift()
        clock.advance(86400)
        return s.meta.id

    old_synced, old_open_promise = shift(), shift(followup_open=True)
    target = tmp_path / "team"
    target.mkdir()
    (target / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
    assert sync(home, target).returncode == 0  # sends all, then purges old confirmed shifts
    store = Store(open_database(home / "calmline.db"))
    shifts = {r[0] for r in store.db.execute("SELECT id FROM shifts")}
    assert shifts == {old_open_promise}  # an open promise keeps its shift
    assert old_synced not in shifts and len(list(target.rglob("shift-*.json"))) == 2
    assert store.db.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 1
    # An old shift with a record changed since its sync is never purged.
    [followup] = [
        f
        for i in store.incidents(shift_id=old_open_promise)
        for f in store.followups_for(i.meta.id)
    ]
    store.save(type(followup)(**{**followup.__dict__, "done_at": clock()}))
    assert purge_synced(store, iso(datetime.now(UTC) - timedelta(days=90))) == 0
    assert sync(home, target).returncode == 0  # now confirmed: purged by this run
    assert store.db.execute("SELECT COUNT(*) FROM shifts").fetchone()[0] == 0
