"""The sync target named by a URL in settings, policy or `--target`. Every
error names the target through redact_target (TargetError does it): a URL's
password or token never reaches a message."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from calmline.sync.base import Target, TargetError
from calmline.sync.folder import FolderTarget

KINDS = "a folder path, file:///…, postgresql://… (or libpq's host=… dbname=…) or https://…"
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_CONNINFO = re.compile(r"^[A-Za-z_]+\s*=")  # libpq keywords: "host=db dbname=calmline"


def target_for(url: str, default_folder: Path, agent_id: str = "") -> Target:
    """A target for ``url``; "" means Calmline's own default folder (made and
    marked as a team store when first used). ``agent_id``: who reads it (a
    folder store's team lead is named in its .calmline-leads)."""
    text = url.strip()
    if not text:
        return FolderTarget(default_folder, own=True, agent_id=agent_id)
    if _WINDOWS_DRIVE.match(text) or text.startswith(("\\\\", "/", "~", ".")):
        return FolderTarget(Path(text).expanduser(), agent_id=agent_id)
    if _CONNINFO.match(text):
        from calmline.sync.postgres import PostgresTarget

        return PostgresTarget(text)
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        netloc = parts.netloc
    except ValueError as exc:  # its words may quote the URL's parts: not shown
        raise TargetError(f"sync target {text!r} is not a valid URL; use {KINDS}") from exc
    if scheme == "file":
        if "@" in netloc:
            raise TargetError(
                f"sync target {text!r}: a file:// URL cannot hold a user or password; the "
                "share's own sign-in (the agent's Windows or Kerberos login) is used"
            )
        if netloc not in ("", "localhost"):  # file://server/share/path (UNC)
            return FolderTarget(Path(f"//{netloc}{unquote(parts.path)}"), agent_id=agent_id)
        return FolderTarget(Path(unquote(parts.path)), agent_id=agent_id)
    if scheme == "http":
        raise TargetError(
            f"sync target {text!r}: plain http would send incident data unencrypted; use https://"
        )
    if scheme in ("postgresql", "postgres"):
        from calmline.sync.postgres import PostgresTarget

        return PostgresTarget(text)
    if scheme == "https":
        from calmline.sync.https import HttpsTarget

        return HttpsTarget(text)
    if not scheme:
        if "://" in text:  # never a path (a path would drop one slash, and show the rest)
            raise TargetError(f"sync target {text!r} is not a valid URL (no scheme); use {KINDS}")
        return FolderTarget(Path(text).expanduser(), agent_id=agent_id)  # e.g. "team/sync"
    raise TargetError(f"sync target {text!r}: unknown kind '{scheme}:'; use {KINDS}")
