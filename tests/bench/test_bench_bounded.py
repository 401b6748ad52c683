"""Figures for issue 17's "nothing is quadratic in the size of its input": each
parser timed on an input of size n and of size 2n (the ratio should be near 2,
a quadratic one would be near 4), and what `calmline analyze` keeps per hour of
audio. Timings belong here, not in unit tests (the machine may be busy)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from calmline.core.analysis import Analyzer
from calmline.core.commands import decode_command
from calmline.core.cues import CueParams
from calmline.core.playbook import parse_playbook
from calmline.core.problems import ProblemsError
from calmline.core.settings import LayerName, parse_toml_layer


def best_of(run: Callable[[], object], times: int = 5) -> float:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        spent.append(time.perf_counter() - start)
    return min(spent)


def playbook_with_problems(unknown_per_step: int) -> str:
    unknown = "".join(f"u{n} = 1\n" for n in range(unknown_per_step))
    step = (
        '[[steps]]\nid = "s"\nphase = "open"\nkind = "once"\ntitle = "T"\nwhy = "W"\n'
        f'phrases = ["P"]\n{unknown}'
    )
    return '[playbook]\nid = "t"\n' + step * 60


def parse_failing(text: str) -> None:
    with pytest.raises(ProblemsError):
        parse_playbook(text, "bench.toml")


def settings_with_keys(n: int) -> str:
    return "".join(f"key{i} = {i}\n" for i in range(n))


CASES: dict[str, Callable[[int], Callable[[], object]]] = {
    # 60 steps x k unknown fields: every problem needs its line found
    "playbook problems": lambda k: lambda: parse_failing(playbook_with_problems(k)),
    "settings unknown keys": lambda k: (
        lambda: parse_toml_layer(LayerName.USER, "bench.toml", settings_with_keys(k * 60))
    ),
    "command line": lambda k: (
        lambda: decode_command(
            ('{"cmd": "note", "args": {"text": "' + "w " * (k * 40) + '"}}').encode()
        )
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bench_parsers_grow_linearly(name: str) -> None:
    n = 50
    small, large = best_of(CASES[name](n)), best_of(CASES[name](2 * n))
    ratio = large / small
    print(f"\n{name}: n {small * 1000:.1f} ms, 2n {large * 1000:.1f} ms, ratio {ratio:.2f}")
    assert ratio < 3.0


def test_bench_analysis_memory_per_hour() -> None:
    """What the streaming analysis keeps grows by figures only: bytes per hour
    (kept = still held once the analysis is done; peak = at most while it ran)."""
    rate = 8000
    rng = np.random.default_rng(1)
    block = rng.normal(0, 0.05, rate)  # one second, fed again and again
    kept, peak = {}, {}
    for minutes in (5, 10):
        tracemalloc.start()
        run = Analyzer(rate, CueParams())
        start = time.perf_counter()
        for _ in range(minutes * 60):
            run.feed(block)
        result = run.finish()
        spent = time.perf_counter() - start
        kept[minutes], peak[minutes] = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del run, result
        print(
            f"\nanalysis of {minutes} min: kept {kept[minutes] / 1e6:.2f} MB, "
            f"peak {peak[minutes] / 1e6:.2f} MB, {spent:.1f} s"
        )
    per_hour = (kept[10] - kept[5]) / 5 * 60
    print(f"analysis keeps {per_hour / 1e6:.1f} MB more per hour of audio")
    assert per_hour < 10e6
    assert max(peak.values()) - max(kept.values()) < 20e6  # the audio is never held
