"""Hotkey text parsing, the settings check, the registry's reports, and each OS
backend's key map (the Windows and macOS ones import and map on Linux)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from Xlib import XK

from calmline.core.hotkeys import F_KEYS, NAMED_KEYS, Chord, HotkeyAction, HotkeyError, parse_chord
from calmline.core.settings import HotkeySettings, LayerName, validate_layer
from calmline.platform.hotkeys import (
    HotkeyUnavailable,
    NullHotkeys,
    hotkey_backend,
    macos,
    windows,
    x11,
)
from calmline.platform.hotkeys.registry import register_all

ALL_KEYS = [chr(c) for c in range(ord("A"), ord("Z") + 1)] + [str(d) for d in range(10)]
ALL_KEYS += list(F_KEYS) + sorted(set(NAMED_KEYS.values()))


@pytest.mark.parametrize(
    ("text", "mods", "key"),
    [
        ("Ctrl+Shift+F8", {"Ctrl", "Shift"}, "F8"),
        ("ctrl+alt+n", {"Ctrl", "Alt"}, "N"),
        (" Meta + 5 ", {"Meta"}, "5"),
        ("Control+PgDown", {"Ctrl"}, "PgDown"),
        ("Win+Shift+page down".replace(" ", ""), {"Meta", "Shift"}, "PgDown"),
        ("F9", set(), "F9"),  # an F-key alone types nothing
        ("Shift+F12", {"Shift"}, "F12"),
        ("Ctrl+escape", {"Ctrl"}, "Esc"),
    ],
)
def test_parses_qt_portable_text(text: str, mods: set[str], key: str) -> None:
    chord = parse_chord(text)
    assert chord == Chord(frozenset(mods), key)
    assert parse_chord(chord.text) == chord  # the normal form parses back


def test_normal_text_puts_modifiers_in_qt_order() -> None:
    assert parse_chord("shift+ctrl+f8").text == "Ctrl+Shift+F8"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("Ctrl+Shit+F8", "'Shit' in 'Ctrl+Shit+F8' is not a modifier"),
        ("Ctrl+Shift+", "no key after the modifiers"),
        ("Ctrl+K, Ctrl+C", "several combinations"),
        ("Ctrl+,", "moves between keyboard layouts"),
        ("Ctrl++", "moves between keyboard layouts"),
        ("Ctrl+é", "moves between keyboard layouts"),
        ("Ctrl+Banana", "'Banana' in 'Ctrl+Banana' is not a key name"),
        ("N", "a key the agent types with"),
        ("Shift+N", "a key the agent types with"),
    ],
)
def test_refuses_what_cannot_be_a_global_hotkey(text: str, says: str) -> None:
    with pytest.raises(HotkeyError, match=None) as err:
        parse_chord(text)
    assert says in str(err.value)


def test_settings_keep_good_hotkeys_normalised_and_name_the_bad_one() -> None:
    layer = validate_layer(
        LayerName.USER,
        "config.toml",
        {"hotkeys": {"quick_note": "Ctrl+Shit+F8", "next_step": "ctrl+alt+n", "show_hide": ""}},
    )
    assert layer.values == {"hotkeys.next_step": "Ctrl+Alt+N", "hotkeys.show_hide": ""}
    [problem] = layer.problems
    text = str(problem)
    assert "hotkeys.quick_note" in text and "'Ctrl+Shit+F8'" in text and "'Shit'" in text
    assert 'such as "Ctrl+Shift+F8"' in text


def test_defaults_are_valid_and_distinct() -> None:
    defaults = HotkeySettings()
    chords = {parse_chord(getattr(defaults, a.value)) for a in HotkeyAction}
    assert len(chords) == len(HotkeyAction)
    for chord in chords:  # no Ctrl+Alt: that is AltGr on Windows (French, German layouts)
        assert not {"Ctrl", "Alt"} <= chord.modifiers


class Recorder:
    """A backend that grants everything but the combinations it is told are taken."""

    name = "test"

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.callbacks: dict[str, Callable[[], None]] = {}

    def register(self, chord: Chord, callback: Callable[[], None]) -> None:
        if chord.text in self.taken:
            raise HotkeyUnavailable("another application has already taken it")
        self.callbacks[chord.text] = callback

    def start(self, app: object) -> None: ...

    def close(self) -> None: ...


def test_registry_reports_each_problem_and_keeps_the_rest() -> None:
    backend = Recorder(taken={"Ctrl+Shift+F9"})
    settings = HotkeySettings(show_hide="Ctrl+Shift+F8", abusive_mode="")
    pressed: list[HotkeyAction] = []
    report = register_all(
        backend, settings, pressed.append, locked=lambda key: key == "hotkeys.next_step"
    )
    assert set(report.active) == {HotkeyAction.QUICK_NOTE, HotkeyAction.CALL_TOGGLE}
    taken, twin = (str(p) for p in report.problems)
    assert "Ctrl+Shift+F9 (tick the next step) is not available: another application" in taken
    assert "ask IT" in taken  # locked by policy: the agent cannot change it
    assert "Ctrl+Shift+F8 (show/hide the window) is also set for quick note" in twin
    assert "set another key for hotkeys.show_hide in config.toml" in twin
    backend.callbacks["Ctrl+Shift+F7"]()
    assert pressed == [HotkeyAction.CALL_TOGGLE]


def test_null_backend_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    backend = hotkey_backend("xcb")
    assert isinstance(backend, NullHotkeys) and "Wayland" in backend.reason
    report = register_all(backend, HotkeySettings(), lambda a: None)
    assert not report.active and "shortcuts still work" in str(report.problems[0])
    assert "offscreen" in hotkey_backend("offscreen").reason  # type: ignore[attr-defined]
    monkeypatch.delenv("WAYLAND_DISPLAY")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    assert "DISPLAY" in hotkey_backend(None).reason  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", ALL_KEYS)
def test_x11_maps_every_accepted_key_to_a_keysym(key: str) -> None:
    assert XK.string_to_keysym(x11.keysym_name(key)) != 0


def test_x11_modifier_masks() -> None:
    chord = parse_chord("Ctrl+Shift+Alt+Meta+F1")
    assert x11.modifier_mask(chord) == x11.CONTROL | x11.SHIFT | x11.MOD1 | x11.MOD4


@pytest.mark.parametrize("key", ALL_KEYS)
def test_windows_maps_every_accepted_key_to_a_virtual_key(key: str) -> None:
    assert 0 < windows.virtual_key(key) < 0xFF


def test_windows_codes_and_flags() -> None:
    assert windows.virtual_key("N") == 0x4E and windows.virtual_key("7") == 0x37
    assert windows.virtual_key("F1") == 0x70 and windows.virtual_key("F24") == 0x87
    flags = windows.modifier_flags(parse_chord("Ctrl+Shift+F8"))
    assert flags == windows.MOD_CONTROL | windows.MOD_SHIFT | windows.MOD_NOREPEAT


def test_windows_reads_the_hotkey_id_from_a_native_message() -> None:
    import ctypes

    msg = windows._Msg(message=windows.WM_HOTKEY, wParam=3)
    assert windows.hotkey_id(ctypes.addressof(msg)) == 3
    other = windows._Msg(message=0x0100, wParam=3)  # WM_KEYDOWN
    assert windows.hotkey_id(ctypes.addressof(other)) is None


@pytest.mark.parametrize("key", ALL_KEYS)
def test_macos_maps_every_key_a_mac_keyboard_has(key: str) -> None:
    if key in ("Pause", "Print", "ScrollLock") or key in F_KEYS[20:]:
        with pytest.raises(HotkeyUnavailable, match="Mac keyboards have no"):
            macos.key_code(key)
    else:
        assert 0 <= macos.key_code(key) <= 0x7E


def test_macos_reads_ctrl_as_command_like_qt() -> None:
    flags = macos.modifier_flags(parse_chord("Ctrl+Meta+Shift+F8"))
    assert flags == macos.CMD_KEY | macos.CONTROL_KEY | macos.SHIFT_KEY
    assert macos.key_code("F8") == 0x64 and macos.key_code("A") == 0x00
    assert len(set(macos.KEY_CODES.values())) == len(macos.KEY_CODES)  # no two keys alike
