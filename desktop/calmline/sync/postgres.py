"""PostgreSQL target: upsert by record id, only where the incoming version is
newer, one transaction per batch. The server side is installers/server/postgresql.sql
(schema `calmline`, row-level security per agent). Authentication is the
connection's own: a password from the OS keyring, or Kerberos/GSSAPI, SSPI or
client certificates when the URL asks for them; never a password in the URL or
in settings.

TLS: for any server that is not this computer, Calmline asks for
sslmode=verify-full (encrypted, and the certificate checked against the CA and
the host name) unless the URL sets sslmode itself: IT's explicit choice wins.
The CA is the URL's sslrootcert, PGSSLROOTCERT, libpq's own root.crt, or else
the OS trust store's bundle.

A record the server refuses for good (row-level security, a constraint, a value
it cannot take) is set aside with the server's reason and the rest of the batch
still lands: the batch runs in one transaction with a savepoint, and only when
that fails for such a reason is it replayed a record at a time, each in its
own savepoint. Any other error (connection, missing schema, no privilege at
all) fails the batch: nothing of it is confirmed."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from calmline.core.redact import MASK, redact_target
from calmline.core.sync_docs import Confirmed, SyncDoc
from calmline.core.team import TeamChanges
from calmline.core.team_report import TeamReport
from calmline.sync.base import BatchResult, FolderIndex, TargetError, refused
from calmline.sync.credentials import secret_for
from calmline.sync.postgres_tls import is_this_computer, tls_options, tls_required

log = logging.getLogger(__name__)
TABLES = {
    "shift": "shifts",
    "incident": "incidents",
    "note": "notes",
    "step_event": "step_events",
    "followup": "followups",
}
# Schema version 2's (the local tables of these are named otherwise).
TEAM_TABLES = {
    "marker": "markers",
    "promise_kept": "promises_kept",
    "marker_decision": "marker_decisions",
}
NO_PASSWORD_NEEDED = ("gssencmode", "krbsrvname", "sslcert", "sslkey")
__all__ = ["PostgresTarget", "is_this_computer", "tls_options", "tls_required"]


def _about_the_record(exc: BaseException) -> bool:
    """A refusal that is about this record (so it is set aside), not about the
    connection, the schema or the login as a whole."""
    import psycopg

    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return "row-level security" in str(exc)
    return isinstance(exc, psycopg.IntegrityError | psycopg.DataError)


class PostgresTarget:
    def __init__(self, url: str, env: Mapping[str, str] | None = None) -> None:
        import psycopg.conninfo

        try:
            self.info: dict[str, Any] = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            raise TargetError(
                f"sync target {url!r} is not a valid PostgreSQL URL ({_parse_error(url, exc)})"
            ) from exc
        if "password" in self.info:
            raise TargetError(
                f"{self.name}: the URL holds a password; remove it and store the password in "
                f"the OS keyring instead: `calmline sync --set-secret --target URL`"
            )
        self.url = url
        self.tls = tls_options(self.info, os.environ if env is None else env)
        self._conn: Any = None
        self._lead: bool | None = None  # the login is a member of calmline_lead (asked once)
        self._live: Any = None  # postgres_read.LiveLookup, made at the first lookup

    @property
    def name(self) -> str:
        """The URL without secrets: user@host:port/database."""
        i = self.info
        host = i.get("host") or "localhost"
        port = f":{i['port']}" if i.get("port") else ""
        user = f"{i['user']}@" if i.get("user") else ""
        return redact_target(f"postgresql://{user}{host}{port}/{i.get('dbname', '')}")

    def _connect(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = self._open(10)
            self._lead = None
        return self._conn

    def _open(self, timeout_s: int, **options: Any) -> Any:
        """A new connection (libpq's connect_timeout ``timeout_s``)."""
        import psycopg

        extra: dict[str, Any] = {"connect_timeout": timeout_s, **self.tls, **options}
        if not any(k in self.info for k in NO_PASSWORD_NEEDED):
            password = secret_for(self.name)
            if password:
                extra["password"] = password
        try:
            return psycopg.connect(self.url, **extra)
        except psycopg.OperationalError as exc:
            raise TargetError(self._cannot_connect(exc)) from exc

    def _cannot_connect(self, exc: BaseException) -> str:
        text = str(exc)
        if "does not support SSL" in text:
            return (
                f"{self.name}: the server does not offer TLS, and Calmline sends records to a "
                "server that is not this computer only over verified TLS — ask IT to turn on "
                "ssl on the server (or, on a network IT trusts, to set sslmode in sync.target)"
            )
        if "certificate verify failed" in text or "root certificate file" in text:
            return (
                f"{self.name}: its TLS certificate is not trusted here ({_reason(exc)}); ask IT "
                "for the CA certificate and add sslrootcert=<file> to sync.target"
            )
        if "does not match host name" in text:
            return (
                f"{self.name}: its TLS certificate is for another host name ({_reason(exc)}); "
                "use the name the certificate holds in sync.target"
            )
        return f"{self.name}: cannot connect ({_first_line(exc)})"

    def send(self, docs: Sequence[SyncDoc]) -> BatchResult:
        import psycopg

        from calmline.sync.postgres_report import is_lead, leads_only

        conn = self._connect()
        try:
            if any(d.record_type == "marker_decision" for d in docs) and not is_lead(self):
                return leads_only(self, docs)
            with conn.transaction():
                try:
                    with conn.transaction():  # a savepoint: the whole batch at once
                        self._upsert(conn, docs)
                    return BatchResult(confirmed=[_confirmed(d) for d in docs])
                except psycopg.Error as exc:
                    if not _about_the_record(exc):
                        raise
                return self._one_by_one(conn, docs)
        except psycopg.OperationalError as exc:
            self.close()
            return BatchResult(failure=f"{self.name}: connection lost ({_first_line(exc)})")
        except psycopg.errors.InsufficientPrivilege as exc:
            return BatchResult(
                failure=f"{self.name}: the server refused ({_first_line(exc)}); the login must "
                "be the agent id and a member of calmline_agent (installers/server/postgresql.sql)"
            )
        except psycopg.errors.UndefinedTable as exc:
            return BatchResult(
                failure=f"{self.name}: {_first_line(exc)}; run installers/server/postgresql.sql "
                "on that database first"
            )
        except psycopg.Error as exc:
            return BatchResult(failure=f"{self.name}: {_first_line(exc)}")

    def changes(
        self, cursor: str, since: datetime, index: FolderIndex | None = None
    ) -> TeamChanges:
        from calmline.sync.postgres_read import changes

        return changes(self, cursor, since)

    def lookup(self, number: str, ref: str, budget_s: float) -> TeamChanges:
        from calmline.sync.postgres_read import LiveLookup

        if self._live is None:
            self._live = LiveLookup(self)
        return self._live.lookup(number, ref, budget_s)  # type: ignore[no-any-return]

    def report(self, start: date, end: date, today: date) -> TeamReport:
        from calmline.sync.postgres_report import report

        return report(self, start, end, today)

    def _one_by_one(self, conn: Any, docs: Sequence[SyncDoc]) -> BatchResult:
        """Inside the batch's transaction: each record in its own savepoint; the
        ones refused for a reason about them are set aside."""
        import psycopg

        result = BatchResult()
        for doc in docs:
            try:
                with conn.transaction():
                    self._upsert(conn, [doc])
            except psycopg.Error as exc:
                if not _about_the_record(exc):
                    raise
                result.set_aside.append(refused(doc, self._refusal(exc, doc)))
            else:
                result.confirmed.append(_confirmed(doc))
        return result

    def _refusal(self, exc: BaseException, doc: SyncDoc) -> str:
        login = self._conn.info.user if self._conn is not None else self.info.get("user", "")
        if "row-level security" in str(exc) and login and doc.agent_id != login:
            return (
                f"refused by the server's row-level security: the login {login} may write "
                f"only its own records, and this one belongs to agent {doc.agent_id}"
            )
        return f"refused by the server: {_reason(exc)}"

    @staticmethod
    def _upsert(conn: Any, docs: Sequence[SyncDoc]) -> None:
        from psycopg.types.json import Jsonb

        by_type: dict[str, list[SyncDoc]] = {}
        for doc in docs:
            by_type.setdefault(doc.record_type, []).append(doc)
        with conn.cursor() as cur:
            for record_type, group in by_type.items():
                table = TABLES.get(record_type) or TEAM_TABLES[record_type]
                cur.executemany(
                    f"INSERT INTO calmline.{table} (id, version, agent_id, shift_day, record) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
                    "version = EXCLUDED.version, agent_id = EXCLUDED.agent_id, "
                    "shift_day = EXCLUDED.shift_day, record = EXCLUDED.record, "
                    f"received_at = now() WHERE calmline.{table}.version < EXCLUDED.version",
                    [
                        (d.record_id, d.version, d.agent_id, d.shift_day, Jsonb(d.record))
                        for d in group
                    ],
                )

    def close(self) -> None:
        if self._live is not None:
            self._live.close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _confirmed(doc: SyncDoc) -> Confirmed:
    return Confirmed(doc.record_type, doc.record_id, doc.version)


def _parse_error(url: str, exc: BaseException) -> str:
    """libpq's words on a URL it cannot read, keeping only what the redacted
    URL shows too: it quotes the parts it stumbled on, which may be a password."""
    shown = redact_target(url)
    return re.sub(
        r'"([^"]*)"',
        lambda m: m[0] if m[1] and m[1] in shown and MASK not in m[1] else '"…"',
        _first_line(exc),
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _reason(exc: BaseException) -> str:
    """libpq's own words, without its "connection to server at ... failed:" lead."""
    line = _first_line(exc)
    return line.split(" failed: ", 1)[-1] if "connection to server" in line else line
