"""macOS: Carbon's RegisterEventHotKey, which needs neither Accessibility nor
Input Monitoring permission (unlike event taps). Presses arrive as Carbon
events on the main thread, through a handler installed on the application's
event target; Cocoa's run loop (Qt's) dispatches them.

Qt's portable text reads "Ctrl" as Command and "Meta" as Control on macOS, and
so does this map. Letter and digit codes are key positions on an ANSI keyboard
(on AZERTY, "A" is the key labelled Q): the F-key defaults avoid that.
Importable on any OS; Carbon is loaded only when a hotkey is registered."""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

from calmline.core.hotkeys import Chord
from calmline.platform.hotkeys import HotkeyUnavailable

CMD_KEY, SHIFT_KEY, OPTION_KEY, CONTROL_KEY = 0x0100, 0x0200, 0x0800, 0x1000
MODS = {"Ctrl": CMD_KEY, "Shift": SHIFT_KEY, "Alt": OPTION_KEY, "Meta": CONTROL_KEY}
EVENT_HOTKEY_EXISTS = -9878
SIGNATURE = int.from_bytes(b"CLml", "big")
K_EVENT_CLASS_KEYBOARD = int.from_bytes(b"keyb", "big")
K_EVENT_HOTKEY_PRESSED = 5
K_EVENT_PARAM_DIRECT_OBJECT = int.from_bytes(b"----", "big")
TYPE_EVENT_HOTKEY_ID = int.from_bytes(b"hkid", "big")

# Virtual key codes (Carbon Events.h, kVK_*).
KEY_CODES = {
    "A": 0x00, "S": 0x01, "D": 0x02, "F": 0x03, "H": 0x04, "G": 0x05, "Z": 0x06, "X": 0x07,
    "C": 0x08, "V": 0x09, "B": 0x0B, "Q": 0x0C, "W": 0x0D, "E": 0x0E, "R": 0x0F, "Y": 0x10,
    "T": 0x11, "1": 0x12, "2": 0x13, "3": 0x14, "4": 0x15, "6": 0x16, "5": 0x17, "9": 0x19,
    "7": 0x1A, "8": 0x1C, "0": 0x1D, "O": 0x1F, "U": 0x20, "I": 0x22, "P": 0x23, "L": 0x25,
    "J": 0x26, "K": 0x28, "N": 0x2D, "M": 0x2E,
    "Return": 0x24, "Tab": 0x30, "Space": 0x31, "Backspace": 0x33, "Esc": 0x35,
    "Enter": 0x4C, "Ins": 0x72, "Home": 0x73, "PgUp": 0x74, "Del": 0x75, "End": 0x77,
    "PgDown": 0x79, "Left": 0x7B, "Right": 0x7C, "Down": 0x7D, "Up": 0x7E,
    "F1": 0x7A, "F2": 0x78, "F3": 0x63, "F4": 0x76, "F5": 0x60, "F6": 0x61, "F7": 0x62,
    "F8": 0x64, "F9": 0x65, "F10": 0x6D, "F11": 0x67, "F12": 0x6F, "F13": 0x69, "F14": 0x6B,
    "F15": 0x71, "F16": 0x6A, "F17": 0x40, "F18": 0x4F, "F19": 0x50, "F20": 0x5A,
}  # fmt: skip


def key_code(key: str) -> int:
    code = KEY_CODES.get(key)
    if code is None:
        raise HotkeyUnavailable(f"Mac keyboards have no {key} key; choose another, e.g. an F-key")
    return code


def modifier_flags(chord: Chord) -> int:
    flags = 0
    for name in chord.modifiers:
        flags |= MODS[name]
    return flags


class _HotKeyID(ctypes.Structure):
    _fields_ = [("signature", ctypes.c_uint32), ("id", ctypes.c_uint32)]


class _EventTypeSpec(ctypes.Structure):
    _fields_ = [("eventClass", ctypes.c_uint32), ("eventKind", ctypes.c_uint32)]


_Handler = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


class MacHotkeys:
    name = "macOS (Carbon RegisterEventHotKey)"

    def __init__(self) -> None:
        self.callbacks: dict[int, Callable[[], None]] = {}
        self.refs: list[ctypes.c_void_p] = []
        self._carbon: Any = None
        self._handler: Any = None  # kept alive: Carbon holds a pointer to it

    def carbon(self) -> Any:
        if self._carbon is None:
            lib = ctypes.cdll.LoadLibrary(
                "/System/Library/Frameworks/Carbon.framework/Versions/Current/Carbon"
            )
            lib.GetApplicationEventTarget.restype = ctypes.c_void_p
            lib.RegisterEventHotKey.argtypes = [
                ctypes.c_uint32, ctypes.c_uint32, _HotKeyID, ctypes.c_void_p,
                ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p),
            ]  # fmt: skip
            lib.UnregisterEventHotKey.argtypes = [ctypes.c_void_p]
            lib.InstallEventHandler.argtypes = [
                ctypes.c_void_p, _Handler, ctypes.c_ulong, ctypes.POINTER(_EventTypeSpec),
                ctypes.c_void_p, ctypes.c_void_p,
            ]  # fmt: skip
            lib.GetEventParameter.argtypes = [
                ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p,
                ctypes.c_ulong, ctypes.c_void_p, ctypes.c_void_p,
            ]  # fmt: skip
            self._carbon = lib
        return self._carbon

    def register(self, chord: Chord, callback: Callable[[], None]) -> None:
        code = key_code(chord.key)
        lib = self.carbon()
        ident = len(self.callbacks) + 1
        ref = ctypes.c_void_p()
        status = lib.RegisterEventHotKey(
            code,
            modifier_flags(chord),
            _HotKeyID(SIGNATURE, ident),
            lib.GetApplicationEventTarget(),
            0,
            ctypes.byref(ref),
        )
        if status == EVENT_HOTKEY_EXISTS:
            raise HotkeyUnavailable("another application has already taken it")
        if status != 0:
            raise HotkeyUnavailable(f"macOS refused it (status {status})")
        self.callbacks[ident] = callback
        self.refs.append(ref)

    def start(self, app: Any) -> None:
        lib = self.carbon()
        callbacks = self.callbacks

        def on_event(_call: Any, event: Any, _data: Any) -> int:
            hotkey = _HotKeyID()
            lib.GetEventParameter(
                event, K_EVENT_PARAM_DIRECT_OBJECT, TYPE_EVENT_HOTKEY_ID, None,
                ctypes.sizeof(hotkey), None, ctypes.byref(hotkey),
            )  # fmt: skip
            if hotkey.signature == SIGNATURE and hotkey.id in callbacks:
                callbacks[hotkey.id]()
            return 0

        self._handler = _Handler(on_event)
        spec = _EventTypeSpec(K_EVENT_CLASS_KEYBOARD, K_EVENT_HOTKEY_PRESSED)
        lib.InstallEventHandler(
            lib.GetApplicationEventTarget(), self._handler, 1, ctypes.byref(spec), None, None
        )

    def close(self) -> None:
        if self.refs:
            lib = self.carbon()
            for ref in self.refs:
                lib.UnregisterEventHotKey(ref)
        self.refs.clear()
        self.callbacks.clear()
