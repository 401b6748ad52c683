"""Windows: RegisterHotKey for the GUI thread (no window needed); Windows posts
WM_HOTKEY to the thread's queue, where a native event filter on Qt's event
dispatcher picks it up. MOD_NOREPEAT: holding the keys fires once.

Importable on any OS (the key maps are tested on Linux); user32 is loaded only
when a hotkey is registered."""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

from calmline.core.hotkeys import F_KEYS, Chord
from calmline.platform.hotkeys import HotkeyUnavailable

MOD_ALT, MOD_CONTROL, MOD_SHIFT, MOD_WIN, MOD_NOREPEAT = 0x1, 0x2, 0x4, 0x8, 0x4000
MODS = {"Alt": MOD_ALT, "Ctrl": MOD_CONTROL, "Shift": MOD_SHIFT, "Meta": MOD_WIN}
WM_HOTKEY = 0x0312
ERROR_HOTKEY_ALREADY_REGISTERED = 1409
VIRTUAL_KEYS = {
    "Space": 0x20,
    "Tab": 0x09,
    "Return": 0x0D,
    "Enter": 0x0D,
    "Esc": 0x1B,
    "Backspace": 0x08,
    "Ins": 0x2D,
    "Del": 0x2E,
    "Home": 0x24,
    "End": 0x23,
    "PgUp": 0x21,
    "PgDown": 0x22,
    "Left": 0x25,
    "Up": 0x26,
    "Right": 0x27,
    "Down": 0x28,
    "Pause": 0x13,
    "Print": 0x2C,
    "ScrollLock": 0x91,
} | {f: 0x70 + i for i, f in enumerate(F_KEYS)}


def virtual_key(key: str) -> int:
    """VK code: letters and digits are their upper-case ASCII code."""
    return VIRTUAL_KEYS.get(key) or ord(key)


def modifier_flags(chord: Chord) -> int:
    flags = MOD_NOREPEAT
    for name in chord.modifiers:
        flags |= MODS[name]
    return flags


class _Msg(ctypes.Structure):
    _fields_ = [
        ("hwnd", ctypes.c_void_p),
        ("message", ctypes.c_uint),
        ("wParam", ctypes.c_size_t),
        ("lParam", ctypes.c_ssize_t),
        ("time", ctypes.c_uint32),
        ("pt_x", ctypes.c_long),
        ("pt_y", ctypes.c_long),
    ]


def hotkey_id(message_address: int) -> int | None:
    """The hotkey id of a WM_HOTKEY MSG at that address, else None."""
    msg = _Msg.from_address(message_address)
    return int(msg.wParam) if msg.message == WM_HOTKEY else None


class WindowsHotkeys:
    name = "Windows (RegisterHotKey)"

    def __init__(self) -> None:
        self.callbacks: dict[int, Callable[[], None]] = {}
        self._filter: Any = None

    def _user32(self) -> Any:
        return ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]

    def register(self, chord: Chord, callback: Callable[[], None]) -> None:
        ident = len(self.callbacks) + 1
        flags, key = modifier_flags(chord), virtual_key(chord.key)
        if not self._user32().RegisterHotKey(None, ident, flags, key):
            code = ctypes.get_last_error()  # type: ignore[attr-defined]
            if code == ERROR_HOTKEY_ALREADY_REGISTERED:
                raise HotkeyUnavailable("another application has already taken it")
            raise HotkeyUnavailable(f"Windows refused it (error {code})")
        self.callbacks[ident] = callback

    def start(self, app: Any) -> None:
        from PySide6.QtCore import QAbstractNativeEventFilter

        callbacks = self.callbacks

        class Filter(QAbstractNativeEventFilter):
            def nativeEventFilter(self, event_type: Any, message: Any) -> tuple[bool, int]:
                if bytes(event_type) == b"windows_generic_MSG":
                    ident = hotkey_id(int(message))
                    if ident in callbacks:
                        callbacks[ident]()
                        return True, 0
                return False, 0

        self._filter = Filter()
        app.installNativeEventFilter(self._filter)

    def close(self) -> None:
        user32 = self._user32() if self.callbacks else None
        for ident in self.callbacks:
            user32.UnregisterHotKey(None, ident)
        self.callbacks.clear()
