"""Reading a file a person names or deploys (settings, playbooks, policies, WAV
recordings) without letting its size or kind decide how long Calmline waits or
how much memory it takes.

Only a regular file is opened: the path is checked first (opening a device can
act on it, and a terminal could become this process's own), then opened without
blocking (a FIFO swapped in meanwhile would otherwise wait for a writer for
ever) and checked again *on the open descriptor*, so the check and the read see
the same file. Size caps are checked before a byte is read, and the read itself
never takes more than the cap (a file that grows while it is read is still cut
off).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_FLAGS = (
    os.O_RDONLY
    | _NONBLOCK
    | getattr(os, "O_BINARY", 0)  # Windows: no newline translation
    | getattr(os, "O_NOCTTY", 0)  # a terminal never becomes ours
    | getattr(os, "O_CLOEXEC", 0)
)


class FileRefused(OSError):
    """Not something Calmline reads (a folder, a device, a FIFO, or too large);
    the message names the file, what is wrong (``reason``) and the ``fix``."""

    def __init__(self, path: Path, reason: str, fix: str) -> None:
        super().__init__(f"{path}: {reason} — {fix}")
        self.path, self.reason, self.fix = path, reason, fix

    def __str__(self) -> str:
        return str(self.args[0])


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def _refuse_kind(path: Path, st: os.stat_result, what: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise FileRefused(path, f"is a folder, not a {what}", f"give the {what} in it")
    if not stat.S_ISREG(st.st_mode):
        raise FileRefused(
            path,
            "is not a regular file (a device, pipe or socket)",
            f"give the path of a saved {what}",
        )


def open_regular(path: Path, what: str = "file") -> BinaryIO:
    """``path`` opened for reading, only if it is a regular file (links followed)."""
    _refuse_kind(path, os.stat(path), what)
    try:
        fd = os.open(path, _FLAGS)
    except (IsADirectoryError, PermissionError) as exc:
        if not os.path.isdir(path):  # Windows opens no folder: it says "permission denied"
            raise
        raise FileRefused(path, f"is a folder, not a {what}", f"give the {what} in it") from exc
    try:
        _refuse_kind(path, os.fstat(fd), what)
        if _NONBLOCK:  # reads of a regular file never block; say so plainly
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_limited(path: Path, limit: int, what: str = "file") -> bytes:
    """The whole of a regular file of at most ``limit`` bytes; FileRefused beyond."""
    with open_regular(path, what) as f:
        size = os.fstat(f.fileno()).st_size
        too_large = FileRefused(
            path,
            f"{_size_text(size)} is too large for a {what} (at most {_size_text(limit)})",
            "give the right file, or make it smaller",
        )
        if size > limit:
            raise too_large
        data = f.read(limit + 1)
        if len(data) > limit:  # it grew while we read it
            raise too_large
        return data


def read_limited_text(path: Path, limit: int, what: str = "file") -> str:
    """As read_limited, decoded as UTF-8 (a byte-order mark is allowed)."""
    return read_limited(path, limit, what).decode("utf-8-sig")
