"""Text from outside, shown as plain, bounded text: never markup, never a way to
resize the window.

Qt decides by sniffing whether a label, a tooltip or a message box shows rich
text (Qt::AutoText, Qt::mightBeRichText): a caller id of ``<b>x</b>`` renders
bold, ``<img src=x width=5000>`` draws a 5000-pixel image, and a long unbroken
string is as wide as it is long. The companion window lays itself out around
its labels, so any of them stretched the always-on-top window (85,000 pixels
for a 10,000-character caller id) and the stretched size was saved for the
next start. Bidi overrides (U+202E) make an id read backwards; "&" in a button
makes a keyboard shortcut.

So everything shown that did not come from our own source — caller ids,
customer references, agent ids, notes, playbook text, server messages, file
and device names — goes through here:

- ``line()`` and ``block()`` (from core/display_text.py) make the text
  displayable and bounded.
- ``plain()`` makes a label PlainText and unable to widen its window (and, with
  ``lines``, to heighten it); ``rich()`` is the same for the two labels that keep
  markup of our own, whose outside parts go through ``escape()``.
- ``tooltip()``: a tooltip is always sniffed, so outside text is escaped into it.
- ``button_text()``, ``window_title()``, ``message_box()`` and ``ask_text()`` for
  buttons, titles, message boxes and input dialogs.

Editable fields (QLineEdit, QPlainTextEdit) show the record's text as it is:
they are plain by nature, and what they show is what autosave writes back."""

from __future__ import annotations

import html

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLabel, QMessageBox, QSizePolicy, QWidget

from calmline.core.display_text import (  # the pure part; re-exported for widgets
    BIDI_CONTROLS,
    BLOCK_LINES,
    BLOCK_MAX,
    ELLIPSIS,
    ID_MAX,
    LINE_MAX,
    MARKS_MAX,
    block,
    line,
    sentence,
)

TITLE_MAX = 80  # a window title
TIP_LINE = 100  # a tooltip this short, on one line, needs no wrapping


def escape(text: object, limit: int = LINE_MAX, lines: int = 1) -> str:
    """Outside text for a rich-text label of our own: displayable and escaped."""
    shown = line(text, limit) if lines == 1 else block(text, limit, lines)
    return html.escape(shown, quote=False).replace("\n", "<br>")


def tooltip(text: object, limit: int = BLOCK_MAX) -> str:
    """A tooltip that shows ``text`` as it is. Qt renders a tooltip as rich text
    whenever Qt::mightBeRichText says it looks like some, and does not wrap one
    that does not: a short line that does not look like markup stays as it is,
    anything else is escaped into a wrapping paragraph of our own."""
    shown = block(text, limit)
    if not shown:
        return ""
    if len(shown) <= TIP_LINE and "\n" not in shown and not QtGui.Qt.mightBeRichText(shown):
        return shown
    return f"<p style='white-space:pre-wrap'>{html.escape(shown, quote=False)}</p>"


def button_text(text: object, limit: int = LINE_MAX) -> str:
    """A button's (or menu entry's) text: "&" shown, never a shortcut."""
    return line(text, limit).replace("&", "&&")


def window_title(text: object) -> str:
    """A window title: one line, and "[*]" shown (Qt hides it as a placeholder)."""
    return line(text, TITLE_MAX).replace("[*]", "[*][*]")


def cannot_widen(widget: QWidget) -> None:
    """The widget takes the width its layout gives it: its text never asks for
    more (a layout would otherwise grow the window to the longest word)."""
    policy = widget.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    widget.setSizePolicy(policy)


def _at_most(label: QLabel, lines: int) -> None:
    """No taller than ``lines`` lines of its font (the text is cut below)."""
    margins = label.contentsMargins()
    extra = margins.top() + margins.bottom() + 2 * label.margin()
    label.setMaximumHeight(label.fontMetrics().lineSpacing() * lines + extra)
    vertical = Qt.AlignmentFlag.AlignTop
    horizontal = label.alignment() & Qt.AlignmentFlag.AlignHorizontal_Mask
    label.setAlignment(horizontal | vertical)


def plain(label: QLabel, lines: int | None = None) -> QLabel:
    """Make ``label`` show its text literally, at the width its layout gives it,
    and (with ``lines``) never taller than that many lines. Set a style sheet
    before: its border and padding count."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    cannot_widen(label)
    if lines is not None:
        _at_most(label, lines)
    return label


def rich(label: QLabel, lines: int | None = None) -> QLabel:
    """A label showing markup of our own, never sniffed; every outside part of
    its text must come through ``escape()``."""
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setOpenExternalLinks(False)
    cannot_widen(label)
    if lines is not None:
        _at_most(label, lines)
    return label


def message_box(
    icon: QMessageBox.Icon, title: str, text: str, parent: QWidget | None = None
) -> QMessageBox:
    """A message box whose text is shown literally (QMessageBox sniffs too)."""
    box = QMessageBox(icon, window_title(title), block(text), parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> tuple[str, bool]:
    """QInputDialog.getText with its question shown literally."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(window_title(title))
    dialog.setLabelText(block(label, LINE_MAX * 2, 4))
    for child in dialog.findChildren(QLabel):
        child.setWordWrap(True)
        plain(child)
    dialog.setTextValue(text)
    ok = dialog.exec() == QInputDialog.DialogCode.Accepted
    value = dialog.textValue()
    dialog.deleteLater()
    return value, ok


__all__ = [
    "BIDI_CONTROLS",
    "BLOCK_LINES",
    "BLOCK_MAX",
    "ELLIPSIS",
    "ID_MAX",
    "LINE_MAX",
    "MARKS_MAX",
    "TIP_LINE",
    "TITLE_MAX",
    "ask_text",
    "block",
    "button_text",
    "cannot_widen",
    "escape",
    "line",
    "message_box",
    "plain",
    "rich",
    "sentence",
    "tooltip",
    "window_title",
]
