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
from calmline.platform.instance_lock import lock_path, read_holder
from calmline.platform.paths import app_paths


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


def lock_file(env: dict[str, str]) -> Path:
    """The data folder's instance lock."""
    return lock_path(app_paths(env).data_dir)


def lock_pid(env: dict[str, str]) -> int | None:
    """The pid in the data folder's lock: the instance holding it (or one that
    crashed holding it; one that quit empties it)."""
    return read_holder(lock_file(env)).pid


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


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_listening(env: dict[str, str], proc: subprocess.Popen[str] | None = None) -> None:
    """Until a live instance holds the data folder's lock and its socket exists
    (it listens right after taking the lock)."""
    path = Path(address_for(env).client_path)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the app exited early: {proc.communicate()}")
        if path.exists() and _alive(lock_pid(env)):
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
