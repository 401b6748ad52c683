"""The live level bar, drawn with QPainter: the level, a peak-hold tick, and
marks at the agent's calm baseline and at baseline + the raised-voice margin."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from calmline.core.levels import FLOOR_DB

RANGE_DB = (-60.0, 0.0)
RAISED = QColor("#d9822b")  # orange: readable on light and dark
CLIP = QColor("#c0392b")


def fraction(db: float) -> float:
    lo, hi = RANGE_DB
    return min(1.0, max(0.0, (db - lo) / (hi - lo)))


class LevelBar(QWidget):
    def __init__(self, parent: QWidget | None = None, thickness: int = 14) -> None:
        super().__init__(parent)
        self.thickness = thickness
        self.level = FLOOR_DB
        self.peak = FLOOR_DB
        self.baseline: float | None = None
        self.raised_db = 6.0
        self.alert = False
        self.setAccessibleName("Your voice level")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # paintEvent fills every pixel: Qt need not paint the parent beneath first
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:
        return QSize(120, self.thickness)

    def minimumSizeHint(self) -> QSize:
        return QSize(40, self.thickness)

    def show_level(self, level: float, peak: float, baseline: float | None, alert: bool) -> None:
        """Called 30 times a second; repaints only when a pixel would change."""
        before = self._pixels()
        self.level, self.peak, self.baseline, self.alert = level, peak, baseline, alert
        if self._pixels() != before:
            self.update()

    def _pixels(self) -> tuple[int, int, int | None, bool]:
        base = None if self.baseline is None else int(self.level_x(self.baseline))
        return int(self.level_x(self.level)), int(self.level_x(self.peak)), base, self.alert

    def level_x(self, db: float) -> float:
        return fraction(db) * (self.width() - 2) + 1

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = self.palette()
        h = self.height()
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        p.setPen(pal.color(QPalette.ColorRole.Mid))
        p.drawRect(QRectF(0.5, 0.5, self.width() - 1, h - 1))
        colour = RAISED if self.alert else pal.color(QPalette.ColorRole.Highlight)
        p.fillRect(QRectF(1, 1, self.level_x(self.level) - 1, h - 2), colour)
        if self.peak > RANGE_DB[0]:
            x = self.level_x(self.peak)
            p.fillRect(QRectF(x - 1, 1, 2, h - 2), CLIP if self.peak >= -0.5 else colour)
        if self.baseline is not None:
            text = pal.color(QPalette.ColorRole.Text)
            for db, style in (
                (self.baseline, Qt.PenStyle.SolidLine),
                (self.baseline + self.raised_db, Qt.PenStyle.DashLine),
            ):
                pen = p.pen()
                pen.setColor(text)
                pen.setStyle(style)
                p.setPen(pen)
                x = self.level_x(db)
                p.drawLine(int(x), 0, int(x), h)
        p.end()
