"""Composition root of the GUI: builds every object once and wires them.

Start-up is in two steps so the window appears at once: first the window alone
(Qt only, placed where it was), then — right after it has painted — settings,
playbooks and the database (pydantic and sqlite-utils take most of the start-up
time), and the window is filled. A command arriving meanwhile waits for step two.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from calmline import APP_NAME, __version__
from calmline.core.clock import local_now
from calmline.core.commands import Command, Name, Reply
from calmline.platform.display import no_display
from calmline.platform.instance import (
    InstanceAddress,
    InstanceRefused,
    NotRunning,
    instance_address,
    send,
)
from calmline.platform.logs import configure_logging
from calmline.platform.paths import app_paths, resource_path

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from calmline.audio.listen_worker import ListenWorker
    from calmline.audio.spotter import Spotter
    from calmline.context import Context
    from calmline.core.live_voice import LiveVoice
    from calmline.core.settings import Settings
    from calmline.flow import Flow
    from calmline.platform.instance_lock import Holder
    from calmline.platform.instance_server import InstanceServer
    from calmline.platform.paths import AppPaths
    from calmline.store.repository import Store
    from calmline.ui.companion import Companion
    from calmline.ui.global_keys import GlobalKeys
    from calmline.ui.main_window import CompanionWindow
    from calmline.ui.meter_controller import MeterController
    from calmline.ui.sync_controller import SyncController
    from calmline.ui.team_controller import TeamController
    from calmline.ui.tray import Tray

log = logging.getLogger("calmline")


def _hand_over(address: InstanceAddress, wait_s: float) -> bool:
    """Ask a running instance to show itself; True if one answered.
    InstanceRefused when what answers (or its folder) is not the agent's own."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            # Its first command waits for its database and settings to load.
            reply = send(address, Command(Name.SHOW), timeout=30)
        except InstanceRefused:
            raise
        except NotRunning:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
            continue
        except (ConnectionError, TimeoutError) as exc:  # ours (its uid was checked), but busy
            print(f"Calmline is already running, but did not show its window ({exc})")
            return True
        print(f"Calmline is already running: {reply.message}")
        return True


def _refuse(message: str) -> int:
    """Someone else's folder, lock or socket, or our database already open: one
    line, and never "already running"."""
    log.error("%s", message)
    print(f"calmline: {message}", file=sys.stderr)
    return 1


def _second_window(address: InstanceAddress, holder: Holder, data_dir: Path) -> int:
    """The data folder is locked by another live instance of ours: hand over to
    it when it listens where we would (two launches at once), else refuse."""
    if holder.address in ("", address.client_path):
        if _hand_over(address, 10):
            return 0
        where = f"does not answer at {address.client_path}"
    else:
        where = f"listens at {holder.address}, not at {address.client_path}"
    return _refuse(
        f"another Calmline (process {holder.pid}) already has the data folder {data_dir} "
        f"open and {where} — one window per database: start this one with the same "
        "XDG_RUNTIME_DIR, TMPDIR and CALMLINE_HOME as that one, or quit it"
    )


class _Loader:
    """Step two of start-up: load settings, playbooks and the database, build the
    flow and everything around the window, once."""

    def __init__(
        self, app: QApplication, window: CompanionWindow, paths: AppPaths, tray: Tray | None
    ) -> None:
        self.app, self.window, self.paths, self.tray = app, window, paths, tray
        self.flow: Flow | None = None
        self.companion: Companion | None = None
        self.meter: MeterController | None = None
        self.listen: ListenWorker | None = None
        self.keys: GlobalKeys | None = None
        self.sync: SyncController | None = None
        self.team: TeamController | None = None
        self.failed = False

    def ensure(self) -> Flow | None:
        if self.flow is not None or self.failed:
            return self.flow
        from PySide6.QtWidgets import QMessageBox

        from calmline.context import Context
        from calmline.store.database import StoreError
        from calmline.ui.plain_text import message_box

        ctx = Context.load(paths=self.paths)
        try:
            store = ctx.open_store()
        except StoreError as exc:
            self.failed = True
            log.error("cannot open the local database: %s", exc)
            message_box(
                QMessageBox.Icon.Critical,
                APP_NAME,
                f"Calmline cannot open its database.\n\n{exc}",  # a path: plain text
                self.window,
            ).exec()
            self.app.exit(1)
            return None
        try:
            self.flow = self._fill(ctx, store)
        except BaseException:
            self.failed = True  # never a second flow wired onto the same window
            raise
        log.info("ready")
        return self.flow

    def _fill(self, ctx: Context, store: Store) -> Flow:
        """The flow on the store, and everything around the window, wired."""
        from calmline.core.live_voice import LiveVoice
        from calmline.flow import Flow
        from calmline.platform.baselines import BaselineFile
        from calmline.ui.companion import Companion
        from calmline.ui.sync_controller import SyncController
        from calmline.ui.team_controller import TeamController, TeamTarget

        settings = ctx.settings.settings
        baselines = BaselineFile(self.paths.data_dir / "baselines.json")
        voice = LiveVoice(settings.cues, baselines, settings.agent_id)
        flow = Flow(
            store,
            ctx.playbook(),
            ctx.playbook(abusive=True),
            agent_id=settings.agent_id,
            auto_start_shift=settings.shift.auto_start,
            voice=voice,
            voice_shared=settings.sync.share_voice_figures,
        )
        for problem in ctx.problems:
            log.warning("%s", problem)
        self.companion = Companion(
            self.window, flow, settings, list(ctx.problems), local_now, self.tray
        )
        self._start_meter(settings, voice, self.companion, flow)
        self._start_hotkeys(settings, ctx.settings.is_locked, self.companion, flow)
        self.sync = SyncController(  # each sync opens its own connection, on its own thread
            flow,
            ctx.open_store,
            settings.sync.target,
            ctx.paths.sync_folder,
            settings.sync.interval_minutes,
            self.window,
            settings.retention_days,
            settings.sync.share_voice_figures,
        )
        self.team = TeamController(  # the team cache and live lookups, off the GUI thread
            flow,
            ctx.open_store,
            TeamTarget(
                settings.sync.target,
                ctx.paths.sync_folder,
                settings.retention_days,
                settings.agent_id,
            ),
            settings.sync.team_refresh_minutes,
            settings.sync.lookup_budget_ms,
            self.sync,
        )
        return flow

    def _start_hotkeys(
        self, settings: Settings, locked: Callable[[str], bool], companion: Companion, flow: Flow
    ) -> None:
        from calmline.core.outcomes import HotkeysReported
        from calmline.platform.focus import focus_keeper
        from calmline.platform.hotkeys import hotkey_backend
        from calmline.ui.global_keys import GlobalKeys

        qt_platform = self.app.platformName()
        keys = GlobalKeys(
            hotkey_backend(qt_platform),
            focus_keeper(qt_platform),
            companion,
            settings.hotkeys,
            local_now,
            locked,
        )
        keys.start(self.app)
        flow.provide(
            Name.HOTKEYS,
            lambda _cmd: HotkeysReported(tuple(keys.report.lines()), not keys.report.problems),
        )
        self.keys = keys

    def _start_meter(
        self, settings: Settings, voice: LiveVoice, companion: Companion, flow: Flow
    ) -> None:
        from calmline.audio.capture import Capture
        from calmline.audio.loopback import CallerCapture
        from calmline.ui.level_bar import LevelBar
        from calmline.ui.meter_controller import MeterController
        from calmline.ui.meter_panel import MeterPanel

        panel, compact = MeterPanel(), LevelBar(thickness=10)
        self.window.set_meter(panel, compact)
        audio = settings.audio
        self.meter = MeterController(
            Capture(audio.input_device),
            voice,
            panel,
            compact,
            CallerCapture(audio.caller_device) if audio.caller_channel else None,
            listen=(worker := self._listener(settings, flow)),
        )
        if worker is not None:
            companion.listen(worker, self.meter.heard)
        self.listen = worker
        self.meter.start()

    def _listener(self, settings: Settings, flow: Flow) -> ListenWorker | None:
        """Heard steps' worker thread, when the setting is on (the recogniser is
        made on that thread, not here)."""
        if not settings.listening.enabled:
            log.info("heard steps: off (listening.enabled)")
            return None
        from calmline.audio.listen_worker import ListenWorker
        from calmline.core.listening import phrase_table

        listening = settings.listening
        model = Path(listening.model_folder).expanduser() if listening.model_folder else None

        def make(phrases: Mapping[str, Sequence[str]], rate: int) -> Spotter:
            from calmline.audio.spotter import Spotter

            return Spotter(phrases, rate, listening.sensitivity, model)

        return ListenWorker(make, phrase_table(flow.playbook))

    def handle(self, cmd: Command) -> Reply:
        """A command from the socket (softphone, second launch, doctor): the flow's."""
        flow = self.ensure()
        if flow is None:
            return Reply(False, "Calmline cannot open its database — see its log")
        return flow.execute(cmd)


def run_app(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    if no_display(os.environ):
        print(
            "calmline: no display — set DISPLAY (X11) or WAYLAND_DISPLAY, or run "
            "`calmline doctor` to check this machine without a window",
            file=sys.stderr,
        )
        return 1
    paths = app_paths()
    configure_logging(paths.log_file)
    address = instance_address()
    try:
        if _hand_over(address, 0):  # a second launch just brings the window forward
            return 0
    except InstanceRefused as exc:
        return _refuse(str(exc))
    log.info("Calmline %s starting; data in %s", __version__, paths.data_dir)

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from calmline.ui.crash import CrashReporter, route_qt_messages
    from calmline.ui.main_window import CompanionWindow
    from calmline.ui.window_state import WindowStateFile

    route_qt_messages()
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # forms come and go; the window decides
    CrashReporter(str(paths.log_file)).install()

    window = CompanionWindow(WindowStateFile(paths.data_dir / "window.json"), local_now)
    loaders: list[_Loader] = []
    servers: list[InstanceServer] = []
    window.quit_requested.connect(app.quit)

    class FirstPaint(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                ms = (time.perf_counter() - started) * 1000
                log.info("first window painted %.0f ms after start", ms)
                obj.removeEventFilter(self)
                QTimer.singleShot(0, step_two)  # now that it shows
            return False

    def step_two() -> None:
        from calmline.platform.instance_lock import lock_path
        from calmline.platform.instance_server import InstanceError, InstanceServer
        from calmline.ui.tray import Tray

        # The data folder's lock comes before the database. A second launch
        # normally hands over before showing anything (above); one started at
        # the very same moment gets here, loses the lock, and hands over; one
        # started with another runtime folder (or CALMLINE_HOME spelling) for
        # the same data folder is refused: one window per database.
        # The SVG icon loads Qt's SVG plugin: not worth delaying the first paint.
        icon = QIcon(str(resource_path("icons", "calmline.svg")))
        tray = Tray(icon, app)  # shown once the window is filled
        tray.quit.connect(app.quit)
        loader = _Loader(app, window, paths, tray)
        server = InstanceServer(address, lock_path(paths.data_dir), loader.handle)
        try:
            started = server.start()
            if not started:
                window.hide()
                app.exit(_second_window(address, server.holder(), paths.data_dir))
                return
        except (InstanceRefused, InstanceError) as exc:
            window.hide()
            app.exit(_refuse(str(exc)))
            return
        servers.append(server)
        app.setWindowIcon(icon)
        loaders.append(loader)
        loader.ensure()

    first_paint = FirstPaint()
    window.installEventFilter(first_paint)

    def at_quit() -> None:
        window.save_placement()
        for server in servers:
            server.stop()
        for loader in loaders:
            if loader.companion is not None:
                loader.companion.save_all()
            if loader.meter is not None:
                loader.meter.stop()
            if loader.listen is not None:
                loader.listen.stop()
            if loader.keys is not None:
                loader.keys.close()
            if loader.sync is not None:
                loader.sync.stop()
            if loader.team is not None:
                loader.team.stop()

    app.aboutToQuit.connect(at_quit)
    # SIGTERM (logout, `kill`) quits cleanly: open forms are saved. Python only
    # runs signal handlers between bytecodes, so let it in twice a second.
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(500)
    window.show()
    code = app.exec()
    log.info("Calmline exiting with %s", code)
    return int(code)
