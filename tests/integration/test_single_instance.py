"""Softphone commands forwarded between real processes, and a crash's leftovers."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from calmline.platform.instance import instance_address
from tests.apps import address_for, calmline, lock_pid, stop_pid, wait_listening


@pytest.fixture
def env(home: Path, tmp_path: Path) -> dict[str, str]:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    e = dict(os.environ, CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    e["XDG_RUNTIME_DIR"] = str(runtime)
    e.pop("DISPLAY", None)
    return e


def test_cli_commands_reach_the_running_instance(env: dict[str, str], home: Path) -> None:
    res = calmline("call", "end", env=env)
    assert (res.returncode, res.stdout) == (3, "")
    assert res.stderr == "calmline: Calmline is not running — start it with `calmline`\n"
    res = calmline("show", env=env)  # starts the app, then shows it
    pid = lock_pid(env)
    try:
        assert (res.returncode, res.stdout) == (0, "window shown\n"), res.stderr
        res = calmline("call", "start", "--caller", "555", env=env)
        assert res.returncode == 1
        assert res.stderr == (
            "calmline: cannot start a call: no shift is running — start a shift first\n"
        )
        assert calmline("shift", "start", "--agent", "a-1", env=env).stdout == (
            "shift started for a-1\n"
        )
        # MicroSIP-style: the number appended as the last argument
        res = calmline("call", "start", "--customer", "C-9", "+44 20 7946 0000", env=env)
        assert res.stdout == "call started with +44 20 7946 0000\n", res.stderr
        assert calmline("step", "next", env=env).stdout.startswith("ticked '")
        assert calmline("note", "wants", "a", "refund", env=env).returncode == 0
        res = calmline("call", "end", "+44 20 7946 0000", env=env)
        assert res.stdout.startswith("call ended after "), res.stderr
        res = calmline("call", "end", env=env)
        assert res.returncode == 1 and "no call is in progress" in res.stderr
        second = calmline(env=env)  # a second launch hands over and exits
        assert second.returncode == 0
        assert second.stdout == "Calmline is already running: window shown\n"
        assert lock_pid(env) == pid  # still the one instance
        res = calmline("shift", "end", env=env)
        assert res.stdout == "shift ended; 1 incident draft(s) still to finish\n"
    finally:
        stop_pid(pid)
    db = sqlite3.connect(home / "calmline.db")
    row = db.execute("SELECT id, caller_number, customer_ref, ended_at FROM incidents").fetchall()
    assert len(row) == 1 and row[0][1:3] == ("+44 20 7946 0000", "C-9") and row[0][3]
    notes = db.execute("SELECT text, incident_id FROM notes").fetchall()
    assert notes == [("wants a refund", row[0][0])]
    assert db.execute("SELECT count(*) FROM step_events").fetchone()[0] == 1


def test_a_crashed_instance_is_replaced(env: dict[str, str]) -> None:
    assert calmline("shift", "start", "--agent", "a-2", env=env).returncode == 0
    first = lock_pid(env)
    assert first
    os.kill(first, signal.SIGKILL)
    time.sleep(0.2)
    sock = Path(address_for(env).client_path)
    assert sock.exists()  # the crash left its socket (and lock file) behind
    res = calmline("note", "x", env=env)
    assert res.returncode == 3 and "not running" in res.stderr  # refused, not hanging
    res = calmline("show", env=env)
    second = lock_pid(env)
    try:
        assert res.returncode == 0, res.stderr
        assert second and second != first
        # the open shift survived the crash and is resumed
        res = calmline("call", "start", "555", env=env)
        assert res.stdout == "call started with 555\n", res.stderr
    finally:
        stop_pid(second)


def test_address_is_per_user_and_data_folder(tmp_path: Path) -> None:
    # It used to change with DISPLAY too, so ":0" and ":0.0" made two instances
    # on one database (issue 17); the display and session no longer count.
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    base = {"XDG_RUNTIME_DIR": str(runtime), "DISPLAY": ":0", "CALMLINE_HOME": "/a"}
    a = instance_address(base)
    assert a.server_name.startswith(f"{runtime}/calmline-")
    assert a.server_name == instance_address(dict(base)).server_name
    for other_session in ({"DISPLAY": ":0.0"}, {"DISPLAY": ":12"}, {"XDG_SESSION_ID": "c7"}):
        assert instance_address({**base, **other_session}).server_name == a.server_name
    other_home = instance_address({**base, "CALMLINE_HOME": "/b"})
    default_home = instance_address({k: v for k, v in base.items() if k != "CALMLINE_HOME"})
    assert len({a.server_name, other_home.server_name, default_home.server_name}) == 3
    assert a.server_name.startswith(str(runtime)) and len(a.server_name) < 100


def test_a_runtime_folder_open_to_others_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o700)
    shared.chmod(0o755)
    a = instance_address({"XDG_RUNTIME_DIR": str(shared), "TMPDIR": str(tmp_path)})
    assert a.runtime_dir == tmp_path / f"calmline-{os.geteuid()}"


def test_two_launches_at_once_make_one_instance(env: dict[str, str]) -> None:
    import subprocess
    import sys

    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "calmline"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        wait_listening(env)
        end = time.monotonic() + 30
        while time.monotonic() < end and all(p.poll() is None for p in procs):
            time.sleep(0.05)
        done = [p for p in procs if p.poll() is not None]
        assert len(done) == 1 and done[0].returncode == 0, [p.communicate() for p in done]
        assert "already running" in done[0].communicate()[0]
        alive = [p for p in procs if p.poll() is None]
        assert len(alive) == 1 and lock_pid(env) == alive[0].pid
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(10)
