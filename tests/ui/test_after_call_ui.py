"""After the call, driven like an agent would: the follow-ups badge and list,
the pause suggested after a hard call, search, and the summary when the
softphone ends the shift."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog
from pytestqt.qtbot import QtBot

from calmline.core.commands import Command
from calmline.core.records import (
    AbuseLevel,
    Incident,
    Promise,
    Resolution,
    VoiceFigures,
)
from calmline.core.settings import AfterCallSettings
from calmline.flow import Flow
from calmline.ui.after_call_controller import PAUSE
from tests.fakes import FakeClock, FixedVoice
from tests.ui.conftest import companion, make


def answer_note(text: str) -> None:
    def later() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QInputDialog):
            QTimer.singleShot(10, later)
            return
        box.setTextValue(text)
        box.accept()

    QTimer.singleShot(10, later)


def promise_calls(flow: Flow, clock: FakeClock) -> Incident:
    """A finished call that promised two things: one due yesterday, one today."""
    today = clock().date()
    flow.start_call("555-0101")
    ended = flow.end_call()
    promises = (
        Promise("send the returns label", "", today - timedelta(days=1)),
        Promise("confirm the refund", "billing", today),
        Promise("check the repair", "", today + timedelta(days=4)),
    )
    return flow.save_incident(
        replace(ended, resolution=Resolution.PENDING, next_steps=promises), final=True
    )


def test_badge_list_and_marking_done(qtbot: QtBot, flow: Flow, clock: FakeClock) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    assert not w.header.followups.isVisible()
    inc = promise_calls(flow, clock)
    companion(w).forms.forms[inc.meta.id].close()
    badge = w.header.followups
    assert badge.isVisible() and badge.text() == "Follow-ups: 1 overdue, 1 due today"
    qtbot.mouseClick(badge, Qt.MouseButton.LeftButton)
    dialog = companion(w).after.followups
    assert dialog is not None and dialog.isVisible()
    tree = dialog.tree
    assert tree.topLevelItemCount() == 3
    first = tree.topLevelItem(0)
    assert first.text(0) == "overdue by 1 day" and first.text(1) == "send the returns label"
    assert first.foreground(0).color() == Qt.GlobalColor.red and first.text(3) == "555-0101"
    assert "3 open, 2 due today or overdue" in dialog.intro.text()

    answer_note("   ")  # a done follow-up needs a note: nothing saved
    dialog.done.click()
    assert "needs a note" in dialog.intro.text() and tree.topLevelItemCount() == 3
    answer_note("label emailed")
    dialog.done.click()
    assert tree.topLevelItemCount() == 2
    done = [f for f in flow.store.followups(open_only=False) if f.done_at is not None]
    assert [(f.what, f.done_note) for f in done] == [("send the returns label", "label emailed")]
    assert badge.text() == "Follow-ups: 1 due today"  # the badge follows at once
    dialog.open_call.click()  # the incident the promise came from
    assert inc.meta.id in companion(w).forms.forms


def test_due_followups_open_at_shift_start(qtbot: QtBot, flow: Flow, clock: FakeClock) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    assert companion(w).after.followups is None  # nothing due: nothing shown
    promise_calls(flow, clock)
    flow.end_shift()
    clock.advance(86400)
    flow.start_shift()
    assert companion(w).after.followups is not None and companion(w).after.followups.isVisible()
    assert companion(w).after.followups.tree.topLevelItemCount() == 3


def test_a_pause_is_suggested_after_a_hard_call(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    flow.start_call()
    w.set_abusive(True)
    flow.end_call()
    assert w.hint.isVisible()
    assert w.hint.text() == f"That caller was abusive. {PAUSE}"
    flow.start_call()  # the next call clears it
    assert not w.hint.isVisible()
    flow.voice = FixedVoice(VoiceFigures(cue_counts=(("raised_voice", 2),)))
    loud = flow.end_call()
    assert w.hint.text() == f"Your voice rose 2 times on that call. {PAUSE}"
    companion(w).after.set_hint("")
    flow.save_incident(replace(loud, resolution=Resolution.TOTAL), final=True)
    assert "rose 2 times" in w.hint.text()  # saving the form says it again, after the call
    flow.voice = None
    flow.start_call()
    calm = flow.end_call()
    assert not w.hint.isVisible()
    flow.save_incident(replace(calm, abuse_level=AbuseLevel.ABUSIVE), final=False)
    assert "abusive" in w.hint.text()  # flagged in the form, after the call


def test_no_pause_suggested_when_turned_off(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow, after_call=AfterCallSettings(suggest_break=False))
    flow.start_shift()
    flow.start_call()
    w.set_abusive(True)
    flow.end_call()
    assert not w.hint.isVisible()


def test_search_as_you_type(qtbot: QtBot, flow: Flow, clock: FakeClock) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    for caller, category, summary, worked in [
        ("555-0101", "Delivery", "- parcel lost", "reshipped with a tracked courier"),
        ("555-0102", "Billing", "- charged twice", ""),
        ("555-0103", "delivery", "- parcel late", ""),
    ]:
        flow.start_call(caller)
        inc = flow.end_call()
        inc = replace(
            inc,
            category=category,
            summary=summary,
            resolution=Resolution.TOTAL,
            best_practice=bool(worked),
            best_practice_text=worked,
        )
        companion(w).forms.forms[inc.meta.id].close()
        flow.save_incident(inc, final=True)
        clock.advance(600)
    qtbot.mouseClick(w.actions_bar.search, Qt.MouseButton.LeftButton)
    search = companion(w).after.search
    assert search is not None and search.isVisible()
    assert search.results.count() == 3  # newest first before any text
    QTest.keyClicks(search.text, "parc")
    qtbot.waitUntil(lambda: search.results.count() == 2, timeout=2000)
    search.category.setCurrentIndex(search.category.findData("Delivery"))
    assert search.category.itemText(1) == "Delivery (2)"
    search.worked.setChecked(True)
    assert search.results.count() == 1
    assert "What worked: reshipped with a tracked courier" in search.results.item(0).text()
    QTest.keyClick(search.text, Qt.Key.Key_Return)  # Enter opens the first result
    assert any(f.incident.caller_number == "555-0101" for f in companion(w).forms.forms.values())
    search.text.clear()
    search.worked.setChecked(False)
    search.category.setCurrentIndex(0)
    QTest.keyClicks(search.text, "0102")  # a number fragment
    qtbot.waitUntil(lambda: search.results.count() == 1, timeout=2000)
    assert "555-0102" in search.results.item(0).text()


def test_summary_shown_when_the_softphone_ends_the_shift(
    qtbot: QtBot, flow: Flow, clock: FakeClock
) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    flow.start_call("555")
    clock.advance(120)
    flow.end_call()
    reply = flow.execute(Command("shift-end"))
    assert reply.ok
    summary = companion(w).after.summary
    assert summary is not None and summary.isVisible() and summary.windowTitle() == "Shift ended"
    figures = summary.panel.figures
    assert figures.itemAt(1).widget().text() == "1"  # type: ignore[union-attr]
    assert figures.itemAt(3).widget().text().startswith("2 min in all")  # type: ignore[union-attr]


def test_followup_done_elsewhere_updates_the_badge(
    qtbot: QtBot, flow: Flow, clock: FakeClock
) -> None:
    w = make(qtbot, flow)
    flow.start_shift()
    promise_calls(flow, clock)
    for f in flow.store.followups():
        flow.store.save(replace(f, done_at=clock(), done_note="done by phone"))
    companion(w).after.refresh_badge()  # what the minute timer does
    assert not w.header.followups.isVisible()


def test_the_history_list_holds_what_the_badge_counts(
    qtbot: QtBot, flow: Flow, clock: FakeClock
) -> None:
    """A call with a number and a reference: earlier calls by either one."""
    w = make(qtbot, flow)
    flow.start_shift()
    for number, ref in (("555-0101", ""), ("", "C-1"), ("555-0199", "")):
        flow.start_call(number, ref)
        companion(w).forms.forms[flow.end_call().meta.id].close()
        clock.advance(300)
    flow.start_call("555-0101", "C-1")
    assert w.header.badge.text().startswith("2 earlier calls · last: ")
    qtbot.mouseClick(w.header.badge, Qt.MouseButton.LeftButton)
    search = companion(w).after.search
    assert search is not None and search.results.count() == 2
    assert search.caller_chip.text() == "Only caller 555-0101 · ref C-1  ✕"
    search.caller_chip.click()  # every caller again
    assert search.results.count() == 4
