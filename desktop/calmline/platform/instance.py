"""Reaching the running Calmline: its address, a client, and starting it.

The server side is instance_server.py. This client is plain Python on purpose:
a softphone runs `calmline call start` synchronously on every call, and
importing QtNetwork alone costs about 190 ms here. Before it sends anything it
checks that the folder, the socket and the program listening are the agent's
own (runtime_dir.py; on Windows the pipe server's process owner).
"""

from __future__ import annotations

import os
import re
import socket
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from calmline.core.commands import MAX_LINE, Command, Reply, decode_reply, encode_command
from calmline.platform.runtime_dir import (
    InstanceRefused as InstanceRefused,
)
from calmline.platform.runtime_dir import (
    check_peer,
    check_private_folder,
    check_socket_file,
    folder_problem,
)

if TYPE_CHECKING:
    import subprocess


class NotRunning(ConnectionError):
    """No instance answers at the address."""


@dataclass(frozen=True)
class InstanceAddress:
    server_name: str  # what the server listens on: a socket file or \\.\pipe\name
    client_path: str  # what this client opens (the same)
    runtime_dir: Path | None  # the private folder holding the socket (None on Windows)


def _safe(text: str, limit: int = 24) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:limit] or "x"


def _temp_dir(env: dict[str, str]) -> Path:
    for key in ("TMPDIR", "TEMP", "TMP"):
        if env.get(key) and Path(env[key]).is_absolute():
            return Path(env[key])
    import tempfile  # costs ~10 ms; most machines set one of the above

    return Path(tempfile.gettempdir())


def runtime_dir(env: dict[str, str]) -> Path:
    """The user's private folder for the socket: XDG_RUNTIME_DIR when it is
    private and ours, else ``calmline-<uid>`` in the temp folder (which the
    server creates 0700 and everyone checks before use: another user may have
    made it first)."""
    xdg = env.get("XDG_RUNTIME_DIR", "")
    if xdg and Path(xdg).is_absolute() and folder_problem(Path(xdg)) is None:
        return Path(xdg)
    return _temp_dir(env) / f"calmline-{os.geteuid()}"


def instance_address(env: dict[str, str] | None = None) -> InstanceAddress:
    """One per user and data folder (CALMLINE_HOME, else the default one): the
    display name, login session and terminal do not change it, so two launches
    on one database find each other. Needs no settings: it must be fast. (The
    data folder's own lock, instance_lock.py, is what keeps it to one.)"""
    env = dict(os.environ) if env is None else env
    home = env.get("CALMLINE_HOME", "")
    tag = "main"
    if home:
        tag = f"{zlib.crc32(str(Path(home).expanduser().resolve()).encode()):08x}"
    if sys.platform == "win32":
        # Pipe names are machine-wide: the user's name keeps users apart; the
        # pipe's DACL and first-instance flag keep them out (pipe_windows.py).
        user = env.get("USERNAME") or "user"
        name = rf"\\.\pipe\calmline-{_safe(user)}-{tag}"
        return InstanceAddress(name, name, None)
    folder = runtime_dir(env)
    sock = str(folder / f"calmline-{tag}.sock")
    return InstanceAddress(sock, sock, folder)


def _read_line(recv: Callable[[float], bytes], timeout: float) -> bytes:
    data = bytearray()
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise ConnectionError(f"Calmline did not answer within {timeout:.0f} s")
        chunk = recv(left)
        if not chunk:
            raise ConnectionError("Calmline closed the connection without answering")
        data += chunk
        if len(data) > MAX_LINE:
            raise ConnectionError(f"Calmline's answer was longer than {MAX_LINE} bytes")
    return bytes(data)


def _connect_unix(address: InstanceAddress, timeout: float) -> socket.socket:
    """A connection to our own server, checked before anything is sent."""
    assert address.runtime_dir is not None
    try:
        check_private_folder(address.runtime_dir)
        check_socket_file(Path(address.client_path))
    except FileNotFoundError as exc:
        raise NotRunning(f"nothing at {exc.filename}") from exc
    except InstanceRefused:
        raise
    except OSError as exc:  # e.g. a folder on the way we may not enter
        raise InstanceRefused(
            f"cannot check {exc.filename or address.client_path}: {exc.strerror} — set "
            "XDG_RUNTIME_DIR to a folder of your own with mode 0700"
        ) from exc
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        try:
            s.connect(address.client_path)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            # A socket file left by a crash refuses connections: not running.
            raise NotRunning(str(exc)) from exc
        check_peer(s, address.client_path)
    except BaseException:
        s.close()
        raise
    return s


def send(address: InstanceAddress, cmd: Command, timeout: float = 10.0) -> Reply:
    """Send one command and wait for its reply; NotRunning when nobody listens,
    InstanceRefused when the folder, socket or server is someone else's."""
    data = encode_command(cmd)
    if sys.platform == "win32":
        from calmline.platform.pipe_windows import send_line

        try:
            return decode_reply(send_line(address.client_path, data, timeout))
        except FileNotFoundError as exc:
            raise NotRunning(str(exc)) from exc
    with _connect_unix(address, timeout) as s:
        s.sendall(data)

        def recv(left: float) -> bytes:
            s.settimeout(left)
            return s.recv(4096)

        return decode_reply(_read_line(recv, timeout))


def app_command() -> list[str]:
    """The command line that starts the companion window."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "calmline"]


def spawn_app(log_dir: Path) -> subprocess.Popen[bytes]:
    """Start the companion window detached from this process; its early errors
    (before logging is set up) go to launch.log in the log folder."""
    import subprocess

    from calmline.platform.private import open_private, private_dir

    private_dir(log_dir)
    kwargs: dict[str, object] = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = 0x00000008 | 0x00000200  # DETACHED | NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = True
    with open_private(log_dir / "launch.log", "wb") as err:
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
