"""Meter figures: CPU and peak memory of the app while metering real capture
(PulseAudio, offscreen) beside the same app with no microphone; latency from a
step in the input to the bar crossing. Targets: < 3% of one core, p95 < 50 ms,
peak RSS < 200 MB."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
from pytest_benchmark.fixture import BenchmarkFixture
from pytestqt.qtbot import QtBot

from calmline.audio.capture import Capture
from calmline.core.cues import CueParams
from calmline.store.baselines import BaselineFile
from calmline.ui.level_bar import LevelBar
from calmline.ui.meter_controller import MeterController
from calmline.ui.meter_panel import MeterPanel
from tests.apps import running_app
from tests.integration.test_meter_audio import wait_for_log
from tests.servers import pulseaudio

SECONDS = 20
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def measure(env: dict[str, str], home: Path, play: Path | None) -> tuple[float, float]:
    with running_app(env) as app:
        wait_for_log(home, "INFO calmline: ready")
        if play is not None:
            wait_for_log(home, "the microphone sends sound")
        time.sleep(1.0)
        before, t0 = cpu_s(app.pid), time.monotonic()
        player = subprocess.Popen(["paplay", str(play)], env=env) if play else None
        time.sleep(SECONDS)
        used = cpu_s(app.pid) - before
        elapsed = time.monotonic() - t0
        if player:
            player.wait()
        return used / elapsed * 100, peak_rss_mb(app.pid)


def test_bench_cpu_and_memory_while_metering(
    home: Path, tmp_path: Path, benchmark: BenchmarkFixture
) -> None:
    speech = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(tmp_path / "s.wav"), "I understand. " * 40], check=True)
    subprocess.run(
        ["sox", str(tmp_path / "s.wav"), "-r", "48000", "-c", "2", str(speech), "vol", "-12dB"],
        check=True,
    )
    results: dict[str, tuple[float, float]] = {}
    with pulseaudio() as env:
        env.update(CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
        results["metering"] = benchmark.pedantic(
            lambda: measure(env, home, speech), rounds=1, iterations=1
        )
    runtime = tmp_path / "none"
    runtime.mkdir(mode=0o700)
    quiet = dict(
        os.environ,
        CALMLINE_HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
        XDG_RUNTIME_DIR=str(runtime),
        PULSE_SERVER=f"unix:{runtime}/nothing",
    )
    results["no microphone"] = measure(quiet, home, None)
    for name, (cpu, rss) in results.items():
        benchmark.extra_info[f"{name} cpu %"] = round(cpu, 2)
        benchmark.extra_info[f"{name} peak rss MB"] = round(rss, 1)
        print(f"\n{name}: {cpu:.2f}% of one core, peak RSS {rss:.0f} MB")
    assert results["metering"][0] < 3.0
    assert max(r[1] for r in results.values()) < 200


def test_bench_step_to_bar_latency(
    qtbot: QtBot, tmp_path: Path, benchmark: BenchmarkFixture
) -> None:
    """From the block holding a step arriving from the audio system to the bar
    crossing -20 dBFS, plus the input latency PortAudio reports for the stream."""
    step = tmp_path / "steps.wav"
    parts = []
    for _ in range(15):
        parts += [np.zeros(int(0.6 * 48000)), 0.5 * np.sign(np.sin(np.arange(14400) / 3))]
    audio = (np.concatenate(parts) * 32767).astype("<i2")
    stereo = np.repeat(audio[:, None], 2, axis=1)
    import wave

    with wave.open(str(step), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(stereo.tobytes())
    latencies: list[float] = []
    with pulseaudio() as env:
        os.environ.update({k: env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH")})
        panel, compact = MeterPanel(), LevelBar()
        qtbot.addWidget(panel)
        capture = Capture()
        arrivals: list[tuple[int, float]] = []  # (blocks written, time) per callback
        original = capture._callback

        def timed(*args: object) -> None:
            original(*args)  # type: ignore[arg-type]
            if capture.ring is not None:
                arrivals.append((capture.ring.written, time.monotonic()))

        capture._callback = timed  # type: ignore[method-assign]
        ctl = MeterController(
            capture, CueParams(), panel, compact, BaselineFile(tmp_path / "b"), ""
        )
        ctl.start()
        qtbot.waitUntil(lambda: bool(arrivals), timeout=8000)
        reported = float(capture.stream.latency)
        player = subprocess.Popen(["paplay", str(step)], env=env)
        loud = False
        crossed_block: int | None = None
        end = time.monotonic() + 30
        while player.poll() is None and time.monotonic() < end:
            qtbot.wait(5)
            above = panel.bar.level > -20
            if above and not loud:
                # the first block of this step: the earliest written block above -20 dB
                crossed_block = ctl.blocks
                first = next((t for n, t in arrivals if n >= crossed_block - 2), arrivals[-1][1])
                latencies.append(time.monotonic() - first + reported)
            loud = above
        ctl.stop()
        player.wait()
    assert crossed_block is not None and len(latencies) >= 10, latencies
    p95 = float(np.percentile(latencies, 95)) * 1000
    benchmark.extra_info.update(
        p95_ms=round(p95, 1),
        median_ms=round(statistics.median(latencies) * 1000, 1),
        reported_input_latency_ms=round(reported * 1000, 1),
    )
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    print(
        f"\nstep to bar: p95 {p95:.0f} ms, median {statistics.median(latencies) * 1000:.0f} ms "
        f"(of which PortAudio's reported input latency {reported * 1000:.0f} ms)"
    )
    assert p95 < 50
