"""The HTTPS team store's read side (installers/server/team-api.openapi.yaml):
GET {target}/team/changes, /team/lookup and /team/report, with the write
side's rules: the bearer token from the keyring, TLS through the target's
context, redirects never followed, answers bounded, and nothing from the server
trusted for being there. Every item goes through sync/team_docs.value_of: one
that does not read is skipped with a line, the rest are kept. A body that is
not the contract's JSON (a captive portal's page) fails the read, saying so.

Reads are not retried here: the refresh runs again later, and a lookup at call
start has a budget of a fraction of a second (the whole request, not each
socket operation: it runs on a short-lived thread the caller stops waiting for)."""

from __future__ import annotations

import dataclasses
import json
import ssl
import threading
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from calmline.core.serialize import from_plain
from calmline.core.team import (
    CautionMarker,
    MarkerDecision,
    PromiseKept,
    TeamChanges,
    TeamIncident,
    TeamPromise,
)
from calmline.core.team_report import TeamReport
from calmline.sync.base import TargetError
from calmline.sync.team_docs import ForeignDocument, value_of

if TYPE_CHECKING:
    from calmline.sync.https import HttpsTarget

MAX_READ_BYTES = 16 * 1024 * 1024  # a page of 500 values is well under 2 MiB
PAGE = 500  # values asked for in one page of team/changes
READ_TIMEOUT_S = 30.0
MAX_CURSOR = 200
MAX_QUERY = 200  # characters of a number or reference asked about (the contract's bound)
LISTS: dict[str, type] = {  # the answer's lists, as TeamChanges names them
    "incidents": TeamIncident,
    "promises": TeamPromise,
    "kept": PromiseKept,
    "markers": CautionMarker,
    "decisions": MarkerDecision,
}


class _Gone(Exception):
    """410: the server no longer knows the cursor."""


def team_url(target: str, name: str, params: dict[str, str]) -> str:
    """The contract's join rule: the target's path without its trailing "/",
    then "/team/<name>", then the target's own query and ``params``."""
    parts = urlsplit(target)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    path = parts.path.rstrip("/") + "/team/" + name
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def get_json(target: HttpsTarget, name: str, params: dict[str, str], timeout: float) -> Any:
    """One GET of team/<name>: its JSON, or TargetError saying why not."""
    from calmline.sync.https import server_message

    where = f"{target.name} (team/{name})"
    headers = {"Accept": "application/json"}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    request = urllib.request.Request(team_url(target.url, name, params), headers=headers)
    try:
        with target.opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_READ_BYTES + 1)
            status, kind = response.status, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raise _refusal(where, target.url, exc, server_message(exc.read(64 * 1024))) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            raise TargetError(
                f"{where}: its TLS certificate is not trusted here "
                f"({exc.reason.verify_message}); ask IT to check the certificate"
            ) from exc
        raise TargetError(f"{where}: cannot reach it ({exc.reason})") from exc
    except (TimeoutError, ConnectionError, OSError) as exc:
        raise TargetError(f"{where}: no answer ({exc or type(exc).__name__})") from exc
    except ValueError as exc:  # http.client.InvalidURL
        raise TargetError(f"{where}: not a URL that can be read from") from exc
    if len(body) > MAX_READ_BYTES:
        raise TargetError(f"{where}: its answer is over {MAX_READ_BYTES >> 20} MiB; not ours")
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        shown = kind.split(";", 1)[0].strip() or "no content type"
        raise TargetError(
            f"{where}: answered {status} with {'an empty body' if not body.strip() else shown}, "
            "not the team store's JSON (is a login page or a proxy in the way?)"
        ) from None


def _refusal(where: str, url: str, exc: urllib.error.HTTPError, message: str) -> Exception:
    if 300 <= exc.code < 400:
        try:
            host = urlsplit(urljoin(url, exc.headers.get("Location", ""))).hostname
        except ValueError:
            host = None
        return TargetError(
            f"{where}: redirected ({exc.code}) to {host or '(no address)'}; Calmline never "
            "follows a redirect (the token would go with it) — set sync.target to the "
            "team store's real address"
        )
    if exc.code == 410:
        return _Gone()
    if exc.code == 404:
        return TargetError(
            f"{where}: not found (404); this server does not offer the team read side"
        )
    if exc.code >= 500:
        return TargetError(f"{where}: server error {exc.code}: {message}")
    return TargetError(f"{where}: refused ({exc.code}): {message}")


def read_lists(data: Any, where: str, out: TeamChanges) -> TeamChanges:
    """The five lists of an answer into ``out``; a bad item is skipped with a line."""
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in LISTS):
        got = (
            ", ".join(sorted(map(str, data))[:5]) if isinstance(data, dict) else type(data).__name__
        )
        raise TargetError(
            f"{where}: its answer is not the team store's (no lists {', '.join(LISTS)}; "
            f"got {got or 'an empty object'}); is a proxy in the way?"
        )
    for key, cls in LISTS.items():
        kept: list[Any] = getattr(out, key)
        for n, item in enumerate(data[key]):
            try:
                if not isinstance(item, dict):
                    raise ForeignDocument("not a JSON object")
                kept.append(value_of(cls, item))
            except ForeignDocument as exc:
                ident = item.get("id") if isinstance(item, dict) else None
                named = f" (id {ident[:36]!r})" if isinstance(ident, str) else ""
                out.skipped.append(f"{where}: {key}[{n}]{named} skipped: {exc}")
    return out


def changes(target: HttpsTarget, cursor: str, since: datetime) -> TeamChanges:
    """One page after ``cursor``; a cursor the server forgot (410) reads from the start."""
    day = since.astimezone(UTC).date().isoformat()
    try:
        data = get_json(target, "changes", _page(cursor, day), READ_TIMEOUT_S)
    except _Gone:
        data = get_json(target, "changes", _page("", day), READ_TIMEOUT_S)
    where = f"{target.name} (team/changes)"
    out = read_lists(data, where, TeamChanges())
    more, after = data.get("more"), data.get("cursor")
    if not isinstance(more, bool) or not isinstance(after, str) or len(after) > MAX_CURSOR:
        raise TargetError(
            f'{where}: its answer has no usable "cursor" (text of at most {MAX_CURSOR} '
            'characters) and "more" (true or false)'
        )
    if more and after == cursor:
        raise TargetError(f"{where}: it says there is more but gives back the same cursor")
    out.cursor, out.more = after, more
    return out


def _page(cursor: str, day: str) -> dict[str, str]:
    params = {"since": day, "limit": str(PAGE)}
    return {"cursor": cursor, **params} if cursor else params


def lookup(target: HttpsTarget, number: str, ref: str, budget_s: float) -> TeamChanges:
    """The caller's history, within ``budget_s`` for the whole request."""
    from calmline.core.team import number_key, ref_key

    if not number_key(number) and not ref_key(ref):
        return TeamChanges()
    params = {k: v[:MAX_QUERY] for k, v in (("number", number), ("ref", ref)) if v.strip()}
    box: list[Any] = []

    def ask() -> None:
        try:
            # the socket's own timeout later than the budget: the budget's end is
            # said one way (below), whichever the busy machine gets to first
            box.append(get_json(target, "lookup", params, budget_s + 1.0))
        except Exception as exc:  # handed to the caller's thread
            box.append(exc)

    worker = threading.Thread(target=ask, name="calmline-team-lookup", daemon=True)
    worker.start()
    worker.join(budget_s)
    if not box:
        raise TargetError(f"{target.name} (team/lookup): no answer within {budget_s:g} s")
    if isinstance(box[0], BaseException):
        if isinstance(box[0], _Gone):
            raise TargetError(f"{target.name} (team/lookup): refused (410)")
        raise box[0]
    return read_lists(box[0], f"{target.name} (team/lookup)", TeamChanges())


def report(target: HttpsTarget, start: date, end: date, today: date) -> TeamReport:
    """The team report, as a lead; TargetError naming the cause otherwise."""
    where = f"{target.name} (team/report)"
    params = {"from": start.isoformat(), "to": end.isoformat(), "today": today.isoformat()}
    try:
        data = get_json(target, "report", params, READ_TIMEOUT_S)
    except _Gone:
        raise TargetError(f"{where}: refused (410)") from None
    except TargetError as exc:
        if "refused (403)" in str(exc):
            raise TargetError(
                f"{where}: the login for this target is not a team lead, so it cannot read "
                f"the team report; sign in with a lead's token ({exc})"
            ) from exc
        raise
    return report_of(data, where, target.name)


def report_of(data: Any, where: str, store: str) -> TeamReport:
    """A report answer as a TeamReport (its markers checked like any item)."""
    needed = ("start", "end", "today", "agents", "repeat_callers", "awaiting_review")
    if not isinstance(data, dict) or any(k not in data for k in needed):
        raise TargetError(
            f"{where}: its answer is not a team report (it needs {', '.join(needed)})"
        )
    lists = ("agents", "repeat_callers", "awaiting_review")
    if not all(isinstance(data[k], list) for k in lists):
        raise TargetError(f"{where}: its {', '.join(lists)} must be lists")
    try:
        markers = tuple(value_of(CautionMarker, m) for m in data["awaiting_review"])
        built = from_plain(TeamReport, {**data, "store": store, "awaiting_review": []})
    except (ForeignDocument, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TargetError(f"{where}: a field of its answer cannot be read ({exc})"[:300]) from exc
    for row in built.agents:
        if not isinstance(row.agent_id, str) or not isinstance(row.calls, int):
            raise TargetError(f"{where}: an agent row has no agent_id or calls")
    return dataclasses.replace(built, awaiting_review=markers)
