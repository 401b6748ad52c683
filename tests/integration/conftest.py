"""Fixtures shared by the release tests: the one-dir bundle, built once per run by running
the release workflow's Linux job steps exactly as written (tests/release_job.py): the tag
check, `make bundle` (PyInstaller, the third-party notices inside, the SBOM beside), and
the frozen self-test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import calmline
from tests.release_job import linux_job, run_linux_job

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def release_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """DIST of the job: Calmline/ (the bundle) and Calmline-sbom.cdx.json."""
    work = tmp_path_factory.mktemp("release")
    started = time.monotonic()
    steps = run_linux_job(work, calmline.__version__)
    failed = [f"{s.name}: exit {s.returncode}\n{s.output[-4000:]}" for s in steps if s.returncode]
    assert not failed, failed[0]
    assert [s.name for s in steps] == [st["name"] for st in linux_job()["steps"] if "run" in st], (
        "not every step of the release workflow's Linux job ran"
    )
    dist = work / "dist"
    size = sum(f.stat().st_size for f in (dist / "Calmline").rglob("*") if f.is_file())
    print(f"\nbundle: {size / 1e6:.0f} MB built in {time.monotonic() - started:.0f} s")
    yield dist


@pytest.fixture(scope="session")
def bundle(release_dir: Path) -> Path:
    """dist/Calmline, built once for the run from the one spec."""
    return release_dir / "Calmline"
