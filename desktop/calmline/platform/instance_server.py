"""The running instance's end of the local socket: one QLocalServer, guarded by a
lock file so a socket left behind by a crash is recovered, never fought over."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QLockFile, QObject
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

log = logging.getLogger(__name__)

Handler = Callable[[Command], Reply]


class InstanceError(RuntimeError):
    pass


class InstanceServer(QObject):
    def __init__(self, address: InstanceAddress, handler: Handler) -> None:
        super().__init__()
        self.address = address
        self.handler = handler
        self._lock = QLockFile(str(address.lock_path))
        # Never stale by age: only when the holder's process is gone (a crash).
        self._lock.setStaleLockTime(0)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def start(self) -> bool:
        """Listen; False when another live instance holds the lock."""
        self.address.lock_path.parent.mkdir(parents=True, exist_ok=True)
        if not self._lock.tryLock(0):
            if self._lock.error() == QLockFile.LockError.LockFailedError:
                return False
            raise InstanceError(f"cannot create the lock file {self.address.lock_path}")
        # We hold the lock, so a socket already there is a crashed instance's.
        QLocalServer.removeServer(self.address.server_name)
        if not self._server.listen(self.address.server_name):
            raise InstanceError(
                f"cannot listen on {self.address.server_name}: {self._server.errorString()}"
            )
        log.info("listening for commands on %s", self.address.server_name)
        return True

    def stop(self) -> None:
        self._server.close()
        if self._lock.isLocked():
            self._lock.unlock()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._drop(s))

    def _drop(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()

    def _read(self, sock: QLocalSocket) -> None:
        data = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_LINE:
                self._answer(sock, Reply(False, "command too long"))
            else:
                self._buffers[sock] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            cmd = decode_command(line)
        except CommandError as exc:
            reply = Reply(False, str(exc))
        else:
            log.info("command %s %s", cmd.name, sorted(cmd.args))
            try:
                reply = self.handler(cmd)
            except Exception as exc:  # the caller gets one line; the log the rest
                log.exception("command %s failed", cmd.name)
                reply = Reply(False, f"{cmd.name} failed: {exc} (details in the log)")
        self._answer(sock, reply)

    def _answer(self, sock: QLocalSocket, reply: Reply) -> None:
        self._buffers.pop(sock, None)
        sock.write(encode_reply(reply))
        sock.flush()
        sock.disconnectFromServer()
