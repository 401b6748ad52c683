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


def _fs_type_linux(path: Path, mounts_file: Path) -> str:
    try:
        mounts = parse_mounts(mounts_file.read_text())
    except OSError:
        return ""
    best, fstype = "", ""
    p = str(path)
    for point, kind in mounts:
        inside = p == point or p.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, fstype = point, kind
    return fstype


def _fs_type_macos(path: Path) -> str:
    lines = subprocess.run(
        ["/sbin/mount"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    best, fstype = "", ""
    for line in lines:  # "//u@srv/share on /Volumes/share (smbfs, nodev, ...)"
        if " on " not in line or "(" not in line:
            continue
        point = line.split(" on ", 1)[1].rsplit(" (", 1)[0]
        kind = line.rsplit("(", 1)[1].split(",")[0].strip(" )")
        if (str(path) + "/").startswith(point.rstrip("/") + "/") and len(point) >= len(best):
            best, fstype = point, kind
    return fstype


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
    kind = (
        _fs_type_macos(existing)
        if sys.platform == "darwin"
        else _fs_type_linux(existing, mounts_file)
    )
    if kind in NETWORK_FS:
        return f"{path} is on a network file system ({kind})"
    return None
