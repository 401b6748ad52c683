"""Hotkey press to quick-note box shown and focused, on a real X server: the
real window, flow and X11 hotkeys in this process; presses injected with XTEST
from a thread on its own X connection. Prints one JSON list of seconds."""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from Xlib import XK, X, display
from Xlib.ext import xtest

from calmline.core.settings import HotkeySettings, Settings
from calmline.platform.focus import focus_keeper
from calmline.platform.hotkeys.x11 import X11Hotkeys
from calmline.ui.global_keys import GlobalKeys
from calmline.ui.main_window import CompanionWindow
from calmline.ui.window_state import WindowStateFile
from tests.fakes import FakeClock, make_flow

PRESSES = int(sys.argv[1]) if len(sys.argv) > 1 else 30


def main() -> None:
    app = QApplication([])
    tmp = Path(tempfile.mkdtemp())
    clock = FakeClock()
    flow = make_flow(tmp / "c.db", clock, agent_id="a")
    window = CompanionWindow(WindowStateFile(tmp / "w.json"), clock)
    window.show()
    window.attach(flow, Settings(), [])
    keys = GlobalKeys(X11Hotkeys(), focus_keeper("xcb"), window, HotkeySettings(), clock)
    keys.start(app)
    box = keys.note_box
    pressed: list[float] = []
    shown: list[float] = []
    done = threading.Event()

    class Focused(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.FocusIn and box.isVisible():
                shown.append(time.monotonic())
                QTimer.singleShot(0, box.cancelled.emit)  # as Esc would
            return False

    watcher = Focused()
    box.editor.installEventFilter(watcher)

    def presser() -> None:
        d = display.Display()
        codes = [
            d.keysym_to_keycode(XK.string_to_keysym(k)) for k in ("Control_L", "Shift_L", "F8")
        ]
        time.sleep(1.0)
        for _ in range(PRESSES):
            pressed.append(time.monotonic())
            for code in codes:
                xtest.fake_input(d, X.KeyPress, code)
            for code in reversed(codes):
                xtest.fake_input(d, X.KeyRelease, code)
            d.sync()
            time.sleep(0.25)
        done.set()

    threading.Thread(target=presser, daemon=True).start()
    finish = QTimer()
    finish.timeout.connect(lambda: app.quit() if done.is_set() else None)
    finish.start(100)
    app.exec()
    keys.close()
    print(json.dumps([s - p for p, s in zip(pressed, shown, strict=False)]))
    if len(shown) != len(pressed):
        sys.exit(f"{len(pressed)} presses but the box was focused {len(shown)} times")


if __name__ == "__main__":
    main()
