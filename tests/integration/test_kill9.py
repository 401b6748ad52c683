"""The database survives SIGKILL during writes: every committed record is there."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

WRITER = Path(__file__).with_name("kill_writer.py")


def test_database_survives_kill_9_during_writes(home: Path) -> None:
    rng = random.Random(7)
    committed_notes: set[str] = set()
    versions: dict[str, int] = {}
    for _round in range(5):
        proc = subprocess.Popen(
            [sys.executable, str(WRITER)], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
        )
        assert proc.stdout is not None
        stop_after = rng.randint(20, 400)
        for _ in range(stop_after):
            line = proc.stdout.readline()
            assert line, "the writer died on its own"
            kind, record_id, *rest = line.split()
            if kind == "note":
                committed_notes.add(record_id)
            elif kind == "version":
                versions[record_id] = int(rest[0])
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL

    db = sqlite3.connect(home / "calmline.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = {r[0] for r in db.execute("SELECT id FROM notes")}
    assert committed_notes <= stored, f"{len(committed_notes - stored)} committed notes lost"
    for inc_id, version in versions.items():
        (have,) = db.execute("SELECT version FROM incidents WHERE id = ?", [inc_id]).fetchone()
        assert have >= version
    # The full-text index kept up with the table through every kill.
    assert db.execute("INSERT INTO notes_fts(notes_fts) VALUES ('integrity-check')")
    assert len(committed_notes) > 50
