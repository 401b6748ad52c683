"""The PostgreSQL team store's read side against a real server with the
shipped SQL (two agents and a lead): the version 1 -> 2 upgrade, the caller
keys equal to core/team.py's, agent-8 seeing agent-7's caller history through
the functions and nothing else of it, the changes feed's pages and cursor
(concurrent writers included), the live lookup within its budget, markers
decided by leads only, and the team report's figures."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from calmline.core.records import (
    FollowUp,
    Incident,
    IncidentStatus,
    Meta,
    Note,
    Resolution,
    VoiceFigures,
)
from calmline.core.serialize import flat_record, iso, plain
from calmline.core.sync_docs import SyncDoc
from calmline.core.team import TeamChanges, number_key, ref_key
from calmline.sync import postgres, postgres_read
from calmline.sync.base import TargetError
from calmline.sync.postgres import PostgresTarget
from tests.integration.team_pg_keys import SQL_FILE, code_points, key_functions_sql, shipped_block
from tests.servers import calmline_postgresql

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
V2_MARK = "-- ===== Schema version 2"
CALLER_FIELDS = {
    "id",
    "version",
    "agent_id",
    "started_at",
    "ended_at",
    "caller_number",
    "customer_ref",
    "category",
    "resolution",
    "agreed_resolution",
    "apology_kind",
    "summary",
}


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    with calmline_postgresql() as found:
        yield found


_names = itertools.count()


def psql(url: str, sql: Path | str) -> None:
    args = ["-f", str(sql)] if isinstance(sql, Path) else ["-c", sql]
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, *args],
        check=True,
        capture_output=True,
        text=True,
    )


def new_database(server: dict[str, Any], sql: Path | None = SQL_FILE) -> str:
    """A fresh database on the server (the roles are the cluster's), the SQL run on it."""
    name = f"team{next(_names)}"
    with psycopg.connect(server["admin"], autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    admin = str(server["admin"]).replace("/calmline?", f"/{name}?")
    if sql is not None:
        psql(admin, sql)
    return admin


@dataclass
class Team:
    admin: str  # superuser URL of this test's database
    port: str
    dbname: str

    def target(self, role: str) -> PostgresTarget:
        return PostgresTarget(f"postgresql://{role}@127.0.0.1:{self.port}/{self.dbname}")

    def connect(self, role: str) -> psycopg.Connection[Any]:
        return psycopg.connect(
            f"postgresql://{role}@127.0.0.1:{self.port}/{self.dbname}", password=f"pw-{role}"
        )


@pytest.fixture
def team(server: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Team]:
    # The password as the OS keyring would hand it over: the login is the role.
    monkeypatch.setattr(postgres, "secret_for", lambda name: f"pw-{name[13:].split('@')[0]}")
    admin = new_database(server)
    yield Team(admin, server["port"], admin.split("?")[0].split("/")[-1])


def send(team: Team, role: str, docs: list[SyncDoc]) -> Any:
    target = team.target(role)
    try:
        result = target.send(docs)
    finally:
        target.close()
    assert not result.failure, result.failure
    return result


def incident(
    agent: str,
    started: datetime,
    number: str = "",
    ref: str = "",
    voice: VoiceFigures | None = None,
    **fields: Any,
) -> SyncDoc:
    inc = Incident(
        shift_id=str(uuid.uuid4()),
        started_at=started,
        ended_at=started + timedelta(minutes=4),
        caller_number=number,
        customer_ref=ref,
        category="billing",
        summary="- refund asked",
        facts="card ends 4242",
        compensation_kind="credit",
        compensation_amount="10.00",
        meta=Meta(id=str(uuid.uuid4()), version=1, created_at=started, updated_at=started),
        **fields,
    )
    record = flat_record(inc)
    if voice is None:
        del record["voice"]  # what Calmline sends unless IT shares voice figures
    else:
        record["voice"] = flat_record_voice(voice)
    return SyncDoc("incident", inc.meta.id, 1, agent, started.date().isoformat(), record)


def flat_record_voice(voice: VoiceFigures) -> dict[str, Any]:
    return dict(plain(voice))


def followup(
    agent: str, inc: SyncDoc, what: str, due: date | None = None, done_at: datetime | None = None
) -> SyncDoc:
    meta = Meta(id=str(uuid.uuid4()), version=1, created_at=T0, updated_at=T0)
    done_note = "rang back" if done_at else ""
    f = FollowUp(inc.record_id, what, "billing", due, done_at, done_note, meta)
    return SyncDoc("followup", f.meta.id, 1, agent, inc.shift_day, flat_record(f))


def team_doc(kind: str, agent: str, day: str, **fields: Any) -> SyncDoc:
    rid = str(uuid.uuid4())
    record = {"id": rid, "version": 1, "created_at": iso(T0), "updated_at": iso(T0), **fields}
    return SyncDoc(kind, rid, 1, agent, day, record)


def note(agent: str, inc: SyncDoc, text: str) -> SyncDoc:
    n = Note(
        shift_id=inc.record["shift_id"],
        text=text,
        wall_time=T0,
        incident_id=inc.record_id,
        meta=Meta(id=str(uuid.uuid4()), version=1, created_at=T0, updated_at=T0),
    )
    return SyncDoc("note", n.meta.id, 1, agent, inc.shift_day, flat_record(n))


# -- the schema ---------------------------------------------------------------


def policies(url: str) -> set[tuple[str, ...]]:
    with psycopg.connect(url) as c:
        return {
            tuple(str(v) for v in row)
            for row in c.execute(
                "SELECT tablename, policyname, cmd, roles::text, qual, with_check "
                "FROM pg_policies WHERE schemaname = 'calmline'"
            )
        }


def test_a_version_1_database_upgrades_and_running_again_is_harmless(
    server: dict[str, Any], tmp_path: Path
) -> None:
    text = SQL_FILE.read_text(encoding="utf-8")
    v1 = tmp_path / "v1.sql"
    v1.write_text(text[: text.index(V2_MARK)], encoding="utf-8")
    admin = new_database(server, v1)
    before = policies(admin)
    inc = incident("agent-7", T0, "+44 20 7946 0000")
    with psycopg.connect(admin) as c:  # written by a version-1 Calmline
        c.execute(
            "INSERT INTO calmline.incidents (id, version, agent_id, shift_day, record) "
            "VALUES (%s, 1, 'agent-7', %s, %s)",
            [inc.record_id, inc.shift_day, psycopg.types.json.Jsonb(inc.record)],
        )
    psql(admin, SQL_FILE)
    after = policies(admin)
    assert before <= after  # version 1's row-level security exactly as it was
    added = {(t, p) for t, p, *_ in after - before}
    assert ("marker_decisions", "lead_writes_own") in added
    assert not {t for t, _ in added} & {"shifts", "notes", "step_events"}
    psql(admin, SQL_FILE)  # again: nothing changes, nothing fails
    assert policies(admin) == after
    with psycopg.connect(admin) as c:
        assert [v for (v,) in c.execute("SELECT version FROM calmline.schema_version")] == [1, 2]
        found = c.execute(
            "SELECT kind, item->>'caller_number' FROM calmline.team_lookup(%s, NULL)",
            ["442079460000"],
        ).fetchall()
    assert found == [("incident", "+44 20 7946 0000")]


def test_the_shipped_key_tables_are_pythons() -> None:
    assert shipped_block() == key_functions_sql()


def test_number_key_and_ref_key_equal_core_team_on_tricky_inputs(team: Team) -> None:
    special = [
        chr(c)
        for c in code_points()
        if c and (chr(c).isspace() or chr(c).isdigit() or chr(c).casefold() != chr(c))
    ]
    rng = random.Random(20)
    plain_ones = [chr(rng.randrange(1, 0x30000)) for _ in range(3000)]
    pool = [c for c in special + plain_ones if not 0xD800 <= ord(c) <= 0xDFFF]
    samples = [
        "+44 20 7946 0000",
        "0044 (20) 7946-0000",
        " \u3000 00 1 2",
        "0 0 1",
        "00",
        "+00 7",
        "١٢٣٤",
        "０１２",
        "tel: 12\u00a034",
        "",
        " ",
        "AC 1234",
        " ac \t 1234 ",
        "Straße ẞ",
        "İSTANBUL ı",
        "ΣΑΣ ς",
        "ﬃ ŉ ǰ",
        "\u1e9e\u0130\u00df",
        "Ǆ ǅ ǆ",
        "Ꭰ ꭰ",
        "\x1c a \x1f",
    ]
    samples += pool
    samples += ["".join(rng.choice(pool) for _ in range(rng.randrange(1, 12))) for _ in range(3000)]
    with psycopg.connect(team.admin) as c:
        got = c.execute(
            "SELECT calmline.number_key(s), calmline.ref_key(s) FROM unnest(%s::text[]) s",
            [samples],
        ).fetchall()
    for text, (number, ref) in zip(samples, got, strict=True):
        assert (number, ref) == (number_key(text), ref_key(text)), repr(text)


# -- what an agent sees of another's ---------------------------------------------


def test_agent_8_sees_agent_7s_caller_history_and_nothing_else(team: Team) -> None:
    voice = VoiceFigures(baseline_dbfs=-30.0, talk_share=0.4, cue_counts=(("raised_voice", 2),))
    inc = incident(
        "agent-7",
        T0,
        "+44 20 7946 0000",
        "AC 1234",
        voice=voice,
        resolution=Resolution.PENDING,
        agreed_resolution="refund in 5 days",
        status=IncidentStatus.FINAL,
        finalised_at=T0 + timedelta(minutes=6),
    )
    promise = followup("agent-7", inc, "call back with the refund date", due=date(2026, 11, 6))
    send(team, "agent-7", [inc, promise, note("agent-7", inc, "caller was rude about Bob")])
    with team.connect("agent-8") as c:
        raw = c.execute(
            "SELECT kind, item FROM calmline.team_lookup(%s, %s)", ["442079460000", None]
        ).fetchall()
        direct = [
            c.execute(f"SELECT count(*) FROM calmline.{t}").fetchone()
            for t in ("incidents", "followups", "notes", "shifts")
        ]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("SELECT * FROM calmline.marker_decisions")
    assert direct == [(0,), (0,), (0,), (0,)]
    items = dict(raw)
    assert set(items) == {"incident", "followup"}
    assert set(items["incident"]) == CALLER_FIELDS
    shown = str(raw)
    for secret in ("card ends 4242", "10.00", "rude about Bob", "talk_share", "raised_voice"):
        assert secret not in shown
    target = team.target("agent-8")
    try:
        found = target.lookup("0044 20 7946 0000", "", budget_s=2.0)
    finally:
        target.close()
    (seen,) = found.incidents
    assert (seen.agent_id, seen.resolution, seen.agreed_resolution, seen.summary) == (
        "agent-7",
        Resolution.PENDING,
        "refund in 5 days",
        "- refund asked",
    )
    assert [(p.agent_id, p.what, p.due) for p in found.promises] == [
        ("agent-7", "call back with the refund date", date(2026, 11, 6))
    ]


def test_lookup_by_normalised_number_and_by_ref_with_kept_markers_and_decisions(
    team: Team,
) -> None:
    mine = incident("agent-7", T0, "+44 20 7946 0000", "AC 1234")
    other = incident("agent-7", T0 + timedelta(hours=1), "+1 555 0100", "ZZ 9")
    promise = followup("agent-7", mine, "send the form")
    marker = team_doc(
        "marker",
        "agent-7",
        mine.shift_day,
        incident_id=mine.record_id,
        proposed_at=iso(T0),
        reason="threats",
        caller_number="",
        customer_ref="ac 1234",
    )
    send(team, "agent-7", [mine, other, promise, marker])
    later = incident("agent-8", T0 + timedelta(days=1), "0044 20 7946 0000")
    kept = team_doc(
        "promise_kept",
        "agent-8",
        later.shift_day,
        followup_id=promise.record_id,
        incident_id=later.record_id,
        kept_at=iso(T0 + timedelta(days=1)),
    )
    send(team, "agent-8", [later, kept])
    decision = team_doc(
        "marker_decision",
        "lead",
        "2026-11-03",
        marker_id=marker.record_id,
        decided_at=iso(T0 + timedelta(days=1)),
        action="approve",
        review_by="2027-01-31",
    )
    send(team, "lead", [decision])
    target = team.target("agent-8")
    try:
        by_number = target.lookup("+44 (0)20-7946-0000".replace("(0)", ""), "", 2.0)
        by_ref = target.lookup("", "  Ac   1234 ", 2.0)
        none = target.lookup("+49 30 1", "nobody", 2.0)
    finally:
        target.close()
    assert {i.id for i in by_number.incidents} == {mine.record_id, later.record_id}
    assert [k.followup_id for k in by_number.kept] == [promise.record_id]
    assert [m.id for m in by_ref.markers] == [marker.record_id]
    assert [(d.agent_id, d.action.value) for d in by_ref.decisions] == [("lead", "approve")]
    assert [i.id for i in by_ref.incidents] == [mine.record_id]
    assert none.count() == 0 and not none.skipped


# -- the changes feed ----------------------------------------------------------


def read_all(target: PostgresTarget, cursor: str, since: datetime) -> tuple[TeamChanges, str]:
    """Every page from ``cursor``; (all of it, the final cursor)."""
    out = TeamChanges()
    pages = 0
    while True:
        page = target.changes(cursor, since)
        pages += 1
        assert pages < 100
        for name in ("incidents", "promises", "kept", "markers", "decisions", "skipped"):
            getattr(out, name).extend(getattr(page, name))
        cursor = page.cursor
        if not page.more:
            return out, cursor


def test_changes_pages_and_resumes_from_its_cursor_without_loss_or_duplicates(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres_read, "PAGE", 7)
    first = [incident("agent-7", T0 + timedelta(minutes=n), f"+44 1 {n}") for n in range(30)]
    old = incident("agent-7", T0 - timedelta(days=400), "+44 9")  # before retention: left out
    send(team, "agent-7", [*first, followup("agent-7", first[0], "ring back"), old])
    with psycopg.connect(team.admin) as c:  # received an hour ago: outside the overlap
        c.execute("UPDATE calmline.incidents SET received_at = now() - interval '1 hour'")
        c.execute("UPDATE calmline.followups SET received_at = now() - interval '1 hour'")
    target = team.target("agent-8")
    since = T0 - timedelta(days=90)
    try:
        got, cursor = read_all(target, "", since)
        ids = [i.id for i in got.incidents]
        assert sorted(ids) == sorted(d.record_id for d in first)  # none lost, none twice
        assert len(got.promises) == 1
        again, cursor = read_all(target, cursor, since)
        assert again.count() == 0
        second = [incident("agent-8", T0 + timedelta(days=1, minutes=n)) for n in range(10)]
        send(team, "agent-8", second)
        more, cursor = read_all(target, cursor, since)
        assert sorted(i.id for i in more.incidents) == sorted(d.record_id for d in second)
        old3 = first[3]
        record = {**old3.record, "version": 2, "summary": "- now refunded"}
        newer = SyncDoc("incident", old3.record_id, 2, "agent-7", old3.shift_day, record)
        send(team, "agent-7", [newer])
        changed, _ = read_all(target, cursor, since)
        latest = {i.id: i for i in changed.incidents}
        assert (latest[first[3].record_id].version, latest[first[3].record_id].summary) == (
            2,
            "- now refunded",
        )
    finally:
        target.close()


def test_a_write_that_commits_after_the_cursor_passed_it_is_still_read(team: Team) -> None:
    """received_at is a transaction's start: the slow writer's row sorts
    before the fast one's but becomes visible only after a refresh read past it."""
    slow_doc = incident("agent-7", T0, "+44 2 1")
    fast_doc = incident("agent-8", T0, "+44 2 2")
    target = team.target("agent-8")
    with team.connect("agent-7") as slow, slow.transaction():
        PostgresTarget._upsert(slow, [slow_doc])  # its now() is taken here
        send(team, "agent-8", [fast_doc])
        seen, cursor = read_all(target, "", T0 - timedelta(days=1))
        assert [i.id for i in seen.incidents] == [fast_doc.record_id]
    # committed now, its received_at before the row already read
    try:
        late, _ = read_all(target, cursor, T0 - timedelta(days=1))
    finally:
        target.close()
    assert slow_doc.record_id in {i.id for i in late.incidents}


def test_a_cursor_that_is_not_one_reads_from_the_start(team: Team) -> None:
    send(team, "agent-7", [incident("agent-7", T0, "+44 3")])
    target = team.target("agent-8")
    try:
        got = target.changes("not a cursor", T0 - timedelta(days=1))
    finally:
        target.close()
    assert len(got.incidents) == 1


# -- the live lookup's budget ------------------------------------------------------


def timed(call: Callable[[], Any]) -> tuple[float, BaseException | None]:
    start = time.perf_counter()
    try:
        call()
    except BaseException as exc:  # returned to the test
        return time.perf_counter() - start, exc
    return time.perf_counter() - start, None


def test_lookup_gives_up_within_its_budget_when_the_store_cannot_answer(
    server: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "secret_for", lambda name: "pw-agent-8")
    with calmline_postgresql() as own:
        target = PostgresTarget(f"postgresql://agent-8@127.0.0.1:{own['port']}/calmline")
        assert target.lookup("+44 1", "", 5.0).count() == 0  # connected, answering
        spent, error = timed(lambda: target.lookup("+44 1", "", 0.001))
        assert isinstance(error, TargetError) and spent < 0.5
        assert "agent-8@127.0.0.1" in str(error) and "pw-agent-8" not in str(error)
        own["pg"].stop()
        spent, error = timed(lambda: target.lookup("+44 1", "", 0.5))
        assert isinstance(error, TargetError), error
        assert spent < 0.8
        spent, error = timed(lambda: target.lookup("+44 1", "", 0.5))  # no server at all
        assert isinstance(error, TargetError) and spent < 0.8
        target.close()
    blackhole = PostgresTarget("postgresql://agent-8@10.255.255.1:5432/calmline?sslmode=disable")
    spent, error = timed(lambda: blackhole.lookup("+44 1", "", 0.3))
    assert isinstance(error, TargetError) and spent < 0.6
    stuck = [t for t in threading.enumerate() if t.name == "calmline-team-lookup"]
    assert all(t.daemon for t in stuck)


# -- markers -----------------------------------------------------------------------


def test_a_marker_decision_from_a_non_lead_is_set_aside_and_a_leads_lands(team: Team) -> None:
    inc = incident("agent-7", T0, "+44 4")
    marker = team_doc(
        "marker",
        "agent-7",
        inc.shift_day,
        incident_id=inc.record_id,
        proposed_at=iso(T0),
        reason="harassment",
        caller_number="+44 4",
        customer_ref="",
    )
    send(team, "agent-7", [inc, marker])

    def decision(agent: str) -> SyncDoc:
        return team_doc(
            "marker_decision",
            agent,
            "2026-11-02",
            marker_id=marker.record_id,
            decided_at=iso(T0 + timedelta(hours=2)),
            action="approve",
            review_by="2027-01-31",
        )

    sneaky, other = decision("agent-8"), incident("agent-8", T0, "+44 5")
    result = send(team, "agent-8", [sneaky, other])
    assert [c.record_id for c in result.confirmed] == [other.record_id]
    (aside,) = result.set_aside
    assert aside.record_id == sneaky.record_id
    assert "only a team lead (a member of calmline_lead) may approve" in aside.reason
    with team.connect("agent-8") as c, pytest.raises(psycopg.errors.InsufficientPrivilege):
        c.execute(
            "INSERT INTO calmline.marker_decisions (id, version, agent_id, shift_day, record) "
            "VALUES (gen_random_uuid(), 1, 'agent-8', '2026-11-02', '{}')"
        )
    forged = decision("agent-7")  # a lead writing in another's name: row-level security
    lead = send(team, "lead", [decision("lead"), forged])
    assert len(lead.confirmed) == 1 and lead.set_aside[0].record_id == forged.record_id
    target = team.target("agent-7")
    try:
        seen = target.lookup("+44 4", "", 2.0)
    finally:
        target.close()
    assert [(d.agent_id, d.review_by) for d in seen.decisions] == [("lead", date(2027, 1, 31))]


# -- the team report -----------------------------------------------------------------


def test_the_team_report_for_a_lead_and_refused_for_an_agent(team: Team) -> None:
    day = T0.date()
    a = [
        incident(
            "agent-7",
            T0,
            "+44 7 1",
            status=IncidentStatus.FINAL,
            resolution=Resolution.TOTAL,
            finalised_at=T0 + timedelta(minutes=5),
        ),
        incident(
            "agent-7",
            T0 + timedelta(hours=1),
            "0044 7 1",
            status=IncidentStatus.FINAL,
            resolution=Resolution.TOTAL,
            finalised_at=T0 + timedelta(hours=1, minutes=7),
        ),
        incident("agent-7", T0 + timedelta(hours=2), ref="AC 9", resolution=Resolution.PENDING),
        incident("agent-7", T0 - timedelta(days=30), "+44 7 1"),  # before the period
    ]
    b = [
        incident(
            "agent-8",
            T0 + timedelta(hours=3),
            "+44 (7) 1",
            voice=VoiceFigures(talk_share=0.5, cue_counts=(("raised_voice", 1),)),
        ),
        incident(
            "agent-8", T0 + timedelta(hours=4), ref=" ac 9", voice=VoiceFigures(talk_share=0.3)
        ),
    ]
    overdue = followup("agent-7", a[0], "ring back", due=day - timedelta(days=1))
    kept_one = followup("agent-7", a[1], "post the form", due=day - timedelta(days=1))
    done = followup("agent-7", a[2], "email", due=day - timedelta(days=1), done_at=T0)
    not_due = followup("agent-7", a[2], "visit", due=day + timedelta(days=1))
    marker = team_doc(
        "marker",
        "agent-8",
        b[0].shift_day,
        incident_id=b[0].record_id,
        proposed_at=iso(T0 + timedelta(hours=3)),
        reason="threats",
        caller_number="+44 (7) 1",
        customer_ref="",
    )
    decided = team_doc(
        "marker",
        "agent-7",
        a[0].shift_day,
        incident_id=a[0].record_id,
        proposed_at=iso(T0),
        reason="harassment",
        caller_number="+44 7 1",
        customer_ref="",
    )
    send(team, "agent-7", [*a, overdue, kept_one, done, not_due, decided])
    kept = team_doc(
        "promise_kept",
        "agent-8",
        b[0].shift_day,
        followup_id=kept_one.record_id,
        incident_id=b[0].record_id,
        kept_at=iso(T0 + timedelta(hours=3)),
    )
    send(team, "agent-8", [*b, marker, kept])
    send(
        team,
        "lead",
        [
            team_doc(
                "marker_decision",
                "lead",
                "2026-11-02",
                marker_id=decided.record_id,
                decided_at=iso(T0),
                action="reject",
                review_by=None,
            )
        ],
    )
    lead = team.target("lead")
    try:
        report = lead.report(day, day, day)
    finally:
        lead.close()
    seven, eight = report.agents
    assert (seven.agent_id, seven.calls, seven.outcomes) == (
        "agent-7",
        3,
        (("total", 2), ("pending", 1)),
    )
    assert seven.after_call_s == pytest.approx((60 + 180) / 2)  # 1 and 3 minutes after the end
    assert (seven.overdue_promises, seven.talk_share, seven.raised_voice_calls) == (1, None, None)
    assert (eight.calls, eight.outcomes, eight.after_call_s) == (2, (("none", 2),), None)
    assert eight.talk_share == pytest.approx(0.4) and eight.raised_voice_calls == 1
    assert report.repeat_callers_total == 2
    top, second = report.repeat_callers
    assert (top.caller, top.calls, top.agents) == ("+44 7 1", 3, 2)
    assert top.last_at == T0 + timedelta(hours=3)
    assert (second.caller, second.calls, second.agents) == ("AC 9", 2, 2)
    assert [m.id for m in report.awaiting_review] == [marker.record_id]
    assert "agent-8@" not in report.store and "lead@127.0.0.1" in report.store
    agent = team.target("agent-7")
    try:
        with pytest.raises(TargetError, match="the login agent-7 is not a team lead"):
            agent.report(day, day, day)
    finally:
        agent.close()


def test_calmline_report_team_writes_the_file_for_a_lead_and_one_line_otherwise(
    team: Team, tmp_path: Path
) -> None:
    send(team, "agent-7", [incident("agent-7", T0, "+44 8"), incident("agent-7", T0, "+44 8")])
    env = dict(
        os.environ,
        TZ="UTC",
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        XDG_DATA_HOME=str(tmp_path / "keyring"),
    )

    def calmline(role: str, *args: str, port: str = team.port) -> subprocess.CompletedProcess[str]:
        home = tmp_path / role
        home.mkdir(exist_ok=True)
        url = f"postgresql://{role}@127.0.0.1:{port}/{team.dbname}"
        (home / "config.toml").write_text(f'agent_id = "{role}"\n[sync]\ntarget = "{url}"\n')
        run = dict(env, CALMLINE_HOME=str(home))
        if not (tmp_path / f"{role}.secret").exists():
            subprocess.run([sys.executable, "-m", "calmline", "sync", "--set-secret", "--target",
                            url], env=run, input=f"pw-{role}\n", check=True,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
            (tmp_path / f"{role}.secret").touch()
        return subprocess.run([sys.executable, "-m", "calmline", "report", "--team", *args],
                              env=run, capture_output=True, text=True, timeout=120)  # fmt: skip

    out = tmp_path / "team.html"
    done = calmline("lead", "--from", "2026-11-02", "--to", "2026-11-02", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"Team, 2026-11-02: 2 calls by 1 agent — report written to {out}"
    )
    html = out.read_text(encoding="utf-8")
    assert "Team report, Mon 02 Nov 2026" in html and "+44 8" in html
    refused = calmline("agent-7", "--from", "2026-11-02", "-o", str(tmp_path / "no.html"))
    assert refused.returncode == 1 and not (tmp_path / "no.html").exists()
    assert refused.stderr.count("\n") == 1
    assert "the login agent-7 is not a team lead (a member of calmline_lead)" in refused.stderr
    gone = calmline("lead", "-o", str(tmp_path / "gone.html"), port="1")
    assert gone.returncode == 1 and gone.stderr.count("\n") == 1
    assert "cannot connect" in gone.stderr and "pw-lead" not in gone.stderr
