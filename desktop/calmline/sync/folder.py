"""Folder target (a shared network folder in practice): one JSON document per
record at <root>/<agent>/<yyyy-mm-dd>/<type>-<uuid>.json, written atomically
(temporary file, fsync, rename) and never over a newer version."""

from __future__ import annotations

import json
import os
import socket
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
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, int) else None


HOST = path_part(socket.gethostname())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True


def sweep_leftovers(path: Path) -> None:
    """Remove temporary files a killed sync on this computer left for ``path``
    (other computers' and live processes' files are left alone)."""
    for tmp in path.parent.glob(f".{path.name}.{HOST}.*.tmp"):
        pid = tmp.name.removesuffix(".tmp").rsplit(".", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_leftovers(path)
    tmp = path.with_name(f".{path.name}.{HOST}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
        result = BatchResult()
        for doc in docs:
            path = doc_path(self.root, doc)
            try:
                if accepts(doc.version, held_version(path)):
                    text = json.dumps(doc.document(), ensure_ascii=False, indent=1)
                    write_atomically(path, text + "\n")
            except OSError as exc:
                result.failure = f"{self.name}: cannot write {path.name} ({exc.strerror or exc})"
                return result
            result.confirmed.append(Confirmed(doc.record_type, doc.record_id, doc.version))
        return result

    def close(self) -> None:
        pass
