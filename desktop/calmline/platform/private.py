"""Files and folders that are the agent's alone: folders 0700, files 0600, set when
they are created (never widened by the umask, never fixed up afterwards).

Every file Calmline writes in its data, log and export places goes through here:
the database (SQLite then gives its WAL and SHM the same mode), backups, logs,
window state, calm levels, reports and exports. On Windows the per-user
local app-data folder's ACL already admits only the user: ``check_private_dir``
reads it (acl_windows.py) and `doctor` reports what it finds.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

DIR_MODE = 0o700
FILE_MODE = 0o600
_POSIX = sys.platform != "win32"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class PrivateError(OSError):
    """A place that should be the agent's alone is not; the message says what to do."""


def _owner_problem(path: Path, st: os.stat_result) -> str | None:
    if _POSIX and st.st_uid != os.geteuid():
        from calmline.platform.runtime_dir import user_text

        return f"{path} belongs to {user_text(st.st_uid)}, not to you"
    return None


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700, or check the one there: a real
    folder (not a symlink), owned by this user. A folder of ours that is open to
    others (made by an older Calmline) is closed; one owned by someone else is refused."""
    missing = []
    p = path
    while not os.path.lexists(p) and p.parent != p:
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        # another process may make it at the same moment: checked below
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, DIR_MODE)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise PrivateError(
            f"{path} is not a plain folder (a link or a file); move it aside so "
            "Calmline can create its own"
        )
    problem = _owner_problem(path, st)
    if problem:
        raise PrivateError(f"{problem}; move it aside so Calmline can create its own")
    if _POSIX and stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, DIR_MODE)
    return path


def open_private_fd(path: Path, flags: int) -> int:
    """os.open for a file of ours: created 0600, never through a symlink; a file
    already there is narrowed to 0600 (an older Calmline may have made it wider)."""
    fd = os.open(path, flags | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    if _POSIX:
        try:
            st = os.fstat(fd)
            problem = _owner_problem(path, st)
            if problem:
                raise PrivateError(f"{problem}; move it aside")
            if stat.S_IMODE(st.st_mode) != FILE_MODE:
                os.fchmod(fd, FILE_MODE)
        except BaseException:
            os.close(fd)
            raise
    return fd


def touch_private(path: Path) -> Path:
    """Make sure ``path`` exists as a 0600 file of ours without changing its content,
    for files another library then opens (a SQLite database). One already there is
    never opened: closing any descriptor of a file drops every POSIX lock this
    process holds on it, SQLite's included."""
    try:
        os.close(open_private_fd(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        return path
    except FileExistsError:
        pass
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise PrivateError(f"{path} is not a plain file (a link or a folder); move it aside")
    problem = _owner_problem(path, st)
    if problem:
        raise PrivateError(f"{problem}; move it aside")
    if _POSIX and stat.S_IMODE(st.st_mode) != FILE_MODE:
        os.chmod(path, FILE_MODE)
    return path


def open_private(path: Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """open() for writing a file of ours: "w", "wb", "a", "ab"."""
    append = mode.startswith("a")
    fd = open_private_fd(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else 0))
    if not append:  # emptied only once it is known to be ours
        os.ftruncate(fd, 0)
    return os.fdopen(fd, mode, **kwargs)


@contextmanager
def replacing(path: Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Write ``path`` whole or not at all: a temp file with an unpredictable name
    beside it (created exclusively, 0600), flushed to disk, then renamed over."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = open_private_fd(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_private_dir(path: Path) -> str | None:
    """What is wrong with a folder that should be the agent's alone, or None
    (a missing one is made private when first needed)."""
    if not os.path.lexists(path):
        return None
    if not _POSIX:
        from calmline.platform.acl_windows import acl_problem

        return acl_problem(path)
    from calmline.platform.runtime_dir import folder_problem

    return folder_problem(path)
