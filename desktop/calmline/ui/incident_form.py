"""The incident form after a call: prefilled, autosaved as a draft within half a
second of any change, 'Save' makes it final, 'Later' leaves it as pending work.
The common case — resolved, no follow-up — is Alt+T then Ctrl+Enter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from itertools import pairwise

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from calmline.core.after_call import caller_of, clock_text, standing_ticks, summary_from_notes
from calmline.core.playbook import Playbook
from calmline.core.problems import ProblemsError
from calmline.core.records import (
    AbuseLevel,
    ApologyKind,
    Incident,
    IncidentStatus,
    Note,
    Resolution,
    StepEvent,
)
from calmline.core.session import TransitionError
from calmline.ui.caution_proposal import CautionProposal
from calmline.ui.plain_text import ID_MAX, block, escape, line, plain, rich, sentence, window_title
from calmline.ui.promises_editor import PromisesEditor

AUTOSAVE_MS = 500  # a change is on disk within this (the promise is 2 s)
STEPS_SHOWN = 20  # ticked steps named in the facts line; the rest are counted
PROBLEM = "QLabel { color: #c0392b; }"

RESOLUTIONS = [
    (Resolution.TOTAL, "&Total — resolved"),
    (Resolution.PENDING, "&Pending (e.g. repair)"),
    (Resolution.ESCALATED, "&Escalated"),
    (Resolution.DECLINED, "&Declined, with reason"),
    (Resolution.NONE, "N&ot resolved"),
]
APOLOGIES = [
    (ApologyKind.NONE, "No apology"),
    (ApologyKind.DIRECT, "Direct: named what went wrong"),
    (ApologyKind.BLAMELESS, "Blameless: sorry for the trouble"),
    (ApologyKind.NON_APOLOGY, "Non-apology: 'we owe you one'"),
]
ABUSE = [
    (AbuseLevel.NONE, "None"),
    (AbuseLevel.AGGRESSIVE, "Aggressive"),
    (AbuseLevel.ABUSIVE, "Abusive"),
]
MOODS = ["—", "1 furious", "2 angry", "3 tense", "4 settling", "5 calm"]

Saver = Callable[[Incident, bool], Incident]


def _text(parent: QWidget, name: str, lines: int = 0) -> QLineEdit | QPlainTextEdit:
    w: QLineEdit | QPlainTextEdit = QPlainTextEdit(parent) if lines else QLineEdit(parent)
    w.setAccessibleName(name)
    if isinstance(w, QPlainTextEdit):
        w.setTabChangesFocus(True)
        w.setFixedHeight(w.fontMetrics().lineSpacing() * lines + 12)
    return w


class IncidentForm(QWidget):
    finished = Signal(object)  # the saved Incident (final or draft)
    saved = Signal(object)
    marker_requested = Signal(str)  # a MarkerReason value: save first, then propose

    def __init__(
        self,
        incident: Incident,
        notes: list[Note],
        events: list[StepEvent],
        playbooks: list[Playbook],
        save: Saver,
        now: datetime,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.incident = incident
        self._save = save
        self._dirty = False
        self._closing_final = False  # closed by a final save, not by 'Later'
        self.setAccessibleName("Incident form")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_draft)
        self._build(now.date())
        self._fill(incident, notes, events, playbooks)
        self.setWindowTitle(self._title())
        self.resize(460, 640)
        # Keyboard order follows what matters most: resolution, then the summary.
        chain: list[QWidget] = [self.resolution.button(len(RESOLUTIONS) - 1), self.summary]
        chain += [self.resolution_reason, self.escalated_to, self.agreed, self.apology]
        for a, b in pairwise(chain):
            QWidget.setTabOrder(a, b)
        # The first thing to decide: focus waits there for when the agent clicks in.
        checked = self.resolution.checkedButton()
        (checked or self.resolution.button(0)).setFocus()

    # -- layout ------------------------------------------------------------
    def _build(self, today: object) -> None:
        self.facts_line = rich(QLabel(self))  # step titles from the playbook, escaped
        self.facts_line.setWordWrap(True)
        self.facts_line.setAccessibleName("Call times, steps ticked and voice figures")
        self.summary = _text(self, "Summary, one point per line", lines=5)
        self.resolution = QButtonGroup(self)
        res_box = QWidget(self)
        res_layout = QVBoxLayout(res_box)
        res_layout.setContentsMargins(0, 0, 0, 0)
        res_layout.setSpacing(0)
        for n, (_value, label) in enumerate(RESOLUTIONS):
            radio = QRadioButton(label, res_box)
            radio.setAccessibleName(f"Resolution: {label.replace('&', '')}")
            self.resolution.addButton(radio, n)
            res_layout.addWidget(radio)
        self.resolution_reason = _text(self, "Why the request was declined")
        self.escalated_to = _text(self, "Escalated to")
        self.agreed = _text(self, "Agreed resolution")
        self.apology = self._combo("Apology", [t for _, t in APOLOGIES])
        self.category = _text(self, "Category")
        self.caller_number = _text(self, "Caller number")
        self.customer_ref = _text(self, "Customer reference")
        self.facts = _text(self, "Facts established", lines=3)
        self.customer_proposed = QCheckBox("The caller proposed the solution", self)
        self.customer_solution = _text(self, "What the caller proposed")
        self.promises = PromisesEditor(today, self)  # type: ignore[arg-type]
        self.compensation_kind = _text(self, "Compensation kind")
        self.compensation_amount = _text(self, "Compensation amount")
        self.abuse = self._combo("Abuse", [t for _, t in ABUSE])
        self.warnings = QSpinBox(self)
        self.warnings.setAccessibleName("Warnings given")
        self.warnings.setRange(0, 10)
        self.best_practice = QCheckBox("Worth sharing as best practice", self)
        self.best_practice_text = _text(self, "What worked, for others to reuse", lines=2)
        self.mood_start = self._combo("Caller's mood at the start", MOODS)
        self.mood_end = self._combo("Caller's mood at the end", MOODS)
        self.marker_box = CautionProposal(self)  # only on an aggressive or abusive call
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Save status and problems")
        plain(self.status, 4)  # a refusal can quote what was typed
        self.later = QPushButton("&Later", self)
        self.later.setToolTip("Keep as a draft; it is listed at shift end (Esc)")
        self.save_button = QPushButton("Save", self)
        self.save_button.setDefault(True)
        self.save_button.setToolTip("Save as final (Ctrl+Enter)")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, w in [
            ("Resolution", res_box),
            ("Summary", self.summary),
            ("Declined because", self.resolution_reason),
            ("Escalated to", self.escalated_to),
            ("Agreed", self.agreed),
            ("Apology", self.apology),
            ("Next steps", self.promises),
            ("Category", self.category),
            ("Caller", self.caller_number),
            ("Customer ref", self.customer_ref),
            ("Facts", self.facts),
            ("", self.customer_proposed),
            ("Their solution", self.customer_solution),
            ("Compensation", self.compensation_kind),
            ("Amount", self.compensation_amount),
            ("Abuse", self.abuse),
            ("Warnings given", self.warnings),
            ("Caution marker", self.marker_box),
            ("", self.best_practice),
            ("Best practice", self.best_practice_text),
            ("Mood at start", self.mood_start),
            ("Mood at end", self.mood_end),
        ]:
            form.addRow(label, w)
        form.setRowVisible(self.marker_box, False)  # on an aggressive or abusive call
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addWidget(self.facts_line)
        body_layout.addLayout(form)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.later)
        buttons.addWidget(self.save_button)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll, 1)
        outer.addLayout(buttons)
        self.later.clicked.connect(self.close)
        self.save_button.clicked.connect(self.save_final)
        self.marker_box.propose_clicked.connect(self.marker_requested)
        self.abuse.currentIndexChanged.connect(lambda i: form.setRowVisible(self.marker_box, i > 0))
        for keys in ("Ctrl+Return", "Ctrl+Enter", "Ctrl+S"):
            QShortcut(QKeySequence(keys), self, activated=self.save_final)
        QShortcut(QKeySequence("Esc"), self, activated=self.close)

    def marker_proposed(self, problem: str = "") -> None:
        """The flow's answer: proposed, or why not."""
        self._problem(problem) if problem else self.marker_box.proposed()

    def _combo(self, name: str, items: list[str]) -> QComboBox:
        combo = QComboBox(self)
        combo.setAccessibleName(name)
        combo.addItems(items)
        return combo

    # -- values ------------------------------------------------------------
    def _texts(self) -> dict[str, QLineEdit | QPlainTextEdit]:
        return {
            "summary": self.summary,
            "resolution_reason": self.resolution_reason,
            "escalated_to": self.escalated_to,
            "agreed_resolution": self.agreed,
            "category": self.category,
            "caller_number": self.caller_number,
            "customer_ref": self.customer_ref,
            "facts": self.facts,
            "customer_solution": self.customer_solution,
            "compensation_kind": self.compensation_kind,
            "compensation_amount": self.compensation_amount,
            "best_practice_text": self.best_practice_text,
        }

    def _fill(
        self,
        inc: Incident,
        notes: list[Note],
        events: list[StepEvent],
        playbooks: list[Playbook],
    ) -> None:
        for key, w in self._texts().items():
            value = getattr(inc, key)
            if key == "summary" and not value and inc.status is IncidentStatus.DRAFT:
                value = summary_from_notes(notes)
            w.setPlainText(value) if isinstance(w, QPlainTextEdit) else w.setText(value)
        if inc.resolution is not Resolution.NONE or inc.status is IncidentStatus.FINAL:
            self.resolution.button([r for r, _ in RESOLUTIONS].index(inc.resolution)).setChecked(
                True
            )
        self.apology.setCurrentIndex([a for a, _ in APOLOGIES].index(inc.apology_kind))
        self.abuse.setCurrentIndex([a for a, _ in ABUSE].index(inc.abuse_level))
        self.customer_proposed.setChecked(inc.customer_proposed)
        self.best_practice.setChecked(inc.best_practice)
        self.warnings.setValue(inc.warnings_given)
        self.mood_start.setCurrentIndex(inc.mood_start or 0)
        self.mood_end.setCurrentIndex(inc.mood_end or 0)
        self.promises.set_promises(inc.next_steps)
        self.facts_line.setText(self._facts_text(inc, events, playbooks))
        for w in self._texts().values():
            w.textChanged.connect(self._changed)
        for combo in (self.apology, self.abuse, self.mood_start, self.mood_end):
            combo.currentIndexChanged.connect(self._changed)
        for box in (self.customer_proposed, self.best_practice):
            box.toggled.connect(self._changed)
        self.resolution.idToggled.connect(self._changed)
        self.warnings.valueChanged.connect(self._changed)
        self.promises.changed.connect(self._changed)
        if self.summary.toPlainText() != inc.summary:
            self._changed()  # the prefilled summary is worth keeping at once

    def _facts_text(self, inc: Incident, events: list[StepEvent], pbs: list[Playbook]) -> str:
        start = inc.started_at.astimezone()
        text = start.strftime("%a %d %b, %H:%M")
        if inc.ended_at:
            length = clock_text((inc.ended_at - inc.started_at).total_seconds())
            text += f"–{inc.ended_at.astimezone():%H:%M} ({length})"
        titles = {s.id: s.title for pb in pbs for s in pb.steps}
        ticked = standing_ticks(events)
        steps = [
            f"{escape(titles.get(e.step_id, e.step_id), 60)} {clock_text(e.call_offset_s)}"
            + (f" <i>{e.source.value}</i>" if e.source.value else "")
            for e in ticked[:STEPS_SHOWN]
        ]
        if len(ticked) > STEPS_SHOWN:
            steps.append(f"and {len(ticked) - STEPS_SHOWN} more")
        text += "<br><b>Steps ticked:</b> " + (", ".join(steps) if steps else "none")
        v = inc.voice
        if v.baseline_dbfs is None:
            text += "<br><b>Voice:</b> no figures (the meter was not running)"
        else:
            share = f", talked {v.talk_share:.0%} of the time" if v.talk_share is not None else ""
            over = v.max_over_baseline_db or 0.0
            text += f"<br><b>Voice:</b> peak {over:+.1f} dB over your calm level{share}"
            if v.cue_counts:
                counts = ", ".join(
                    f"{escape(k.replace('_', ' '), 40)} ×{n}" for k, n in v.cue_counts
                )
                text += f"; cues: {counts}"
        return text

    def values(self) -> Incident:
        """The incident as the form shows it now."""
        fields: dict[str, object] = {}
        for key, w in self._texts().items():
            fields[key] = w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text()
        checked = self.resolution.checkedId()
        return replace(
            self.incident,
            resolution=RESOLUTIONS[checked][0] if checked >= 0 else Resolution.NONE,
            apology_kind=APOLOGIES[self.apology.currentIndex()][0],
            abuse_level=ABUSE[self.abuse.currentIndex()][0],
            customer_proposed=self.customer_proposed.isChecked(),
            best_practice=self.best_practice.isChecked(),
            warnings_given=self.warnings.value(),
            mood_start=self.mood_start.currentIndex() or None,
            mood_end=self.mood_end.currentIndex() or None,
            next_steps=self.promises.promises(),
            **fields,  # type: ignore[arg-type]
        )

    # -- saving ------------------------------------------------------------
    def _changed(self, *_: object) -> None:
        self._dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def save_draft(self) -> bool:
        """Save what changed; False (said in the form, the text kept in its fields,
        saved again at the next change or close) when the database refused it."""
        self._timer.stop()
        if not self._dirty:
            return True
        status = self.incident.status  # a final incident reopened stays final
        try:
            self.incident = self._save(replace(self.values(), status=status), False)
        except TransitionError as exc:
            self._problem(sentence(exc))
            return False
        self._dirty = False
        self._say(f"Draft saved {datetime.now():%H:%M:%S}")
        self.saved.emit(self.incident)
        return True

    def save_final(self) -> None:
        if not self.save_draft():  # whatever happens next, nothing typed is lost
            return
        if self.resolution.checkedId() < 0:
            self._problem("Choose a resolution (Alt+T for resolved)", self.resolution.button(0))
            return
        try:
            self.incident = self._save(self.values(), True)
        except ProblemsError as exc:
            self._problem("\n".join(f"{p.key}: {p.message} — {p.fix}" for p in exc.problems))
            return
        except TransitionError as exc:
            self._problem(sentence(exc))
            return
        self._say("Saved")
        self._closing_final = True
        self.finished.emit(self.incident)
        super().close()

    def _say(self, text: str) -> None:
        self.status.setStyleSheet("")
        self.status.setText(text)

    def _problem(self, text: str, focus: QWidget | None = None) -> None:
        self.status.setStyleSheet(PROBLEM)
        self.status.setText(block(f"⚠ {text}", 600, 4))
        if focus is not None:
            focus.setFocus()

    def closeEvent(self, event: object) -> None:
        """'Later' and the window's close button both keep a draft; a draft the
        database refuses keeps the form open, its text in it."""
        if not self.save_draft():
            event.ignore()  # type: ignore[attr-defined]
            return
        if not self._closing_final:
            self.finished.emit(self.incident)
        super().closeEvent(event)  # type: ignore[arg-type]

    def _title(self) -> str:
        inc = self.incident
        who = line(caller_of(inc), ID_MAX) or "unknown caller"
        return window_title(f"Incident — {inc.started_at.astimezone():%H:%M}, {who}")
