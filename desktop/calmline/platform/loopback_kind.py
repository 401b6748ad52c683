"""Which loopback this OS offers for the caller channel (audio/loopback.py): on
Linux the ``<sink>.monitor`` source of PulseAudio/PipeWire, on Windows WASAPI
loopback of an output device, on macOS none of its own, so the input of a
loopback driver (BlackHole) named in audio.caller_device."""

from __future__ import annotations

import sys
from enum import StrEnum


class LoopbackKind(StrEnum):
    PULSE_MONITOR = "PulseAudio monitor"
    WASAPI = "WASAPI loopback"
    LOOPBACK_INPUT = "loopback input"
    UNKNOWN = "?"


def loopback_kind(platform: str = sys.platform) -> LoopbackKind:
    return {
        "linux": LoopbackKind.PULSE_MONITOR,
        "win32": LoopbackKind.WASAPI,
        "darwin": LoopbackKind.LOOPBACK_INPUT,
    }.get(platform, LoopbackKind.UNKNOWN)


KIND = loopback_kind()  # this machine's
