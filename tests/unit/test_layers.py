"""The layer rule of DESIGN.md: ui -> store/sync/audio/platform -> core; the
database handle only in store/ (the UI asks core/queries.py); sys.platform only
in platform/; the package top only the composition roots and the flow."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "desktop" / "calmline"
OUTER = {"store", "sync", "audio", "platform", "ui", "app", "cli", "context", "flow"}
TOP = {"__init__", "__main__", "app", "context", "flow"}  # composition roots and the flow


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports; ``from a import b`` counts as a and a.b (b may
    be a module: ``from calmline import store``). Relative imports are refused."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import — spell the room out"
            assert node.module
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
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
            qt_ok = layer == "platform" and name.split(".")[:2] in (
                ["PySide6", "QtCore"],
                ["PySide6", "QtNetwork"],
            )
            assert qt_ok or not name.startswith(("PySide6", "pyqtgraph")), f"{path} imports {name}"
            assert layer_of(name) not in {"ui", "app", "cli", "context", "flow"}, (
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


def package_modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def inside(path: Path, layer: str) -> bool:
    return path.relative_to(PKG).parts[0] == layer


def handle_uses(path: Path) -> list[str]:
    """What in ``path`` touches a database handle: ``x.db``, ``open_database``,
    ``sqlite3``/``sqlite_utils`` used for more than an exception type (however
    imported)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            for a in node.names:
                full = f"{module}.{a.name}" if module else a.name
                root = full.split(".")[0]
                aliased = isinstance(node, ast.Import) and a.asname not in (None, root)
                named = module is not None and not a.name.endswith("Error")
                if root in ("sqlite3", "sqlite_utils") and (aliased or named):
                    found.append(f"line {node.lineno}: import of {full}")
        if isinstance(node, ast.Attribute) and node.attr == "db":
            found.append(f"line {node.lineno}: .db")
        elif isinstance(node, ast.Name) and node.id in ("open_database", "Database"):
            found.append(f"line {node.lineno}: {node.id}")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("sqlite3", "sqlite_utils")
            and not node.attr.endswith("Error")
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize(
    "path", [p for p in package_modules() if not inside(p, "store")], ids=lambda p: p.name
)
def test_no_database_handle_outside_store(path: Path) -> None:
    assert handle_uses(path) == [], f"{path} touches the database handle"


@pytest.mark.parametrize("path", modules("ui"), ids=lambda p: p.name)
def test_the_ui_reads_through_queries_never_the_store(path: Path) -> None:
    for name in imports_of(path):
        assert layer_of(name) != "store", f"{path.name} imports {name}: ask core/queries.py"
        assert not name.startswith(("sqlite3", "sqlite_utils")), f"{path.name} imports {name}"
    stores = [
        n.lineno
        for n in ast.walk(ast.parse(path.read_text()))
        if isinstance(n, ast.Attribute) and n.attr == "store"
    ]
    assert stores == [], f"{path.name} reaches the store (lines {stores}): ask flow.queries"


def test_sys_platform_is_read_only_in_platform() -> None:
    for path in package_modules():
        if inside(path, "platform"):
            continue
        tree = ast.parse(path.read_text())
        reads = [
            n.lineno
            for n in ast.walk(tree)
            if (
                isinstance(n, ast.Attribute)
                and n.attr == "platform"
                and isinstance(n.value, ast.Name)
                and n.value.id == "sys"
            )
            or (
                isinstance(n, ast.ImportFrom)
                and n.module == "sys"
                and any(a.name == "platform" for a in n.names)
            )
        ]
        assert reads == [], f"{path} reads sys.platform (lines {reads}): ask platform/"


def test_the_package_top_holds_only_the_composition_roots_and_the_flow() -> None:
    top = {p.stem for p in PKG.glob("*.py")}
    assert top <= TOP, f"{sorted(top - TOP)} belong in a room (cli/, core/, ui/...)"


def test_the_handle_rule_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import sqlite3\nflow.store.db.execute('x')\nc = sqlite3.connect('f')\n"
        "try:\n    pass\nexcept sqlite3.DatabaseError:\n    pass\n"
    )
    assert sorted(handle_uses(bad)) == ["line 2: .db", "line 3: sqlite3.connect"]
    sly = tmp_path / "sly.py"
    sly.write_text("from sqlite3 import connect\nimport sqlite3 as s\nfrom calmline import store\n")
    assert sorted(handle_uses(sly)) == [
        "line 1: import of sqlite3.connect",
        "line 2: import of sqlite3",
    ]
    assert "calmline.store" in imports_of(sly) and layer_of("calmline.store") == "store"
