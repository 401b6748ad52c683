"""Where the window was, per screen layout: a laptop alone and the same laptop on
its docking station's two monitors each get their own place for the window."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from PySide6.QtCore import QRect
from PySide6.QtGui import QScreen

log = logging.getLogger(__name__)


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
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("%s: window positions unreadable, starting fresh (%s)", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def load(self, key: str) -> Placement | None:
        entry = self._read().get(key)
        try:
            return Placement(**entry) if isinstance(entry, dict) else None  # type: ignore[arg-type]
        except TypeError:
            return None

    def save(self, key: str, placement: Placement) -> None:
        data = self._read()
        data[key] = asdict(placement)
        tmp = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # losing a window position is not worth a dialog
            log.warning("%s: cannot save the window position (%s)", self.path, exc)


def visible_on(rect: QRect, screens: list[QScreen]) -> bool:
    """At least a grabbable part of the title area is on some screen."""
    grab = QRect(rect.x(), rect.y(), rect.width(), 40)
    return any(s.availableGeometry().intersected(grab).width() >= 60 for s in screens)
