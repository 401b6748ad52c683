"""Text from outside made displayable, without Qt: bidi overrides and control
characters out, runs of combining marks cut, newlines collapsed where one line
is shown, and at most so many characters (and lines), elided with "…". Each is
O(limit), whatever the input's size. The wording of outcomes (core/wording.py)
and every widget (through ui/plain_text.py, which adds what Qt needs) use it."""

from __future__ import annotations

import unicodedata

ID_MAX = 32  # a caller id, customer reference or agent id inside a line
LINE_MAX = 160  # one line: a title, a list row, a status message
BLOCK_MAX = 1000  # a paragraph: a step's reason, a problem list
BLOCK_LINES = 12
ELLIPSIS = "…"
MARKS_MAX = 3  # combining marks on one letter (more only stack up out of the line)

# Embeddings, overrides and isolates: they can make "1234" read "4321".
BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_NEWLINES = {"\r": "\n", "\v": "\n", "\f": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"}
_NEWLINE_TABLE = str.maketrans(_NEWLINES)
_ROOM = 4  # input read per character shown: enough for what cleaning drops


def _clean(text: str, limit: int) -> str:
    """``text`` without bidi controls, control characters or piles of
    combining marks; newlines kept as ``\\n``. Reads at most what ``limit``
    characters can need."""
    text = text[: limit * _ROOM + 16].replace("\r\n", "\n").translate(_NEWLINE_TABLE)
    out: list[str] = []
    marks = 0
    for ch in text:
        if ch in BIDI_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category == "Cc" and ch != "\n":
            if ch == "\t":
                out.append(" ")
            continue
        if category in ("Mn", "Me"):
            marks += 1
            if marks > MARKS_MAX:
                continue
        else:
            marks = 0
        out.append(ch)
    return "".join(out)


def _elide(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip().rstrip("\u200d") + ELLIPSIS


def line(text: object, limit: int = LINE_MAX) -> str:
    """One displayable line of at most ``limit`` characters."""
    cleaned = _clean(str(text), limit)
    return _elide(" ".join(cleaned.split()), limit)


def block(text: object, limit: int = BLOCK_MAX, lines: int = BLOCK_LINES) -> str:
    """Displayable lines: at most ``lines`` of them and ``limit`` characters."""
    rows = [" ".join(row.split()) for row in _clean(str(text), limit).split("\n")]
    while rows and not rows[-1]:
        rows.pop()
    if len(rows) > lines:
        rows = [*rows[: lines - 1], ELLIPSIS]
    return _elide("\n".join(rows), limit)


def sentence(text: object) -> str:
    """A refusal's text as the window says it: its first letter a capital."""
    words = str(text)
    return words[:1].upper() + words[1:]
