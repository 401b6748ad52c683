"""Heard steps, the recogniser: pocketsphinx keyword spotting over the agent's
own speech (the stretches core/listening.py ListenGate lets through). The only
module that imports pocketsphinx.

Why keyword spotting: it runs at ~0.03 of real time here, where the full
language model costs ~0.15, and the whole voice path must stay under 5 % of a
core. Each listen_for phrase becomes one or more keyphrases (its natural
variants: I'm / I am, you're / you are, ...), each with its own threshold,
derived from its length in phones and scaled by ``sensitivity``: a long phrase
piles up more difference from the best free phone path than a short one, and a
short one needs a stricter cut to stay out of ordinary talk. The decoder is
asked after every piece of audio, so a spot is reported a few frames after the
phrase ends, not at the end of the stretch.

pocketsphinx's own log would hold its hypotheses (what was said): it is sent to
the null device, and nothing here logs more than step ids and times."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from calmline.core.levels import Samples
from calmline.core.listening import Spot

MODEL_RATE = 16000
FRAME_S = 0.01  # the decoder's frame
# threshold exponent per phone: a keyphrase of n phones needs score > 1e-(K * n);
# sensitivity 0.5 gives K_MID, each 0.1 of sensitivity moves it by K_STEP
K_MID = 1.0
K_STEP = 0.12
MIN_EXP, MAX_EXP = 2.0, 80.0
MAX_VARIANTS = 8  # keyphrases per phrase

# written form -> spoken alternatives (both ways are looked up)
CONTRACTIONS = {
    "i'm": "i am",
    "i'll": "i will",
    "i've": "i have",
    "i'd": "i would",
    "you're": "you are",
    "you'll": "you will",
    "you've": "you have",
    "you'd": "you would",
    "we're": "we are",
    "we'll": "we will",
    "we've": "we have",
    "they're": "they are",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "here's": "here is",
    "what's": "what is",
    "let's": "let us",
    "can't": "cannot",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "won't": "will not",
    "isn't": "is not",
    "wasn't": "was not",
    "aren't": "are not",
    "couldn't": "could not",
    "shouldn't": "should not",
    "wouldn't": "would not",
}
_EXPANDED = {v: k for k, v in CONTRACTIONS.items()}
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


class ModelProblem(Exception):
    """The model folder is missing or unusable; the message names the folder,
    what is missing and the fix."""


@dataclass(frozen=True)
class Model:
    folder: Path  # what was configured (or the bundled model's folder)
    hmm: Path  # the acoustic model folder
    dictionary: Path
    bundled: bool

    @property
    def name(self) -> str:
        return self.hmm.name


_HMM_FILES = ("mdef", "means", "variances", "transition_matrices")


def find_model(model_dir: Path | None = None) -> Model:
    """The acoustic model and dictionary: the bundled US-English ones, or those
    in ``model_dir`` (an acoustic model folder, or a folder holding one, and a
    .dict file). Raises ModelProblem saying what is missing."""
    if model_dir is None:
        from pocketsphinx import get_model_path  # type: ignore[import-untyped]

        root = Path(get_model_path()) / "en-us"
        return Model(root, root / "en-us", root / "cmudict-en-us.dict", True)
    folder = Path(model_dir).expanduser()
    fix = (
        "set [listening] model_dir to a folder holding a pocketsphinx acoustic model "
        "(mdef, means, variances, transition_matrices, mixture_weights or sendump) and "
        "its pronunciation dictionary (a .dict file), or leave it empty for US English"
    )
    if not folder.is_dir():
        raise ModelProblem(f"{folder}: no such folder — {fix}")
    candidates = [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]
    hmm = next((c for c in candidates if (c / "mdef").is_file()), None)
    if hmm is None:
        raise ModelProblem(f"{folder}: no acoustic model (no mdef file in it or below) — {fix}")
    missing = [f for f in _HMM_FILES if not (hmm / f).is_file()]
    if not ((hmm / "mixture_weights").is_file() or (hmm / "sendump").is_file()):
        missing.append("mixture_weights or sendump")
    if missing:
        raise ModelProblem(f"{hmm}: the acoustic model lacks {', '.join(missing)} — {fix}")
    dicts = sorted(p for c in (folder, hmm) for p in c.glob("*.dict") if p.is_file())
    dicts = [p for p in dicts if p.name != "noisedict"]
    if not dicts:
        raise ModelProblem(f"{folder}: no pronunciation dictionary (a .dict file) — {fix}")
    return Model(folder, hmm, dicts[0], False)


def engine_info(model_dir: Path | None = None) -> str:
    """What runs, for doctor: 'pocketsphinx 5.1.1, model en-us (bundled)'."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("pocketsphinx")
    except PackageNotFoundError:
        ver = "(version unknown)"
    model = find_model(model_dir)
    where = "bundled" if model.bundled else str(model.folder)
    return f"pocketsphinx {ver}, model {model.name} ({where})"


def words_of(phrase: str) -> list[str]:
    """A phrase as the dictionary's words: lower case, no punctuation, apostrophes kept."""
    text = phrase.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.findall(text)


def variants(phrase: str) -> list[str]:
    """The phrase's spoken forms: each contraction said whole or short, the
    phrase as written first; at most MAX_VARIANTS."""
    words = words_of(phrase)
    forms: list[list[str]] = [[]]
    i = 0
    while i < len(words):
        w = words[i]
        pair = " ".join(words[i : i + 2])
        if w in CONTRACTIONS:
            alts, i = [[w], CONTRACTIONS[w].split()], i + 1
        elif pair in _EXPANDED:
            alts, i = [pair.split(), [_EXPANDED[pair]]], i + 2
        else:
            alts, i = [[w]], i + 1
        forms = [f + a for f in forms for a in alts][:MAX_VARIANTS]
    out: list[str] = []
    for f in forms:
        text = " ".join(f)
        if text and text not in out:
            out.append(text)
    return out


def _dictionary_words(path: Path, wanted: set[str]) -> set[str]:
    """Which of ``wanted`` the dictionary has (alternates such as word(2) count)."""
    found: set[str] = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            head = line.split(maxsplit=1)[0] if line.strip() else ""
            word = head.split("(", 1)[0]
            if word in wanted:
                found.add(word)
    return found


def unknown_words(phrases: Sequence[str], model_dir: Path | None = None) -> list[str]:
    """The words of ``phrases`` the model's dictionary lacks (playbook validate
    names them); each once, in order."""
    model = find_model(model_dir)
    wanted = [w for p in phrases for v in variants(p) for w in v.split()]
    known = _dictionary_words(model.dictionary, set(wanted))
    out: list[str] = []
    for p in phrases:
        for w in words_of(p):
            if w not in known and w not in out and not _said_other_way(w, known):
                out.append(w)
    return out


def _said_other_way(word: str, known: set[str]) -> bool:
    """A contraction missing from the dictionary is still heard in full."""
    full = CONTRACTIONS.get(word)
    return full is not None and all(w in known for w in full.split())


def threshold_exp(phones: int, sensitivity: float) -> float:
    """The keyphrase threshold's exponent (score > 10**-exp) for ``phones`` phones."""
    k = K_MID + (sensitivity - 0.5) * 10 * K_STEP
    return min(MAX_EXP, max(MIN_EXP, k * phones))


@dataclass(frozen=True)
class _Key:
    step: str
    phrase: str
    text: str  # the keyphrase as the decoder reports it
    phones: int


class Spotter:
    """One decoder for one table of phrases (making it costs ~0.4 s: once per
    playbook, not per stretch). Fed stretches of the agent's speech."""

    def __init__(
        self,
        phrases: Mapping[str, Sequence[str]],
        rate: int,
        sensitivity: float = 0.5,
        model_dir: Path | None = None,
    ) -> None:
        from pocketsphinx import Decoder  # type: ignore[import-untyped]

        self.rate = rate
        self.sensitivity = min(1.0, max(0.0, sensitivity))
        self.model = find_model(model_dir)
        self.skipped: list[tuple[str, str]] = []  # (step, phrase) with words the model lacks
        self._decoder = Decoder(
            hmm=str(self.model.hmm),
            dict=str(self.model.dictionary),
            samprate=MODEL_RATE,
            loglevel="FATAL",
            logfn=os.devnull,
            kws_threshold=1.0,
        )
        self.keys = self._keys(phrases)
        self._by_text = {k.text: k for k in self.keys}
        if self.keys:
            self._load_keys()
        self._resampler = _Resampler(rate)
        self._t0 = 0.0  # stream time of the stretch's first sample
        self._fed = 0  # samples at `rate` fed in this stretch
        self._seen = 0  # detections already reported in this utterance
        self._open = False

    def _keys(self, phrases: Mapping[str, Sequence[str]]) -> list[_Key]:
        keys: list[_Key] = []
        for step, texts in phrases.items():
            for phrase in texts:
                forms: list[tuple[str, int]] = []
                for v in variants(phrase):
                    phones = [self._decoder.lookup_word(w) for w in v.split()]
                    if all(phones):
                        forms.append((v, sum(len(p.split()) for p in phones if p)))
                if not forms:
                    self.skipped.append((step, phrase))
                    continue
                keys.extend(_Key(step, phrase, v, n) for v, n in forms)
        return keys

    def _load_keys(self) -> None:
        lines = "".join(
            f"{k.text} /1e-{threshold_exp(k.phones, self.sensitivity):.0f}/\n" for k in self.keys
        )
        fd, name = tempfile.mkstemp(suffix=".kws", prefix="calmline-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(lines)
            self._decoder.add_kws("heard", name)
        finally:
            os.unlink(name)
        self._decoder.activate_search("heard")

    @property
    def open(self) -> bool:
        """A stretch is under way."""
        return self._open

    def begin(self, t_s: float) -> None:
        """A stretch of speech starts at stream time ``t_s``."""
        if self._open:
            self.end()
        self._t0, self._fed, self._seen = t_s, 0, 0
        self._resampler.reset()
        if self.keys:
            self._decoder.start_utt()
        self._open = True

    def feed(self, samples: Samples) -> list[Spot]:
        """Float mono samples at ``rate`` (the stretch goes on); the spots found so far."""
        if not self._open:
            self.begin(0.0)
        self._fed += len(samples)
        if not self.keys:
            return []
        pcm = self._resampler.pcm16(samples)
        if len(pcm):
            self._decoder.process_raw(pcm.tobytes(), False, False)
        return self._new_spots()

    def end(self) -> list[Spot]:
        """The stretch is over: the last spots."""
        if not self._open:
            return []
        self._open = False
        if not self.keys:
            return []
        pcm = self._resampler.flush()
        if len(pcm):
            self._decoder.process_raw(pcm.tobytes(), False, False)
        self._decoder.end_utt()
        return self._new_spots()

    def _new_spots(self) -> list[Spot]:
        segs = list(self._decoder.seg() or ())
        if len(segs) <= self._seen:
            return []
        now = self._t0 + self._fed / self.rate
        out: list[Spot] = []
        for seg in segs[self._seen :]:
            key = self._by_text.get(seg.word.strip())
            if key is None:
                continue
            start = self._t0 + seg.start_frame * FRAME_S
            end = self._t0 + (seg.end_frame + 1) * FRAME_S
            if any(s.step == key.step and s.start_s < end and start < s.end_s for s in out):
                continue  # two forms of one phrase over the same speech
            out.append(Spot(key.step, key.phrase, round(start, 3), round(end, 3), round(now, 3)))
        self._seen = len(segs)
        return out


class _Resampler:
    """The capture's rate to the model's 16 kHz, in pieces (python-soxr's stream),
    as 16-bit samples."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._stream: Any = None  # soxr.ResampleStream (soxr ships no types)
        self.reset()

    def reset(self) -> None:
        if self.rate == MODEL_RATE:
            self._stream = None
            return
        import soxr  # type: ignore[import-untyped]

        self._stream = soxr.ResampleStream(self.rate, MODEL_RATE, 1, dtype="float32")

    def _pcm(self, x: Samples) -> npt.NDArray[np.int16]:
        return (np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)

    def pcm16(self, samples: Samples) -> npt.NDArray[np.int16]:
        x = np.asarray(samples, dtype=np.float32)
        if self._stream is not None:
            x = self._stream.resample_chunk(x)
        return self._pcm(x)

    def flush(self) -> npt.NDArray[np.int16]:
        if self._stream is None:
            return np.zeros(0, dtype=np.int16)
        x = self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        return self._pcm(x)
