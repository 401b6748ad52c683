"""Foundation figures: start-up work and the cost of saving a note.
Run with `make bench`; never part of `make test`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from calmline.context import Context
from calmline.core.records import Incident, Note, Shift


def test_bench_load_settings_and_playbooks(home: Path, benchmark: BenchmarkFixture) -> None:
    (home / "config.toml").write_text('agent_id = "a1"\n[cues]\nraised_voice_db = 7\n')

    def load() -> None:
        ctx = Context.load()
        ctx.playbook()
        ctx.playbook(abusive=True)

    benchmark(load)


def test_bench_save_note(home: Path, benchmark: BenchmarkFixture) -> None:
    """A quick note: one transaction with the outbox entry, synchronous=FULL."""
    store = Context.load().open_store()
    now = datetime.now(UTC)
    shift = store.save(Shift(agent_id="a1", started_at=now))
    inc = store.save(Incident(shift_id=shift.meta.id, started_at=now))

    def save() -> None:
        store.save(
            Note(
                shift.meta.id,
                "caller wants a refund by Friday",
                datetime.now(UTC),
                inc.meta.id,
                12.5,
            )
        )

    benchmark(save)
