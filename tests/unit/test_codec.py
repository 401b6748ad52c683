"""The one record encoder (core/serialize.py) and the SQLite rows on top of it
(store/codec.py): one time format, lossless both ways, and rows exactly as the
database has always held them (so no stored row needs migrating)."""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest

from calmline.core.records import (
    AbuseLevel,
    ApologyKind,
    FollowUp,
    Incident,
    IncidentStatus,
    Meta,
    Note,
    Promise,
    Resolution,
    Shift,
    StepAction,
    StepEvent,
    StepSource,
    VoiceFigures,
)
from calmline.core.serialize import flat_record, from_plain, iso, parse_iso, plain
from calmline.core.sync_docs import SyncDoc
from calmline.platform.paths import resource_path
from calmline.store.codec import from_row, to_row
from calmline.store.database import open_database
from calmline.store.repository import Store
from calmline.sync.folder import FolderTarget

T0 = datetime(2026, 11, 22, 9, 0, 1, 123456, tzinfo=UTC)
META = Meta("0f8ad196-6d40-4f4c-923b-f81271fc9c1f", 2, T0, T0 + timedelta(microseconds=7))


def every_kind() -> list[object]:
    shift = Shift("agent-7", T0, T0 + timedelta(hours=8), META)
    incident = Incident(
        shift.meta.id, T0, T0 + timedelta(minutes=5), "irate-caller", "+44 20 7946 0958",
        "ref-1", "billing", "- charged twice\n- refund", "facts", ApologyKind.DIRECT, True,
        "a voucher", Resolution.DECLINED, "out of policy", "agreed",
        (Promise("refund", "billing", date(2026, 11, 24)), Promise("call back"),
         Promise("ünï", "中")),
        "voucher", "15.50", "team lead", AbuseLevel.ABUSIVE, 2, True, "named the fee", 1, 5,
        VoiceFigures(-30.5, 7.25, 0.4, (("raised_voice", 2),), (-30.0, None, -22.5),
                     (("raised_voice", 12.5),)),
        IncidentStatus.FINAL, T0 + timedelta(minutes=6), META,
    )  # fmt: skip
    return [
        shift,
        Shift("agent-7", T0, meta=META),
        incident,
        Incident(shift.meta.id, T0, meta=META),
        Note(shift.meta.id, "wants a refund", T0, incident.meta.id, 30.25, META),
        Note(shift.meta.id, "shift note", T0, meta=META),
        StepEvent(
            incident.meta.id, "apologise", StepAction.TICK, T0, 60.0, "x", StepSource.HEARD, META
        ),
        FollowUp(incident.meta.id, "call back", "me", date(2027, 1, 1), T0, "done", META),
        FollowUp(incident.meta.id, "call back", meta=META),
    ]


def test_the_time_format_is_utc_to_the_microsecond_at_a_fixed_width() -> None:
    assert iso(T0) == "2026-11-22T09:00:01.123456+00:00"
    assert iso(T0.replace(microsecond=0)) == "2026-11-22T09:00:01.000000+00:00"
    paris = T0.astimezone(timezone(timedelta(hours=1)))
    assert iso(paris) == iso(T0)  # one zone: the same instant is the same text
    with pytest.raises(ValueError, match="naive"):
        iso(T0.replace(tzinfo=None))


def test_text_order_is_time_order() -> None:
    rng = random.Random(18)
    zones = [timezone(timedelta(minutes=m)) for m in (-600, -300, 0, 60, 330, 840)]
    times = [
        datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randrange(2**60 // 1000))
        for _ in range(2000)
    ]
    texts = [iso(t.astimezone(rng.choice(zones))) for t in times]
    assert {len(t) for t in texts} == {32}
    assert sorted(texts) == [iso(t) for t in sorted(times)]


MS = T0.replace(microsecond=123000)


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-11-22T09:00:01.123456+00:00", T0),  # the format
        ("2026-11-22T09:00:01.123+00:00", MS),  # documents of older Calmline: milliseconds
        ("2026-11-22T10:00:01.123+01:00", MS),
        ("2026-11-22T09:00:01.123Z", MS),
        ("2026-11-22T09:00:01+00:00", T0.replace(microsecond=0)),
    ],
)
def test_parse_iso_reads_any_precision_and_offset(text: str, instant: datetime) -> None:
    assert parse_iso(text) == instant and parse_iso(text).tzinfo is UTC


@pytest.mark.parametrize("record", every_kind(), ids=lambda r: type(r).__name__)
def test_records_come_back_whole(record: object) -> None:
    assert from_plain(type(record), flat_record(record)) == record
    assert from_plain(type(record), json.loads(json.dumps(flat_record(record)))) == record
    assert from_row(type(record), to_row(record)) == record


def test_rows_are_what_the_database_has_always_held() -> None:
    """Byte for byte the row the encoder before issue 18 wrote: nothing stored
    needs converting."""
    incident = every_kind()[2]
    row = to_row(incident)
    assert row["started_at"] == "2026-11-22T09:00:01.123456+00:00"
    assert row["updated_at"] == "2026-11-22T09:00:01.123463+00:00"
    assert row["customer_proposed"] == 1 and type(row["customer_proposed"]) is int
    assert row["apology_kind"] == "direct" and type(row["apology_kind"]) is str
    assert row["abuse_level"] == 2 and type(row["abuse_level"]) is int
    assert row["next_steps"] == (
        '[{"what": "refund", "who": "billing", "due": "2026-11-24"}, '
        '{"what": "call back", "who": "", "due": null}, '
        '{"what": "\\u00fcn\\u00ef", "who": "\\u4e2d", "due": null}]'
    )
    assert row["voice"] == (
        '{"baseline_dbfs": -30.5, "max_over_baseline_db": 7.25, "talk_share": 0.4, '
        '"cue_counts": [["raised_voice", 2]], "levels_db": [-30.0, null, -22.5], '
        '"cue_marks": [["raised_voice", 12.5]]}'
    )
    assert to_row(every_kind()[3])["voice"] == (
        '{"baseline_dbfs": null, "max_over_baseline_db": null, "talk_share": null, '
        '"cue_counts": [], "levels_db": [], "cue_marks": []}'
    )


def test_rows_written_before_read_whole_and_stored_rows_come_back_unchanged(
    tmp_path: Path,
) -> None:
    """Rows as older Calmline wrote them (voice figures from before the per-second
    levels, a promise without 'who') read whole; and any stored row, read and
    encoded again, is the very text it was."""
    path = tmp_path / "calmline.db"
    store = Store(open_database(path))
    shift = store.save(replace(every_kind()[0], meta=Meta()))
    full = store.save(replace(every_kind()[2], shift_id=shift.meta.id, meta=Meta()))
    old = store.save(Incident(shift.meta.id, T0))
    store.db.conn.execute(
        "UPDATE incidents SET voice = ?, next_steps = ? WHERE id = ?",
        ['{"baseline_dbfs": -31.0, "cue_counts": [["raised_voice", 1]]}',
         '[{"what": "refund", "due": "2026-11-24"}]', old.meta.id],
    )  # fmt: skip
    read = store.get(Incident, old.meta.id)
    assert read.voice == VoiceFigures(baseline_dbfs=-31.0, cue_counts=(("raised_voice", 1),))
    assert read.next_steps == (Promise("refund", "", date(2026, 11, 24)),)
    store.close()
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    for cls, table, rid in (
        (Shift, "shifts", shift.meta.id),
        (Incident, "incidents", full.meta.id),
    ):
        row = dict(db.execute(f"SELECT * FROM {table} WHERE id = ?", [rid]).fetchone())
        assert to_row(from_row(cls, row)) == row
    db.close()


def test_plain_values_are_json_as_exports_and_documents_carry_them() -> None:
    incident = every_kind()[2]
    flat = flat_record(incident)
    assert list(flat)[:4] == ["id", "version", "created_at", "updated_at"]
    assert flat["customer_proposed"] is True and flat["abuse_level"] == 2
    assert flat["next_steps"][0] == {"what": "refund", "who": "billing", "due": "2026-11-24"}
    assert flat["voice"]["cue_marks"] == [["raised_voice", 12.5]]
    assert flat["finalised_at"] == "2026-11-22T09:06:01.123456+00:00"
    assert plain((T0, date(2026, 1, 2), StepAction.TICK)) == [iso(T0), "2026-01-02", "tick"]


def test_documents_older_calmline_wrote_still_validate_read_and_yield(tmp_path: Path) -> None:
    """A team store holds documents with milliseconds: they meet the shipped
    schema, their record reads back, and a newer version replaces them while an
    older one does not."""
    schema = json.loads(resource_path("schemas", "sync-document.schema.json").read_text())
    shift = every_kind()[0]
    new = SyncDoc("shift", shift.meta.id, 2, "agent-7", "2026-11-22", flat_record(shift))
    old_record = dict(new.record)
    for key in ("created_at", "updated_at", "started_at", "ended_at"):
        old_record[key] = parse_iso(old_record[key]).isoformat(timespec="milliseconds")
    old = replace(new, version=1, record=old_record)
    for doc in (old, new):
        jsonschema.validate(doc.document(), schema)
    assert from_plain(Shift, old.record) == replace(
        shift,
        started_at=MS,
        ended_at=MS + timedelta(hours=8),
        meta=replace(META, created_at=MS, updated_at=MS),
    )

    root = tmp_path / "team"
    root.mkdir()
    (root / ".calmline-store").touch()
    path = root / "agent-7" / "2026-11-22" / f"shift-{shift.meta.id}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(old.document()))
    assert FolderTarget(root).send([new]).confirmed
    assert json.loads(path.read_text())["record"] == new.record
    assert FolderTarget(root).send([old]).confirmed  # an older one never replaces it
    assert json.loads(path.read_text())["record"] == new.record
