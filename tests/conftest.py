from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private CALMLINE_HOME: settings, database and logs in one temp folder."""
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("CALMLINE_HOME", str(root))
    return root
