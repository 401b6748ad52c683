"""Runs sync off the GUI thread: quietly every few minutes during a shift, and
at shift end with a dialog showing progress (n of N), then what was sent, what
failed and why — and that unsent records stay safe locally."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from calmline.core.outcomes import Outcome, ShiftEnded, ShiftStarted
from calmline.core.redact import redact_target
from calmline.sync.job import OpenStore, sync_job
from calmline.sync.runner import SyncSummary
from calmline.ui.sync_dialog import SyncDialog

if TYPE_CHECKING:
    from calmline.flow import Flow, FlowEvent

log = logging.getLogger(__name__)


class SyncWorker(QObject):
    """Lives on its own thread with its own database connection."""

    progress = Signal(int, int)
    finished = Signal(object)  # SyncSummary

    def __init__(
        self,
        open_store: OpenStore,
        url: str,
        default_folder: Path,
        retention_days: int,
        share_voice: bool = False,
    ) -> None:
        super().__init__()
        self.open_store, self.url, self.default_folder = open_store, url, default_folder
        self.retention_days, self.share_voice = retention_days, share_voice
        self.thread_id: int | None = None  # for tests: never the GUI thread

    @Slot()
    def run(self) -> None:
        self.thread_id = threading.get_ident()
        summary = sync_job(
            self.open_store,
            self.url,
            self.default_folder,
            self.retention_days,
            self.progress.emit,
            contain=True,
            share_voice=self.share_voice,
        )
        self.finished.emit(summary)


class SyncController(QObject):
    finished = Signal(object)  # SyncSummary, on the GUI thread

    def __init__(
        self,
        flow: Flow,
        open_store: OpenStore,
        url: str,
        default_folder: Path,
        interval_minutes: int,
        parent_widget: object = None,
        retention_days: int = 90,
        share_voice: bool = False,
    ) -> None:
        super().__init__()
        self.open_store, self.url, self.default_folder = open_store, url, default_folder
        self.retention_days, self.share_voice = retention_days, share_voice
        self.parent_widget = parent_widget
        self.thread: QThread | None = None
        self.worker: SyncWorker | None = None
        self.dialog: SyncDialog | None = None
        self.last_thread_id: int | None = None
        self._again = False  # asked for while busy: run once more when this one ends
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, interval_minutes) * 60_000)
        self.timer.timeout.connect(lambda: self.start(quiet=True))
        self.periodic = interval_minutes > 0
        # Followed: a shift's start starts the timer, its end sends everything.
        flow.listeners.append(self._on_flow)
        if flow.shift is not None and self.periodic:
            self.timer.start()

    def _on_flow(self, _event: FlowEvent, outcome: Outcome) -> None:
        if isinstance(outcome, ShiftEnded):  # send everything now
            self.timer.stop()
            self.start(quiet=False)
        elif isinstance(outcome, ShiftStarted) and self.periodic:
            self.timer.start()

    @property
    def busy(self) -> bool:
        return self.thread is not None

    def start(self, quiet: bool) -> bool:
        """Begin a sync; False when one is already running. A sync asked for
        then (e.g. at shift end, with records the running one did not read)
        follows it, and the dialog shows the one that follows."""
        if not quiet:
            self._show_dialog()
        if self.busy:
            self._again = True
            return False
        worker = SyncWorker(
            self.open_store, self.url, self.default_folder, self.retention_days, self.share_voice
        )
        thread = QThread(self)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._progress)
        worker.finished.connect(self._done)
        self.thread, self.worker = thread, worker
        thread.start()
        return True

    def _show_dialog(self) -> None:
        if self.dialog is None:
            self.dialog = SyncDialog(self.parent_widget)  # type: ignore[arg-type]
        self.dialog.begin()
        self.dialog.show()
        self.dialog.raise_()

    def _progress(self, done: int, total: int) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.show_progress(done, total)

    def _done(self, summary: SyncSummary) -> None:
        assert self.thread is not None
        self.thread.quit()
        self.thread.wait()
        assert self.worker is not None
        self.last_thread_id = self.worker.thread_id  # tests check it is not the GUI's
        self.thread = self.worker = None
        log.info("%s", redact_target(summary.text()))
        if self._again:
            self._again = False
            self.start(quiet=True)  # an open dialog follows this run too
        elif self.dialog is not None and self.dialog.isVisible():
            self.dialog.show_summary(summary)
        self.finished.emit(summary)

    def stop(self) -> None:
        """At quit: let a running sync finish its batch (it is short)."""
        self.timer.stop()
        if self.thread is not None:
            self.thread.quit()
            self.thread.wait(30_000)
