"""HTTPS target: POST batches of at most 100 documents as JSON, with an
Idempotency-Key (the same batch always has the same key) and a bearer token
from the OS keyring; TLS checked against the OS trust store (truststore).

2xx: accepted. 409/412: the server holds a newer version (counts as synced).
Other 4xx: stop and show the server's own message. 5xx, timeouts and lost
connections: retried with backoff (stamina), then left pending."""

from __future__ import annotations

import functools
import hashlib
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from calmline.core.sync_docs import Confirmed, SyncDoc
from calmline.sync.base import BatchResult, TargetError
from calmline.sync.credentials import secret_for

ATTEMPTS = 4
TIMEOUT_S = 15.0


class _Retry(Exception):
    """A failure worth trying again (5xx, timeout, connection lost)."""


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
                return str(data[key])
    return text.splitlines()[0][:300] if text else "(no message)"


class HttpsTarget:
    def __init__(self, url: str, context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url)
        if parts.password or parts.username:
            raise TargetError(
                f"sync target https://{parts.hostname}{parts.path}: the URL holds a user or "
                "password; remove it and store the token in the OS keyring: "
                "`calmline sync --set-secret --target URL`"
            )
        if not parts.hostname:
            raise TargetError(
                f"sync target {url!r}: no host name; e.g. https://sync.example.com/api"
            )
        self.url = url
        self.context = context or _os_trust_store()

    @functools.cached_property
    def token(self) -> str | None:
        """Read from the keyring at the first send only: a run with nothing to
        send (or `--set-secret`) never touches the keyring."""
        return secret_for(self.name)

    @property
    def name(self) -> str:
        return self.url.split("?", 1)[0]

    def _post(self, body: bytes, key: str) -> BatchResult | None:
        """One attempt: a result, or None when the batch was accepted."""
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S, context=self.context):
                return None
        except urllib.error.HTTPError as exc:
            message = server_message(exc.read())
            if exc.code in (409, 412):
                return None  # a newer version is there: synced as far as we are concerned
            if exc.code >= 500:
                raise _Retry(f"server error {exc.code}: {message}") from exc
            return BatchResult(failure=f"{self.name}: refused ({exc.code}): {message}")
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ssl.SSLCertVerificationError):
                return BatchResult(
                    failure=f"{self.name}: its TLS certificate is not trusted here "
                    f"({exc.reason.verify_message}); ask IT to check the certificate"
                )
            raise _Retry(f"cannot reach it ({exc.reason})") from exc
        except (TimeoutError, ConnectionError) as exc:
            raise _Retry(f"no answer ({exc})") from exc

    def send(self, docs: Sequence[SyncDoc]) -> BatchResult:
        import stamina

        body = json.dumps({"records": [d.document() for d in docs]}).encode()
        key = idempotency_key(docs)
        try:
            for attempt in stamina.retry_context(on=_Retry, attempts=ATTEMPTS, wait_max=10.0):
                with attempt:
                    refused = self._post(body, key)
        except _Retry as exc:
            return BatchResult(failure=f"{self.name}: {exc} (tried {ATTEMPTS} times)")
        if refused is not None:
            return refused
        return BatchResult(
            confirmed=[Confirmed(d.record_type, d.record_id, d.version) for d in docs]
        )

    def close(self) -> None:
        pass


def _os_trust_store() -> ssl.SSLContext:
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
