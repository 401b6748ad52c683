"""One time format everywhere a record goes: the same record's times are the same
text in its local database row, in both exports (`calmline incidents export`,
JSON and CSV) and in the sync document of every target — the folder's file, the
row PostgreSQL holds when read back, the body of the HTTPS POST. Until one
encoder served all of them, the row carried microseconds and the rest
milliseconds."""

from __future__ import annotations

import csv
import http.server
import json
import os
import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import psycopg
import pytest

from calmline.core.records import (
    FollowUp,
    Incident,
    IncidentStatus,
    Note,
    Shift,
    StepAction,
    StepEvent,
)
from calmline.core.sync_docs import SyncDoc
from calmline.platform.paths import app_paths, resource_path
from calmline.store.database import open_database
from calmline.store.repository import Store
from calmline.store.sync_queue import pending_docs
from calmline.sync.base import BatchResult
from calmline.sync.folder import FolderTarget
from calmline.sync.https import HttpsTarget
from calmline.sync.postgres import TABLES, PostgresTarget  # the local tables' names too
from tests.fakes import FakeClock
from tests.servers import _tls_server, calmline_postgresql, self_signed

# Microseconds that milliseconds cannot hold: a shortened time shows.
T0 = datetime(2026, 11, 22, 9, 0, 1, 123456, tzinfo=UTC)
SCHEMA = json.loads(resource_path("schemas", "sync-document.schema.json").read_text())
TIMES = {
    "shift": ("started_at", "ended_at"),
    "incident": ("started_at", "ended_at", "finalised_at"),
    "note": ("wall_time",),
    "step_event": ("wall_time",),
    "followup": ("done_at",),
}
META_TIMES = ("created_at", "updated_at")

Texts = dict[tuple[str, str, str], str]  # (record type, id, field) -> the time's text


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """The targets here need no secret: none is looked for in a real keyring."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def seed(store: Store, clock: FakeClock) -> None:
    """One of each record, every time field set, each saved at an odd microsecond."""

    def later(seconds: float) -> datetime:
        clock.advance(seconds)
        return clock()

    shift = store.save(Shift("agent-7", clock()))
    call = store.save(Incident(shift.meta.id, later(1.000001), playbook_id="irate-caller"))
    store.save(Note(shift.meta.id, "wants a refund", later(30.5), call.meta.id, 30.5))
    store.save(StepEvent(call.meta.id, "apologise", StepAction.TICK, later(2.25), 32.75))
    ended = later(60.000042)
    final = later(90.7)
    store.save(replace(call, ended_at=ended, status=IncidentStatus.FINAL, finalised_at=final))
    followup = store.save(FollowUp(call.meta.id, "call back"))
    store.save(replace(followup, done_at=later(3600.333333), done_note="refund sent"))
    store.save(replace(shift, ended_at=later(7200.1)))


def local_times(db_path: Path) -> Texts:
    db = sqlite3.connect(db_path)
    out: Texts = {}
    for kind, table in TABLES.items():
        fields = (*TIMES[kind], *META_TIMES)
        for rid, *values in db.execute(f"SELECT id, {', '.join(fields)} FROM {table}"):
            out.update({(kind, rid, f): v for f, v in zip(fields, values, strict=True) if v})
    db.close()
    return out


def times_of(kind: str, record: dict[str, Any]) -> Texts:
    return {
        (kind, record["id"], f): record[f]
        for f in (*TIMES[kind], *META_TIMES)
        if record.get(f) is not None
    }


def from_documents(documents: list[dict[str, Any]]) -> Texts:
    out: Texts = {}
    for doc in documents:
        jsonschema.validate(doc, SCHEMA)
        out.update(times_of(doc["type"], doc["record"]))
    return out


def all_confirmed(result: BatchResult, docs: list[SyncDoc]) -> None:
    assert not result.failure and not result.set_aside, result
    assert len(result.confirmed) == len(docs)


@pytest.fixture
def seeded(home: Path) -> tuple[Path, Texts, list[SyncDoc]]:
    db_path = app_paths().database
    db_path.parent.mkdir(parents=True, exist_ok=True)
    clock = FakeClock(T0)
    store = Store(open_database(db_path), clock)
    seed(store, clock)
    docs = pending_docs(store)
    store.close()
    local = local_times(db_path)
    assert len(local) == 18 and len(docs) == 5
    assert all(datetime.fromisoformat(t).utcoffset() == timedelta(0) for t in local.values())
    assert all(len(t) == 32 and t[19] == "." for t in local.values())  # UTC, 6 digits
    assert all(t[23:26] != "000" for t in local.values())  # what milliseconds would cut
    return home, local, docs


def calmline(home: Path, *args: str) -> str:
    env = dict(os.environ, CALMLINE_HOME=str(home))
    done = subprocess.run([sys.executable, "-m", "calmline", *args], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_exports_carry_the_rows_times(seeded: tuple[Path, Texts, list[SyncDoc]]) -> None:
    home, local, _ = seeded
    exported: Texts = {}
    for incident in json.loads(calmline(home, "incidents", "export", "--format", "json")):
        exported.update(times_of("incident", incident))
        for kind, key in (("note", "notes"), ("step_event", "step_events")):
            for record in incident[key]:
                exported.update(times_of(kind, record))
    assert exported == {
        k: v for k, v in local.items() if k[0] in {"incident", "note", "step_event"}
    }

    dest = home / "incidents.csv"
    calmline(home, "incidents", "export", "--format", "csv", "-o", str(dest))
    (row,) = csv.DictReader(dest.open(encoding="utf-8-sig"))
    assert times_of("incident", row) == {k: v for k, v in local.items() if k[0] == "incident"}


def test_the_folder_documents_carry_the_rows_times(
    seeded: tuple[Path, Texts, list[SyncDoc]], tmp_path: Path
) -> None:
    _, local, docs = seeded
    root = tmp_path / "team"
    root.mkdir()
    (root / ".calmline-store").touch()
    all_confirmed(FolderTarget(root).send(docs), docs)
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in root.rglob("*.json")]
    assert from_documents(documents) == local


def test_postgresql_holds_the_rows_times(seeded: tuple[Path, Texts, list[SyncDoc]]) -> None:
    _, local, docs = seeded
    with calmline_postgresql() as server:
        target = PostgresTarget(server["admin"])  # the superuser, over the local socket
        try:
            all_confirmed(target.send(docs), docs)
        finally:
            target.close()
        held: Texts = {}
        with psycopg.connect(server["admin"]) as conn:
            for kind, table in TABLES.items():
                for (record,) in conn.execute(f"SELECT record FROM calmline.{table}"):
                    held.update(times_of(kind, record))
            # and as timestamptz (what a team lead's query reads) nothing is lost
            for text, instant in conn.execute(
                "SELECT record->>'started_at', (record->>'started_at')::timestamptz "
                "FROM calmline.incidents"
            ):
                assert instant == datetime.fromisoformat(text) and instant.microsecond % 1000
    assert held == local


@pytest.fixture
def https_bodies(tmp_path: Path) -> Iterator[tuple[str, ssl.SSLContext, list[bytes]]]:
    """An endpoint over real TLS that keeps each POST's body and stores every record."""
    bodies: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            bodies.append(body)
            answer = json.dumps({"records": [
                {"type": d["type"], "id": d["id"], "version": d["version"], "status": "stored"}
                for d in json.loads(body)["records"]
            ]}).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(cafile=str(cert))
    with _tls_server(Handler, cert, key) as port:
        yield f"https://127.0.0.1:{port}/api/records", context, bodies


def test_the_https_body_carries_the_rows_times(
    seeded: tuple[Path, Texts, list[SyncDoc]],
    https_bodies: tuple[str, ssl.SSLContext, list[bytes]],
) -> None:
    _, local, docs = seeded
    url, context, bodies = https_bodies
    all_confirmed(HttpsTarget(url, context).send(docs), docs)
    (body,) = bodies
    assert from_documents(json.loads(body)["records"]) == local
    for text in local.values():  # byte for byte: the body holds the row's very text
        assert f'"{text}"'.encode() in body
