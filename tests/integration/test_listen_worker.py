"""The live listen worker with the real recogniser: fed the way the meter feeds it
(bursts of 10 ms blocks with the tracker's speech flags), on its own thread; it
reports the phrases said, follows the capture's real rate, drops audio rather
than fall behind, and a broken model turns listening off with its reason."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from calmline.audio.heard import heard_in
from calmline.audio.listen_worker import MAX_QUEUED_S, ListenWorker
from calmline.audio.spotter import ModelProblem, Spotter
from calmline.audio.wavfile import read_wav
from calmline.core.levels import BLOCK_S, block_levels, block_samples
from calmline.core.listening import Spot
from calmline.core.live_voice import LiveVoice
from calmline.core.settings import CueSettings
from tests.servers import wait_for

PHRASES = {"apologise": ("i'm sorry",), "anything-else": ("is there anything else",)}
TEXT = (
    "Thanks for waiting. I'm sorry about the wait on the line this morning. The new card is "
    "in the post. Is there anything else I can help you with?"
)


class NoMemory:
    def get(self, agent: str) -> float | None:
        return None

    def calibrated(self, agent: str) -> bool:
        return False

    def set(self, agent: str, dbfs: float, calibrated: bool = False) -> None:
        pass


def speech(tmp: Path, rate: int) -> npt.NDArray[np.float32]:
    raw = tmp / "raw.wav"
    subprocess.run(["flite", "-voice", "slt", "-t", TEXT, "-o", str(raw)], check=True)
    out = tmp / f"{rate}.wav"
    subprocess.run(
        ["sox", str(raw), "-r", str(rate), str(out), "vol", "-12dB", "pad", "0.5", "1.5"],
        check=True,
    )
    samples, got = read_wav(out)
    assert got == rate
    return np.asarray(samples, dtype=np.float32)


def feed_like_the_meter(worker: ListenWorker, x: npt.NDArray[np.float32], rate: int) -> None:
    """Bursts of three blocks, with the tracker's speech flags, as each drain does."""
    n = block_samples(rate)
    blocks = x[: len(x) // n * n].reshape(-1, n)
    voice = LiveVoice(CueSettings(), NoMemory())
    voice.call_started()
    for i in range(0, len(blocks), 3):
        burst = blocks[i : i + 3].copy()
        t0 = voice.t
        heard = voice.feed(block_levels(burst), BLOCK_S, [None] * len(burst))
        flags = np.array([s.speech for s in heard.states], dtype=np.bool_)
        worker.feed(burst, flags, t0)
        if worker.queued_s > 1.0:  # no faster than the thread hears (the meter feeds live)
            wait_for(lambda: worker.queued_s < 0.5, 30, "the worker to catch up")


def made_at(rates: list[int]):  # type: ignore[no-untyped-def]
    def make(phrases: Mapping[str, Sequence[str]], rate: int) -> Spotter:
        rates.append(rate)
        return Spotter(phrases, rate)

    return make


@pytest.mark.parametrize("rate", [48000, 16000])
def test_the_worker_reports_the_phrases_said_at_the_capture_rate(tmp_path: Path, rate: int) -> None:
    rates: list[int] = []
    worker = ListenWorker(made_at(rates), PHRASES, rate=48000)
    try:
        assert worker.wait_ready(20)
        worker.call_started()
        x = speech(tmp_path, rate)
        offline = heard_in(x, rate, PHRASES)  # what `calmline analyze` hears in it
        assert "anything-else" in [s.step for s in offline]
        feed_like_the_meter(worker, x, rate)
        spots: list[Spot] = []
        wait_for(
            lambda: spots.extend(worker.take()) or len(spots) >= len(offline),
            30,
            f"the spots {offline}",
        )
        assert rates[-1] == rate  # remade for a device that opened at its own rate
        assert [(s.step, s.start_s, s.end_s) for s in spots] == [
            (s.step, s.start_s, s.end_s) for s in offline
        ]
        assert all(s.latency_s < 1.0 for s in spots)
    finally:
        worker.stop()


class Slow:
    """A recogniser on a starved machine: each piece takes longer than it lasts."""

    def __init__(self) -> None:
        self.fed = 0

    def begin(self, t_s: float) -> None: ...
    def feed(self, samples: npt.NDArray[np.float32]) -> list[Spot]:
        self.fed += len(samples)
        time.sleep(0.05)
        return []

    def end(self) -> list[Spot]:
        return []


def test_a_worker_that_falls_behind_drops_audio_instead_of_piling_it_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    slow = Slow()
    worker = ListenWorker(lambda phrases, rate: slow, PHRASES)
    try:
        assert worker.wait_ready(10)
        worker.call_started()
        caplog.set_level(logging.WARNING, "calmline.audio.listen_worker")
        burst = np.zeros((3, 480), dtype=np.float32)
        talking = np.ones(3, dtype=np.bool_)
        seconds = 2 * MAX_QUEUED_S + 2
        for i in range(int(seconds / (3 * BLOCK_S))):
            worker.feed(burst, talking, i * 3 * BLOCK_S)
        wait_for(lambda: "listening fell behind" in caplog.text, 30, "the skip")
        assert slow.fed < seconds * 48000  # some audio was dropped, not all decoded late
    finally:
        worker.stop()


def test_a_broken_model_turns_listening_off_with_its_reason(tmp_path: Path) -> None:
    def broken(phrases: Mapping[str, Sequence[str]], rate: int) -> Spotter:
        raise ModelProblem(f"{tmp_path}: no acoustic model (no mdef file in it or below)")

    worker = ListenWorker(broken, PHRASES)
    try:
        assert worker.wait_ready(10)
        worker.call_started()
        assert not worker.active
        assert worker.problem.startswith(f"{tmp_path}: no acoustic model")
    finally:
        worker.stop()


def test_the_worker_thread_ends_with_stop() -> None:
    worker = ListenWorker(lambda phrases, rate: Slow(), PHRASES)
    assert worker.wait_ready(10)
    worker.stop()
    assert not any(t.name == "calmline-listen" for t in threading.enumerate())


class Echo:
    """Reports one spot at the start of the audio each stretch begins with."""

    def __init__(self) -> None:
        self.t = 0.0

    def begin(self, t_s: float) -> None:
        self.t = t_s

    def feed(self, samples: npt.NDArray[np.float32]) -> list[Spot]:
        return []

    def end(self) -> list[Spot]:
        return [Spot("apologise", "i'm sorry", self.t, self.t + 0.5, self.t + 0.6)]


def test_a_spot_of_an_earlier_call_never_reaches_the_next_one() -> None:
    worker = ListenWorker(lambda phrases, rate: Echo(), PHRASES)
    try:
        assert worker.wait_ready(10)
        talking = np.ones(3, dtype=np.bool_)
        burst = np.zeros((3, 480), dtype=np.float32)
        worker.call_started()
        worker.feed(burst, talking, 5.0)
        worker.call_ended()  # its stretch ends on the thread, after this call is over
        worker.call_started()
        worker.feed(burst, talking, 60.0)
        worker.turn_off_for_call()  # ends the new call's stretch too
        got: list[Spot] = []
        wait_for(lambda: got.extend(worker.take()) or bool(got), 10, "the new call's spot")
        assert [s.start_s for s in got] == [pytest.approx(60.0 - 0.25, abs=0.3)]
        assert worker.take() == []
    finally:
        worker.stop()
