"""Fixtures shared by the release tests: the one-dir bundle, built once per run by the
same `make bundle` the release workflow's Linux job runs (PyInstaller, then the
third-party notices inside it, then its SBOM beside it)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def release_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """DIST of `make bundle`: Calmline/ (the bundle) and Calmline-sbom.cdx.json."""
    work = tmp_path_factory.mktemp("release")
    started = time.monotonic()
    env = dict(os.environ, DIST=str(work / "dist"), BUILD=str(work / "build"))
    run = subprocess.run(
        ["make", "--no-print-directory", "bundle"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    dist = work / "dist"
    size = sum(f.stat().st_size for f in (dist / "Calmline").rglob("*") if f.is_file())
    print(f"\nbundle: {size / 1e6:.0f} MB built in {time.monotonic() - started:.0f} s")
    yield dist


@pytest.fixture(scope="session")
def bundle(release_dir: Path) -> Path:
    """dist/Calmline, built once for the run from the one spec."""
    return release_dir / "Calmline"
