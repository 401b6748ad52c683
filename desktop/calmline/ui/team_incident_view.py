"""One of the team's incidents, read-only: the caller-facing part another
agent's call left in the team store (when, who, what it was about, how it
ended, what was agreed, the summary). Never the incident form: the record is
theirs. Everything in it came from the share or a server, so it is plain text."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from calmline.core.after_call import RESOLUTION_WORDS, ago_text
from calmline.core.records import ApologyKind
from calmline.core.team import TeamIncident
from calmline.ui.plain_text import ID_MAX, block, line, plain, window_title

APOLOGY_WORDS = {
    ApologyKind.NONE: "none",
    ApologyKind.DIRECT: "direct",
    ApologyKind.BLAMELESS: "blameless",
    ApologyKind.NON_APOLOGY: "non-apology",
}


class TeamIncidentView(QDialog):
    def __init__(self, inc: TeamIncident, now: datetime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.incident = inc
        who = line(inc.caller_number or inc.customer_ref, ID_MAX) or "unknown caller"
        self.setWindowTitle(window_title(f"Team incident (read-only) — {who}"))
        self.setAccessibleName("Team incident, read-only")
        start = inc.started_at.astimezone()
        when = f"{start:%a %d %b %Y, %H:%M} ({ago_text(inc.started_at, now)})"
        rows = [
            ("When", when),
            ("Agent", line(inc.agent_id, ID_MAX)),
            ("Caller", line(inc.caller_number, ID_MAX)),
            ("Customer ref", line(inc.customer_ref, ID_MAX)),
            ("Category", line(inc.category, ID_MAX)),
            ("Outcome", RESOLUTION_WORDS[inc.resolution]),
            ("Agreed", line(inc.agreed_resolution)),
            ("Apology", APOLOGY_WORDS.get(inc.apology_kind, inc.apology_kind.value)),
        ]
        form = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        for name, value in rows:
            self.fields[name] = self._add(form, name, value)
        self.fields["Summary"] = self._add(form, "Summary", block(inc.summary) or "no summary")
        note = plain(QLabel("Another agent's incident: shown read-only.", self))
        note.setStyleSheet("QLabel { color: #777777; }")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(420, 320)

    def _add(self, form: QFormLayout, name: str, value: str) -> QLabel:
        label = plain(QLabel(value, self))
        label.setWordWrap(True)
        label.setAccessibleName(name)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(name, label)
        return label
