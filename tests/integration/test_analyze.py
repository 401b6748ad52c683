"""`calmline analyze` against sox on real speech from espeak-ng."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.apps import calmline

TEXT = (
    "I can hear how frustrating this has been, and I am sorry it happened. "
    "Let me look at your account now, and we will put it right together."
)


def sox_stats(path: Path) -> tuple[float, float]:
    out = subprocess.run(["sox", str(path), "-n", "stats"], capture_output=True, text=True).stderr
    rms = float(re.search(r"RMS lev dB\s+(-?[\d.]+)", out).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Pk lev dB\s+(-?[\d.]+)", out).group(1))  # type: ignore[union-attr]
    return rms, peak


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), TEXT], check=True)
    return path


@pytest.mark.parametrize(
    ("rate", "bits", "channels", "gain"),
    [(8000, 16, 1, -12), (16000, 24, 1, -3), (44100, 16, 2, -20), (48000, 24, 2, 0)],
)
def test_levels_agree_with_sox(
    speech: Path, tmp_path: Path, home: Path, rate: int, bits: int, channels: int, gain: int
) -> None:
    wav = tmp_path / f"call-{rate}-{bits}-{channels}.wav"
    subprocess.run(
        [
            "sox",
            str(speech),
            "-r",
            str(rate),
            "-b",
            str(bits),
            "-c",
            str(channels),
            str(wav),
            "vol",
            f"{gain}dB",
        ],
        check=True,
    )
    first = tmp_path / "first.wav"  # sox on the first channel only, as Calmline reads it
    subprocess.run(["sox", str(wav), str(first), "remix", "1"], check=True)
    rms, peak = sox_stats(first)
    res = calmline("analyze", str(wav), "--json", env=dict(os.environ))
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["sample_rate"] == rate
    assert doc["rms_dbfs"] == pytest.approx(rms, abs=0.05)
    assert doc["peak_dbfs"] == pytest.approx(peak, abs=0.05)
    assert 0.5 < doc["talk_share"] <= 1.0 and doc["speech_s"] > 3
    assert len(doc["windows"]) == pytest.approx(doc["duration_s"] * 10, abs=1)
    assert set(doc["windows"][0]) == {"t", "rms_dbfs", "peak_dbfs", "speech"}


def test_a_raised_passage_is_found_in_a_recording(speech: Path, tmp_path: Path) -> None:
    calm = tmp_path / "calm.wav"
    loud = tmp_path / "loud.wav"
    subprocess.run(["sox", str(speech), "-r", "16000", str(calm), "vol", "-15dB"], check=True)
    subprocess.run(["sox", str(speech), "-r", "16000", str(loud), "vol", "-6dB"], check=True)
    call = tmp_path / "call.wav"
    subprocess.run(
        ["sox", str(calm), str(calm), str(calm), str(calm), str(loud), str(calm), str(call)],
        check=True,
    )
    res = calmline("analyze", str(call), "--json", env=dict(os.environ))
    doc = json.loads(res.stdout)
    raised = [c for c in doc["cues"] if c["kind"] == "raised_voice"]
    assert doc["baseline_dbfs"] is not None
    length = doc["duration_s"] / 6  # the loud part is the fifth of six equal parts
    assert len(raised) == 1, doc["cues"]
    assert 4 * length - 0.5 <= raised[0]["start_s"] <= 5 * length
    assert 6 <= raised[0]["max_over_baseline_db"] <= 12
    human = calmline("analyze", str(call), env=dict(os.environ)).stdout
    assert "cue     raised_voice" in human and "calm baseline" in human


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"", "not a PCM WAV file (empty file)"), (b"hello", "not a PCM WAV")],
)
def test_bad_files_are_one_clear_line_and_exit_2(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "x.wav"
    if content is not None:
        path.write_bytes(content)
    res = calmline("analyze", str(path), env=dict(os.environ))
    assert res.returncode == 2
    assert res.stderr.startswith(f"calmline: {path}: {message}") and res.stderr.count("\n") == 1


def test_analysis_in_pieces_is_the_analysis_of_the_whole() -> None:
    # `calmline analyze` feeds blocks as it reads them: whatever the pieces, the
    # figures, cues and windows must be those of the whole recording at once.
    import numpy as np

    from calmline.core.analysis import Analyzer, analyze_samples
    from calmline.core.cues import CueParams

    rate = 16000
    rng = np.random.default_rng(3)
    t = np.arange(rate * 70 + 123) / rate
    talk = (np.sin(t * 0.7) > 0.2) * (np.sin(t * 9) > 0) + 2.0 * ((t > 40) & (t < 48))
    mic = rng.normal(0, 1, len(t)) * (0.01 + 0.15 * talk)
    caller = rng.normal(0, 0.05, len(t) - 5000) * (np.sin(t[:-5000] * 2) > 0.6)
    whole = analyze_samples(mic, rate, CueParams(), "x.wav", caller=caller)
    run = Analyzer(rate, CueParams(), "x.wav", caller_channel=True)
    at, sizes = 0, [1, 7, 159, 1600, 33_333]
    while at < len(mic):
        size = sizes[at % len(sizes)]
        run.feed(mic[at : at + size], caller[at : at + size])
        at += size
    parts = run.finish()
    assert list(parts.windows) == list(whole.windows) and len(whole.windows) == 701
    assert parts.cues == whole.cues and whole.cues
    for name in ("duration_s", "rms_dbfs", "peak_dbfs", "speech_s", "talk_share", "baseline_dbfs"):
        assert getattr(parts, name) == getattr(whole, name), name


@pytest.fixture(scope="module")
def said(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A natural voice (flite's slt) saying a phrase of two steps, ordinary talk between."""
    d = tmp_path_factory.mktemp("said")
    text = (
        "Good afternoon, let me bring up the order for you. I understand how frustrating "
        "that must have been. The engineer can come on Thursday morning instead. "
        "Is there anything else I can help you with?"
    )
    subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", str(d / "raw.wav")], check=True)
    subprocess.run(["sox", str(d / "raw.wav"), str(d / "said.wav"), "vol", "-10dB"], check=True)
    return d / "said.wav"


def test_analyze_lists_the_steps_heard_with_the_times_of_the_speech(said: Path, home: Path) -> None:
    out = calmline("analyze", str(said), "--json", env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    heard = json.loads(out.stdout)["heard"]
    assert [h["step"] for h in heard] == ["empathise", "anything-else"], heard
    empathy, anything = heard
    assert 2.0 < empathy["start_s"] < empathy["end_s"] < 6.0
    assert anything["start_s"] > empathy["end_s"] + 2.0
    text = calmline("analyze", str(said), env=dict(os.environ)).stdout
    assert "heard   empathise" in text and "heard   anything-else" in text


def test_analyze_listens_for_the_playbook_it_is_given(
    said: Path, tmp_path: Path, home: Path
) -> None:
    custom = tmp_path / "engineer.toml"
    custom.write_text(
        '[playbook]\nid = "visits"\n[[steps]]\nid = "book-visit"\nphase = "solve"\n'
        'kind = "once"\ntitle = "Book the visit"\nwhy = "So it is fixed."\n'
        'phrases = ["The engineer can come on ..."]\nlisten_for = ["the engineer can come"]\n'
    )
    out = calmline("analyze", str(said), "--json", "--playbook", str(custom), env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert [h["step"] for h in json.loads(out.stdout)["heard"]] == ["book-visit"]
    custom.write_text(custom.read_text().replace('"the engineer can come"', '"call in 2 days"'))
    bad = calmline("analyze", str(said), "--json", "--playbook", str(custom), env=dict(os.environ))
    assert bad.returncode == 1 and bad.stdout == ""
    assert f"{custom}:10: step 'book-visit' field 'listen_for'" in bad.stderr
