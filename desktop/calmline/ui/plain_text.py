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

- ``line()`` and ``block()`` make the text displayable: bidi overrides and
  control characters out, runs of combining marks cut, newlines collapsed where
  one line is shown, and at most so many characters (and lines), elided with
  "…". Each is O(limit), whatever the input's size.
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
import unicodedata

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLabel, QMessageBox, QSizePolicy, QWidget

ID_MAX = 32  # a caller id, customer reference or agent id inside a line
LINE_MAX = 160  # one line: a title, a list row, a status message
BLOCK_MAX = 1000  # a paragraph: a step's reason, a problem list
BLOCK_LINES = 12
TITLE_MAX = 80  # a window title
TIP_LINE = 100  # a tooltip this short, on one line, needs no wrapping
ELLIPSIS = "…"
MARKS_MAX = 3  # combining marks on one letter (more only stack up out of the line)

# Embeddings, overrides and isolates: they can make "1234" read "4321".
BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_NEWLINES = {"\r": "\n", "\v": "\n", "\f": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"}
_NEWLINE_TABLE = str.maketrans(_NEWLINES)
_ROOM = 4  # input read per character shown: enough for what cleaning drops


def _clean(text: str, limit: int) -> str:
    """``text`` without bidi controls, control characters or piles of
    combining marks; newlines kept as ``\\n``. Reads at most what ``limit``
    characters can need."""
    text = text[: limit * _ROOM + 16].replace("\r\n", "\n").translate(_NEWLINE_TABLE)
    out: list[str] = []
    marks = 0
    for ch in text:
        if ch in BIDI_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category == "Cc" and ch != "\n":
            if ch == "\t":
                out.append(" ")
            continue
        if category in ("Mn", "Me"):
            marks += 1
            if marks > MARKS_MAX:
                continue
        else:
            marks = 0
        out.append(ch)
    return "".join(out)


def _elide(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip().rstrip("\u200d") + ELLIPSIS


def line(text: object, limit: int = LINE_MAX) -> str:
    """One displayable line of at most ``limit`` characters."""
    cleaned = _clean(str(text), limit)
    return _elide(" ".join(cleaned.split()), limit)


def block(text: object, limit: int = BLOCK_MAX, lines: int = BLOCK_LINES) -> str:
    """Displayable lines: at most ``lines`` of them and ``limit`` characters."""
    rows = [" ".join(row.split()) for row in _clean(str(text), limit).split("\n")]
    while rows and not rows[-1]:
        rows.pop()
    if len(rows) > lines:
        rows = [*rows[: lines - 1], ELLIPSIS]
    return _elide("\n".join(rows), limit)


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


def sentence(text: object) -> str:
    """A refusal's text as the window says it: its first letter a capital."""
    words = str(text)
    return words[:1].upper() + words[1:]
