"""What an installation carries for this OS alone, which `calmline --self-test`
checks a bundle did not lose: the modules of the OS's hotkey backend, and the C
declarations the caller channel's library (soundcard) reads for its audio system."""

from __future__ import annotations

import sys

_MODULES = {
    "linux": ("Xlib.display", "calmline.platform.hotkeys.x11"),
    "win32": ("winreg", "calmline.platform.hotkeys.windows"),
    "darwin": ("calmline.platform.hotkeys.macos",),
}
_CALLER_HEADERS = {"linux": "pulseaudio.py.h", "win32": "mediafoundation.py.h"}


def os_modules(platform: str = sys.platform) -> tuple[str, ...]:
    """The modules loaded only on ``platform``."""
    return _MODULES.get(platform, ())


def caller_header(platform: str = sys.platform) -> str:
    """The file of C declarations soundcard reads at import on ``platform``."""
    return _CALLER_HEADERS.get(platform, "coreaudio.py.h")
