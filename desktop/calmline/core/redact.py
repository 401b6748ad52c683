"""Secrets out of every line Calmline shows: one function for anything that names a
sync target or may hold one (a summary, a log line, an error, `doctor`).

Removed: a URL's password (the PostgreSQL user name is kept: it is the agent's
login; for every other scheme the whole userinfo goes, since a token can sit
there as a user name), the values of query and libpq keyword parameters whose
name says secret (password, token, key, sig, secret, auth, credential, session,
...), quoted JSON or repr values under such names, and Bearer/Basic credentials.
It errs towards hiding: a userinfo runs to the last "@" of the address, whatever
characters a password holds. Pure and total: any text in, text out; it never
raises, and it is linear in the length of its input (no regex backtracks).
"""

from __future__ import annotations

import re

MASK = "***"
_KEEP_USER = frozenset({"postgresql", "postgres"})
# Words that make a parameter's value a secret, read in the last dotted part of its
# name ("hotkeys.quick_note" is a setting, not a key). "auth" hides author: hiding
# too much is the safe side. A name ending in "key" (key, apikey, api_key, sslkey,
# x-api-key) is one too; "hotkeys" and "keyboard" are not.
_SECRET_WORDS = (
    "pass",
    "pwd",
    "secret",
    "token",
    "sig",
    "auth",
    "credential",
    "session",
    "cookie",
    "jwt",
)
# key= as in a query string or a libpq conninfo string. Only the key is matched,
# so a secret inside another parameter's value (sync.target = "…?token=…") is
# found too; the value is measured from there (_VALUE). Possessive: no backtracking.
_KEY = re.compile(r"(?<![A-Za-z0-9_.\-])(?P<key>[A-Za-z0-9_.\-]++)\s*+=\s*+")
# libpq-quoted ('a b', 'it\'s'), or up to whitespace, "&" or a closing quote
_VALUE = re.compile(r"'(?:[^'\\]|\\.)*+'?|(?:[^\s&\"]|\"(?![\s,;)\]}]|$))*+")
# "password": "x" (JSON) or 'password': 'x' (a Python repr)
_QUOTED_PAIR = re.compile(
    r"(?P<q>[\"'])(?P<key>[^\"'\\\s]{1,64}+)(?P=q)(?P<eq>\s*+:\s*+)"
    r"(?P<v>[\"'])(?:(?!(?P=v))[^\\]|\\.)*+(?P=v)?"
)
# An Authorization header's credentials, as a header dump or an exception shows them
_AUTH_HEADER = re.compile(r"\b(?P<kind>Bearer|Basic)(?P<gap>\s++)[A-Za-z0-9._~+/=\-]{6,}+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*+$")
_LEADING = "'\"([<{="  # what may stand before a scheme-relative //user@host


def _is_secret(key: str) -> bool:
    low = key.lower().rsplit(".", 1)[-1]
    return low.endswith("key") or any(word in low for word in _SECRET_WORDS)


def _pairs(line: str) -> str:
    """Every value of a secret-named key=value replaced by the mask."""
    low = line.lower()
    if "key" not in low and not any(w in low for w in _SECRET_WORDS):
        return line  # no secret word anywhere: nothing to look for
    out, pos = [], 0
    for m in _KEY.finditer(line):
        if m.start() < pos or not _is_secret(m["key"]):
            continue  # inside a value already hidden, or not a secret
        value = _VALUE.match(line, m.end())
        out += [line[pos : m.end()], MASK]
        pos = value.end() if value else m.end()
    out.append(line[pos:])
    return "".join(out)


def _quoted_pair(m: re.Match[str]) -> str:
    if not _is_secret(m["key"]):
        return m[0]
    return f"{m['q']}{m['key']}{m['q']}{m['eq']}{m['v']}{MASK}{m['v']}"


def _userinfo(token: str) -> str:
    """``token`` (no whitespace) with the userinfo of its address hidden."""
    at = token.rfind("@")
    start = token.find("://")
    if 0 <= start < at:
        found = _SCHEME.search(token[max(0, start - 40) : start])
        scheme = found[0].lower() if found else ""
        begin = start + 3
    else:
        stripped = token.lstrip(_LEADING)
        if not stripped.startswith("//"):
            return token
        scheme, begin = "", len(token) - len(stripped) + 2
    if begin >= at:
        return token
    info = token[begin:at]
    if scheme in _KEEP_USER:
        user, colon, _ = info.partition(":")
        shown = f"{user}:{MASK}" if colon else user
    else:
        shown = MASK
    return f"{token[:begin]}{shown}{token[at:]}"


def redact_target(text: object) -> str:
    """``text`` (a target URL, a path, or any line that may hold one) with every
    secret replaced by ``***``; text without a secret comes back unchanged."""
    try:
        line = text if isinstance(text, str) else str(text)
        line = "".join(_userinfo(p) if "@" in p else p for p in re.split(r"(\s+)", line))
        line = _pairs(line)
        line = _QUOTED_PAIR.sub(_quoted_pair, line)
        return _AUTH_HEADER.sub(lambda m: f"{m['kind']}{m['gap']}{MASK}", line)
    except Exception:  # showing a line must never fail; show nothing rather than a secret
        return "(hidden: a line that could not be checked for secrets)"
