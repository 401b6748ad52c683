"""Windows only (the windows job of .github/workflows/ci.yml): RegisterHotKey and the
WM_HOTKEY round trip through Qt's native event filter, a chord taken by a second process,
and machine policy in HKLM read back by `calmline doctor`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    sys.platform != "win32", reason="Windows only: runs on the windows-latest CI job"
)
ROOT = Path(__file__).resolve().parents[2]
CHORD = "Ctrl+Shift+F19"


def test_registered_hotkey_fires_on_a_posted_wm_hotkey(qtbot) -> None:  # type: ignore[no-untyped-def]
    import ctypes

    from PySide6.QtWidgets import QApplication

    from calmline.core.hotkeys import parse_chord
    from calmline.platform.hotkeys.windows import WM_HOTKEY, WindowsHotkeys

    app = QApplication.instance()
    fired: list[bool] = []
    keys = WindowsHotkeys()
    try:
        keys.register(parse_chord(CHORD), lambda: fired.append(True))
        keys.start(app)
        user32 = ctypes.WinDLL("user32")
        kernel32 = ctypes.WinDLL("kernel32")
        assert user32.PostThreadMessageW(kernel32.GetCurrentThreadId(), WM_HOTKEY, 1, 0)
        qtbot.waitUntil(lambda: fired == [True], timeout=10_000)
    finally:
        keys.close()


def test_a_chord_taken_by_another_process_is_refused() -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from calmline.core.hotkeys import parse_chord\n"
            "from calmline.platform.hotkeys.windows import WindowsHotkeys\n"
            f"k = WindowsHotkeys(); k.register(parse_chord({CHORD!r}), lambda: None)\n"
            "print('held', flush=True); sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "desktop")),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        from calmline.core.hotkeys import parse_chord
        from calmline.platform.hotkeys import HotkeyUnavailable
        from calmline.platform.hotkeys.windows import WindowsHotkeys

        keys = WindowsHotkeys()
        with pytest.raises(HotkeyUnavailable, match="already taken"):
            keys.register(parse_chord(CHORD), lambda: None)
        keys.close()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_machine_policy_in_hklm_is_shown_locked_by_doctor(tmp_path: Path) -> None:
    import winreg

    key = r"Software\Policies\Calmline"
    url = "https://calmline.example.com/api/records"
    with winreg.CreateKeyEx(winreg.HKEY_LOCAL_MACHINE, key + r"\sync") as sync:
        winreg.SetValueEx(sync, "target", 0, winreg.REG_SZ, url)
    try:
        env = dict(os.environ, CALMLINE_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
        run = subprocess.run(
            [sys.executable, "-m", "calmline", "doctor"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        line = next(x for x in run.stdout.splitlines() if "sync.target =" in x)
        assert f'sync.target = "{url}"' in line and "locked" in line, run.stdout
    finally:
        winreg.DeleteKey(winreg.HKEY_LOCAL_MACHINE, key + r"\sync")
        winreg.DeleteKey(winreg.HKEY_LOCAL_MACHINE, key)
