"""The header: shift state, call timer, who is calling, their history badge,
and the badge of follow-ups due."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from calmline.core.after_call import clock_text
from calmline.core.records import Incident, Shift
from calmline.ui.plain_text import ID_MAX, button_text, cannot_widen, line, plain


class HeaderPanel(QWidget):
    history_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The agent id, the caller id and reference are outside text: cut to ID_MAX
        # each, and wrapped rather than clipped at the window's edge.
        self.state = plain(QLabel(self))
        self.state.setWordWrap(True)
        self.state.setAccessibleName("Shift state")
        self.timer = QLabel("--:--", self)
        self.timer.setAccessibleName("Call timer")
        font = QFont(self.timer.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.timer.setFont(font)
        self.timer.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.caller = plain(QLabel(self))
        self.caller.setWordWrap(True)
        self.caller.setAccessibleName("Caller")
        self.caller.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badge = QPushButton(self)
        self.badge.setFlat(True)
        self.badge.setAccessibleName("Earlier incidents of this caller")
        self.badge.setToolTip("Open this caller's earlier incidents")
        self.badge.setCursor(Qt.CursorShape.PointingHandCursor)
        self.badge.setStyleSheet("QPushButton { text-align: left; text-decoration: underline; }")
        self.badge.clicked.connect(self.history_requested)
        cannot_widen(self.badge)  # a category or agent id from the team store is outside text
        self.followups = QPushButton(self)  # the controller sets its text and shows it
        self.followups.setFlat(True)
        self.followups.setAccessibleName("Follow-ups due")
        self.followups.setToolTip("Open the follow-ups promised to callers")
        self.followups.setCursor(Qt.CursorShape.PointingHandCursor)
        self.followups.setStyleSheet(
            "QPushButton { text-align: left; color: #b3261e; font-weight: bold; }"
        )
        self.followups.hide()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.state, 0, 0)
        grid.addWidget(self.timer, 0, 1, 2, 1)
        grid.addWidget(self.caller, 1, 0)
        grid.addWidget(self.badge, 2, 0, 1, 2)
        grid.addWidget(self.followups, 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        self.show_state(None, None, 0, "", datetime.now().astimezone())

    def show_state(
        self,
        shift: Shift | None,
        call: Incident | None,
        calls_done: int,
        badge: str,
        now: datetime,
    ) -> None:
        if shift is None:
            self.state.setText("No shift running")
        else:
            since = shift.started_at.astimezone().strftime("%H:%M")
            calls = f"{calls_done} call{'s' if calls_done != 1 else ''}"
            agent = line(shift.agent_id, ID_MAX)
            self.state.setText(f"Shift · {agent} · since {since} · {calls}")
        who = []
        if call is not None:
            if call.caller_number:
                who.append(f"Caller {line(call.caller_number, ID_MAX)}")
            if call.customer_ref:
                who.append(f"Ref {line(call.customer_ref, ID_MAX)}")
            if not who:
                who.append("Caller not known")
        self.caller.setText(" · ".join(who) if call else "No call")
        self.badge.setText(button_text(badge))
        self.badge.setVisible(bool(badge) and call is not None)
        self.tick(call, now)

    def tick(self, call: Incident | None, now: datetime) -> None:
        """Refresh the call timer (called every second)."""
        text = clock_text((now - call.started_at).total_seconds()) if call else "--:--"
        self.timer.setText(text)
