"""Searching past incidents: words over the incident's fields and notes (FTS5,
ranked by field), phone numbers by any run of their digits (a trigram index, so
"7946 0958" finds "+44 20 7946 0958"), and filters for one caller, a category
and best-practice solutions ("what worked before for this problem").

The agent's text is never FTS syntax: every word is quoted, and the last one is
a prefix, so results follow the typing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from calmline.core.records import Incident
from calmline.store.codec import from_row
from calmline.store.migrations import NUMBER_SEPARATORS

MIN_NUMBER_DIGITS = 3  # the trigram index needs three characters
_NUMBER = re.compile(r"[\d" + re.escape(NUMBER_SEPARATORS) + r"]+")


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    caller: str = ""  # one caller: exact caller number or customer reference
    category: str = ""  # exact, any case
    best_practice: bool = False  # only incidents whose solution is marked as one to reuse
    exclude_id: str = ""  # e.g. the call in progress, when looking at its caller's history
    limit: int = 50


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _number_key(word: str) -> str | None:
    """A phone-number fragment's digits, or None when ``word`` is a word."""
    if not _NUMBER.fullmatch(word):
        return None
    digits = "".join(c for c in word if c.isdigit())
    return digits if len(digits) >= MIN_NUMBER_DIGITS else None


def _split(text: str) -> tuple[str, list[str]]:
    """The FTS query for the words, and the digit keys of the number fragments."""
    words, numbers = [], []
    for raw in text.split():
        key = _number_key(raw)
        if key is not None:
            numbers.append(key)
        else:
            words.append(_phrase(raw))
    if words and not text[-1:].isspace():
        words[-1] += "*"  # still typing it
    return " ".join(words), numbers


def search(db: Database, query: SearchQuery) -> list[Incident]:
    """Best match first when words are given, else newest first."""
    fts, numbers = _split(query.text)
    where: list[str] = []
    args: dict[str, Any] = {"limit": query.limit}
    for n, key in enumerate(numbers):
        # A number may be the caller's, a reference's, or written in a note.
        args[f"n{n}"], args[f"p{n}"] = _phrase(key), _phrase(key)
        where.append(f"""i.rowid IN (
            SELECT rowid FROM numbers_fts WHERE numbers_fts MATCH :n{n}
            UNION SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH :p{n}
            UNION SELECT i3.rowid FROM notes_fts JOIN notes ON notes.rowid = notes_fts.rowid
                JOIN incidents i3 ON i3.id = notes.incident_id WHERE notes_fts MATCH :p{n})""")
    if query.caller:
        where.append("(i.caller_number = :caller OR i.customer_ref = :caller)")
        args["caller"] = query.caller
    if query.category:
        where.append("i.category = :category COLLATE NOCASE")
        args["category"] = query.category
    if query.best_practice:
        where.append("i.best_practice = 1")
    if query.exclude_id:
        where.append("i.id != :exclude")
        args["exclude"] = query.exclude_id
    filters = " AND ".join(where) or "1"
    if not fts:
        sql = f"SELECT i.* FROM incidents i WHERE {filters} ORDER BY i.started_at DESC LIMIT :limit"
    else:
        args["q"] = fts
        sql = f"""
            SELECT i.* FROM (
                SELECT rowid AS r, rank FROM incidents_fts WHERE incidents_fts MATCH :q
                UNION ALL
                SELECT i2.rowid, notes_fts.rank FROM notes_fts
                JOIN notes ON notes.rowid = notes_fts.rowid
                JOIN incidents i2 ON i2.id = notes.incident_id
                WHERE notes_fts MATCH :q
            ) m JOIN incidents i ON i.rowid = m.r
            WHERE {filters}
            GROUP BY i.rowid ORDER BY MIN(m.rank), i.started_at DESC LIMIT :limit"""
    cur = db.execute(sql, args)
    cols = [c[0] for c in cur.description]
    return [from_row(Incident, dict(zip(cols, row, strict=True))) for row in cur.fetchall()]


def categories(db: Database) -> list[tuple[str, int]]:
    """Categories used so far, most used first, with their counts; spellings that
    differ only in case are one category."""
    rows = db.execute(
        "SELECT MIN(category), COUNT(*) FROM incidents WHERE category != '' "
        "GROUP BY category COLLATE NOCASE ORDER BY COUNT(*) DESC, category"
    ).fetchall()
    return [(str(c), int(n)) for c, n in rows]
