"""One running Calmline per data folder: a lock file inside the data folder.

The database is what must never have two windows, so the lock lives beside it,
whatever the display name, login session or runtime folder say. It is a lock
the OS holds for the process (flock; a byte-range lock on Windows) and lets go
of when the process dies, a crash included: nothing is ever stale. The file
says who holds it and where that instance listens (emptied when it quits), so
a second launch started with another environment is told where the first one
is.
"""

from __future__ import annotations

import errno
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from calmline.platform.private import PrivateError, open_private_fd, private_dir
from calmline.platform.runtime_dir import InstanceRefused

LOCK_NAME = "instance.lock"
_WIN_LOCK_OFFSET = 1 << 20  # Windows locks are mandatory: lock a byte past the text


def lock_path(data_dir: Path) -> Path:
    return data_dir / LOCK_NAME


@dataclass(frozen=True)
class Holder:
    pid: int | None
    address: str  # "" when not (yet) written


def read_holder(path: Path) -> Holder:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return Holder(None, "")
    pid = int(lines[0]) if lines and lines[0].isdigit() else None
    return Holder(pid, lines[1] if len(lines) > 1 else "")


class InstanceLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, address: str) -> bool:
        """Take the lock; False when another live process holds it.
        InstanceRefused when the folder or the file is someone else's (or a
        link); OSError when it cannot be made (a read-only or missing folder)."""
        try:
            private_dir(self.path.parent)
            fd = open_private_fd(self.path, os.O_RDWR | os.O_CREAT)
        except PrivateError as exc:
            raise InstanceRefused(f"refusing to start: {exc}") from exc
        except OSError as exc:
            if exc.errno == errno.ELOOP or self.path.is_symlink():
                raise InstanceRefused(
                    f"refusing the lock file {self.path}: it is a symbolic link — have it "
                    "removed and start Calmline again"
                ) from exc
            raise
        try:
            if not _try_lock(fd):
                os.close(fd)
                return False
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n{address}\n".encode())
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def holder(self) -> Holder:
        return read_holder(self.path)

    def release(self) -> None:
        """Let go (closing does); the file stays, emptied: nobody holds it."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
