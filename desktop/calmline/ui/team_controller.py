"""Keeps the team's memory fresh without ever making the window wait: the local
team cache is refreshed on a worker thread at shift start, after every sync
and every few minutes during a shift; at call start the ringing number is
looked up live on another worker, and the answer is shown only when it comes
within the lookup budget. Until then, and when the store does not answer, the
window shows what the cache said (the flow reads the cache at once).

A late answer is dropped: the badge and the lines do not change under the
agent's eyes mid-call, and the next refresh brings the same records anyway.
Each job has its own thread and (the refresh) its own database connection;
only the GUI thread touches the flow."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from calmline.core.outcomes import CallStarted, Outcome, ShiftEnded, ShiftStarted
from calmline.core.team import TeamChanges

if TYPE_CHECKING:
    from calmline.flow import Flow, FlowEvent
    from calmline.sync.job import OpenStore
    from calmline.ui.sync_controller import SyncController

log = logging.getLogger(__name__)
STOP_WAIT_S = 2.0  # at quit, for jobs still running (a lookup is bounded by its budget)


@dataclass(frozen=True)
class TeamTarget:
    """Where the team store is, as the sync settings say."""

    url: str
    default_folder: Path
    retention_days: int
    agent_id: str


class _Job(QObject):
    """One job on a daemon thread of its own; what it returned comes back to
    the GUI thread through ``finished`` (a queued signal: this object lives there).
    A daemon thread, not a QThread: a refresh stuck on a hung store (its read
    timeout is 30 s) must not hold the app's quit, and a daemon thread may be
    left to end with the process (the cache takes each page in one
    transaction, so an unfinished refresh leaves nothing half-written)."""

    finished = Signal(object)

    def __init__(
        self, name: str, job: Callable[[], object], done: Callable[[object], None]
    ) -> None:
        super().__init__()
        self.job, self.done = job, done
        self.runner = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread_id: int | None = None  # for tests: never the GUI thread

    def _run(self) -> None:
        self.thread_id = threading.get_ident()
        try:
            result: object = self.job()
        except Exception as exc:  # a job that broke: said once, the window goes on
            log.exception("team memory: a background job failed")
            result = f"failed: {exc}"
        self.finished.emit(result)


class TeamController(QObject):
    refreshed = Signal(object)  # RefreshSummary, on the GUI thread
    looked_up = Signal(str, bool)  # call id, answered within the budget (applied)

    def __init__(
        self,
        flow: Flow,
        open_store: OpenStore,
        target: TeamTarget,
        refresh_minutes: int,
        lookup_budget_ms: int,
        sync: SyncController | None = None,
    ) -> None:
        super().__init__()
        self.flow, self.open_store, self.target = flow, open_store, target
        self.budget_ms = max(1, lookup_budget_ms)
        self.running: list[_Job] = []  # every job still going
        self.refreshing: _Job | None = None
        self._again = False  # a refresh asked for while one ran: one more after it
        self._stopped = False
        self.last_thread_id: int | None = None
        self.lookup_call: str = ""  # the call whose lookup may still be applied
        self._asked = 0.0  # when it was asked (time.monotonic)
        self._deadline = QTimer(self)
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self._too_late)
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, refresh_minutes) * 60_000)
        self.timer.timeout.connect(self.refresh)
        self.periodic = refresh_minutes > 0
        flow.listeners.append(self._on_flow)
        if sync is not None:
            sync.finished.connect(lambda _summary: self.refresh())
        if flow.shift is not None:  # started with a shift running (a restart)
            self._shift_started()

    # -- following the flow -----------------------------------------------
    def _on_flow(self, _event: FlowEvent, outcome: Outcome) -> None:
        if isinstance(outcome, ShiftStarted):
            self._shift_started()
        elif isinstance(outcome, ShiftEnded):
            self.timer.stop()  # the shift's sync refreshes once more when it ends
        elif isinstance(outcome, CallStarted):
            self.lookup(outcome.call.meta.id)

    def _shift_started(self) -> None:
        self.refresh()
        if self.periodic:
            self.timer.start()

    def me(self) -> str:
        """Whose calls are this computer's: the shift's agent, else the settings'."""
        shift = self.flow.shift
        return shift.agent_id if shift is not None else self.target.agent_id

    # -- workers ----------------------------------------------------------
    def _start(self, name: str, job: Callable[[], object], done: Callable[[object], None]) -> _Job:
        worker = _Job(name, job, done)
        worker.finished.connect(self._finished)  # queued: runs on the GUI thread
        self.running.append(worker)
        worker.runner.start()
        return worker

    @Slot(object)
    def _finished(self, result: object) -> None:
        worker = self.sender()
        if not isinstance(worker, _Job) or worker not in self.running:
            return
        self.running.remove(worker)
        self.last_thread_id = worker.thread_id
        worker.deleteLater()
        if not self._stopped:
            worker.done(result)

    # -- the cache --------------------------------------------------------
    def refresh(self) -> bool:
        """Refresh the team cache now; False when one is already running (then
        one more follows it: it may have started before the records now wanted)."""
        if self._stopped:
            return False
        if self.refreshing is not None:
            self._again = True
            return False
        from calmline.sync.team_refresh import team_refresh_job

        t, me, open_store = self.target, self.me(), self.open_store

        def job() -> object:
            return team_refresh_job(open_store, t.url, t.default_folder, t.retention_days, me)

        self.refreshing = self._start("calmline-team-refresh", job, self._refreshed)
        return True

    def _refreshed(self, summary: object) -> None:
        self.refreshing = None
        text = summary.text() if hasattr(summary, "text") else str(summary)
        log.info("team memory refreshed: %s", text)
        if not isinstance(summary, str) and not getattr(summary, "error", "failed"):
            # The refresh wrote the cache on its own connection: the window reads it again.
            self.flow.team_apply(TeamChanges())
        self.refreshed.emit(summary)
        if self._again:
            self._again = False
            self.refresh()

    # -- the ringing number -----------------------------------------------
    def lookup(self, call_id: str) -> None:
        """Ask the team store about the call's caller; applied only within the budget."""
        call = self.flow.call
        if self._stopped or call is None or call.meta.id != call_id:
            return
        if not (call.caller_number or call.customer_ref):
            return
        from calmline.sync.team_refresh import lookup_job

        t, me, budget_s = self.target, self.me(), self.budget_ms / 1000
        number, ref = call.caller_number, call.customer_ref

        def job() -> object:
            return lookup_job(t.url, t.default_folder, me, number, ref, budget_s)

        self.lookup_call = call_id
        self._asked = time.monotonic()
        self._deadline.start(self.budget_ms)
        self._start("calmline-team-lookup", job, partial(self._answered, call_id))

    def _too_late(self) -> None:
        if self.lookup_call:
            log.info("team lookup: no answer within %d ms; the cache stands", self.budget_ms)
            self.looked_up.emit(self.lookup_call, False)
        self.lookup_call = ""

    def _answered(self, call_id: str, answer: object) -> None:
        call = self.flow.call
        in_time = self.lookup_call == call_id and call is not None and call.meta.id == call_id
        if not isinstance(answer, TeamChanges):
            log.info("team lookup: %s; the cache stands", answer)
            in_time = False
        elif not in_time:
            log.info("team lookup: answered after the budget or the call; dropped")
        if call_id != self.lookup_call:
            return  # its budget's end was said already (or a later call's lookup runs)
        self._deadline.stop()
        self.lookup_call = ""
        if in_time and isinstance(answer, TeamChanges):
            took = (time.monotonic() - self._asked) * 1000
            log.info("team lookup: answered in %.0f ms (%d values); applied", took, answer.count())
            self.flow.team_apply(answer, live=True)
        self.looked_up.emit(call_id, in_time)

    # -- quitting ---------------------------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self.running)

    def stop(self, wait_s: float = STOP_WAIT_S) -> None:
        """At quit: no more jobs, and the running ones get ``wait_s`` in all to
        end; one still waiting on the store is left to end with the process."""
        self._stopped = True
        self.timer.stop()
        self._deadline.stop()
        end = time.monotonic() + wait_s
        for job in list(self.running):
            job.runner.join(max(0.0, end - time.monotonic()))
            if job.runner.is_alive():
                log.info("%s still waiting on the team store at quit: left", job.runner.name)
        self.running.clear()
