"""Only the agent reaches their instance (issue 17, class 1) and the command
socket's messages are bounded (class 6), tried with the real app and CLI as
subprocesses and a second local user (nobody) squatting, connecting, serving.

The attacker is told where to squat by the code under test (instance_address),
as a real one would read it from the source: so each test also ran against the
build before the fix, and failed there.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apps import address_for, calmline, lock_file, lock_pid, running_app
from tests.servers import wait_for

SYSTEM_PYTHON = "/usr/bin/python3"  # nobody cannot run the venv's (it lives under /root)
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets and runuser")

# A squatter as nobody: listens at argv[1] (made there, or the inherited socket
# argv[2]), answers every connection like a Calmline would, and prints what it got.
SQUATTER = r"""
import os, socket, sys
path, fd = sys.argv[1], int(sys.argv[2])
if fd >= 0:
    s = socket.socket(fileno=fd)
else:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
s.listen()
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.settimeout(3)
    try:
        data = c.recv(65536)
    except OSError:
        data = b""
    print("got", repr(data), flush=True)
    try:
        c.sendall(b'{"ok": true, "message": "window shown"}\n')
    except OSError:
        pass
    c.close()
"""

# A client as nobody: sends argv[2] to the socket argv[1], prints the answer.
INTRUDER = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.sendall(sys.argv[2].encode() + b"\n")
    print("answer", repr(s.recv(65536)), flush=True)
except OSError as exc:
    print("answer", repr(b""), type(exc).__name__, flush=True)
"""


def one_line(text: str) -> str:
    assert text.endswith("\n") and text.count("\n") == 1, text
    return text


@pytest.fixture
def nobody(other_user: list[str]) -> list[str]:
    if not Path(SYSTEM_PYTHON).exists():
        pytest.skip(f"needs {SYSTEM_PYTHON} for the second user's programs")
    return [*other_user, SYSTEM_PYTHON, "-c"]


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temp folder every user may write into (sticky, like /tmp)."""
    path = Path(tempfile.mkdtemp(prefix="calmline-shared-", dir="/tmp"))
    path.chmod(0o1777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def base_env(home: Path) -> dict[str, str]:
    e = dict(os.environ, CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_ID", "XDG_RUNTIME_DIR"):
        e.pop(key, None)
    return e


@pytest.fixture
def shared_env(home: Path, shared_tmp: Path) -> dict[str, str]:
    """No XDG_RUNTIME_DIR: the socket's folder goes in a temp folder others share."""
    return {**base_env(home), "TMPDIR": str(shared_tmp)}


@pytest.fixture
def env(home: Path, tmp_path: Path) -> dict[str, str]:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    return {**base_env(home), "XDG_RUNTIME_DIR": str(runtime)}


@contextlib.contextmanager
def squatter(nobody: list[str], path: str, fd: int = -1) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [*nobody, SQUATTER, path, str(fd)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        pass_fds=[fd] if fd >= 0 else [],
        start_new_session=True,  # runuser and nobody's python: stopped together
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n", proc.stderr.read() if proc.stderr else ""
        yield proc
    finally:
        stop_group(proc)


def stop_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def squatter_heard(proc: subprocess.Popen[str]) -> str:
    """Everything the squatter printed (it is stopped first)."""
    stop_group(proc)
    assert proc.stdout is not None
    return proc.stdout.read()


def refused(res: subprocess.CompletedProcess[str], *names: str) -> None:
    """Refused in one line naming each of ``names``; never taken for running."""
    assert res.returncode != 0, (res.stdout, res.stderr)
    line = one_line(res.stderr)
    assert line.startswith("calmline: "), line
    for name in names:
        assert name in line, line
    assert "already running" not in res.stdout + res.stderr


# --- the socket's folder and the socket --------------------------------------


@posix_only
@pytest.mark.parametrize("planted", ["folder", "symlink"])
def test_a_runtime_folder_another_user_made_first_is_refused(
    nobody: list[str], shared_env: dict[str, str], shared_tmp: Path, planted: str
) -> None:
    folder = Path(address_for(shared_env).client_path).parent
    bait = shared_tmp / "bait"
    make = {
        "folder": f"import os; os.makedirs({str(folder)!r}, 0o755, exist_ok=True)",
        "symlink": f"import os; os.mkdir({str(bait)!r}, 0o777); "
        f"os.path.lexists({str(folder)!r}) or os.symlink({str(bait)!r}, {str(folder)!r})",
    }[planted]
    subprocess.run([*nobody, make], check=True)
    res = calmline(env=shared_env, timeout=30)  # the window
    refused(res, f"refusing {folder}", "nobody")
    res = calmline("note", "the customer's card number", env=shared_env)
    refused(res, f"refusing {folder}", "nobody")
    assert lock_pid(shared_env) is None  # no instance was started either
    if bait.exists():
        assert list(bait.iterdir()) == []  # nothing of ours went into nobody's folder


@posix_only
def test_a_socket_another_user_listens_on_first_is_refused(
    nobody: list[str], shared_env: dict[str, str]
) -> None:
    path = address_for(shared_env).client_path
    with squatter(nobody, path) as proc:
        res = calmline("note", "secret-words", env=shared_env)
        refused(res, "nobody")
        res = calmline("show", env=shared_env)  # would start Calmline if nothing answered
        refused(res, "nobody")
        res = calmline(env=shared_env, timeout=30)
        refused(res, "nobody")
        heard = squatter_heard(proc)
    assert "secret-words" not in heard and "show" not in heard, heard
    assert lock_pid(shared_env) is None


@posix_only
def test_a_server_run_by_another_user_is_refused_before_anything_is_sent(
    nobody: list[str], env: dict[str, str]
) -> None:
    # The socket file is ours, in our private folder; only the program behind it
    # is nobody's (it listens on a socket we bound): the peer's uid must decide.
    path = address_for(env).client_path
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as bound:
        bound.bind(path)
        os.set_inheritable(bound.fileno(), True)
        with squatter(nobody, path, bound.fileno()) as proc:
            bound.close()
            res = calmline("note", "secret-words", env=env)
            refused(res, f"refusing {path}", "runs as nobody")
            res = calmline(env=env, timeout=30)
            refused(res, f"refusing {path}", "runs as nobody")
            heard = squatter_heard(proc)
    assert "secret-words" not in heard and "show" not in heard, heard


@posix_only
def test_another_user_connecting_is_dropped_and_the_command_never_runs(
    nobody: list[str], env: dict[str, str], home: Path, shared_tmp: Path
) -> None:
    runtime = shared_tmp / "run"  # where nobody can reach (pytest's tmp_path is root's alone)
    runtime.mkdir(mode=0o700)
    env = {**env, "XDG_RUNTIME_DIR": str(runtime)}
    with running_app(env):
        path = address_for(env).client_path
        # Open the way through the file system, so only the uid check stands.
        runtime.chmod(0o711)
        os.chmod(path, 0o777)
        try:
            cmd = json.dumps({"cmd": "shift-start", "args": {"agent": "intruder"}})
            res = subprocess.run(
                [*nobody, INTRUDER, path, cmd], capture_output=True, text=True, timeout=30
            )
        finally:
            runtime.chmod(0o700)
        assert res.stdout.startswith("answer b''"), (res.stdout, res.stderr)
        log = home / "logs" / "calmline.log"
        wait_for(lambda: "from nobody (uid 65534)" in log.read_text(), 10, "the log line")
        # our own commands still work
        res = calmline("shift", "start", "--agent", "a-1", env=env)
        assert res.stdout == "shift started for a-1\n", res.stderr
    db = sqlite3.connect(home / "calmline.db")
    assert db.execute("SELECT agent_id FROM shifts").fetchall() == [("a-1",)]


@posix_only
def test_a_lock_file_another_user_left_in_the_data_folder_is_refused(
    nobody: list[str], env: dict[str, str], shared_tmp: Path
) -> None:
    home = shared_tmp / "home"  # where nobody can reach (pytest's tmp_path is root's alone)
    home.mkdir(mode=0o700)
    env = {**env, "CALMLINE_HOME": str(home)}
    lock = lock_file(env)
    home.chmod(0o777)  # as an older install might have left it, for a while
    try:
        subprocess.run([*nobody, f"open({str(lock)!r}, 'w').write('1\\n')"], check=True)
    finally:
        home.chmod(0o700)
    res = calmline(env=env, timeout=30)
    refused(res, str(lock), "nobody")
    res = calmline("show", env=env)
    assert res.returncode != 0 and "nobody" in one_line(res.stderr)


# --- one instance per user and data folder ------------------------------------


@posix_only
def test_display_spellings_and_sessions_reach_one_instance(env: dict[str, str]) -> None:
    with running_app({**env, "DISPLAY": ":0", "XDG_SESSION_ID": "3"}) as app:
        for other in ({"DISPLAY": ":0.0"}, {"DISPLAY": "localhost:0", "XDG_SESSION_ID": "9"}):
            res = calmline(env={**env, **other}, timeout=30)
            assert (res.returncode, res.stdout) == (
                0,
                "Calmline is already running: window shown\n",
            )
            assert lock_pid(env) == app.pid
        res = calmline("shift", "start", "--agent", "a-1", env={**env, "DISPLAY": ":0.0"})
        assert res.stdout == "shift started for a-1\n", res.stderr
        assert app.poll() is None and lock_pid(env) == app.pid


@posix_only
def test_a_second_window_on_the_same_database_is_refused(
    env: dict[str, str], home: Path, tmp_path: Path
) -> None:
    other_runtime = tmp_path / "run2"
    other_runtime.mkdir(mode=0o700)
    other = {**env, "XDG_RUNTIME_DIR": str(other_runtime)}
    with running_app(env) as app:
        res = calmline(env=other, timeout=30)
        refused(res, str(home), f"process {app.pid}", "one window per database")
        res = calmline("show", env=other)  # starts a window, which refuses: said at once
        assert res.returncode == 3 and "one window per database" in one_line(res.stderr)
        link = tmp_path / "same-home"
        link.symlink_to(home)  # another spelling of the same folder finds the same one
        res = calmline(env={**env, "CALMLINE_HOME": str(link)}, timeout=30)
        assert (res.returncode, res.stdout) == (0, "Calmline is already running: window shown\n")
        assert app.poll() is None and lock_pid(env) == app.pid


# --- messages are bounded -----------------------------------------------------


def _connect(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def _answer(s: socket.socket, timeout: float = 15) -> bytes:
    """What the server sends before it closes (b"" when it just closes)."""
    s.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


@posix_only
def test_a_silent_or_dribbling_client_blocks_no_one_and_is_dropped(
    env: dict[str, str], home: Path
) -> None:
    with running_app(env):
        path = address_for(env).client_path
        silent, dribbler = _connect(path), _connect(path)
        dribbler.sendall(b'{"cmd": ')
        start = time.monotonic()
        res = calmline("show", env=env)
        assert (res.returncode, res.stdout) == (0, "window shown\n"), res.stderr
        silent.setblocking(False)
        with pytest.raises(BlockingIOError):  # still open: the second did not wait for it
            silent.recv(1)
        dribbler.sendall(b'"sh')
        for s in (silent, dribbler):
            reply = json.loads(_answer(s, timeout=20))
            assert reply["ok"] is False and "in time" in reply["message"]
            s.close()
        assert time.monotonic() - start < 20
        log = (home / "logs" / "calmline.log").read_text()
        assert log.count("sent no complete line within") == 2


@posix_only
def test_connections_beyond_the_cap_are_told_busy(env: dict[str, str]) -> None:
    from calmline.platform import instance_server

    cap = getattr(instance_server, "MAX_CLIENTS", 16)
    with running_app(env):
        path = address_for(env).client_path
        held = [_connect(path) for _ in range(cap)]
        extra = _connect(path)
        extra.sendall(b'{"cmd": "show", "args": {}}\n')
        reply = json.loads(_answer(extra, timeout=20))
        assert reply["ok"] is False and "busy" in reply["message"]
        for s in held:
            s.close()
        wait_for(lambda: calmline("show", env=env).returncode == 0, 20, "a free slot")


HOSTILE_LINES = [  # what each must be told (None: anything, as long as it is one reply)
    (b"\xff\xfe\x00 not text\n", "not one JSON line"),
    (b"[" * 30000 + b"]" * 30000 + b"\n", None),  # deeper than json can go: crashed it
    (b'{"cmd": "show", "args": ["x"]}\n', "'args'"),
    (b'{"cmd": "rm -rf", "args": {}}\n', "unknown command"),
    (b"x" * 70000, "too long"),
]


@posix_only
def test_bad_bytes_get_one_clear_reply_and_no_crash(env: dict[str, str], home: Path) -> None:
    with running_app(env) as app:
        for line, says in HOSTILE_LINES:
            s = _connect(address_for(env).client_path)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                s.sendall(line)
            answer = _answer(s)
            s.close()
            assert answer.count(b"\n") == 1, (line[:20], answer)
            reply = json.loads(answer)
            assert reply["ok"] is False and (says or "") in reply["message"], reply
        res = calmline("show", env=env)
        assert (res.returncode, res.stdout) == (0, "window shown\n"), res.stderr
        assert app.poll() is None
    assert "uncaught exception" not in (home / "logs" / "calmline.log").read_text()


# --- Windows: the pipe --------------------------------------------------------


def test_the_pipe_admits_only_the_given_sid() -> None:
    from calmline.platform.pipe_windows import logon_sid, pipe_sddl

    sid = "S-1-5-21-1004336348-1177238915-682003330-1001"
    assert pipe_sddl(sid) == f"D:P(A;;GA;;;{sid})"
    for bad in ("", "WD", f"{sid})(A;;GA;;;WD", "S-1-5-21 -1"):
        with pytest.raises(ValueError, match="not a Windows SID"):
            pipe_sddl(bad)
    groups = [("S-1-1-0", 7), ("S-1-5-5-0-123456", 0xC0000007), ("S-1-5-32-545", 7)]
    assert logon_sid(groups) == "S-1-5-5-0-123456"
    assert logon_sid(groups[:1]) is None


@pytest.mark.skipif(
    sys.platform != "win32",
    reason="the named-pipe server is Windows-only: runs on the Windows CI runner (issue 21)",
)
def test_the_pipe_is_first_instance_only_bounded_and_answers_its_owner() -> None:
    from calmline.core.commands import Reply, encode_reply
    from calmline.platform.pipe_windows import PipeServer, send_line
    from calmline.platform.runtime_dir import InstanceRefused

    name = rf"\\.\pipe\calmline-test-{os.getpid()}"
    server = PipeServer(name, lambda line: encode_reply(Reply(True, line.decode().strip())), 1, 2)
    server.start()
    try:
        with pytest.raises(InstanceRefused, match="already holds this pipe name"):
            PipeServer(name, lambda line: b"", 1, 2).start()  # FILE_FLAG_FIRST_PIPE_INSTANCE
        assert send_line(name, b"hello\n", 5) == b'{"ok": true, "message": "hello"}\n'
        silent = open(name, "r+b", buffering=0)  # noqa: SIM115 - closed below
        try:
            assert b"in time" in silent.read(4096)  # dropped after read_timeout_s
        finally:
            silent.close()
        assert send_line(name, b"again\n", 5).startswith(b'{"ok": true')
    finally:
        server.stop()
