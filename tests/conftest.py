from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]

from calmline.flow import Flow  # noqa: E402 - after the Qt platform is chosen
from tests.fakes import FakeClock, make_flow  # noqa: E402


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private CALMLINE_HOME: settings, database and logs in one temp folder."""
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("CALMLINE_HOME", str(root))
    return root


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def flow(tmp_path: Path, clock: FakeClock) -> Flow:
    """The real flow on a real SQLite file, on a settable clock."""
    return make_flow(tmp_path / "c.db", clock, agent_id="agent-7")
