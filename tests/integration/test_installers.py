"""The deployable artefacts, built for real: the PyInstaller bundle (self-tested frozen,
offscreen and under Xvfb with a virtual microphone), the MSI compiled by wixl from that
bundle (its tables read back with msiinfo), and that MSI installed and removed silently
under wine64, the policy value its property wrote shown by `calmline doctor` as machine
policy."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apps import calmline
from tests.servers import pulseaudio, xvfb

ROOT = Path(__file__).resolve().parents[2]
BUILD_MSI = ROOT / "installers" / "windows" / "build-msi.sh"
WINE = shutil.which("wine64") or "/usr/lib/wine/wine64"
WINESERVER = shutil.which("wineserver") or "/usr/lib/wine/wineserver"
POLICY_KEY = r"HKLM\Software\Policies\Calmline"
# The bundle's log and output must hold none of these.
BAD = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|\bFAIL\b|error:", re.IGNORECASE)

pytestmark = pytest.mark.timeout(600)


def _frozen_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "CALMLINE_"))}
    env.pop("DISPLAY", None)
    return dict(env, CALMLINE_HOME=str(home), **extra)


def _self_test(bundle: Path, env: dict[str, str]) -> str:
    run = subprocess.run(
        [str(bundle / "calmline-cli"), "--self-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = run.stdout + run.stderr
    log = (Path(env["CALMLINE_HOME"]) / "logs" / "calmline.log").read_text(encoding="utf-8")
    assert run.returncode == 0, output + log
    assert "self-test passed" in run.stdout
    assert "[pass] caller channel: soundcard with pulseaudio.py.h" in run.stdout  # bundled
    assert not BAD.search(output), output
    assert not BAD.search(log), log
    return run.stdout


def test_frozen_self_test_offscreen_with_a_microphone(bundle: Path, tmp_path: Path) -> None:
    with pulseaudio() as audio:
        out = _self_test(bundle, _frozen_env(tmp_path, XDG_RUNTIME_DIR=audio["XDG_RUNTIME_DIR"]))
    assert "_internal" in out  # the playbooks came from the bundle, not the checkout
    assert "[pass] qt: platform offscreen" in out
    assert re.search(r"\[pass\] audio: [1-9]\d* input device", out), out
    assert "psycopg binary" in out  # the bundled libpq, not the system's
    assert (tmp_path / "calmline.db").exists()


def test_frozen_self_test_on_an_x_server(bundle: Path, tmp_path: Path) -> None:
    """The xcb platform plugin and the X11 hotkey backend made it into the bundle."""
    with xvfb() as display:
        out = _self_test(bundle, _frozen_env(tmp_path, DISPLAY=display))
    assert "[pass] qt: platform xcb" in out
    assert "[pass] hotkeys: via X11 (XGrabKey); quick note: Ctrl+Shift+F8" in out


def test_frozen_self_test_reports_a_broken_bundle(bundle: Path, tmp_path: Path) -> None:
    """A bundle missing its playbooks fails loudly, naming what is missing."""
    broken = tmp_path / "broken"
    shutil.copytree(bundle, broken, symlinks=True, copy_function=os.link)
    shutil.rmtree(broken / "_internal" / "resources" / "playbooks")
    run = subprocess.run(
        [str(broken / "calmline-cli"), "--self-test"],
        env=_frozen_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert "[FAIL] playbook" in run.stdout
    assert "self-test failed" in run.stdout


# -- Windows: the MSI ----------------------------------------------------------


@pytest.fixture(scope="module")
def msi(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MSI from the bundle, staged as a Windows build lays it out (the programs
    named .exe; the contents are Linux files, which the tables do not care about)."""
    work = tmp_path_factory.mktemp("msi")
    stage = work / "Calmline"
    shutil.copytree(bundle, stage, symlinks=True, copy_function=os.link)
    for exe in ("Calmline", "calmline-cli"):
        (stage / exe).rename(stage / f"{exe}.exe")
    out = work / "Calmline.msi"
    run = subprocess.run([str(BUILD_MSI), str(stage), str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert out.stat().st_size > 10_000_000
    return out


def _table(msi: Path, name: str) -> list[list[str]]:
    text = subprocess.run(
        ["msiinfo", "export", str(msi), name], capture_output=True, text=True, check=True
    ).stdout
    return [line.split("\t") for line in text.splitlines()[3:]]  # after the 3 header rows


def _wxs_properties() -> list[str]:
    wxs = (ROOT / "installers" / "windows" / "Calmline.wxs").read_text(encoding="utf-8")
    return re.findall(r'<Property Id="([A-Z_]+)" Secure="yes" />', wxs)


def test_msi_tables(msi: Path) -> None:
    files = {row[2].split("|")[-1] for row in _table(msi, "File")}
    assert {"Calmline.exe", "calmline-cli.exe", "irate-caller.toml", "abusive-caller.toml"} <= files
    assert "sync-document.schema.json" in files
    shortcut = _table(msi, "Shortcut")[0]
    assert shortcut[1:3] == ["ProgramMenuFolder", "Calmline"]
    assert shortcut[4] == "[INSTALLDIR]Calmline.exe"
    registry = {(row[2], row[3]): row[4] for row in _table(msi, "Registry")}
    run_key = r"Software\Microsoft\Windows\CurrentVersion\Run"
    assert registry[(run_key, "Calmline")] == '"[INSTALLDIR]Calmline.exe" --at-login'
    written = {
        v.strip("[]"): k for k, v in registry.items() if k[0].startswith(r"Software\Policies")
    }
    assert set(written) == set(_wxs_properties())  # every property lands in policy
    assert written["SYNC_URL"] == (r"Software\Policies\Calmline\sync", "target")
    assert written["HOTKEY_QUICK_NOTE"] == (r"Software\Policies\Calmline\hotkeys", "quick_note")
    assert written["AUTOSTART"] == (r"Software\Policies\Calmline", "start_at_login")
    props = dict(row[:2] for row in _table(msi, "Property"))
    assert props["ALLUSERS"] == "1"  # per machine
    assert props["ProductName"] == "Calmline"
    from calmline import __version__

    assert props["ProductVersion"] == __version__
    secure = set(props["SecureCustomProperties"].split(";"))
    assert set(_wxs_properties()) | {"WIX_UPGRADE_DETECTED"} <= secure
    upgrade = _table(msi, "Upgrade")
    assert {row[0].lower() for row in upgrade} == {"{5a693eba-a87f-42cb-9070-ac2916c13edd}"}
    assert {row[-1] for row in upgrade} == {"WIX_UPGRADE_DETECTED", "WIX_DOWNGRADE_DETECTED"}
    directories = {row[0]: row for row in _table(msi, "Directory")}
    assert directories["INSTALLDIR"][1] == "ProgramFiles64Folder"
    summary = subprocess.run(
        ["msiinfo", "suminfo", str(msi)], capture_output=True, text=True, check=True
    ).stdout
    assert "x64;1033" in summary


@pytest.fixture
def wine(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh 64-bit wine prefix; its wineserver is stopped afterwards."""
    if not Path(WINE).exists():
        pytest.fail("wine64 is not installed — run `make test`, which installs it")
    env = dict(
        os.environ,
        WINEPREFIX=str(tmp_path / "wineprefix"),
        WINEDEBUG="-all",
        WINEDLLOVERRIDES="mscoree,mshtml=",  # no Mono or Gecko download prompts
    )
    env.pop("DISPLAY", None)
    subprocess.run([WINE, "wineboot", "--init"], env=env, capture_output=True, check=True)
    try:
        yield env
    finally:
        subprocess.run([WINESERVER, "-k"], env=env, capture_output=True)
        subprocess.run([WINESERVER, "-w"], env=env, capture_output=True, timeout=30)


def _wine(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([WINE, *args], env=env, capture_output=True, text=True, timeout=300)


def test_msi_silent_install_writes_policy_and_uninstall_removes_it(
    msi: Path, wine: dict[str, str], tmp_path: Path
) -> None:
    drive_c = Path(wine["WINEPREFIX"]) / "drive_c"
    installed = drive_c / "Program Files" / "Calmline"
    url = "https://calmline.example.com/api/records"
    install = _wine(
        wine,
        "msiexec",
        "/i",
        f"Z:{msi}",
        "/qn",
        f"SYNC_URL={url}",
        "HOTKEY_QUICK_NOTE=Ctrl+Shift+F10",
        "AUTOSTART=1",
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert (installed / "Calmline.exe").is_file()
    assert (installed / "_internal" / "resources" / "playbooks" / "irate-caller.toml").is_file()
    assert [p.name for p in drive_c.rglob("Calmline.lnk")] == ["Calmline.lnk"]
    run_key = _wine(wine, "reg", "query", r"HKLM\Software\Microsoft\Windows\CurrentVersion\Run")
    assert r'"C:\Program Files\Calmline\Calmline.exe" --at-login' in run_key.stdout
    uninstall_entries = _wine(
        wine, "reg", "query", r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall", "/s"
    )
    assert "DisplayName    REG_SZ    Calmline" in uninstall_entries.stdout

    # What the installed app would read, through the same reader, shown by the doctor.
    export = tmp_path / "policy.reg"
    exported = _wine(wine, "reg", "export", POLICY_KEY, f"Z:{export}", "/y")
    assert exported.returncode == 0, exported.stderr
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[sync]\ntarget = "/mnt/elsewhere"\n', encoding="utf-8")
    env = dict(os.environ, CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    doctor = calmline("doctor", "--policy", str(export), env=env)
    lines = doctor.stdout.splitlines()
    source = f"machine policy: {export} (as HKEY_LOCAL_MACHINE\\Software\\Policies\\Calmline)"
    assert f'  sync.target = "{url}"  [{source}, locked]' in lines, doctor.stdout
    assert f'  hotkeys.quick_note = "Ctrl+Shift+F10"  [{source}, locked]' in lines
    assert f"  start_at_login = true  [{source}, locked]" in lines
    # properties IT did not give are written empty: not managed, so not locked
    assert '  hotkeys.next_step = "Ctrl+Shift+F9"  [default]' in lines
    assert "  retention_days = 90  [default]" in lines

    remove = _wine(wine, "msiexec", "/x", f"Z:{msi}", "/qn")
    assert remove.returncode == 0, remove.stdout + remove.stderr
    assert not installed.exists()
    assert not list(drive_c.rglob("Calmline.lnk"))
    assert _wine(wine, "reg", "query", POLICY_KEY).returncode != 0
    run_key = _wine(wine, "reg", "query", r"HKLM\Software\Microsoft\Windows\CurrentVersion\Run")
    assert "Calmline" not in run_key.stdout
