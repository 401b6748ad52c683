"""The sync target named by a URL in settings, policy or `--target`."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from calmline.sync.base import Target, TargetError
from calmline.sync.folder import FolderTarget

KINDS = "a folder path, file:///…, postgresql://… or https://…"
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def target_for(url: str, default_folder: Path) -> Target:
    """A target for ``url``; "" means the default folder (created if missing)."""
    text = url.strip()
    if not text:
        default_folder.mkdir(parents=True, exist_ok=True)
        return FolderTarget(default_folder)
    if _WINDOWS_DRIVE.match(text) or text.startswith(("\\\\", "/", "~", ".")):
        return FolderTarget(Path(text).expanduser())
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise TargetError(f"sync target {text!r} is not a valid URL ({exc}); use {KINDS}") from exc
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):  # file://server/share/path (UNC)
            return FolderTarget(Path(f"//{parts.netloc}{unquote(parts.path)}"))
        return FolderTarget(Path(unquote(parts.path)))
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
        return FolderTarget(Path(text).expanduser())  # a relative path such as "team/sync"
    raise TargetError(f"sync target {text!r}: unknown kind '{scheme}:'; use {KINDS}")
