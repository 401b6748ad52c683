"""Runs the release workflow's Linux job here, exactly as written: each `run:` step of
jobs.linux in .github/workflows/release.yml, in order, with the shell GitHub uses for
`shell: bash`, in this checkout, with the job's env (its DIST and BUILD pointed into a
temporary folder so that runs never collide) and the tag GitHub would give."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]  # GitHub's `shell: bash`


@dataclass(frozen=True)
class StepRun:
    name: str
    script: str
    returncode: int
    output: str


def linux_job() -> dict[str, Any]:
    job: dict[str, Any] = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))["jobs"]["linux"]
    return job


def run_linux_job(work: Path, version: str, timeout: float = 900) -> list[StepRun]:
    """Every run step of the job; stops at the first that fails (as GitHub does)."""
    job = linux_job()
    env = dict(os.environ, **{k: str(v) for k, v in job.get("env", {}).items()})
    env.update(DIST=str(work / "dist"), BUILD=str(work / "build"), GITHUB_REF_NAME=f"v{version}")
    env.update(GITHUB_ACTIONS="true", CI="true")
    done: list[StepRun] = []
    for step in job["steps"]:
        if "run" not in step:
            continue  # actions/checkout: this checkout is the one the steps run in
        run = subprocess.run(
            [*BASH, step["run"]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        done.append(StepRun(step["name"], step["run"], run.returncode, run.stdout + run.stderr))
        if run.returncode != 0:
            break
    return done
