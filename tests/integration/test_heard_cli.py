"""Heard steps at the command line: `playbook validate` names a listen_for word
the recogniser cannot hear, and `doctor` says which engine and model listen."""

from __future__ import annotations

import os
from pathlib import Path

from tests.apps import calmline

PLAYBOOK = """[playbook]
id = "t"
[[steps]]
id = "a"
phase = "open"
kind = "once"
title = "T"
why = "W"
phrases = ["x"]
listen_for = ["i hear you", "the flibbertygibbet says"]
"""


def test_validate_names_a_word_the_dictionary_lacks(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "pb.toml"
    path.write_text(PLAYBOOK)
    out = calmline("playbook", "validate", str(path), env=dict(os.environ))
    assert out.returncode == 1
    assert out.stdout.startswith(
        f"{path}:10: step 'a' field 'listen_for': 'flibbertygibbet' is not in the "
        "recogniser's dictionary, so that phrase is never heard — use other words"
    )
    path.write_text(PLAYBOOK.replace("flibbertygibbet", "caller"))
    assert calmline("playbook", "validate", str(path), env=dict(os.environ)).returncode == 0


def test_doctor_says_which_engine_listens_and_fails_a_broken_model_folder(home: Path) -> None:
    out = calmline("doctor", env=dict(os.environ)).stdout
    line = next(ln for ln in out.splitlines() if "listening:" in ln)
    assert line.startswith("  [pass] listening: pocketsphinx 5.1.1, model en-us (bundled)")
    assert "nothing said is kept" in line
    empty = home / "no-model"
    empty.mkdir()
    (home / "config.toml").write_text(f'[listening]\nmodel_folder = "{empty}"\n')
    out = calmline("doctor", env=dict(os.environ)).stdout
    line = next(ln for ln in out.splitlines() if "listening:" in ln)
    assert line.startswith(f"  [FAIL] listening: {empty}"), line
    (home / "config.toml").write_text("[listening]\nenabled = false\n")
    out = calmline("doctor", env=dict(os.environ)).stdout
    assert "  [pass] listening: off: listening.enabled is off" in out
