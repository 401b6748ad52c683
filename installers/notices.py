"""Write a bundle's third-party notices, generated from what is actually in it.

    python installers/notices.py BUNDLE_DIR

writes BUNDLE_DIR/THIRD-PARTY-NOTICES.txt and copies the repository's LICENSE to
BUNDLE_DIR/LICENSE.txt; the MSI and the pkg harvest the whole bundle, so both ship them.
Run it with the interpreter that built the bundle: its installed distributions are where
each bundled part is traced to (installers/bundle_contents.py). For every distribution
found: name, version, its declared licence and the full licence files it ships. Then Python
itself, Qt (the LGPL-3.0 obligations and how the one-dir layout meets them) and, on Linux,
the system libraries PyInstaller collected, each with its Debian copyright file.

Exits 1, naming the distribution, when a bundled distribution ships no licence text and is
not in ALLOWED_WITHOUT_TEXT below."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_contents
from bundle_contents import Contents
from version import version

ROOT = Path(__file__).resolve().parents[1]
NOTICES = "THIRD-PARTY-NOTICES.txt"
# Ship no licence file in their wheels. Each reason says where the licence is stated.
ALLOWED_WITHOUT_TEXT = {
    # Qt for Python's wheels carry only their License metadata (LGPL-3.0-only OR GPL-2.0-only
    # OR GPL-3.0-only); the Qt section of these notices states the LGPL-3.0 terms we use
    # them under and reproduces the LGPL-3.0 text.
    "pyside6-essentials": "Qt for Python (PySide6); see the Qt section above",
    "shiboken6": "Qt for Python's binding runtime; see the Qt section above",
}
LICENCE_NAMES = ("LICEN", "COPYING", "NOTICE", "AUTHORS", "COPYRIGHT")
QT_SOURCE = "https://download.qt.io/official_releases/qt/"
PYSIDE_SOURCE = "https://download.qt.io/official_releases/QtForPython/"
RULE = "=" * 78


def licence_expression(dist: bundle_contents.md.Distribution) -> str:
    """License-Expression, else License (first line), else the licence classifiers."""
    meta = dist.metadata
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return expression
    licence = (meta.get("License") or "").strip().splitlines()
    if licence and licence[0].strip() and licence[0].strip().upper() != "UNKNOWN":
        return licence[0].strip()[:200]
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    return "; ".join(classifiers) or "not declared in its metadata (see the text below)"


def licence_files(dist: bundle_contents.md.Distribution) -> list[Path]:
    """The licence texts a distribution ships: its dist-info licenses/ folder and
    License-File entries, else LICENSE*, COPYING*, NOTICE*, AUTHORS* in its dist-info."""
    found: list[Path] = []
    for file in dist.files or ():
        parts = file.parts
        in_info = len(parts) >= 2 and parts[0].endswith((".dist-info", ".egg-info"))
        if not in_info:
            continue
        if parts[1] == "licenses" or (
            len(parts) == 2 and file.name.upper().startswith(LICENCE_NAMES)
        ):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                found.append(path)
    return sorted(set(found))


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace").strip()


def python_licence() -> Path:
    """The LICENSE.txt of the interpreter whose libpython the bundle carries."""
    for candidate in (
        Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt",
        Path(sys.base_prefix) / "LICENSE.txt",
        Path(sys.base_prefix) / "share" / "doc" / f"python{sys.version_info[0]}" / "copyright",
    ):
        if candidate.is_file():
            return candidate
    raise SystemExit(
        f"notices: no LICENSE.txt for the bundled Python under {sys.base_prefix}; "
        "build with a python.org or pyenv interpreter, which ship it"
    )


def lgpl3_text(contents: Contents) -> str | None:
    """The LGPL-3.0 text, from a bundled distribution's copy (psycopg ships it) or the OS."""
    for dist in contents.distributions.values():
        for path in licence_files(dist):
            head = _read(path)[:200].split()
            if head[:4] == ["GNU", "LESSER", "GENERAL", "PUBLIC"] and "3," in head:
                return _read(path)
    common = Path("/usr/share/common-licenses/LGPL-3")
    return _read(common) if common.is_file() else None


def qt_section(contents: Contents) -> list[str]:
    pyside = contents.distributions.get("pyside6-essentials")
    if pyside is None:
        return []
    qt = pyside.version
    text = lgpl3_text(contents)
    lines = [
        RULE,
        f"Qt {qt} and Qt for Python (PySide6 {qt}, shiboken6)",
        RULE,
        f"Licence: {licence_expression(pyside)}; Calmline uses them under LGPL-3.0-only.",
        "",
        "How this bundle meets the LGPL-3.0:",
        "- Qt and PySide6 are not linked into Calmline's programs. They are separate shared",
        "  libraries in the _internal/PySide6 folder (Qt's libraries in _internal/PySide6/Qt/lib",
        "  on Linux, _internal/PySide6 on Windows, the Qt frameworks in _internal/PySide6/Qt/lib",
        "  on macOS), loaded at run time. You may replace them with your own build of the same",
        "  Qt and PySide6 version, built from modified sources, and Calmline will load yours.",
        "- Calmline does not restrict reverse engineering for debugging such modifications.",
        f"- Qt's source code: {QT_SOURCE}{'.'.join(qt.split('.')[:2])}/{qt}/",
        f"  Qt for Python's source code: {PYSIDE_SOURCE} (pyside-setup-*-{qt}).",
        "  The exact versions bundled are the ones named in this section's title.",
        "- The LGPL-3.0 adds terms to the GNU GPL 3.0; its text is at",
        "  https://www.gnu.org/licenses/gpl-3.0.txt.",
        "",
    ]
    if text:
        lines += ["GNU Lesser General Public License, version 3:", "", text, ""]
    else:
        lines += ["The LGPL-3.0 text: https://www.gnu.org/licenses/lgpl-3.0.txt", ""]
    return lines


def distribution_section(name: str, contents: Contents) -> tuple[list[str], bool]:
    """(lines, whether licence text was found)."""
    dist = contents.distributions[name]
    files = licence_files(dist)
    lines = [
        RULE,
        f"{dist.metadata['Name']} {dist.version}",
        RULE,
        f"Licence: {licence_expression(dist)}",
    ]
    home = dist.metadata.get("Home-page") or next(
        (u.split(",", 1)[1].strip() for u in dist.metadata.get_all("Project-URL") or []), ""
    )
    if home:
        lines.append(f"Project: {home}")
    lines.append("")
    if not files and name in ALLOWED_WITHOUT_TEXT:
        lines += [f"No licence file in its wheel. {ALLOWED_WITHOUT_TEXT[name]}.", ""]
    for path in files:
        rel = path.relative_to(Path(str(dist.locate_file(""))))
        lines += [f"--- {rel.as_posix()} ---", "", _read(path), ""]
    return lines, bool(files) or name in ALLOWED_WITHOUT_TEXT


def _debian_packages(names: list[str]) -> dict[str, str]:
    """Library file name -> Debian package, through dpkg (empty where there is none)."""
    if not names or shutil.which("dpkg-query") is None:
        return {}
    run = subprocess.run(
        ["dpkg-query", "-S", *(f"*/{n}" for n in names)],
        capture_output=True,
        text=True,
        check=False,
    )
    found: dict[str, str] = {}
    for line in run.stdout.splitlines():
        packages, _, path = line.partition(": ")
        base = Path(path.strip()).name
        if base in names and "," not in packages:
            found.setdefault(base, packages.split(":")[0].strip())
    return found


def system_section(contents: Contents) -> list[str]:
    binaries = sorted(p.name for p in contents.other_binaries)
    if not binaries:
        return []
    owners = _debian_packages(binaries)
    lines = [
        RULE,
        "Libraries collected from the build machine's system",
        RULE,
        "PyInstaller bundles the shared libraries the parts above link against that the",
        "target machine may lack. Each is listed with the package it came from and that",
        "package's copyright file, which states its licence.",
        "",
    ]
    by_package: dict[str, list[str]] = {}
    for name in binaries:
        by_package.setdefault(owners.get(name, ""), []).append(name)
    for package in sorted(p for p in by_package if p):
        version = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        lines += [f"--- {package} {version}: {', '.join(by_package[package])} ---", ""]
        copyright_file = Path("/usr/share/doc") / package / "copyright"
        lines += [_read(copyright_file) if copyright_file.is_file() else "(no copyright file)"]
        lines.append("")
    if "" in by_package:
        lines += [
            "--- from the Python installation or the operating system ---",
            "Covered by the Python licence above where they come with Python: "
            + ", ".join(by_package[""]),
            "",
        ]
    return lines


def render(contents: Contents) -> str:
    """The whole notices text; exits 1 naming any distribution without licence text."""
    head = [
        f"Calmline {version()}: third-party notices",
        "",
        "Calmline is licensed under the Apache License 2.0 (LICENSE.txt beside this file).",
        "This bundle also contains the software below, each under its own licence, listed",
        "from the bundle's actual contents when it was built.",
        "",
        "Contents: Python, "
        + ", ".join(f"{d.metadata['Name']} {d.version}" for d in contents.distributions.values()),
        "",
    ]
    python = python_licence()
    body = [
        RULE,
        f"Python {sys.version.split()[0]} (the interpreter and its standard library)",
        RULE,
        "Licence: PSF-2.0 (Python Software Foundation License Version 2)",
        "",
        _read(python),
        "",
        *qt_section(contents),
    ]
    missing = []
    for name in contents.distributions:
        lines, ok = distribution_section(name, contents)
        body += lines
        if not ok:
            missing.append(f"{name} (in the bundle as {', '.join(contents.evidence[name])})")
    if missing:
        raise SystemExit(
            "notices: no licence text shipped by: "
            + "; ".join(missing)
            + ". Find its licence and add it to ALLOWED_WITHOUT_TEXT in installers/notices.py"
            " with the reason and where the licence is stated"
        )
    return "\n".join([*head, *body, *system_section(contents)]).rstrip() + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: notices.py BUNDLE_DIR", file=sys.stderr)
        return 2
    bundle = Path(argv[1])
    contents = bundle_contents.read(bundle)
    text = render(contents)
    (bundle / NOTICES).write_text(text, encoding="utf-8")
    shutil.copyfile(ROOT / "LICENSE", bundle / "LICENSE.txt")
    print(f"{bundle / NOTICES}: {len(contents.distributions)} distributions, {len(text)} chars")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
