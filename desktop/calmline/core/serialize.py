"""Records as plain JSON-ready dicts (exports, sync documents)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Any


def plain(value: Any) -> Any:
    """Dataclasses, enums, datetimes and tuples -> dicts, strings and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def flat_record(record: Any) -> dict[str, Any]:
    """A record as one flat dict: meta fields first, nested values as text."""
    data = plain(record)
    meta = data.pop("meta")
    out: dict[str, Any] = {
        "id": meta["id"],
        "version": meta["version"],
        "created_at": meta["created_at"],
        "updated_at": meta["updated_at"],
    }
    out.update(data)
    return out
