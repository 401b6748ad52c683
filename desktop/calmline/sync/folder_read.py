"""The folder team store's read side: other agents' documents under the share's
root, read back as core/team.py's caller-facing values.

Trust model. A folder store has no server to say who wrote what: it rests on
the share's ACLs, which IT sets (docs/deploying.md) so that the root, its
.calmline-store marker and its .calmline-leads list are writable by IT only,
and each agent's folder <root>/<agent>/ by that agent only. On that footing:
- a document counts only in its own agent's folder (its agent_id, made a
  folder name, is the folder it sits in) and day folder, under its own name:
  an agent cannot write records for another by dropping them in their own
  folder, nor can anyone but the agent write into theirs;
- a lead's marker decision counts only when its agent is listed in
  .calmline-leads, which only IT can change;
- everything read is data from outside: never a link followed, only regular
  files of bounded size read by descriptor (share.py), every value checked by
  sync/team_docs.py; anything else is skipped with one line naming the file.
Without those ACLs anyone who can write the share can write any agent's
records: the folder store is then as trustworthy as the share, no more.

The local index (sync/base.FolderIndex) makes a refresh cheap: a day folder
whose change time is the one seen last time is not listed; in one that
changed, only documents whose (mtime_ns, size) changed or are new are read.
Documents of types the team never sees (shifts, notes, step events) are known
by their names (<type>-<uuid>.json) and never opened. A folder changed in the
last SETTLED_NS is recorded with change time 0, so the next refresh lists it
again: a second change within the file system's timestamp granule would
otherwise leave its change time as it was. The reader counts on Calmline's
writes being renames (they are): a document rewritten in place without its
folder changing is not noticed until its folder changes."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from calmline.core.sync_docs import path_part
from calmline.core.team import FolderEntry, TeamChanges
from calmline.sync.base import FolderIndex
from calmline.sync.share import NotAFolder, ShareDir, Unreadable
from calmline.sync.team_docs import ForeignDocument, TeamValue, add, team_value

log = logging.getLogger(__name__)
LEADS = ".calmline-leads"
MAX_LEADS_BYTES = 64 * 1024
SETTLED_NS = 2_000_000_000
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHOWN = 160


def shown(text: str) -> str:
    """A name from the share as one printable, bounded piece of a line."""
    clean = "".join(c if c.isprintable() else "?" for c in text)
    return clean if len(clean) <= _SHOWN else clean[: _SHOWN - 1] + "…"


def read_leads(root: ShareDir) -> tuple[frozenset[str], str]:
    """The agent ids listed in .calmline-leads (one a line, '#' starts a
    comment), and "" — or no one and why the list could not be read."""
    try:
        raw, _ = root.read_bounded(LEADS, MAX_LEADS_BYTES)
        text = raw.decode("utf-8")
    except Unreadable as exc:
        return frozenset(), f"{LEADS} at the share's root cannot be read: {exc}"
    except UnicodeDecodeError:
        return frozenset(), f"{LEADS} at the share's root is not UTF-8 text"
    leads = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return frozenset(lead for lead in leads if lead), ""


def not_a_lead(agent_id: str, leads: frozenset[str], leads_why: str) -> str:
    """Why a marker decision by ``agent_id`` is refused ("" = it is a lead's)."""
    if agent_id in leads:
        return ""
    return (
        f"{shown(agent_id)!r} is not a team lead of this share: not listed in {LEADS} at its "
        f"root{'; ' + leads_why if leads_why else ''} — a decision counts only from an agent "
        "id IT lists there (ask IT to add it, one a line)"
    )


def doc_type(name: str) -> str:
    """The document type a file name says (<type>-<uuid>.json), or ""."""
    if name.startswith(".") or not name.endswith(".json"):
        return ""
    return name.split("-", 1)[0] if "-" in name else "?"


class Skipped(Exception):
    """A document not taken, and why; ``retry``: read it again next time (the
    error may pass), so it is not remembered in the index."""

    def __init__(self, why: str, retry: bool = False) -> None:
        super().__init__(why)
        self.retry = retry


@dataclass(frozen=True)
class Doc:
    value: TeamValue
    record: dict[str, Any]  # the document's record as written (the report's extra fields)


class ShareWalk:
    """Reads from one opened root; counts the documents it opens (``opened``)
    and the lines of what it skipped (``skipped``)."""

    def __init__(
        self, root: ShareDir, leads: frozenset[str], leads_why: str = "", log_skips: bool = True
    ) -> None:
        self.root, self.leads, self.leads_why = root, leads, leads_why
        self.log_skips = log_skips
        self.opened = 0
        self.retries = 0  # documents to read again next time (an error that may pass)
        self.skipped: list[str] = []
        self.check: Callable[[], None] = lambda: None  # raises when a deadline has passed
        self.link_entries: list[FolderEntry] = []  # links seen where folders should be

    def skip(self, rel: str, why: str) -> None:
        line = f"{shown(rel)}: {why}"
        self.skipped.append(line)
        if self.log_skips:
            log.warning("team store: skipped %s", line)

    def agents(self, known: dict[str, int] | None = None) -> Iterator[tuple[str, ShareDir]]:
        """Each agent folder, opened (and closed after)."""
        for name, st in sorted(self.root.entries()):
            if name.startswith(".") or not (stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                continue  # the marker, the leads list, IT's files
            folder = self.open_dir(self.root, name, name, st, known)
            if folder is not None:
                try:
                    yield name, folder
                finally:
                    folder.close()

    def open_dir(
        self,
        parent: ShareDir,
        rel: str,
        name: str,
        st: os.stat_result | None = None,
        known: dict[str, int] | None = None,
    ) -> ShareDir | None:
        """The folder ``name`` of ``parent`` (``rel`` from the root); None when
        gone, or a link or not a folder: skipped with a line, once while
        ``known`` holds its change time (remembered through link_entries)."""
        try:
            return parent.child(name, make=False)
        except FileNotFoundError:
            return None
        except NotAFolder:
            if st is None or known is None or known.get(rel) != st.st_mtime_ns:
                self.skip(
                    f"{rel}/", "a link or not a folder where a folder should be: not followed"
                )
            if st is not None:
                self.link_entries.append(FolderEntry(rel, st.st_mtime_ns, {}))
        except OSError as exc:
            self.skip(f"{rel}/", f"it cannot be opened ({exc.strerror or exc})")
        return None

    def read(self, folder: ShareDir, agent: str, day: str, name: str) -> Doc:
        """The document ``name`` of ``agent``'s ``day`` folder; Skipped saying why."""
        self.check()
        self.opened += 1
        try:
            raw, _ = folder.read_bounded(name)
            data: Any = json.loads(raw.decode("utf-8"))
        except Unreadable as exc:
            raise Skipped(str(exc), retry=not exc.lasting) from exc
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # nested too deep
            raise Skipped("it is not JSON text (or nested too deep)") from exc
        try:
            value = team_value(data)
        except ForeignDocument as exc:
            raise Skipped(f"not a Calmline team document: {exc}") from exc
        if value is None:
            raise Skipped("its type is not one the team reads, whatever its name says")
        if path_part(data["agent_id"]) != agent:
            raise Skipped(
                f"its agent_id {shown(data['agent_id'])!r} is not the agent folder it sits "
                "in: a document counts only in its own agent's folder"
            )
        if data.get("shift_day") != day or name != f"{data['type']}-{data['id']}.json":
            raise Skipped("its shift_day or its type and id are not its folder and file name")
        if data["type"] == "marker_decision":
            why = not_a_lead(data["agent_id"], self.leads, self.leads_why)
            if why:
                raise Skipped(f"a marker decision not counted: {why}")
        return Doc(value, data["record"])

    def documents(
        self, types_for: Callable[[str], frozenset[str]], only: Sequence[str] | None = None
    ) -> Iterator[tuple[str, str, Doc]]:
        """(agent, day, document) of every day folder (or of the days ``only``
        names, opened without listing the agent's folder), reading in each only
        the types ``types_for(day)`` names (none: the folder is not opened).
        Names are enough to choose: no file is looked at before it is read."""
        for agent_name, agent in self.agents():
            days = only if only is not None else sorted(filter(DAY.fullmatch, agent.names()))
            for day in days:
                types = types_for(day)
                if not types:
                    continue
                self.check()
                folder = self.open_dir(agent, f"{agent_name}/{day}", day)
                if folder is None:
                    continue
                try:
                    for name in sorted(folder.names()):
                        if doc_type(name) not in types:
                            continue
                        try:
                            yield agent_name, day, self.read(folder, agent_name, day, name)
                        except Skipped as why:
                            self.skip(f"{agent_name}/{day}/{name}", str(why))
                finally:
                    folder.close()


def read_changes(walk: ShareWalk, first_day: str, index: FolderIndex | None) -> TeamChanges:
    """What changed since the index was taken, in day folders from ``first_day``."""
    known = index.folders() if index is not None else {}
    out = TeamChanges()
    settled = time.time_ns() - SETTLED_NS
    for agent_name, agent in walk.agents(known):
        for day, st in sorted((n, st) for n, st in agent.entries() if DAY.fullmatch(n)):
            rel = f"{agent_name}/{day}"
            if day < first_day or known.get(rel) == st.st_mtime_ns:
                continue
            folder = walk.open_dir(agent, rel, day, st, known)
            if folder is None:
                continue
            retries = walk.retries
            try:
                old = index.files(rel) if index is not None and rel in known else {}
                files = _read_folder(walk, folder, agent_name, day, old, out)
            finally:
                folder.close()
            again = st.st_mtime_ns >= settled or walk.retries > retries
            mtime = 0 if again else st.st_mtime_ns  # 0: listed again next time
            out.folder_index.append(FolderEntry(rel, mtime, files))
    out.folder_index += walk.link_entries
    out.skipped = walk.skipped
    return out


def _read_folder(
    walk: ShareWalk,
    folder: ShareDir,
    agent: str,
    day: str,
    old: dict[str, tuple[int, int]],
    out: TeamChanges,
) -> dict[str, tuple[int, int]]:
    files: dict[str, tuple[int, int]] = {}
    for name, st in folder.entries():
        kind = doc_type(name)
        if not kind:
            continue
        key = files[name] = (st.st_mtime_ns, st.st_size)
        if old.get(name) == key or kind in ("shift", "note", "step_event"):
            continue
        try:
            add(out, walk.read(folder, agent, day, name).value)
        except Skipped as why:
            walk.skip(f"{agent}/{day}/{name}", str(why))
            if why.retry:  # not remembered: read again by the next refresh
                del files[name]
                walk.retries += 1
    return files
