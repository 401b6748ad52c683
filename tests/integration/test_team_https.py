"""The HTTPS team store's read side, client against a server that follows
installers/server/team-api.openapi.yaml, over real TLS on 127.0.0.1: two
agents sync, the second reads the first's caller history (caller-facing only,
no voice), pages without loss or duplicates, looks a caller up by normalised
number and by reference within a budget, the lead reads the report and an agent
is refused, a non-lead's marker decision is set aside, a captive portal's page
and a foreign item are told apart from the team store's answers. Every answer
the server gives is checked against the contract's schemas."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from calmline.core.records import FollowUp, KeptPromise, MarkerProposal, MarkerReason
from calmline.core.serialize import iso
from calmline.core.sync_docs import SyncDoc
from calmline.core.team import TeamChanges, TeamIncident
from calmline.flow import Flow
from calmline.sync import https_read
from calmline.sync.base import TargetError
from calmline.sync.https import HttpsTarget
from calmline.sync.runner import run_sync
from tests.fakes import FakeClock, make_flow
from tests.integration.test_sync_folder import seed
from tests.security.test_sync_security import trusting
from tests.servers import https_endpoint, https_probe
from tests.unit.test_openapi_contract import conforms

TOKENS = {"agent-7": "t0ken-agent-7", "agent-8": "t0ken-agent-8", "lead": "t0ken-lead"}
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
NUMBER = "+44 20 7946 0001"  # agent-7's second call in seed()


@pytest.fixture
def served() -> Iterator[tuple[str, dict[str, Any], Path]]:
    """The team store, with a token for each login; afterwards, every answer it
    gave (but those a test planted off the contract) is checked against it."""
    with https_endpoint(TOKENS["agent-7"]) as (url, state, cert):
        state["tokens"] |= set(TOKENS.values())
        state["leads"].add(TOKENS["lead"])
        yield url, state, cert
        conforms(state["answers"])


def login(url: str, cert: Path, who: str) -> HttpsTarget:
    target = HttpsTarget(url, trusting(cert))
    target.__dict__["token"] = TOKENS[who]  # as if read from the keyring
    return target


def second_agent(home: Path) -> Flow:
    """agent-8 takes a call from agent-7's caller, written another way."""
    home.mkdir()
    clock = FakeClock(datetime(2026, 11, 23, 9, tzinfo=UTC))
    flow = make_flow(home / "calmline.db", clock, agent_id="agent-8")
    flow.start_shift("agent-8")
    flow.start_call("0044 (20) 7946-0001")
    clock.advance(120)
    flow.save_incident(flow.end_call(), final=False)
    return flow


@pytest.fixture
def team(tmp_path: Path, served: tuple[str, dict[str, Any], Path]) -> dict[str, Any]:
    """agent-7 (3 calls, voice figures shared by policy, a marker proposed and a
    promise overdue) and agent-8 (one call from the same caller, who records
    agent-7's promise kept) have both synced."""
    url, state, cert = served
    a = seed(tmp_path / "a", calls=3)
    calls = sorted(a.store.incidents(), key=lambda i: i.started_at)
    second = a.store.save(type(calls[1])(**{**calls[1].__dict__, "customer_ref": "AC 1234"}))
    overdue = a.store.save(FollowUp(second.meta.id, "send the refund form", due=date(2026, 11, 25)))
    marker = a.store.save(MarkerProposal(second.meta.id, MarkerReason.THREATS, a.clock(),
                                         second.caller_number, second.customer_ref))  # fmt: skip
    assert run_sync(a.store, login(url, cert, "agent-7"), share_voice=True).pending == 0
    b = second_agent(tmp_path / "b")
    [b_call] = b.store.incidents()
    b.store.save(KeptPromise(overdue.meta.id, b_call.meta.id, b.clock()))
    assert run_sync(b.store, login(url, cert, "agent-8")).pending == 0
    return {"url": url, "state": state, "cert": cert, "a": a, "b": b, "second": second,
            "overdue": overdue, "marker": marker, "b_call": b_call}  # fmt: skip


def read_all(target: HttpsTarget, cursor: str = "") -> tuple[TeamChanges, int]:
    """Every page from ``cursor``, as the refresh loops; and how many pages."""
    whole, pages = TeamChanges(), 0
    while True:
        page = target.changes(cursor, SINCE)
        pages += 1
        for name in ("incidents", "promises", "kept", "markers", "decisions", "skipped"):
            getattr(whole, name).extend(getattr(page, name))
        whole.cursor = cursor = page.cursor
        if not page.more:
            return whole, pages


def test_the_second_agent_reads_the_first_s_caller_history_caller_facing_only(
    team: dict[str, Any],
) -> None:
    a, state = team["a"], team["state"]
    held = [d for d in state["store"].docs.values() if d["type"] == "incident"]
    assert any("voice" in d["record"] for d in held)  # shared by policy: the server has them
    changes, _ = read_all(login(team["url"], team["cert"], "agent-8"))
    assert not changes.skipped
    mine = {i.meta.id: i for i in a.store.incidents()}
    got = {i.id: i for i in changes.incidents if i.agent_id == "agent-7"}
    assert set(got) == set(mine)
    second = got[team["second"].meta.id]
    assert (second.caller_number, second.customer_ref) == (NUMBER, "AC 1234")
    assert second.version == team["second"].meta.version
    assert second.started_at == team["second"].started_at
    assert {p.id for p in changes.promises} == {f.meta.id for f in a.store.followups()}
    assert [m.id for m in changes.markers] == [team["marker"].meta.id]
    assert [k.followup_id for k in changes.kept] == [team["overdue"].meta.id]
    # caller-facing fields only, on the wire too: no voice, facts or notes
    assert conforms(state["answers"]) == 3  # two POSTs and a GET, each as the contract says
    allowed = {f.name for f in fields(TeamIncident)}
    for method, route, _status, body, _ in state["answers"]:
        if (method, route) == ("GET", "team/changes"):
            assert all(set(item) <= allowed for item in body["incidents"])
            assert "voice" not in str(body) and "facts" not in str(body)


def test_pages_follow_the_cursor_without_loss_or_duplicates(
    team: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(https_read, "PAGE", 4)
    target = login(team["url"], team["cert"], "agent-8")
    first = target.changes("", SINCE)
    assert first.count() == 4 and first.more and first.cursor
    # a value changes and one is added between pages: both come, nothing twice
    a = team["a"]
    changed = a.store.save(
        type(team["second"])(**{**team["second"].__dict__, "category": "billing"})
    )
    a.store.save(FollowUp(changed.meta.id, "call back on Monday", due=None))
    assert run_sync(a.store, login(team["url"], team["cert"], "agent-7")).pending == 0
    rest, pages = read_all(target, first.cursor)
    assert pages >= 2
    seen = [(v.id, v.version) for page in (first, rest)
            for v in [*page.incidents, *page.promises, *page.kept, *page.markers]]  # fmt: skip
    assert len(seen) == len(set(seen))  # never the same version twice
    held = team["state"]["store"].docs
    newest = {(d["id"], d["version"]) for d in held.values()
              if d["type"] in ("incident", "followup", "promise_kept", "marker")}  # fmt: skip
    assert newest <= set(seen)  # every value at its newest version
    assert (changed.meta.id, changed.meta.version) in seen
    # the last cursor: nothing more; a cursor the server forgot starts again
    assert target.changes(rest.cursor, SINCE).count() == 0
    again = target.changes("999999", SINCE)
    assert again.count() == 4 and again.more


def test_lookup_by_normalised_number_and_by_reference(team: dict[str, Any]) -> None:
    target = login(team["url"], team["cert"], "agent-8")
    found = target.lookup("0044 20 7946 0001", "", budget_s=5.0)
    assert {i.id for i in found.incidents} == {team["second"].meta.id, team["b_call"].meta.id}
    assert found.incidents[0].agent_id == "agent-8"  # newest first
    assert team["overdue"].meta.id in {p.id for p in found.promises}
    assert [k.followup_id for k in found.kept] == [team["overdue"].meta.id]
    assert [m.reason.value for m in found.markers] == ["threats"]
    by_ref = target.lookup("", " ac  1234 ", budget_s=5.0)
    assert [i.id for i in by_ref.incidents] == [team["second"].meta.id]
    assert target.lookup("+44 20 7946 9999", "XX 1", budget_s=5.0).count() == 0
    assert target.lookup("", "  ", budget_s=5.0).count() == 0  # no key: not even asked


def test_lookup_gives_up_within_its_budget_on_a_server_that_stalls(
    served: tuple[str, dict[str, Any], Path],
) -> None:
    url, state, cert = served
    state["stall"].set()
    target = login(url, cert, "agent-8")
    started = time.monotonic()
    with pytest.raises(TargetError, match=r"team/lookup\): no answer within 0.2 s"):
        target.lookup(NUMBER, "", budget_s=0.2)
    assert time.monotonic() - started < 1.0


def test_the_report_is_the_lead_s_and_refused_to_an_agent(team: dict[str, Any]) -> None:
    lead = login(team["url"], team["cert"], "lead")
    report = lead.report(date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 30))
    assert report.store == lead.name  # the client names the store, not the server
    rows = {r.agent_id: r for r in report.agents}
    assert (rows["agent-7"].calls, rows["agent-8"].calls) == (3, 1)
    assert rows["agent-7"].overdue_promises == 0  # the overdue one was recorded kept
    assert rows["agent-7"].talk_share is None
    [repeat] = report.repeat_callers
    assert (repeat.caller, repeat.calls, repeat.agents) == (NUMBER, 2, 2)
    assert [m.id for m in report.awaiting_review] == [team["marker"].meta.id]
    agent = login(team["url"], team["cert"], "agent-8")
    with pytest.raises(TargetError, match="not a team lead") as refused:
        agent.report(date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 30))
    assert "only a team lead may read the report" in str(refused.value)


def decision(marker_id: str, lead: str, when: datetime) -> SyncDoc:
    """What `calmline markers approve` sends (one marker_decision document)."""
    ident = str(uuid.uuid4())
    return SyncDoc("marker_decision", ident, 1, lead, when.date().isoformat(), {
        "id": ident, "version": 1, "created_at": iso(when), "updated_at": iso(when),
        "marker_id": marker_id, "decided_at": iso(when), "action": "approve",
        "review_by": (when + timedelta(days=90)).date().isoformat()})  # fmt: skip


def test_a_marker_decision_from_a_login_that_is_not_a_lead_is_set_aside(
    team: dict[str, Any],
) -> None:
    when = datetime(2026, 11, 24, 10, tzinfo=UTC)
    marker_id = team["marker"].meta.id
    by_agent = login(team["url"], team["cert"], "agent-8").send(
        [decision(marker_id, "agent-8", when)]
    )
    assert not by_agent.confirmed and not by_agent.failure
    [aside] = by_agent.set_aside
    assert "only a team lead may decide on a caution marker" in aside.reason
    assert "lead role" in aside.reason  # names the fix
    by_lead = login(team["url"], team["cert"], "lead").send([decision(marker_id, "lead", when)])
    assert len(by_lead.confirmed) == 1 and not by_lead.set_aside
    found = login(team["url"], team["cert"], "agent-7").lookup(NUMBER, "", budget_s=5.0)
    assert [(d.agent_id, d.action.value) for d in found.decisions] == [("lead", "approve")]


def test_a_login_page_instead_of_the_team_store_s_json_is_a_clear_error(
    served: tuple[str, dict[str, Any], Path],
) -> None:
    url, state, cert = served
    state["raw_get"] = (200, "text/html; charset=utf-8", b"<html><form>Wi-Fi login</form></html>")
    with pytest.raises(TargetError) as page:
        login(url, cert, "agent-8").changes("", SINCE)
    said = str(page.value)
    assert "team/changes" in said and "answered 200 with text/html" in said
    assert "not the team store's JSON" in said and "login page" in said
    state["raw_get"] = (200, "application/json", b'{"status": "ok"}')
    with pytest.raises(TargetError, match="its answer is not the team store's"):
        login(url, cert, "agent-8").changes("", SINCE)


def test_a_foreign_item_is_skipped_with_a_line_and_the_rest_are_read(
    team: dict[str, Any],
) -> None:
    state = team["state"]
    state["plant"] = {
        "incidents": [{"id": "x" * 80, "version": 1, "agent_id": "agent-9",
                       "started_at": "2026-11-22T09:00:00+00:00"},
                      {"id": "i-2", "version": "two", "agent_id": "agent-9",
                       "started_at": "2026-11-22T09:00:00+00:00"}],
        "markers": ["<script>alert(1)</script>"],
        "decisions": [{"id": "d-9", "version": 1, "marker_id": "m", "agent_id": "lead",
                       "decided_at": "yesterday", "action": "approve"}],
    }  # fmt: skip
    changes = login(team["url"], team["cert"], "agent-8").changes("", SINCE)
    assert len(changes.incidents) == 4 and len(changes.markers) == 1  # the real ones
    assert len(changes.skipped) == 4, changes.skipped
    lines = "\n".join(changes.skipped)
    assert "team/changes): incidents[4]" in lines and "longer than 64 characters" in lines
    assert "incidents[5] (id 'i-2') skipped: its version is not a int" in lines
    assert "markers[1] skipped: not a JSON object" in lines
    assert "decisions[0] (id 'd-9') skipped: a field cannot be read" in lines


def test_a_redirect_on_a_read_is_never_followed(tmp_path: Path) -> None:
    with https_probe() as (elsewhere, seen, other_cert):
        with https_probe(elsewhere, 302) as (url, asked, cert):
            target = HttpsTarget(url, trusting(cert, other_cert))
            target.__dict__["token"] = "secret-token"
            with pytest.raises(TargetError, match=r"redirected \(302\) to 127.0.0.1"):
                target.changes("", SINCE)
            with pytest.raises(TargetError, match="redirected"):
                target.lookup(NUMBER, "", budget_s=5.0)
            assert asked[0][1].startswith("/api/records/team/changes?")
            assert asked[0][2]["Authorization"] == "Bearer secret-token"
        assert seen == []  # the token never went where it pointed


def test_team_refresh_reads_with_the_token_from_the_keyring(
    team: dict[str, Any], tmp_path: Path
) -> None:
    from tests.integration.test_sync_https import env_for
    from tests.integration.test_sync_postgres import calmline

    home, url = tmp_path / "b", team["url"]
    (home / "config.toml").write_text(f'agent_id = "agent-8"\n[sync]\ntarget = "{url}"\n')
    env = env_for(home, tmp_path, url, team["cert"], token=TOKENS["agent-8"])
    done = calmline(env, "team", "refresh")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"team history from {url}: 10 new or changed" in done.stdout
    asked = [
        h
        for h in team["state"]["headers"]
        if h.get("Authorization") == f"Bearer {TOKENS['agent-8']}"
    ]
    assert asked  # the keyring's token, on the read side too
    listed = calmline(env, "incidents", "list")
    assert "agent-7 (read-only)" in listed.stdout, listed.stdout + listed.stderr


def test_a_report_that_is_not_the_contract_s_is_refused_naming_the_field(
    served: tuple[str, dict[str, Any], Path],
) -> None:
    url, state, cert = served
    lead = login(url, cert, "lead")
    days = (date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 30))
    state["raw_get"] = (200, "application/json", b'{"agents": []}')
    with pytest.raises(TargetError, match=r"team/report\): its answer is not a team report"):
        lead.report(*days)
    bad_row = {"start": "2026-11-01", "end": "2026-11-30", "today": "2026-11-30",
               "agents": [{"agent_id": "agent-7", "calls": 1, "outcomes": [["total"]],
                           "after_call_s": None, "overdue_promises": 0}],
               "repeat_callers": [], "awaiting_review": []}  # fmt: skip
    state["raw_get"] = (200, "application/json", json.dumps(bad_row).encode())
    with pytest.raises(TargetError, match="a field of its answer cannot be read"):
        lead.report(*days)
    assert lead.report(*days).agents == ()  # the real server: nobody has synced yet
