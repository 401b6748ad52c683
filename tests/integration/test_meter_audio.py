"""The meter on a real audio server: PulseAudio with a virtual microphone, fed
speech by paplay while the app's own capture path runs."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from calmline.audio.wavfile import read_wav
from calmline.core.analysis import analyze_samples
from calmline.core.cues import CueParams
from tests.apps import calmline, running_app
from tests.servers import no_audio_server, pulseaudio

TEXT = "I hear you, and I want to sort this out with you today. Let me check what happened."
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def call_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Calm speech, a +9 dB passage, calm again: 48 kHz stereo, as the sink plays it."""
    d = tmp_path_factory.mktemp("call")
    subprocess.run(["espeak-ng", "-w", str(d / "s.wav"), TEXT], check=True)
    sox(str(d / "s.wav"), "-r", "48000", "-c", "2", str(d / "calm.wav"), "vol", "-18dB")
    sox(str(d / "s.wav"), "-r", "48000", "-c", "2", str(d / "loud.wav"), "vol", "-9dB")
    sox(str(d / "calm.wav"), str(d / "loud.wav"), str(d / "calm.wav"), str(d / "call.wav"))
    return d / "call.wav"


def log_lines(home: Path) -> list[str]:
    return (home / "logs" / "calmline.log").read_text().splitlines()


def log_time(line: str) -> float:
    m = LOG_TIME.match(line)
    assert m, line
    return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()


def wait_for_log(home: Path, text: str, timeout: float = 20) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = [ln for ln in log_lines(home) if text in ln]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} in the log")


def test_one_raised_voice_cue_where_it_should_be(home: Path, call_wav: Path) -> None:
    samples, rate = read_wav(call_wav)
    # The agent's calm level, as learnt in an earlier shift: 20 s of their calm speech.
    calm_part = samples[: len(samples) // 3]
    calm_db = analyze_samples(np.tile(calm_part, 6), rate, CueParams()).baseline_dbfs
    assert calm_db is not None
    expected = analyze_samples(samples, rate, CueParams(), baseline_db=calm_db)
    raised = [c for c in expected.cues if c.kind.value == "raised_voice"]
    assert len(raised) == 1, expected.cues
    (home / "config.toml").write_text('agent_id = "a-7"\n')
    (home / "baselines.json").write_text(json.dumps({"a-7": calm_db}))
    with pulseaudio() as env:
        env.update(CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
        with running_app(env):
            assert calmline("shift", "start", env=env).returncode == 0
            assert calmline("call", "start", "555", env=env).returncode == 0
            wait_for_log(home, "the microphone sends sound")
            started = time.time()
            subprocess.run(["paplay", str(call_wav)], env=env, check=True)
            time.sleep(0.5)
            assert calmline("call", "end", env=env).returncode == 0
    cues = [ln for ln in log_lines(home) if " cue " in ln]
    fired = [ln for ln in cues if "cue raised_voice" in ln]
    assert len(fired) == 1, cues
    when = log_time(fired[0]) - started
    assert abs(when - raised[0].fired_s) <= 1.0, (when, raised[0].fired_s)
    db = sqlite3.connect(home / "calmline.db")
    (voice,) = db.execute("SELECT voice FROM incidents").fetchone()
    figures = json.loads(voice)
    assert dict(map(tuple, figures["cue_counts"])).get("raised_voice") == 1, figures
    over = expected.cues[0].max_over_baseline_db
    assert over is not None
    assert figures["max_over_baseline_db"] == pytest.approx(over, abs=1.5)  # the meter tracks
    assert 0.3 < figures["talk_share"] <= 1.0


def test_no_audio_server_says_so_and_the_app_works(home: Path, tmp_path: Path) -> None:
    env = no_audio_server(tmp_path, CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    with running_app(env):
        line = wait_for_log(home, "no microphone:")
        assert line.count("\n") == 0 and len(line) < 300
        assert calmline("shift", "start", "--agent", "a", env=env).returncode == 0
        assert calmline("call", "start", env=env).returncode == 0
        assert calmline("call", "end", env=env).returncode == 0


def test_the_caller_channel_live_talking_over_and_talk_share(home: Path, tmp_path: Path) -> None:
    """The softphone plays the caller to the earpiece (a second null sink, the
    default output, whose monitor the app records as the caller channel) while the
    virtual microphone hears the agent plus the caller's bleed: a window of a
    natural-voice call with a clipped shout and the agent talking over the caller."""
    from tests.servers import pulseaudio_with_earpiece
    from tests.voiceset import dsp
    from tests.voiceset.build import build

    manifest = build(quick=True)
    call = next(c for c in json.loads(manifest.read_text())["calls"] if c["id"] == "q6-clip")
    over = next(e for e in call["events"] if e["kind"] == "talking_over")
    t0, t1 = 0.0, over["start_s"] + 8.0
    tracks = {}
    for name in ("mic", "caller"):
        x, rate = dsp.read_wav(manifest.parent / call[name])
        tracks[name] = tmp_path / f"{name}.wav"
        dsp.write_wav(tracks[name], x[int(t0 * rate) : int(t1 * rate)], rate)
    spoken = sum(
        max(0.0, min(b, t1) - max(a, t0)) for a, b in call["agent_speech"]
    )  # the truth, from how the call was built
    truth = spoken / (t1 - t0)
    with pulseaudio_with_earpiece() as env:
        env.update(CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
        with running_app(env):
            assert calmline("shift", "start", "--agent", "a-9", env=env).returncode == 0
            assert calmline("call", "start", "555", env=env).returncode == 0
            wait_for_log(home, "the microphone sends sound")
            wait_for_log(home, "the caller channel sends sound")
            # one shell starts both players together: the agent's mic and the earpiece
            subprocess.run(
                f"paplay --device=virt_spk {tracks['mic']} & "
                f"paplay --device=caller_spk {tracks['caller']} & wait",
                shell=True,
                env=env,
                check=True,
            )
            wait_for_log(home, "cue talking_over")
            assert calmline("call", "end", env=env).returncode == 0
    assert "caller channel: loopback of 'Earpiece'" in "\n".join(log_lines(home))
    db = sqlite3.connect(home / "calmline.db")
    (voice,) = db.execute("SELECT voice FROM incidents").fetchone()
    figures = json.loads(voice)
    assert dict(map(tuple, figures["cue_counts"])).get("talking_over") == 1, figures
    # the call ran a little longer than the window (the players start after the call)
    assert figures["talk_share"] <= truth + 0.05, (figures["talk_share"], truth)
    assert figures["talk_share"] >= truth * (t1 - t0) / (t1 - t0 + 10) - 0.05
