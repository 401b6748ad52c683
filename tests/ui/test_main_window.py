from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, qWarning
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from calmline.core.problems import Problem
from calmline.flow import Flow
from calmline.platform.logs import configure_logging
from calmline.ui.crash import CrashReporter, route_qt_messages
from tests.fakes import IRATE
from tests.ui.conftest import make


def test_window_is_on_top_compact_and_translucent_as_set(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow, opacity=0.85)
    assert w.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert w.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    assert w.testAttribute(Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow)
    assert abs(w.windowOpacity() - 0.85) < 0.01
    assert (w.width(), w.height()) == (360, 600)
    hint = w.minimumSizeHint()
    assert hint.width() <= 360 and hint.height() <= 600, hint
    assert not w.banner.isVisible()
    off = make(qtbot, flow, always_on_top=False)
    assert not off.windowFlags() & Qt.WindowType.WindowStaysOnTopHint


def test_checklist_shows_phases_steps_and_detail(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow)
    tree = w.checklist.tree
    phases = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert phases == ["Opening", "Listen", "Acknowledge", "Solve", "Close", "After the call"]
    steps = sum(tree.topLevelItem(i).childCount() for i in range(tree.topLevelItemCount()))
    assert steps == len(IRATE.steps)
    vent = w.checklist.item("let-them-vent")
    assert vent.text(0) == "Let them vent — don't interrupt"
    assert vent.checkState(0) == Qt.CheckState.Unchecked
    tree.setCurrentItem(vent)
    assert "cutting in restarts it" in w.checklist.why.text()
    phrases = [w.checklist.phrases.item(i).text() for i in range(w.checklist.phrases.count())]
    assert "“Go on — I'm listening.”" in phrases
    watch = tree.topLevelItem(0).child(0)
    assert watch.text(0).startswith("◉ ")
    assert not watch.flags() & Qt.ItemFlag.ItemIsUserCheckable  # a reminder, never a tick
    tree.setCurrentItem(watch)
    assert "reminder for the whole call" in w.checklist.why.text()


def test_problems_are_shown_not_swallowed(qtbot: QtBot, flow: Flow) -> None:
    problem = Problem(
        "/etc/calmline.toml", "bad value 'x'", key="window.opacity", fix="expected a number"
    )
    w = make(qtbot, flow, [problem])
    assert w.banner.isVisible()
    assert (
        "/etc/calmline.toml: window.opacity: bad value 'x' — expected a number" in w.banner.text()
    )


def test_qt_messages_reach_the_log(tmp_path: Path) -> None:
    handler = configure_logging(tmp_path / "logs" / "calmline.log")
    route_qt_messages()
    qWarning("calmline-test-warning")
    handler.flush()
    assert "WARNING qt: calmline-test-warning" in (tmp_path / "logs" / "calmline.log").read_text()
    logging.getLogger().removeHandler(handler)


def test_uncaught_exception_is_logged_and_shown_once(qtbot: QtBot, tmp_path: Path) -> None:
    log_file = tmp_path / "calmline.log"
    handler = configure_logging(log_file)
    reporter = CrashReporter(str(log_file))
    seen: list[str] = []

    def close_dialog() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.close()
        else:
            QTimer.singleShot(20, close_dialog)

    QTimer.singleShot(20, close_dialog)
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        reporter.handle(type(exc), exc, exc.__traceback__)
        reporter.handle(type(exc), exc, exc.__traceback__)  # a second one: logged, no dialog
    handler.flush()
    assert len(seen) == 1 and "RuntimeError: boom in a slot" in seen[0]
    assert str(log_file) in seen[0]
    log = log_file.read_text()
    assert log.count("uncaught exception") == 2 and "Traceback" in log
    logging.getLogger().removeHandler(handler)


def test_follows_a_dark_palette(qtbot: QtBot, flow: Flow) -> None:
    """A system switch to dark arrives as a new palette; nothing keeps light colours."""
    from PySide6.QtGui import QColor, QPalette

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    w = make(qtbot, flow)
    flow.start_shift()
    flow.start_call()
    old = app.palette()
    dark = QPalette(QColor("#202124"))  # a palette generated from a dark window colour
    dark.setColor(QPalette.ColorRole.Highlight, QColor("#8ab4f8"))
    try:
        app.setPalette(dark)
        app.processEvents()
        step = flow.session.next_step()
        assert step is not None
        tint = w.checklist.item(step).background(0).color()
        assert (tint.red(), tint.green(), tint.blue()) == (0x8A, 0xB4, 0xF8)
        assert w.palette().color(QPalette.ColorRole.Window).lightness() < 60
        assert w.header.timer.palette().color(QPalette.ColorRole.WindowText).lightness() > 180
    finally:
        app.setPalette(old)


def test_tray_menu_follows_the_flow(qtbot: QtBot, flow: Flow) -> None:
    from PySide6.QtGui import QIcon

    from calmline.ui.tray import Tray

    tray = Tray(QIcon())
    quits: list[bool] = []
    tray.quit.connect(lambda: quits.append(True))  # as the composition root connects it
    make(qtbot, flow, tray=tray)
    assert not tray.call_action.isEnabled() and not tray.shift_action.isEnabled()
    flow.start_shift()
    assert tray.call_action.text() == "Start call" and tray.shift_action.isEnabled()
    flow.start_call()
    assert tray.call_action.text() == "End call" and not tray.shift_action.isEnabled()
    tray.call_action.trigger()  # the tray's "End call" reaches the window's action
    assert flow.call is None
    tray.menu.actions()[-1].trigger()
    assert quits == [True]
