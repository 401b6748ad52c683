"""The figures of a shift (or any run of calls), for the End-shift summary and
`calmline report`. Pure: the records are passed in.

- handled: calls that ended; the one still in progress is not counted yet.
- handling time: call start to call end.
- after-call time: call end to the incident first saved as final; drafts have
  none yet and are counted apart.
- escalations: resolved by escalating, or handed to someone (escalated_to).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from calmline.core.after_call import APOLOGY_WORDS, RESOLUTION_WORDS, duration_text
from calmline.core.cues import CueKind
from calmline.core.records import (
    AbuseLevel,
    ApologyKind,
    FollowUp,
    Incident,
    IncidentStatus,
    Resolution,
)


@dataclass(frozen=True)
class CallVoice:
    """One call's voice, for the timeline and the talk-share bars."""

    incident_id: str
    started_at: datetime
    talk_share: float | None
    raised: int  # raised-voice cues
    baseline_db: float | None
    levels_db: tuple[float | None, ...]  # one a second
    raised_at_s: tuple[float, ...]  # call seconds where a raised-voice cue began


@dataclass(frozen=True)
class ShiftSummary:
    start: datetime
    end: datetime
    calls: int
    handle_total_s: float
    after_call_total_s: float
    finalised: int  # calls whose incident is final (after-call time known)
    drafts: int
    resolutions: dict[Resolution, int]  # every kind, in a fixed order, zeros kept
    apologies: dict[ApologyKind, int]
    escalations: int
    abusive: int
    aggressive: int
    followups_created: int
    followups_done: int
    raised_voice_cues: int
    voice: tuple[CallVoice, ...]

    @property
    def handle_avg_s(self) -> float | None:
        return self.handle_total_s / self.calls if self.calls else None

    @property
    def after_call_avg_s(self) -> float | None:
        return self.after_call_total_s / self.finalised if self.finalised else None

    @property
    def talk_share_avg(self) -> float | None:
        shares = [v.talk_share for v in self.voice if v.talk_share is not None]
        return sum(shares) / len(shares) if shares else None


def call_voice(inc: Incident) -> CallVoice:
    v = inc.voice
    return CallVoice(
        incident_id=inc.meta.id,
        started_at=inc.started_at,
        talk_share=v.talk_share,
        raised=v.count(CueKind.RAISED_VOICE.value),
        baseline_db=v.baseline_dbfs,
        levels_db=v.levels_db,
        raised_at_s=tuple(t for kind, t in v.cue_marks if kind == CueKind.RAISED_VOICE.value),
    )


def after_call_s(inc: Incident) -> float | None:
    """Call end to the incident first saved as final; None while it is a draft
    (or the call has not ended)."""
    if inc.status is not IncidentStatus.FINAL or inc.finalised_at is None or not inc.ended_at:
        return None
    return max(0.0, (inc.finalised_at - inc.ended_at).total_seconds())


def summarise(
    incidents: Iterable[Incident], followups: Iterable[FollowUp], start: datetime, end: datetime
) -> ShiftSummary:
    handled = sorted((i for i in incidents if i.ended_at is not None), key=lambda i: i.started_at)
    ids = {i.meta.id for i in handled}
    ours = [f for f in followups if f.incident_id in ids]
    handle = after = 0.0
    finalised = 0
    for inc in handled:
        assert inc.ended_at is not None
        handle += (inc.ended_at - inc.started_at).total_seconds()
        spent = after_call_s(inc)
        if spent is not None:
            after += spent
            finalised += 1
    resolutions = Counter(i.resolution for i in handled)
    apologies = Counter(i.apology_kind for i in handled)
    return ShiftSummary(
        start=start,
        end=end,
        calls=len(handled),
        handle_total_s=handle,
        after_call_total_s=after,
        finalised=finalised,
        drafts=sum(i.status is IncidentStatus.DRAFT for i in handled),
        resolutions={r: resolutions[r] for r in Resolution},
        apologies={a: apologies[a] for a in ApologyKind},
        escalations=sum(
            i.resolution is Resolution.ESCALATED or bool(i.escalated_to.strip()) for i in handled
        ),
        abusive=sum(i.abuse_level is AbuseLevel.ABUSIVE for i in handled),
        aggressive=sum(i.abuse_level is AbuseLevel.AGGRESSIVE for i in handled),
        followups_created=len(ours),
        followups_done=sum(f.done_at is not None for f in ours),
        raised_voice_cues=sum(i.voice.count(CueKind.RAISED_VOICE.value) for i in handled),
        voice=tuple(call_voice(i) for i in handled),
    )


def counts_text(pairs: list[tuple[str, int]]) -> str:
    """'2 resolved · 1 pending' — kinds with a count only; 'none' if all are 0."""
    return " · ".join(f"{n} {word}" for word, n in pairs if n) or "none"


def figure_rows(s: ShiftSummary) -> list[tuple[str, str]]:
    """The summary's figures as (label, text), shared with the HTML report."""
    after = duration_text(s.after_call_avg_s)
    drafts = f"; {s.drafts} still a draft" if s.drafts else ""
    share = f"{s.talk_share_avg:.0%}" if s.talk_share_avg is not None else "–"
    resolutions = [(RESOLUTION_WORDS[r], n) for r, n in s.resolutions.items()]
    return [
        ("Calls handled", str(s.calls)),
        (
            "Handling time",
            f"{duration_text(s.handle_total_s)} in all, "
            f"{duration_text(s.handle_avg_s)} a call on average",
        ),
        (
            "After-call work",
            f"{duration_text(s.after_call_total_s)} in all, {after} a call{drafts}",
        ),
        ("Outcomes", counts_text(resolutions)),
        ("Apologies", counts_text([(APOLOGY_WORDS[a], n) for a, n in s.apologies.items()])),
        ("Escalations", str(s.escalations)),
        ("Abusive calls", f"{s.abusive} abusive, {s.aggressive} aggressive"),
        (
            "Follow-ups promised",
            f"{s.followups_created} ({s.followups_done} done already)",
        ),
        ("Voice", f"{s.raised_voice_cues} raised-voice cues; spoke {share} of the time"),
    ]


def outcome_counts(s: ShiftSummary) -> list[tuple[str, int]]:
    order = [Resolution.TOTAL, Resolution.PENDING, Resolution.ESCALATED, Resolution.DECLINED]
    return [(RESOLUTION_WORDS[r], s.resolutions[r]) for r in [*order, Resolution.NONE]]
