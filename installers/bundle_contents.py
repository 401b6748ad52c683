"""What is inside a PyInstaller one-dir bundle, and which installed distributions it came from.

Shared by notices.py (the third-party notices) and sbom.py (the CycloneDX SBOM), so both
describe the same set. Read from the bundle itself, not from the spec:

- the PYZ archive inside each program (read with PyInstaller's own archive readers) lists
  the pure-Python modules; the program's CArchive lists the bootstrap and runtime hooks;
- every file under _internal (package folders, extension modules, shared libraries,
  copied dist-info folders) is matched by its relative path against the RECORD of each
  distribution installed in the build interpreter (the one running this).

What no distribution owns is sorted into: Python itself (the standard library, libpython),
ours (calmline, the launcher, resources/), and other shared libraries (on Linux, system
libraries PyInstaller collected; notices.py names their packages). A Python module that fits
none of these is an error: the notices would otherwise silently miss something."""

from __future__ import annotations

import importlib.metadata as md
import re
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from PyInstaller.archive.readers import CArchiveReader, NotAnArchiveError
from PyInstaller.loader.pyimod01_archive import ArchiveReadError

OURS = frozenset({"calmline", "launcher"})  # desktop/calmline and the spec's launcher.py
OUR_FOLDERS = frozenset({"resources"})  # the spec's datas from the repository
# The bootloader (in every program), its bootstrap modules and runtime hooks.
PYINSTALLER_PREFIXES = ("pyimod", "pyiboot", "pyi_rth_", "_pyi_rth_utils")
_BINARY = re.compile(r"\.(so(\.[\d.]+)?|pyd|dll|dylib)$", re.IGNORECASE)
_LIBPYTHON = re.compile(r"^(lib)?python\d+(\.\d+)?\w*\.(so[\d.]*|dll|dylib)$|^Python$", re.I)


def canonical(name: str) -> str:
    """The PEP 503 normalised name, the key every list here uses."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Contents:
    """One bundle's contents, each part mapped to where it came from."""

    internal: Path
    programs: tuple[Path, ...]
    distributions: dict[str, md.Distribution]  # canonical name -> the installed distribution
    evidence: dict[str, list[str]]  # canonical name -> a few bundle paths or modules it owns
    python_parts: list[str] = field(default_factory=list)  # stdlib modules, libpython
    other_binaries: list[Path] = field(default_factory=list)  # no distribution owns them


def _programs(bundle: Path) -> list[tuple[Path, CArchiveReader]]:
    found = []
    for path in sorted(bundle.iterdir()):
        if not path.is_file() or path.stat().st_size < 4096:
            continue
        try:
            found.append((path, CArchiveReader(str(path))))
        except (ArchiveReadError, OSError, ValueError):
            continue  # not a PyInstaller program (LICENSE.txt, the notices...)
    return found


def archive_modules(bundle: Path) -> tuple[set[str], set[str]]:
    """(modules in the PYZ archives, script and module entries of the CArchives)."""
    pyz: set[str] = set()
    entries: set[str] = set()
    for path, reader in _programs(bundle):
        for name, entry in reader.toc.items():
            typecode = entry[-1]
            if typecode in "msM":
                entries.add(name)
            elif typecode == "z":
                try:
                    pyz.update(reader.open_embedded_archive(name).toc)
                except (NotAnArchiveError, ArchiveReadError) as exc:
                    raise SystemExit(f"{path}: cannot read its {name} archive: {exc}") from exc
    return pyz, entries


def internal_dir(bundle: Path) -> Path:
    """_internal (PyInstaller 6's contents directory), or the bundle if it has none."""
    inner = bundle / "_internal"
    return inner if inner.is_dir() else bundle


@dataclass
class _Index:
    """Each installed file's relative path and each module's dotted name -> distribution."""

    paths: dict[str, str] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)
    basenames: dict[str, str] = field(default_factory=dict)  # PyInstaller's runtime hooks
    dists: dict[str, md.Distribution] = field(default_factory=dict)


def _module_name(rel: str) -> str | None:
    parts = rel.split("/")
    last = parts[-1]
    if last.endswith(".py"):
        stem = last[:-3]
    elif _BINARY.search(last) and "." in last:
        stem = last.split(".")[0]
    else:
        return None
    parts[-1] = stem
    if stem == "__init__":
        parts.pop()
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def build_index() -> _Index:
    """Index every distribution on this interpreter's path (the build environment)."""
    index = _Index()
    for dist in md.distributions():
        name = canonical(dist.metadata["Name"] or "")
        if not name or name in index.dists:
            continue  # a shadowed copy further down sys.path
        index.dists[name] = dist
        for file in dist.files or ():
            rel = file.as_posix()
            if rel.startswith(".."):
                continue  # scripts installed outside site-packages
            index.paths.setdefault(rel, name)
            module = _module_name(rel)
            if module:
                index.modules.setdefault(module, name)
            if file.name.startswith(PYINSTALLER_PREFIXES):
                index.basenames.setdefault(file.name.split(".")[0], name)
            if rel.startswith("PyInstaller/fake-modules/"):
                fake = _module_name(rel.removeprefix("PyInstaller/fake-modules/"))
                if fake:
                    index.modules.setdefault(fake, name)
    # The standard library's own mapping (top_level.txt, else RECORD), for a module whose
    # file is not in RECORD under the name it is imported by.
    for top, names in md.packages_distributions().items():
        if len(names) == 1:
            index.modules.setdefault(top, canonical(names[0]))
    return index


def _stdlib(top: str) -> bool:
    if top in sys.stdlib_module_names or top.startswith("_sysconfigdata"):
        return True
    lib = Path(sysconfig.get_paths()["stdlib"])
    return (lib / f"{top}.py").exists() or (lib / top / "__init__.py").exists()


def _owner_of_module(module: str, index: _Index) -> str | None:
    parts = module.split(".")
    for cut in range(len(parts), 0, -1):
        owner = index.modules.get(".".join(parts[:cut]))
        if owner:
            return owner
    return None


def read(bundle: Path, index: _Index | None = None) -> Contents:
    """Everything in BUNDLE, mapped to the distributions of the build environment."""
    bundle = bundle.resolve()
    if not bundle.is_dir():
        raise SystemExit(f"{bundle}: no such bundle folder; run `make bundle` first")
    index = index or build_index()
    programs = _programs(bundle)
    if not programs:
        raise SystemExit(f"{bundle}: no PyInstaller program in it; is this a one-dir bundle?")
    pyz, entries = archive_modules(bundle)
    internal = internal_dir(bundle)
    owned: dict[str, list[str]] = {}
    python_parts: set[str] = set()
    unknown: list[str] = []
    other: list[Path] = []

    def own(name: str, what: str) -> None:
        owned.setdefault(name, []).append(what)

    # PyInstaller's bootloader is in every program.
    own("pyinstaller", f"bootloader of {', '.join(p.name for p in [p for p, _ in programs])}")
    for module in sorted(pyz | entries):
        top = module.split(".")[0]
        owner = _owner_of_module(module, index) or index.basenames.get(module)
        if top in OURS:
            continue
        if owner:
            own(owner, module)
        elif _stdlib(top):
            python_parts.add(top)
        elif any(m.startswith(module + ".") for m in index.modules):
            continue  # a namespace package (jaraco): its modules name their owners
        else:
            unknown.append(module)
    for path in sorted(internal.rglob("*")):
        if path.is_dir() or path.name == "base_library.zip":
            continue
        rel = path.relative_to(internal).as_posix()
        top = rel.split("/")[0]
        if top in OUR_FOLDERS:
            continue
        if path.is_symlink():
            continue  # a link to a file that is counted where it lives
        if top.endswith((".dist-info", ".egg-info")):
            owner = index.paths.get(rel)
            if owner:
                own(owner, top)
            continue
        owner = index.paths.get(rel)
        if owner:
            own(owner, rel)
        elif re.fullmatch(r"python\d\.\d+", top) or _LIBPYTHON.match(path.name):
            python_parts.add(rel)  # lib-dynload and libpython: Python itself
        elif _BINARY.search(path.name):
            stem = path.name.split(".")[0]
            if "/" not in rel and _stdlib(stem):
                python_parts.add(rel)  # Windows puts the stdlib's .pyd files at the top
            else:
                other.append(path)
        elif "/" not in rel:
            other.append(path)
        else:
            unknown.append(rel)
    if unknown:
        shown = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise SystemExit(
            f"{bundle}: {len(unknown)} part(s) belong to no installed distribution, to Python "
            f"or to Calmline: {shown}. Build with the venv that made the bundle, or add the "
            "owner to installers/bundle_contents.py"
        )
    owned.pop("calmline", None)  # an editable install of ourselves: not third-party
    dists = {name: index.dists[name] for name in sorted(owned)}
    return Contents(
        internal=internal,
        programs=tuple(p for p, _ in programs),
        distributions=dists,
        evidence={name: owned[name][:3] for name in dists},
        python_parts=sorted(python_parts),
        other_binaries=other,
    )
