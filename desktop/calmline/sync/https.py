"""HTTPS target: POST batches of at most 100 documents as JSON, with an
Idempotency-Key (the same batch always has the same key) and a bearer token
from the OS keyring; TLS checked against the OS trust store (truststore).

The whole contract, both directions, is installers/server/team-api.openapi.yaml;
the read side (TeamReader: team/changes, team/lookup, team/report) is
sync/https_read.py. A record counts as sent only when the server's answer to
its own POST says so (docs/deploying.md, installers/server/sync-answer.schema.json):

    2xx (or 409/412), application/json:
    {"records": [{"type": "incident", "id": "…", "version": 3,
                  "status": "stored" | "held" | "rejected", "reason": "…"}, …]}

"stored" (this version is kept now) and "held" (this version or a newer one was
already there) confirm the record when they name its type and id and a version
no lower than the one sent; "rejected" sets it aside with the server's reason
(refused for good: the records behind it still go). Any other answer confirms
nothing: a 2xx that is not that JSON (a captive portal's login page, an empty
body, other ids) stops the run and keeps the batch pending, as does a 409/412
without it. Redirects are never followed, so the token never goes to another
address: a 3xx is a failure naming its status and the host it points to. Another
4xx may set records aside by the same list ("rejected" only); without it, or
for 401/403/407/408/429, the run stops with the server's own message. 5xx,
timeouts and lost connections: retried with backoff (stamina), then left pending."""

from __future__ import annotations

import functools
import hashlib
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from calmline.core.redact import redact_target
from calmline.core.sync_docs import Confirmed, SyncDoc
from calmline.core.team import TeamChanges
from calmline.core.team_report import TeamReport
from calmline.sync import https_read
from calmline.sync.base import BatchResult, FolderIndex, TargetError, refused
from calmline.sync.credentials import secret_for

ATTEMPTS = 4
TIMEOUT_S = 15.0
MAX_ANSWER_BYTES = 4 * 1024 * 1024  # a batch's answer is a few KiB; more is not ours
CONFIRMING = ("stored", "held")
# Answers about the login or the rate, never about one record: the run stops.
NEVER_ABOUT_A_RECORD = (401, 403, 407, 408, 429)


class _Retry(Exception):
    """A failure worth trying again (5xx, timeout, connection lost)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx comes back as an HTTPError instead of being followed (with the token)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def idempotency_key(docs: Sequence[SyncDoc]) -> str:
    """The same records at the same versions always give the same key."""
    text = "\n".join(f"{d.record_type}:{d.record_id}:{d.version}" for d in docs)
    return hashlib.sha256(text.encode()).hexdigest()


def server_message(body: bytes) -> str:
    """The server's own words: a JSON "message"/"error"/"detail", else the text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("message", "error", "detail"):
            if isinstance(data.get(key), str):
                return _one_line(str(data[key]))
    return _one_line(text.splitlines()[0]) if text else "(no message)"


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(redact_target(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def read_answer(
    docs: Sequence[SyncDoc], body: bytes, content_type: str, confirming: Sequence[str] = CONFIRMING
) -> BatchResult | str:
    """What the server's answer says of each record of ``docs``; a string when
    it is not Calmline's answer at all (then nothing is confirmed). Statuses
    outside ``confirming`` and "rejected" are ignored."""
    kind = content_type.split(";", 1)[0].strip().lower() or "no content type"
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        data = None
    results = data.get("records") if isinstance(data, dict) else None
    if not isinstance(results, list):
        shown = "an empty body" if not body.strip() else f'{kind} without a "records" list'
        return f"its answer ({shown}) does not confirm any record"
    sent = {d.key: d for d in docs}
    answer = BatchResult()
    seen: set[tuple[str, str]] = set()
    for item in results:
        if not isinstance(item, dict):
            continue
        key = (item.get("type"), item.get("id"))
        doc = sent.get(key)  # type: ignore[arg-type]
        version, status = item.get("version"), item.get("status")
        if doc is None or doc.key in seen or not isinstance(version, int):
            continue  # not a record of this batch: ignored
        if status in confirming and version >= doc.version:
            answer.confirmed.append(Confirmed(doc.record_type, doc.record_id, doc.version))
        elif status == "rejected" and version == doc.version:
            reason = item.get("reason")
            answer.set_aside.append(
                refused(doc, f"refused by the server: {reason if isinstance(reason, str) else ''}")
            )
        else:
            continue
        seen.add(doc.key)
    if len(seen) < len(sent):
        answer.failure = (
            f"its answer confirms {len(answer.confirmed)} and refuses {len(answer.set_aside)} "
            f"of the {len(sent)} records sent; the other {len(sent) - len(seen)} stay pending"
        )
    return answer


class HttpsTarget:
    def __init__(self, url: str, context: ssl.SSLContext | None = None) -> None:
        try:
            parts = urlsplit(url)
            host, _ = parts.hostname, parts.port
        except ValueError as exc:  # its words may quote the URL's parts: not shown
            raise TargetError(
                f"sync target {url!r} is not a valid URL (its host or port cannot be read); "
                "e.g. https://sync.example.com/api"
            ) from exc
        if "@" in parts.netloc or "@" in parts.path:  # a password may hold a "/"
            raise TargetError(
                f"sync target https://{host}{parts.path}: the URL holds a user or "
                "password; remove it and store the token in the OS keyring: "
                "`calmline sync --set-secret --target URL`"
            )
        if not host:
            raise TargetError(
                f"sync target {url!r}: no host name; e.g. https://sync.example.com/api"
            )
        self.url = url
        self.host = host
        self.context = context or _os_trust_store()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self.context), _NoRedirects()
        )

    @functools.cached_property
    def token(self) -> str | None:
        """Read from the keyring at the first send only: a run with nothing to
        send (or `--set-secret`) never touches the keyring."""
        return secret_for(self.name)

    @property
    def name(self) -> str:
        return redact_target(self.url.split("?", 1)[0])

    def _post(self, docs: Sequence[SyncDoc], body: bytes, key: str) -> BatchResult:
        """One attempt: what the answer says of each record, or why nothing counts."""
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": key,
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self.opener.open(request, timeout=TIMEOUT_S) as response:
                answer = response.read(MAX_ANSWER_BYTES + 1)
                status, content_type = response.status, response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            return self._refusal(docs, exc)
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ssl.SSLCertVerificationError):
                return BatchResult(
                    failure=f"{self.name}: its TLS certificate is not trusted here "
                    f"({exc.reason.verify_message}); ask IT to check the certificate"
                )
            raise _Retry(f"cannot reach it ({exc.reason})") from exc
        except (TimeoutError, ConnectionError) as exc:
            raise _Retry(f"no answer ({exc})") from exc
        except ValueError:  # http.client.InvalidURL: a URL its parser refuses
            return BatchResult(failure=f"{self.name}: not a URL that can be sent to")
        if len(answer) > MAX_ANSWER_BYTES:
            return BatchResult(failure=f"{self.name}: its answer is too large to be Calmline's")
        read = read_answer(docs, answer, content_type)
        if isinstance(read, str):
            return BatchResult(
                failure=f"{self.name}: answered {status}, but {read} — nothing of this batch "
                "counts as sent (is a login page or a proxy in the way?)"
            )
        if read.failure:
            read.failure = f"{self.name}: {read.failure}"
        return read

    def _refusal(self, docs: Sequence[SyncDoc], exc: urllib.error.HTTPError) -> BatchResult:
        body = exc.read(MAX_ANSWER_BYTES + 1)
        if 300 <= exc.code < 400:
            location = exc.headers.get("Location", "")
            try:
                where = urlsplit(urljoin(self.url, location)).hostname or "(no address)"
            except ValueError:
                where = "(an address that is not a URL)"
            return BatchResult(
                failure=f"{self.name}: redirected ({exc.code}) to {where}; Calmline never "
                "follows a redirect (the token would go with it) — set sync.target to the "
                "address the records should really go to"
            )
        if exc.code >= 500:
            raise _Retry(f"server error {exc.code}: {server_message(body)}") from exc
        refusal = BatchResult(failure=f"{self.name}: refused ({exc.code}): {server_message(body)}")
        if exc.code in NEVER_ABOUT_A_RECORD or not 400 <= exc.code < 500:
            return refusal
        # 409/412: "a newer version is there", said per record; any other refusal
        # can only set records aside
        confirming = CONFIRMING if exc.code in (409, 412) else ()
        read = read_answer(docs, body, exc.headers.get("Content-Type", ""), confirming)
        if isinstance(read, str):  # not said of any record: the batch as a whole
            return refusal
        if read.failure:
            read.failure = f"{self.name}: {read.failure}"
        return read

    def send(self, docs: Sequence[SyncDoc]) -> BatchResult:
        import stamina

        body = json.dumps({"records": [d.document() for d in docs]}).encode()
        key = idempotency_key(docs)
        try:
            for attempt in stamina.retry_context(on=_Retry, attempts=ATTEMPTS, wait_max=10.0):
                with attempt:
                    return self._post(docs, body, key)
        except _Retry as exc:
            return BatchResult(failure=f"{self.name}: {exc} (tried {ATTEMPTS} times)")
        raise AssertionError("unreachable: stamina either returns or raises")

    def changes(
        self, cursor: str, since: datetime, index: FolderIndex | None = None
    ) -> TeamChanges:
        """One page of team/changes after ``cursor`` (the caller loops on ``more``)."""
        return https_read.changes(self, cursor, since)

    def lookup(self, number: str, ref: str, budget_s: float) -> TeamChanges:
        return https_read.lookup(self, number, ref, budget_s)

    def report(self, start: date, end: date, today: date) -> TeamReport:
        return https_read.report(self, start, end, today)

    def close(self) -> None:
        pass


def _os_trust_store() -> ssl.SSLContext:
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
