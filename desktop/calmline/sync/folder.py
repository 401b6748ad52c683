"""Folder target (a shared network folder in practice): one JSON document per
record at <root>/<agent>/<yyyy-mm-dd>/<type>-<uuid>.json, written atomically
(temporary file flushed to disk, then renamed) and never over a newer version."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from calmline.core.sync_docs import Confirmed, SyncDoc, accepts, path_part
from calmline.sync.base import BatchResult, TargetError


def doc_path(root: Path, doc: SyncDoc) -> Path:
    name = f"{doc.record_type}-{doc.record_id}.json"
    return root / path_part(doc.agent_id) / doc.shift_day / name


def held_version(path: Path) -> int | None:
    """The version stored at ``path``; None when there is none (or it is
    unreadable, e.g. cut short by a crash of an older writer: then replaced)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, int) else None


HOST = path_part(socket.gethostname())


def _alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        return _alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True


def _alive_windows(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x00100000, False, pid)  # SYNCHRONIZE
    if not handle:
        return bool(ctypes.get_last_error() == 5)  # type: ignore[attr-defined]  # denied: exists
    try:
        return bool(kernel32.WaitForSingleObject(handle, 0) == 0x102)  # WAIT_TIMEOUT: running
    finally:
        kernel32.CloseHandle(handle)


def sweep_leftovers(folder: Path) -> None:
    """Remove temporary files a killed sync on this computer left in ``folder``
    (other computers' and live processes' files are left alone)."""
    for tmp in folder.glob(f".*.{HOST}.*.tmp"):
        pid = tmp.name.removesuffix(".tmp").rsplit(".", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    if hasattr(os, "O_DIRECTORY"):  # POSIX: makes the renames in it durable
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _Batch:
    """Files of one batch, made durable together: every temporary file is
    written, then flushed to disk (one os.sync() where the OS has it, else an
    fsync each), then renamed into place, then each folder is fsynced. Only
    then are the records confirmed."""

    def __init__(self) -> None:
        self.staged: list[tuple[Path, Path, int]] = []  # (temporary file, final path, version)
        self.folders: set[Path] = set()

    def stage(self, path: Path, text: str, version: int) -> None:
        if path.parent not in self.folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            sweep_leftovers(path.parent)
            self.folders.add(path.parent)
        tmp = path.with_name(f".{path.name}.{HOST}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
                if not hasattr(os, "sync"):
                    f.flush()
                    os.fsync(f.fileno())
        except OSError:
            tmp.unlink(missing_ok=True)  # cut short (disk full): never renamed into place
            raise
        self.staged.append((tmp, path, version))

    def commit(self) -> None:
        if hasattr(os, "sync"):
            os.sync()
        for tmp, path, version in self.staged:
            if not accepts(version, held_version(path)):  # another computer was quicker
                tmp.unlink()
            else:
                os.replace(tmp, path)
        for folder in self.folders:
            _fsync_folder(folder)

    def discard(self) -> None:
        for tmp, _, _ in self.staged:
            tmp.unlink(missing_ok=True)


class FolderTarget:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def name(self) -> str:
        return f"folder {self.root}"

    def check(self) -> None:
        if not self.root.is_dir():
            raise TargetError(
                f"{self.name}: the folder does not exist or is not reachable — check the "
                "share is mounted, or set sync.target to a folder that exists"
            )

    def send(self, docs: Sequence[SyncDoc]) -> BatchResult:
        self.check()
        result, batch = BatchResult(), _Batch()
        staged: list[Confirmed] = []
        for doc in docs:
            path = doc_path(self.root, doc)
            done = Confirmed(doc.record_type, doc.record_id, doc.version)
            try:
                if not accepts(doc.version, held_version(path)):
                    result.confirmed.append(done)  # that version (or newer) is there
                    continue
                text = json.dumps(doc.document(), ensure_ascii=False, indent=1)
                batch.stage(path, text + "\n", doc.version)
            except OSError as exc:
                result.failure = f"{self.name}: cannot write {path.name} ({exc.strerror or exc})"
                break
            staged.append(done)
        try:
            batch.commit()
        except OSError as exc:
            batch.discard()
            reason = f"{self.name}: cannot finish writing ({exc.strerror or exc})"
            result.failure = result.failure or reason
            return result
        result.confirmed += staged
        return result

    def close(self) -> None:
        pass
