"""The recogniser on real speech: two flite voices say two of the playbook's
phrases among ordinary talk, and exactly those steps are heard, near where the
phrases were said; words the model lacks are named; a bad model folder says
what is missing."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
import soxr

from calmline.audio.heard import heard_in
from calmline.audio.spotter import ModelProblem, Spotter, engine_info, find_model, unknown_words

pytestmark = pytest.mark.skipif(not shutil.which("flite"), reason="flite is not installed")

PHRASES = {
    "apologise": ("I'm sorry this has been so frustrating", "I apologise for the trouble"),
    "empathise": ("I can imagine how upsetting that was",),
    "anything-else": ("is there anything else I can help you with",),
    "make-amends": ("I'd like to add a credit to your account",),
    "thanks": ("thank you for your patience",),
}


def say(voice: str, text: str, folder: Path) -> np.ndarray:
    """flite's rendering of ``text`` at 16 kHz, as floats around -20 dBFS."""
    out = folder / f"{voice}-{abs(hash(text))}.wav"
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(out)], check=True)
    with wave.open(str(out)) as w:
        assert w.getframerate() == 16000
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16) / 32768.0
    power = np.mean(x[: len(x) // 160 * 160].reshape(-1, 160) ** 2, axis=1)
    loud = np.flatnonzero(power > power.max() * 1e-4)  # within 40 dB of the loudest block
    x = x[loud[0] * 160 : (loud[-1] + 1) * 160]  # flite's own silence around the words
    return x * (0.1 / max(1e-9, float(np.sqrt(np.mean(x * x)))))


def call(voice: str, parts: list[tuple[str, str | None]], folder: Path) -> tuple[np.ndarray, dict]:
    """The parts one after another with short pauses, over a faint noise floor;
    where each phrase (its step) lies in the result."""
    rng = np.random.default_rng(7)
    pause = np.zeros(int(0.6 * 16000))
    pieces, where, t = [np.zeros(16000)], {}, 1.0
    for text, step in parts:
        x = say(voice, text, folder)
        if step:
            where[step] = (t, t + len(x) / 16000)
        pieces += [x, pause]
        t += (len(x) + len(pause)) / 16000
    y = np.concatenate([*pieces, np.zeros(16000)])
    return (y + rng.normal(0, 3e-4, len(y))).astype(np.float32), where


CALLS = {
    "slt": [
        ("Okay, let me pull up the order on my screen.", None),
        ("I'm sorry this has been so frustrating.", "apologise"),
        ("The parcel left the depot on Monday and it should reach you on Thursday.", None),
        ("Is there anything else I can help you with?", "anything-else"),
    ],
    "awb": [
        ("Right, I can see the account here, and the last payment was in March.", None),
        ("I can imagine how upsetting that was.", "empathise"),
        ("We will send the replacement by courier so you do not have to wait.", None),
        ("Thank you for your patience.", "thanks"),
    ],
}


@pytest.fixture(scope="module")
def spotter16() -> Spotter:
    return Spotter(PHRASES, 16000)


@pytest.mark.parametrize("voice", sorted(CALLS))
def test_exactly_the_said_phrases_are_heard(voice: str, spotter16: Spotter, tmp_path: Path) -> None:
    x, where = call(voice, CALLS[voice], tmp_path)
    spots = heard_in(x, 16000, PHRASES, spotter=spotter16)
    assert sorted(s.step for s in spots) == sorted(where)
    for s in spots:
        start, end = where[s.step]
        assert s.start_s == pytest.approx(start, abs=0.4)
        assert s.end_s == pytest.approx(end, abs=0.4)
        assert 0.0 <= s.at_s - s.end_s <= 1.0  # ticked within a second of the phrase's end
        assert s.phrase in PHRASES[s.step]


def test_a_48_khz_capture_is_heard_the_same(tmp_path: Path) -> None:
    x, where = call("slt", CALLS["slt"], tmp_path)
    x48 = soxr.resample(x, 16000, 48000).astype(np.float32)
    spots = heard_in(x48, 48000, PHRASES)
    assert sorted(s.step for s in spots) == sorted(where)
    for s in spots:
        assert s.end_s == pytest.approx(where[s.step][1], abs=0.4)


def test_ordinary_talk_ticks_nothing(spotter16: Spotter, tmp_path: Path) -> None:
    talk = [
        ("Can you confirm the first line of your address for me?", None),
        ("I am just checking whether the engineer has been booked.", None),
        ("It looks as if the payment went through on the second.", None),
    ]
    x, _ = call("awb", talk, tmp_path)
    assert heard_in(x, 16000, PHRASES, spotter=spotter16) == []


def test_silence_feeds_the_recogniser_nothing(spotter16: Spotter) -> None:
    from calmline.audio.heard import HeardRun

    run = HeardRun(spotter16)
    noise = np.random.default_rng(1).normal(0, 3e-4, 16000 * 5).astype(np.float32)
    run.feed_blocks(noise.reshape(-1, 160))
    assert run.finish() == [] and run.gated_blocks == 0


def test_words_the_dictionary_lacks_are_named() -> None:
    assert unknown_words(["I'm sorry, Flibbertigibbet", "Zxqv and zxqv"]) == [
        "flibbertigibbet",
        "zxqv",
    ]
    assert unknown_words(["is there anything else"]) == []


def test_a_phrase_with_unknown_words_is_skipped_not_fatal() -> None:
    s = Spotter({"a": ("I'm sorry",), "b": ("zxqv zxqv",)}, 16000)
    assert s.skipped == [("b", "zxqv zxqv")]
    assert {k.step for k in s.keys} == {"a"}


def test_a_bad_model_folder_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelProblem, match="no such folder"):
        find_model(tmp_path / "nowhere")
    with pytest.raises(ModelProblem, match="no acoustic model"):
        find_model(tmp_path)
    bundled = find_model()
    half = tmp_path / "de-de"
    half.mkdir()
    shutil.copy(bundled.hmm / "mdef", half / "mdef")
    with pytest.raises(ModelProblem, match=r"lacks means, variances, transition_matrices"):
        Spotter({"a": ("hello",)}, 16000, model_dir=tmp_path / "de-de")
    for f in bundled.hmm.iterdir():
        shutil.copy(f, half / f.name)
    with pytest.raises(ModelProblem, match=r"no pronunciation dictionary \(a \.dict file\)"):
        find_model(half)
    shutil.copy(bundled.dictionary, half / "de.dict")
    assert find_model(half).dictionary == half / "de.dict"
    assert engine_info(half).endswith(f"model de-de ({half})")


def test_engine_info_names_engine_and_model() -> None:
    from importlib.metadata import version

    assert engine_info() == f"pocketsphinx {version('pocketsphinx')}, model en-us (bundled)"


def test_the_decoder_logs_nothing(tmp_path: Path) -> None:
    """pocketsphinx's log would carry its hypotheses: not a byte reaches stderr."""
    script = (
        "import numpy as np\n"
        "from calmline.audio.spotter import Spotter\n"
        "s = Spotter({'a': ('thank you',)}, 16000)\n"
        "s.begin(0.0)\n"
        "s.feed(np.random.default_rng(0).normal(0, 0.1, 32000).astype(np.float32))\n"
        "s.end()\n"
    )
    import sys

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""


def test_each_pronunciation_is_listened_for() -> None:
    """Keyword spotting follows one pronunciation per word: "can" said K AH N
    needs a keyphrase of its own. A short phrase keeps its first: "i'm sorry"
    said AH M S AA R IY matched "um, sorry?" in ordinary talk."""
    s = Spotter({"a": ("what i can do",), "b": ("i'm sorry",)}, 16000)
    texts = {k.text for k in s.keys}
    assert {"what i can do", "what i can(2) do"} <= texts
    assert {"i'm sorry", "i am sorry", "i'm really sorry"} <= texts
    assert "i'm(2) sorry" not in texts


def test_longer_phrases_need_less_and_sensitivity_moves_every_threshold() -> None:
    from calmline.audio.spotter import threshold

    assert threshold(6, 0.5) > threshold(10, 0.5) > threshold(16, 0.5)
    assert threshold(10, 1.0) < threshold(10, 0.5) < threshold(10, 0.0)
