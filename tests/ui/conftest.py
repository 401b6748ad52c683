from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from calmline.core.problems import Problem
from calmline.core.settings import AfterCallSettings, Settings, WindowSettings
from calmline.flow import Flow
from calmline.ui.companion import Companion
from calmline.ui.main_window import CompanionWindow
from calmline.ui.tray import Tray
from calmline.ui.window_state import WindowStateFile


def make(
    qtbot: QtBot,
    flow: Flow,
    problems: list[Problem] | None = None,
    state: WindowStateFile | None = None,
    after_call: AfterCallSettings | None = None,
    tray: Tray | None = None,
    **window: object,
) -> CompanionWindow:
    """The real window and its controller on a real flow and store, as the
    composition root builds them; the flow's clock drives its time."""
    db_file = Path(flow.store.db.execute("PRAGMA database_list").fetchone()[2])
    state = state or WindowStateFile(db_file.with_name("window.json"))
    settings = Settings(
        window=WindowSettings(**window),  # type: ignore[arg-type]
        after_call=after_call or AfterCallSettings(),
    )
    w = CompanionWindow(state, flow.clock)
    qtbot.addWidget(w)
    w.show()
    Companion(w, flow, settings, problems or [], flow.clock, tray)
    return w


def companion(w: CompanionWindow) -> Companion:
    """The window's controller (a child of the window, as Qt owns it)."""
    found = w.findChild(Companion)
    assert found is not None
    return found
