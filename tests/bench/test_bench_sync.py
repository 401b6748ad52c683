"""Sync figures. Targets: 10,000 incidents with notes synced from cold to the
folder target in < 10 s; a sync with nothing to send in < 0.2 s."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from calmline.core.records import Incident, Note, Shift
from calmline.store.database import open_database
from calmline.store.repository import Store
from calmline.sync.folder import FolderTarget
from calmline.sync.runner import run_sync
from tests.fakes import FakeClock

INCIDENTS = 10_000


def seeded_store(path: Path) -> Store:
    clock = FakeClock()
    store = Store(open_database(path), clock)
    store.db.conn.execute("PRAGMA synchronous=OFF")  # seeding only: the sync is what we time
    shift = store.save(Shift("agent-7", clock()))
    for n in range(INCIDENTS):
        start = clock()
        incident = store.save(
            Incident(shift.meta.id, start, start + timedelta(minutes=4), caller_number=f"{n}",
                     summary="- caller charged twice\n- refund agreed")
        )  # fmt: skip
        store.save(Note(shift.meta.id, "charged twice in October", start, incident.meta.id, 30.0))
        clock.advance(300)
    store.db.conn.execute("PRAGMA synchronous=FULL")
    return store


def test_bench_sync_10k_incidents_to_a_folder(tmp_path: Path, benchmark: BenchmarkFixture) -> None:
    store = seeded_store(tmp_path / "calmline.db")
    target = tmp_path / "team"
    target.mkdir()
    (target / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
    summary = benchmark.pedantic(
        lambda: run_sync(store, FolderTarget(target)), rounds=1, iterations=1
    )
    assert summary.sent == summary.total == 2 * INCIDENTS + 1
    cold = benchmark.stats.stats.max
    t0 = time.perf_counter()
    again = run_sync(store, FolderTarget(target))
    empty = time.perf_counter() - t0
    assert again.total == 0
    env = dict(os.environ, CALMLINE_HOME=str(tmp_path))
    t0 = time.perf_counter()
    cli = subprocess.run(
        [sys.executable, "-m", "calmline", "sync", "--target", str(target)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    cli_s = time.perf_counter() - t0
    assert cli.returncode == 0 and "Nothing to send" in cli.stdout
    benchmark.extra_info.update(
        records=summary.total, cold_s=round(cold, 2), nothing_to_send_s=round(empty, 4),
        cli_nothing_to_send_s=round(cli_s, 3),
    )  # fmt: skip
    print(
        f"\nfolder sync of {summary.total} records from cold: {cold:.2f} s; nothing to send: "
        f"{empty * 1000:.1f} ms in process, {cli_s * 1000:.0f} ms for `calmline sync`"
    )
    assert cold < 10
    assert empty < 0.2


def test_bench_sync_10k_incidents_to_postgresql(
    tmp_path: Path, benchmark: BenchmarkFixture
) -> None:
    import psycopg

    from calmline.platform.paths import resource_path
    from calmline.sync.postgres import PostgresTarget
    from tests.servers import postgresql

    store = seeded_store(tmp_path / "calmline.db")
    sql = resource_path("..", "installers", "server", "postgresql.sql").resolve()
    with postgresql() as pg:
        with psycopg.connect(pg.url, autocommit=True) as c:
            c.execute("CREATE DATABASE calmline")
        db = pg.url.replace("/postgres?", "/calmline?")
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", str(sql)],
                       check=True, capture_output=True)  # fmt: skip
        with psycopg.connect(db, autocommit=True) as c:
            c.execute("""CREATE ROLE "agent-7" LOGIN IN ROLE calmline_agent""")
        agent_url = db.replace("postgres@", "agent-7@")  # over the socket: trust, no password
        target = PostgresTarget(agent_url)
        summary = benchmark.pedantic(lambda: run_sync(store, target), rounds=1, iterations=1)
        target.close()
        assert summary.sent == summary.total == 2 * INCIDENTS + 1 and not summary.failure
        cold = benchmark.stats.stats.max
        t0 = time.perf_counter()
        again = run_sync(store, PostgresTarget(agent_url))
        empty = time.perf_counter() - t0
    assert again.total == 0
    benchmark.extra_info.update(records=summary.total, cold_s=round(cold, 2),
                                nothing_to_send_s=round(empty, 4))  # fmt: skip
    print(f"\npostgresql sync of {summary.total} records from cold: {cold:.2f} s; "
          f"nothing to send: {empty * 1000:.1f} ms")  # fmt: skip
    assert cold < 5
    assert empty < 0.2
