"""Sync confirms only what truly arrived (issue 17, class 4), against real servers
and a real share: a redirecting TLS server never gets the token elsewhere; a 2xx
that is not the server's per-record answer (a captive portal) confirms nothing;
PostgreSQL needs verified TLS for a host that is not this computer; a planted
symlink in the share is never followed and an unmounted share is never written;
a record a target refuses for good is set aside with its reason and never
blocks the records behind it (row-level security with two agent roles)."""

from __future__ import annotations

import io
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from calmline.core.sync_docs import Confirmed, SyncDoc
from calmline.flow import Flow
from calmline.store.repository import Store
from calmline.store.sync_queue import (
    SetAside,
    mark_set_aside,
    mark_synced,
    pending_count,
    pending_docs,
    purge_synced,
    retry_set_aside,
    set_aside_records,
)
from calmline.sync import postgres, share
from calmline.sync.base import BatchResult
from calmline.sync.folder import MARKER, FolderTarget
from calmline.sync.https import HttpsTarget
from calmline.sync.postgres import PostgresTarget, tls_options, tls_required
from calmline.sync.runner import run_sync
from calmline.sync.targets import target_for
from tests.integration.test_sync_folder import local_versions, seed, small_filesystem
from tests.servers import calmline_postgresql, https_endpoint, https_probe

TOKEN = "t0ken-for-agent-7"
REPO = Path(__file__).resolve().parents[2]


def trusting(*certs: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certs[0]))
    for cert in certs[1:]:
        context.load_verify_locations(cafile=str(cert))
    return context


def https_target(url: str, *certs: Path, token: str | None = TOKEN) -> HttpsTarget:
    target = HttpsTarget(url, trusting(*certs))
    target.__dict__["token"] = token  # as if read from the keyring
    return target


def calmline(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "calmline", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def keyring_env(home: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    return dict(os.environ, CALMLINE_HOME=str(home), XDG_DATA_HOME=str(tmp_path / "keyring"),
                PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring", **extra)  # fmt: skip


# -- HTTPS: redirects ------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failure_and_the_token_never_goes_where_it_points(
    home: Path, status: int
) -> None:
    """Before: urllib followed 301/302/303 with the Authorization header to the
    new address (and counted its 2xx as accepted)."""
    flow = seed(home, calls=1)
    with (
        https_probe() as (elsewhere, seen_there, cert_b),
        https_probe(elsewhere, status) as (url, seen_here, cert_a),
    ):
        summary = run_sync(flow.store, https_target(url, cert_a, cert_b))
    assert summary.sent == 0 and summary.pending == 5
    where = elsewhere.split("/")[2]
    assert f"redirected ({status}) to {where.split(':')[0]}" in summary.failure
    assert "never follows a redirect" in summary.failure
    assert seen_there == []  # the address it points to heard nothing at all
    assert [h.get("Authorization") for _, _, h in seen_here] == [f"Bearer {TOKEN}"]
    assert pending_count(flow.store) == 5


def test_the_cli_names_the_redirect_in_one_line(home: Path, tmp_path: Path) -> None:
    seed(home, calls=1)
    with (
        https_probe() as (elsewhere, seen_there, cert_b),
        https_probe(elsewhere, 302) as (url, _seen, cert_a),
    ):
        bundle = tmp_path / "trusted.pem"
        bundle.write_text(cert_a.read_text() + cert_b.read_text())
        env = keyring_env(home, tmp_path, SSL_CERT_FILE=str(bundle))
        stored = calmline(env, "sync", "--set-secret", "--target", url, stdin=TOKEN + "\n")
        assert stored.returncode == 0, stored.stderr
        result = calmline(env, "sync", "--target", url)
    assert result.returncode == 1
    assert "redirected (302) to 127.0.0.1" in result.stdout
    assert "5 not sent" in result.stdout and "safe in the local database" in result.stdout
    assert seen_there == [] and TOKEN not in result.stdout + result.stderr


# -- HTTPS: only the documented answer confirms -------------------------------------


def _answer_for(docs: list[SyncDoc], **change: Any) -> bytes:
    records = [{"type": d.record_type, "id": d.record_id, "version": d.version,
                "status": "stored", **change} for d in docs]  # fmt: skip
    return json.dumps({"records": records}).encode()


NOT_CONFIRMING = {
    "captive portal": (200, "text/html", b"<html><body>Sign in to Guest Wi-Fi</body></html>"),
    "empty 200": (200, "application/json", b""),
    "204 no content": (204, "application/json", b""),
    "a count only": (200, "application/json", b'{"accepted": 5}'),
    "JSON of something else": (200, "application/json", b'{"ok": true}'),
    "other ids": (200, "application/json", None),  # filled in below
    "an older version": (201, "application/json", None),
}


@pytest.mark.parametrize("case", list(NOT_CONFIRMING))
def test_a_2xx_that_does_not_confirm_the_records_sends_nothing(home: Path, case: str) -> None:
    """Before: any 2xx counted the whole batch as sent."""
    flow = seed(home, calls=1)
    docs = pending_docs(flow.store)
    status, kind, body = NOT_CONFIRMING[case]
    if case == "other ids":
        body = _answer_for(docs, id="00000000-0000-0000-0000-000000000000")
    elif case == "an older version":
        body = json.dumps({"records": [{"type": d.record_type, "id": d.record_id,
                                        "version": d.version - 1, "status": "stored"}
                                       for d in docs]}).encode()  # fmt: skip
    with https_endpoint(TOKEN) as (url, state, cert):
        state["raw"] = (status, kind, body)
        summary = run_sync(flow.store, https_target(url, cert))
        assert state["records"] == {}
    assert summary.sent == 0 and pending_count(flow.store) == 5
    assert "nothing of this batch counts as sent" in summary.failure or (
        "the other 5 stay pending" in summary.failure
    )
    assert "\n" not in summary.text()


def test_only_the_records_the_answer_confirms_leave_the_outbox(home: Path) -> None:
    flow = seed(home, calls=1)
    docs = pending_docs(flow.store)
    with https_endpoint(TOKEN) as (url, state, cert):
        state["raw"] = (200, "application/json", _answer_for(docs[:2]))
        summary = run_sync(flow.store, https_target(url, cert))
        assert (summary.sent, pending_count(flow.store)) == (2, 3)
        assert "confirms 2 and refuses 0 of the 5 records sent" in summary.failure
        again = run_sync(flow.store, https_target(url, cert))  # the real answer now
        assert again.sent == again.total == 3 and pending_count(flow.store) == 0
        assert set(state["records"]) == {d.key for d in docs[2:]}  # only those were sent again


def test_a_record_the_server_rejects_is_set_aside_and_the_rest_still_arrive(
    home: Path, tmp_path: Path
) -> None:
    flow = seed(home, calls=30)  # 121 records: two batches
    [bad, *_] = flow.store.incidents()
    with https_endpoint(TOKEN) as (url, state, cert):
        state["refuse"] = {bad.meta.id: "customer_ref 'X-1' is not an account we know"}
        summary = run_sync(flow.store, https_target(url, cert))
        assert (summary.total, summary.sent, len(summary.set_aside)) == (121, 120, 1)
        assert not summary.failure
        everything_else = {k: v for k, v in local_versions(home).items() if k[1] != bad.meta.id}
        assert state["records"] == everything_else
        text = summary.text()
        assert f"incident {bad.meta.id[:8]} (version {bad.meta.version})" in text
        assert "customer_ref 'X-1' is not an account we know" in text
        assert "--retry-set-aside" in text and "not sent" not in text
        # a later run does not send it again, and says it is still set aside
        later = run_sync(flow.store, https_target(url, cert))
        assert later.total == 0 and later.earlier == 1 and later.unsynced == 1
        assert "set aside" in later.text()
        # the doctor lists it with its reason
        env = keyring_env(home, tmp_path)
        (home / "config.toml").write_text(f'[sync]\ntarget = "{url}"\n')
        doctor = calmline(env, "doctor")
        assert doctor.returncode == 1
        assert "[FAIL] sync: to " in doctor.stdout and "1 record(s) set aside" in doctor.stdout
        assert "is not an account we know" in doctor.stdout
        # once the server takes it, an explicit retry sends it
        state["refuse"] = {}
        stored = calmline(env, "sync", "--set-secret", "--target", url, stdin=TOKEN + "\n")
        assert stored.returncode == 0
        retried = calmline(dict(env, SSL_CERT_FILE=str(cert)), "sync", "--retry-set-aside")
        assert retried.returncode == 0, retried.stdout + retried.stderr
        assert "Sent 1 of 1 records" in retried.stdout
        assert state["records"] == local_versions(home) and pending_count(flow.store) == 0


def test_a_set_aside_record_changed_again_is_sent_by_itself(home: Path) -> None:
    flow = seed(home, calls=1)
    [incident] = flow.store.incidents()
    with https_endpoint(TOKEN) as (url, state, cert):
        state["refuse"] = {incident.meta.id: "summary too long"}
        first = run_sync(flow.store, https_target(url, cert))
        assert len(first.set_aside) == 1
        state["refuse"] = {}
        flow.store.save(type(incident)(**{**incident.__dict__, "summary": "- shorter"}))
        second = run_sync(flow.store, https_target(url, cert))
        assert (second.total, second.sent, second.earlier) == (1, 1, 0)
        assert set_aside_records(flow.store) == [] and pending_count(flow.store) == 0


def test_the_documented_answer_is_what_confirms_and_the_test_server_gives_it(
    home: Path,
) -> None:
    import urllib.request

    import jsonschema

    from calmline.sync.https import read_answer

    schema = json.loads((REPO / "installers" / "server" / "sync-answer.schema.json").read_text())
    flow = seed(home, calls=1)
    docs = pending_docs(flow.store)[:3]
    answer = {"records": [
        {"type": docs[0].record_type, "id": docs[0].record_id, "version": docs[0].version,
         "status": "stored"},
        {"type": docs[1].record_type, "id": docs[1].record_id, "version": docs[1].version + 2,
         "status": "held"},
        {"type": docs[2].record_type, "id": docs[2].record_id, "version": docs[2].version,
         "status": "rejected", "reason": "not an account we know"},
    ]}  # fmt: skip
    jsonschema.validate(answer, schema)
    read = read_answer(docs, json.dumps(answer).encode(), "application/json")
    assert not isinstance(read, str) and not read.failure
    assert [c.record_id for c in read.confirmed] == [docs[0].record_id, docs[1].record_id]
    assert [r.reason for r in read.set_aside] == ["refused by the server: not an account we know"]
    with https_endpoint(TOKEN) as (url, state, cert):
        state["refuse"] = {docs[2].record_id: "not an account we know"}
        body = json.dumps({"records": [d.document() for d in docs]}).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(request, context=trusting(cert)) as response:
            jsonschema.validate(json.loads(response.read()), schema)


def test_a_422_that_names_a_rejected_record_sets_only_that_one_aside(home: Path) -> None:
    flow = seed(home, calls=1)
    docs = pending_docs(flow.store)
    bad = docs[1]
    rejected = {"message": "validation failed", "records": [
        {"type": bad.record_type, "id": bad.record_id, "version": bad.version,
         "status": "rejected", "reason": "shift_day is in the future"},
        {"type": docs[0].record_type, "id": docs[0].record_id, "version": docs[0].version,
         "status": "stored"},  # a refusal's answer cannot confirm: ignored
    ]}  # fmt: skip
    with https_endpoint(TOKEN) as (url, state, cert):
        state["reject"] = (422, rejected)
        first = run_sync(flow.store, https_target(url, cert))
        assert first.sent == 0 and [r.record_id for r in first.set_aside] == [bad.record_id]
        assert "the other 4 stay pending" in first.failure and pending_count(flow.store) == 5
        second = run_sync(flow.store, https_target(url, cert))
        assert (second.total, second.sent, second.earlier) == (4, 4, 1)
        assert bad.key not in state["records"] and len(state["records"]) == 4


def test_a_409_counts_only_for_the_records_its_answer_names(home: Path) -> None:
    flow = seed(home, calls=1)
    docs = pending_docs(flow.store)
    with https_endpoint(TOKEN) as (url, state, cert):
        state["reject"] = (409, {"message": "newer version held"})
        bare = run_sync(flow.store, https_target(url, cert))
        assert bare.sent == 0 and "refused (409): newer version held" in bare.failure
        held = json.loads(_answer_for(docs[:1], status="held", version=docs[0].version + 5))
        state["reject"] = (409, held)
        named = run_sync(flow.store, https_target(url, cert))
        assert named.sent == 1 and pending_count(flow.store) == 4


# -- PostgreSQL: TLS for any host that is not this computer -------------------------


@pytest.mark.parametrize(
    ("info", "env", "required"),
    [
        ({"host": "127.0.0.1"}, {}, False),
        ({"host": "localhost"}, {}, False),
        ({"host": "::1"}, {}, False),
        ({"host": "127.0.0.53"}, {}, False),
        ({"host": "/run/postgresql"}, {}, False),  # a Unix-socket folder
        ({"host": "@calmline"}, {}, False),  # an abstract socket
        ({}, {}, False),  # the default socket
        ({"host": "db.example.com"}, {}, True),
        ({"host": "10.0.0.5"}, {}, True),
        ({"host": "localhost.example.com"}, {}, True),
        ({"host": "localhost,db.example.com"}, {}, True),  # a fallback elsewhere
        ({"host": "db.example.com", "hostaddr": "127.0.0.1"}, {}, True),  # the name counts
        ({"host": "localhost", "hostaddr": "10.0.0.5"}, {}, True),  # where it really goes
        ({}, {"PGHOST": "db.example.com"}, True),  # libpq would take it from there
        ({"service": "team"}, {}, True),  # pg_service.conf decides: assume elsewhere
        ({"host": "db.example.com", "sslmode": "require"}, {}, False),  # IT decided
        ({"host": "db.example.com", "sslmode": "disable"}, {}, False),
        ({"host": "db.example.com"}, {"PGSSLMODE": "disable"}, True),  # not the URL: ignored
    ],
)
def test_when_verified_tls_is_required(info: dict, env: dict, required: bool) -> None:  # type: ignore[type-arg]
    assert tls_required(info, env) is required
    options = tls_options(info, env)
    assert (options.get("sslmode") == "verify-full") is required
    assert not required or options.get("sslrootcert")


def test_tls_options_take_the_ca_it_names(tmp_path: Path) -> None:
    info = {"host": "db.example.com", "sslrootcert": "/etc/calmline/ca.pem"}
    assert tls_options(info, {}) == {"sslmode": "verify-full"}
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    found = tls_options({"host": "db.example.com"}, {"SSL_CERT_FILE": str(bundle), "HOME": "/x"})
    assert found["sslrootcert"] in (str(bundle), "system") or Path(found["sslrootcert"]).is_file()


@pytest.fixture(scope="module")
def pg() -> Iterator[dict[str, Any]]:
    """A server without TLS, as the tests' PostgreSQL is, and two agent roles."""
    with calmline_postgresql() as server:
        yield server


@pytest.fixture(scope="module")
def pg_tls() -> Iterator[dict[str, Any]]:
    """A server with TLS on, its certificate for db.calmline.test and 127.0.0.1."""
    with calmline_postgresql(tls_names="DNS:db.calmline.test,IP:127.0.0.1") as server:
        yield server


def pg_target(server: dict[str, Any], role: str, host: str = "127.0.0.1", query: str = "",
              monkeypatch: pytest.MonkeyPatch | None = None) -> PostgresTarget:  # fmt: skip
    assert monkeypatch is not None
    monkeypatch.setattr(postgres, "secret_for", lambda name: f"pw-{role}")
    return PostgresTarget(f"postgresql://{role}@{host}:{server['port']}/calmline{query}")


def remote_count(server: dict[str, Any], agent: str) -> int:
    tables = ("shifts", "incidents", "notes", "step_events", "followups")
    with psycopg.connect(server["admin"]) as c:
        counts = [
            c.execute(f"SELECT count(*) FROM calmline.{t} WHERE agent_id = %s", [agent]).fetchone()
            for t in tables
        ]
    return sum(row[0] for row in counts if row)


def test_the_test_server_on_127_0_0_1_still_works_without_tls(
    pg: dict[str, Any], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = seed(home, calls=1)
    target = pg_target(pg, "agent-7", monkeypatch=monkeypatch)
    assert target.tls == {}
    summary = run_sync(flow.store, target)
    target.close()
    assert summary.sent == summary.total == 5


def test_a_server_elsewhere_without_tls_is_refused_in_one_line(
    pg: dict[str, Any], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: libpq's default (sslmode=prefer) fell back to plain text."""
    flow = seed(home, calls=1)
    far = pg_target(pg, "agent-7", "db.calmline.test", "?hostaddr=127.0.0.1",
                    monkeypatch=monkeypatch)  # fmt: skip
    summary = run_sync(flow.store, far)
    far.close()
    assert summary.sent == 0 and pending_count(flow.store) == 5
    assert "db.calmline.test" in summary.failure
    assert "the server does not offer TLS" in summary.failure
    assert "\n" not in summary.failure
    # IT's explicit sslmode wins
    trusted = pg_target(pg, "agent-7", "db.calmline.test", "?hostaddr=127.0.0.1&sslmode=disable",
                        monkeypatch=monkeypatch)  # fmt: skip
    assert run_sync(flow.store, trusted).sent == 5
    trusted.close()


def test_a_tls_server_elsewhere_is_verified(
    pg_tls: dict[str, Any], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: any certificate (or none) was taken (sslmode=prefer)."""
    cert = pg_tls["pg"].root / "tls" / "cert.pem"
    flow = seed(home, calls=1)
    where = "?hostaddr=127.0.0.1"
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    untrusted = pg_target(pg_tls, "agent-7", "db.calmline.test", where, monkeypatch=monkeypatch)
    assert untrusted.tls["sslmode"] == "verify-full"
    refused = run_sync(flow.store, untrusted)
    assert refused.sent == 0 and "its TLS certificate is not trusted here" in refused.failure
    other_name = pg_target(pg_tls, "agent-7", "other.calmline.test",
                           f"{where}&sslrootcert={cert}", monkeypatch=monkeypatch)  # fmt: skip
    wrong = run_sync(flow.store, other_name)
    assert wrong.sent == 0 and "for another host name" in wrong.failure
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the OS trust store's bundle holds it
    verified = pg_target(pg_tls, "agent-7", "db.calmline.test", where, monkeypatch=monkeypatch)
    assert verified.tls["sslrootcert"] == str(cert)
    assert run_sync(flow.store, verified).sent == 5
    assert verified._conn.info.pgconn.ssl_in_use
    verified.close()


# -- PostgreSQL: a record refused for good is set aside -------------------------------


def shift_of(flow: Flow, agent: str) -> None:
    """A shift with one call whose records belong to ``agent``, a day before
    the others (so first in the queue)."""
    from datetime import UTC, datetime

    from calmline.core.records import Incident, Note, Shift
    from tests.fakes import FakeClock

    clock = FakeClock(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    store = Store(flow.store.db, clock)
    shift = store.save(Shift(agent, clock()))
    incident = store.save(Incident(shift.meta.id, clock(), clock(), caller_number="+44 1"))
    store.save(Note(shift.meta.id, "from the hot desk's last agent", clock(), incident.meta.id))


def test_rows_rls_refuses_are_set_aside_and_the_rest_still_arrive(
    pg: dict[str, Any], home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two agent roles: agent-7 syncs a database that also holds a shift of
    agent-8's (first in the queue). Before: the batch's one transaction failed on
    the first row, so agent-7's own records never arrived either."""
    flow = seed(home, calls=30)  # 121 of agent-7's, in two batches
    shift_of(flow, "agent-8")  # 3 records, queued first
    before = remote_count(pg, "agent-7")
    target = pg_target(pg, "agent-7", monkeypatch=monkeypatch)
    summary = run_sync(flow.store, target)
    target.close()
    assert (summary.total, summary.sent, len(summary.set_aside)) == (124, 121, 3)
    assert not summary.failure and remote_count(pg, "agent-7") == before + 121
    assert remote_count(pg, "agent-8") == 0
    reasons = {r.reason for r in summary.set_aside}
    assert reasons == {
        "refused by the server's row-level security: the login agent-7 may write only its "
        "own records, and this one belongs to agent agent-8"
    }
    assert "3 set aside" in summary.text() and "row-level security" in summary.text()
    again = run_sync(flow.store, pg_target(pg, "agent-7", monkeypatch=monkeypatch))
    assert again.total == 0 and again.earlier == 3
    # the doctor names them
    from calmline.cli.doctor import sync_check
    from calmline.context import Context

    monkeypatch.setenv("CALMLINE_HOME", str(home))
    (home / "config.toml").write_text(f'[sync]\ntarget = "{target.url}"\n')
    check = sync_check(Context.load())
    assert not check.ok and "3 record(s) set aside" in check.detail
    assert "belongs to agent agent-8" in check.detail
    # an old set-aside shift is never purged: it is not synced
    assert purge_synced(flow.store, "9999-01-01T00:00:00Z") < 2


def test_a_login_without_privileges_stops_the_run_and_sets_nothing_aside(
    pg: dict[str, Any], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not about a record: every record would fail, so nothing is set aside."""
    with psycopg.connect(pg["admin"], autocommit=True) as c:
        c.execute('DROP ROLE IF EXISTS "agent-9"')
        c.execute("CREATE ROLE \"agent-9\" LOGIN PASSWORD 'pw-agent-9'")  # not in calmline_agent
    flow = make_agent_flow(home, "agent-9")
    summary = run_sync(flow.store, pg_target(pg, "agent-9", monkeypatch=monkeypatch))
    assert summary.sent == 0 and summary.set_aside == ()
    assert pending_count(flow.store) == summary.total == 4  # shift, incident, note, tick
    assert "member of calmline_agent" in summary.failure


def make_agent_flow(home: Path, agent: str) -> Flow:
    from tests.fakes import FakeClock, make_flow

    flow = make_flow(home / "calmline.db", FakeClock(), agent_id=agent)
    flow.start_shift(agent)
    flow.start_call("+44 20 7946 0000")
    flow.note("x")
    flow.tick()
    incident = flow.end_call()
    flow.save_incident(incident, final=False)
    flow.end_shift()
    return flow


# -- Folder: planted links, exclusive temporary files, an unmounted share -----------


@pytest.fixture(params=["by descriptor", "by checked path"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the folder target opens folders: POSIX's and Windows' (checked paths)."""
    monkeypatch.setattr(share, "BY_DESCRIPTOR", request.param == "by descriptor")
    return str(request.param)


def team_store(tmp_path: Path) -> Path:
    root = tmp_path / "team"
    root.mkdir()
    (root / MARKER).touch()
    return root


@pytest.mark.parametrize("planted", ["agent folder", "day folder"])
def test_a_planted_folder_link_is_refused_and_nothing_lands_outside(
    home: Path, tmp_path: Path, way: str, planted: str
) -> None:
    flow = seed(home, calls=2)
    root, outside = team_store(tmp_path), tmp_path / "outside"
    outside.mkdir()
    day = pending_docs(flow.store)[0].shift_day
    if planted == "agent folder":
        (root / "agent-7").symlink_to(outside, target_is_directory=True)
        where = "agent-7/"
    else:
        (root / "agent-7").mkdir()
        (root / "agent-7" / day).symlink_to(outside, target_is_directory=True)
        where = f"agent-7/{day}/"
    summary = run_sync(flow.store, FolderTarget(root))
    assert summary.sent == 0 and pending_count(flow.store) == summary.total == 9
    assert f"{where} in it is a link or not a folder" in summary.failure
    assert "never writes through a link planted in the share" in summary.failure
    assert list(outside.iterdir()) == []


def test_a_planted_link_at_a_document_is_replaced_not_followed(
    home: Path, tmp_path: Path, way: str
) -> None:
    flow = seed(home, calls=1)
    root = team_store(tmp_path)
    [doc] = [d for d in pending_docs(flow.store) if d.record_type == "incident"]
    folder = root / "agent-7" / doc.shift_day
    folder.mkdir(parents=True)
    victim = tmp_path / "victim.json"
    victim.write_text('{"version": 99, "keep": "me"}')
    (folder / f"incident-{doc.record_id}.json").symlink_to(victim)
    summary = run_sync(flow.store, FolderTarget(root))
    assert summary.sent == summary.total == 5  # not "confirmed" by the victim's version 99
    assert victim.read_text() == '{"version": 99, "keep": "me"}'
    written = folder / f"incident-{doc.record_id}.json"
    assert not written.is_symlink() and json.loads(written.read_text())["id"] == doc.record_id


def test_temporary_files_are_never_written_through_a_planted_link(
    home: Path, tmp_path: Path, way: str
) -> None:
    """Before: the temporary name was .<doc>.<host>.<pid>.tmp, opened with "w":
    a link planted there wrote the document wherever it pointed."""
    flow = seed(home, calls=1)
    root = team_store(tmp_path)
    docs = pending_docs(flow.store)
    folder = root / "agent-7" / docs[0].shift_day
    folder.mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    for d in docs:
        name = f"{d.record_type}-{d.record_id}.json"
        (folder / f".{name}.{share.HOST}.{os.getpid()}.tmp").symlink_to(victim)
    summary = run_sync(flow.store, FolderTarget(root))
    assert summary.sent == 5 and victim.read_text() == "precious"
    tmp = [p.name for p in folder.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()]
    assert tmp == []


def test_temporary_names_are_unpredictable_and_created_exclusively(tmp_path: Path) -> None:
    names = {share.tmp_name("incident-x.json") for _ in range(100)}
    assert len(names) == 100
    folder = share.ShareDir.open_root(tmp_path)
    try:
        fd = folder.create("a")
        os.close(fd)
        with pytest.raises(FileExistsError):
            folder.create("a")
        (tmp_path / "link").symlink_to(tmp_path / "nowhere")
        with pytest.raises(OSError):
            folder.create("link")
        assert not (tmp_path / "nowhere").exists()
    finally:
        folder.close()


def test_a_fifo_or_a_folder_where_a_document_goes_does_not_block_the_others(
    home: Path, tmp_path: Path, way: str
) -> None:
    """Before: reading a FIFO planted at a document's path hung the sync."""
    flow = seed(home, calls=2)
    root = team_store(tmp_path)
    incidents = [d for d in pending_docs(flow.store) if d.record_type == "incident"]
    folder = root / "agent-7" / incidents[0].shift_day
    folder.mkdir(parents=True)
    os.mkfifo(folder / f"incident-{incidents[0].record_id}.json")
    (folder / f"incident-{incidents[1].record_id}.json").mkdir()
    summary = run_sync(flow.store, FolderTarget(root))
    assert (summary.total, summary.sent, len(summary.set_aside)) == (9, 8, 1)
    [aside] = summary.set_aside
    assert aside.record_id == incidents[1].record_id
    assert "a folder named" in aside.reason and "stands where its document goes" in aside.reason
    fifo_doc = folder / f"incident-{incidents[0].record_id}.json"
    assert json.loads(fifo_doc.read_text())["id"] == incidents[0].record_id


def test_a_folder_without_the_marker_is_not_the_team_store(home: Path, tmp_path: Path) -> None:
    flow = seed(home, calls=1)
    unmarked = tmp_path / "team"
    unmarked.mkdir()
    summary = run_sync(flow.store, FolderTarget(unmarked))
    assert summary.sent == 0 and pending_count(flow.store) == 5
    assert f"no {MARKER} file at its root, so it is not the team store" in summary.failure
    assert "is the share mounted?" in summary.failure and list(unmarked.iterdir()) == []
    (unmarked / MARKER).mkdir()  # not a file either
    assert run_sync(flow.store, FolderTarget(unmarked)).sent == 0


def test_an_unmounted_share_is_never_written(home: Path, tmp_path: Path) -> None:
    """The share (a real tmpfs) marked by IT; then unmounted: the empty mount point
    on the local disk is refused, and the records wait for the share."""
    flow = seed(home, calls=1)
    with small_filesystem(tmp_path / "share", "1m") as mounted:
        (mounted / MARKER).touch()
        assert run_sync(flow.store, FolderTarget(mounted)).sent == 5
        flow.note("written while the share is away")
        subprocess.run(["umount", str(mounted)], check=True)
        try:
            away = run_sync(flow.store, FolderTarget(mounted))
            assert away.sent == 0 and "not the team store" in away.failure
            assert list(mounted.iterdir()) == [] and pending_count(flow.store) == 1
        finally:
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mounted)],
                           check=True)  # fmt: skip  # small_filesystem unmounts it again


def test_calmlines_own_default_folder_is_made_and_marked(home: Path, tmp_path: Path) -> None:
    flow = seed(home, calls=1)
    default = tmp_path / "Documents" / "Calmline sync"
    summary = run_sync(flow.store, target_for("", default))
    assert summary.sent == summary.total == 5
    assert (default / MARKER).is_file() and oct(default.stat().st_mode & 0o777) == "0o700"
    again = target_for("", default)
    assert isinstance(again, FolderTarget) and run_sync(flow.store, again).total == 0


# -- the set-aside list itself ------------------------------------------------------


def test_set_aside_versions_per_target_until_the_record_changes(flow: Flow) -> None:
    flow.start_shift("agent-7")
    [doc] = pending_docs(flow.store)
    refused = SetAside(doc.record_type, doc.record_id, doc.version, "no")
    mark_set_aside(flow.store, "https://a.example.com/api", [refused])
    assert pending_docs(flow.store, "https://a.example.com/api") == []
    assert pending_docs(flow.store, "postgresql://b/calmline") == [doc]  # another target tries
    assert pending_count(flow.store) == 1  # still not synced
    [listed] = set_aside_records(flow.store)
    assert (listed.reason, listed.target, listed.version) == ("no", "https://a.example.com/api", 1)
    assert retry_set_aside(flow.store) == 1 and set_aside_records(flow.store) == []
    mark_set_aside(flow.store, "https://a.example.com/api", [refused])
    mark_synced(flow.store, [Confirmed(doc.record_type, doc.record_id, doc.version)])
    assert set_aside_records(flow.store) == [] and pending_count(flow.store) == 0


def test_the_runner_counts_only_what_the_target_confirms_of_this_batch(flow: Flow) -> None:
    """A target (or a server answer read wrongly) that confirms other records, or
    older versions, or leaves records unanswered, cannot empty the outbox."""
    flow.start_shift("agent-7")
    flow.start_call("+44 1")
    flow.end_call()

    class Liar:
        name = "liar"

        def send(self, docs: list[SyncDoc]) -> BatchResult:
            return BatchResult(
                confirmed=[Confirmed("note", "not-in-this-batch", 1)]
                + [Confirmed(d.record_type, d.record_id, d.version - 1) for d in docs]
            )

        def close(self) -> None:
            pass

    summary = run_sync(flow.store, Liar())  # type: ignore[arg-type]
    assert summary.sent == 0 and pending_count(flow.store) == 2
    assert "the target did not confirm 2 of the 2 records it was sent" in summary.failure


def test_doctor_says_nothing_is_set_aside_when_nothing_is(home: Path) -> None:
    from calmline.cli.doctor import doctor
    from calmline.context import Context

    seed(home, calls=1)
    out = io.StringIO()
    doctor(Context.load(), out, list_devices=lambda: [])
    assert "[pass] sync: to folder " in out.getvalue()
    assert "5 record(s) waiting, none set aside" in out.getvalue()
