"""The companion window and the incident form on a real X server, driven by the
CLI like a softphone would, typed into with xdotool, and killed mid-typing."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.apps import calmline, running_app
from tests.conftest import REPO
from tests.servers import xvfb

ARTIFACTS = REPO / "tests" / "artifacts"


def x(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        ["xdotool", *args], env=env, capture_output=True, text=True, timeout=20
    ).stdout.strip()


def find_window(env: dict[str, str], name: str, timeout: float = 20) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = x(env, "search", "--onlyvisible", "--name", name)
        if found:
            return found.split()[0]
        time.sleep(0.1)
    raise AssertionError(f"no visible window named {name!r}")


def screenshot(env: dict[str, str], wid: str, name: str) -> Path:
    """The window's picture, once it has painted: a window just mapped on a busy
    machine may still be blank, so the shot is taken again until it is not (10 s)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / name
    end = time.monotonic() + 10
    while True:
        subprocess.run(["import", "-window", wid, str(shot)], env=env, check=True, timeout=30)
        colours = subprocess.run(
            ["identify", "-format", "%k", str(shot)], capture_output=True, text=True, check=True
        ).stdout
        if int(colours) > 20 or time.monotonic() > end:
            break
        time.sleep(0.2)
    assert int(colours) > 20, f"{name} is (nearly) blank"
    return shot


def xenv(home: Path, display: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ, DISPLAY=display, CALMLINE_HOME=str(home), XDG_RUNTIME_DIR=str(runtime))
    env.pop("QT_QPA_PLATFORM", None)
    env.update(extra)
    return env


def ok(*args: str, env: dict[str, str]) -> str:
    res = calmline(*args, env=env)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_window_during_a_call_on_a_real_x_server(home: Path, tmp_path: Path) -> None:
    with xvfb() as display:
        env = xenv(home, display, tmp_path)
        with running_app(env):
            wid = find_window(env, "^Calmline$")
            state = subprocess.run(
                ["xprop", "-id", wid, "_NET_WM_STATE"], env=env, capture_output=True, text=True
            ).stdout
            assert "_NET_WM_STATE_ABOVE" in state
            ok("shift", "start", "--agent", "agent-7", env=env)
            ok("call", "start", "--caller", "+44 20 7946 0000", env=env)
            ok("call", "end", env=env)
            form = find_window(env, "^Incident — ")
            screenshot(env, form, "incident-form.png")
            ok("call", "start", "--caller", "+44 20 7946 0000", "--customer", "C-1042", env=env)
            ok("step", "next", env=env)
            ok("note", "caller charged twice for October", env=env)
            time.sleep(1.2)  # the timer ticks, the window repaints
            geometry = x(env, "getwindowgeometry", wid)
            assert "360x600" in geometry, geometry
            screenshot(env, wid, "companion-window.png")


def test_bad_settings_still_start_and_are_shown(home: Path, tmp_path: Path) -> None:
    # A wrong type and an unknown key: the app starts anyway with the valid values,
    # and both problems are shown (banner) and logged.
    (home / "config.toml").write_text(
        'agent_id = "a1"\nretention_days = "lots"\n[window]\nopacity = 0.95\nglow = true\n'
    )
    with xvfb() as display:
        env = xenv(home, display, tmp_path)
        with running_app(env):
            wid = find_window(env, "^Calmline$")
            ok("show", env=env)  # answered once settings are loaded
            time.sleep(0.3)
            screenshot(env, wid, "window-with-problems.png")
    log = (home / "logs" / "calmline.log").read_text()
    assert "retention_days: bad value 'lots'" in log
    assert "window.glow: unknown key, value True ignored" in log


def test_readable_at_200_percent(home: Path, tmp_path: Path) -> None:
    with xvfb("1600x1400x24") as display:
        env = xenv(home, display, tmp_path, QT_SCALE_FACTOR="2")
        with running_app(env):
            wid = find_window(env, "^Calmline$")
            ok("shift", "start", "--agent", "agent-7", env=env)
            ok("call", "start", "--caller", "555-0101", env=env)
            time.sleep(0.8)
            assert "720x1200" in x(env, "getwindowgeometry", wid)  # 360x600 logical
            screenshot(env, wid, "companion-window-200.png")


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_while_typing_loses_at_most_2_s(home: Path, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    text = "Caller says the fee was charged twice and wants it refunded today. " * 3
    with xvfb() as display:
        env = xenv(home, display, tmp_path)
        with running_app(env) as app:
            ok("shift", "start", "--agent", "agent-7", env=env)
            ok("call", "start", "--caller", "555", env=env)
            ok("call", "end", env=env)
            form = find_window(env, "^Incident — ")
            x(env, "windowfocus", "--sync", form)
            x(env, "key", "Tab")  # from the resolution choice to the summary
            typed: list[float] = []
            kill_after = rng.uniform(2.5, 4.5)
            start = time.monotonic()
            for ch in text:
                x(env, "type", "--delay", "0", ch)
                typed.append(time.monotonic())
                time.sleep(0.02)  # about a fast typist's pace
                if time.monotonic() - start > kill_after:
                    break
            app.kill()  # SIGKILL: no handler runs, nothing is flushed
            killed_at = time.monotonic()
            app.wait()
    assert len(typed) < len(text), "the kill came after the typing ended"
    db = sqlite3.connect(home / "calmline.db")
    (summary,) = db.execute("SELECT summary FROM incidents").fetchone()
    assert text.startswith(summary), summary
    assert len(summary) > 10, "autosave saved (almost) nothing"
    lost = typed[len(summary) :]
    assert all(t > killed_at - 2.0 for t in lost), (
        f"{len(lost)} characters lost, the oldest typed {killed_at - lost[0]:.2f} s before the kill"
    )
