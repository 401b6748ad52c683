"""Searching past incidents: words over the incident's fields and notes (FTS5,
ranked by field), phone numbers by any run of their digits (a trigram index, so
"7946 0958" finds "+44 20 7946 0958"), and filters for one caller, a category
and best-practice solutions ("what worked before for this problem").

The agent's text is never FTS syntax: every word is quoted, and the last one is
a prefix, so results follow the typing. Words are ranked by field (bm25) unless
they match more than BROAD incidents and notes: ranking every match would take
too long and say little, so those come newest first.

The text is bounded whatever door it comes through (search box, CLI): at most
MAX_TEXT characters and MAX_TERMS words or numbers are searched, the rest is
left out (``problem`` says so, for the CLI to refuse with), and undecodable
bytes never reach SQLite."""

from __future__ import annotations

import re
from typing import Any

from sqlite_utils import Database

from calmline.core.commands import as_text
from calmline.core.records import Incident
from calmline.core.search_query import MAX_TERMS, MAX_TEXT
from calmline.core.search_query import SearchQuery as SearchQuery  # re-exported
from calmline.store.codec import from_row
from calmline.store.migrations import NUMBER_SEPARATORS

MIN_NUMBER_DIGITS = 3  # the trigram index needs three characters
MAX_LIMIT = 1_000_000  # LIMIT must fit SQLite's integer; -1 = all
BROAD = 2000  # more matches than this: newest first instead of ranked (see _newest)
_NUMBER = re.compile(r"[\d" + re.escape(NUMBER_SEPARATORS) + r"]+")


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _number_key(word: str) -> str | None:
    """A phone-number fragment's digits, or None when ``word`` is a word."""
    if not _NUMBER.fullmatch(word):
        return None
    digits = "".join(c for c in word if c.isdigit())
    return digits if len(digits) >= MIN_NUMBER_DIGITS else None


# Control characters separate words: FTS5 ends a string at a NUL ("unterminated string").
_CONTROLS = {c: " " for c in [*range(32), 127]}


def _split(text: str) -> tuple[str, list[str]]:
    """The FTS query for the words, and the digit keys of the number fragments
    (of the first MAX_TEXT characters, the first MAX_TERMS of them)."""
    text = as_text(text[:MAX_TEXT]).translate(_CONTROLS)
    words, numbers = [], []
    for raw in text.split()[:MAX_TERMS]:
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
    args: dict[str, Any] = {"limit": max(-1, min(query.limit, MAX_LIMIT))}
    for n, key in enumerate(numbers):
        # A number may be the caller's, a reference's, or written in a note.
        args[f"n{n}"], args[f"p{n}"] = _phrase(key), _phrase(key)
        where.append(f"""i.rowid IN (
            SELECT rowid FROM numbers_fts WHERE numbers_fts MATCH :n{n}
            UNION SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH :p{n}
            UNION SELECT i3.rowid FROM notes_fts JOIN notes ON notes.rowid = notes_fts.rowid
                JOIN incidents i3 ON i3.id = notes.incident_id WHERE notes_fts MATCH :p{n})""")
    who = []
    if query.caller_number:
        who.append("i.caller_number = :number")
        args["number"] = as_text(query.caller_number)
    if query.customer_ref:
        who.append("i.customer_ref = :ref")
        args["ref"] = as_text(query.customer_ref)
    if who:
        where.append(f"({' OR '.join(who)})")
    if query.category:
        where.append("i.category = :category COLLATE NOCASE")
        args["category"] = as_text(query.category)
    if query.best_practice:
        where.append("i.best_practice = 1")
    if query.exclude_id:
        where.append("i.id != :exclude")
        args["exclude"] = as_text(query.exclude_id)
    filters = " AND ".join(where) or "1"
    if not fts:
        sql = f"SELECT i.* FROM incidents i WHERE {filters} ORDER BY i.started_at DESC LIMIT :limit"
        return _rows(db, sql, args)
    args["q"] = fts
    if _matches(db, fts) > BROAD:
        return _newest(db, filters, args, args["limit"])
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
    return _rows(db, sql, args)


def _rows(db: Database, sql: str, args: dict[str, Any]) -> list[Incident]:
    return [from_row(Incident, row) for row in db.query(sql, args)]


def _matches(db: Database, fts: str) -> int:
    """How many incidents and notes the words match, counted up to BROAD + 1
    (counting is cheap; ranking is not)."""
    return sum(
        db.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH ? LIMIT ?)",
            [fts, BROAD + 1],
        ).fetchone()[0]
        for table in ("incidents_fts", "notes_fts")
    )


def _newest(db: Database, filters: str, args: dict[str, Any], limit: int) -> list[Incident]:
    """Words found nearly everywhere say little about relevance: the newest
    matches instead, read from the index backwards (rowids follow call start)."""
    by_incident = f"""
        SELECT i.* FROM incidents_fts f JOIN incidents i ON i.rowid = f.rowid
        WHERE incidents_fts MATCH :q AND {filters} ORDER BY f.rowid DESC LIMIT :limit"""
    by_note = f"""
        SELECT i.* FROM notes_fts f JOIN notes n ON n.rowid = f.rowid
        JOIN incidents i ON i.id = n.incident_id
        WHERE notes_fts MATCH :q AND {filters} ORDER BY f.rowid DESC LIMIT :limit"""
    found = {i.meta.id: i for sql in (by_incident, by_note) for i in _rows(db, sql, args)}
    newest = sorted(found.values(), key=lambda i: i.started_at, reverse=True)
    return newest if limit < 0 else newest[:limit]


def categories(db: Database) -> list[tuple[str, int]]:
    """Categories used so far, most used first, with their counts; spellings that
    differ only in case are one category."""
    rows = db.execute(
        "SELECT MIN(category), COUNT(*) FROM incidents WHERE category != '' "
        "GROUP BY category COLLATE NOCASE ORDER BY COUNT(*) DESC, category"
    ).fetchall()
    return [(str(c), int(n)) for c, n in rows]
