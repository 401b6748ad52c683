"""What IT deploys, short of building it (tests/integration/test_installers.py builds):
policy files read as the app reads policy, the macOS plists, the shell scripts, the
login item's gate, the self-test from a source checkout, and the deployment guide."""

from __future__ import annotations

import io
import plistlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from calmline import BUNDLE_ID
from calmline.cli import main
from calmline.cli.selftest import self_test
from calmline.context import Context
from calmline.core.devices import InputDevice
from calmline.core.settings import LayerName
from calmline.platform.policy import MacPlistPolicy, registry_layer
from calmline.platform.policy_files import ProfilePolicy, RegFilePolicy, policy_from_file

ROOT = Path(__file__).resolve().parents[2]
MACOS = ROOT / "installers" / "macos"
PROFILE = MACOS / "com.calmline.Calmline.example.mobileconfig"

REG = """Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\\Software\\Policies\\Calmline]
"retention_days"=dword:0000003c
"start_at_login"="1"
"agent_id"=""

[HKEY_LOCAL_MACHINE\\Software\\Policies\\Calmline\\sync]
"target"="\\\\\\\\files\\\\calmline \\"team\\""
"interval_minutes"=""

[HKEY_LOCAL_MACHINE\\Software\\Policies\\Calmline\\hotkeys]
"next_step"="off"
"""


def test_reg_export_in_utf16_is_the_policy_layer(tmp_path: Path) -> None:
    path = tmp_path / "policy.reg"
    path.write_bytes(REG.replace("\n", "\r\n").encode("utf-16"))  # as reg export writes
    layer = RegFilePolicy(path).read()
    assert layer is not None and layer.name is LayerName.POLICY
    assert layer.problems == ()
    assert layer.values == {
        "retention_days": 60,
        "start_at_login": True,
        "sync.target": '\\\\files\\calmline "team"',
        "hotkeys.next_step": "",  # "off": IT turned that hotkey off
    }  # empty values (agent_id, interval_minutes) are not managed


def test_reg_file_problems_name_line_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "policy.reg"
    path.write_text(
        "Windows Registry Editor Version 5.00\n\n"
        "[HKEY_LOCAL_MACHINE\\Software\\Other]\n"
        '"x"="y"\n'
        "[HKEY_LOCAL_MACHINE\\Software\\Policies\\Calmline]\n"
        '"retention_days"=hex:01,02\n'
        '"cues"="loud"\n',
        encoding="utf-8",
    )
    layer = RegFilePolicy(path).read()
    assert layer is not None and layer.values == {}
    text = [str(p) for p in layer.problems]
    assert any(f"{path}:3" in t and "not Calmline's policy key" in t for t in text), text
    assert any(f"{path}:4" in t and "not understood" in t for t in text), text
    assert any(f"{path}:6" in t and "retention_days" in t and "REG_DWORD" in t for t in text)
    assert any("cues" in t for t in text)  # a table given as a value: the settings check


def test_not_a_reg_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.reg"
    path.write_text("[sync]\ntarget = 'x'\n", encoding="utf-8")
    layer = RegFilePolicy(path).read()
    assert layer is not None and "not a registry export" in str(layer.problems[0])
    assert "reg export" in str(layer.problems[0])


def test_registry_empty_values_are_not_managed() -> None:
    layer = registry_layer({"agent_id": "", "sync": {"target": "", "interval_minutes": 5}}, "k")
    assert layer.values == {"sync.interval_minutes": 5}


def test_example_profile_is_what_managed_preferences_would_hold(tmp_path: Path) -> None:
    """The profile's payload, read as a profile and as the plist macOS writes from it."""
    from_profile = ProfilePolicy(PROFILE).read()
    assert from_profile is not None and from_profile.problems == ()
    assert from_profile.values["sync.target"].startswith("https://")
    assert from_profile.values["start_at_login"] is True
    profile = plistlib.loads(PROFILE.read_bytes())
    payload = next(p for p in profile["PayloadContent"] if p["PayloadType"] == BUNDLE_ID)
    managed = tmp_path / f"{BUNDLE_ID}.plist"
    managed.write_bytes(
        plistlib.dumps({k: v for k, v in payload.items() if not k.startswith("Payload")})
    )
    from_plist = MacPlistPolicy(managed).read()
    assert from_plist is not None and from_plist.values == from_profile.values
    assert profile["PayloadScope"] == "System"
    uuids = [profile["PayloadUUID"], payload["PayloadUUID"]]
    assert len(set(uuids)) == 2


def test_profile_without_our_payload(tmp_path: Path) -> None:
    path = tmp_path / "other.mobileconfig"
    path.write_bytes(plistlib.dumps({"PayloadContent": [{"PayloadType": "com.apple.wifi"}]}))
    layer = ProfilePolicy(path).read()
    assert layer is not None and f"no payload of type {BUNDLE_ID}" in str(layer.problems[0])


def test_policy_file_kinds() -> None:
    assert isinstance(policy_from_file(Path("a.REG")), RegFilePolicy)
    assert isinstance(policy_from_file(Path("a.mobileconfig")), ProfilePolicy)
    assert isinstance(policy_from_file(Path("a.plist")), MacPlistPolicy)
    with pytest.raises(ValueError, match=r"\.reg .*\.mobileconfig .*\.plist"):
        policy_from_file(Path("policy.toml"))


def test_doctor_policy_preview_and_a_wrong_kind(home: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["doctor", "--policy", str(PROFILE)], out=out) in (0, 1)
    source = f"machine policy: {PROFILE} (payload {BUNDLE_ID})"
    assert f"  start_at_login = true  [{source}, locked]" in out.getvalue().splitlines()
    assert main(["doctor", "--policy", str(tmp_path / "x.txt")], out=io.StringIO()) == 1


def test_macos_plists() -> None:
    info = plistlib.loads((MACOS / "Info.plist").read_bytes())
    assert info["CFBundleIdentifier"] == BUNDLE_ID
    assert "recorded" in info["NSMicrophoneUsageDescription"]  # says what happens to audio
    ent = plistlib.loads((MACOS / "entitlements.plist").read_bytes())
    assert ent["com.apple.security.device.audio-input"] is True
    agent = plistlib.loads((MACOS / "com.calmline.Calmline.login.plist").read_bytes())
    assert agent["ProgramArguments"][-1] == "--at-login"
    assert agent["ProgramArguments"][0].startswith("/Applications/Calmline.app/")
    assert agent["RunAtLoad"] is True


def test_shell_scripts_pass_shellcheck() -> None:
    scripts = sorted(ROOT.glob("installers/**/*.sh")) + sorted(ROOT.glob("scripts/*.sh"))
    assert len(scripts) >= 3
    if not shutil.which("shellcheck"):
        pytest.fail("shellcheck is not installed — run `make test`, which installs it")
    run = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


def test_at_login_opens_the_window_only_when_start_at_login(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import calmline.app

    opened: list[bool] = []
    monkeypatch.setattr(calmline.app, "run_app", lambda: opened.append(True) or 0)
    assert main(["--at-login"], out=io.StringIO()) == 0  # off by default: exits at once
    assert opened == []
    (home / "config.toml").write_text("start_at_login = true\n", encoding="utf-8")
    assert main(["--at-login"], out=io.StringIO()) == 0
    assert opened == [True]


def test_self_test_from_source(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    out = io.StringIO()
    mic = [InputDevice(3, "Headset mic", "ALSA", 1, 48000.0, is_default=True)]
    code = self_test(Context.load(), out, list_devices=lambda: mic)
    text = out.getvalue()
    assert code == 0, text
    assert "[pass] audio: 1 input device(s): Headset mic (default)" in text
    assert "[pass] qt: platform offscreen; window drawn" in text
    assert text.rstrip().endswith("self-test passed: 12 of 12 checks")
    assert "[pass] recogniser: pocketsphinx 5.1.1, model en-us (bundled)" in text
    assert "[pass] caller channel: soundcard with " in text
    log = (home / "logs" / "calmline.log").read_text(encoding="utf-8")
    assert "self-test passed" in log
    # The scratch window is gone, not left with timers reading a closed database.
    from PySide6.QtWidgets import QApplication

    from calmline.ui.main_window import CompanionWindow

    left = [w for w in QApplication.topLevelWidgets() if isinstance(w, CompanionWindow)]
    assert left == []


def test_self_test_fails_on_a_broken_playbook(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    (home / "config.toml").write_text(
        f'[playbook]\npath = "{home / "missing.toml"}"\n', encoding="utf-8"
    )
    out = io.StringIO()
    assert self_test(Context.load(), out, list_devices=lambda: []) == 1
    assert "[FAIL] playbook" in out.getvalue()
    assert "self-test failed: playbook" in out.getvalue()


def test_deploying_guide_covers_every_property_and_setting() -> None:
    guide = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
    wxs = (ROOT / "installers" / "windows" / "Calmline.wxs").read_text(encoding="utf-8")
    for prop in re.findall(r'<Property Id="([A-Z_]+)" Secure="yes" />', wxs):
        assert f"`{prop}`" in guide, prop
    from calmline.core.settings import all_keys

    for key in all_keys():
        assert f"`{key}`" in guide, key
    assert "softphones.md" in guide
    assert "calmline doctor" in guide


def test_self_test_audio_fails_only_when_portaudio_is_missing() -> None:
    from calmline.audio.devices import AudioUnavailable, PortAudioMissing
    from calmline.cli.selftest import audio_check

    def missing() -> list[InputDevice]:
        raise PortAudioMissing("the PortAudio library could not be loaded (x)")

    def no_headset() -> list[InputDevice]:
        raise AudioUnavailable("no microphone found: the audio system lists no input device")

    assert not audio_check(missing).ok
    assert audio_check(no_headset).ok
