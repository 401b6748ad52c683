"""Running the real app and CLI as separate processes, cleaned up afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from calmline.platform.instance import InstanceAddress, instance_address


def calmline(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calmline", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def address_for(env: dict[str, str]) -> InstanceAddress:
    return instance_address(env)


def lock_pid(env: dict[str, str]) -> int | None:
    """The pid of the instance holding the lock (QLockFile's first line)."""
    try:
        return int(address_for(env).lock_path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_pid(pid: int | None) -> None:
    """Stop an app the CLI started (detached, so not our child: no zombie)."""
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            os.kill(pid, 0)
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


def wait_listening(env: dict[str, str], proc: subprocess.Popen[str] | None = None) -> None:
    path = Path(address_for(env).client_path)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the app exited early: {proc.communicate()}")
        if path.exists() and lock_pid(env):
            return
        time.sleep(0.05)
    raise AssertionError("the app never listened for commands")


@contextlib.contextmanager
def running_app(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "calmline"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(env, proc)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
