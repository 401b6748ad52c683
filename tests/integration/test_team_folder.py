"""The folder team store's read side, on real folders written by two agents'
Calmlines through the real sync path: what the reader hands back, what a
refresh with the index reads again (nothing, then only the new call), what it
skips, the lead's list, the live lookup and the team report."""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from calmline.core.records import FollowUp, IncidentStatus, Resolution
from calmline.core.serialize import iso, plain
from calmline.core.sync_docs import SyncDoc
from calmline.core.team import FolderEntry, MarkerDecision, TeamChanges, TeamIncident
from calmline.flow import Flow
from calmline.sync import share as share_module
from calmline.sync.base import TargetError
from calmline.sync.folder import FolderTarget
from calmline.sync.runner import run_sync
from calmline.sync.share import MAX_DOC_BYTES
from tests.fakes import FakeClock, make_flow

NOW = datetime.now(UTC).replace(microsecond=0)
SINCE = NOW - timedelta(days=30)
LEAD = "lead-1"
DAY = f"{NOW - timedelta(hours=2):%Y-%m-%d}"  # the seeded shifts' day folder


class DictIndex:
    """The folder index kept in memory (the local cache keeps it in SQLite)."""

    def __init__(self) -> None:
        self.entries: dict[str, FolderEntry] = {}

    def folders(self) -> dict[str, int]:
        return {rel: e.mtime_ns for rel, e in self.entries.items()}

    def files(self, rel_dir: str) -> dict[str, tuple[int, int]]:
        return dict(self.entries[rel_dir].files)

    def apply(self, changes: TeamChanges) -> None:
        for entry in changes.folder_index:
            self.entries[entry.rel_dir] = entry


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "team"
    root.mkdir()
    (root / ".calmline-store").touch()  # IT marks the team store
    (root / ".calmline-leads").write_text(f"# team leads, one agent id a line\n{LEAD}  # Sam\n")
    return root


def seed(home: Path, agent: str, calls: int, start: datetime = NOW) -> Flow:
    """``agent``'s shift of ``calls`` calls, each with a note, a tick and a
    follow-up (due yesterday), its facts never for the team."""
    home.mkdir(parents=True, exist_ok=True)
    clock = FakeClock(start - timedelta(hours=2))
    flow = make_flow(home / "calmline.db", clock, agent_id=agent)
    flow.start_shift(agent)
    for n in range(calls):
        add_call(flow, clock, f"+44 20 7946 {n:04d}")
    return flow


def add_call(flow: Flow, clock: FakeClock, number: str) -> TeamIncident | Any:
    flow.start_call(number)
    clock.advance(30)
    flow.note(f"secret note about {number}")
    flow.tick()
    clock.advance(60)
    incident = flow.end_call()
    incident = replace(incident, facts="secret facts", summary="- refund agreed",
                       resolution=Resolution.PENDING)  # fmt: skip
    saved = flow.save_incident(incident, final=False)
    flow.store.save(FollowUp(saved.meta.id, "call back", due=clock().date() - timedelta(days=1)))
    return saved


def two_agents(tmp_path: Path, share: Path, calls: int = 2) -> tuple[Flow, Flow]:
    a = seed(tmp_path / "a", "agent-a", calls)
    b = seed(tmp_path / "b", "agent-b", calls)
    for flow in (a, b):
        summary = run_sync(flow.store, FolderTarget(share))
        assert summary.sent == summary.total and not summary.failure
    return a, b


def test_the_reader_sees_both_agents_caller_facing_values(tmp_path: Path, share: Path) -> None:
    two_agents(tmp_path, share)
    target = FolderTarget(share)
    got = target.changes("", SINCE)
    assert got.skipped == [] and got.cursor == "" and not got.more
    assert sorted(i.agent_id for i in got.incidents) == ["agent-a"] * 2 + ["agent-b"] * 2
    assert {i.caller_number for i in got.incidents} == {"+44 20 7946 0000", "+44 20 7946 0001"}
    assert all(i.summary == "- refund agreed" for i in got.incidents)
    assert sorted(p.agent_id for p in got.promises) == ["agent-a"] * 2 + ["agent-b"] * 2
    assert {p.incident_id for p in got.promises} == {i.id for i in got.incidents}
    text = json.dumps(plain(got))
    assert "secret" not in text and "voice" not in text  # no notes, facts or voice figures
    # Shifts, notes and step events are known by name and never opened.
    assert target.documents_opened == 8
    assert {e.rel_dir for e in got.folder_index} == {f"agent-a/{DAY}", f"agent-b/{DAY}"}


def test_days_before_since_are_not_read(tmp_path: Path, share: Path) -> None:
    run_sync(seed(tmp_path / "old", "agent-old", 1, NOW - timedelta(days=40)).store,
             FolderTarget(share), retention_days=400)  # fmt: skip
    two_agents(tmp_path, share, calls=1)
    target = FolderTarget(share)
    got = target.changes("", SINCE)
    assert {i.agent_id for i in got.incidents} == {"agent-a", "agent-b"}
    assert target.documents_opened == 4


def settle(share: Path) -> None:
    """Every day folder as if last changed an hour ago (the reader lists a
    folder changed in the last two seconds again: folder_read.SETTLED_NS)."""
    then = (NOW - timedelta(hours=1)).timestamp()
    for folder in share.glob("*/*"):
        os.utime(folder, (then, then))


def test_a_refresh_with_the_index_reads_only_what_changed(tmp_path: Path, share: Path) -> None:
    a, _ = two_agents(tmp_path, share)
    index, target = DictIndex(), FolderTarget(share)
    index.apply(target.changes("", SINCE, index))
    opened = target.documents_opened
    again = target.changes("", SINCE, index)  # its folders just written: listed again...
    assert again.count() == 0 and again.skipped == []
    assert target.documents_opened == opened  # ...but not one document opened again
    assert len(again.folder_index) == 2
    index.apply(again)
    settle(share)
    index.apply(target.changes("", SINCE, index))
    quiet = target.changes("", SINCE, index)
    assert quiet.count() == 0 and quiet.folder_index == [] and target.documents_opened == opened
    add_call(a, a.clock, "+44 20 7946 9999")  # type: ignore[arg-type]
    assert run_sync(a.store, FolderTarget(share)).sent > 0
    third = target.changes("", SINCE, index)
    assert [i.caller_number for i in third.incidents] == ["+44 20 7946 9999"]
    assert len(third.promises) == 1 and third.promises[0].incident_id == third.incidents[0].id
    assert target.documents_opened == opened + 2  # the new incident and its follow-up only
    assert [e.rel_dir for e in third.folder_index] == [f"agent-a/{DAY}"]
    assert len(third.folder_index[0].files) == len(index.files(f"agent-a/{DAY}")) + 4


def doc(kind: str, agent: str, day: str, record: dict[str, Any], version: int = 1) -> SyncDoc:
    rid = record.get("id") or str(uuid.uuid4())
    stamp = {"id": rid, "version": version, "created_at": iso(NOW), "updated_at": iso(NOW)}
    return SyncDoc(kind, rid, version, agent, day, {**stamp, **record})


def write(share: Path, d: SyncDoc, folder: str | None = None, name: str | None = None) -> Path:
    where = share / (folder or f"{d.agent_id}/{d.shift_day}")
    where.mkdir(parents=True, exist_ok=True)
    path = where / (name or f"{d.record_type}-{d.record_id}.json")
    path.write_text(json.dumps(d.document()))
    return path


def incident_doc(agent: str, day: str, **fields: Any) -> SyncDoc:
    record = {"shift_id": str(uuid.uuid4()), "started_at": iso(NOW), "ended_at": iso(NOW),
              "caller_number": "+44 20 7946 0000", **fields}  # fmt: skip
    return doc("incident", agent, day, record)


@pytest.fixture(params=["by descriptor", "by checked path"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the share is opened: POSIX's and Windows' (checked paths)."""
    monkeypatch.setattr(share_module, "BY_DESCRIPTOR", request.param == "by descriptor")
    return str(request.param)


def read_logs(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The reader's own records (other loggers may log too, at INFO, once an
    earlier test in the run set up Calmline's logging)."""
    return [r for r in caplog.records if r.name == "calmline.sync.folder_read"]


def test_bad_documents_are_each_skipped_with_one_line_once(
    tmp_path: Path,
    share: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    way: str,
) -> None:
    two_agents(tmp_path, share, calls=1)
    day = DAY
    folder = share / "agent-a" / day
    bad = {
        "corrupt": "incident-00000000-0000-0000-0000-000000000001.json",
        "foreign": "incident-00000000-0000-0000-0000-000000000002.json",
        "elsewhere": "",
        "link": "incident-00000000-0000-0000-0000-000000000004.json",
        "fifo": "incident-00000000-0000-0000-0000-000000000005.json",
        "big": "incident-00000000-0000-0000-0000-000000000006.json",
        "long": "",
        "socket": "incident-00000000-0000-0000-0000-000000000008.json",
        "deep": "incident-00000000-0000-0000-0000-000000000009.json",
    }
    (folder / bad["corrupt"]).write_text('{"schema": "calmline.sync-document/1", "ty')
    (folder / bad["deep"]).write_text("[" * 200_000 + "]" * 200_000)
    (folder / bad["foreign"]).write_text(json.dumps({"schema": "someone-else/2", "id": "x"}))
    bad["elsewhere"] = write(share, incident_doc("agent-b", day), folder=f"agent-a/{day}").name
    os.symlink(next((share / "agent-b" / day).glob("incident-*.json")), folder / bad["link"])
    os.mkfifo(folder / bad["fifo"])
    with open(folder / bad["big"], "wb") as f:
        f.truncate(MAX_DOC_BYTES + 1)  # sparse: never read, refused by its size
    bad["long"] = write(share, incident_doc("agent-a", day, summary="x" * 20_001)).name
    listening = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(folder)  # a socket's path is short: bound by its name
    listening.bind(bad["socket"])
    os.symlink(share / "agent-b", share / "agent-z")  # a planted agent folder
    os.symlink(share / "agent-b" / day, share / "agent-a" / "2099-01-01")  # and day folder
    caplog.set_level(logging.WARNING, logger="calmline.sync.folder_read")
    index, target = DictIndex(), FolderTarget(share)
    got = target.changes("", SINCE, index)
    assert {i.agent_id for i in got.incidents} == {"agent-a", "agent-b"} and len(got.incidents) == 2
    listening.close()
    assert len(got.skipped) == len(bad) + 2 == len(read_logs(caplog))
    lines = "\n".join(got.skipped)
    for what, name in bad.items():
        [line] = [s for s in got.skipped if name in s]
        assert line.startswith(f"agent-a/{day}/{name}: "), (what, line)
    assert "not JSON" in lines and "someone-else" not in lines and "schema is not" in lines
    assert "is not the agent folder it sits in" in lines and "link" in lines
    assert "not a regular file" in lines and f"over {MAX_DOC_BYTES} bytes" in lines
    assert "over 20000 characters" in lines
    assert "socket" in lines
    assert any(s.startswith("agent-z/: a link") for s in got.skipped)
    assert any(s.startswith("agent-a/2099-01-01/: a link") for s in got.skipped)
    index.apply(got)
    caplog.clear()
    again = target.changes("", SINCE, index)
    assert again.skipped == [] and read_logs(caplog) == [] and again.count() == 0
    index.apply(again)
    (folder / bad["corrupt"]).write_text("still not JSON")  # changed: read again
    os.utime(folder, ns=(1, 1))  # and its folder's change time, as a rename would
    third = target.changes("", SINCE, index)
    assert [s.split(":")[0] for s in third.skipped] == [f"agent-a/{day}/{bad['corrupt']}"]
    assert len(read_logs(caplog)) == 1


def marker_doc(agent: str, day: str, number: str = "+44 20 7946 0000") -> SyncDoc:
    return doc("marker", agent, day, {"incident_id": str(uuid.uuid4()), "proposed_at": iso(NOW),
                                      "reason": "threats", "caller_number": number,
                                      "customer_ref": ""})  # fmt: skip


def decision_doc(lead: str, marker_id: str, action: str = "approve") -> SyncDoc:
    review = (NOW.date() + timedelta(days=90)).isoformat() if action != "reject" else None
    return doc("marker_decision", lead, f"{NOW:%Y-%m-%d}",
               {"marker_id": marker_id, "decided_at": iso(NOW), "action": action,
                "review_by": review})  # fmt: skip


def test_a_decision_counts_only_from_a_listed_lead(tmp_path: Path, share: Path) -> None:
    target = FolderTarget(share)
    marker = marker_doc("agent-a", f"{NOW:%Y-%m-%d}")
    by_agent, by_lead = (
        decision_doc("agent-a", marker.record_id),
        decision_doc(LEAD, marker.record_id),
    )
    result = target.send([marker, by_agent, by_lead])
    assert {c.record_id for c in result.confirmed} == {marker.record_id, by_lead.record_id}
    [aside] = result.set_aside
    assert aside.record_id == by_agent.record_id
    assert ".calmline-leads" in aside.reason and "ask IT to add it" in aside.reason
    assert not list(share.glob("agent-a/*/marker_decision-*.json"))  # never written
    planted = write(share, by_agent)  # written by hand (or an older Calmline)
    got = target.changes("", SINCE)
    assert [d.agent_id for d in got.decisions] == [LEAD]
    assert isinstance(got.decisions[0], MarkerDecision)
    [line] = got.skipped
    assert line.startswith(f"agent-a/{by_agent.shift_day}/{planted.name}: a marker decision")
    assert "not a team lead" in line
    (share / ".calmline-leads").unlink()  # no list: no one is a lead
    nobody = FolderTarget(share).send([decision_doc(LEAD, marker.record_id, "renew")])
    assert "cannot be read" in nobody.set_aside[0].reason


def test_lookup_finds_todays_new_call_and_honours_its_budget(tmp_path: Path, share: Path) -> None:
    old = seed(tmp_path / "c", "agent-c", 1, NOW - timedelta(days=3))  # in the cache already
    run_sync(old.store, FolderTarget(share))
    two_agents(tmp_path, share)
    marker = marker_doc("agent-b", DAY, "00 44 20 7946 0001")
    FolderTarget(share).send([marker, decision_doc(LEAD, marker.record_id)])
    target = FolderTarget(share, clock=lambda: NOW)
    got = target.lookup("0044 20 7946 0001", "", budget_s=5)
    assert sorted(i.agent_id for i in got.incidents) == ["agent-a", "agent-b"]
    assert {p.incident_id for p in got.promises} == {i.id for i in got.incidents}
    assert [m.id for m in got.markers] == [marker.record_id] and len(got.decisions) == 1
    assert target.lookup("+1 555 0100", "", budget_s=5).incidents == []
    with pytest.raises(TargetError, match="budget"):
        target.lookup("0044 20 7946 0001", "", budget_s=0.0)
    opened = target.documents_opened
    with pytest.raises(TargetError, match=r"0\.0001 s budget"):
        slow = FolderTarget(share, clock=lambda: NOW)
        slow.lookup("0044 20 7946 0001", "", budget_s=0.0001)
    assert slow.documents_opened < opened / 2  # gave up partway


def test_the_team_report_for_a_lead_and_refused_to_others(tmp_path: Path, share: Path) -> None:
    a, b = two_agents(tmp_path, share)
    [first, _] = sorted(a.store.incidents(), key=lambda i: i.started_at)
    assert first.ended_at is not None
    a.store.save(replace(first, status=IncidentStatus.FINAL,
                         finalised_at=first.ended_at + timedelta(seconds=45)))  # fmt: skip
    done = b.store.followups()[0]
    b.store.save(replace(done, done_at=NOW))
    for flow in (a, b):
        run_sync(flow.store, FolderTarget(share))
    day = f"{NOW:%Y-%m-%d}"
    waiting, approved = marker_doc("agent-a", day), marker_doc("agent-b", day)
    voiced = incident_doc(
        "agent-v", day, voice={"talk_share": 0.4, "cue_counts": [["raised_voice", 2]]}
    )
    FolderTarget(share).send([waiting, approved, voiced, decision_doc(LEAD, approved.record_id)])
    with pytest.raises(TargetError, match=r"not listed in \.calmline-leads"):
        FolderTarget(share, agent_id="agent-a").report(NOW.date(), NOW.date(), NOW.date())
    report = FolderTarget(share, agent_id=LEAD).report(
        NOW.date() - timedelta(days=1), NOW.date(), NOW.date()
    )
    rows = {r.agent_id: r for r in report.agents}
    assert set(rows) == {"agent-a", "agent-b", "agent-v"}
    assert rows["agent-a"].calls == rows["agent-b"].calls == 2 and rows["agent-v"].calls == 1
    assert rows["agent-a"].outcomes == (("pending", 2),)
    assert rows["agent-a"].after_call_s == 45.0 and rows["agent-b"].after_call_s is None
    assert rows["agent-a"].overdue_promises == 2 and rows["agent-b"].overdue_promises == 1
    assert rows["agent-a"].talk_share is None and rows["agent-a"].raised_voice_calls is None
    assert rows["agent-v"].talk_share == 0.4 and rows["agent-v"].raised_voice_calls == 1
    callers = {r.caller: (r.calls, r.agents) for r in report.repeat_callers}
    assert callers == {"+44 20 7946 0000": (3, 3), "+44 20 7946 0001": (2, 2)}
    assert report.repeat_callers[0].caller == "+44 20 7946 0000"
    assert report.repeat_callers_total == 2
    assert [m.id for m in report.awaiting_review] == [waiting.record_id]
    assert report.store == FolderTarget(share).name
    assert isinstance(report.start, date)


def test_a_planted_document_nested_too_deep_is_replaced_by_send(share: Path) -> None:
    d = incident_doc("agent-a", DAY)
    planted = write(share, d)
    planted.write_text("[" * 200_000 + "]" * 200_000)  # json.loads: RecursionError
    result = FolderTarget(share).send([d])
    assert [c.record_id for c in result.confirmed] == [d.record_id] and not result.failure
    assert json.loads(planted.read_text())["id"] == d.record_id
