"""Shift figures from a seeded database, checked against values worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from calmline.core.after_call import break_reason
from calmline.core.records import (
    AbuseLevel,
    ApologyKind,
    FollowUp,
    Incident,
    IncidentStatus,
    Resolution,
    Shift,
    VoiceFigures,
)
from calmline.core.shift_summary import after_call_s, figure_rows, summarise
from calmline.store.database import open_database
from calmline.store.repository import Store

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def seed(store: Store) -> Shift:
    shift = store.save(Shift("agent-7", T0, at(240)))
    calls = [
        # start, length (min), after-call (min, None = still a draft), fields
        (10, 6, 2, dict(resolution=Resolution.TOTAL, apology_kind=ApologyKind.DIRECT)),
        (
            30,
            12,
            3,
            dict(
                resolution=Resolution.ESCALATED,
                escalated_to="Tier 2",
                apology_kind=ApologyKind.BLAMELESS,
                abuse_level=AbuseLevel.ABUSIVE,
            ),
        ),
        (60, 4, None, dict(resolution=Resolution.PENDING, abuse_level=AbuseLevel.AGGRESSIVE)),
        (
            90,
            8,
            1.5,
            dict(
                resolution=Resolution.TOTAL,
                apology_kind=ApologyKind.DIRECT,
                escalated_to="billing team",
            ),
        ),
    ]
    voices = [
        VoiceFigures(
            -30.0, 4.0, 0.40, (("raised_voice", 1),), (-30.0, None, -25.0), (("raised_voice", 2.0),)
        ),
        VoiceFigures(-30.0, 9.0, 0.70, (("raised_voice", 3), ("clipping", 1))),
        VoiceFigures(-30.0, None, 0.20),
        VoiceFigures(),
    ]
    for (start, length, after, fields), voice in zip(calls, voices, strict=True):
        final = after is not None
        inc = store.save(
            Incident(
                shift.meta.id,
                at(start),
                at(start + length),
                voice=voice,
                status=IncidentStatus.FINAL if final else IncidentStatus.DRAFT,
                finalised_at=at(start + length + after) if final else None,
                **fields,  # type: ignore[arg-type]
            )
        )
        if start in (30, 90):
            store.save(FollowUp(inc.meta.id, "call back", due=date(2026, 11, 23)))
        if start == 30:
            store.save(FollowUp(inc.meta.id, "send form", done_at=at(200), done_note="sent"))
    # a call still in progress is not counted
    store.save(Incident(shift.meta.id, at(235)))
    # a call of another shift is not counted either
    other = store.save(Shift("agent-7", at(-600), at(-300)))
    store.save(Incident(other.meta.id, at(-500), at(-490)))
    return shift


def test_figures_match_the_hand_computed_values(tmp_path: Path) -> None:
    store = Store(open_database(tmp_path / "s.db"))
    shift = seed(store)
    incidents = store.incidents(shift_id=shift.meta.id)
    followups = store.followups_of_incidents([i.meta.id for i in incidents])
    s = summarise(incidents, followups, shift.started_at, at(240))

    assert s.calls == 4
    assert s.handle_total_s == (6 + 12 + 4 + 8) * 60 == 1800
    assert s.handle_avg_s == 450  # 7 min 30 s
    assert s.finalised == 3 and s.drafts == 1
    assert s.after_call_total_s == (2 + 3 + 1.5) * 60 == 390
    assert s.after_call_avg_s == 130
    assert s.resolutions == {
        Resolution.NONE: 0,
        Resolution.TOTAL: 2,
        Resolution.PENDING: 1,
        Resolution.ESCALATED: 1,
        Resolution.DECLINED: 0,
    }
    assert s.apologies[ApologyKind.DIRECT] == 2 and s.apologies[ApologyKind.BLAMELESS] == 1
    assert s.apologies[ApologyKind.NONE] == 1 and s.apologies[ApologyKind.NON_APOLOGY] == 0
    assert s.escalations == 2  # escalated, plus one handed to the billing team
    assert s.abusive == 1 and s.aggressive == 1
    assert s.followups_created == 3 and s.followups_done == 1
    assert s.raised_voice_cues == 4
    assert [v.raised for v in s.voice] == [1, 3, 0, 0]
    assert [v.talk_share for v in s.voice] == [0.40, 0.70, 0.20, None]
    assert s.talk_share_avg is not None and abs(s.talk_share_avg - 1.3 / 3) < 1e-9
    assert s.voice[0].levels_db == (-30.0, None, -25.0) and s.voice[0].raised_at_s == (2.0,)
    assert dict(figure_rows(s)) == {
        "Calls handled": "4",
        "Handling time": "30 min in all, 7 min 30 s a call on average",
        "After-call work": "6 min 30 s in all, 2 min 10 s a call; 1 still a draft",
        "Outcomes": "2 resolved · 1 pending · 1 escalated",
        "Apologies": "1 none · 2 direct (named the fault) · 1 blameless (sorry for the trouble)",
        "Escalations": "2",
        "Abusive calls": "1 abusive, 1 aggressive",
        "Follow-ups promised": "3 (1 done already)",
        "Voice": "4 raised-voice cues; spoke 43% of the time",
    }


def test_an_empty_shift_has_no_averages() -> None:
    s = summarise([], [], T0, at(60))
    assert s.calls == 0 and s.handle_avg_s is None and s.after_call_avg_s is None
    assert s.talk_share_avg is None and sum(s.resolutions.values()) == 0


def test_a_break_is_suggested_after_an_abusive_or_loud_call() -> None:
    calm = Incident("s", T0, voice=VoiceFigures(cue_counts=(("raised_voice", 1),)))
    loud = Incident("s", T0, voice=VoiceFigures(cue_counts=(("raised_voice", 2),)))
    abusive = Incident("s", T0, abuse_level=AbuseLevel.ABUSIVE)
    assert break_reason(calm, 2) == ""
    assert break_reason(loud, 2) == "Your voice rose 2 times on that call."
    assert break_reason(loud, 3) == ""
    assert break_reason(abusive, 2) == "That caller was abusive."
    assert break_reason(Incident("s", T0, abuse_level=AbuseLevel.AGGRESSIVE), 2) == ""


def test_after_call_time_is_one_rule_for_summary_and_report() -> None:
    """Final incidents only, never negative: the report's column and the
    summary's total come from the same function."""
    end = T0 + timedelta(minutes=5)
    call = Incident(shift_id="s", started_at=T0, ended_at=end)
    final = replace(call, status=IncidentStatus.FINAL, finalised_at=end + timedelta(seconds=90))
    assert after_call_s(final) == 90.0
    assert after_call_s(replace(final, status=IncidentStatus.DRAFT)) is None  # back to draft
    assert after_call_s(replace(final, finalised_at=end - timedelta(seconds=5))) == 0.0
    assert after_call_s(replace(final, finalised_at=None)) is None
