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
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from calmline.core.levels import Samples
from calmline.core.listening import CONTRACTIONS, Spot, phrase_forms, words_of

MODEL_RATE = 16000
FRAME_S = 0.01  # the decoder's frame
CHECK_S = 0.05  # how often the decoder is asked for what it has spotted
MAX_SAID = 4  # pronunciations of one written form listened for
# ... when it has this many phones: "i'm sorry" said AH M S AA R IY matched
# "um, sorry?" ten times in the heard-steps set's ordinary talk
ALT_PHONES = 9
# A keyphrase is spotted when its path beats the best free phone path by a
# threshold, in decades (pocketsphinx's /1e+N/). Short keyphrases are matched by
# chance in ordinary talk all the time; a phrase of 13 phones or more hardly ever
# is. So the threshold falls with the phrase's length in phones, from strict to
# lenient: AT_ZERO - PER_PHONE * phones, never under LENIENT; sensitivity moves it
# by up to SENSITIVITY_DECADES either way. Tuned on the heard-steps set (7.2 h):
# at 20, 23 and 26 ordinary talk ticked 8.6, 4.3 and 2.3 times an hour, clean
# 16 kHz recall 0.69, 0.66 and 0.65; 26 is the default (sensitivity 0.5).
AT_ZERO = 26.0
PER_PHONE = 3.0
LENIENT = -30.0
SENSITIVITY_DECADES = 15.0


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


def lexicon(path: Path, wanted: set[str]) -> dict[str, list[str]]:
    """The pronunciations of ``wanted`` in the dictionary at ``path``, each
    word's in the dictionary's order (``word``, ``word(2)``, ...). Reading only
    these keeps the decoder small: the whole US-English dictionary costs ~20 MB
    and ~0.1 s."""
    found: dict[str, list[str]] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            head, _, phones = line.strip().partition(" ")
            word = head.split("(", 1)[0]
            if word not in wanted:
                continue
            phones = " ".join(phones.split("#", 1)[0].split())
            if phones and phones not in found.setdefault(word, []):
                found[word].append(phones)
    return {w: p for w, p in found.items() if p}


def said_forms(text: str, words: Mapping[str, list[str]]) -> list[tuple[str, int]]:
    """The keyphrases of one written form: its words in each pronunciation the
    dictionary gives (keyword spotting follows one pronunciation per word, and
    "can" said K AH N is not K AE N), as (keyphrase, phones); the first
    pronunciations first, then those changing the fewest words, at most
    MAX_SAID of them (a form shorter than ALT_PHONES: its first only)."""
    ws = text.split()
    first = sum(len(words[w][0].split()) for w in ws)
    if first < ALT_PHONES:  # short: an alternate only adds chances to match by chance
        return [(text, first)]
    choices: list[list[int]] = [[]]
    for w in ws:
        choices = [[*c, i] for c in choices for i in range(len(words[w]))]
        choices.sort(key=lambda c: (sum(i > 0 for i in c), sum(c)))
        del choices[MAX_SAID:]
    out = []
    for c in choices:
        key = " ".join(w if i == 0 else f"{w}({i + 1})" for w, i in zip(ws, c, strict=True))
        out.append((key, sum(len(words[w][i].split()) for w, i in zip(ws, c, strict=True))))
    return out


def unknown_words(phrases: Sequence[str], model_dir: Path | None = None) -> list[str]:
    """The words of ``phrases`` the model's dictionary lacks (playbook validate
    names them); each once, in order. A contraction the dictionary lacks is not
    one of them when its whole form is there: it is heard that way."""
    model = find_model(model_dir)
    wanted = {w for p in phrases for f in phrase_forms(p) for w in f.split()}
    known = lexicon(model.dictionary, wanted)
    out: list[str] = []
    for p in phrases:
        for w in words_of(p):
            full = CONTRACTIONS.get(w, "").split()
            heard = w in known or (full and all(x in known for x in full))
            if not heard and w not in out:
                out.append(w)
    return out


def threshold(phones: int, sensitivity: float) -> float:
    """The threshold for a keyphrase of ``phones`` phones, in decades: it is
    spotted when its path beats the free phone path by 10**threshold."""
    base = max(LENIENT, AT_ZERO - PER_PHONE * phones)
    return base - (sensitivity - 0.5) * 2 * SENSITIVITY_DECADES


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
            dict=None,  # only the phrases' words, added below
            lm=None,
            samprate=MODEL_RATE,
            loglevel="FATAL",
            logfn=os.devnull,
        )
        self.keys = self._keys(phrases)
        self._by_text = {k.text: k for k in self.keys}
        if self.keys:
            self._load_keys()
        self._resampler = _Resampler(rate)
        self._t0 = 0.0  # stream time of the stretch's first sample
        self._fed = 0  # samples at `rate` fed in this stretch
        self._told: list[Spot] = []  # reported in this stretch
        # the decoder is asked for its detections every CHECK_S of audio (the live
        # worker feeds each 10 ms block; asking each time would cost more than decoding)
        self._check_every = max(1, round(CHECK_S * rate))
        self._next_check = 0
        self._open = False

    def _keys(self, phrases: Mapping[str, Sequence[str]]) -> list[_Key]:
        """Each phrase's forms whose words the dictionary has, the words added
        to the decoder; a phrase with no such form is skipped (and listed)."""
        forms = {p: phrase_forms(p) for texts in phrases.values() for p in texts}
        wanted = {w for fs in forms.values() for f in fs for w in f.split()}
        words = lexicon(self.model.dictionary, wanted)
        for w, prons in words.items():
            for i, phones in enumerate(prons):
                self._decoder.add_word(w if i == 0 else f"{w}({i + 1})", phones, False)
        keys: list[_Key] = []
        taken: set[str] = set()
        for step, texts in phrases.items():
            for phrase in texts:
                usable = [f for f in forms[phrase] if all(w in words for w in f.split())]
                if not usable:
                    self.skipped.append((step, phrase))
                for f in usable:
                    for key, n in said_forms(f, words):
                        if key not in taken:  # one form, one step (validate refuses twins)
                            taken.add(key)
                            keys.append(_Key(step, phrase, key, n))
        return keys

    def _load_keys(self) -> None:
        lines = "".join(
            f"{k.text} /{10.0 ** threshold(k.phones, self.sensitivity):.4e}/\n" for k in self.keys
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
        self._t0, self._fed, self._next_check = t_s, 0, 0
        self._told.clear()
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
        if self._fed < self._next_check:
            return []
        self._next_check = self._fed + self._check_every
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
        """Detections the decoder has settled (kws_delay frames old) that were
        not reported yet. A settled detection can still grow while the phrase's
        end is being matched better, so each is known by its step and where it
        lies, not by its place in the list."""
        out: list[Spot] = []
        now = round(self._t0 + self._fed / self.rate, 3)
        for seg in self._decoder.seg() or ():
            key = self._by_text.get(seg.word.strip())
            if key is None:
                continue
            start = round(self._t0 + seg.start_frame * FRAME_S, 3)
            end = round(self._t0 + (seg.end_frame + 1) * FRAME_S, 3)
            if any(s.step == key.step and s.start_s < end and start < s.end_s for s in self._told):
                continue  # this speech, for this step, was reported (maybe in another form)
            spot = Spot(key.step, key.phrase, start, end, now)
            self._told.append(spot)
            out.append(spot)
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
