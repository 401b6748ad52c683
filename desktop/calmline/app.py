"""Composition root of the GUI: builds every object once and wires them."""

from __future__ import annotations

import logging
import os
import sys

from calmline import APP_NAME, __version__
from calmline.context import Context
from calmline.core.problems import Problem
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


def run_app(argv: list[str] | None = None) -> int:
    if _no_display():
        print(
            "calmline: no display — set DISPLAY (X11) or WAYLAND_DISPLAY, or run "
            "`calmline doctor` to check this machine without a window",
            file=sys.stderr,
        )
        return 1
    ctx = Context.load()
    configure_logging(ctx.paths.log_file)
    log.info("Calmline %s starting; data in %s", __version__, ctx.paths.data_dir)

    from PySide6.QtWidgets import QApplication

    from calmline.ui.crash import CrashReporter, route_qt_messages
    from calmline.ui.main_window import CompanionWindow

    route_qt_messages()
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    CrashReporter(str(ctx.paths.log_file)).install()

    playbook = ctx.playbook()
    try:
        ctx.open_store().db.close()  # create or migrate now, so a problem shows at once
    except StoreError as exc:
        ctx.problems.append(Problem(str(ctx.paths.database), str(exc)))
    for problem in ctx.problems:
        log.warning("%s", problem)
    window = CompanionWindow(playbook, ctx.settings.settings.window, ctx.problems)
    window.show()
    code = app.exec()
    log.info("Calmline exiting with %s", code)
    return int(code)
