"""The quick-note box a hotkey opens beside the companion window: focused at
once, showing the call timer; Enter saves, Shift+Enter starts a new line, Esc
cancels. It only collects the text; the keys controller saves it."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from calmline.ui.plain_text import line, plain

TITLE = "Calmline quick note"
GAP = 8


class QuickNoteBox(QWidget):
    submitted = Signal(str)
    cancelled = Signal()

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)
        self.opened_at: datetime | None = None  # when the agent asked for it
        self.heading = plain(QLabel(self))
        self.heading.setAccessibleName("Note for")
        self.editor = QPlainTextEdit(self)
        self.editor.setAccessibleName("Note text")
        self.editor.setTabChangesFocus(True)
        lines = self.editor.fontMetrics().lineSpacing()
        self.editor.setFixedHeight(lines * 3 + 12)
        self.editor.installEventFilter(self)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Why the note was not saved")
        plain(self.error, 4)  # a refusal can name the database's file or a step
        self.error.hide()
        hint = QLabel("Enter saves · Shift+Enter new line · Esc cancels", self)
        hint.setEnabled(False)  # greyed: a reminder, not content
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        for w in (self.heading, self.editor, self.error, hint):
            layout.addWidget(w)
        self.resize(320, self.sizeHint().height())

    def open(self, heading: str, opened_at: datetime, beside: QRect, screen: QRect) -> None:
        """Show beside ``beside`` (the companion window), on ``screen``, focused.
        Already open: just focused again, with what was typed."""
        self.heading.setText(heading)
        if not self.isVisible():
            self.opened_at = opened_at
            self.error.hide()
            self.editor.clear()
            self.move(_place(self.frameGeometry().width(), self.height(), beside, screen))
            self.show()
        self.raise_()
        self.activateWindow()
        self.editor.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def set_heading(self, heading: str) -> None:
        self.heading.setText(heading)

    def refuse(self, reason: str) -> None:
        """Saving failed: say why and keep the text."""
        self.error.setText(line(reason))
        self.error.show()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.editor and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key, mods = event.key(), event.modifiers()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                mods & Qt.KeyboardModifier.ShiftModifier
            ):
                self.submitted.emit(self.editor.toPlainText())
                return True
            if key == Qt.Key.Key_Escape:
                self.cancelled.emit()
                return True
        return super().eventFilter(obj, event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.isVisible():
            self.cancelled.emit()  # closed by the window manager: same as Esc
        super().closeEvent(event)


def _place(width: int, height: int, beside: QRect, screen: QRect) -> QPoint:
    """Left of the companion window when there is room, else right of it, at
    its top; always inside the screen."""
    x = beside.left() - width - GAP
    if x < screen.left():
        x = beside.right() + GAP
    x = max(screen.left(), min(x, screen.right() - width))
    y = max(screen.top(), min(beside.top(), screen.bottom() - height))
    return QPoint(x, y)
