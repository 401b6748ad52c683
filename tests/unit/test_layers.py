"""The layer rule of DESIGN.md: ui -> store/sync/audio/platform -> core."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "desktop" / "calmline"
OUTER = {
    "store",
    "sync",
    "audio",
    "platform",
    "ui",
    "app",
    "cli",
    "context",
    "doctor",
    "flow",
    "forward",
    "sync_command",
    "selftest",
    "incidents_command",
    "report_command",
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(layer: str) -> list[Path]:
    return sorted((PKG / layer).rglob("*.py"))


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "calmline" and len(parts) > 1 else None


@pytest.mark.parametrize("path", modules("core"), ids=lambda p: p.name)
def test_core_imports_no_qt_and_no_outer_layer(path: Path) -> None:
    for name in imports_of(path):
        assert not name.startswith(
            ("PySide6", "pyqtgraph", "shiboken6", "sounddevice", "sqlite3", "sqlite_utils")
        ), f"{path.name} imports {name}"
        assert layer_of(name) not in OUTER, f"{path.name} imports {name}"


@pytest.mark.parametrize("layer", ["store", "sync", "audio", "platform"])
def test_middle_layers_import_no_ui(layer: str) -> None:
    for path in modules(layer):
        for name in imports_of(path):
            # platform/ may use Qt's non-GUI modules (local socket, native event
            # filters for hotkeys); widgets stay in ui/.
            qt_ok = layer == "platform" and name in {"PySide6.QtCore", "PySide6.QtNetwork"}
            assert qt_ok or not name.startswith(("PySide6", "pyqtgraph")), f"{path} imports {name}"
            assert layer_of(name) not in {"ui", "app", "cli", "context", "doctor"}, (
                f"{path} imports {name}"
            )


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from calmline.ui.main_window import CompanionWindow\nimport PySide6\n")
    found = imports_of(bad)
    assert "calmline.ui.main_window" in found and layer_of("calmline.ui.main_window") == "ui"
    assert "PySide6" in found


def test_modules_stay_small() -> None:
    for path in PKG.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, f"{path} is over 400 lines"
