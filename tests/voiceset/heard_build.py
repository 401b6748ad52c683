"""Build the heard-steps set: ``python -m tests.voiceset.heard_build [--quick] [--out DIR]``.

Synthesises the agents' lines (heard_texts) into the voice set's pool (under
``pool/heard/``; the callers' lines are the voice set's own pool items), then
renders every case of heard_cases into DIR (default ``.cache/heardset/<version>/``):
per case ``<id>@16k.mic.wav``, ``<id>@16k.caller.wav`` and the same at 8 kHz, and
``manifest.json`` last. A case already built (its ``<plan>.json`` is there) is
kept, so an interrupted build resumes. The version hashes the generator's
source and the engines' versions.

How a case sounds (all at 16 kHz, then the 8 kHz copy):
- the agent: each utterance high-passed (70-120 Hz), at the case's level
  (-32..-18 dBFS active) +-1 dB, peak-limited at -2 dBFS; gaps of 0.25-0.7 s
  inside a turn;
- the caller (every family has one, on the caller track): after three agent
  turns in four, 1-2 lines in the telephone band, a quarter of them starting over
  the agent's last words; sometimes a short reply in the middle of an agent's
  turn (the agent pauses 0.8-2.5 s where the caller does not speak);
- clean: room noise 40-50 dB under the agent; noise: babble of other voices
  (ordinary lines and callers' lines, reverberant, band-limited) at SNR 10-15 dB,
  typing, room noise; bleed: the caller through the earpiece into the mic
  (earpiece filter, 25-35 dB under the agent) and room noise;
- 8 kHz: the mic and caller tracks band-passed to 300-3400 Hz and resampled, as
  a softphone's narrowband path delivers them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tests.voiceset import calls, dsp, voices
from tests.voiceset import heard_cases as C
from tests.voiceset import heard_texts as T
from tests.voiceset.build import POOL, jobs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / ".cache" / "heardset"
GENERATOR = (
    "heard_texts.py",
    "heard_cases.py",
    "heard_build.py",
    "voices.py",
    "dsp.py",
    "calls.py",
    "texts.py",
)
SYNTH_REV = "1"  # bump to re-synthesise the agents' heard lines
MASTER = 16000
NARROW = (300.0, 3400.0)
CALLER_CATS = ("reply", "complaint", "rant")


def _log(msg: str) -> None:
    print(f"heardset: {msg}", file=sys.stderr, flush=True)


@cache
def engines() -> str:
    return voices.engine_versions()


def version(quick: bool = False) -> str:
    h = hashlib.sha1()
    for name in GENERATOR:
        h.update((HERE / name).read_bytes())
    h.update(engines().encode())
    h.update(b"quick" if quick else b"full")
    return h.hexdigest()[:12]


def default_out(quick: bool = False) -> Path:
    return CACHE / version(quick)


# -- the pool -------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Line:
    """One agent line said by one voice."""

    voice: str
    line: str

    @property
    def text(self) -> str:
        return T.lines()[self.line]

    def key(self) -> str:
        v = voices.BY_NAME[self.voice]
        h = hashlib.sha1(f"{SYNTH_REV}|{v.engine}|{v.ident}|{self.text}".encode()).hexdigest()
        return f"heard/{self.voice.replace(':', '-')}/{self.line}.{h[:10]}.wav"


def needed_lines(plans: list[C.CasePlan]) -> list[Line]:
    """Every agent line the plans use, with the voices that speak it as babble."""
    out = {Line(p.agent, line) for p in plans for turn in p.turns for line in turn}
    babble = {line for p in plans if p.family == "noise" for line in _babble_lines()}
    for p in plans:
        if p.family == "noise":
            for v in _babble_agents(p.agent):
                out |= {Line(v, line) for line in babble}
    return sorted(out)


def _babble_lines() -> list[str]:
    return [T.ordinary_id(c, i) for c in ("explain", "process", "tech") for i in range(12)]


def _babble_agents(agent: str) -> list[str]:
    person = voices.BY_NAME[agent].person
    return [a for a in C.AGENTS if voices.BY_NAME[a].person != person]


def caller_items(voice: str) -> list[voices.Item]:
    return sorted(
        it
        for it in voices.items_for(voice, quick=False)
        if it.variant == "calm" and it.category in CALLER_CATS
    )


def synth_lines(voice: str, todo: list[Line], pool: str) -> int:
    """Synthesise one voice's missing lines (a worker task); how many were made."""
    import tempfile

    root = Path(pool)
    todo = [it for it in todo if not (root / it.key()).exists()]
    if not todo:
        return 0
    v = voices.BY_NAME[voice]
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        raws = {it: tmp / f"{it.line}.wav" for it in todo}
        if v.engine == "festival":
            voices._festival(v, [(it.text, raws[it]) for it in todo])
        elif v.engine == "piper":
            piper = voices._Piper(root)
            for it in todo:
                seed = int(hashlib.sha1(f"heard|{voice}|{it.line}".encode()).hexdigest()[:8], 16)
                dsp.write_wav(raws[it], piper.synth(it.text, seed), piper.rate)
        else:
            for it in todo:
                voices._flite(v, it.text, raws[it])
        for it in todo:
            x, rate = dsp.read_wav(raws[it])
            dst = root / it.key()
            dst.parent.mkdir(parents=True, exist_ok=True)
            voices._store(x, rate, dst)
    return len(todo)


def ensure_pool(plans: list[C.CasePlan], pool: Path = POOL, workers: int | None = None) -> int:
    """Synthesise what the plans need that the pool lacks; how many were made."""
    lines = [it for it in needed_lines(plans) if not (pool / it.key()).exists()]
    callers = sorted(
        {it for p in plans for it in caller_items(p.caller) if not (pool / it.key()).exists()}
        | {
            it
            for p in plans
            if p.family == "noise"
            for c in _babble_callers(p.caller)
            for it in caller_items(c)
            if not (pool / it.key()).exists()
        }
    )
    if not lines and not callers:
        return 0
    problems = voices.check_engines()
    if problems:
        raise RuntimeError("cannot synthesise the heard set: " + "; ".join(problems))
    _log(f"synthesising {len(lines) + len(callers)} utterances into {pool}")
    pool.mkdir(parents=True, exist_ok=True)
    if any(it.voice == "piper:joe" for it in lines):
        voices.piper_model(pool)
    tasks: list[tuple[Any, ...]] = []
    by_voice: dict[str, list[Line]] = {}
    for it in lines:
        by_voice.setdefault(it.voice, []).append(it)
    # the slow engine first, in tasks of a few dozen lines
    for v in sorted(by_voice, key=lambda v: (voices.BY_NAME[v].engine != "piper", v)):
        size = 40 if voices.BY_NAME[v].engine == "piper" else 60
        its = by_voice[v]
        for i in range(0, len(its), size):
            tasks.append((synth_lines, v, its[i : i + size], str(pool)))
    by_caller: dict[str, list[voices.Item]] = {}
    for it in callers:
        by_caller.setdefault(it.voice, []).append(it)
    for v, its in sorted(by_caller.items()):
        tasks.append((voices.synth_voice, v, its, str(pool)))
    return sum(_map(tasks, workers))


@lru_cache(maxsize=768)  # float32 at 16 kHz: ~100 KB a line, ~80 MB a worker
def _load(pool: str, key: str) -> np.ndarray:
    x, rate = dsp.read_wav(Path(pool) / key)
    y = dsp.resample(x, rate, MASTER).astype(np.float32)
    y.setflags(write=False)
    return y


def agent_audio(pool: str, voice: str, line: str) -> np.ndarray:
    return _load(pool, Line(voice, line).key())


def caller_audio(pool: str, item: voices.Item) -> np.ndarray:
    return _load(pool, item.key())


def _babble_callers(caller: str) -> list[str]:
    person = voices.BY_NAME[caller].person
    return [c for c in C.CALLERS if voices.BY_NAME[c].person != person]


# -- one case -------------------------------------------------------------------
@dataclass
class Placed:
    who: str  # agent | caller
    start: int  # sample at MASTER
    x: np.ndarray
    line: str
    voice: str


def timeline(plan: C.CasePlan, pool: str) -> tuple[list[Placed], int]:
    """Where every utterance goes; the case's length in samples (at MASTER)."""
    rng = np.random.default_rng([plan.seed, 0])
    sr = MASTER
    out: list[Placed] = []
    citems = caller_items(plan.caller)
    replies = [it for it in citems if it.category == "reply"]
    others = [it for it in citems if it.category != "reply"]
    t = float(rng.uniform(0.3, 1.0))
    agent_end = -10.0
    for n, turn in enumerate(plan.turns):
        start = max(t, agent_end + 0.8) if n else t
        for j, line in enumerate(turn):
            x = agent_audio(pool, plan.agent, line)
            s = round(start * sr)
            out.append(Placed("agent", s, x, line, plan.agent))
            start = (s + len(x)) / sr + (float(rng.uniform(0.25, 0.7)) if j + 1 < len(turn) else 0)
        turn_start, agent_end = out[-len(turn)].start / sr, start
        if agent_end - turn_start > 4.0 and rng.random() < 0.2:  # a reply over the agent
            it = replies[int(rng.integers(len(replies)))]
            at = float(rng.uniform(turn_start + 0.5, agent_end - 2.0))
            out.append(Placed("caller", round(at * sr), caller_audio(pool, it), it.line, it.voice))
        if n + 1 == len(plan.turns):
            t = agent_end
            break
        if rng.random() < 0.25:  # no caller turn: the agent pauses (typing, reading)
            t = agent_end + float(rng.uniform(0.8, 2.5))
            continue
        # the caller's turn: in the gap, or starting over the agent's last words
        c0 = agent_end + float(rng.uniform(0.3, 0.9))
        if rng.random() < 0.25:
            c0 = agent_end - float(rng.uniform(0.5, 1.5))
        k = 1 if rng.random() < 0.75 else 2
        for _ in range(k):
            pool_items = replies if rng.random() < 0.6 else others
            it = pool_items[int(rng.integers(len(pool_items)))]
            if it.category == "rant" and rng.random() < 0.7:
                it = replies[int(rng.integers(len(replies)))]
            x = caller_audio(pool, it)
            out.append(Placed("caller", round(c0 * sr), x, it.line, it.voice))
            c0 += len(x) / sr + float(rng.uniform(0.2, 0.6))
        c_end = c0
        t = c_end + float(rng.uniform(0.2, 0.8))
        if rng.random() < 0.15:  # the agent starts over the caller's last words
            t = c_end - float(rng.uniform(0.4, 1.0))
    n_total = math.ceil((t + float(rng.uniform(0.8, 1.5))) * sr)
    end = max(p.start + len(p.x) for p in out)
    return out, max(n_total, end + round(0.5 * sr))


def _babble(plan: C.CasePlan, pool: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """Other people talking in the room: 3-6 streams, reverberant, band-limited."""
    sr = MASTER
    sources: list[np.ndarray] = []
    agents = _babble_agents(plan.agent)
    callers = _babble_callers(plan.caller)
    for _ in range(int(rng.integers(3, 7))):
        stream = np.zeros(n)
        use_agent = rng.random() < 0.6
        pos = float(rng.uniform(0.0, 3.0)) * sr
        while pos < n:
            if use_agent:
                v = agents[int(rng.integers(len(agents)))]
                ls = _babble_lines()
                x = agent_audio(pool, v, ls[int(rng.integers(len(ls)))])
            else:
                c = callers[int(rng.integers(len(callers)))]
                its = caller_items(c)
                x = caller_audio(pool, its[int(rng.integers(len(its)))])
            s = int(pos)
            m = min(len(x), n - s)
            g = dsp.db_to_gain(float(rng.uniform(-6.0, 0.0)) - dsp.active_level_db(x, sr))
            stream[s : s + m] += g * x[:m]
            pos += len(x) + float(rng.uniform(0.3, 2.0)) * sr
        sources.append(dsp.lowpass(stream, sr, float(rng.uniform(2500.0, 4500.0)), 2))
    total = np.sum(sources, axis=0)
    from scipy.signal import oaconvolve

    tt = np.arange(round(0.5 * sr)) / sr
    ir = rng.standard_normal(tt.size) * np.exp(-tt / float(rng.uniform(0.06, 0.12)))
    ir[0] += 0.4 * np.abs(ir).max()
    return np.asarray(oaconvolve(total, ir)[:n])


def render(plan: C.CasePlan, pool: str, out_dir: Path) -> list[dict[str, Any]]:
    """Write one plan's audio at both rates; its two manifest entries."""
    sr = MASTER
    rng = np.random.default_rng([plan.seed, 1])
    placed, n = timeline(plan, pool)
    calm = float(rng.uniform(-32.0, -18.0))
    hp = float(rng.uniform(70.0, 120.0))
    loop = float(rng.uniform(-26.0, -16.0))
    bleed_db = float(rng.uniform(-35.0, -25.0))
    ear_hp, ear_peak = float(rng.uniform(280.0, 380.0)), float(rng.uniform(1800.0, 3000.0))
    agent, caller, bleed = np.zeros(n), np.zeros(n), np.zeros(n)
    for p in placed:
        a, b = p.start, p.start + len(p.x)
        if p.who == "agent":
            x = dsp.highpass(p.x, sr, hp, 2)
            y = x * dsp.db_to_gain(calm + float(rng.uniform(-1, 1)) - dsp.active_level_db(x, sr))
            agent[a:b] += calls._limited(y, sr)
        else:
            tel = dsp.bandpass(p.x, sr, *NARROW, order=4)
            jit = float(rng.uniform(-1.5, 1.5))
            caller[a:b] += tel * dsp.db_to_gain(loop + jit - dsp.active_level_db(tel, sr))
            if plan.family == "bleed":
                ear = dsp.peaking(dsp.highpass(tel, sr, ear_hp, 3), sr, ear_peak, 1.2, 4.0)
                g = dsp.db_to_gain(calm + bleed_db + jit - dsp.active_level_db(ear, sr))
                bleed[a:b] += g * ear
    snr: float | None = None
    if plan.family == "noise":
        snr = float(rng.uniform(10.0, 15.0))
        bab = _babble(plan, pool, rng, n)
        noise = bab * dsp.db_to_gain(calm - snr - dsp.active_level_db(bab, sr))
        noise += calls._noise(rng, n, sr, calm - float(rng.uniform(30.0, 38.0)))
        peaks = [float(np.abs(agent[p.start : p.start + len(p.x)]).max()) for p in placed]
        speech_peak = 20 * math.log10(max(1e-9, float(np.median(peaks))))
        spans, t = [], float(rng.uniform(0.0, 5.0))
        while t < n / sr:  # typing about 40 % of the time
            d = float(rng.uniform(2.0, 8.0))
            spans.append((t, min(t + d, n / sr - 0.1)))
            t += d + float(rng.uniform(3.0, 12.0))
        noise += calls._clicks(rng, sr, spans, n, speech_peak - float(rng.uniform(12.0, 22.0)))
    else:
        noise = calls._noise(rng, n, sr, calm - float(rng.uniform(40.0, 50.0)))
    mic = np.clip(agent + bleed + noise, -1.0, 1.0)
    line_noise = dsp.bandpass(rng.standard_normal(n), sr, *NARROW, order=2)
    caller += line_noise * dsp.db_to_gain(loop - 55.0 - dsp.rms_db(line_noise))
    caller = np.clip(caller, -1.0, 1.0)
    utter = []
    for p in sorted(placed, key=lambda p: p.start):
        if p.who != "agent":
            continue
        t_ = T.truth_of(p.line)
        utter.append(
            {
                "line": p.line,
                "step": None if t_ is None else t_[1],
                "start_s": round(p.start / sr, 3),
                "end_s": round((p.start + len(p.x)) / sr, 3),
            }
        )
    caller_speech = [
        [round(p.start / sr, 3), round((p.start + len(p.x)) / sr, 3)]
        for p in sorted(placed, key=lambda p: p.start)
        if p.who == "caller"
    ]
    entries = []
    for rate in C.RATES:
        cid = C.case_id(plan.id, rate)
        if rate == MASTER:
            m, c = mic, caller
        else:
            m = np.clip(dsp.resample(dsp.bandpass(mic, sr, *NARROW, order=4), sr, rate), -1, 1)
            c = np.clip(dsp.resample(caller, sr, rate), -1.0, 1.0)
        dsp.write_wav(out_dir / f"{cid}.mic.wav", m, rate)
        dsp.write_wav(out_dir / f"{cid}.caller.wav", c, rate)
        entries.append(
            {
                "id": cid,
                "plan": plan.id,
                "condition": C.condition(plan.family, rate),
                "family": plan.family,
                "rate": rate,
                "kind": plan.kind,
                "playbook": plan.playbook,
                "agent_voice": plan.agent,
                "caller_voice": plan.caller,
                "quick": plan.quick,
                "mic": f"{cid}.mic.wav",
                "caller": f"{cid}.caller.wav",
                "samples": len(m),
                "duration_s": round(len(m) / rate, 3),
                "agent_dbfs": round(calm, 2),
                "snr_db": None if snr is None else round(snr, 2),
                "bleed_db": round(bleed_db, 2) if plan.family == "bleed" else None,
                "utterances": utter,
                "caller_speech": caller_speech,
            }
        )
    check(entries)
    return entries


def check(entries: list[dict[str, Any]]) -> None:
    """What the plan promises, on the truth (a failure is a bug here)."""
    for e in entries:
        dur = e["duration_s"]
        steps = [u["step"] for u in e["utterances"] if u["step"]]
        assert len(steps) == len(set(steps)), (e["id"], "a step twice")
        if e["kind"] == "ordinary":
            assert not steps, e["id"]
        prev = -1.0
        for u in e["utterances"]:
            assert 0.0 < u["start_s"] < u["end_s"] <= dur, (e["id"], u)
            assert u["start_s"] >= prev + 0.2, (e["id"], "agent utterances overlap", u)
            prev = u["end_s"]
        for s, t in e["caller_speech"]:
            assert 0.0 < s < t <= dur, (e["id"], s, t)


def _call(task: tuple[Any, ...]) -> Any:
    return task[0](*task[1:])


def _map(tasks: list[tuple[Any, ...]], workers: int | None) -> list[Any]:
    """Run (function, *args) tasks in worker processes, or here when one would do."""
    n = min(workers or jobs(), len(tasks))
    if n <= 1:
        return [_call(t) for t in tasks]
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn")) as ex:
        return list(ex.map(_call, tasks))


def build_case(plan: C.CasePlan, pool: str, out_dir: str) -> list[dict[str, Any]]:
    """A worker task: one plan's files and its truth (kept beside them)."""
    out = Path(out_dir)
    truth = out / f"{plan.id}.json"
    if truth.exists():
        try:
            return list(json.loads(truth.read_text()))
        except ValueError:
            pass
    entries = render(plan, pool, out)
    tmp = truth.with_suffix(".part")
    tmp.write_text(json.dumps(entries))
    tmp.replace(truth)
    return entries


def build(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    plans: list[C.CasePlan] | None = None,
    pool: Path = POOL,
) -> Path:
    """Build the set (or the given plans) unless it is there; the manifest's path."""
    ver = version(quick)
    out = Path(out) if out is not None else CACHE / version(False)
    manifest = out / ("manifest.quick.json" if quick and plans is None else "manifest.json")
    if plans is None and manifest.exists():
        try:
            if json.loads(manifest.read_text())["version"] == ver:
                return manifest
        except (ValueError, KeyError):
            pass
    t0 = time.monotonic()
    plans = C.plan(quick) if plans is None else plans
    made = ensure_pool(plans, pool, workers)
    t1 = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    todo = [p for p in plans if not (out / f"{p.id}.json").exists()]
    if todo:
        _log(f"rendering {len(todo)} of {len(plans)} cases into {out}")
    # long cases first, so the workers finish together; built ones are only read
    order = sorted(todo, key=lambda p: -sum(map(len, p.turns)))
    args = [(build_case, p, str(pool), str(out)) for p in order]
    done = _map(args, workers)
    done += [build_case(p, str(pool), str(out)) for p in plans if p not in todo]
    by_plan = {es[0]["plan"]: es for es in done}
    doc = {
        "version": ver,
        "quick": quick,
        "engines": engines(),
        "synthesised": made,
        "synth_s": round(t1 - t0, 1),
        "render_s": round(time.monotonic() - t1, 1),
        "cases": [e for p in plans for e in by_plan[p.id]],
    }
    tmp = manifest.with_suffix(".part")
    tmp.write_text(json.dumps(doc, indent=1))
    tmp.replace(manifest)
    _log(f"built {len(doc['cases'])} cases in {time.monotonic() - t0:.1f} s")
    return manifest


def summary(manifest: Path) -> str:
    doc = json.loads(Path(manifest).read_text())
    cs = doc["cases"]
    out = [str(manifest)]
    h = sum(c["duration_s"] for c in cs) / 3600
    speech = sum(u["end_s"] - u["start_s"] for c in cs for u in c["utterances"]) / 3600
    out.append(f"{len(cs)} cases, {h:.2f} h of audio, {speech:.2f} h of agent speech")
    out.append(f"{'condition':<10} {'cases':>5} {'hours':>6} {'ordinary h':>10} {'phrases':>7}")
    for cond in C.CONDITIONS:
        sub = [c for c in cs if c["condition"] == cond]
        if not sub:
            continue
        hours = sum(c["duration_s"] for c in sub) / 3600
        oh = sum(c["duration_s"] for c in sub if c["kind"] == "ordinary") / 3600
        ph = sum(1 for c in sub for u in c["utterances"] if u["step"])
        out.append(f"{cond:<10} {len(sub):>5} {hours:>6.2f} {oh:>10.2f} {ph:>7}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.voiceset.heard_build",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--quick", action="store_true", help="only the quick subset")
    ap.add_argument("--out", type=Path, help="where to build (default: the cache)")
    ap.add_argument("--jobs", type=int, help="worker processes (default: the cores, at most 4)")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    try:
        manifest = build(args.out, args.quick, args.jobs)
    except RuntimeError as exc:
        print(f"heardset: {exc}", file=sys.stderr)
        return 1
    print(summary(manifest))
    print(f"wall time {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
