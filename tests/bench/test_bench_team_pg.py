"""The PostgreSQL team store with 1,000,000 incidents (50,000 callers, some far
more often than others; 40 agents; 180 days; a follow-up on one call in ten,
markers and decisions). Targets: the live lookup at call start p95 < 30 ms
(PostgresTarget.lookup as the window calls it, answer read into team values);
the team report over all 1,000,000 incidents < 10 s (PostgresTarget.report as
`calmline report --team` calls it). Seeded in SQL (generate_series), a minute
or two."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from calmline.sync.postgres import PostgresTarget
from tests.servers import calmline_postgresql

INCIDENTS = 1_000_000
CALLERS = 50_000
AGENTS = 40
DAYS = 180
FIRST = date(2026, 6, 1)
pytestmark = pytest.mark.timeout(900)  # the seeding is most of it

SEED = f"""
SELECT setseed(0.2);
INSERT INTO calmline.incidents (id, version, agent_id, shift_day, record)
SELECT s.id, 1, s.agent, (s.start AT TIME ZONE 'UTC')::date, jsonb_build_object(
    'id', s.id, 'version', 1, 'created_at', s.t0, 'updated_at', s.t0,
    'shift_id', s.id, 'started_at', s.t0, 'ended_at', s.t1, 'playbook_id', 'billing',
    'caller_number', CASE WHEN s.caller % 5 = 0 THEN ''
                          ELSE '+44 20 ' || lpad((s.caller / 10000)::text, 4, '0') || ' '
                               || lpad((s.caller % 10000)::text, 4, '0') END,
    'customer_ref', CASE WHEN s.caller % 5 = 0 THEN 'AC ' || s.caller ELSE '' END,
    'category', 'billing', 'summary', E'- charged twice\\n- refund agreed',
    'facts', 'card ends 4242', 'apology_kind', 'direct',
    'resolution', (ARRAY['none', 'total', 'pending', 'escalated',
                         'declined-with-reason'])[1 + s.n % 5],
    'agreed_resolution', 'refund in 5 days', 'next_steps', '[]'::jsonb,
    'compensation_kind', '', 'compensation_amount', '', 'status',
    CASE WHEN s.n % 10 = 0 THEN 'draft' ELSE 'final' END,
    'finalised_at', CASE WHEN s.n % 10 = 0 THEN NULL ELSE s.t2 END)
FROM (
    SELECT n, id, agent, start, caller,
           to_char(start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') AS t0,
           to_char((start + interval '4 min') AT TIME ZONE 'UTC',
                   'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') AS t1,
           to_char((start + interval '4 min' + (n % 300) * interval '1 s') AT TIME ZONE 'UTC',
                   'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') AS t2
      FROM (SELECT n, gen_random_uuid() AS id, 'agent-' || (n % {AGENTS}) AS agent,
                   timestamptz '{FIRST}T08:00:00Z' + (n % {DAYS}) * interval '1 day'
                       + ((n::bigint * 7919) % 36000) * interval '1 s' AS start,
                   floor({CALLERS} * power(random(), 2))::int AS caller
              FROM generate_series(1, {INCIDENTS}) n) g
) s;
INSERT INTO calmline.followups (id, version, agent_id, shift_day, record)
SELECT f.id, 1, i.agent_id, i.shift_day, jsonb_build_object(
    'id', f.id, 'version', 1, 'created_at', i.record->'started_at',
    'updated_at', i.record->'started_at', 'incident_id', i.id, 'what', 'call back',
    'who', 'billing', 'due', (i.shift_day + 2)::text,
    'done_at', CASE WHEN random() < 0.7 THEN i.record->'finalised_at' ELSE 'null' END,
    'done_note', '')
  FROM calmline.incidents i
  CROSS JOIN LATERAL (SELECT gen_random_uuid() AS id WHERE i.id IS NOT NULL) f
 WHERE random() < 0.1;
INSERT INTO calmline.markers (id, version, agent_id, shift_day, record)
SELECT m.id, 1, i.agent_id, i.shift_day, jsonb_build_object(
    'id', m.id, 'version', 1, 'created_at', i.record->'started_at',
    'updated_at', i.record->'started_at', 'incident_id', i.id,
    'proposed_at', i.record->'ended_at', 'reason', 'threats',
    'caller_number', i.record->'caller_number', 'customer_ref', i.record->'customer_ref')
  FROM (SELECT * FROM calmline.incidents LIMIT 500) i
  CROSS JOIN LATERAL (SELECT gen_random_uuid() AS id WHERE i.id IS NOT NULL) m;
INSERT INTO calmline.marker_decisions (id, version, agent_id, shift_day, record)
SELECT d.id, 1, 'lead', m.shift_day, jsonb_build_object(
    'id', d.id, 'version', 1, 'created_at', m.record->'proposed_at',
    'updated_at', m.record->'proposed_at', 'marker_id', m.id,
    'decided_at', m.record->'proposed_at', 'action', 'approve', 'review_by', '2027-01-31')
  FROM (SELECT * FROM calmline.markers LIMIT 250) m
  CROSS JOIN LATERAL (SELECT gen_random_uuid() AS id WHERE m.id IS NOT NULL) d;
"""


@pytest.fixture(scope="module")
def store() -> Iterator[dict[str, Any]]:
    with calmline_postgresql() as server:
        t0 = time.perf_counter()
        with psycopg.connect(server["admin"], autocommit=True) as c:
            c.execute(SEED)
            c.execute("VACUUM ANALYZE")
        server["seed_s"] = time.perf_counter() - t0
        print(f"\nseeded {INCIDENTS:,} incidents in {server['seed_s']:.0f} s")
        yield server


def target(server: dict[str, Any], role: str) -> PostgresTarget:
    # Over the server's private socket (trust): no keyring, no TLS to wait for.
    return PostgresTarget(server["admin"].replace("postgres@", f"{role}@"))


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def test_bench_live_lookup_on_a_million_incidents(
    store: dict[str, Any], benchmark: BenchmarkFixture
) -> None:
    rng = random.Random(30)
    asks: list[tuple[str, str]] = []
    for _ in range(400):
        caller = int(CALLERS * rng.random() ** 2)
        if caller % 5 == 0:
            asks.append(("", f" ac {caller}"))
        else:
            asks.append((f"0044 20 {caller // 10000:04d} {caller % 10000:04d}", ""))
    asks += [("+44 99 0000 0001", "")] * 20  # never seen
    rng.shuffle(asks)
    agent = target(store, "agent-8")
    agent.lookup("+44 1", "", 5.0)  # the lookup's connection, made once per target
    times, found = [], 0
    for number, ref in asks:
        t0 = time.perf_counter()
        got = agent.lookup(number, ref, 1.0)
        times.append(time.perf_counter() - t0)
        found += len(got.incidents)
    agent.close()
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    p95 = statistics.quantiles(times, n=20)[-1] * 1000
    median = statistics.median(times) * 1000
    benchmark.extra_info.update(lookups=len(asks), p95_ms=round(p95, 2), median_ms=round(median, 2),
                                incidents_per_lookup=round(found / len(asks), 1))  # fmt: skip
    print(f"\nlive lookup over {INCIDENTS:,} incidents: p95 {p95:.1f} ms, median {median:.1f} ms "
          f"({found / len(asks):.1f} incidents a caller)")  # fmt: skip
    assert found > len(asks)  # repeat callers were found, with their history
    assert p95 < 30


def test_bench_team_report_on_a_million_incidents(
    store: dict[str, Any], benchmark: BenchmarkFixture
) -> None:
    lead = target(store, "lead")
    last = date.fromordinal(FIRST.toordinal() + DAYS - 1)
    report = benchmark.pedantic(
        lambda: lead.report(FIRST, last, last), rounds=2, iterations=1, warmup_rounds=0
    )
    lead.close()
    assert sum(a.calls for a in report.agents) == INCIDENTS
    assert len(report.agents) == AGENTS and report.repeat_callers_total > 1000
    assert report.awaiting_review and all(a.overdue_promises > 0 for a in report.agents)
    worst = benchmark.stats.stats.max
    benchmark.extra_info.update(incidents=INCIDENTS, report_s=round(worst, 2),
                                seed_s=round(store["seed_s"], 1))  # fmt: skip
    print(f"\nteam report over {INCIDENTS:,} incidents: {worst:.2f} s (slowest of 2)")
    assert worst < 10
