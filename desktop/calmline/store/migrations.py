"""Versioned schema. Migrations are frozen history: never edit one that shipped,
add a new one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("calmline")

_META = """
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL CHECK (version >= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL"""


@migrations(name="0001_initial")
def _initial(db: Database) -> None:
    db.executescript(f"""
    CREATE TABLE shifts (
        agent_id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,{_META}
    );
    CREATE TABLE incidents (
        shift_id TEXT NOT NULL REFERENCES shifts(id),
        started_at TEXT NOT NULL,
        ended_at TEXT,
        playbook_id TEXT NOT NULL DEFAULT '',
        caller_number TEXT NOT NULL DEFAULT '',
        customer_ref TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL DEFAULT '',
        facts TEXT NOT NULL DEFAULT '',
        apology_kind TEXT NOT NULL DEFAULT 'none',
        customer_proposed INTEGER NOT NULL DEFAULT 0,
        customer_solution TEXT NOT NULL DEFAULT '',
        resolution TEXT NOT NULL DEFAULT 'none',
        resolution_reason TEXT NOT NULL DEFAULT '',
        agreed_resolution TEXT NOT NULL DEFAULT '',
        next_steps TEXT NOT NULL DEFAULT '[]',
        compensation_kind TEXT NOT NULL DEFAULT '',
        compensation_amount TEXT NOT NULL DEFAULT '',
        escalated_to TEXT NOT NULL DEFAULT '',
        abuse_level INTEGER NOT NULL DEFAULT 0,
        warnings_given INTEGER NOT NULL DEFAULT 0,
        best_practice INTEGER NOT NULL DEFAULT 0,
        best_practice_text TEXT NOT NULL DEFAULT '',
        mood_start INTEGER,
        mood_end INTEGER,
        voice TEXT NOT NULL DEFAULT '{{}}',
        status TEXT NOT NULL DEFAULT 'draft',{_META}
    );
    CREATE INDEX incidents_shift ON incidents(shift_id);
    CREATE INDEX incidents_caller ON incidents(caller_number);
    CREATE TABLE notes (
        shift_id TEXT NOT NULL REFERENCES shifts(id),
        incident_id TEXT REFERENCES incidents(id),
        text TEXT NOT NULL,
        wall_time TEXT NOT NULL,
        call_offset_s REAL,{_META}
    );
    CREATE INDEX notes_incident ON notes(incident_id);
    CREATE TABLE step_events (
        incident_id TEXT NOT NULL REFERENCES incidents(id),
        step_id TEXT NOT NULL,
        action TEXT NOT NULL,
        wall_time TEXT NOT NULL,
        call_offset_s REAL NOT NULL,
        playbook_id TEXT NOT NULL DEFAULT '',{_META}
    );
    CREATE INDEX step_events_incident ON step_events(incident_id);
    CREATE TABLE followups (
        incident_id TEXT NOT NULL REFERENCES incidents(id),
        what TEXT NOT NULL,
        who TEXT NOT NULL DEFAULT '',
        due TEXT,
        done_at TEXT,
        done_note TEXT NOT NULL DEFAULT '',{_META}
    );
    CREATE INDEX followups_due ON followups(due);
    -- One row per record with changes the team store has not confirmed yet.
    CREATE TABLE outbox (
        record_type TEXT NOT NULL,
        record_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        queued_at TEXT NOT NULL,
        PRIMARY KEY (record_type, record_id)
    );
    """)
    db.table("incidents").enable_fts(
        [
            "caller_number",
            "customer_ref",
            "category",
            "summary",
            "facts",
            "agreed_resolution",
            "customer_solution",
            "best_practice_text",
        ],
        fts_version="FTS5",
        create_triggers=True,
    )
    db.table("notes").enable_fts(["text"], fts_version="FTS5", create_triggers=True)


# Characters people and softphones put inside phone numbers and references.
NUMBER_SEPARATORS = " +-().\\/"


def _squeezed(expr: str) -> str:
    """SQL removing NUMBER_SEPARATORS from ``expr``, lower-cased."""
    for ch in NUMBER_SEPARATORS:
        expr = f"replace({expr}, '{ch}', '')"
    return f"lower({expr})"


@migrations(name="0002_after_call")
def _after_call(db: Database) -> None:
    """When after-call work ended; caller numbers searchable by any run of
    digits; search ranked by field; follow-ups and categories indexed."""
    key = f"{_squeezed('new.caller_number')} || ' ' || {_squeezed('new.customer_ref')}"
    db.executescript(f"""
    ALTER TABLE incidents ADD COLUMN finalised_at TEXT;
    UPDATE incidents SET finalised_at = updated_at WHERE status = 'final';
    CREATE INDEX incidents_category ON incidents(category COLLATE NOCASE);
    CREATE INDEX incidents_customer ON incidents(customer_ref);
    CREATE INDEX incidents_started ON incidents(started_at);
    CREATE INDEX followups_open ON followups(done_at, due);
    CREATE VIRTUAL TABLE numbers_fts USING fts5(key, tokenize = 'trigram');
    INSERT INTO numbers_fts (rowid, key)
        SELECT rowid, {key.replace("new.", "")} FROM incidents;
    CREATE TRIGGER numbers_ai AFTER INSERT ON incidents BEGIN
        INSERT INTO numbers_fts (rowid, key) VALUES (new.rowid, {key});
    END;
    CREATE TRIGGER numbers_au AFTER UPDATE OF caller_number, customer_ref ON incidents BEGIN
        UPDATE numbers_fts SET key = {key} WHERE rowid = new.rowid;
    END;
    CREATE TRIGGER numbers_ad AFTER DELETE ON incidents BEGIN
        DELETE FROM numbers_fts WHERE rowid = old.rowid;
    END;
    -- bm25 weights: who and what kind of problem first, then what worked.
    INSERT INTO incidents_fts (incidents_fts, rank)
        VALUES ('rank', 'bm25(8.0, 8.0, 4.0, 2.0, 1.0, 2.0, 2.0, 3.0)');
    """)


@migrations(name="0003_sync_set_aside")
def _sync_set_aside(db: Database) -> None:
    """Records a sync target refused for good (row-level security, a validation
    answer): kept out of the next runs to that target until the record changes
    (a newer version) or the agent asks again; they stay in the outbox meanwhile,
    so they are never purged and never counted as synced."""
    db.executescript("""
    CREATE TABLE sync_set_aside (
        record_type TEXT NOT NULL,
        record_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        target TEXT NOT NULL,
        reason TEXT NOT NULL,
        set_aside_at TEXT NOT NULL,
        PRIMARY KEY (record_type, record_id)
    );
    """)


@migrations(name="0004_step_source")
def _step_source(db: Database) -> None:
    """Which door ticked a step (clicked, hotkey, softphone, heard); '' for the
    events saved before it was recorded."""
    db.executescript("ALTER TABLE step_events ADD COLUMN source TEXT NOT NULL DEFAULT '';")


@migrations(name="0005_team_memory")
def _team_memory(db: Database) -> None:
    """The agent's own caution-marker proposals and promises kept for others
    (synced like every record); and the local cache of the team's memory: the
    caller-facing values other agents' Calmlines sent to the team store, keyed
    by the normalised caller number and reference (core/team.py), each held as
    its JSON (``item``), with the folder reader's index and the refresh's
    cursor. The cache is rebuilt from the team store at will: nothing in it is
    the agent's own record."""
    db.executescript(f"""
    CREATE TABLE markers (
        incident_id TEXT NOT NULL REFERENCES incidents(id),
        reason TEXT NOT NULL,
        proposed_at TEXT NOT NULL,
        caller_number TEXT NOT NULL DEFAULT '',
        customer_ref TEXT NOT NULL DEFAULT '',{_META}
    );
    CREATE INDEX markers_incident ON markers(incident_id);
    CREATE TABLE kept_promises (
        followup_id TEXT NOT NULL,
        incident_id TEXT NOT NULL REFERENCES incidents(id),
        kept_at TEXT NOT NULL,{_META}
    );
    CREATE INDEX kept_promises_incident ON kept_promises(incident_id);
    CREATE TABLE team_incidents (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        agent_id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        number_key TEXT NOT NULL,
        ref_key TEXT NOT NULL,
        search_text TEXT NOT NULL,
        item TEXT NOT NULL
    );
    CREATE INDEX team_incidents_number ON team_incidents(number_key, started_at)
        WHERE number_key != '';
    CREATE INDEX team_incidents_ref ON team_incidents(ref_key, started_at) WHERE ref_key != '';
    CREATE INDEX team_incidents_started ON team_incidents(started_at);
    CREATE TABLE team_promises (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        incident_id TEXT NOT NULL,
        due TEXT,
        open INTEGER NOT NULL,
        item TEXT NOT NULL
    );
    CREATE INDEX team_promises_open ON team_promises(incident_id) WHERE open;
    CREATE TABLE team_kept (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        followup_id TEXT NOT NULL,
        item TEXT NOT NULL
    );
    CREATE INDEX team_kept_followup ON team_kept(followup_id);
    CREATE TABLE team_markers (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        number_key TEXT NOT NULL,
        ref_key TEXT NOT NULL,
        proposed_at TEXT NOT NULL,
        item TEXT NOT NULL
    );
    CREATE INDEX team_markers_number ON team_markers(number_key) WHERE number_key != '';
    CREATE INDEX team_markers_ref ON team_markers(ref_key) WHERE ref_key != '';
    CREATE TABLE team_decisions (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        marker_id TEXT NOT NULL,
        item TEXT NOT NULL
    );
    CREATE INDEX team_decisions_marker ON team_decisions(marker_id);
    CREATE TABLE team_folder_dirs (rel_dir TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL);
    CREATE TABLE team_folder_files (
        rel_dir TEXT NOT NULL,
        name TEXT NOT NULL,
        mtime_ns INTEGER NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (rel_dir, name)
    ) WITHOUT ROWID;
    CREATE TABLE team_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """)
