"""Folder team store read side. Target (issue 20): a refresh after one more
shift of the team (100 new documents) in a share of 200,000 documents < 2 s.
The first full read, which builds the index, is measured and printed (no
target). The index is kept in memory here (a dict implementing FolderIndex):
the local cache's SQLite-backed index is measured in the cache's own bench.

The share is written by the bench itself, fast: plain JSON files of the sync
document shape (not through run_sync), 40 agents x 180 days, each day folder
a shift of 7 calls (incident, note, step event, follow-up each) = 29
documents; every day folder is then dated its own day, as a share filled over
half a year is (a folder changed in the last two seconds is listed again by
design: folder_read.SETTLED_NS)."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from calmline.core.serialize import iso
from calmline.core.sync_docs import SCHEMA_ID
from calmline.core.team import FolderEntry, TeamChanges
from calmline.sync.folder import FolderTarget

AGENTS, DAYS, CALLS = 40, 180, 7
pytestmark = pytest.mark.timeout(900)  # writing the share and its first read: ~1 min
TODAY = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)


class DictIndex:
    def __init__(self) -> None:
        self.entries: dict[str, FolderEntry] = {}

    def folders(self) -> dict[str, int]:
        return {rel: e.mtime_ns for rel, e in self.entries.items()}

    def files(self, rel_dir: str) -> dict[str, tuple[int, int]]:
        return self.entries[rel_dir].files

    def apply(self, changes: TeamChanges) -> None:
        for entry in changes.folder_index:
            self.entries[entry.rel_dir] = entry


def _put(folder: Path, kind: str, agent: str, day: str, record: dict[str, Any]) -> str:
    rid = str(uuid.uuid4())
    stamp = iso(datetime.fromisoformat(record.pop("_at")))
    doc = {
        "schema": SCHEMA_ID, "type": kind, "id": rid, "version": 1, "agent_id": agent,
        "shift_day": day,
        "record": {"id": rid, "version": 1, "created_at": stamp, "updated_at": stamp, **record},
    }  # fmt: skip
    fd = os.open(folder / f"{kind}-{rid}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, json.dumps(doc).encode())
    os.close(fd)
    return rid


def write_shift(root: Path, agent: str, when: datetime, calls: int) -> int:
    """One shift of ``agent`` on ``when``'s day: its documents, written."""
    day = f"{when:%Y-%m-%d}"
    folder = root / agent / day
    folder.mkdir(parents=True, exist_ok=True)
    at = iso(when)
    shift = _put(folder, "shift", agent, day, {"_at": at, "agent_id": agent, "started_at": at})
    for n in range(calls):
        start, end = when + timedelta(minutes=10 * n), when + timedelta(minutes=10 * n + 6)
        number = f"+44 20 7946 {(int(agent[-2:]) * 100 + n) % 10000:04d}"
        incident = {
            "_at": iso(start),
            "shift_id": shift,
            "started_at": iso(start),
            "ended_at": iso(end),
            "playbook_id": "irate",
            "caller_number": number,
            "customer_ref": f"AC {n:04d}",
            "category": "billing",
            "summary": "- charged twice\n- refund agreed",
            "resolution": "pending",
            "agreed_resolution": "refund in 5 days",
            "status": "final",
            "finalised_at": iso(end + timedelta(seconds=40)),
        }
        inc = _put(folder, "incident", agent, day, incident)
        note = {"_at": iso(start), "shift_id": shift, "text": "charged twice in October",
                "wall_time": iso(start), "incident_id": inc}  # fmt: skip
        _put(folder, "note", agent, day, note)
        tick = {"_at": iso(start), "incident_id": inc, "step_id": "listen", "action": "tick",
                "wall_time": iso(start), "call_offset_s": 12.0}  # fmt: skip
        _put(folder, "step_event", agent, day, tick)
        due = f"{when + timedelta(days=2):%Y-%m-%d}"
        promise = {"_at": iso(end), "incident_id": inc, "what": "call back", "due": due}
        _put(folder, "followup", agent, day, promise)
    return 1 + 4 * calls


def date_folders(root: Path) -> None:
    for agent in root.iterdir():
        if agent.is_dir():
            for day in agent.iterdir():
                stamp = datetime.fromisoformat(day.name).replace(tzinfo=UTC).timestamp()
                os.utime(day, (stamp, stamp))


def test_bench_folder_refresh_after_one_more_shift(
    tmp_path: Path, benchmark: BenchmarkFixture
) -> None:
    root = tmp_path / "team"
    root.mkdir()
    (root / ".calmline-store").touch()
    t0 = time.perf_counter()
    docs = sum(
        write_shift(root, f"agent-{a:02d}", TODAY - timedelta(days=DAYS - d), CALLS)
        for a in range(AGENTS)
        for d in range(DAYS)
    )
    date_folders(root)
    written_s = time.perf_counter() - t0
    assert docs >= 200_000
    index, target = DictIndex(), FolderTarget(root)
    since = TODAY - timedelta(days=DAYS + 1)
    t0 = time.perf_counter()
    first = target.changes("", since, index)
    first_s = time.perf_counter() - t0
    index.apply(first)
    assert len(first.incidents) == AGENTS * DAYS * CALLS and first.skipped == []
    opened_first = target.documents_opened
    # One more shift of the team: 20 agents, a shift of one call each = 100 documents.
    new = sum(write_shift(root, f"agent-{a:02d}", TODAY, 1) for a in range(0, AGENTS, 2))
    assert new == 100
    refresh = benchmark.pedantic(lambda: target.changes("", since, index), rounds=1, iterations=1)
    refresh_s = benchmark.stats.stats.max
    assert len(refresh.incidents) == 20 and len(refresh.promises) == 20
    assert target.documents_opened - opened_first == 40  # shifts and notes never opened
    benchmark.extra_info.update(
        documents=docs, first_read_s=round(first_s, 2), refresh_s=round(refresh_s, 3),
        write_s=round(written_s, 1),
    )  # fmt: skip
    print(
        f"\nshare of {docs} documents ({AGENTS} agents x {DAYS} days): first full read "
        f"{first_s:.2f} s ({opened_first} documents opened); refresh after {new} new "
        f"documents {refresh_s * 1000:.0f} ms (index in memory)"
    )
    assert refresh_s < 2
