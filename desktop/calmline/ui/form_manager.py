"""Keeps one incident form per incident: opening an incident that is already
open raises its form instead of starting a second, conflicting one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from calmline.core.commands import Command, Name
from calmline.core.records import Incident
from calmline.core.session import TransitionError
from calmline.ui.incident_form import IncidentForm
from calmline.ui.plain_text import sentence

if TYPE_CHECKING:
    from calmline.flow import Flow


class FormManager(QObject):
    finished = Signal(object)  # Incident

    def __init__(self, flow: Flow, now: Callable[[], datetime]) -> None:
        super().__init__()
        self.flow = flow
        self.now = now
        self.forms: dict[str, IncidentForm] = {}

    def open(self, incident: Incident, activate: bool = False) -> IncidentForm:
        form = self.forms.get(incident.meta.id)
        if form is None:
            queries = self.flow.queries
            form = IncidentForm(
                incident,
                queries.notes_for(incident.meta.id),
                queries.step_events_for(incident.meta.id),
                list(self.flow.playbooks.values()),
                self.flow.save_incident,
                self.now(),
            )
            form.finished.connect(lambda inc, key=incident.meta.id: self._closed(key, inc))
            form.marker_requested.connect(lambda reason, f=form: self._propose(f, reason))
            self.forms[incident.meta.id] = form
        form.show()
        form.raise_()
        if activate:
            form.activateWindow()
        return form

    def open_id(self, incident_id: str) -> IncidentForm:
        return self.open(self.flow.queries.incident(incident_id), activate=True)

    def save_all(self) -> None:
        """Flush every open form's pending changes (at quit)."""
        for form in list(self.forms.values()):
            form.save_draft()

    def _propose(self, form: IncidentForm, reason: str) -> None:
        """The form's "Propose a caution marker": saved first (the flow checks
        the call was marked aggressive or abusive), then the flow's rules decide."""
        if not form.save_draft():
            return
        args = {"incident": form.incident.meta.id, "reason": reason}
        try:
            self.flow.run(Command(Name.MARKER_PROPOSE, args))
        except TransitionError as exc:
            form.marker_proposed(sentence(exc))
            return
        form.marker_proposed()

    def _closed(self, key: str, incident: Incident) -> None:
        form = self.forms.pop(key, None)
        if form is not None:
            form.deleteLater()
        self.finished.emit(incident)
