"""The team's memory as the agent sees it: from `call start` to the badge's
words and the team panel's lines in the real window (offscreen), with the
local cache holding 200,000 team calls. The issue's target is the badge from
the warm cache p95 < 20 ms (tests/bench/test_bench_team_cache.py times the
flow's part). This prints the whole call start in the window (the call saved,
every listener, the whole window shown again: most of it is not the team's,
e.g. the header's count of calls in the shift) and holds the window's part of
the team's memory (the caller's memory read, the badge's words and the team
panel's lines set) to the same 20 ms."""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from calmline.core.commands import Command, Name
from calmline.core.team_view import memory_badge
from calmline.store.team_cache import TeamCache
from tests.bench.test_bench_team_cache import CALLERS, T0, TEAM_CALLS, number, team_history
from tests.fakes import FakeClock, make_flow
from tests.ui.conftest import companion, make


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[int(len(ordered) * 0.95) - 1]


def test_call_start_to_the_badge_in_the_window(qtbot: QtBot, tmp_path: Path) -> None:
    rng = random.Random(20)
    clock = FakeClock(T0)
    flow = make_flow(tmp_path / "c.db", clock, agent_id="agent-7")
    TeamCache(flow.store).apply(team_history(rng), as_of=T0)
    w = make(qtbot, flow)
    flow.start_shift("agent-7")
    callers = [number(c) for c in rng.sample(range(CALLERS), 150)]
    callers += [number(c) for c in range(10)]  # the frequent callers
    callers += [number(c) for c in range(0, CALLERS, 200)[:40]]  # marked callers
    rng.shuffle(callers)
    callers += [f"+1 555 {n:04d}" for n in range(50)]  # never seen
    rng.shuffle(callers)
    c = companion(w)
    whole, repaint, shown = [], [], 0
    for who in callers:
        began = time.perf_counter()
        flow.run(Command(Name.CALL_START, {"caller": who}))
        whole.append((time.perf_counter() - began) * 1000)
        shown += w.header.badge.text() != ""
        call, now = flow.call, clock()
        assert call is not None
        began = time.perf_counter()
        c.invalidate_memory()  # as the team's live answer does
        memory = c.memory(call)
        w.header.badge.setText(memory_badge(memory, "agent-7", now))
        w.team.show_memory(memory, "agent-7", now, flow.abusive)
        repaint.append((time.perf_counter() - began) * 1000)
        flow.run(Command(Name.CALL_END))
        for form in list(c.forms.forms.values()):
            form.close()  # the incident form each call end opens
        clock.advance(5)
    print(
        f"\nthe window, cache of {TEAM_CALLS} team calls, {len(callers)} calls: call start "
        f"to the badge shown median {statistics.median(whole):.1f} ms, p95 {p95(whole):.1f} ms; "
        f"the caller's memory read and the badge and team panel set median "
        f"{statistics.median(repaint):.1f} ms, p95 {p95(repaint):.1f} ms"
    )
    assert shown >= len(callers) - 50
    assert p95(repaint) < 20.0, f"badge and panel p95 {p95(repaint):.1f} ms (target < 20 ms)"
