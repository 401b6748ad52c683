"""The SQL of calmline.number_key and calmline.ref_key's Unicode tables, made
from Python's own (re's \\d, str.isspace, str.casefold), so the server's keys
are core/team.py's exactly, whatever the database's collation. The block
between "-- BEGIN generated" and "-- END generated" in
installers/server/postgresql.sql is this module's output; to write it again:
``python -m tests.integration.team_pg_keys``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

SQL_FILE = Path(__file__).resolve().parents[2] / "installers" / "server" / "postgresql.sql"
BEGIN, END = "-- BEGIN generated", "-- END generated\n"


def code_points() -> list[int]:
    return [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def _u(c: int) -> str:
    ch = chr(c)
    if 0x20 < c < 0x7F and ch not in "'\\[]^-":
        return ch
    return f"\\{c:04X}" if c <= 0xFFFF else f"\\+{c:06X}"


def _lit(pieces: list[str], indent: str = "        ") -> str:
    lines, cur = [], ""
    for piece in pieces:
        if len(cur) + len(piece) > 72:
            lines.append(cur)
            cur = ""
        cur += piece
    lines.append(cur)
    return f"\n{indent}|| ".join(f"U&'{line}'" for line in lines)


def key_functions_sql() -> str:
    cps = code_points()
    runs: list[list[int]] = []
    for c in (c for c in cps if re.match(r"\d", chr(c))):
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    not_digit = _lit([f"{_u(a)}-{_u(b)}" if a != b else _u(a) for a, b in runs])
    space = _lit([_u(c) for c in cps if chr(c).isspace()])
    folds = [(c, chr(c).casefold()) for c in cps if chr(c).casefold() != chr(c)]
    one = [(c, f) for c, f in folds if len(f) == 1]
    many = [
        f"\n        , U&'{_u(c)}', U&'{''.join(_u(ord(ch)) for ch in f)}')"
        for c, f in folds
        if len(f) > 1
    ]
    return f"""{BEGIN} by `python -m tests.integration.team_pg_keys` from
-- Python's Unicode tables (re's \\d, str.isspace, str.casefold): do not edit by hand.
CREATE OR REPLACE FUNCTION calmline.py_space() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT {space} $$;

CREATE OR REPLACE FUNCTION calmline.py_not_digits() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT '[^' || {not_digit} || ']+' $$;

-- The case foldings to more than one character (translate() maps one to one).
CREATE OR REPLACE FUNCTION calmline.py_casefold_wide(x text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT {"replace(" * len(many)}x{"".join(many)} $$;

CREATE OR REPLACE FUNCTION calmline.py_casefold(x text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT CASE WHEN octet_length(x) = length(x)
        THEN translate(x, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
        ELSE calmline.py_casefold_wide(translate(x,
        {_lit([_u(c) for c, _ in one])},
        {_lit([_u(ord(f)) for _, f in one])})) END $$;
{END}"""


def shipped_block() -> str:
    text = SQL_FILE.read_text(encoding="utf-8")
    start = text.index(BEGIN)
    return text[start : text.index(END, start) + len(END)]


if __name__ == "__main__":
    text = SQL_FILE.read_text(encoding="utf-8")
    SQL_FILE.write_text(text.replace(shipped_block(), key_functions_sql()), encoding="utf-8")
    print(f"wrote the key functions' tables into {SQL_FILE}")
