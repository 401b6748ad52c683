"""An HTTPS team store for tests, over real TLS on 127.0.0.1, that follows
installers/server/team-api.openapi.yaml: the write side (POST the target) and
the read side (GET team/changes, team/lookup, team/report) served from what it
was sent. Every answer it gives is kept in state["answers"] so that a test can
check each against the contract's schemas (tests/unit/test_openapi_contract.py)."""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from calmline.core.serialize import parse_iso, plain
from calmline.core.team import number_key, ref_key
from calmline.core.team_report import REPEAT_ROWS
from calmline.sync.team_docs import team_value

LISTS = {"incident": "incidents", "followup": "promises", "promise_kept": "kept",
         "marker": "markers", "marker_decision": "decisions"}  # fmt: skip
NOT_A_LEAD = (
    "only a team lead may decide on a caution marker: the login of this token is not a "
    "team lead; ask IT to give it the lead role, or run `calmline markers` as a lead"
)


class Store:
    """What the server holds: each record's newest document and the change
    clock that orders them (the cursor is the clock's value)."""

    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}
        self.seq: dict[tuple[str, str], int] = {}
        self.clock = 0

    def keep(self, doc: dict[str, Any]) -> None:
        self.clock += 1
        key = (doc["type"], doc["id"])
        self.docs[key], self.seq[key] = doc, self.clock

    def of(self, kind: str, ident: str) -> dict[str, Any] | None:
        doc = self.docs.get((kind, ident))
        return doc["record"] if doc else None

    def day_of(self, key: tuple[str, str]) -> str | None:
        """The UTC day of the call a value belongs to (None: not held)."""
        kind, record = key[0], self.docs[key]["record"]
        if kind == "incident":
            return str(record["started_at"])[:10]
        if kind == "marker":
            return str(record["proposed_at"])[:10]
        if kind in ("followup", "promise_kept"):
            incident = self.of("incident", record["incident_id"])
            return str(incident["started_at"])[:10] if incident else None
        if kind == "marker_decision":
            marker = self.of("marker", record["marker_id"])
            return str(marker["proposed_at"])[:10] if marker else None
        return None


def empty_lists() -> dict[str, list[Any]]:
    return {name: [] for name in LISTS.values()}


def item(doc: dict[str, Any]) -> Any:
    """A stored document as the read side hands it out: caller-facing fields only."""
    return plain(team_value(doc))


def changes(store: Store, cursor: str, since: str, limit: int) -> dict[str, Any]:
    after = int(cursor or "0")
    keys = sorted((k for k in store.docs if k[0] in LISTS and store.seq[k] > after),
                  key=store.seq.__getitem__)  # fmt: skip
    keys = [k for k in keys if (day := store.day_of(k)) is None or day >= since]
    page = keys[:limit]
    out: dict[str, Any] = empty_lists()
    for key in page:
        out[LISTS[key[0]]].append(item(store.docs[key]))
    out["cursor"] = str(store.seq[page[-1]]) if page else str(after)
    out["more"] = len(keys) > limit
    return out


def lookup(store: Store, number: str, ref: str) -> dict[str, Any]:
    nkey, rkey = number_key(number), ref_key(ref)

    def caller(record: dict[str, Any]) -> bool:
        by_number = bool(nkey) and number_key(record.get("caller_number", "")) == nkey
        return by_number or (bool(rkey) and ref_key(record.get("customer_ref", "")) == rkey)

    def of(kind: str, field: str, among: set[str] | None) -> list[dict[str, Any]]:
        wanted = (lambda r: caller(r)) if among is None else (lambda r: r[field] in among)
        return [d for d in store.docs.values() if d["type"] == kind and wanted(d["record"])]

    incidents = sorted(of("incident", "", None), key=lambda d: d["record"]["started_at"],
                       reverse=True)  # fmt: skip
    promises = of("followup", "incident_id", {d["id"] for d in incidents})
    kept = of("promise_kept", "followup_id", {d["id"] for d in promises})
    markers = of("marker", "", None)
    decisions = of("marker_decision", "marker_id", {d["id"] for d in markers})
    found = (incidents, promises, kept, markers, decisions)
    return {name: [item(d) for d in docs] for name, docs in zip(LISTS.values(), found, strict=True)}


def report(store: Store, start: str, end: str, today: str) -> dict[str, Any]:
    """The team report, computed the slow and obvious way (a test server)."""
    docs = list(store.docs.values())
    calls = [d for d in docs if d["type"] == "incident"
             and start <= d["record"]["started_at"][:10] <= end]  # fmt: skip
    in_period = {d["id"] for d in calls}
    kept = {d["record"]["followup_id"] for d in docs if d["type"] == "promise_kept"}
    agents = []
    for agent in sorted({d["agent_id"] for d in calls}):
        theirs = [d["record"] for d in calls if d["agent_id"] == agent]
        outcomes: dict[str, int] = {}
        for r in theirs:
            outcomes[r.get("resolution", "none")] = outcomes.get(r.get("resolution", "none"), 0) + 1
        waits = [(parse_iso(r["finalised_at"]) - parse_iso(r["ended_at"])).total_seconds()
                 for r in theirs if r.get("finalised_at") and r.get("ended_at")]  # fmt: skip
        overdue = sum(1 for d in docs if d["type"] == "followup" and d["agent_id"] == agent
                      and d["record"]["incident_id"] in in_period and d["record"].get("due")
                      and d["record"]["due"] < today and not d["record"].get("done_at")
                      and d["id"] not in kept)  # fmt: skip
        agents.append({
            "agent_id": agent, "calls": len(theirs),
            "outcomes": sorted(([k, v] for k, v in outcomes.items()), key=lambda o: (-o[1], o[0])),
            "after_call_s": sum(waits) / len(waits) if waits else None,
            "overdue_promises": overdue, "talk_share": None, "raised_voice_calls": None,
        })  # fmt: skip
    by_caller: dict[str, list[dict[str, Any]]] = {}
    for d in sorted(calls, key=lambda d: d["record"]["started_at"]):
        r = d["record"]
        key = number_key(r.get("caller_number", "")) or ref_key(r.get("customer_ref", ""))
        if key:
            by_caller.setdefault(key, []).append(d)
    repeats = [{
        "caller": group[0]["record"].get("caller_number") or group[0]["record"]["customer_ref"],
        "calls": len(group), "agents": len({d["agent_id"] for d in group}),
        "last_at": group[-1]["record"]["started_at"],
    } for group in by_caller.values() if len(group) >= 2]  # fmt: skip
    repeats.sort(key=lambda r: r["last_at"], reverse=True)
    repeats.sort(key=lambda r: r["calls"], reverse=True)
    decided = {d["record"]["marker_id"] for d in docs if d["type"] == "marker_decision"}
    waiting = sorted((d for d in docs if d["type"] == "marker" and d["id"] not in decided),
                     key=lambda d: d["record"]["proposed_at"])  # fmt: skip
    return {"start": start, "end": end, "today": today, "store": "test store",
            "agents": agents, "repeat_callers": repeats[:REPEAT_ROWS],
            "awaiting_review": [item(d) for d in waiting],
            "repeat_callers_total": len(repeats)}  # fmt: skip


def _day(text: str) -> str:
    return date.fromisoformat(text).isoformat()  # ValueError: a 400


@contextlib.contextmanager
def https_endpoint(token: str) -> Iterator[tuple[str, dict, Path]]:  # type: ignore[type-arg]
    """A sync endpoint over real TLS on 127.0.0.1 (a fresh self-signed
    certificate) that follows the contract (installers/server/team-api.openapi.yaml).
    POST: keeps the highest version of each record and answers a "records" list
    with each record's status ("stored", or "held" when it had that version or a
    newer one), beside the older "accepted" count. GET team/changes, team/lookup
    and team/report: served from what it holds. Yields (url, state, certificate
    file to trust).

    ``state`` holds "records" ({(type, id): version}), "store" (the documents),
    "keys" (Idempotency-Key of each POST), "headers" (every request's headers),
    "answers" ([(method, route, status, body JSON or None, planted)] of every
    answer, planted ones off the contract on purpose), "tokens" (valid bearer
    tokens: ``token`` to begin with), "leads" (tokens of team leads: they may
    read the report and POST marker decisions), and fault switches: "fail"
    (answer 503 that many times), "reject" ((status, JSON body) for the next
    POST), "raw" ((status, content type, body bytes) for the next POST, e.g. a
    captive portal's page), "raw_get" (the same for the next GET), "refuse"
    ({record id: reason}: answered "rejected", not kept), "plant" ({list name:
    [items]} added to the next team/changes answer), "stall" (an Event: while
    set, team/* waits until the server stops)."""
    from tests.servers import _tls_server, self_signed

    folder = Path(tempfile.mkdtemp(prefix="calmline-https-"))
    cert, key = self_signed(folder)
    store = Store()
    stopping = threading.Event()
    state: dict = {  # type: ignore[type-arg]
        "records": {}, "store": store, "keys": [], "headers": [], "answers": [], "fail": 0,
        "reject": None, "raw": None, "raw_get": None, "refuse": {}, "plant": {},
        "tokens": {token}, "leads": set(), "stall": threading.Event(),
    }  # fmt: skip
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, body: dict, planted: bool = False) -> None:  # type: ignore[type-arg]
            route = urlsplit(self.path).path.rsplit("/team/", 1)
            name = "team/" + route[1] if len(route) == 2 else "/"
            state["answers"].append((self.command, name, status, body, planted))
            self._send(status, "application/json", json.dumps(body).encode())

        def _send(self, status: int, kind: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _bearer(self) -> str | None:
            auth = self.headers.get("Authorization", "")
            given = auth.removeprefix("Bearer ")
            return given if auth.startswith("Bearer ") and given in state["tokens"] else None

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state["keys"].append(self.headers.get("Idempotency-Key"))
                state["headers"].append(dict(self.headers))
                if state["raw"]:
                    raw, state["raw"] = state["raw"], None
                    return self._send(*raw)
                bearer = self._bearer()
                if bearer is None:
                    return self._answer(401, {"message": "invalid or expired token"})
                if state["fail"]:
                    state["fail"] -= 1
                    return self._answer(503, {"message": "maintenance"})
                if state["reject"]:
                    status, answer = state["reject"]
                    state["reject"] = None
                    return self._answer(status, answer, planted=True)
                records = json.loads(body)["records"]
                assert len(records) <= 100
                answers = []
                for doc in records:
                    k = (doc["type"], doc["id"])
                    reason = state["refuse"].get(doc["id"])
                    if doc["type"] == "marker_decision" and bearer not in state["leads"]:
                        reason = NOT_A_LEAD
                    if reason:
                        answers.append({"type": k[0], "id": k[1], "version": doc["version"],
                                        "status": "rejected", "reason": reason})  # fmt: skip
                        continue
                    held = state["records"].get(k, 0)
                    if doc["version"] > held:
                        store.keep(doc)
                    state["records"][k] = max(held, doc["version"])
                    status = "stored" if doc["version"] > held else "held"
                    answers.append({"type": k[0], "id": k[1], "version": state["records"][k],
                                    "status": status})  # fmt: skip
            self._answer(200, {"accepted": len(records), "records": answers})

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if state["stall"].is_set():
                stopping.wait(60)  # a server that never answers (until the test ends)
                return
            with lock:
                state["headers"].append(dict(self.headers))
                if state["raw_get"]:
                    raw, state["raw_get"] = state["raw_get"], None
                    return self._send(*raw)
                bearer = self._bearer()
                if bearer is None:
                    return self._answer(401, {"message": "invalid or expired token"})
                try:
                    self._read(parts.path, query, bearer)
                except (KeyError, ValueError) as exc:
                    self._answer(400, {"message": f"bad query: {exc}"})

        def _read(self, path: str, query: dict[str, str], bearer: str) -> None:
            if path.endswith("/team/changes"):
                cursor, limit = query.get("cursor", ""), int(query.get("limit", "500"))
                if cursor and (not cursor.isdigit() or int(cursor) > store.clock):
                    return self._answer(410, {"message": "unknown cursor; start again"})
                page = changes(store, cursor, _day(query["since"]), max(1, min(limit, 1000)))
                planted, state["plant"] = state["plant"], {}
                for name, items in planted.items():
                    page[name].extend(items)
                return self._answer(200, page, planted=bool(planted))
            if path.endswith("/team/lookup"):
                number, ref = query.get("number", ""), query.get("ref", "")
                if not number_key(number) and not ref_key(ref):
                    return self._answer(400, {"message": "give a number or a ref"})
                return self._answer(200, lookup(store, number, ref))
            if path.endswith("/team/report"):
                if bearer not in state["leads"]:
                    return self._answer(403, {"message": "only a team lead may read the report"})
                start, end, today = (_day(query[k]) for k in ("from", "to", "today"))
                return self._answer(200, report(store, start, end, today))
            self._answer(404, {"message": "no such path"})

    try:
        with _tls_server(Handler, cert, key) as port:
            yield f"https://127.0.0.1:{port}/api/records", state, cert
            stopping.set()
    finally:
        stopping.set()
        shutil.rmtree(folder, ignore_errors=True)
