"""The tray / menu-bar icon: show/hide, start/end call, end shift, quit. A door:
its signals are wired by the window's controller (ui/companion.py)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon


class Tray(QObject):
    show_hide = Signal()
    call = Signal()
    end_shift = Signal()
    quit = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.menu = QMenu()
        self.show_action = self._add("Show / hide window", self.show_hide)
        self.call_action = self._add("Start call", self.call)
        self.shift_action = self._add("End shift", self.end_shift)
        self.menu.addSeparator()
        self._add("Quit Calmline", self.quit)
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip("Calmline")
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)

    def _add(self, text: str, signal: Signal) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(signal)
        return action

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.show_hide.emit()

    def available(self) -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        if self.available():
            self.icon.show()

    def show_state(self, *, shift_running: bool, in_call: bool) -> None:
        self.call_action.setText("End call" if in_call else "Start call")
        self.call_action.setEnabled(shift_running or in_call)
        self.shift_action.setEnabled(shift_running and not in_call)
        self.icon.setToolTip("Calmline — in a call" if in_call else "Calmline")
