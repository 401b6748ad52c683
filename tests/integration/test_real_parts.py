"""The app and doctor against real parts: an X server and an audio server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO
from tests.servers import pulseaudio, xvfb

ARTIFACTS = REPO / "tests" / "artifacts"


def calmline(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calmline", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _wait_window(env: dict[str, str], proc: subprocess.Popen[str], timeout: float = 20) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, f"the app exited early: {proc.communicate()}"
        res = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", "^Calmline$"],
            env=env,
            capture_output=True,
            text=True,
        )
        if res.stdout.strip():
            return res.stdout.split()[0]
        time.sleep(0.1)
    raise AssertionError("the Calmline window never appeared")


def test_window_on_a_real_x_server_is_on_top_and_shows_problems(home: Path) -> None:
    # A settings file with a wrong type and an unknown key: the app must start anyway,
    # use the valid values, and show both problems.
    (home / "config.toml").write_text(
        'agent_id = "a1"\nretention_days = "lots"\n[window]\nopacity = 0.95\nglow = true\n'
    )
    with xvfb() as display:
        env = dict(os.environ, DISPLAY=display, CALMLINE_HOME=str(home))
        env.pop("QT_QPA_PLATFORM", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "calmline"],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            wid = _wait_window(env, proc)
            state = subprocess.run(
                ["xprop", "-id", wid, "_NET_WM_STATE"], env=env, capture_output=True, text=True
            ).stdout
            assert "_NET_WM_STATE_ABOVE" in state
            geometry = subprocess.run(
                ["xdotool", "getwindowgeometry", wid], env=env, capture_output=True, text=True
            ).stdout
            assert "360x600" in geometry
            time.sleep(0.5)  # let it paint
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "foundation-window.png"
            subprocess.run(["import", "-window", wid, str(shot)], env=env, check=True)
            colours = subprocess.run(
                ["identify", "-format", "%k", str(shot)], capture_output=True, text=True, check=True
            ).stdout
            assert int(colours) > 20, "the screenshot is (nearly) blank"
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    log = (home / "logs" / "calmline.log").read_text()
    assert "Calmline 0.1.0 starting" in log or "starting" in log
    assert "retention_days: bad value 'lots'" in log
    assert "window.glow: unknown key, value True ignored" in log


def test_app_without_a_display_says_so(home: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    res = subprocess.run(
        [sys.executable, "-m", "calmline"], env=env, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 1
    assert res.stderr.strip().startswith("calmline: no display")


def test_doctor_lists_the_virtual_microphone(home: Path) -> None:
    with pulseaudio() as env:
        env["CALMLINE_HOME"] = str(home)
        res = calmline("doctor", env=env)
    assert "[pass] microphone:" in res.stdout, res.stdout
    assert "(default)" in res.stdout
    assert res.returncode == 0, res.stdout
    assert res.stderr == ""  # no ALSA noise leaks into the report


def test_doctor_without_audio_server_is_one_clear_line(home: Path) -> None:
    runtime = home / "no-pulse"
    runtime.mkdir(mode=0o700)
    env = dict(
        os.environ,
        CALMLINE_HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        PULSE_SERVER="unix:" + str(runtime / "nothing-here"),
    )
    res = calmline("doctor", env=env)
    lines = [ln for ln in res.stdout.splitlines() if "microphone" in ln]
    assert res.returncode == 1
    assert lines[0].startswith("  [FAIL] microphone: ") and len(lines) == 2  # check + summary
    assert res.stderr == ""


def test_tools_for_real_parts_are_installed() -> None:
    for tool in ("Xvfb", "xdotool", "xprop", "import", "pulseaudio", "pactl"):
        assert shutil.which(tool), f"{tool} missing — scripts/bootstrap.sh test installs it"
