"""The live level bar, drawn with QPainter: the level, a peak-hold tick, and
marks at the agent's calm baseline and at baseline + the raised-voice margin."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen, QPixmap, QResizeEvent
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
        self._layers: tuple[tuple[object, ...], QPixmap, QPixmap | None] | None = None
        self._fill = QColor()
        self._drawn: tuple[int, int, int | None, bool] | None = None  # what the pixels show
        self._w, self._h = self.width(), self.height()  # kept by resizeEvent: asked per paint

    def sizeHint(self) -> QSize:
        return QSize(120, self.thickness)

    def minimumSizeHint(self) -> QSize:
        return QSize(40, self.thickness)

    def show_level(self, level: float, peak: float, baseline: float | None, alert: bool) -> None:
        """Called at every drain; repaints only when a pixel would change."""
        self.level, self.peak, self.baseline, self.alert = level, peak, baseline, alert
        pixels = self._pixels()
        if pixels != self._drawn:
            self._drawn = pixels
            self.update()

    def _pixels(self) -> tuple[int, int, int | None, bool]:
        base = None if self.baseline is None else int(self.level_x(self.baseline))
        return int(self.level_x(self.level)), int(self.level_x(self.peak)), base, self.alert

    def level_x(self, db: float) -> float:
        lo, hi = RANGE_DB
        return min(1.0, max(0.0, (db - lo) / (hi - lo))) * (self._w - 2) + 1  # fraction()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._layers = None
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._layers, self._drawn = None, None
        self._w, self._h = event.size().width(), event.size().height()
        super().resizeEvent(event)

    def _cached_layers(self) -> tuple[QPixmap, QPixmap | None]:
        """The backdrop (base and frame) and the baseline marks, drawn once per
        size, palette and baseline: a paint is then two fills between two blits."""
        key = (self._w, self._h, self.baseline, self.raised_db)
        if self._layers is not None and self._layers[0] == key:
            return self._layers[1], self._layers[2]
        pal = self.palette()
        w, h = self._w, self._h
        backdrop = self._layer()
        with _painting(backdrop) as p:
            p.fillRect(0, 0, w, h, pal.color(QPalette.ColorRole.Base))
            p.setPen(pal.color(QPalette.ColorRole.Mid))
            p.drawRect(QRectF(0.5, 0.5, w - 1, h - 1))
        marks = None
        if self.baseline is not None:
            marks = self._layer()
            marks.fill(Qt.GlobalColor.transparent)
            with _painting(marks) as p:
                pen = QPen(pal.color(QPalette.ColorRole.Text))
                for db, style in (
                    (self.baseline, Qt.PenStyle.SolidLine),
                    (self.baseline + self.raised_db, Qt.PenStyle.DashLine),
                ):
                    pen.setStyle(style)
                    p.setPen(pen)
                    x = int(self.level_x(db))
                    p.drawLine(x, 0, x, h)
        self._layers = (key, backdrop, marks)
        self._fill = pal.color(QPalette.ColorRole.Highlight)
        return backdrop, marks

    def _layer(self) -> QPixmap:
        """A pixmap the size of the bar, sharp on a high-DPI screen."""
        ratio = self.devicePixelRatioF()
        layer = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
        layer.setDevicePixelRatio(ratio)
        return layer

    def paintEvent(self, event: QPaintEvent) -> None:
        backdrop, marks = self._cached_layers()
        h = self._h
        colour = RAISED if self.alert else self._fill
        p = QPainter(self)
        p.drawPixmap(0, 0, backdrop)
        p.fillRect(QRectF(1, 1, self.level_x(self.level) - 1, h - 2), colour)
        if self.peak > RANGE_DB[0]:
            x = self.level_x(self.peak)
            p.fillRect(QRectF(x - 1, 1, 2, h - 2), CLIP if self.peak >= -0.5 else colour)
        if marks is not None:
            p.drawPixmap(0, 0, marks)
        p.end()


@contextlib.contextmanager
def _painting(device: QPixmap) -> Iterator[QPainter]:
    p = QPainter(device)
    try:
        yield p
    finally:
        p.end()
