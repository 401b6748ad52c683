"""The one encoder of record values: records <-> plain values (dicts, lists,
strings, numbers, booleans, None), and the one time format. The local database
(store/codec.py adds only what is SQLite's own), the exports and the sync
documents of every target all go through here, so a record's times are the same
text wherever it is written.

Times: UTC, ISO-8601 with microseconds and a "+00:00" offset, always 32
characters (``2026-11-22T09:00:00.000000+00:00``). Why this one:
- It is what the database has always held, so no stored row changes (no
  migration) and an export or a document can be matched to its row as text.
- It is lossless: Python's datetimes and PostgreSQL's timestamptz both keep
  microseconds (milliseconds, which exports and sync documents used to carry,
  dropped the rest and made the same record's times differ between the
  database and the team store).
- One zone and a fixed width make text order time order: the store compares and
  sorts times as text in SQL (a shift's day is ``substr(started_at, 1, 10)``).
- It is RFC 3339 ("date-time" in the sync document schema), which every JSON
  schema validator, PostgreSQL and spreadsheet reads.

Reading is lenient where writing is strict: ``parse_iso`` takes any ISO-8601
time with an offset — milliseconds or none (documents already in a team store
from older Calmline), "Z" — and gives it back in UTC.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache, partial
from typing import Any, TypeVar, cast

from calmline.core.records import Meta

T = TypeVar("T")
META_FIELDS = ("id", "version", "created_at", "updated_at")  # a flat record's first keys


def iso(value: datetime) -> str:
    """The one time format: UTC ISO-8601 with microseconds (lossless, sorts as text)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: store only aware UTC times")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    """An ISO-8601 time (any precision, any offset, "Z") as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


# -- records -> plain values -------------------------------------------------


def plain(value: Any) -> Any:
    """Dataclasses, enums, datetimes, dates and tuples -> dicts, strings and lists."""
    if isinstance(value, Enum):  # before str/int: StrEnum and IntEnum are both
        return value.value
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in _field_names(type(value))}
    return value


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]


def flat_record(record: Any) -> dict[str, Any]:
    """A record as one flat dict: its meta fields first (id, version, created_at,
    updated_at), then its own fields; nested values (next steps, voice figures)
    as lists and dicts."""
    data = plain(record)
    meta = data.pop("meta")
    out: dict[str, Any] = {name: meta[name] for name in META_FIELDS}
    out.update(data)
    return out


# -- plain values -> records -------------------------------------------------

Decoder = Callable[[Any], Any]


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _base(tp: Any) -> Any:
    """``X | None`` -> ``X``."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        return next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def _same(value: Any) -> Any:
    return value


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _or_none(decode: Decoder) -> Decoder:
    return lambda value: None if value is None else decode(value)


@cache
def _decoder(tp: Any) -> Decoder:
    """How a plain value becomes a value of type ``tp`` (None stays None)."""
    tp = _base(tp)
    if tp is datetime:
        return _or_none(parse_iso)
    if tp is date:
        return _day
    if tp is bool:
        return _or_none(bool)  # SQLite holds 0/1, JSON true/false
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _or_none(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _or_none(partial(from_plain, tp))
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            return _or_none(lambda value: tuple(item(v) for v in value))
        parts = [_decoder(a) for a in args]
        return _or_none(lambda value: tuple(p(v) for p, v in zip(parts, value, strict=True)))
    return _same


@cache
def _field_decoders(cls: type) -> tuple[tuple[str, Decoder], ...]:
    hints = _hints(cls)
    return tuple(
        (f.name, _decoder(hints[f.name]))
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name != "meta"
    )


def from_plain(cls: type[T], data: Mapping[str, Any]) -> T:
    """The record (or nested value) ``data`` holds: the inverse of ``flat_record``
    (and of ``plain`` for a dataclass without meta). Fields it lacks take their
    defaults; keys that are not fields are ignored."""
    kwargs: dict[str, Any] = {}
    if "meta" in _hints(cast(type, cls)):
        kwargs["meta"] = Meta(
            id=data["id"],
            version=data["version"],
            created_at=parse_iso(data["created_at"]),
            updated_at=parse_iso(data["updated_at"]),
        )
    for name, decode in _field_decoders(cast(type, cls)):
        if name in data:
            kwargs[name] = decode(data[name])
    return cls(**kwargs)


@cache
def nested_fields(cls: type) -> frozenset[str]:
    """The fields of ``cls`` whose plain value is a list or a dict (tuples and
    nested dataclasses), not one string or number."""
    hints = _hints(cls)
    return frozenset(
        f.name
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name != "meta"
        and (
            dataclasses.is_dataclass(_base(hints[f.name]))
            or typing.get_origin(_base(hints[f.name])) is tuple
        )
    )
