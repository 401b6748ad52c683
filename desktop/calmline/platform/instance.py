"""Reaching the running Calmline: its address, a client, and starting it.

The server side is a QLocalServer (instance_server.py). This client is plain
Python on purpose: a softphone runs `calmline call start` synchronously on every
call, and importing QtNetwork alone costs about 190 ms here; a Unix socket or
a Windows named pipe opened as a file is what QLocalSocket would do anyway.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from calmline.core.commands import MAX_LINE, Command, Reply, decode_reply, encode_command

if TYPE_CHECKING:
    import subprocess


class NotRunning(ConnectionError):
    """No instance answers at the address."""


@dataclass(frozen=True)
class InstanceAddress:
    server_name: str  # what QLocalServer.listen() takes
    client_path: str  # what this client opens: a socket file or \\.\pipe\name
    lock_path: Path  # held by the running instance (QLockFile)


def _safe(text: str, limit: int = 24) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:limit] or "x"


def _session_id(env: dict[str, str]) -> str:
    """Which login session this is: two users, or one user in two sessions of a
    terminal server, must never reach each other's instance."""
    if sys.platform == "win32":
        import ctypes

        sid = ctypes.c_ulong(0)
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        if kernel32.ProcessIdToSessionId(kernel32.GetCurrentProcessId(), ctypes.byref(sid)):
            return str(sid.value)
        return env.get("SESSIONNAME", "0")
    # X11 terminal servers give each session its own display.
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_ID"):
        if env.get(key):
            return _safe(env[key].lstrip(":"), 16)
    return "0"


def _temp_dir(env: dict[str, str]) -> Path:
    for key in ("TMPDIR", "TEMP", "TMP"):
        if env.get(key):
            return Path(env[key])
    import tempfile  # costs ~10 ms; most machines set one of the above

    return Path(tempfile.gettempdir())


def instance_address(env: dict[str, str] | None = None) -> InstanceAddress:
    """Unique per user, login session and CALMLINE_HOME (each home is its own
    Calmline, with its own database). Needs no settings: it must be fast."""
    env = dict(os.environ) if env is None else env
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    home = env.get("CALMLINE_HOME", "")
    tag = "main"
    if home:
        tag = f"{zlib.crc32(str(Path(home).expanduser().resolve()).encode()):08x}"
    name = f"calmline-{_safe(user)}-{_session_id(env)}-{tag}"
    if sys.platform == "win32":
        return InstanceAddress(name, rf"\\.\pipe\{name}", _temp_dir(env) / f"{name}.lock")
    # XDG_RUNTIME_DIR is private to the user (0700); else the per-user TMPDIR.
    run_dir = Path(env.get("XDG_RUNTIME_DIR") or _temp_dir(env))
    sock = str(run_dir / f"{name}.sock")
    return InstanceAddress(sock, sock, run_dir / f"{name}.lock")


def _read_line(recv: object, timeout: float) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        chunk = recv()  # type: ignore[operator]
        if not chunk:
            raise ConnectionError("Calmline closed the connection without answering")
        data += chunk
        if len(data) > MAX_LINE or time.monotonic() > deadline:
            raise ConnectionError("Calmline's answer was too long or too slow")
    return data


def send(address: InstanceAddress, cmd: Command, timeout: float = 10.0) -> Reply:
    """Send one command and wait for its reply; NotRunning when nobody listens."""
    data = encode_command(cmd)
    if sys.platform == "win32":
        return _send_pipe(address.client_path, data, timeout)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(address.client_path)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            # A socket file left by a crash refuses connections: not running.
            raise NotRunning(str(exc)) from exc
        s.sendall(data)
        return decode_reply(_read_line(lambda: s.recv(4096), timeout))


def _send_pipe(path: str, data: bytes, timeout: float) -> Reply:
    deadline = time.monotonic() + timeout
    while True:
        try:
            pipe = open(path, "r+b", buffering=0)  # noqa: SIM115 - closed below
            break
        except FileNotFoundError as exc:
            raise NotRunning(str(exc)) from exc
        except OSError:  # ERROR_PIPE_BUSY: the server is answering someone else
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    with pipe:
        pipe.write(data)
        return decode_reply(_read_line(lambda: pipe.read(1), timeout))


def app_command() -> list[str]:
    """The command line that starts the companion window."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "calmline"]


def spawn_app(log_dir: Path) -> subprocess.Popen[bytes]:
    """Start the companion window detached from this process; its early errors
    (before logging is set up) go to launch.log in the log folder."""
    import subprocess

    log_dir.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, object] = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = 0x00000008 | 0x00000200  # DETACHED | NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = True
    with open(log_dir / "launch.log", "wb") as err:
        return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
            app_command(), stdin=subprocess.DEVNULL, stdout=err, stderr=err, **kwargs
        )


def send_starting_if_needed(address: InstanceAddress, cmd: Command, wait_s: float = 20.0) -> Reply:
    """Send ``cmd``; if no instance runs, start one and send once it listens."""
    try:
        return send(address, cmd)
    except NotRunning:
        pass
    from calmline.platform.paths import app_paths  # platformdirs: only when starting

    log_dir = app_paths().log_dir
    proc = spawn_app(log_dir)
    deadline = time.monotonic() + wait_s
    while True:
        time.sleep(0.05)
        try:
            return send(address, cmd)
        except NotRunning:
            code = proc.poll()
            if code is not None and code != 0:
                tail = (log_dir / "launch.log").read_text(errors="replace").strip()
                last = tail.splitlines()[-1] if tail else f"exit status {code}"
                raise NotRunning(f"Calmline could not start: {last}") from None
            if time.monotonic() > deadline:
                raise NotRunning(
                    f"Calmline did not answer within {wait_s:.0f} s of starting — "
                    f"see the log in {log_dir}"
                ) from None
