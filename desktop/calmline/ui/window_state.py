"""Where the window was, per screen layout: a laptop alone and the same laptop on
its docking station's two monitors each get their own place for the window."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

from PySide6.QtCore import QRect
from PySide6.QtGui import QScreen

from calmline.platform.json_file import read_json_object, write_json_object


@dataclass(frozen=True)
class Placement:
    x: int
    y: int
    width: int
    height: int  # of the full window, also kept while collapsed
    collapsed: bool = False

    def rect(self) -> QRect:
        return QRect(self.x, self.y, self.width, self.height)


def layout_key(screens: list[QScreen]) -> str:
    parts = sorted(
        f"{g.x()},{g.y()},{g.width()}x{g.height()}@{s.devicePixelRatio():g}"
        for s in screens
        for g in [s.geometry()]
    )
    return ";".join(parts) or "none"


class WindowStateFile:
    """A small JSON file in the data folder; unreadable means 'start fresh'."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, object]]:
        return read_json_object(self.path, "window positions")

    def load(self, key: str) -> Placement | None:
        entry = self._read().get(key)
        try:
            return Placement(**entry) if isinstance(entry, dict) else None  # type: ignore[arg-type]
        except TypeError:
            return None

    def save(self, key: str, placement: Placement) -> None:
        data = self._read()
        data[key] = asdict(placement)
        write_json_object(self.path, data, "the window position")


def _title_area(rect: QRect) -> QRect:
    return QRect(rect.x(), rect.y(), rect.width(), 40)


def visible_on(rect: QRect, screens: list[QScreen]) -> bool:
    """At least a grabbable part of the title area is on some screen."""
    grab = _title_area(rect)
    return any(s.availableGeometry().intersected(grab).width() >= 60 for s in screens)


def fit_on(placement: Placement, screens: list[QScreen]) -> Placement:
    """No larger than the screen its title area is on: a size the window was
    once stretched to (by text it showed, say) is not brought back."""
    grab = _title_area(placement.rect())
    for screen in screens:
        area = screen.availableGeometry()
        if area.intersected(grab).width() >= 60:
            width, height = min(placement.width, area.width()), min(placement.height, area.height())
            return replace(placement, width=width, height=height)
    return placement
