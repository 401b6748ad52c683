"""What the window does for the time after calls: the follow-ups badge, the
due follow-ups at shift start, the shift summary at shift end, a gentle
suggestion to pause after a hard call, and search over past incidents."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from calmline.core.after_call import break_reason
from calmline.core.followups import badge_text, is_due
from calmline.core.outcomes import (
    CallEnded,
    CallStarted,
    IncidentSaved,
    Outcome,
    ShiftEnded,
    ShiftStarted,
)
from calmline.core.settings import AfterCallSettings
from calmline.ui.followups_dialog import FollowUpsDialog
from calmline.ui.search_dialog import SearchDialog
from calmline.ui.shift_summary_dialog import ShiftSummaryDialog

if TYPE_CHECKING:
    from calmline.core.records import FollowUp, Incident, Shift
    from calmline.flow import Flow, FlowEvent
    from calmline.ui.main_window import CompanionWindow

log = logging.getLogger(__name__)
BADGE_REFRESH_MS = 60_000  # a follow-up falls due at midnight; another process may mark one
BREAK_HINT_MS = 10 * 60_000
PAUSE = "If you can, take a few minutes before the next call."


class AfterCallController(QObject):
    open_requested = Signal(str)  # an incident's form, from a list

    def __init__(
        self,
        flow: Flow,
        window: CompanionWindow,
        now: Callable[[], datetime],
        settings: AfterCallSettings,
        raised_db: float,
    ) -> None:
        super().__init__(window)
        self.flow, self.window = flow, window
        self.queries, self.now, self.settings = flow.queries, now, settings
        self.raised_db = raised_db
        self.followups: FollowUpsDialog | None = None
        self.search: SearchDialog | None = None
        self.summary: ShiftSummaryDialog | None = None
        self._ending = False  # the window is ending the shift (summary already seen)
        flow.listeners.append(self._on_flow)
        self._badge_timer = QTimer(self)
        self._badge_timer.setInterval(BADGE_REFRESH_MS)
        self._badge_timer.timeout.connect(self.refresh_badge)
        self._badge_timer.start()
        self._hint_timer = QTimer(self)
        self._hint_timer.setSingleShot(True)
        self._hint_timer.timeout.connect(lambda: self.set_hint(""))
        self.set_hint("")
        self.refresh_badge()

    # -- following the flow ------------------------------------------------
    def _on_flow(self, _event: FlowEvent, outcome: Outcome) -> None:
        match outcome:
            case ShiftStarted():
                self._due_at_shift_start()
            case ShiftEnded(shift) if not self._ending:
                self._summary_dialog(shift, confirm=False).show()  # the softphone ended it
            case CallStarted():
                self.set_hint("")
            case CallEnded(incident) | IncidentSaved(incident):
                self._maybe_suggest_break(incident)
        self.refresh_badge()

    def refresh_badge(self) -> None:
        self.window.set_followups_badge(
            badge_text(self.queries.open_followups(), self.now().date())
        )

    # -- a pause after a hard call -----------------------------------------
    def _maybe_suggest_break(self, incident: Incident) -> None:
        if not self.settings.suggest_break or self.flow.call is not None:
            return
        reason = break_reason(incident, self.settings.break_after_raised_voice)
        if reason:
            log.info("suggesting a pause: %s", reason)
            self.set_hint(f"{reason} {PAUSE}")

    def set_hint(self, text: str) -> None:
        self.window.set_hint(text)
        if text:
            self._hint_timer.start(BREAK_HINT_MS)

    # -- follow-ups ----------------------------------------------------------
    def show_followups(self) -> FollowUpsDialog:
        if self.followups is None:
            self.followups = FollowUpsDialog(self.flow, self.now, self.window)
            self.followups.open_requested.connect(self.open_requested)
        self.followups.reload()
        self.followups.show()
        self.followups.raise_()
        return self.followups

    def _due(self) -> list[FollowUp]:
        today = self.now().date()
        return [f for f in self.queries.open_followups() if is_due(f, today)]

    def _due_at_shift_start(self) -> None:
        if self._due():
            self.show_followups()

    # -- the shift summary ---------------------------------------------------
    def _summary_dialog(self, shift: Shift, confirm: bool) -> ShiftSummaryDialog:
        period = self.queries.shift_period(shift, self.now())
        dialog = ShiftSummaryDialog(self.raised_db, confirm, self.window)
        dialog.panel.show_summary(period.title, period.summary, self._due(), self.now().date())
        self.summary = dialog
        return dialog

    def confirm_end_shift(self) -> bool:
        """End shift, step two: the summary, then 'End shift and send records'.
        True when the agent confirmed; the window then ends the shift."""
        shift = self.flow.shift
        if shift is None:
            return True
        if not self._summary_dialog(shift, confirm=True).exec():
            return False
        self._ending = True
        return True

    def shift_ended(self) -> None:
        """Called by the window once its End shift has gone through (or failed)."""
        self._ending = False

    # -- search --------------------------------------------------------------
    def _me(self) -> str:
        """Whose this computer's calls are: the shift's agent, else the settings'."""
        shift = self.flow.shift
        return shift.agent_id if shift is not None else self.flow.agent_id

    def show_search(self, caller: str = "", ref: str = "", exclude: str = "") -> SearchDialog:
        if self.search is None:
            self.search = SearchDialog(self.queries, self.now, self.window, self._me)
            self.search.open_requested.connect(self.open_requested)
        self.search.reload_categories()
        self.search.set_caller(caller, ref, exclude)
        self.search.show()
        self.search.raise_()
        return self.search
