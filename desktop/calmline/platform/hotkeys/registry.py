"""Register every configured hotkey with a backend, collecting one clear
problem per hotkey that cannot be had; the others still work. Shared by the
app and `calmline doctor`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from calmline.core.hotkeys import Chord, HotkeyAction, parse_chord
from calmline.core.problems import Problem
from calmline.core.settings import HotkeySettings
from calmline.platform.hotkeys import HotkeyBackend, HotkeyUnavailable, NullHotkeys

SOURCE = "global hotkeys"


@dataclass
class HotkeyReport:
    backend: str
    active: dict[HotkeyAction, Chord] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The backend, then one line per action: for the doctor and the log."""
        out = [f"via {self.backend}"] + [f"{a.label}: {c.text}" for a, c in self.active.items()]
        return out + [str(p) for p in self.problems]


def configured(settings: HotkeySettings) -> list[tuple[HotkeyAction, Chord]]:
    """Each action with its combination, in declaration order; "" (off) left out."""
    return [
        (action, parse_chord(text))  # settings hold only valid text
        for action in HotkeyAction
        if (text := getattr(settings, action.value))
    ]


def register_all(
    backend: HotkeyBackend,
    settings: HotkeySettings,
    on_press: Callable[[HotkeyAction], None],
    locked: Callable[[str], bool] = lambda key: False,
) -> HotkeyReport:
    report = HotkeyReport(backend.name)
    if isinstance(backend, NullHotkeys):
        report.problems.append(Problem(SOURCE, backend.reason))
        return report
    claimed: dict[Chord, HotkeyAction] = {}
    for action, chord in configured(settings):
        key = f"hotkeys.{action.value}"
        where = (
            "ask IT to change it in the policy"
            if locked(key)
            else f"set another key for {key} in config.toml"
        )
        twin = claimed.get(chord)
        if twin is not None:
            report.problems.append(
                Problem(SOURCE, f"{chord.text} ({action.label}) is also set for "
                        f"{twin.label}; only that one is registered", key=key, fix=where)
            )  # fmt: skip
            continue
        claimed[chord] = action
        try:
            backend.register(chord, lambda a=action: on_press(a))
        except HotkeyUnavailable as exc:
            report.problems.append(
                Problem(SOURCE, f"{chord.text} ({action.label}) is not available: {exc}",
                        key=key, fix=where)
            )  # fmt: skip
            continue
        report.active[action] = chord
    return report
