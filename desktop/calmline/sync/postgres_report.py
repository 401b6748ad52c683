"""The team report from the PostgreSQL team store (`calmline report --team`):
one statement the database answers with GROUP BYs over the period's
incidents, read with the lead's own role (the lead_reads_all policy), so a
million incidents never travel to Python; only the report's rows do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from calmline.core.serialize import parse_iso
from calmline.core.sync_docs import SyncDoc
from calmline.core.team import CautionMarker
from calmline.core.team_report import REPEAT_ROWS, AgentRow, RepeatCaller, TeamReport
from calmline.sync.base import BatchResult, TargetError, refused
from calmline.sync.team_docs import ForeignDocument, value_of

if TYPE_CHECKING:
    from calmline.sync.postgres import PostgresTarget

NOT_LEAD = (
    "the login {login} is not a team lead (a member of calmline_lead); the team report "
    'reads every agent\'s incidents, so ask IT to run: GRANT calmline_lead TO "{login}"'
)
LEAD_ONLY = (
    "refused: only a team lead (a member of calmline_lead) may approve, reject or renew a "
    "marker; the login {login} is not one"
)
IS_LEAD = "SELECT current_user, pg_has_role(current_user, 'calmline_lead', 'MEMBER')"

# The period's incidents, once (MATERIALIZED), then every section from them.
# Each row: (section, agent or caller, figures as jsonb).
REPORT_SQL = """
WITH p AS MATERIALIZED (
    SELECT i.id, i.agent_id, i.record->>'resolution' AS resolution,
           (i.record->>'started_at')::timestamptz AS started,
           CASE WHEN i.record->>'status' = 'final' THEN extract(epoch FROM
               (i.record->>'finalised_at')::timestamptz - (i.record->>'ended_at')::timestamptz)
           END AS after_s,
           i.record->'voice' AS voice,
           coalesce(i.record->>'caller_number', '') AS number,
           coalesce(i.record->>'customer_ref', '') AS ref
      FROM calmline.incidents i
     WHERE i.shift_day BETWEEN %(first)s::date - 1 AND %(last)s::date + 1
       AND (i.record->>'started_at')::timestamptz >= %(start)s
       AND (i.record->>'started_at')::timestamptz < %(end)s
), agents AS (
    SELECT 'agent' AS section, p.agent_id AS name, jsonb_build_object(
        'calls', count(*),
        'after_call_s', avg(p.after_s),
        'voiced', count(*) FILTER (WHERE jsonb_typeof(p.voice) = 'object'),
        'talk_share', avg((p.voice->>'talk_share')::float8)
                      FILTER (WHERE jsonb_typeof(p.voice) = 'object'),
        'raised', count(*) FILTER (WHERE jsonb_typeof(p.voice->'cue_counts') = 'array'
            AND EXISTS (SELECT 1 FROM jsonb_array_elements(p.voice->'cue_counts') c
                         WHERE c->>0 = 'raised_voice' AND (c->>1)::int > 0))) AS data
      FROM p GROUP BY p.agent_id
), outcomes AS (
    SELECT 'outcome', p.agent_id, jsonb_build_object(
        'resolution', coalesce(p.resolution, 'none'), 'calls', count(*))
      FROM p GROUP BY p.agent_id, coalesce(p.resolution, 'none')
), overdue AS (
    SELECT 'overdue', f.agent_id, jsonb_build_object('promises', count(*))
      FROM calmline.followups f JOIN p ON p.id::text = f.record->>'incident_id'
     WHERE (f.record->>'due')::date < %(today)s AND f.record->>'done_at' IS NULL
       AND NOT EXISTS (SELECT 1 FROM calmline.promises_kept k
                        WHERE k.record->>'followup_id' = f.id::text)
     GROUP BY f.agent_id
), pairs AS MATERIALIZED (  -- each distinct way a caller was written, keyed once
    SELECT d.number, d.ref, d.first_at,
           coalesce(nullif(calmline.number_key(d.number), ''),
                    'ref:' || nullif(calmline.ref_key(d.ref), '')) AS caller
      FROM (SELECT p.number, p.ref, min(p.started) AS first_at FROM p
             WHERE p.number <> '' OR p.ref <> '' GROUP BY p.number, p.ref) d
), firsts AS (
    SELECT DISTINCT ON (k.caller) k.caller, coalesce(nullif(k.number, ''), k.ref) AS written
      FROM pairs k WHERE k.caller IS NOT NULL ORDER BY k.caller, k.first_at
), per_agent AS (
    SELECT k.caller, p.agent_id, count(*) AS calls, max(p.started) AS last_at
      FROM p JOIN pairs k ON k.number = p.number AND k.ref = p.ref
     WHERE k.caller IS NOT NULL GROUP BY k.caller, p.agent_id
), repeats AS (
    SELECT 'repeat', a.caller, jsonb_build_object(
        'caller', f.written, 'calls', sum(a.calls), 'agents', count(*),
        'last_at', max(a.last_at), 'total', count(*) OVER ())
      FROM per_agent a JOIN firsts f ON f.caller = a.caller
     GROUP BY a.caller, f.written HAVING sum(a.calls) >= 2
     ORDER BY sum(a.calls) DESC, max(a.last_at) DESC, a.caller LIMIT %(rows)s
), waiting AS (
    SELECT 'awaiting', m.id::text, calmline.team_marker(m)
      FROM calmline.markers m
     WHERE NOT EXISTS (SELECT 1 FROM calmline.marker_decisions d
                        WHERE d.record->>'marker_id' = m.id::text)
     ORDER BY m.record->>'proposed_at', m.id
)
SELECT * FROM agents UNION ALL SELECT * FROM outcomes UNION ALL SELECT * FROM overdue
UNION ALL (SELECT * FROM repeats) UNION ALL (SELECT * FROM waiting)
"""


def login_is_lead(conn: Any) -> tuple[str, bool]:
    """(the login, whether it is a member of calmline_lead)."""
    login, lead = conn.execute(IS_LEAD).fetchone()
    return str(login), bool(lead)


def is_lead(target: PostgresTarget) -> bool:
    """Whether the target's login is a team lead (asked once a connection)."""
    conn = target._connect()
    if target._lead is None:
        with conn.transaction():
            target._lead = login_is_lead(conn)[1]
    return target._lead


def leads_only(target: PostgresTarget, docs: Sequence[SyncDoc]) -> BatchResult:
    """For a login that is not a lead: its marker decisions set aside, each
    with the reason, and the rest of the batch sent."""
    rest = [d for d in docs if d.record_type != "marker_decision"]
    result = target.send(rest) if rest else BatchResult()
    login = target._conn.info.user if target._conn is not None else target.info.get("user", "")
    result.set_aside += [
        refused(d, LEAD_ONLY.format(login=login))
        for d in docs
        if d.record_type == "marker_decision"
    ]
    return result


def report(target: PostgresTarget, start: date, end: date, today: date) -> TeamReport:
    """The team report for calls started on the local days ``start``..``end``."""
    import psycopg

    from calmline.sync.postgres_read import read_error

    tz = datetime.now().astimezone().tzinfo
    conn = target._connect()
    try:
        with conn.transaction():
            login, lead = login_is_lead(conn)
            if not lead:
                raise TargetError(f"{target.name}: {NOT_LEAD.format(login=login)}")
            # One big statement: room to hash in memory, and no JIT compiling for it.
            conn.execute("SET LOCAL work_mem = '64MB'")
            conn.execute("SET LOCAL jit = off")
            rows = conn.execute(
                REPORT_SQL,
                {
                    "first": start,
                    "last": end,
                    "start": datetime.combine(start, time(), tz),
                    "end": datetime.combine(end + timedelta(days=1), time(), tz),
                    "today": today,
                    "rows": REPEAT_ROWS,
                },
            ).fetchall()
    except psycopg.Error as exc:
        raise read_error(target, exc) from exc
    return _report(target.name, start, end, today, rows)


def _report(
    store: str, start: date, end: date, today: date, rows: list[tuple[str, str, Any]]
) -> TeamReport:
    figures: dict[str, dict[str, Any]] = {}
    outcomes: dict[str, list[tuple[str, int]]] = {}
    overdue: dict[str, int] = {}
    repeats: list[RepeatCaller] = []
    waiting: list[CautionMarker] = []
    total = 0
    for section, name, data in rows:
        if section == "agent":
            figures[name] = data
        elif section == "outcome":
            outcomes.setdefault(name, []).append((str(data["resolution"]), int(data["calls"])))
        elif section == "overdue":
            overdue[name] = int(data["promises"])
        elif section == "repeat":
            total = int(data["total"])
            repeats.append(
                RepeatCaller(
                    caller=str(data["caller"] or ""),
                    calls=int(data["calls"]),
                    agents=int(data["agents"]),
                    last_at=parse_iso(str(data["last_at"])),
                )
            )
        elif section == "awaiting":
            try:
                waiting.append(value_of(CautionMarker, data))
            except ForeignDocument:
                continue  # a marker the store holds but Calmline cannot read: not shown
    agents = []
    for agent in sorted(figures):
        f = figures[agent]
        voiced = int(f["voiced"])
        agents.append(
            AgentRow(
                agent_id=agent,
                calls=int(f["calls"]),
                outcomes=tuple(sorted(outcomes.get(agent, []), key=lambda o: (-o[1], o[0]))),
                after_call_s=None if f["after_call_s"] is None else float(f["after_call_s"]),
                overdue_promises=overdue.get(agent, 0),
                talk_share=float(f["talk_share"])
                if voiced and f["talk_share"] is not None
                else None,
                raised_voice_calls=int(f["raised"]) if voiced else None,
            )
        )
    return TeamReport(
        start=start,
        end=end,
        today=today,
        store=store,
        agents=tuple(agents),
        repeat_callers=tuple(repeats),
        awaiting_review=tuple(waiting),
        repeat_callers_total=total,
    )
