"""The checklist panel: the playbook's steps grouped by phase, the current step
highlighted, ticks as checkboxes (click or Space), and below them the selected
step's reason and phrases — one click copies a phrase."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRect, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QClipboard, QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from calmline.core.playbook import Playbook, Step, StepKind
from calmline.ui.plain_text import escape, line, rich, tooltip

PHASE_TITLES = {
    "open": "Opening",
    "listen": "Listen",
    "acknowledge": "Acknowledge",
    "solve": "Solve",
    "close": "Close",
    "after": "After the call",
}
STEP_ROLE = Qt.ItemDataRole.UserRole
WATCH_MARK = "◉ "
HEARD_MARK = "  · heard “{}”"  # after a step that ticked itself: the words that matched
WHY_LINES_TIGHT = 3
WHY_LINES = 8  # the reason's label: the steps above keep the room
PHRASE_LINES = 10  # the phrases' list grows to this, then scrolls


class WrappingDelegate(QStyledItemDelegate):
    """Rows tall enough for their wrapped title. The stock size hint measures the
    text against the whole column, not what is left after the indentation and
    the check box, so long titles were cut off at 360 px."""

    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self.tree = tree

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        style = self.tree.style()
        depth = 1 if index.parent().isValid() else 0
        used = self.tree.indentation() * (depth + 1) + 12
        if index.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            used += style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth) + 6
        width = max(60, self.tree.viewport().width() - used)
        font = index.data(Qt.ItemDataRole.FontRole) or option.font
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        rect = QFontMetrics(font).boundingRect(
            QRect(0, 0, width, 10_000), int(Qt.TextFlag.TextWordWrap), text
        )
        return QSize(size.width(), max(size.height(), rect.height() + 4))


class ChecklistPanel(QWidget):
    tick_toggled = Signal(str, bool)  # step id, ticked
    phrase_copied = Signal(str)

    def __init__(
        self, playbook: Playbook, clipboard: QClipboard, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.clipboard = clipboard
        self.tree = QTreeWidget(self)
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName("De-escalation steps")
        self.tree.setAccessibleDescription("Space ticks the selected step")
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setIndentation(12)
        self.tree.setItemDelegate(WrappingDelegate(self.tree))
        self.tree.viewport().installEventFilter(self)
        self.why = QLabel(self)
        self.why.setWordWrap(True)
        self.why.setAccessibleName("Why this step matters")
        self.why.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        rich(self.why, WHY_LINES)  # playbook text, escaped into markup of our own
        # Up to WHY_LINES when there is room; down to WHY_LINES_TIGHT when the window is
        # full (the team's lines above it in a call), never a taller window.
        self.why.setMinimumHeight(self.why.fontMetrics().lineSpacing() * WHY_LINES_TIGHT)
        self.phrases = QListWidget(self)
        self.phrases.setAccessibleName("Phrases to use — click or press Enter to copy one")
        self.phrases.setWordWrap(True)
        self.phrases.setToolTip("Click a phrase to copy it")
        self.phrases.setSizeAdjustPolicy(QListWidget.SizeAdjustPolicy.AdjustToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 3)
        layout.addWidget(self.why)
        layout.addWidget(self.phrases)
        self.tree.currentItemChanged.connect(self._show_detail)
        self.tree.itemChanged.connect(self._item_changed)
        self.phrases.itemClicked.connect(self._copy)
        self.phrases.itemActivated.connect(self._copy)
        self.ticked: set[str] = set()
        self.current: str | None = None
        self.heard: dict[str, str] = {}
        self.set_playbook(playbook)

    def changeEvent(self, event: QEvent) -> None:
        # Light/dark switches arrive as a new palette; the highlight follows it.
        if event.type() == QEvent.Type.PaletteChange:
            self.restyle()
        super().changeEvent(event)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and obj is self.tree.viewport():
            self.tree.doItemsLayout()  # re-wrap the titles for the new width
        return super().eventFilter(obj, event)

    # -- model -------------------------------------------------------------
    def set_playbook(self, playbook: Playbook) -> None:
        self.playbook = playbook
        blocker = QSignalBlocker(self.tree)
        self.tree.clear()
        self._items: dict[str, QTreeWidgetItem] = {}
        for phase, steps in playbook.by_phase():
            header = QTreeWidgetItem([PHASE_TITLES[phase.value]])
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = header.font(0)
            font.setBold(True)
            header.setFont(0, font)
            self.tree.addTopLevelItem(header)
            for step in steps:
                item = QTreeWidgetItem()
                item.setData(0, STEP_ROLE, step.id)
                item.setToolTip(0, tooltip(step.why))
                if step.kind is StepKind.WATCH:
                    # A reminder for the whole call: visible, never ticked.
                    item.setText(0, WATCH_MARK + line(step.title))
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                else:
                    item.setText(0, line(step.title))
                    item.setFlags(
                        Qt.ItemFlag.ItemIsEnabled
                        | Qt.ItemFlag.ItemIsSelectable
                        | Qt.ItemFlag.ItemIsUserCheckable
                    )
                    item.setCheckState(0, Qt.CheckState.Unchecked)
                header.addChild(item)
                self._items[step.id] = item
            header.setExpanded(True)
        del blocker
        self.set_state(self.ticked, self.current, self.heard)

    def set_state(
        self,
        ticked: set[str] | list[str],
        current: str | None,
        heard: dict[str, str] | None = None,
    ) -> None:
        """Show which steps are ticked and which one is current (highlighted,
        and selected so its phrases show); ``heard``: the steps that ticked
        themselves, with the phrase that matched (marked in their row)."""
        self.ticked, self.current, self.heard = set(ticked), current, dict(heard or {})
        blocker = QSignalBlocker(self.tree)
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        tint = QColor(highlight)
        tint.setAlpha(60)  # readable on light and dark palettes alike
        for step_id, item in self._items.items():
            if item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
                done = step_id in self.ticked
                item.setCheckState(0, Qt.CheckState.Checked if done else Qt.CheckState.Unchecked)
                title = line(self.playbook.step(step_id).title)
                phrase = self.heard.get(step_id) if done else None
                item.setText(0, title + HEARD_MARK.format(line(phrase, 60)) if phrase else title)
            is_current = step_id == current
            font = QFont(item.font(0))
            font.setBold(is_current)
            item.setFont(0, font)
            item.setBackground(0, QBrush(tint) if is_current else QBrush())
        del blocker
        target = self._items.get(current) if current else None
        if target is not None:
            self.tree.setCurrentItem(target)
            self.tree.scrollToItem(target)
        elif self.tree.currentItem() is None and self._items:
            self.tree.setCurrentItem(next(iter(self._items.values())))
        self._show_detail()

    def restyle(self) -> None:
        """Recompute palette-derived colours (after a light/dark switch)."""
        self.set_state(self.ticked, self.current, self.heard)

    # -- queries -----------------------------------------------------------
    def item(self, step_id: str) -> QTreeWidgetItem:
        return self._items[step_id]

    def current_step(self) -> Step | None:
        item = self.tree.currentItem()
        step_id = item.data(0, STEP_ROLE) if item else None
        return self.playbook.step(step_id) if step_id else None

    # -- reactions ---------------------------------------------------------
    def _item_changed(self, item: QTreeWidgetItem, _column: int) -> None:
        step_id = item.data(0, STEP_ROLE)
        if not step_id or not item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            return
        checked = item.checkState(0) == Qt.CheckState.Checked
        if checked != (step_id in self.ticked):
            # Shown as asked until the flow confirms or refuses (then set_state).
            self.tick_toggled.emit(step_id, checked)

    def _show_detail(self, *_: object) -> None:
        step = self.current_step()
        self.phrases.clear()
        if step is None:
            self.why.clear()
            return
        kind = "reminder for the whole call" if step.kind is StepKind.WATCH else "step"
        self.why.setText(
            f"<b>{escape(step.title)}</b> <i>({kind})</i><br>{escape(step.why, 600, lines=6)}"
        )
        for phrase in step.phrases:
            shown = line(phrase)  # copied as shown: no hidden bidi override reaches the CRM
            entry = QListWidgetItem(f"“{shown}”")
            entry.setData(STEP_ROLE, shown)
            entry.setToolTip("Click to copy")
            self.phrases.addItem(entry)
        # As tall as its phrases, so the steps above get the rest of the room.
        rows = sum(self.phrases.sizeHintForRow(i) for i in range(self.phrases.count()))
        rows = min(rows, self.phrases.fontMetrics().lineSpacing() * PHRASE_LINES)
        frame = 2 * self.phrases.frameWidth() + 6
        self.phrases.setFixedHeight(max(rows, self.phrases.fontMetrics().height()) + frame)

    def _copy(self, entry: QListWidgetItem) -> None:
        phrase = str(entry.data(STEP_ROLE))
        self.clipboard.setText(phrase)
        self.phrase_copied.emit(phrase)
