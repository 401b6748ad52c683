"""Give focus back to where the agent was typing, after the quick-note box has
taken it: remember() just before the box is shown, restore() once it closes.

Windows: GetForegroundWindow / SetForegroundWindow (allowed, as the process
giving focus away is the foreground one). macOS: the frontmost application,
re-activated. X11: the window that had the input focus. Elsewhere: nothing."""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any, Protocol

log = logging.getLogger(__name__)


class FocusKeeper(Protocol):
    def remember(self) -> None: ...

    def restore(self) -> None: ...


class NullFocus:
    def remember(self) -> None:
        pass

    def restore(self) -> None:
        pass


class X11Focus:
    def __init__(self) -> None:
        from Xlib import display

        self.display: Any = display.Display()
        self.window: Any = None

    def remember(self) -> None:
        focus = self.display.get_input_focus().focus
        # PointerRoot/None (ints) are not windows: then there is nothing to restore.
        self.window = None if isinstance(focus, int) else focus

    def restore(self) -> None:
        from Xlib import X, error

        window, self.window = self.window, None
        if window is None:
            return
        catch = error.CatchError(error.BadWindow, error.BadMatch)
        window.set_input_focus(X.RevertToParent, X.CurrentTime, onerror=catch)
        self.display.sync()
        if catch.get_error() is not None:  # closed or hidden meanwhile
            log.info("the window that had focus is gone; focus not restored")


class WindowsFocus:
    def __init__(self) -> None:
        self.user32: Any = ctypes.WinDLL("user32")  # type: ignore[attr-defined]
        self.user32.GetForegroundWindow.restype = ctypes.c_void_p
        self.user32.SetForegroundWindow.argtypes = [ctypes.c_void_p]
        self.hwnd: int | None = None

    def remember(self) -> None:
        self.hwnd = self.user32.GetForegroundWindow()

    def restore(self) -> None:
        hwnd, self.hwnd = self.hwnd, None
        if hwnd:
            self.user32.SetForegroundWindow(hwnd)


class MacFocus:
    """NSWorkspace.sharedWorkspace.frontmostApplication, through the
    Objective-C runtime (no PyObjC needed for three messages)."""

    def __init__(self) -> None:
        self.objc: Any = ctypes.cdll.LoadLibrary("/usr/lib/libobjc.A.dylib")
        ctypes.cdll.LoadLibrary("/System/Library/Frameworks/AppKit.framework/AppKit")
        self.objc.objc_getClass.restype = ctypes.c_void_p
        self.objc.sel_registerName.restype = ctypes.c_void_p
        self.app: int | None = None

    def _send(self, obj: int | None, selector: bytes, *args: int) -> int | None:
        send = ctypes.CFUNCTYPE(
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, *[ctypes.c_ulong] * len(args)
        )(("objc_msgSend", self.objc))
        result: int | None = send(obj, self.objc.sel_registerName(selector), *args)
        return result

    def remember(self) -> None:
        workspace = self._send(self.objc.objc_getClass(b"NSWorkspace"), b"sharedWorkspace")
        app = self._send(workspace, b"frontmostApplication")
        self.app = self._send(app, b"retain") if app else None

    def restore(self) -> None:
        app, self.app = self.app, None
        if app:
            self._send(app, b"activateWithOptions:", 0)
            self._send(app, b"release")


def focus_keeper(qt_platform: str | None) -> FocusKeeper:
    try:
        if sys.platform == "win32":
            return WindowsFocus()
        if sys.platform == "darwin":
            return MacFocus()
        if qt_platform == "xcb":
            return X11Focus()
    except Exception as exc:  # a missing library must not stop the app
        log.warning("focus will not be handed back after a quick note: %s", exc)
    return NullFocus()
