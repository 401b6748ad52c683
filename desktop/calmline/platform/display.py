"""Whether a window can open at all here, asked before Qt is loaded."""

from __future__ import annotations

import sys
from collections.abc import Mapping


def no_display(env: Mapping[str, str]) -> bool:
    """Linux with no display and no Qt platform chosen: no window can open
    (Windows and macOS always have their own)."""
    return (
        sys.platform.startswith("linux")
        and not env.get("QT_QPA_PLATFORM")
        and not env.get("WAYLAND_DISPLAY")
        and not env.get("DISPLAY")
    )
