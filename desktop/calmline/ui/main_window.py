"""The always-on-top companion window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from calmline import APP_NAME
from calmline.core.playbook import Playbook
from calmline.core.problems import Problem
from calmline.core.settings import WindowSettings
from calmline.ui.checklist_panel import ChecklistPanel
from calmline.ui.problems_banner import ProblemsBanner


class CompanionWindow(QMainWindow):
    def __init__(self, playbook: Playbook, window: WindowSettings, problems: list[Problem]) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        flags = self.windowFlags() | Qt.WindowType.Tool
        if window.always_on_top:
            flags |= Qt.WindowType.WindowStaysOnTopHint
        self.setWindowFlags(flags)
        # Shown beside the softphone: it must never steal focus from the CRM.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setWindowOpacity(window.opacity)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        self.banner = ProblemsBanner(central)
        self.banner.set_problems(problems)
        self.title = QLabel(f"<b>{playbook.title}</b>", central)
        self.title.setAccessibleName("Playbook")
        self.checklist = ChecklistPanel(playbook, central)
        layout.addWidget(self.banner)
        layout.addWidget(self.title)
        layout.addWidget(self.checklist, 1)
        self.setCentralWidget(central)
        self.resize(360, 600)
