"""Qt messages into `logging`; uncaught exceptions logged and shown once."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

log = logging.getLogger("calmline")
qt_log = logging.getLogger("qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    where = f" ({context.file}:{context.line})" if context.file else ""
    qt_log.log(_LEVELS.get(kind, logging.WARNING), "%s%s", message, where)


def route_qt_messages() -> None:
    qInstallMessageHandler(_qt_message)


class CrashReporter:
    """Installs itself as sys/threading excepthook; shows at most one dialog."""

    def __init__(self, log_file: str) -> None:
        self.log_file = log_file
        self.shown = False

    def install(self) -> None:
        sys.excepthook = self.handle
        threading.excepthook = lambda a: self.handle(a.exc_type, a.exc_value, a.exc_traceback)

    def handle(
        self, kind: type[BaseException], value: BaseException | None, tb: TracebackType | None
    ) -> None:
        log.critical(
            "uncaught exception:\n%s", "".join(traceback.format_exception(kind, value, tb))
        )
        from PySide6.QtWidgets import QApplication, QMessageBox  # rare: not at start-up

        from calmline.ui.plain_text import line, message_box

        if self.shown or QApplication.instance() is None:
            return
        if threading.current_thread() is not threading.main_thread():
            return  # widgets belong to the GUI thread; the log has it
        self.shown = True
        box = message_box(  # the error's words and the log's path are shown literally
            QMessageBox.Icon.Critical,
            "Calmline hit an unexpected error",
            f"{kind.__name__}: {line(value, 300)}\n\nYour saved notes and incidents are "
            f"safe. Details were written to:\n{line(self.log_file, 300)}",
        )
        box.exec()
