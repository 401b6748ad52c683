"""Small JSON state files (window places, calm levels): unreadable means start
fresh (logged), and a write replaces the file atomically or is logged and skipped.
Losing such state is never worth a dialog."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from calmline.platform.private import private_dir, replacing

log = logging.getLogger(__name__)


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("%s: unreadable, %s start fresh (%s)", path, what, exc)
        return {}
    return data if isinstance(data, dict) else {}


def write_json_object(path: Path, data: dict[str, Any], what: str) -> None:
    try:
        private_dir(path.parent)
        with replacing(path, encoding="utf-8") as f:
            f.write(json.dumps(data, indent=1))
    except OSError as exc:
        log.warning("%s: cannot save %s (%s)", path, what, exc)
