"""PostgreSQL target: upsert by record id, only where the incoming version is
newer, one transaction per batch (all of a batch is confirmed, or none). The
server side is installers/server/postgresql.sql (schema `calmline`, row-level
security per agent). Authentication is the connection's own: a password from
the OS keyring, or Kerberos/GSSAPI, SSPI or client certificates when the URL
asks for them; never a password in the URL or in settings."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from calmline.core.sync_docs import Confirmed, SyncDoc
from calmline.sync.base import BatchResult, TargetError
from calmline.sync.credentials import secret_for

log = logging.getLogger(__name__)
TABLES = {
    "shift": "shifts",
    "incident": "incidents",
    "note": "notes",
    "step_event": "step_events",
    "followup": "followups",
}
NO_PASSWORD_NEEDED = ("gssencmode", "krbsrvname", "sslcert", "sslkey")


class PostgresTarget:
    def __init__(self, url: str) -> None:
        import psycopg.conninfo

        try:
            self.info: dict[str, Any] = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            shown = re.sub(r"//([^/@:]*):[^@/]*@", r"//\1:***@", url)
            raise TargetError(
                f"sync target {shown!r} is not a valid PostgreSQL URL ({_first_line(exc)})"
            ) from exc
        if "password" in self.info:
            raise TargetError(
                f"{self.name}: the URL holds a password; remove it and store the password in "
                f"the OS keyring instead: `calmline sync --set-secret --target URL`"
            )
        self.url = url
        self._conn: Any = None

    @property
    def name(self) -> str:
        """The URL without secrets: user@host:port/database."""
        i = self.info
        host = i.get("host") or "localhost"
        port = f":{i['port']}" if i.get("port") else ""
        user = f"{i['user']}@" if i.get("user") else ""
        return f"postgresql://{user}{host}{port}/{i.get('dbname', '')}"

    def _connect(self) -> Any:
        import psycopg

        if self._conn is not None and not self._conn.closed:
            return self._conn
        extra: dict[str, Any] = {"connect_timeout": 10}
        if not any(k in self.info for k in NO_PASSWORD_NEEDED):
            password = secret_for(self.name)
            if password:
                extra["password"] = password
        try:
            self._conn = psycopg.connect(self.url, **extra)
        except psycopg.OperationalError as exc:
            raise TargetError(f"{self.name}: cannot connect ({_first_line(exc)})") from exc
        return self._conn

    def send(self, docs: Sequence[SyncDoc]) -> BatchResult:
        import psycopg
        from psycopg.types.json import Jsonb

        conn = self._connect()
        by_type: dict[str, list[SyncDoc]] = {}
        for doc in docs:
            by_type.setdefault(doc.record_type, []).append(doc)
        try:
            with conn.transaction(), conn.cursor() as cur:
                for record_type, group in by_type.items():
                    table = TABLES[record_type]
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
        return BatchResult(
            confirmed=[Confirmed(d.record_type, d.record_id, d.version) for d in docs]
        )

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
