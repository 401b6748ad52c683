"""Where libpq (PostgreSQL's client library) looks for the user's own files on
this OS: %APPDATA%\\postgresql on Windows, ~/.postgresql elsewhere."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path


def libpq_root_cert(env: Mapping[str, str]) -> Path:
    """The root certificate libpq trusts when the URL and PGSSLROOTCERT name none."""
    if sys.platform == "win32":
        return Path(env.get("APPDATA", "")) / "postgresql" / "root.crt"
    return Path.home() / ".postgresql" / "root.crt"
