"""The quick-note box and the hotkey actions, driven through the real window
and flow (offscreen; the X11 grab itself is tested under Xvfb)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from calmline.core.hotkeys import HotkeyAction
from calmline.core.settings import HotkeySettings
from calmline.flow import Flow
from calmline.platform.focus import NullFocus
from calmline.platform.hotkeys import NullHotkeys
from calmline.ui.global_keys import GlobalKeys
from tests.fakes import FakeClock
from tests.ui.conftest import companion, make


class CountingFocus(NullFocus):
    def __init__(self) -> None:
        self.remembered = self.restored = 0

    def remember(self) -> None:
        self.remembered += 1

    def restore(self) -> None:
        self.restored += 1


def keys_for(qtbot: QtBot, flow: Flow) -> tuple[GlobalKeys, CountingFocus]:
    window = make(qtbot, flow)
    focus = CountingFocus()
    keys = GlobalKeys(
        NullHotkeys("offscreen test"), focus, companion(window), HotkeySettings(), flow.clock
    )
    keys.start(None)
    qtbot.addWidget(keys.note_box)
    return keys, focus


def test_note_saved_with_the_time_the_hotkey_was_pressed(
    qtbot: QtBot, flow: Flow, clock: FakeClock
) -> None:
    keys, focus = keys_for(qtbot, flow)
    flow.start_shift("agent-7")
    call = flow.start_call("+44 20 7946 0000")
    clock.advance(75)
    keys.press(HotkeyAction.QUICK_NOTE)
    box = keys.note_box
    assert box.isVisible() and "1:15" in box.heading.text()
    clock.advance(20)  # typing takes a while; the note is about the moment of the press
    QTest.keyClicks(box.editor, "caller threatened to cancel")
    QTest.keyClick(box.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(box.editor, "asked for a manager")
    QTest.keyClick(box.editor, Qt.Key.Key_Return)
    assert not box.isVisible()
    [note] = flow.store.notes_for(call.meta.id)
    assert note.text == "caller threatened to cancel\nasked for a manager"
    assert note.call_offset_s == 75
    assert (focus.remembered, focus.restored) == (1, 1)
    assert "Note saved" in keys.window.status.text()  # shown in the window at once


def test_escape_cancels_and_nothing_is_saved(qtbot: QtBot, flow: Flow) -> None:
    keys, focus = keys_for(qtbot, flow)
    flow.start_shift("agent-7")
    keys.press(HotkeyAction.QUICK_NOTE)
    assert keys.note_box.heading.text() == "Shift note (no call in progress)"
    QTest.keyClicks(keys.note_box.editor, "nothing")
    QTest.keyClick(keys.note_box.editor, Qt.Key.Key_Escape)
    assert not keys.note_box.isVisible() and focus.restored == 1
    assert flow.store.db.table("notes").count == 0


def test_refused_note_keeps_the_text_and_says_why(qtbot: QtBot, flow: Flow) -> None:
    keys, _ = keys_for(qtbot, flow)  # no shift running
    keys.press(HotkeyAction.QUICK_NOTE)
    box = keys.note_box
    QTest.keyClicks(box.editor, "important")
    QTest.keyClick(box.editor, Qt.Key.Key_Return)
    assert box.isVisible() and box.editor.toPlainText() == "important"
    assert "shift" in box.error.text().lower() and not box.error.isHidden()
    keys.press(HotkeyAction.QUICK_NOTE)  # pressed again: same box, text kept
    assert box.editor.toPlainText() == "important"


def test_other_actions_drive_the_window(qtbot: QtBot, flow: Flow) -> None:
    keys, _ = keys_for(qtbot, flow)
    window = keys.window
    flow.start_shift("agent-7")
    keys.press(HotkeyAction.CALL_TOGGLE)
    assert flow.call is not None
    first = flow.session.next_step()
    keys.press(HotkeyAction.NEXT_STEP)
    assert flow.session.ticked == [first]
    assert window.status.text().startswith("Ticked: ")
    keys.press(HotkeyAction.ABUSIVE_MODE)
    assert flow.abusive
    keys.press(HotkeyAction.SHOW_HIDE)
    assert not window.isVisible()
    keys.press(HotkeyAction.SHOW_HIDE)
    assert window.isVisible()
    keys.press(HotkeyAction.CALL_TOGGLE)
    assert flow.call is None


def test_without_global_hotkeys_the_window_says_why_and_keeps_shortcuts(
    qtbot: QtBot, flow: Flow
) -> None:
    keys, _ = keys_for(qtbot, flow)
    assert "offscreen test" in keys.window.banner.text()
    assert sorted(s.key().toString() for s in keys.shortcuts) == sorted(
        ["Ctrl+Shift+F8", "Ctrl+Shift+F7", "Ctrl+Shift+F9", "Ctrl+Shift+F6", "Ctrl+Shift+F11"]
    )
