from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from calmline.context import Context
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
    VoiceFigures,
)
from calmline.platform.fs import fs_type_at, network_share_reason, parse_mount_output
from calmline.store.codec import to_row
from calmline.store.database import (
    StoreError,
    latest_schema_version,
    open_database,
    schema_version,
)
from calmline.store.migrations import migrations
from calmline.store.repository import NotFoundError, StaleRecordError, Store
from calmline.store.search import SearchQuery

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(open_database(tmp_path / "calmline.db"))


def seed(store: Store, **incident: object) -> tuple[Shift, Incident]:
    shift = store.save(Shift(agent_id="a1", started_at=T0))
    inc = store.save(
        Incident(shift_id=shift.meta.id, started_at=T0 + timedelta(minutes=1), **incident)
    )  # type: ignore[arg-type]
    return shift, inc


def test_pragmas_and_schema(store: Store) -> None:
    db = store.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert schema_version(db) == len(migrations._migrations)
    assert {
        "shifts",
        "incidents",
        "notes",
        "step_events",
        "followups",
        "outbox",
        "incidents_fts",
        "notes_fts",
    } <= set(db.table_names())


def test_every_incident_field_round_trips(store: Store) -> None:
    shift = store.save(Shift(agent_id="a1", started_at=T0))
    full = Incident(
        shift_id=shift.meta.id,
        started_at=T0,
        ended_at=T0 + timedelta(seconds=300),
        playbook_id="irate-caller",
        caller_number="+44 20 7946 0000",
        customer_ref="C-99",
        category="billing",
        summary="- overcharged\n- wants refund",
        facts="invoice 12",
        apology_kind=ApologyKind.BLAMELESS,
        customer_proposed=True,
        customer_solution="credit",
        resolution=Resolution.PENDING,
        resolution_reason="",
        agreed_resolution="refund by Fri",
        next_steps=(
            Promise("email refund confirmation", "agent", date(2026, 11, 27)),
            Promise("call back"),
        ),
        compensation_kind="credit",
        compensation_amount="15.50",
        escalated_to="billing team",
        abuse_level=AbuseLevel.AGGRESSIVE,
        warnings_given=1,
        best_practice=True,
        best_practice_text="offer credit first",
        mood_start=1,
        mood_end=4,
        voice=VoiceFigures(-30.5, 7.2, 0.41, (("raised_voice", 2),)),
        status=IncidentStatus.FINAL,
    )
    saved = store.save(full)
    assert store.get(Incident, saved.meta.id) == saved
    assert saved.meta.version == 1 and saved.meta.created_at == saved.meta.updated_at


def test_version_increments_and_outbox_tracks_latest(store: Store) -> None:
    shift, inc = seed(store)
    v2 = store.save(replace(inc, summary="- angry about bill"))
    v3 = store.save(replace(v2, status=IncidentStatus.FINAL))
    assert (inc.meta.version, v2.meta.version, v3.meta.version) == (1, 2, 3)
    assert v3.meta.created_at == inc.meta.created_at
    assert v3.meta.updated_at is not None and v3.meta.updated_at >= inc.meta.created_at  # type: ignore[operator]
    box = {(e.record_type, e.record_id): e.version for e in store.outbox()}
    assert box == {("shift", shift.meta.id): 1, ("incident", inc.meta.id): 3}


def test_stale_write_is_refused(store: Store) -> None:
    _, inc = seed(store)
    store.save(replace(inc, summary="first"))
    with pytest.raises(StaleRecordError, match="reload it"):
        store.save(replace(inc, summary="second, from an old copy"))
    assert store.get(Incident, inc.meta.id).summary == "first"
    with pytest.raises(StaleRecordError):
        store.save(replace(inc, meta=replace(inc.meta, version=0)))


def test_foreign_keys_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.save(Note(shift_id="no-such-shift", text="x", wall_time=T0))
    assert store.outbox() == []  # the failed write left nothing half-done


def test_children_and_find(store: Store) -> None:
    shift, inc = seed(store)
    n2 = store.save(Note(shift.meta.id, "second", T0 + timedelta(seconds=20), inc.meta.id, 20))
    n1 = store.save(Note(shift.meta.id, "first", T0 + timedelta(seconds=10), inc.meta.id, 10))
    ev = store.save(StepEvent(inc.meta.id, "apologise", StepAction.TICK, T0, 5.0, "irate"))
    fu = store.save(FollowUp(inc.meta.id, "email", "agent", date(2026, 11, 29)))
    assert store.notes_for(inc.meta.id) == [n1, n2]
    assert store.step_events_for(inc.meta.id) == [ev]
    assert store.followups_for(inc.meta.id) == [fu]
    assert store.find(Incident, inc.meta.id[:8]) == inc
    with pytest.raises(NotFoundError, match="no incident"):
        store.find(Incident, "zzzz")
    assert store.open_shift() == shift


def find(store: Store, text: str) -> list[Incident]:
    return store.search(SearchQuery(text))


def test_full_text_search_over_incidents_and_notes(store: Store) -> None:
    shift, a = seed(store, caller_number="+44 7700 900123", summary="- parcel lost twice")
    b = store.save(
        Incident(
            shift_id=shift.meta.id,
            started_at=T0 + timedelta(hours=1),
            category="billing",
            summary="- double charge",
        )
    )
    store.save(Note(shift.meta.id, "caller mentions parcel again", T0, b.meta.id, 3.0))
    assert [i.meta.id for i in find(store, "double")] == [b.meta.id]
    assert {i.meta.id for i in find(store, "parcel")} == {a.meta.id, b.meta.id}
    assert [i.meta.id for i in find(store, "900123")] == [a.meta.id]
    assert find(store, '"quoted" OR') == []  # user text is never FTS syntax
    updated = store.save(replace(a, summary="- parcel found"))
    assert find(store, "lost") == [] and find(store, "found") == [updated]


def test_backup_before_migration(tmp_path: Path) -> None:
    path = tmp_path / "calmline.db"
    store = Store(open_database(path))
    seed(store)
    store.db.close()
    before = latest_schema_version()

    @migrations(name="9999_test_only")
    def _extra(db) -> None:  # type: ignore[no-untyped-def]
        db.execute("ALTER TABLE shifts ADD COLUMN site TEXT")

    try:
        db = open_database(path)
        backups = list(tmp_path.glob(f"calmline.db.v{before}-*.bak"))
        assert len(backups) == 1
        old = sqlite3.connect(backups[0])
        assert old.execute("SELECT count(*) FROM incidents").fetchone() == (1,)
        assert "site" not in [r[1] for r in old.execute("PRAGMA table_info(shifts)")]
        assert "site" in [r[1] for r in db.execute("PRAGMA table_info(shifts)")]
    finally:
        migrations._migrations.pop()


def test_version_1_database_upgrades_with_its_data(tmp_path: Path) -> None:
    """0002 adds finalised_at (final incidents take their last save) and indexes
    existing callers' numbers for search."""
    path = tmp_path / "calmline.db"
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="0002_after_call")
    shift = Shift("agent-7", T0, meta=Meta(version=1, created_at=T0, updated_at=T0))
    later = T0 + timedelta(minutes=20)
    inc = Incident(shift.meta.id, T0, caller_number="+44 20 7946 0958", status=IncidentStatus.FINAL)
    inc = replace(inc, meta=Meta(version=2, created_at=T0, updated_at=later))
    db.table("shifts").insert(to_row(shift))
    row = to_row(inc)
    del row["finalised_at"]  # not a column before 0002
    db.table("incidents").insert(row)
    db.close()

    store = Store(open_database(path))
    assert schema_version(store.db) == latest_schema_version() >= 2
    assert store.get(Incident, inc.meta.id).finalised_at == later
    assert find(store, "79460958") == [store.get(Incident, inc.meta.id)]
    assert len(list(tmp_path.glob("calmline.db.v1-*.bak"))) == 1


def test_fresh_database_is_not_backed_up(tmp_path: Path) -> None:
    open_database(tmp_path / "calmline.db")
    assert list(tmp_path.glob("*.bak")) == []


def test_damaged_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "calmline.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"calmline.db: .*\.bak"):
        open_database(path)


def test_one_connection_per_thread(store: Store) -> None:
    errors: list[BaseException] = []

    def other() -> None:
        try:
            store.incidents()
        except sqlite3.ProgrammingError as exc:
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert errors and "thread" in str(errors[0])


def test_network_share_detection(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        f"/dev/vda / ext4 rw 0 0\nsrv:/export {tmp_path}/share nfs4 rw 0 0\n"
        f"//srv/team {tmp_path}/smb cifs rw 0 0\n"
    )
    for d in ("share", "smb", "local"):
        (tmp_path / d).mkdir()
    assert "nfs4" in str(
        network_share_reason(tmp_path / "share" / "x" / "calmline.db", mounts_file=mounts)
    )
    assert "cifs" in str(network_share_reason(tmp_path / "smb" / "calmline.db", mounts_file=mounts))
    assert network_share_reason(tmp_path / "local" / "calmline.db", mounts_file=mounts) is None
    assert "UNC" in str(network_share_reason(Path("//server/share/calmline.db")))


def test_macos_mount_output_parsing() -> None:
    mounts = parse_mount_output(
        "/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)\n"
        "//agent@filer/Team Share on /Volumes/Team Share (smbfs, nodev, nosuid, mounted by a)\n"
    )
    assert mounts == [("/", "apfs"), ("/Volumes/Team Share", "smbfs")]
    assert fs_type_at(Path("/Volumes/Team Share/calmline/calmline.db"), mounts) == "smbfs"
    assert fs_type_at(Path("/Users/a/Library/calmline.db"), mounts) == "apfs"
    assert fs_type_at(Path("/Volumes/Team Shared/x"), mounts) == "apfs"


def test_context_refuses_a_network_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALMLINE_HOME", "//fileserver/agents/a1")
    with pytest.raises(StoreError, match=r"network .*local"):
        Context.load().open_store()


def test_two_processes_creating_the_database_at_once(tmp_path: Path) -> None:
    """Found when two launches raced: the loser failed with 'table already exists'."""
    path = tmp_path / "race.db"
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def opener() -> None:
        try:
            barrier.wait()
            open_database(path).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert schema_version(open_database(path)) == len(migrations._migrations)


def test_a_save_waits_its_turn_when_another_connection_writes_between_its_read_and_write(
    tmp_path: Path,
) -> None:
    """The team refresh and the sync write from their own threads and connections
    while the window saves. A transaction that read first, then wrote, used to
    fail at once ("database is locked") when the other wrote in between; it now
    takes the write lock first and the other waits its turn."""
    from calmline.core.team import TeamChanges
    from calmline.store.team_cache import TeamCache

    path = tmp_path / "c.db"
    window = Store(open_database(path))
    errors: list[BaseException] = []

    def refresh() -> None:  # its own connection, on its own thread, as the refresh has
        worker = Store(open_database(path))
        try:
            TeamCache(worker).apply(TeamChanges(cursor="page-2"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            worker.close()

    with window.transaction():
        window.db.execute("SELECT COUNT(*) FROM shifts").fetchone()  # a read first
        other = threading.Thread(target=refresh)
        other.start()
        other.join(0.5)  # it waits for the window's transaction (before the fix: it wrote)
        window.save(Shift(agent_id="agent-7", started_at=datetime.now(UTC)))
    other.join()
    assert errors == [] and TeamCache(window).cursor == "page-2"
    assert len(list(window.db.table("shifts").rows)) == 1
