"""Small real stand-ins shared by tests: a settable clock, playbooks, a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmline.context import ABUSIVE_PLAYBOOK, DEFAULT_PLAYBOOK, read_playbook
from calmline.core.records import VoiceFigures
from calmline.flow import Flow
from calmline.platform.paths import resource_path
from calmline.store.database import open_database
from calmline.store.repository import Store

IRATE = read_playbook(resource_path("playbooks", DEFAULT_PLAYBOOK))
ABUSIVE = read_playbook(resource_path("playbooks", ABUSIVE_PLAYBOOK))


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_flow(db_path: Path, clock: FakeClock, **kw: object) -> Flow:
    store = Store(open_database(db_path), clock)
    return Flow(store, IRATE, ABUSIVE, clock=clock, **kw)  # type: ignore[arg-type]


class FixedVoice:
    """A voice source (core/voice_source.py) whose every call has these figures."""

    def __init__(self, figures: VoiceFigures) -> None:
        self._figures = figures

    def set_agent(self, agent_id: str) -> None:
        pass

    def call_started(self) -> None:
        pass

    def figures(self) -> VoiceFigures:
        return self._figures

    def call_ended(self) -> None:
        pass
