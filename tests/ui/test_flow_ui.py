"""The window and the incident form driven like an agent would, asserting what
the agent sees and what lands in SQLite."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QInputDialog,
    QWidget,
)
from pytestqt.qtbot import QtBot

from calmline.core.records import Incident, IncidentStatus, Resolution, StepAction
from calmline.flow import Flow
from calmline.ui.incident_form import IncidentForm
from calmline.ui.shift_summary_dialog import ShiftSummaryDialog
from calmline.ui.window_state import WindowStateFile
from tests.fakes import ABUSIVE, FakeClock
from tests.ui.conftest import companion, make


def answer_dialog(fill: str | None) -> None:
    """Accept (after typing ``fill``) or cancel the next modal input dialog."""

    def later() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QInputDialog):
            QTimer.singleShot(10, later)
            return
        if fill is None:
            box.reject()
        else:
            box.setTextValue(fill)
            box.accept()

    QTimer.singleShot(10, later)


def answer_summary(end: bool, seen: list[ShiftSummaryDialog] | None = None) -> None:
    """End the shift (or keep working) in the next shift summary."""

    def later() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, ShiftSummaryDialog):
            QTimer.singleShot(10, later)
            return
        if seen is not None:
            seen.append(box)
        box.accept() if end else box.reject()

    QTimer.singleShot(10, later)


def test_shift_call_tick_note_end_form_save_end_shift(
    qtbot: QtBot, flow: Flow, clock: FakeClock
) -> None:
    w = make(qtbot, flow)
    assert w.header.state.text() == "No shift running"
    answer_dialog("agent-9")  # prefilled with agent-7 from settings; the agent changes it
    qtbot.mouseClick(w.actions_bar.shift, Qt.MouseButton.LeftButton)
    assert flow.shift is not None and flow.shift.agent_id == "agent-9"
    assert "agent-9" in w.header.state.text()
    qtbot.mouseClick(w.actions_bar.call, Qt.MouseButton.LeftButton)
    call = flow.call
    assert call is not None and w.actions_bar.call.text() == "&End call"
    assert not w.actions_bar.shift.isEnabled()  # no ending a shift mid-call
    clock.advance(65)
    w._tick_clock()
    assert w.header.timer.text() == "1:05"
    current = flow.session.next_step()
    assert current is not None
    item = w.checklist.item(current)
    assert item.font(0).bold()  # the current step stands out
    item.setCheckState(0, Qt.CheckState.Checked)  # what a click on the box does
    events = flow.store.step_events_for(call.meta.id)
    assert [(e.step_id, e.action, e.call_offset_s) for e in events] == [
        (current, StepAction.TICK, 65.0)
    ]
    assert w.checklist.current == flow.session.next_step() != current
    flow.note("caller wants a refund")
    assert "Note saved" in w.status.text()
    clock.advance(30)
    qtbot.mouseClick(w.actions_bar.call, Qt.MouseButton.LeftButton)
    form = companion(w).forms.forms[call.meta.id]
    assert form.isVisible()
    assert form.summary.toPlainText() == "- [1:05] caller wants a refund"
    assert "Steps ticked:</b> " in form.facts_line.text() and "1:05" in form.facts_line.text()
    assert not form.isActiveWindow()  # raised, not focused: the agent clicks into it
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    # the common case: Alt+T (resolved), Ctrl+Enter (save)
    focus = form.focusWidget()
    assert focus is form.resolution.button(0)  # ready for keys as soon as clicked into
    QTest.keyClick(focus, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: form.resolution.checkedId() == 0)  # mnemonics animate the click
    QTest.keyClick(form.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    saved = flow.store.get(Incident, call.meta.id)
    assert saved.status is IncidentStatus.FINAL and saved.resolution is Resolution.TOTAL
    assert saved.summary == "- [1:05] caller wants a refund"
    assert not form.isVisible() and call.meta.id not in companion(w).forms.forms
    answer_summary(end=False)  # the summary first: "keep working" changes nothing
    qtbot.mouseClick(w.actions_bar.shift, Qt.MouseButton.LeftButton)  # no drafts: no question
    assert flow.shift is not None
    seen: list[ShiftSummaryDialog] = []
    answer_summary(end=True, seen=seen)
    qtbot.mouseClick(w.actions_bar.shift, Qt.MouseButton.LeftButton)
    assert flow.shift is None and flow.store.open_shift() is None
    assert "Calls handled:" in seen[0].panel.figures.itemAt(0).widget().text()  # type: ignore[union-attr]
    assert w.header.state.text() == "No shift running"


def test_refused_actions_say_why_and_change_nothing(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow)
    qtbot.mouseClick(w.actions_bar.call, Qt.MouseButton.LeftButton)
    assert "no shift is running" in w.status.text() and flow.call is None
    item = w.checklist.item("let-them-vent")
    item.setCheckState(0, Qt.CheckState.Checked)
    assert "Cannot tick a step" in w.status.text()
    assert item.checkState(0) == Qt.CheckState.Unchecked  # put back: nothing was recorded
    assert flow.store.db["step_events"].count == 0


def test_space_ticks_and_unticks_the_selected_step(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    call = flow.start_call()
    tree = w.checklist.tree
    step = flow.session.next_step()
    assert step is not None
    tree.setFocus()
    assert tree.currentItem() is w.checklist.item(step)
    QTest.keyClick(tree, Qt.Key.Key_Space)
    assert step in flow.session.ticked
    tree.setCurrentItem(w.checklist.item(step))
    QTest.keyClick(tree, Qt.Key.Key_Space)
    assert step not in flow.session.ticked
    actions = [e.action for e in flow.store.step_events_for(call.meta.id)]
    assert actions == [StepAction.TICK, StepAction.UNTICK]
    QTest.keyClick(tree, Qt.Key.Key_Down)
    assert tree.currentItem() is not w.checklist.item(step)


def test_one_click_copies_a_phrase(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow)
    w.checklist.tree.setCurrentItem(w.checklist.item("let-them-vent"))
    phrases = w.checklist.phrases
    first = phrases.item(0)
    rect = phrases.visualItemRect(first)
    qtbot.mouseClick(phrases.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    copied = QGuiApplication.clipboard().text()
    assert copied and first.text() == f"“{copied}”"
    assert copied in w.status.text()


def test_abusive_mode_button_switches_and_records(
    qtbot: QtBot, flow: Flow, clock: FakeClock
) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    call = flow.start_call()
    clock.advance(20)
    qtbot.mouseClick(w.actions_bar.abusive, Qt.MouseButton.LeftButton)
    assert w.checklist.playbook.id == ABUSIVE.id and "abusive-caller mode" in w.title.text()
    events = flow.store.step_events_for(call.meta.id)
    assert [(e.action, e.call_offset_s) for e in events] == [(StepAction.SWITCH_PLAYBOOK, 20.0)]
    flow.end_call()
    assert not w.actions_bar.abusive.isChecked()


def test_history_badge_opens_earlier_incidents(qtbot: QtBot, flow: Flow, clock: FakeClock) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    flow.start_call("555-0101")
    old = flow.end_call()
    flow.save_incident(replace(old, resolution=Resolution.PENDING, summary="- fridge"), True)
    companion(w).forms.forms[old.meta.id].close()
    clock.advance(3 * 86400)
    flow.start_call("555-0101")
    assert w.header.badge.isVisible()
    assert w.header.badge.text() == "1 earlier call · last: pending, 3 days ago, you"
    assert w.header.caller.text() == "Caller 555-0101"
    qtbot.mouseClick(w.header.badge, Qt.MouseButton.LeftButton)
    dialog = companion(w).after.search
    assert dialog is not None and dialog.isVisible() and dialog.caller == "555-0101"
    listing = dialog.results  # this caller's earlier incidents, not the call in progress
    assert listing.count() == 1 and "pending" in listing.item(0).text()
    assert "fridge" in listing.item(0).text()
    listing.itemActivated.emit(listing.item(0))
    assert old.meta.id in companion(w).forms.forms  # the earlier incident opens in its form
    flow.end_call()
    flow.start_call("999")
    assert not w.header.badge.isVisible()


def test_collapse_to_strip_and_back(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    flow.start_call()
    qtbot.mouseClick(w.actions_bar.collapse, Qt.MouseButton.LeftButton)
    assert w.collapsed and w.pages.currentWidget() is w.strip
    assert w.height() < 80
    step = flow.session.next_step()
    assert step is not None and w.strip.step.toolTip() == flow.playbook.step(step).title
    assert w.strip.timer.text() == "0:00"
    qtbot.mouseClick(w.strip.expand, Qt.MouseButton.LeftButton)
    assert not w.collapsed and w.height() == 600


def test_placement_is_remembered_per_screen_layout(
    qtbot: QtBot, flow: Flow, tmp_path: Path
) -> None:
    state = WindowStateFile(tmp_path / "window.json")
    w = make(qtbot, flow, state=state)
    w.setGeometry(40, 50, 380, 520)
    w.set_collapsed(True)
    w.save_placement()
    again = make(qtbot, flow, state=state)
    assert again.collapsed and again.geometry().topLeft() == w.geometry().topLeft()
    again.set_collapsed(False)
    assert (again.width(), again.height()) == (380, 520)
    (tmp_path / "window.json").write_text("{not json")
    fresh = make(qtbot, flow, state=state)  # unreadable: a fresh start, not a crash
    assert (fresh.width(), fresh.height()) == (360, 600)


def test_every_control_has_an_accessible_name(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    flow.start_call("555")
    form = companion(w).forms.open(flow.end_call())
    for top in (w, form):
        for widget in top.findChildren(QWidget):
            if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or not widget.isVisibleTo(top):
                continue
            name = widget.accessibleName() or (
                widget.text() if isinstance(widget, QAbstractButton) else ""
            )
            if type(widget).__name__ in {"QScrollArea", "QScrollBar", "QWidget"} or isinstance(
                widget.parent(), QAbstractSpinBox | QComboBox
            ):
                continue  # containers, and the editors inside spin boxes and combos
            assert name, f"{type(widget).__name__} in {type(top).__name__} has no name"


def test_form_autosaves_and_later_leaves_a_draft_listed_at_shift_end(
    qtbot: QtBot, flow: Flow
) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    flow.start_call("555")
    ended = flow.end_call()
    form: IncidentForm = companion(w).forms.forms[ended.meta.id]
    form.facts.setFocus()
    QTest.keyClicks(form.facts, "fee charged twice")
    qtbot.waitUntil(
        lambda: flow.store.get(Incident, ended.meta.id).facts == "fee charged twice", timeout=2000
    )
    qtbot.mouseClick(form.later, Qt.MouseButton.LeftButton)
    assert not form.isVisible()
    assert [d.facts for d in flow.drafts()] == ["fee charged twice"]
    shown: list[str] = []

    def choose_end_anyway() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(10, choose_end_anyway)
            return
        shown.append(box.list.item(0).text())  # type: ignore[attr-defined]
        box.end_anyway.click()  # type: ignore[attr-defined]
        QTimer.singleShot(10, confirm_summary)

    def confirm_summary() -> None:  # then the shift's summary, before the sync
        box = QApplication.activeModalWidget()
        if not isinstance(box, ShiftSummaryDialog):
            QTimer.singleShot(10, confirm_summary)
            return
        shown.append(box.panel.figures.itemAt(1).widget().text())  # type: ignore[union-attr]
        box.end.click()

    QTimer.singleShot(10, choose_end_anyway)
    w.toggle_shift()
    assert shown[0] and "555" in shown[0] and shown[1] == "1"  # calls handled
    assert flow.shift is None
    assert companion(w).after.summary is not None and not companion(w).after.summary.isVisible()


def test_final_save_refuses_missing_fields_and_keeps_the_typing(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    flow.start_call()
    ended = flow.end_call()
    form = companion(w).forms.forms[ended.meta.id]
    form.save_button.click()
    assert "Choose a resolution" in form.status.text() and form.isVisible()
    form.resolution.button(2).setChecked(True)  # escalated, but to whom?
    form.summary.setPlainText("- wanted a manager")
    form.save_button.click()
    assert "escalated_to" in form.status.text() and form.isVisible()
    stored = flow.store.get(Incident, ended.meta.id)
    assert stored.status is IncidentStatus.DRAFT and stored.summary == "- wanted a manager"
    form.escalated_to.setText("Team lead")
    form.promises.add.click()
    form.promises.rows[0].what.setText("call back tomorrow")
    form.save_button.click()
    stored = flow.store.get(Incident, ended.meta.id)
    assert stored.status is IncidentStatus.FINAL and stored.escalated_to == "Team lead"
    followups = flow.store.followups_for(ended.meta.id)
    assert [f.what for f in followups] == ["call back tomorrow"] and followups[0].due


def test_every_door_gets_the_same_rule_for_a_call_with_no_agent(
    qtbot: QtBot, tmp_path: Path, clock: FakeClock
) -> None:
    """The flow, not the door, refuses to start a shift for a call when no agent
    id is set: the softphone, the window's button and the call hotkey alike."""
    from calmline.core.commands import Command, Name
    from calmline.core.hotkeys import HotkeyAction
    from calmline.core.settings import HotkeySettings
    from calmline.platform.focus import NullFocus
    from calmline.platform.hotkeys import NullHotkeys
    from calmline.ui.global_keys import GlobalKeys
    from tests.fakes import make_flow

    flow = make_flow(tmp_path / "n.db", clock, auto_start_shift=True)  # agent_id ""
    w = make(qtbot, flow)
    reply = flow.execute(Command(Name.CALL_START, {"caller": "555"}))
    assert not reply.ok and "agent_id is not set" in reply.message
    w.toggle_call()  # the Start call button and the tray
    assert "agent_id is not set" in w.status.text()
    w.status.clear()
    keys = GlobalKeys(NullHotkeys("test"), NullFocus(), companion(w), HotkeySettings(), clock)
    keys.press(HotkeyAction.CALL_TOGGLE)
    assert "agent_id is not set" in w.status.text()
    assert flow.shift is None and flow.call is None
    assert flow.store.db["shifts"].count == 0


def test_what_the_softphone_does_is_said_in_the_window(qtbot: QtBot, flow: Flow) -> None:
    """One outcome, one wording per audience: the softphone's `step next` gets its
    line, and the window shows the same fact in its own words."""
    from calmline.core.commands import Command, Name

    w = make(qtbot, flow)
    flow.start_shift()
    flow.start_call("555")
    reply = flow.execute(Command(Name.STEP_NEXT))
    assert reply.ok and reply.message.startswith("ticked '")
    assert w.status.text().startswith("Ticked: ") and " — next: " in w.status.text()
    flow.execute(Command(Name.NOTE, {"text": "wants a refund"}))
    assert w.status.text() == "Note saved: wants a refund"
