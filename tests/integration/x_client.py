"""Another X client for the hotkey tests, run as its own process:
  crm         a plain window standing in for the CRM: mapped, focused, id printed;
  grab CHORD  grabs a key combination first (as a rival app would), then waits.
It runs until killed."""

from __future__ import annotations

import sys
import time

from Xlib import X, display

from calmline.core.hotkeys import parse_chord
from calmline.platform.hotkeys.x11 import X11Hotkeys


def crm() -> None:
    d = display.Display()
    screen = d.screen()
    win = screen.root.create_window(
        10, 10, 400, 300, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=screen.white_pixel, event_mask=X.KeyPressMask | X.FocusChangeMask,
    )  # fmt: skip
    win.set_wm_name("Fake CRM")
    win.map()
    d.sync()
    time.sleep(0.2)
    win.set_input_focus(X.RevertToParent, X.CurrentTime)
    d.sync()
    print(win.id, flush=True)
    while True:
        d.next_event()


def grab(text: str) -> None:
    keys = X11Hotkeys()
    keys.register(parse_chord(text), lambda: None)
    print("grabbed", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    crm() if sys.argv[1] == "crm" else grab(sys.argv[2])
