"""Is a folder, a socket or the program behind it the agent's own? (Linux, macOS)

The command socket lives in a folder only its user can enter. Every check is an
``lstat`` (never following a link) and each says, in one line, what is wrong
and how to fix it: another user can create a name in a shared temp folder
first, and a second line of defence is the peer's user id on every connection.
Stdlib only: the softphone's client runs these on every call.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import struct
import sys
from pathlib import Path


class InstanceRefused(ConnectionError):
    """A folder, socket, lock or peer that is not the agent's own: refuse, and
    never take it for a running Calmline."""


def me() -> int:
    return os.geteuid()


def user_text(uid: int | None) -> str:
    """'nobody (uid 65534)'; 'an unknown user' when it cannot be told."""
    if uid is None:
        return "an unknown user"
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _refuse(path: Path, why: str, fix: str) -> InstanceRefused:
    return InstanceRefused(f"refusing {path}: {why} — {fix}")


_FOLDER_FIX = "have it removed, or set XDG_RUNTIME_DIR to a folder of your own with mode 0700"


def check_private_folder(path: Path) -> None:
    """A folder owned by us, not a link, that nobody else may enter.
    FileNotFoundError when it is missing; InstanceRefused when it is not ours."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise _refuse(path, f"it is a symbolic link made by {user_text(st.st_uid)}", _FOLDER_FIX)
    if not stat.S_ISDIR(st.st_mode):
        raise _refuse(path, "it is not a folder", _FOLDER_FIX)
    if st.st_uid != me():
        why = f"it belongs to {user_text(st.st_uid)}, not to you (another user made it first)"
        raise _refuse(path, why, _FOLDER_FIX)
    if st.st_mode & 0o077:
        mode = f"{stat.S_IMODE(st.st_mode):04o}"
        raise _refuse(path, f"other users may enter it (mode {mode})", f"run `chmod 700 {path}`")


def folder_problem(path: Path) -> str | None:
    """Why ``path`` is not a private folder of ours (None when it is)."""
    try:
        check_private_folder(path)
    except InstanceRefused as exc:
        return str(exc)
    except OSError as exc:
        return f"{path}: {exc.strerror}"
    return None


def ensure_private_folder(path: Path) -> None:
    """Create ``path`` (mode 0700) unless it exists, then check it is ours."""
    with contextlib.suppress(FileExistsError):  # whoever made it, the check decides
        os.mkdir(path, 0o700)  # the umask can only take bits away
    check_private_folder(path)


def check_socket_file(path: Path) -> None:
    """The socket file is ours: FileNotFoundError when absent."""
    st = os.lstat(path)
    fix = "quit what made it, or have it removed, and start Calmline again"
    if not stat.S_ISSOCK(st.st_mode):
        raise _refuse(path, f"it is not a socket (made by {user_text(st.st_uid)})", fix)
    if st.st_uid != me():
        raise _refuse(path, f"the socket belongs to {user_text(st.st_uid)}, not to you", fix)


def peer_uid(fd: int) -> int | None:
    """The user id of the process at the other end of a connected Unix socket
    (None when the system will not say: callers then refuse)."""
    if sys.platform.startswith("linux"):
        with socket.fromfd(fd, socket.AF_UNIX, socket.SOCK_STREAM) as s:  # a dup: ours to close
            size = struct.calcsize("iII")
            creds = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, size)
        return int(struct.unpack("iII", creds)[1])
    import ctypes  # macOS and the BSDs: getpeereid(2)

    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = ctypes.c_uint32(), ctypes.c_uint32()
    if libc.getpeereid(fd, ctypes.byref(uid), ctypes.byref(gid)) != 0:
        return None
    return int(uid.value)


def check_peer(sock: socket.socket, path: str) -> None:
    """Refuse a server at ``path`` that runs as someone else."""
    uid = peer_uid(sock.fileno())
    if uid != me():
        raise _refuse(
            Path(path),
            f"the program listening there runs as {user_text(uid)}, not as you",
            "it is not your Calmline and nothing was sent to it; tell IT",
        )
