from __future__ import annotations

from datetime import UTC, datetime

from calmline.core.records import AbuseLevel, Incident, Promise, Resolution, incident_problems


def inc(**kw) -> Incident:  # type: ignore[no-untyped-def]
    return Incident(shift_id="s", started_at=datetime(2026, 1, 1, tzinfo=UTC), **kw)


def test_a_plain_incident_is_fine() -> None:
    assert (
        incident_problems(
            inc(
                resolution=Resolution.TOTAL,
                mood_start=1,
                mood_end=4,
                abuse_level=AbuseLevel.ABUSIVE,
                warnings_given=1,
            )
        )
        == []
    )


def test_each_rule_names_its_field() -> None:
    bad = inc(
        mood_start=0,
        mood_end=6,
        warnings_given=-1,
        resolution=Resolution.DECLINED,
        customer_proposed=True,
        best_practice=True,
        compensation_amount="ten",
        next_steps=(Promise(what=" "),),
    )
    keys = [p.key for p in incident_problems(bad)]
    assert keys == [
        "mood_start",
        "mood_end",
        "warnings_given",
        "resolution_reason",
        "customer_solution",
        "best_practice_text",
        "compensation_amount",
        "next_steps[1].what",
    ]
    assert [p.key for p in incident_problems(inc(resolution=Resolution.ESCALATED))] == [
        "escalated_to"
    ]
