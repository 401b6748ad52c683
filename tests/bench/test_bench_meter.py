"""Meter figures: CPU and peak memory of the app while metering real capture
(PulseAudio, offscreen) beside the same app with no microphone; latency from a
step in the input to the bar crossing. Targets: < 3% of one core, p95 < 50 ms,
peak RSS < 200 MB."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from pytestqt.qtbot import QtBot

from calmline.audio.capture import Capture
from calmline.core.cues import CueParams
from calmline.core.live_voice import LiveVoice
from calmline.platform.baselines import BaselineFile
from calmline.ui.level_bar import LevelBar
from calmline.ui.meter_controller import MeterController
from calmline.ui.meter_panel import MeterPanel
from tests.apps import running_app
from tests.integration.test_meter_audio import wait_for_log
from tests.servers import no_audio_server, pipe_microphone, pulseaudio

SECONDS = 20
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int, tid: int | None = None) -> float:
    stat = Path(f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def switches(pid: int) -> int:
    """Context switches of every thread so far: how often the process woke."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that just ended
            for line in (task / "status").read_text().splitlines():
                if "ctxt_switches" in line:
                    total += int(line.split()[1])
    return total


def one_core() -> str:
    return str(max(os.sched_getaffinity(0)))


def pin(pid: int, core: str) -> None:
    """Every thread of ``pid`` on one core."""
    subprocess.run(["taskset", "-a", "-p", "-c", core, str(pid)], check=True, capture_output=True)


Figures = tuple[float, float, float, float]


def measure(env: dict[str, str], home: Path, play: Path | None, pinned: bool) -> Figures:
    """(% of one core for the process, of which the GUI thread, peak RSS MB,
    context switches a second).

    Pinned: the app and the audio server share one core. On this virtual
    machine a wake-up sent to another core costs a hypervisor exit, which is
    charged to the thread that sends it and swings the figure from run to run
    (5-20 % measured); on one core the figure is the app's own work, stable to
    a few tenths of a percent."""
    with running_app(env) as app:
        wait_for_log(home, "INFO calmline: ready")
        if play is not None:
            wait_for_log(home, "the microphone sends sound")
        if pinned:
            pin(app.pid, one_core())
            if "PULSE_RUNTIME_PATH" in env:
                pin(int((Path(env["PULSE_RUNTIME_PATH"]) / "pid").read_text()), one_core())
        time.sleep(1.0)
        before, gui_before = cpu_s(app.pid), cpu_s(app.pid, app.pid)
        woke, t0 = switches(app.pid), time.monotonic()
        player = subprocess.Popen(["paplay", str(play)], env=env) if play else None
        time.sleep(SECONDS)
        used, gui = cpu_s(app.pid) - before, cpu_s(app.pid, app.pid) - gui_before
        woke = switches(app.pid) - woke
        elapsed = time.monotonic() - t0
        if player:
            player.wait()
        return used / elapsed * 100, gui / elapsed * 100, peak_rss_mb(app.pid), woke / elapsed


BARE_STREAM = """
import sys, time, sounddevice as sd
from calmline.audio.capture import LATENCY_S, PREFERRED_RATE
from calmline.core.levels import BLOCK_S
s = sd.RawInputStream(channels=1, samplerate=PREFERRED_RATE, dtype="float32", latency=LATENCY_S,
                      blocksize=round(PREFERRED_RATE * BLOCK_S), callback=lambda *a: None)
s.start()
time.sleep(float(sys.argv[1]))
"""


def bare_stream_cpu(env: dict[str, str]) -> Figures:
    """A process doing nothing but the same capture, pinned like the app: the
    audio path's own floor."""
    proc = subprocess.Popen([sys.executable, "-c", BARE_STREAM, str(SECONDS + 6)], env=env)
    try:
        time.sleep(5)  # past the first-block delay of this audio path
        pin(proc.pid, one_core())
        pin(int((Path(env["PULSE_RUNTIME_PATH"]) / "pid").read_text()), one_core())
        time.sleep(1)
        before, woke, t0 = cpu_s(proc.pid), switches(proc.pid), time.monotonic()
        time.sleep(SECONDS - 1)
        elapsed = time.monotonic() - t0
        cpu = (cpu_s(proc.pid) - before) / elapsed * 100
        return cpu, 0.0, peak_rss_mb(proc.pid), (switches(proc.pid) - woke) / elapsed
    finally:
        proc.wait(30)


@pytest.mark.timeout(300)  # four 20 s runs, each with its own app or stream
def test_bench_cpu_and_memory_while_metering(
    home: Path, tmp_path: Path, benchmark: BenchmarkFixture
) -> None:
    speech = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(tmp_path / "s.wav"), "I understand. " * 40], check=True)
    subprocess.run(
        ["sox", str(tmp_path / "s.wav"), "-r", "48000", "-c", "2", str(speech), "vol", "-12dB"],
        check=True,
    )
    results: dict[str, Figures] = {}
    with pulseaudio() as env:
        env.update(CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
        results["metering, one core"] = benchmark.pedantic(
            lambda: measure(env, home, speech, pinned=True), rounds=1, iterations=1
        )
    with pulseaudio() as env:
        env.update(CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
        results["metering, any core"] = measure(env, home, speech, pinned=False)
    quiet = no_audio_server(tmp_path, CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    results["idle app, no microphone"] = measure(quiet, home, None, pinned=True)
    with pulseaudio() as env:
        results["bare sounddevice stream"] = bare_stream_cpu(env)
    for name, (cpu, gui, rss, woke) in results.items():
        benchmark.extra_info[f"{name} cpu %"] = round(cpu, 2)
        benchmark.extra_info[f"{name} gui thread cpu %"] = round(gui, 2)
        benchmark.extra_info[f"{name} peak rss MB"] = round(rss, 1)
        benchmark.extra_info[f"{name} context switches per s"] = round(woke)
        print(
            f"\n{name}: {cpu:.2f}% of one core (GUI thread {gui:.2f}%), "
            f"peak RSS {rss:.0f} MB, {woke:.0f} context switches/s"
        )
    assert max(r[2] for r in results.values()) < 200
    # The target is for the whole process, audio threads included.
    assert results["metering, one core"][0] < 3.0


WRITER = """
import os, sys, time
import numpy as np
fifo, cycles = sys.argv[1], int(sys.argv[2])
block = 480  # 10 ms at 48 kHz
silence = np.zeros(block, np.float32)
loud = (0.5 * np.sign(np.sin(np.arange(block) / 3))).astype(np.float32)
fd = os.open(fifo, os.O_WRONLY)
onsets = []
due = time.monotonic()
for _ in range(cycles):
    for i in range(180):  # 1.5 s of silence (the bar falls back below -20 dB), 0.3 s loud
        due += 0.010
        time.sleep(max(0.0, due - time.monotonic()))
        now = time.monotonic()
        if i == 150:
            onsets.append(now - 0.010)  # this block's first sample began 10 ms ago
        os.write(fd, (loud if i >= 150 else silence).tobytes())
print(" ".join(map(repr, onsets)))
"""


def test_bench_step_to_bar_latency(
    qtbot: QtBot, tmp_path: Path, benchmark: BenchmarkFixture
) -> None:
    """From a step entering the audio system to the bar crossing -20 dBFS on
    screen. A separate process feeds a pipe microphone in real time, as a sound
    card would (each 10 ms block is written 10 ms after its first sample), so the
    figure covers the audio server, PortAudio, the ring, the ~30 Hz drain and the
    paint: everything between the sound and the pixels."""
    crossings: list[float] = []
    with pulseaudio() as env, pipe_microphone(env) as fifo:
        os.environ.update({k: env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH")})
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(fifo), "20"], stdout=subprocess.PIPE, text=True
        )
        panel, compact = MeterPanel(), LevelBar()
        qtbot.addWidget(panel)
        panel.show()
        capture = Capture()
        voice = LiveVoice(CueParams(), BaselineFile(tmp_path / "b"), "")
        ctl = MeterController(capture, voice, panel, compact)
        paint = panel.bar.paintEvent
        state = {"above": False}

        def timed_paint(event: object) -> None:
            paint(event)  # type: ignore[arg-type]
            above = panel.bar.level > -20
            if above and not state["above"]:
                crossings.append(time.monotonic())
            state["above"] = above

        panel.bar.paintEvent = timed_paint  # type: ignore[method-assign]
        ctl.start()
        qtbot.waitUntil(lambda: capture.watch.flowing, timeout=10000)
        reported = float(capture.stream.latency)
        while writer.poll() is None:
            qtbot.wait(20)
        ctl.stop()
        onsets = [float(t) for t in writer.communicate()[0].split()]
    pairs = [(o, next((c for c in crossings if c >= o), None)) for o in onsets]
    latencies = [c - o for o, c in pairs if c is not None and c - o < 1.0]
    assert len(latencies) >= 18, (onsets, crossings)
    p95 = float(np.percentile(latencies, 95)) * 1000
    median = statistics.median(latencies) * 1000
    benchmark.extra_info.update(
        p95_ms=round(p95, 1),
        median_ms=round(median, 1),
        max_ms=round(max(latencies) * 1000, 1),
        portaudio_reported_input_ms=round(reported * 1000, 1),
    )
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    print(
        f"\nstep to bar: p95 {p95:.0f} ms, median {median:.0f} ms, max "
        f"{max(latencies) * 1000:.0f} ms over {len(latencies)} steps (PortAudio reports "
        f"{reported * 1000:.0f} ms of input latency for the stream)"
    )
    assert p95 < 50
