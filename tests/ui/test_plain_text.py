"""ui/plain_text.py: outside text made displayable, bounded and never markup."""

from __future__ import annotations

import time

from PySide6 import QtGui
from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLabel, QMessageBox, QSizePolicy
from pytestqt.qtbot import QtBot

from calmline.ui.plain_text import (
    BLOCK_LINES,
    ELLIPSIS,
    LINE_MAX,
    ask_text,
    block,
    button_text,
    escape,
    line,
    message_box,
    plain,
    tooltip,
    window_title,
)
from calmline.ui.window_state import Placement, fit_on


def test_a_line_keeps_the_text_and_drops_what_deceives() -> None:
    assert line("555-0101") == "555-0101"
    assert line("<b>bold</b>") == "<b>bold</b>"  # shown as typed, never interpreted
    assert line("\u202eevil\u2066 1234\u2069") == "evil 1234"  # no reversed ids
    assert line("line1\nline2\r\nline3\u2028line4") == "line1 line2 line3 line4"
    assert line("nul\x00bell\x07tab\there") == "nulbelltab here"
    assert line("e" + "\u0301" * 50) == "e" + "\u0301" * 3  # a pile of marks, cut
    assert line("👩‍👩‍👧 中文 مرحبا") == "👩‍👩‍👧 中文 مرحبا"
    assert line("  spaced   out  ") == "spaced out"


def test_a_line_is_elided_at_its_bound_whatever_the_input_size() -> None:
    assert line("A" * 10_000) == "A" * (LINE_MAX - 1) + ELLIPSIS
    assert line("A" * 50, 10) == "A" * 9 + ELLIPSIS
    assert len(line("AB" * 5, 10)) == 10
    started = time.perf_counter()
    assert len(line("x" * 5_000_000)) == LINE_MAX  # reads only what it can show
    assert time.perf_counter() - started < 5  # generous: the machine may be busy


def test_a_block_keeps_lines_up_to_its_bound() -> None:
    assert block("one\ntwo\r\nthree") == "one\ntwo\nthree"
    many = block("\n".join(f"line {n}" for n in range(400)))
    assert many.count("\n") == BLOCK_LINES - 1 and many.endswith(ELLIPSIS)
    assert len(block("word " * 3000)) <= 1000


def test_escape_and_tooltips_never_let_markup_through() -> None:
    assert escape("<img src=x>") == "&lt;img src=x&gt;"
    assert escape("a\nb", lines=2) == "a<br>b"
    assert tooltip("Click to copy") == "Click to copy"  # plain already: as it is
    assert tooltip("") == ""
    for hostile in ("<b>bold</b>", "a <img src=x width=5000>", "x" * 500, "one\ntwo"):
        tip = tooltip(hostile)
        assert tip.startswith("<p style='white-space:pre-wrap'>") and tip.endswith("</p>")
        inner = tip[len("<p style='white-space:pre-wrap'>") : -len("</p>")]
        assert "<" not in inner and ">" not in inner
    assert not QtGui.Qt.mightBeRichText(tooltip("short & plain"))


def test_buttons_and_titles_take_outside_text_literally() -> None:
    assert button_text("R&D &Quit") == "R&&D &&Quit"  # no Alt+Q from a caller id
    assert window_title("Incident — [*] x") == "Incident — [*][*] x"
    assert len(window_title("A" * 500)) == 80


def test_a_plain_label_cannot_widen_or_heighten_its_window(qtbot: QtBot) -> None:
    label = plain(QLabel(), lines=3)
    qtbot.addWidget(label)
    label.setWordWrap(True)
    label.setText("word " * 400)
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.sizePolicy().horizontalPolicy() == QSizePolicy.Policy.Ignored
    assert label.maximumHeight() <= 3 * label.fontMetrics().lineSpacing() + 2


def test_message_boxes_and_questions_are_plain(qtbot: QtBot) -> None:
    box = message_box(QMessageBox.Icon.Warning, "Title [*]", "<b>bold</b>\n" * 100)
    qtbot.addWidget(box)
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert box.text().count("\n") < BLOCK_LINES and box.windowTitle() == "Title [*][*]"
    seen: list[tuple[Qt.TextFormat, str]] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(10, answer)
            return
        seen.extend((lab.textFormat(), lab.text()) for lab in dialog.findChildren(QLabel))
        dialog.setTextValue("done")
        dialog.accept()

    QTimer.singleShot(10, answer)
    assert ask_text(None, "Follow-up", "What about <img src=x>?") == ("done", True)
    assert seen == [(Qt.TextFormat.PlainText, "What about <img src=x>?")]


def test_a_saved_place_is_fitted_to_the_screen(qtbot: QtBot) -> None:
    screen = QApplication.primaryScreen()
    area: QRect = screen.availableGeometry()
    huge = fit_on(Placement(10, 10, 85_417, 5_277), [screen])
    assert (huge.x, huge.y, huge.width, huge.height) == (10, 10, area.width(), area.height())
    usual = Placement(10, 10, 360, 600, collapsed=True)
    assert fit_on(usual, [screen]) == usual
