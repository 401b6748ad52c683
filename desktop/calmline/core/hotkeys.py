"""Global hotkeys, the pure part: the actions, and parsing Qt's portable
key-sequence text ("Ctrl+Shift+F8") into a chord each OS backend can map.

Only keys that sit in the same place with the same name on US, UK, German and
French layouts are accepted: letters, digits, F-keys and the named keys. Marks
such as "," or "-" move between layouts (and need Shift or AltGr on some), so
they are refused with a suggestion instead of grabbing the wrong key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HotkeyAction(StrEnum):
    QUICK_NOTE = "quick_note"
    CALL_TOGGLE = "call_toggle"
    NEXT_STEP = "next_step"
    SHOW_HIDE = "show_hide"
    ABUSIVE_MODE = "abusive_mode"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    HotkeyAction.QUICK_NOTE: "quick note",
    HotkeyAction.CALL_TOGGLE: "start/end call",
    HotkeyAction.NEXT_STEP: "tick the next step",
    HotkeyAction.SHOW_HIDE: "show/hide the window",
    HotkeyAction.ABUSIVE_MODE: "abusive-caller steps on/off",
}

# Qt's portable modifier names. On macOS Qt reads "Ctrl" as Command and "Meta"
# as Control; the macOS backend follows that, so one setting means the same
# key combination a Qt shortcut would.
MODIFIERS = ("Ctrl", "Shift", "Alt", "Meta")
_MODIFIER_ALIASES = {"ctrl": "Ctrl", "control": "Ctrl", "shift": "Shift", "alt": "Alt"}
_MODIFIER_ALIASES |= {"meta": "Meta", "win": "Meta", "super": "Meta"}

# Qt's portable names of the accepted non-character keys, with accepted spellings.
NAMED_KEYS = {
    "space": "Space",
    "tab": "Tab",
    "return": "Return",
    "enter": "Enter",
    "esc": "Esc",
    "escape": "Esc",
    "backspace": "Backspace",
    "ins": "Ins",
    "insert": "Ins",
    "del": "Del",
    "delete": "Del",
    "home": "Home",
    "end": "End",
    "pgup": "PgUp",
    "pageup": "PgUp",
    "pgdown": "PgDown",
    "pagedown": "PgDown",
    "left": "Left",
    "up": "Up",
    "right": "Right",
    "down": "Down",
    "pause": "Pause",
    "print": "Print",
    "scrolllock": "ScrollLock",
}
F_KEYS = tuple(f"F{n}" for n in range(1, 25))
EXAMPLE = "Ctrl+Shift+F8"


class HotkeyError(ValueError):
    """A key-sequence text that cannot be a global hotkey; the message says why."""


@dataclass(frozen=True)
class Chord:
    modifiers: frozenset[str]  # a subset of MODIFIERS
    key: str  # "A".."Z", "0".."9", "F1".."F24" or a value of NAMED_KEYS

    @property
    def text(self) -> str:
        """Qt's portable text, modifiers in Qt's order."""
        return "+".join([m for m in MODIFIERS if m in self.modifiers] + [self.key])


def parse_chord(text: str) -> Chord:
    """Parse one key combination such as "Ctrl+Shift+F8" (case-insensitive)."""
    raw = text.strip()
    if not raw:
        raise HotkeyError("is empty")
    if "," in raw.rstrip(","):
        raise HotkeyError(f"'{raw}' is several combinations; give one, e.g. {EXAMPLE}")
    *mods, key_text = [p.strip() for p in raw.split("+")]
    if "" in mods:  # "Ctrl++": the plus key, which moves between layouts
        raise HotkeyError(
            f"'{raw}' uses the + key, which moves between keyboard layouts; "
            f"use a letter, a digit or an F-key, e.g. {EXAMPLE}"
        )
    modifiers: set[str] = set()
    for mod in mods:
        name = _MODIFIER_ALIASES.get(mod.lower())
        if name is None:
            raise HotkeyError(
                f"'{mod}' in '{raw}' is not a modifier; use Ctrl, Shift, Alt or Meta, "
                f"e.g. {EXAMPLE}"
            )
        modifiers.add(name)
    key = _key(key_text, raw)
    if not modifiers & {"Ctrl", "Alt", "Meta"} and not key.startswith("F"):
        raise HotkeyError(
            f"'{raw}' would take a key the agent types with; add Ctrl, Alt or Meta, e.g. {EXAMPLE}"
        )
    return Chord(frozenset(modifiers), key)


def _key(text: str, raw: str) -> str:
    if not text:
        raise HotkeyError(f"'{raw}' has no key after the modifiers, e.g. {EXAMPLE}")
    if len(text) == 1 and text.isascii() and text.isalnum():
        return text.upper()
    upper = text.upper()
    if upper in F_KEYS:
        return upper
    named = NAMED_KEYS.get(text.lower())
    if named is not None:
        return named
    if len(text) == 1:
        raise HotkeyError(
            f"'{text}' in '{raw}' moves between keyboard layouts (US, UK, German, French); "
            f"use a letter, a digit or an F-key, e.g. {EXAMPLE}"
        )
    raise HotkeyError(
        f"'{text}' in '{raw}' is not a key name; use a letter, a digit, F1-F24 or one of "
        f"{', '.join(sorted(set(NAMED_KEYS.values())))}"
    )
