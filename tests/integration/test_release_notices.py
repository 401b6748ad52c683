"""The bundle's licences, third-party notices and SBOM, read back from `make bundle`'s output.

The expected contents are found here a second way, not through installers/bundle_contents:
the module names PyInstaller's own pkg_archive_contents lists for each program, mapped by
the standard library's packages_distributions(), and a list of what Calmline imports."""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import sys
from pathlib import Path

import pytest
from PyInstaller.archive.readers import pkg_archive_contents

ROOT = Path(__file__).resolve().parents[2]
RULE = "=" * 78
# What Calmline imports at run time: each must be in the notices with its licence text.
RUNTIME = [
    "numpy",
    "PySide6_Essentials",
    "shiboken6",
    "pyqtgraph",
    "pydantic",
    "pydantic_core",
    "psycopg",
    "psycopg-binary",
    "pocketsphinx",
    "sounddevice",
    "soundcard",
    "soxr",
    "sqlite-utils",
    "platformdirs",
    "keyring",
    "stamina",
    "truststore",
    *(["python-xlib"] if sys.platform == "linux" else []),
]
# Installed in the build venv for the tests and the build, never in the bundle.
TEST_ONLY = ["pytest", "pytest-qt", "mypy", "ruff", "jsonschema", "cyclonedx-bom", "pillow"]
TEST_ONLY += ["scipy", "keyrings.alt", "piper-tts", "openapi-spec-validator"]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sections(text: str) -> dict[str, str]:
    """Title line -> body, for the RULE / title / RULE headings of the notices."""
    parts = re.split(rf"^{RULE}\n(.+)\n{RULE}\n", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _licence_texts(dist: md.Distribution) -> list[str]:
    names = ("LICEN", "COPYING", "NOTICE")
    return [
        Path(str(dist.locate_file(f))).read_text(encoding="utf-8", errors="replace").strip()
        for f in dist.files or ()
        if f.parts[0].endswith(".dist-info") and f.name.upper().startswith(names)
    ]


@pytest.fixture(scope="module")
def notices(bundle: Path) -> dict[str, str]:
    return _sections((bundle / "THIRD-PARTY-NOTICES.txt").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def listed(notices: dict[str, str]) -> dict[str, str]:
    """Canonical distribution name -> version, from the notices' section titles."""
    found = {}
    for title in notices:
        name, _, version = title.rpartition(" ")
        if re.fullmatch(r"[\w.+!-]+", version) and " " not in name:
            found[_canonical(name)] = version
    return found


@pytest.fixture(scope="module")
def sbom(release_dir: Path) -> dict:
    return json.loads((release_dir / "Calmline-sbom.cdx.json").read_text(encoding="utf-8"))


def _bundled_by_pyinstaller(bundle: Path) -> set[str]:
    """Distributions owning a top-level module in any program's archives."""
    owners = md.packages_distributions()
    names: set[str] = set()
    for program in ("Calmline", "calmline-cli"):
        for module in pkg_archive_contents(str(bundle / program)):
            names.update(_canonical(d) for d in owners.get(module.split(".")[0], []))
    return names - {"calmline"}


def test_licence_and_notices_ship_in_the_bundle(bundle: Path) -> None:
    assert (bundle / "LICENSE.txt").read_bytes() == (ROOT / "LICENSE").read_bytes()
    text = (bundle / "THIRD-PARTY-NOTICES.txt").read_text(encoding="utf-8")
    assert text.startswith("Calmline ")
    assert "Apache License 2.0" in text.splitlines()[2]


def test_every_bundled_distribution_is_in_the_notices(bundle: Path, listed: dict[str, str]) -> None:
    expected = _bundled_by_pyinstaller(bundle) | {_canonical(n) for n in RUNTIME}
    assert len(expected) > 30, expected  # the archives were read, not an empty list
    assert expected - set(listed) == set()
    for name in expected:
        assert listed[name] == md.version(name), name
    assert "calmline" not in listed  # ours, not third-party


def test_test_only_distributions_are_not_in_the_notices(listed: dict[str, str]) -> None:
    for name in TEST_ONLY:
        md.version(name)  # installed here, so leaving it out was the scan's doing
        assert _canonical(name) not in listed, name


def test_each_distribution_has_its_own_licence_text(notices: dict[str, str]) -> None:
    for name in RUNTIME:
        if name in ("PySide6_Essentials", "shiboken6"):
            continue  # their wheels ship no licence file: the Qt section covers them
        dist = md.distribution(name)
        body = notices[f"{dist.metadata['Name']} {dist.version}"]
        texts = _licence_texts(dist)
        assert texts, f"{name} ships no licence file; the test list is wrong"
        assert all(t in body for t in texts), name
        assert re.search(r"^Licence: \S", body, flags=re.MULTILINE), name


def test_python_and_qt_obligations_are_stated(bundle: Path, notices: dict[str, str]) -> None:
    python = notices[f"Python {sys.version.split()[0]} (the interpreter and its standard library)"]
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in python
    qt_version = md.version("PySide6_Essentials")
    qt = notices[f"Qt {qt_version} and Qt for Python (PySide6 {qt_version}, shiboken6)"]
    assert "LGPL-3.0" in qt and "GNU LESSER GENERAL PUBLIC LICENSE" in qt
    assert "Version 3, 29 June 2007" in qt  # the LGPL-3.0 text itself
    assert "replace them" in qt and "https://download.qt.io/" in qt
    # What the section claims of the layout: Qt is a separate library a user can replace.
    qt_core = {"linux": "PySide6/Qt/lib/libQt6Core.so.6", "win32": "PySide6/Qt6Core.dll"}
    core = bundle / "_internal" / qt_core.get(sys.platform, "PySide6/Qt/lib/QtCore.framework")
    assert core.exists(), core


@pytest.mark.skipif(sys.platform != "linux", reason="system libraries are collected on Linux")
def test_collected_system_libraries_name_their_package(notices: dict[str, str]) -> None:
    system = notices["Libraries collected from the build machine's system"]
    assert re.search(r"^--- libportaudio2 [^:]+: libportaudio\.so\.2 ---$", system, re.M)


def test_sbom_is_valid_cyclonedx_with_the_bundled_components(
    sbom: dict, listed: dict[str, str]
) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    schema = SchemaVersion.from_version(sbom["specVersion"])
    assert JsonStrictValidator(schema).validate_str(json.dumps(sbom)) is None
    assert sbom["bomFormat"] == "CycloneDX"
    components = {_canonical(c["name"]): c for c in sbom["components"]}
    assert set(components) == set(listed)  # the same contents list as the notices
    for name, component in components.items():
        assert component["version"] == md.version(name), name
        purl_name, _, purl_version = component["purl"].removeprefix("pkg:pypi/").partition("@")
        assert (_canonical(purl_name), purl_version) == (name, md.version(name)), name
    for name in TEST_ONLY:
        assert _canonical(name) not in components, name
    refs = {c["bom-ref"] for c in sbom["components"]} | {"root-component"}
    for dependency in sbom["dependencies"]:
        assert {dependency["ref"], *dependency.get("dependsOn", [])} <= refs


def test_sbom_root_is_calmline_at_the_release_version(sbom: dict) -> None:
    sys.path.insert(0, str(ROOT / "installers"))
    from version import version

    root = sbom["metadata"]["component"]
    assert (root["name"], root["version"], root["type"]) == ("Calmline", version(), "application")
    assert root["licenses"] == [{"license": {"acknowledgement": "declared", "id": "Apache-2.0"}}]
