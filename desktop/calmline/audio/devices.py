"""Listing input devices through PortAudio, with one clear message on failure."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from calmline.core.devices import InputDevice


class AudioUnavailable(RuntimeError):
    """No audio input can be used; the message says why in one line."""


class PortAudioMissing(AudioUnavailable):
    """The PortAudio library itself cannot be loaded: a broken install, not a missing
    headset."""


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """PortAudio/ALSA print dozens of lines straight to fd 2 while probing; hide them."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def list_input_devices() -> list[InputDevice]:
    """Input-capable devices, the system default marked. Raises AudioUnavailable."""
    with quiet_stderr():
        try:
            import sounddevice as sd  # loads PortAudio: slow, and may be missing
        except OSError as exc:
            raise PortAudioMissing(
                f"the PortAudio library could not be loaded ({exc}); install libportaudio2"
            ) from exc
        try:
            devices = sd.query_devices()
            hostapis = sd.query_hostapis()
            try:
                default_in = sd.default.device[0]
            except Exception:  # no default input is a normal answer here
                default_in = -1
        except sd.PortAudioError as exc:
            raise AudioUnavailable(f"no audio system answered ({exc})") from exc
    out = []
    for dev in devices:
        if dev["max_input_channels"] <= 0:
            continue
        out.append(
            InputDevice(
                index=dev["index"],
                name=dev["name"],
                host_api=hostapis[dev["hostapi"]]["name"],
                channels=dev["max_input_channels"],
                default_sample_rate=dev["default_samplerate"],
                is_default=dev["index"] == default_in,
            )
        )
    if not out:
        raise AudioUnavailable("no microphone found: the audio system lists no input device")
    return out
