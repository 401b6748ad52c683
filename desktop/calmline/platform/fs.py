"""Is a path on a network file system? SQLite's WAL needs shared memory that
network shares (SMB, NFS, ...) do not provide, so the store refuses them."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

NETWORK_FS = {
    "nfs",
    "nfs4",
    "cifs",
    "smb",
    "smb2",
    "smb3",
    "smbfs",
    "afpfs",
    "webdav",
    "davfs",
    "fuse.sshfs",
    "sshfs",
    "9p",
    "ncpfs",
    "afs",
    "glusterfs",
    "ceph",
    "fuse.glusterfs",
    "lustre",
}


def parse_mounts(text: str) -> list[tuple[str, str]]:
    """(mount point, fs type) pairs from /proc/mounts text."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out.append((parts[1].replace("\\040", " "), parts[2]))
    return out


def parse_mount_output(text: str) -> list[tuple[str, str]]:
    """(mount point, fs type) pairs from macOS `mount` output, whose lines read
    "//u@srv/share on /Volumes/share (smbfs, nodev, ...)"."""
    out = []
    for line in text.splitlines():
        if " on " in line and " (" in line:
            point = line.split(" on ", 1)[1].rsplit(" (", 1)[0]
            out.append((point, line.rsplit("(", 1)[1].split(",")[0].strip(" )")))
    return out


def fs_type_at(path: Path, mounts: list[tuple[str, str]]) -> str:
    """The file system type of the innermost mount holding ``path`` ("" if none)."""
    best, fstype = "", ""
    p = str(path)
    for point, kind in mounts:
        inside = p == point or p.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, fstype = point, kind
    return fstype


def _mounts(mounts_file: Path) -> list[tuple[str, str]]:
    if sys.platform == "darwin":
        res = subprocess.run(["/sbin/mount"], capture_output=True, text=True, check=False)
        return parse_mount_output(res.stdout)
    try:
        return parse_mounts(mounts_file.read_text())
    except OSError:
        return []


def _is_remote_windows(path: Path) -> bool:
    drive = os.path.splitdrive(str(path))[0]
    if drive.startswith("\\\\"):
        return True
    drive_remote = 4
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    return bool(kernel32.GetDriveTypeW(drive + "\\") == drive_remote)


def network_share_reason(path: Path, *, mounts_file: Path = Path("/proc/mounts")) -> str | None:
    """Why ``path`` is on a network share, or None when it is local."""
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return f"{path} is a network (UNC) path"
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    existing = existing.resolve()
    if sys.platform == "win32":
        return f"{path} is on a network drive" if _is_remote_windows(existing) else None
    kind = fs_type_at(existing, _mounts(mounts_file))
    if kind in NETWORK_FS:
        return f"{path} is on a network file system ({kind})"
    return None
