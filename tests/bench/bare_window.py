"""The yardstick for Calmline's start-up: a bare PySide6 window, started the same
way, that appends a line to a file when it first paints."""

from __future__ import annotations

import sys

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel


class FirstPaint(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            with open(sys.argv[1], "a") as f:
                f.write("first window painted\n")
            obj.removeEventFilter(self)
        return False


app = QApplication(sys.argv[:1])
label = QLabel("bare PySide6 window")
label.resize(360, 600)
watcher = FirstPaint()
label.installEventFilter(watcher)
label.show()
sys.exit(app.exec())
