"""Folders of a shared folder written by others too, opened so that nothing
planted in it is followed: on POSIX every folder is opened by descriptor, with
O_NOFOLLOW, from its parent's descriptor (so a folder swapped for a link later
is not followed either); elsewhere (Windows) each folder is checked for links
and junctions and must resolve to itself inside the root. Files are created
exclusively (O_CREAT|O_EXCL, O_NOFOLLOW where the OS has it) and read only when
they are regular files of bounded size, never through a link or from a FIFO."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import socket
import stat
from pathlib import Path
from typing import Any

from calmline.core.sync_docs import path_part
from calmline.platform.processes import pid_alive

MAX_DOC_BYTES = 8 * 1024 * 1024  # a document larger than this is not one of ours
# Folders by descriptor where the OS can (Linux, macOS, the BSDs); tests turn it
# off to run the path-checking way Windows takes.
BY_DESCRIPTOR = (
    os.open in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY")
)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
_LINK_ERRNOS = {errno.ELOOP, errno.EMLINK, errno.ENOTDIR}
_REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT: Windows symlinks and junctions


HOST = path_part(socket.gethostname())  # in temporary files' names: whose they are


class NotAFolder(Exception):
    """A link, a junction or a file where a folder of the store should be."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


class Unreadable(Exception):
    """A file of the share that is not read, and why (one short clause).
    ``lasting``: it is what it is (a link, a FIFO, too big), not an error that
    may pass (cannot be opened now, gone)."""

    def __init__(self, why: str, lasting: bool = True) -> None:
        super().__init__(why)
        self.lasting = lasting


def _is_link(st: os.stat_result) -> bool:
    return stat.S_ISLNK(st.st_mode) or bool(getattr(st, "st_file_attributes", 0) & _REPARSE_POINT)


class ShareDir:
    """One folder of the store: by descriptor (``fd``) or by its resolved path.
    ``shown`` is where it is, relative to the root, for messages."""

    def __init__(self, path: str, fd: int | None, shown: str) -> None:
        self.path, self.fd, self.shown = path, fd, shown

    @classmethod
    def open_root(cls, root: Path) -> ShareDir:
        """The root IT named (it may itself be a link IT made: followed once)."""
        if BY_DESCRIPTOR:
            return cls(str(root), os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC), "")
        return cls(os.path.realpath(root), None, "")

    def _at(self, name: str) -> tuple[str, dict[str, Any]]:
        if self.fd is None:
            return os.path.join(self.path, name), {}
        return name, {"dir_fd": self.fd}

    def lstat(self, name: str) -> os.stat_result:
        where, kw = self._at(name)
        return os.stat(where, follow_symlinks=False, **kw)

    def child(self, name: str, make: bool = True) -> ShareDir:
        """The folder ``name`` in this one, made if missing (unless not ``make``:
        the read side never makes folders); never a link."""
        where, kw = self._at(name)
        shown = f"{self.shown}{name}/"
        if make:
            with contextlib.suppress(FileExistsError):
                os.mkdir(where, **kw)
        if self.fd is not None:
            flags = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW | _CLOEXEC
            try:
                return ShareDir(os.path.join(self.path, name), os.open(where, flags, **kw), shown)
            except OSError as exc:
                if exc.errno in _LINK_ERRNOS:
                    raise NotAFolder(shown) from exc
                raise
        st = os.stat(where, follow_symlinks=False)
        real = os.path.realpath(where)
        if (
            _is_link(st)
            or not stat.S_ISDIR(st.st_mode)
            or os.path.normcase(real) != os.path.normcase(where)
        ):
            raise NotAFolder(shown)
        return ShareDir(real, None, shown)

    def read_version(self, name: str) -> int | None:
        """The version of the document ``name``; None when there is none, or it
        is not a regular file, too large, or unreadable as ours (e.g. cut short
        by a crash of an older writer, or a planted link): then replaced."""
        where, kw = self._at(name)
        if self.fd is None:
            try:
                if not stat.S_ISREG(os.stat(where, follow_symlinks=False).st_mode):
                    return None
            except FileNotFoundError:
                return None
        try:
            fd = os.open(where, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC | _BINARY, **kw)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in _LINK_ERRNOS or exc.errno == errno.ENXIO:  # link, socket
                return None
            raise
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_DOC_BYTES:  # a folder, a FIFO...
            os.close(fd)
            return None
        with os.fdopen(fd, "rb") as f:
            raw = f.read(MAX_DOC_BYTES + 1)
        try:
            data: Any = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deep
            return None
        version = data.get("version") if isinstance(data, dict) else None
        return version if isinstance(version, int) else None

    def entries(self) -> list[tuple[str, os.stat_result]]:
        """Every name in this folder with its own status (a link's, never its
        target's), skipping names gone meanwhile."""
        out: list[tuple[str, os.stat_result]] = []
        with os.scandir(self.fd if self.fd is not None else self.path) as it:
            for entry in it:
                with contextlib.suppress(FileNotFoundError):
                    out.append((entry.name, entry.stat(follow_symlinks=False)))
        return out

    def read_bounded(self, name: str, limit: int = MAX_DOC_BYTES) -> tuple[bytes, os.stat_result]:
        """The whole of the regular file ``name`` and its status, read by
        descriptor; Unreadable (saying why) for a link, a FIFO, a socket, a
        folder, a file over ``limit`` bytes, or one that cannot be opened."""
        where, kw = self._at(name)
        if self.fd is None:
            try:
                if _is_link(os.stat(where, follow_symlinks=False)):
                    raise Unreadable("it is a link (never followed)")
            except FileNotFoundError as exc:
                raise Unreadable("it is gone", lasting=False) from exc
        try:
            fd = os.open(where, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC | _BINARY, **kw)
        except OSError as exc:
            if exc.errno in _LINK_ERRNOS:
                raise Unreadable("it is a link (never followed)") from exc
            if exc.errno == errno.ENXIO:
                raise Unreadable("it is a socket or a device, not a regular file") from exc
            why = f"it cannot be opened ({exc.strerror or exc})"
            raise Unreadable(why, lasting=False) from exc
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise Unreadable("it is not a regular file")
            if st.st_size > limit:
                raise Unreadable(f"it is over {limit} bytes")
            parts, left = [], limit + 1  # its size as it was, read until its end
            while left > 0 and (part := os.read(fd, min(left, st.st_size + 1))):
                parts.append(part)
                left -= len(part)
        finally:
            os.close(fd)
        raw = b"".join(parts)
        if len(raw) > limit:
            raise Unreadable(f"it is over {limit} bytes")
        return raw, st

    def create(self, name: str) -> int:
        """A new file ``name``, created by us and nobody else, for writing."""
        where, kw = self._at(name)
        return os.open(where, NEW_FILE, 0o666, **kw)

    def replace(self, src: str, dst: str) -> None:
        if self.fd is None:
            os.replace(os.path.join(self.path, src), os.path.join(self.path, dst))
        else:
            os.replace(src, dst, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def unlink(self, name: str) -> None:
        where, kw = self._at(name)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(where, **kw)

    def names(self) -> list[str]:
        return os.listdir(self.fd if self.fd is not None else self.path)

    def fsync(self) -> None:
        """Makes the renames in it durable (POSIX; Windows has no folder fsync)."""
        if self.fd is not None:
            os.fsync(self.fd)
        elif hasattr(os, "O_DIRECTORY"):
            fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def tmp_name(name: str) -> str:
    """Unpredictable, and still says which computer and process left it."""
    return f".{name}.{HOST}.{os.getpid()}-{secrets.token_hex(8)}.tmp"


def sweep_leftovers(folder: ShareDir) -> None:
    """Remove temporary files a killed sync on this computer left in ``folder``
    (other computers' and live processes' files are left alone). Names are
    .<document>.<host>.<pid>-<random>.tmp (older Calmline: .<pid>.tmp)."""
    marker = f".{HOST}."
    for name in folder.names():
        if not (name.startswith(".") and name.endswith(".tmp") and marker in name):
            continue
        pid = name.removesuffix(".tmp").rsplit(".", 1)[-1].split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            folder.unlink(name)
