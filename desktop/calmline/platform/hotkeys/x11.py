"""X11: XGrabKey on the root window through python-xlib, on a connection of
our own; presses arrive on that connection's socket, watched by a
QSocketNotifier on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from calmline.core.hotkeys import Chord
from calmline.platform.hotkeys import HotkeyUnavailable

# Qt's key names -> X keysym names (letters are lower case keysyms).
KEYSYMS = {
    "Space": "space",
    "Tab": "Tab",
    "Return": "Return",
    "Enter": "KP_Enter",
    "Esc": "Escape",
    "Backspace": "BackSpace",
    "Ins": "Insert",
    "Del": "Delete",
    "Home": "Home",
    "End": "End",
    "PgUp": "Prior",
    "PgDown": "Next",
    "Left": "Left",
    "Up": "Up",
    "Right": "Right",
    "Down": "Down",
    "Pause": "Pause",
    "Print": "Print",
    "ScrollLock": "Scroll_Lock",
}
SHIFT, LOCK, CONTROL, MOD1, MOD4 = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 6
MASKS = {"Shift": SHIFT, "Ctrl": CONTROL, "Alt": MOD1, "Meta": MOD4}
CHORD_MASK = SHIFT | CONTROL | MOD1 | MOD4


def keysym_name(key: str) -> str:
    """The keysym name of a Qt key name: named keys mapped, letters lower case
    ("a"), digits and F-keys as they are."""
    return KEYSYMS.get(key, key.lower() if len(key) == 1 else key)


def modifier_mask(chord: Chord) -> int:
    mask = 0
    for name in chord.modifiers:
        mask |= MASKS[name]
    return mask


class X11Hotkeys:
    name = "X11 (XGrabKey)"

    def __init__(self, display_name: str | None = None) -> None:
        try:
            from Xlib import display, error
        except ImportError as exc:
            raise HotkeyUnavailable(f"python-xlib is missing ({exc})") from exc
        try:
            self.display: Any = display.Display(display_name)
        except (error.DisplayError, OSError) as exc:
            raise HotkeyUnavailable(f"cannot reach the X display ({exc})") from exc
        self.root = self.display.screen().root
        self.callbacks: dict[tuple[int, int], Callable[[], None]] = {}
        # Grabs match modifier state exactly: also grab with Caps Lock and Num
        # Lock on, or the hotkey dies whenever one of them is lit.
        num = self._num_lock_mask()
        self.variants = sorted({0, LOCK, num, LOCK | num})
        self._last_release: tuple[int, int] | None = None
        self._notifier: Any = None

    def _num_lock_mask(self) -> int:
        from Xlib import XK

        num_code = self.display.keysym_to_keycode(XK.string_to_keysym("Num_Lock"))
        for index, codes in enumerate(self.display.get_modifier_mapping()):
            if num_code and num_code in codes:
                return 1 << index
        return 0

    def keycode(self, chord: Chord) -> int:
        from Xlib import XK

        code = int(self.display.keysym_to_keycode(XK.string_to_keysym(keysym_name(chord.key))))
        if not code:
            raise HotkeyUnavailable(f"this keyboard has no {chord.key} key")
        return code

    def register(self, chord: Chord, callback: Callable[[], None]) -> None:
        from Xlib import X, error

        code, mods = self.keycode(chord), modifier_mask(chord)
        catch = error.CatchError(error.BadAccess)
        for extra in self.variants:
            self.root.grab_key(code, mods | extra, False, X.GrabModeAsync, X.GrabModeAsync, catch)
        self.display.sync()
        if catch.get_error() is not None:
            for extra in self.variants:  # only our own grabs are released
                self.root.ungrab_key(code, mods | extra)
            self.display.sync()
            raise HotkeyUnavailable("another application has already taken it")
        self.callbacks[(code, mods)] = callback

    def start(self, app: Any) -> None:
        from PySide6.QtCore import QSocketNotifier

        self._notifier = QSocketNotifier(self.display.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self.pump)
        self.pump()  # events read while registering wait in Xlib's queue

    def pump(self) -> None:
        from Xlib import X

        while self.display.pending_events():
            event = self.display.next_event()
            if event.type == X.KeyRelease:
                self._last_release = (event.detail, event.time)
            elif event.type == X.KeyPress:
                # Auto-repeat of a held key sends release+press with one timestamp.
                if self._last_release == (event.detail, event.time):
                    continue
                callback = self.callbacks.get((event.detail, event.state & CHORD_MASK))
                if callback is not None:
                    callback()

    def close(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier = None
        for code, mods in self.callbacks:
            for extra in self.variants:
                self.root.ungrab_key(code, mods | extra)
        self.callbacks.clear()
        self.display.close()
