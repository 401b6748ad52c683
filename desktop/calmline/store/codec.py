"""Record dataclasses <-> SQLite rows, driven by the dataclasses' type hints."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar, cast

from calmline.core.records import Meta, Promise, VoiceFigures

T = TypeVar("T")


def iso(value: datetime) -> str:
    """UTC ISO-8601 with microseconds (lossless, sorts as text)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: store only aware UTC times")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _base(tp: Any) -> Any:
    """``X | None`` -> ``X``."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0]
    return tp


def _encode(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, tuple) and all(isinstance(v, Promise) for v in value):
        return json.dumps(
            [
                {"what": p.what, "who": p.who, "due": p.due.isoformat() if p.due else None}
                for p in value
            ]
        )
    if isinstance(value, VoiceFigures):
        return json.dumps(dataclasses.asdict(value))
    return value


def _decode(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    tp = _base(tp)
    if tp is datetime:
        return parse_iso(value)
    if tp is date:
        return date.fromisoformat(value)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(value)
    if tp is bool:
        return bool(value)
    if typing.get_origin(tp) is tuple:
        return tuple(
            Promise(
                what=p["what"],
                who=p.get("who", ""),
                due=date.fromisoformat(p["due"]) if p.get("due") else None,
            )
            for p in json.loads(value)
        )
    if tp is VoiceFigures:
        data = json.loads(value)
        data["cue_counts"] = tuple(tuple(c) for c in data.get("cue_counts", ()))
        data["cue_marks"] = tuple(tuple(c) for c in data.get("cue_marks", ()))
        data["levels_db"] = tuple(data.get("levels_db", ()))
        return VoiceFigures(**data)
    return value


def to_row(record: Any) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if f.name == "meta":
            row.update(
                id=value.id,
                version=value.version,
                created_at=_encode(value.created_at),
                updated_at=_encode(value.updated_at),
            )
        else:
            row[f.name] = _encode(value)
    return row


def from_row(cls: type[T], row: typing.Mapping[str, Any]) -> T:
    hints = _hints(cast(type, cls))
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name == "meta":
            kwargs["meta"] = Meta(
                id=row["id"],
                version=row["version"],
                created_at=parse_iso(row["created_at"]),
                updated_at=parse_iso(row["updated_at"]),
            )
        elif f.name in row:
            kwargs[f.name] = _decode(hints[f.name], row[f.name])
    return cls(**kwargs)
