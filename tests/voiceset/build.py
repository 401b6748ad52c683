"""Build the voice set: ``python -m tests.voiceset.build [--quick] [--out DIR]``.

Synthesises the pool of utterances (once, shared by every build), composes the
calls into DIR (default ``.cache/voiceset/<version>/`` at the repository root)
and writes ``manifest.json`` last. Idempotent: a DIR whose manifest has this
generator's version does nothing. The version is a hash of the generator's
source, the engines' versions and the options, so any change builds anew.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from tests.voiceset import calls, voices

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / ".cache" / "voiceset"
POOL = CACHE / "pool"
GENERATOR = ("texts.py", "voices.py", "dsp.py", "calls.py", "build.py")


def version(quick: bool) -> str:
    h = hashlib.sha1()
    for name in GENERATOR:
        h.update((HERE / name).read_bytes())
    h.update(voices.engine_versions().encode())
    h.update(b"quick" if quick else b"full")
    return h.hexdigest()[:12]


def default_out(quick: bool) -> Path:
    return CACHE / version(quick)


def jobs() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return max(1, min(n, 4))


def _log(msg: str) -> None:
    print(f"voiceset: {msg}", file=sys.stderr, flush=True)


def ensure_pool(quick: bool, pool: Path = POOL, workers: int | None = None) -> int:
    """Synthesise whatever the plan may use that the pool lacks; how many were made."""
    by_voice: dict[str, list[voices.Item]] = {}
    for it in voices.all_items(quick):
        if not (pool / it.key()).exists():
            by_voice.setdefault(it.voice, []).append(it)
    if not by_voice:
        return 0
    problems = voices.check_engines()
    if problems:
        raise RuntimeError("cannot synthesise the voice set: " + "; ".join(problems))
    _log(f"synthesising {sum(map(len, by_voice.values()))} utterances into {pool}")
    pool.mkdir(parents=True, exist_ok=True)
    if "piper:joe" in by_voice:
        voices.piper_model(pool)  # once, before the workers need it
    # tasks of a few lines each (every variant of a line in one task: they derive
    # from its calm rendering), the slow engines first
    tasks: list[tuple[str, list[voices.Item]]] = []
    for v in sorted(by_voice, key=lambda v: (voices.BY_NAME[v].engine != "piper", v)):
        per_line: dict[str, list[voices.Item]] = {}
        for it in by_voice[v]:
            per_line.setdefault(it.line, []).append(it)
        groups = list(per_line.values())
        size = 8 if voices.BY_NAME[v].engine == "piper" else 24
        for i in range(0, len(groups), size):
            tasks.append((v, [it for g in groups[i : i + size] for it in g]))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers or jobs(), mp_context=ctx) as ex:
        futs = [ex.submit(voices.synth_voice, v, its, str(pool)) for v, its in tasks]
        return sum(f.result() for f in futs)


def build(out: Path | None = None, quick: bool = False, workers: int | None = None) -> Path:
    """Build the set into ``out`` (default: the cache) unless it is there; the manifest."""
    ver = version(quick)
    out = Path(out) if out is not None else CACHE / ver
    manifest = out / "manifest.json"
    if manifest.exists():
        try:
            if json.loads(manifest.read_text())["version"] == ver:
                return manifest
        except (ValueError, KeyError):
            pass
    t0 = time.monotonic()
    ensure_pool(quick, POOL, workers)
    specs = calls.plan(quick)
    _log(f"composing {len(specs)} calls into {out}")
    out.mkdir(parents=True, exist_ok=True)
    # the longest, highest-rate calls first, so the workers finish together
    order = sorted(specs, key=lambda s: -(s.target_s * (2 if s.rate == 48000 else 1)))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers or jobs(), mp_context=ctx) as ex:
        done = list(ex.map(calls.compose, order, [str(POOL)] * len(order), [str(out)] * len(order)))
    entries = {c["id"]: c for c in done}
    doc: dict[str, Any] = {
        "version": ver,
        "quick": quick,
        "engines": voices.engine_versions(),
        "voices": [
            {
                "name": v.name,
                "engine": v.engine,
                "voice": v.ident,
                "role": v.role,
                "person": v.person,
            }
            for v in voices.VOICES
        ],
        "calls": [entries[s.id] for s in specs],
    }
    tmp = manifest.with_suffix(".part")
    tmp.write_text(json.dumps(doc, indent=1))
    tmp.replace(manifest)
    _log(f"built {len(specs)} calls in {time.monotonic() - t0:.1f} s")
    return manifest


def summary(manifest: Path) -> str:
    doc = json.loads(manifest.read_text())
    cs = doc["calls"]
    hours = sum(c["duration_s"] for c in cs) / 3600
    quiet = sum(c["duration_s"] for c in cs if c["quiet"]) / 60
    kinds = Counter(e["kind"] for c in cs for e in c["events"] if not e["optional"])
    scen = Counter(s for c in cs for s in c["scenarios"])
    dis = Counter(d["what"] for c in cs for d in c["distractors"])
    rates = Counter(c["rate"] for c in cs)
    used = Counter(c["agent_voice"] for c in cs) + Counter(c["caller_voice"] for c in cs)
    lines = [
        f"{manifest}",
        f"{len(cs)} calls, {hours:.2f} h of audio; quiet calls: "
        f"{sum(c['quiet'] for c in cs)} ({quiet:.1f} min)",
        "rates: " + ", ".join(f"{r} Hz x{n}" for r, n in sorted(rates.items())),
        "events: " + ", ".join(f"{k} {kinds[k]}" for k in calls.KINDS),
        "scenarios: " + ", ".join(f"{k} {n}" for k, n in sorted(scen.items())),
        "distractors: " + ", ".join(f"{k} {n}" for k, n in sorted(dis.items())),
        "voices (calls): " + ", ".join(f"{k} {n}" for k, n in sorted(used.items())),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.voiceset.build",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--quick", action="store_true", help="the small set for the unit tests")
    ap.add_argument("--out", type=Path, help="where to build (default: the cache)")
    ap.add_argument("--jobs", type=int, help="worker processes (default: the cores, at most 4)")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    try:
        manifest = build(args.out, args.quick, args.jobs)
    except RuntimeError as exc:
        print(f"voiceset: {exc}", file=sys.stderr)
        return 1
    print(summary(manifest))
    print(f"wall time {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
