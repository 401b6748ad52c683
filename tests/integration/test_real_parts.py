"""The app and doctor against real parts: an X server and an audio server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.apps import calmline
from tests.conftest import REPO
from tests.servers import no_audio_server, pulseaudio

ARTIFACTS = REPO / "tests" / "artifacts"


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
    # the default output's monitor is what the agent hears: the caller channel runs
    assert "[pass] voice: caller channel: loopback of " in res.stdout, res.stdout
    assert res.returncode == 0, res.stdout
    assert res.stderr == ""  # no ALSA noise leaks into the report


def test_doctor_without_audio_server_is_one_clear_line(home: Path) -> None:
    env = no_audio_server(home, CALMLINE_HOME=str(home))
    res = calmline("doctor", env=env)
    lines = [ln for ln in res.stdout.splitlines() if "microphone:" in ln or "failed:" in ln]
    assert res.returncode == 1
    assert lines[0].startswith("  [FAIL] microphone: ") and len(lines) == 2  # check + summary
    assert "[pass] voice: microphone only: no PulseAudio/PipeWire server answered" in res.stdout
    assert res.stderr == ""


def test_tools_for_real_parts_are_installed() -> None:
    for tool in ("Xvfb", "xdotool", "xprop", "import", "pulseaudio", "pactl"):
        assert shutil.which(tool), f"{tool} missing — scripts/bootstrap.sh test installs it"


def test_the_audio_server_leaves_nothing_behind() -> None:
    """Runs never collide and nothing is left: each test's PulseAudio (and its
    pipe microphone) is gone with its runtime directory once the block ends."""
    from tests.servers import _exited, pipe_microphone

    for _ in range(3):  # the daemon tidies its directory as it exits: a race, if not awaited
        with pulseaudio() as env, pipe_microphone(env) as fifo:
            runtime = Path(env["XDG_RUNTIME_DIR"])
            pid = int((runtime / "pulse" / "pid").read_text())
            assert fifo.exists()
            sources = subprocess.run(
                ["pactl", "list", "short", "sources"], env=env, capture_output=True, text=True
            ).stdout
            assert "pipe_mic" in sources and "virt_mic" in sources
        assert _exited(pid)
        assert not runtime.exists()
