"""Record dataclasses <-> SQLite rows: core/serialize.py's plain values (the one
encoder, and its one time format), plus what is SQLite's own — booleans are
0/1, and a nested value (next steps, voice figures) is one column of JSON
text. ``iso`` and ``parse_iso`` are core/serialize.py's, re-exported for the
store's SQL (times compared and sorted as text)."""

from __future__ import annotations

import json
import typing
from typing import Any, TypeVar

from calmline.core.serialize import flat_record, from_plain, iso, nested_fields, parse_iso

__all__ = ["from_row", "iso", "parse_iso", "to_row"]

T = TypeVar("T")


def to_row(record: Any) -> dict[str, Any]:
    """The row of ``record``: one column per field, its meta fields included."""
    json_columns = nested_fields(typing.cast(type, type(record)))
    row = flat_record(record)
    for name, value in row.items():
        if name in json_columns:
            row[name] = json.dumps(value)
        elif isinstance(value, bool):
            row[name] = int(value)
    return row


def from_row(cls: type[T], row: typing.Mapping[str, Any]) -> T:
    """The record of class ``cls`` a row holds (columns that are not its fields
    are ignored)."""
    data = dict(row)
    for name in nested_fields(typing.cast(type, cls)):
        if data.get(name) is not None:
            data[name] = json.loads(data[name])
    return from_plain(cls, data)
