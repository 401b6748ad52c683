"""macOS only (the macos job of .github/workflows/ci.yml): Carbon hotkey registration and
release, and the Managed Preferences reader on a real plist."""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    sys.platform != "darwin", reason="macOS only: runs on the macos-latest CI job"
)


def test_carbon_registers_and_releases_a_hotkey() -> None:
    from calmline.core.hotkeys import parse_chord
    from calmline.platform.hotkeys.macos import MacHotkeys

    chord = parse_chord("Ctrl+Shift+F19")
    keys = MacHotkeys()
    keys.register(chord, lambda: None)
    assert len(keys.refs) == 1 and keys.refs[0].value
    keys.close()
    again = MacHotkeys()
    again.register(chord, lambda: None)  # released: it can be taken again
    again.close()


def test_managed_preferences_plist_is_read_as_locked_policy(tmp_path: Path) -> None:
    from calmline.platform.policy import MacPlistPolicy

    url = "https://calmline.example.com/api/records"
    path = tmp_path / "com.calmline.Calmline.plist"
    path.write_bytes(plistlib.dumps({"start_at_login": True, "sync": {"target": url}}))
    layer = MacPlistPolicy(path).read()
    assert layer is not None and not layer.problems, layer
    assert layer.values["sync"]["target"] == url
    assert layer.values["start_at_login"] is True
