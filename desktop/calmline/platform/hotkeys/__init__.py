"""System-wide hotkeys registered with the operating system — never keyboard
hooks (hooks need extra permissions, look like keyloggers to endpoint security
and go deaf while an elevated window has focus).

One small interface, one module per OS, and a null fallback that says why
global hotkeys are off (the window's own shortcuts keep working):
- Windows: RegisterHotKey, WM_HOTKEY seen by a native event filter;
- macOS: Carbon RegisterEventHotKey (no Accessibility permission needed);
- X11: XGrabKey on the root window, through python-xlib;
- anything else (a Wayland session, no display): NullHotkeys.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, Protocol

from calmline.core.hotkeys import Chord


class HotkeyUnavailable(Exception):
    """This combination cannot be registered; the message says why."""


class HotkeyBackend(Protocol):
    name: str

    def register(self, chord: Chord, callback: Callable[[], None]) -> None:
        """Grab ``chord`` system-wide; raises HotkeyUnavailable (taken, no such key)."""
        ...

    def start(self, app: Any) -> None:
        """Begin delivering presses to the callbacks on the GUI thread of the Qt
        application ``app``. Registering alone (as `calmline doctor` does to
        check the keys) needs no Qt."""
        ...

    def close(self) -> None:
        """Release every hotkey."""
        ...


class NullHotkeys:
    """No global hotkeys here; ``reason`` says why and what still works."""

    name = "none"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def register(self, chord: Chord, callback: Callable[[], None]) -> None:
        raise HotkeyUnavailable(self.reason)

    def start(self, app: Any) -> None:
        pass

    def close(self) -> None:
        pass


OFF_HINT = "the window's own buttons and shortcuts still work"


def hotkey_backend(qt_platform: str | None = None) -> HotkeyBackend:
    """The backend for this session. ``qt_platform`` is the running Qt platform
    plugin's name ("xcb", "wayland", "offscreen"...), or None outside the GUI."""
    if sys.platform == "win32":
        from calmline.platform.hotkeys.windows import WindowsHotkeys

        return WindowsHotkeys()
    if sys.platform == "darwin":
        from calmline.platform.hotkeys.macos import MacHotkeys

        return MacHotkeys()
    if qt_platform not in (None, "xcb"):
        return NullHotkeys(f"Qt runs on '{qt_platform}', not X11: no global hotkeys; {OFF_HINT}")
    if os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland":
        return NullHotkeys(
            "this is a Wayland session, where apps cannot grab keys system-wide: "
            f"no global hotkeys; {OFF_HINT}"
        )
    if not os.environ.get("DISPLAY"):
        return NullHotkeys(f"no X display (DISPLAY is not set): no global hotkeys; {OFF_HINT}")
    try:
        from calmline.platform.hotkeys.x11 import X11Hotkeys

        return X11Hotkeys()
    except HotkeyUnavailable as exc:
        return NullHotkeys(f"{exc}; {OFF_HINT}")
