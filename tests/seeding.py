"""A realistic shift for tests and benchmarks: calls with voice figures (one
level a second, raised-voice cues), outcomes, apologies, promises."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from calmline.core.records import (
    AbuseLevel,
    ApologyKind,
    FollowUp,
    Incident,
    IncidentStatus,
    Promise,
    Resolution,
    Shift,
    VoiceFigures,
)
from calmline.store.repository import Store

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CATEGORIES = ["delivery", "billing", "repair", "account", "returns"]


def voice(rng: random.Random, seconds: int, raised: int) -> VoiceFigures:
    base = -30.0
    levels: list[float | None] = [
        round(base + rng.gauss(0, 2), 1) if rng.random() < 0.45 else None for _ in range(seconds)
    ]
    marks = []
    for _ in range(raised):
        at = rng.randrange(5, max(6, seconds - 5))
        for n in range(at, min(seconds, at + 3)):
            levels[n] = round(base + 8 + rng.random() * 3, 1)
        marks.append(("raised_voice", float(at)))
    spoken = sum(v is not None for v in levels)
    return VoiceFigures(
        baseline_dbfs=base,
        max_over_baseline_db=11.0 if raised else 3.5,
        talk_share=round(spoken / seconds, 3),
        cue_counts=(("raised_voice", raised),) if raised else (),
        levels_db=tuple(levels),
        cue_marks=tuple(marks),
    )


def seed_shift(
    store: Store, calls: int = 60, seed: int = 7, agent: str = "agent-7", running: bool = False
) -> Shift:
    """A shift of ``calls`` finished calls; ended after the last one unless ``running``."""
    rng = random.Random(seed)
    shift = store.save(Shift(agent, START))
    t = START + timedelta(minutes=5)
    for n in range(calls):
        length = rng.randrange(120, 540)
        raised = rng.choice([0, 0, 0, 0, 1, 2])
        resolution = rng.choice(list(Resolution)[1:])
        inc = Incident(
            shift.meta.id,
            t,
            t + timedelta(seconds=length),
            caller_number=f"+44 20 7946 {rng.randrange(10000):04d}",
            category=rng.choice(CATEGORIES),
            summary=f"- call {n}: {rng.choice(['late parcel', 'double charge', 'broken hinge'])}",
            apology_kind=rng.choice(list(ApologyKind)),
            resolution=resolution,
            resolution_reason="outside the warranty" if resolution is Resolution.DECLINED else "",
            escalated_to="Tier 2" if resolution is Resolution.ESCALATED else "",
            abuse_level=AbuseLevel.ABUSIVE if n % 17 == 5 else AbuseLevel.NONE,
            next_steps=(Promise("call back", "", date(2026, 11, 23)),) if n % 6 == 0 else (),
            voice=voice(rng, length, raised),
            status=IncidentStatus.FINAL,
            finalised_at=t + timedelta(seconds=length + rng.randrange(20, 240)),
        )
        saved = store.save(inc)
        for p in saved.next_steps:
            store.save(FollowUp(saved.meta.id, p.what, p.who, p.due))
        t += timedelta(seconds=length + rng.randrange(60, 300))
    return shift if running else store.save(Shift(agent, START, t, meta=shift.meta))
