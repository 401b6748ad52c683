"""The caller's channel on a real PulseAudio: the monitor of the earpiece sink that
the softphone plays to, recorded in this process by CallerCapture."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from calmline.audio.capture import FIRST_BLOCK_S, RETRY_S
from calmline.audio.loopback import CallerCapture
from tests.servers import no_audio_server, pulseaudio_with_earpiece, wait_for

TONE_DB = -20.0  # sine peak, dBFS
TONE_RMS_DB = TONE_DB - 10 * np.log10(2)  # -23.01 dBFS
TONE_S = 1.5
QUIET_S = 1.5


@pytest.fixture(scope="module")
def tone_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 kHz at -20 dBFS peak for 1.5 s, then 1.5 s of silence: 48 kHz stereo float."""
    path = tmp_path_factory.mktemp("tone") / "tone.wav"
    subprocess.run(
        ["sox", "-n", "-r", "48000", "-c", "2", "-b", "32", "-e", "floating-point", str(path),
         "synth", str(TONE_S), "sine", "1000", "vol", f"{TONE_DB}dB", "pad", "0", str(QUIET_S)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def use_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """This process reaches the server ``env`` names, until the test ends."""
    monkeypatch.delenv("PULSE_SERVER", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def rms_db(blocks: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.mean(np.square(blocks, dtype=np.float64), axis=1) + 1e-20)


def test_the_earpiece_tone_arrives_at_its_level_then_silence(
    monkeypatch: pytest.MonkeyPatch, tone_wav: Path
) -> None:
    with pulseaudio_with_earpiece() as env:
        use_env(monkeypatch, env)
        caller = CallerCapture()  # "" = the default output: the earpiece
        assert caller.start(), caller.reason
        try:
            assert caller.rate == 48000 and caller.device_name == "Earpiece"
            assert caller.mode == "caller channel: loopback of Earpiece (PulseAudio monitor)"
            got: list[np.ndarray] = []

            def collect(until: Callable[[], bool], timeout: float, what: str) -> None:
                """Keep draining the capture (its ring holds 2 s) until ``until``."""
                wait_for(lambda: got.append(caller.poll()) or until(), timeout, what)

            def count() -> int:
                return sum(map(len, got))

            collect(lambda: count() >= 10, 10, "the first blocks")
            play = subprocess.Popen(["paplay", "--device=caller_spk", str(tone_wav)], env=env)
            try:
                collect(lambda: play.poll() is not None, 30, "paplay to end")
            finally:
                play.kill()
                play.wait()
            assert play.returncode == 0
            after = count()  # then 1 s more: the file's silence, and past its end
            collect(lambda: count() >= after + 100, 10, "blocks after the tone")
            assert caller.ring is not None and caller.ring.lost == 0
            assert caller.running, caller.reason
        finally:
            reader, started = caller._thread, time.monotonic()
            caller.stop("test over")
            assert time.monotonic() - started < 1.5  # the reader is joined promptly
            assert reader is not None and not reader.is_alive()
    levels = rms_db(np.concatenate(got))
    tone = np.flatnonzero(levels > -40)
    assert 0.9 * TONE_S * 100 <= len(tone) <= TONE_S * 100 + 5, len(tone)
    inside = levels[tone[0] + 3 : tone[-1] - 2]  # whole 10 ms blocks of tone only
    assert np.median(inside) == pytest.approx(TONE_RMS_DB, abs=0.5), np.median(inside)
    assert np.percentile(inside, 10) > TONE_RMS_DB - 0.5  # steady, not just on average
    assert levels[tone[-1] + 2 :].max() < -80  # near silence once the tone ends
    assert len(levels) - tone[-1] > 50


def test_no_audio_server_gives_one_line_and_no_exception(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_env(monkeypatch, no_audio_server(tmp_path))
    caller = CallerCapture()
    started = time.monotonic()
    assert caller.start() is False
    assert time.monotonic() - started < 6
    assert not caller.running
    assert caller.reason and "\n" not in caller.reason and len(caller.reason) < 300
    assert "Traceback" not in caller.reason
    assert caller.mode == f"caller channel: off — {caller.reason}"
    assert len(caller.poll()) == 0  # no retry yet, no exception either
    threads = len(os.listdir("/proc/self/task"))
    for _ in range(5):  # each failed try must leave no PulseAudio loop thread behind
        assert caller.start() is False
    assert len(os.listdir("/proc/self/task")) <= threads
    caller.stop("test over")


def test_the_channel_says_when_the_server_goes_and_resumes_when_it_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SoundCard connects to PulseAudio once, at import: a restarted server must
    still be found again (the retry every RETRY_S)."""
    caller = CallerCapture("earpiece")

    def sound() -> bool:
        return len(caller.poll()) > 0

    def off() -> bool:
        caller.poll()
        return not caller.running

    try:
        for _ in range(2):
            with pulseaudio_with_earpiece() as env:
                use_env(monkeypatch, env)
                wait_for(sound, RETRY_S + FIRST_BLOCK_S + 5, "blocks from the earpiece")
                assert caller.mode == "caller channel: loopback of Earpiece (PulseAudio monitor)"
            wait_for(off, 10, "the channel to go off")
            assert caller.mode.startswith("caller channel: off — the loopback of Earpiece failed")
            assert "\n" not in caller.reason
    finally:
        caller.stop("test over")
