"""The running instance's end of the command socket.

There is one per data folder: the lock in the data folder decides
(instance_lock.py). On Linux and macOS it is a QLocalServer in the agent's
private runtime folder, and each connection's peer must run as the agent; on
Windows a pipe that only the agent's logon session may open (pipe_windows.py).
Either way every connection is bounded — one line of at most MAX_LINE bytes
within READ_TIMEOUT_S, at most MAX_CLIENTS at once — and whatever arrives gets
one reply line, never a crash.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from calmline.core.commands import (
    MAX_LINE,
    Command,
    CommandError,
    Reply,
    decode_command,
    encode_reply,
)
from calmline.platform.instance import InstanceAddress
from calmline.platform.instance_lock import Holder, InstanceLock
from calmline.platform.runtime_dir import (
    InstanceRefused,
    check_socket_file,
    ensure_private_folder,
    folder_problem,
    peer_uid,
    user_text,
)

if TYPE_CHECKING:
    from calmline.platform.pipe_windows import PipeServer

log = logging.getLogger(__name__)

Handler = Callable[[Command], Reply]

READ_TIMEOUT_S = 5.0  # a client sends its line at once; this is ample on a loaded machine
MAX_CLIENTS = 16  # a softphone sends one command at a time
ANSWER_TIMEOUT_S = 30.0  # Windows: how long a pipe thread waits for the GUI thread


class InstanceError(RuntimeError):
    pass


def reply_to(line: bytes, handler: Handler) -> Reply:
    """One line in, one reply out, whatever the line holds."""
    try:
        cmd = decode_command(line)
    except CommandError as exc:
        return Reply(False, str(exc))
    except (ValueError, RecursionError) as exc:  # e.g. JSON nested too deep
        return Reply(False, f"command is not one plain JSON line ({type(exc).__name__})")
    log.info("command %s %s", cmd.name, sorted(cmd.args))
    try:
        return handler(cmd)
    except Exception as exc:  # the caller gets one line; the log the rest
        log.exception("command %s failed", cmd.name)
        return Reply(False, f"{cmd.name} failed: {exc} (details in the log)")


class _Job:
    def __init__(self, line: bytes) -> None:
        self.line, self.reply, self.done = line, b"", threading.Event()


class InstanceServer(QObject):
    _asked = Signal(object)  # Windows: a pipe thread's line, answered on the GUI thread

    def __init__(
        self,
        address: InstanceAddress,
        lock_path: Path,
        handler: Handler,
        *,
        read_timeout_s: float = READ_TIMEOUT_S,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        super().__init__()
        self.address, self.handler = address, handler
        self.read_timeout_s, self.max_clients = read_timeout_s, max_clients
        self._lock = InstanceLock(lock_path)
        self._server: QLocalServer | None = None
        self._pipe: PipeServer | None = None
        self._open: dict[QLocalSocket, bytearray] = {}  # connections still owed an answer
        self._asked.connect(self._answer_job)

    def start(self) -> bool:
        """Take the data folder's lock and listen. False when another live
        instance of this user holds the lock (hand over to it); InstanceRefused
        when the folder, lock or socket is someone else's; InstanceError when
        the lock or socket cannot be made."""
        try:
            if not self._lock.acquire(self.address.server_name):
                return False
        except OSError as exc:
            if isinstance(exc, InstanceRefused):
                raise
            raise InstanceError(
                f"cannot create the lock file {self._lock.path}: {exc.strerror} — check "
                "that the data folder exists and is writable"
            ) from exc
        try:
            if sys.platform == "win32":
                self._listen_pipe()
            else:
                self._listen_socket()
        except BaseException as exc:
            self._lock.release()
            if isinstance(exc, OSError) and not isinstance(exc, InstanceRefused):
                raise InstanceError(
                    f"cannot make the command socket {self.address.server_name}: {exc} — set "
                    "XDG_RUNTIME_DIR or TMPDIR to a folder of yours that exists"
                ) from exc
            raise
        log.info("listening for commands on %s", self.address.server_name)
        return True

    def holder(self) -> Holder:
        """Who holds the data folder's lock (after start() returned False)."""
        return self._lock.holder()

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._pipe is not None:
            self._pipe.stop()
        self._lock.release()

    # --- Linux and macOS ------------------------------------------------------

    def _listen_socket(self) -> None:
        folder, path = self.address.runtime_dir, Path(self.address.server_name)
        assert folder is not None
        xdg = os.environ.get("XDG_RUNTIME_DIR", "")
        if xdg and Path(xdg) != folder:
            log.warning(
                "XDG_RUNTIME_DIR not used: %s; commands use %s", folder_problem(Path(xdg)), folder
            )
        ensure_private_folder(folder)
        try:
            check_socket_file(path)
        except FileNotFoundError:
            pass
        else:
            if _answers(str(path)):
                raise InstanceRefused(
                    f"refusing {path}: another program of yours already listens there — quit "
                    "it and start Calmline again"
                )
            # We hold the data folder's lock: a dead socket there is a crashed instance's.
            QLocalServer.removeServer(self.address.server_name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._accept)
        if not server.listen(self.address.server_name):
            raise InstanceError(f"cannot listen on {path}: {server.errorString()}")
        self._server = server

    def _accept(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            sock.disconnected.connect(lambda s=sock: self._forget(s))
            try:
                uid = peer_uid(int(sock.socketDescriptor()))
            except OSError:
                uid = None
            if uid != os.geteuid():
                log.warning(
                    "dropped a command connection from %s: only %s may command this Calmline",
                    user_text(uid),
                    user_text(os.geteuid()),
                )
                sock.abort()
                self._forget(sock)
                continue
            if len(self._open) >= self.max_clients:
                log.warning("refused a command connection: %d are open already", len(self._open))
                self._answer(sock, Reply(False, "Calmline is busy with other commands — try again"))
                continue
            self._open[sock] = bytearray()
            sock.setReadBufferSize(MAX_LINE + 1)
            QTimer.singleShot(int(self.read_timeout_s * 1000), sock, lambda s=sock: self._expire(s))
            sock.readyRead.connect(lambda s=sock: self._read(s))
            if sock.bytesAvailable():
                self._read(sock)

    def _forget(self, sock: QLocalSocket) -> None:
        self._open.pop(sock, None)
        sock.deleteLater()

    def _expire(self, sock: QLocalSocket) -> None:
        if sock in self._open:
            log.warning(
                "dropped a command connection that sent no complete line within %.0f s",
                self.read_timeout_s,
            )
            self._answer(sock, Reply(False, "no complete command line in time — send it at once"))
            sock.abort()
            self._forget(sock)

    def _read(self, sock: QLocalSocket) -> None:
        if sock not in self._open:
            return  # answered already; the rest is ignored
        data = self._open[sock]
        start = len(data)
        data += bytes(sock.readAll().data())
        end = data.find(b"\n", start)
        if end < 0:
            if len(data) > MAX_LINE:
                self._answer(sock, Reply(False, f"command too long (at most {MAX_LINE} bytes)"))
            return
        self._open.pop(sock, None)  # answered now, whatever follows
        self._answer(sock, reply_to(bytes(data[:end]), self.handler))

    def _answer(self, sock: QLocalSocket, reply: Reply) -> None:
        self._open.pop(sock, None)
        sock.write(encode_reply(reply))
        sock.flush()
        sock.disconnectFromServer()

    # --- Windows --------------------------------------------------------------

    def _listen_pipe(self) -> None:
        from calmline.platform.pipe_windows import PipeServer

        pipe = PipeServer(
            self.address.server_name, self._ask, self.read_timeout_s, self.max_clients
        )
        pipe.start()
        self._pipe = pipe

    def _ask(self, line: bytes) -> bytes:
        """On a pipe thread: have the GUI thread answer ``line``."""
        job = _Job(line)
        self._asked.emit(job)  # queued: this object lives on the GUI thread
        if not job.done.wait(ANSWER_TIMEOUT_S):
            return encode_reply(Reply(False, "Calmline is busy — try again"))
        return job.reply

    def _answer_job(self, job: _Job) -> None:
        job.reply = encode_reply(reply_to(job.line, self.handler))
        job.done.set()


def _answers(path: str) -> bool:
    """Does a live server accept connections at ``path``?"""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        try:
            s.connect(path)
        except OSError:
            return False
        return True
