"""Writes records in a loop, printing each id once its transaction committed.
Used by test_kill9.py, which kills this process with SIGKILL mid-write."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime

from calmline.context import Context
from calmline.core.records import Incident, Note, Shift

store = Context.load().open_store()
now = datetime.now(UTC)
shift = store.open_shift() or store.save(Shift(agent_id="k", started_at=now))
inc = store.save(Incident(shift_id=shift.meta.id, started_at=now))
print(f"incident {inc.meta.id}", flush=True)
n = 0
while True:
    n += 1
    note = store.save(
        Note(shift.meta.id, f"note {n} " + "x" * 200, datetime.now(UTC), inc.meta.id, float(n))
    )
    print(f"note {note.meta.id}", flush=True)
    inc = store.save(replace(inc, summary=f"- {n} notes so far"))
    print(f"version {inc.meta.id} {inc.meta.version}", flush=True)
    if n > 100_000:
        sys.exit(0)
