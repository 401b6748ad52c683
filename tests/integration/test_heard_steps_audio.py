"""Heard steps in the real app, fed through PulseAudio's virtual microphone: a
call with two of the playbook's phrases among ordinary talk ticks exactly those
two steps, marked heard; and nothing of what was said is kept anywhere — not in
the database, the logs or the documents synced at shift end."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.apps import calmline, running_app
from tests.integration.test_meter_audio import sox, wait_for_log
from tests.servers import pulseaudio, wait_for

# (flite voice, what the agent says, the step it marks or "")
LINES = [
    ("slt", "Good morning, you're through to the delivery team. Let me bring up your details.", ""),
    ("awb", "I'm really sorry about the delay with your parcel.", "apologise"),
    ("slt", "The van left the depot this morning and should reach you before six tonight.", ""),
    ("awb", "I have booked the new slot and sent a text message to your mobile.", ""),
    ("slt", "Is there anything else I can help you with today?", "anything-else"),
    ("awb", "Right, the reference for that is on its way to you now.", ""),
]
# Words of the call that no record, log line or document may hold (the step ids,
# such as anything-else, are kept: they are what a heard tick stores).
SAID = ("parcel", "depot", "delay", "mobile", "van", "tonight", "sorry", "really", "booked")


@pytest.fixture(scope="module")
def call_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The agent's side of the call: two natural-ish voices, a second apart,
    48 kHz stereo at a headset's level."""
    d = tmp_path_factory.mktemp("heard")
    parts = []
    for n, (voice, text, _) in enumerate(LINES):
        raw = d / f"{n}.wav"
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(raw)], check=True)
        part = d / f"{n}-48k.wav"
        sox(str(raw), "-r", "48000", "-c", "2", str(part), "vol", "-14dB", "pad", "0.2", "1.0")
        parts.append(str(part))
    sox(*parts, str(d / "call.wav"))
    return d / "call.wav"


def step_events(home: Path) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(f"file:{home / 'calmline.db'}?mode=ro", uri=True)
    try:
        return db.execute(
            "SELECT step_id, action, source FROM step_events ORDER BY wall_time"
        ).fetchall()
    finally:
        db.close()


def every_text(home: Path) -> str:
    """All the agent's files hold, as text: the database (with its WAL), the logs
    and the synced documents."""
    chunks = []
    for f in sorted(home.rglob("*")):
        if f.is_file():
            chunks.append(f.read_bytes().decode("utf-8", "replace").lower())
    return "\n".join(chunks)


@pytest.mark.timeout(240)
def test_a_call_ticks_exactly_the_two_steps_said_marked_heard(home: Path, call_wav: Path) -> None:
    sync = home / "team-share"
    sync.mkdir()
    (sync / ".calmline-store").touch()  # IT's mark of the team store (docs/deploying.md)
    (home / "config.toml").write_text(
        f'agent_id = "a-7"\n[sync]\ntarget = "{sync}"\n[audio]\ncaller_channel = false\n'
    )
    expected = [step for _, _, step in LINES if step]
    with pulseaudio() as env:
        env.update(CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
        with running_app(env):
            assert calmline("shift", "start", env=env).returncode == 0
            assert calmline("call", "start", "+44 20 7946 0000", env=env).returncode == 0
            wait_for_log(home, "the microphone sends sound")
            wait_for_log(home, "listening for")  # the recogniser is made
            subprocess.run(["paplay", str(call_wav)], env=env, check=True)
            wait_for(
                lambda: [s for s, a, _ in step_events(home) if a == "tick"] == expected,
                30,
                f"the heard ticks {expected} (have {step_events(home)})",
            )
            assert calmline("call", "end", env=env).returncode == 0
            assert calmline("shift", "end", env=env).returncode == 0
            wait_for(lambda: any(sync.rglob("*.json")), 30, "the shift's documents in the share")
    events = step_events(home)
    assert [(s, a, src) for s, a, src in events if a == "tick"] == [
        (step, "tick", "heard") for step in expected
    ], events
    said = every_text(home)
    assert "apologise" in said  # the step id is kept: it is what a heard tick stores
    for word in SAID:
        found = re.search(rf"\b{word}\b", said)
        assert found is None, f"{word!r} of what was said is in the agent's files"
