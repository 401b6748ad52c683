"""Composition root of the GUI: builds every object once and wires them."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from datetime import datetime

from calmline import APP_NAME, __version__
from calmline.context import Context
from calmline.core.commands import Command, Reply
from calmline.platform.instance import NotRunning, instance_address, send
from calmline.platform.logs import configure_logging
from calmline.store.database import StoreError

log = logging.getLogger("calmline")


def _no_display() -> bool:
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )


def _hand_over(address: object, wait_s: float) -> bool:
    """Ask a running instance to show itself; True if one answered."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            reply = send(address, Command("show"), timeout=5)  # type: ignore[arg-type]
        except NotRunning:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
            continue
        print(f"Calmline is already running: {reply.message}")
        return True


def run_app(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    if _no_display():
        print(
            "calmline: no display — set DISPLAY (X11) or WAYLAND_DISPLAY, or run "
            "`calmline doctor` to check this machine without a window",
            file=sys.stderr,
        )
        return 1
    ctx = Context.load()
    configure_logging(ctx.paths.log_file)
    address = instance_address()
    if _hand_over(address, 0):  # a second launch just brings the window forward
        return 0
    log.info("Calmline %s starting; data in %s", __version__, ctx.paths.data_dir)

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication, QMessageBox

    from calmline.flow import Flow
    from calmline.platform.instance_server import InstanceServer
    from calmline.platform.paths import resource_path
    from calmline.ui.crash import CrashReporter, route_qt_messages
    from calmline.ui.main_window import CompanionWindow
    from calmline.ui.tray import Tray
    from calmline.ui.window_state import WindowStateFile

    route_qt_messages()
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)  # forms come and go; the window decides
    icon = QIcon(str(resource_path("icons", "calmline.svg")))
    app.setWindowIcon(icon)
    CrashReporter(str(ctx.paths.log_file)).install()

    # Claim the single-instance lock before touching the database: a launch that
    # loses the race hands over without opening anything.
    built: dict[str, object] = {}

    def handle(cmd: Command) -> Reply:
        window, flow = built["window"], built["flow"]
        if cmd.name == "show":
            return Reply(True, window.show_from_command())  # type: ignore[attr-defined]
        return flow.execute(cmd)  # type: ignore[attr-defined,no-any-return]

    server = InstanceServer(address, handle)
    if not server.start():  # another launch won the race: hand over to it
        return 0 if _hand_over(address, 10) else 1

    settings = ctx.settings.settings
    try:
        store = ctx.open_store()
    except StoreError as exc:
        log.error("cannot open the local database: %s", exc)
        QMessageBox.critical(None, APP_NAME, f"Calmline cannot open its database.\n\n{exc}")
        server.stop()
        return 1
    flow = Flow(
        store,
        ctx.playbook(),
        ctx.playbook(abusive=True),
        agent_id=settings.agent_id,
        auto_start_shift=settings.shift.auto_start,
    )
    for problem in ctx.problems:
        log.warning("%s", problem)

    def now() -> datetime:
        return datetime.now().astimezone()

    window = CompanionWindow(
        flow,
        settings.window,
        ctx.problems,
        WindowStateFile(ctx.paths.data_dir / "window.json"),
        now,
    )

    built.update(window=window, flow=flow)  # commands are served from app.exec() on
    tray = Tray(icon)
    if tray.available():
        window.hide_on_close = True
        tray.show()
    tray.show_hide.connect(window.toggle_visible)
    tray.call.connect(window.toggle_call)
    tray.end_shift.connect(window.toggle_shift)
    tray.quit.connect(app.quit)
    window.quit_requested.connect(app.quit)

    def tray_state() -> None:
        tray.show_state(shift_running=flow.shift is not None, in_call=flow.call is not None)

    window.state_listeners.append(tray_state)
    tray_state()

    class FirstPaint(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                ms = (time.perf_counter() - started) * 1000
                log.info("first window painted %.0f ms after start", ms)
                obj.removeEventFilter(self)
            return False

    first_paint = FirstPaint()
    window.installEventFilter(first_paint)

    def at_quit() -> None:
        window.save_placement()
        window.forms.save_all()
        server.stop()

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
