"""Whether a process still runs, asked the way each OS allows without harming it."""

from __future__ import annotations

import os
import sys


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user counts: it exists)."""
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        return _alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True


def _alive_windows(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x00100000, False, pid)  # SYNCHRONIZE
    if not handle:
        return bool(ctypes.get_last_error() == 5)  # type: ignore[attr-defined]  # denied: exists
    try:
        return bool(kernel32.WaitForSingleObject(handle, 0) == 0x102)  # WAIT_TIMEOUT: running
    finally:
        kernel32.CloseHandle(handle)
