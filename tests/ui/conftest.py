from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from calmline.core.problems import Problem
from calmline.core.settings import AfterCallSettings, Settings, WindowSettings
from calmline.flow import Flow
from calmline.ui.main_window import CompanionWindow
from calmline.ui.window_state import WindowStateFile


def make(
    qtbot: QtBot,
    flow: Flow,
    problems: list[Problem] | None = None,
    state: WindowStateFile | None = None,
    after_call: AfterCallSettings | None = None,
    **window: object,
) -> CompanionWindow:
    """The real window on a real flow and store; the flow's clock drives its time."""
    db_file = Path(flow.store.db.execute("PRAGMA database_list").fetchone()[2])
    state = state or WindowStateFile(db_file.with_name("window.json"))
    settings = Settings(
        window=WindowSettings(**window),  # type: ignore[arg-type]
        after_call=after_call or AfterCallSettings(),
    )
    w = CompanionWindow(state, flow.clock)
    qtbot.addWidget(w)
    w.show()
    w.attach(flow, settings, problems or [])
    return w
