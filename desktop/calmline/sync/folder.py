"""Folder target (a shared network folder in practice): one JSON document per
record at <root>/<agent>/<yyyy-mm-dd>/<type>-<uuid>.json, written atomically
(temporary file flushed to disk, then renamed) and never over a newer version.

Others write to the share too, so nothing found in it is trusted:
- Calmline writes only into a root IT marked as the team store, with a file
  named .calmline-store at its root. An empty mount point on the local disk
  (the share not mounted) has none, so records are never written there.
  Calmline's own default folder gets the file when Calmline makes the folder.
- It never follows a link planted in the share, creates its temporary files
  exclusively under unpredictable names, and reads only regular files of
  bounded size (share.py).
- A lead's marker decision is written only for an agent IT lists in
  .calmline-leads at the root; the read side (folder_read.py, whose docstring
  gives the trust model) counts it only then, too.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from calmline.core.redact import redact_target
from calmline.core.sync_docs import RECORD_TYPES, Confirmed, SyncDoc, accepts, path_part
from calmline.core.team import TeamChanges
from calmline.core.team_report import TeamReport
from calmline.sync.base import BatchResult, FolderIndex, TargetError, refused
from calmline.sync.folder_lookup import deadline_check, read_caller
from calmline.sync.folder_read import LEADS, ShareWalk, not_a_lead, read_changes, read_leads
from calmline.sync.folder_report import team_report
from calmline.sync.share import NEW_FILE, NotAFolder, ShareDir, sweep_leftovers, tmp_name

T = TypeVar("T")
MARKER = ".calmline-store"
MARKER_TEXT = (
    "This folder is a Calmline team store: Calmline writes its sync documents only\n"
    "into a folder holding this file (so an unmounted share is never mistaken for it).\n"
    "Do not delete it. See docs/deploying.md.\n"
)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")


def doc_path(root: Path, doc: SyncDoc) -> Path:
    return root / path_part(doc.agent_id) / doc.shift_day / doc_name(doc)


def doc_name(doc: SyncDoc) -> str:
    return f"{doc.record_type}-{doc.record_id}.json"


def _not_writable_here(doc: SyncDoc) -> str | None:
    """Why ``doc`` can never be written as a file of the share, or None."""
    if doc.record_type not in RECORD_TYPES or not _ID.fullmatch(doc.record_id):
        return f"its type or id ({doc.record_type!r}, {doc.record_id!r}) is not a file name"
    if not _DAY.fullmatch(doc.shift_day):
        return f"its shift day {doc.shift_day!r} is not a date (yyyy-mm-dd)"
    return None


class _Batch:
    """Files of one batch, made durable together: every temporary file is
    written, then flushed to disk (one os.sync() where the OS has it, else an
    fsync each), then renamed into place, then each folder is fsynced. Only
    then are the records confirmed."""

    def __init__(self) -> None:
        self.staged: list[tuple[ShareDir, str, SyncDoc]] = []  # (folder, temporary file, doc)

    def stage(self, folder: ShareDir, doc: SyncDoc, text: str) -> None:
        tmp = tmp_name(doc_name(doc))
        fd = folder.create(tmp)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8"))
                if not hasattr(os, "sync"):
                    f.flush()
                    os.fsync(f.fileno())
        except OSError:
            folder.unlink(tmp)  # cut short (disk full): never renamed into place
            raise
        self.staged.append((folder, tmp, doc))

    def commit(self, result: BatchResult) -> None:
        """Rename each file into place (never over a newer version); a folder
        standing where a document goes sets that record aside. The records are
        confirmed once their folders are fsynced too."""
        if hasattr(os, "sync"):
            os.sync()
        folders: dict[int, ShareDir] = {}
        confirmed: list[Confirmed] = []
        while self.staged:
            folder, tmp, doc = self.staged[0]
            name = doc_name(doc)
            folders[id(folder)] = folder
            done = Confirmed(doc.record_type, doc.record_id, doc.version)
            try:
                in_the_way = stat.S_ISDIR(folder.lstat(name).st_mode)
            except FileNotFoundError:
                in_the_way = False
            if in_the_way:
                folder.unlink(tmp)
                result.set_aside.append(
                    refused(doc, f"a folder named {name} stands where its document goes, in "
                                 f"{folder.shown} of the share; ask IT to move it away")
                )  # fmt: skip
            elif not accepts(doc.version, folder.read_version(name)):  # another was quicker
                folder.unlink(tmp)
                confirmed.append(done)
            else:
                folder.replace(tmp, name)
                confirmed.append(done)
            self.staged.pop(0)
        for f in folders.values():
            f.fsync()
        result.confirmed += confirmed

    def discard(self) -> None:
        for folder, tmp, _ in self.staged:
            folder.unlink(tmp)
        self.staged.clear()


def _prepare_own(root: Path) -> None:
    """Calmline's own default folder: made private to the agent, and marked."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(root / MARKER, NEW_FILE, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as f:
        f.write(MARKER_TEXT.encode())


class FolderTarget:
    def __init__(
        self,
        root: Path,
        own: bool = False,
        agent_id: str = "",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``own``: Calmline's default folder, which it makes and marks itself;
        ``agent_id``: who reads (report() is for leads); ``clock``: now (UTC)."""
        self.root, self.own, self.agent_id = root, own, agent_id
        self.clock = clock or (lambda: datetime.now(UTC))
        self.documents_opened = 0  # by the read side, all calls together

    @property
    def name(self) -> str:
        return redact_target(f"folder {self.root}")

    def check(self) -> None:
        """That the folder is the team store (raises TargetError if not)."""
        self._open_root().close()

    def _open_root(self) -> ShareDir:
        if self.own:
            try:
                _prepare_own(self.root)
            except OSError as exc:
                raise TargetError(
                    f"{self.name}: cannot make Calmline's own sync folder "
                    f"({exc.strerror or exc}); set sync.target to a team store"
                ) from exc
        if not self.root.is_dir():
            raise TargetError(
                f"{self.name}: the folder does not exist or is not reachable — check the "
                "share is mounted, or set sync.target to a folder that exists"
            )
        try:
            root = ShareDir.open_root(self.root)
        except OSError as exc:
            raise TargetError(f"{self.name}: cannot open it ({exc.strerror or exc})") from exc
        try:
            marked = stat.S_ISREG(root.lstat(MARKER).st_mode)
        except OSError:
            marked = False
        if not marked:
            root.close()
            raise TargetError(
                f"{self.name}: no {MARKER} file at its root, so it is not the team store "
                "(is the share mounted?); nothing was written — IT marks the team store by "
                f"putting an empty file named {MARKER} at its root (docs/deploying.md)"
            )
        return root

    def send(self, docs: Sequence[SyncDoc]) -> BatchResult:
        root = self._open_root()
        result, batch = BatchResult(), _Batch()
        folders: dict[tuple[str, str], ShareDir] = {}
        leads: tuple[frozenset[str], str] | None = None
        try:
            for doc in docs:
                why = _not_writable_here(doc)
                if not why and doc.record_type == "marker_decision":
                    leads = leads or read_leads(root)
                    why = not_a_lead(doc.agent_id, *leads)
                    why = why and f"{why}, then decide again"
                if why:
                    result.set_aside.append(refused(doc, why))
                    continue
                name = doc_name(doc)
                try:
                    folder = self._folder(root, folders, doc)
                    if not accepts(doc.version, folder.read_version(name)):
                        result.confirmed.append(  # that version (or newer) is there
                            Confirmed(doc.record_type, doc.record_id, doc.version)
                        )
                        continue
                    text = json.dumps(doc.document(), ensure_ascii=False, indent=1)
                    batch.stage(folder, doc, text + "\n")
                except NotAFolder as exc:
                    result.failure = (
                        f"{self.name}: {exc.where} in it is a link or not a folder — Calmline "
                        "never writes through a link planted in the share; ask IT to remove "
                        "it, then sync again"
                    )
                    break
                except OSError as exc:
                    result.failure = f"{self.name}: cannot write {name} ({exc.strerror or exc})"
                    break
            try:
                batch.commit(result)
            except OSError as exc:
                batch.discard()
                reason = f"{self.name}: cannot finish writing ({exc.strerror or exc})"
                result.failure = result.failure or reason
        finally:
            for folder in folders.values():
                folder.close()
            root.close()
        return result

    @staticmethod
    def _folder(root: ShareDir, folders: dict[tuple[str, str], ShareDir], doc: SyncDoc) -> ShareDir:
        agent = path_part(doc.agent_id)
        folder = folders.get((agent, doc.shift_day))
        if folder is None:
            parent = folders.get((agent, ""))
            if parent is None:
                parent = folders[(agent, "")] = root.child(agent)
            folder = folders[(agent, doc.shift_day)] = parent.child(doc.shift_day)
            sweep_leftovers(folder)
        return folder

    def changes(
        self, cursor: str, since: datetime, index: FolderIndex | None = None
    ) -> TeamChanges:
        """What changed since ``index`` was taken, in day folders from the day
        before ``since`` (a night shift's folder is its start day). The cursor
        is unused: the index is the folder's cursor (returned ``cursor`` "")."""
        first = (since.astimezone(UTC).date() - timedelta(days=1)).isoformat()
        return self._read(lambda walk: read_changes(walk, first, index))

    def lookup(self, number: str, ref: str, budget_s: float) -> TeamChanges:
        """This caller's values in today's and yesterday's (UTC) day folders;
        why that is enough, and how the budget holds: folder_lookup.py."""
        check = deadline_check(self.name, budget_s)
        check()
        today = self.clock().astimezone(UTC).date()

        def run(walk: ShareWalk) -> TeamChanges:
            walk.check, walk.log_skips = check, False
            return read_caller(walk, today, number, ref)

        return self._read(run)

    def report(self, start: date, end: date, today: date) -> TeamReport:
        """The team report from the share (folder_report.py), for a lead only:
        TargetError when this target's agent_id is not in .calmline-leads."""

        def run(walk: ShareWalk) -> TeamReport:
            if not self.agent_id or self.agent_id not in walk.leads:
                who = f"{self.agent_id!r} is" if self.agent_id else "no agent id (agent_id) is"
                more = f"; {walk.leads_why}" if walk.leads_why else ""
                raise TargetError(
                    f"{self.name}: the team report is for team leads, and {who} not listed "
                    f"in {LEADS} at the share's root{more} — ask IT to add the lead's agent id "
                    "there (one a line)"
                )
            return team_report(walk, start, end, today, self.name)

        return self._read(run)

    def _read(self, run: Callable[[ShareWalk], T]) -> T:
        root = self._open_root()
        walk = ShareWalk(root, *read_leads(root))
        try:
            return run(walk)
        except OSError as exc:
            raise TargetError(f"{self.name}: cannot read it ({exc.strerror or exc})") from exc
        finally:
            self.documents_opened += walk.opened
            root.close()

    def close(self) -> None:
        pass
