"""Sync from the app: at shift end with the dialog, and quietly during a shift;
always on a worker thread with its own connection, into a real folder."""

from __future__ import annotations

import threading
from pathlib import Path

from pytestqt.qtbot import QtBot

from calmline.flow import Flow
from calmline.store.database import open_database
from calmline.store.repository import Store
from calmline.store.sync_queue import pending_count
from calmline.ui.sync_controller import SyncController


def controller(flow: Flow, url: str, folder: Path, minutes: int = 15) -> SyncController:
    db_file = Path(flow.store.db.execute("PRAGMA database_list").fetchone()[2])
    sync = SyncController(flow, lambda: Store(open_database(db_file)), url, folder, minutes)
    return sync


def test_shift_end_sends_everything_and_says_so(qtbot: QtBot, flow: Flow, tmp_path: Path) -> None:
    target = tmp_path / "team"
    target.mkdir()
    (target / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
    sync = controller(flow, str(target), tmp_path / "default")
    flow.start_shift("agent-7")
    flow.start_call("+44 20 7946 0000")
    flow.note("wants a refund")
    flow.end_call()
    with qtbot.waitSignal(sync.finished, timeout=10_000) as done:
        flow.end_shift()
    summary = done.args[0]
    assert summary.sent == summary.total == 3 and not summary.failure  # shift, incident, note
    assert sync.worker is None and sync.dialog is not None
    qtbot.addWidget(sync.dialog)
    assert sync.dialog.isVisible()
    assert sync.dialog.text.text() == f"Sent 3 of 3 records to folder {target}."
    assert len(list(target.rglob("*.json"))) == 3
    assert pending_count(flow.store) == 0


def test_a_failing_target_keeps_records_pending_and_says_why(
    qtbot: QtBot, flow: Flow, tmp_path: Path
) -> None:
    sync = controller(flow, "ftp://files.example.com/calmline", tmp_path / "default")
    flow.start_shift("agent-7")
    with qtbot.waitSignal(sync.finished, timeout=10_000):
        flow.end_shift()
    assert sync.dialog is not None
    qtbot.addWidget(sync.dialog)
    text = sync.dialog.text.text()
    assert "ftp://files.example.com/calmline" in text and "unknown kind" in text
    assert "safe in the local database" in text
    assert pending_count(flow.store) == 1


def test_runs_quietly_during_a_shift_off_the_gui_thread(
    qtbot: QtBot, flow: Flow, tmp_path: Path
) -> None:
    target = tmp_path / "team"
    target.mkdir()
    (target / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
    sync = controller(flow, f"file://{target}", tmp_path / "default", minutes=15)
    flow.start_shift("agent-7")
    assert sync.timer.isActive() and sync.timer.interval() == 15 * 60_000
    worker_threads: list[int | None] = []
    sync.finished.connect(lambda s: worker_threads.append(s and threading.get_ident()))
    with qtbot.waitSignal(sync.finished, timeout=10_000) as done:
        sync.timer.timeout.emit()  # as every 15 minutes
    assert done.args[0].sent == 1 and sync.dialog is None  # quiet: no dialog
    assert worker_threads == [threading.get_ident()]  # reported back on the GUI thread
    assert sync.last_thread_id not in (None, threading.get_ident())  # sent from a worker


def test_no_periodic_sync_when_the_interval_is_0(flow: Flow, tmp_path: Path) -> None:
    sync = controller(flow, "", tmp_path / "default", minutes=0)
    flow.start_shift("agent-7")
    assert not sync.timer.isActive()


def test_shift_end_during_a_quiet_sync_runs_once_more_for_what_it_missed(
    qtbot: QtBot, flow: Flow, tmp_path: Path
) -> None:
    target = tmp_path / "team"
    target.mkdir()
    (target / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
    db_file = Path(flow.store.db.execute("PRAGMA database_list").fetchone()[2])
    release = threading.Event()

    def slow_open() -> Store:  # the quiet sync is still starting when the shift ends
        release.wait(10)
        return Store(open_database(db_file))

    sync = SyncController(flow, slow_open, str(target), tmp_path / "default", 15)
    flow.start_shift("agent-7")
    assert sync.start(quiet=True)
    flow.end_shift()  # asks for a sync with the dialog while the quiet one runs
    assert sync.busy and sync.dialog is not None
    qtbot.addWidget(sync.dialog)
    summaries = []
    sync.finished.connect(summaries.append)
    release.set()
    qtbot.waitUntil(lambda: len(summaries) == 2 and not sync.busy, timeout=10_000)
    assert pending_count(flow.store) == 0  # the ended shift was sent by the second run
    assert sync.dialog.text.text() == summaries[1].text()
