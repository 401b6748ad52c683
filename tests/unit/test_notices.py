"""The licence files and the notices/SBOM helpers, on this venv's real distributions."""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
# sha256 of the Apache License 2.0 as published at apache.org/licenses/LICENSE-2.0.txt
# (the same bytes Debian ships as /usr/share/common-licenses/Apache-2.0).
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


@pytest.fixture(scope="module")
def installers() -> Iterator[dict[str, ModuleType]]:
    sys.path.insert(0, str(ROOT / "installers"))
    try:
        import bundle_contents
        import notices
        import sbom

        yield {"contents": bundle_contents, "notices": notices, "sbom": sbom}
    finally:
        sys.path.remove(str(ROOT / "installers"))


def test_licence_is_the_verbatim_apache_2_text() -> None:
    data = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(data).hexdigest() == APACHE_2_SHA256
    assert b"Version 2.0, January 2004" in data[:200]


def test_pyproject_declares_the_licence() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "Apache-2.0"
    assert project["project"]["license-files"] == ["LICENSE"]
    assert "setuptools>=77" in project["build-system"]["requires"]  # PEP 639 support


def test_licence_expression_prefers_the_spdx_field(installers: dict[str, ModuleType]) -> None:
    expression = installers["notices"].licence_expression
    assert expression(md.distribution("numpy")) == md.metadata("numpy")["License-Expression"]
    assert expression(md.distribution("pyqtgraph")) == "MIT"  # the License field
    assert expression(md.distribution("colorama")) == "BSD License"  # a classifier only


def test_licence_files_are_the_ones_the_wheel_ships(installers: dict[str, ModuleType]) -> None:
    files = installers["notices"].licence_files
    psycopg = files(md.distribution("psycopg"))
    assert [p.name for p in psycopg] == ["LICENSE.txt"]
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in psycopg[0].read_text(encoding="utf-8")
    assert len(files(md.distribution("numpy"))) > 5  # its vendored libraries' licences too
    assert files(md.distribution("PySide6_Essentials")) == []  # hence the allow-list


def test_a_distribution_without_licence_text_fails_naming_it(
    installers: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    notices = installers["notices"]
    contents = installers["contents"].Contents(
        internal=ROOT,
        programs=(),
        distributions={"pyside6-essentials": md.distribution("PySide6_Essentials")},
        evidence={"pyside6-essentials": ["PySide6/QtCore.abi3.so"]},
    )
    assert "pyside6-essentials" in notices.ALLOWED_WITHOUT_TEXT
    assert "PySide6_Essentials 6" in notices.render(contents)
    monkeypatch.setattr(notices, "ALLOWED_WITHOUT_TEXT", {})
    with pytest.raises(SystemExit, match=r"pyside6-essentials \(in the bundle as PySide6/"):
        notices.render(contents)


def test_a_folder_that_is_not_a_bundle_is_refused(
    installers: dict[str, ModuleType], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("not a program", encoding="utf-8")
    with pytest.raises(SystemExit, match="no PyInstaller program"):
        installers["contents"].read(tmp_path)
    with pytest.raises(SystemExit, match="make bundle"):
        installers["contents"].read(tmp_path / "missing")


def test_module_names_from_installed_paths(installers: dict[str, ModuleType]) -> None:
    name = installers["contents"]._module_name
    assert name("numpy/__init__.py") == "numpy"
    assert name("numpy/linalg/_umath_linalg.cpython-313-x86_64-linux-gnu.so") == (
        "numpy.linalg._umath_linalg"
    )
    assert name("_cffi_backend.cpython-313-x86_64-linux-gnu.so") == "_cffi_backend"
    assert name("numpy-2.5.5.dist-info/RECORD") is None
    assert name("numpy.libs/libscipy_openblas64_-4b78795a.so") is None  # not importable


def test_sbom_cut_keeps_only_bundled_components_and_their_edges(
    installers: dict[str, ModuleType],
) -> None:
    bom = {
        "metadata": {"component": {"bom-ref": "root-component", "name": "calmline"}},
        "components": [
            {"bom-ref": "numpy==2", "name": "numpy", "version": "2"},
            {"bom-ref": "pytest==8", "name": "pytest", "version": "8"},
            {"bom-ref": "PyYAML==6", "name": "PyYAML", "version": "6"},
        ],
        "dependencies": [
            {"ref": "root-component", "dependsOn": ["numpy==2", "pytest==8"]},
            {"ref": "pytest==8", "dependsOn": ["PyYAML==6"]},
            {"ref": "PyYAML==6", "dependsOn": ["pytest==8"]},
        ],
    }
    cut = installers["sbom"].cut_to(bom, {"numpy", "pyyaml"}, "1.2.3")
    assert [c["name"] for c in cut["components"]] == ["numpy", "PyYAML"]
    assert cut["metadata"]["component"] == {
        "bom-ref": "root-component",
        "name": "Calmline",
        "version": "1.2.3",
    }
    assert cut["dependencies"] == [
        {"ref": "root-component", "dependsOn": ["numpy==2"]},
        {"ref": "PyYAML==6"},
    ]
    with pytest.raises(SystemExit, match="did not list bundled"):
        installers["sbom"].cut_to(bom, {"numpy", "soxr"}, "1.2.3")
