"""The caller's channel: what the agent hears, recorded as loopback of the output
device and cut into the same 10 ms blocks, in the same ``Ring``, as the microphone.

Library: SoundCard (``soundcard``). sounddevice can't do this: its Windows/macOS
wheels bundle PortAudio built from tag v19.7.0, which has no WASAPI loopback (it is
on PortAudio's main branch since 2022, still unreleased), and on Linux PortAudio
sees PulseAudio only as ALSA's "pulse"/"default" PCM, which records the default
source. Choosing a monitor would mean changing the user's default, or setting
PULSE_SOURCE for the whole process and so moving the microphone too. PyAudioWPatch
does WASAPI loopback but is Windows-only, so it would be one of three code paths.
SoundCard covers all three with one API: WASAPI loopback, the ``<sink>.monitor``
sources of PulseAudio/PipeWire, and CoreAudio inputs (macOS has no loopback, so a
driver such as BlackHole must be installed). It is BSD-3-Clause, a pure-Python
wheel over cffi (no compiler needed), kept by one spare-time maintainer (four
releases since March 2024). 0.4.6 is needed for NumPy 2 on Windows.
Quirks handled here: ``record()`` blocks; WASAPI gives no frames while nothing
plays (SoundCard then returns zeros); the PulseAudio connection is made once, at
import, so a stale one is replaced (``_reconnect``), and a failed one leaves its
loop thread running, so that is freed (``_free_failed``).

Threading: one reader thread per stream opens, reads and closes it (so on Windows
COM stays on one thread). Its loop only does ``record`` (whatever the backend has:
a 40 ms fragment on PulseAudio) -> downmix straight into the ring's own memory
(``Ring.mix_into``, one dot product a fragment): no logging, no Qt. Nothing is
written to disk. Any failure becomes one line in ``reason``, and the open is retried every RETRY_S.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from calmline.audio.capture import (
    NO_BLOCKS,
    PREFERRED_RATE,
    RETRY_S,
    RING_S,
    Blocks,
    Ring,
    SoundWatch,
)
from calmline.core.levels import BLOCK_S, block_samples
from calmline.platform.loopback_kind import KIND, LoopbackKind

log = logging.getLogger(__name__)

MAX_RETRY_S = 60.0
FALLBACK_RATE = 44100  # every backend resamples, so 48 kHz is normally accepted
OPEN_S = 5.0  # the reader thread has this long to open the device
JOIN_S = 1.0  # record() returns every 10 ms, so the reader ends well within this
LINUX = KIND is LoopbackKind.PULSE_MONITOR
NO_MAC_DEVICE = "install a loopback device such as BlackHole and name it in audio.caller_device"
NO_SERVER = "no PulseAudio/PipeWire server answered"
READ_BLOCKS = 8  # a longer read (after a stall, say) is mixed in pieces of this many blocks


class CallerCapture:
    """Same surface as ``Capture``. ``device`` is part of an OUTPUT device's name
    ("" = the default output); on macOS, part of a loopback INPUT device's name."""

    def __init__(self, device: str = "") -> None:
        self.device = device
        self.rate = PREFERRED_RATE
        self.ring: Ring | None = None
        self.reason = "not started"
        self.device_name = ""
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self._out: dict[str, Any] = {}  # the reader's report: name, rate, ring, error
        self.watch = SoundWatch("the caller channel sends sound")
        self._last_try = -RETRY_S
        self._retry_s = RETRY_S  # doubles after each failed open, up to MAX_RETRY_S

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def mode(self) -> str:
        """One line for ``calmline doctor``."""
        if self._thread is None:
            return f"caller channel: off — {self.reason}"
        return f"caller channel: loopback of {self.device_name} ({KIND.value})"

    def start(self) -> bool:
        """Open the loopback; False (and ``reason``) when it cannot be used."""
        self._last_try = time.monotonic()
        if KIND is LoopbackKind.LOOPBACK_INPUT and not self.device:
            self.reason = NO_MAC_DEVICE
            return False
        sc = _library()
        if isinstance(sc, str):
            self.reason = sc
            return False
        halt, opened, out = threading.Event(), threading.Event(), dict[str, Any]()
        thread = threading.Thread(
            target=_reader, args=(sc, self.device, halt, opened, out), daemon=True
        )
        thread.start()
        if not opened.wait(OPEN_S) or "error" in out:
            halt.set()
            thread.join(JOIN_S)
            self.reason = out.get("error", f"the caller's device did not open in {OPEN_S:.0f} s")
            return False
        self._thread, self._halt, self._out = thread, halt, out
        self.ring, self.rate, self.device_name = out["ring"], out["rate"], out["name"]
        self.reason = ""
        self.watch.restart()
        log.info("caller channel: loopback of %r at %d Hz", self.device_name, self.rate)
        return True

    def poll(self) -> Blocks:
        """New blocks since the last poll; notices a lost device and retries."""
        thread = self._thread
        if thread is None:
            if time.monotonic() - self._last_try >= self._retry_s:
                # an open costs the GUI thread ~0.2 s: a channel that keeps failing
                # (no server, no loopback device) is tried less and less often
                self._retry_s = RETRY_S if self.start() else min(MAX_RETRY_S, 2 * self._retry_s)
            return NO_BLOCKS
        assert self.ring is not None
        blocks = self.ring.drain()
        if len(blocks) or thread.is_alive():
            if self.watch.stalled(len(blocks)):
                self.stop(f"the caller channel stopped sending sound ({self.device_name})")
        else:
            error = self._out.get("error", "the reader ended")
            self.stop(f"the loopback of {self.device_name} failed: {error}")
        return blocks

    def stop(self, reason: str = "stopped") -> None:
        thread, self._thread = self._thread, None
        self.reason = reason
        if thread is not None:
            self._halt.set()
            thread.join(JOIN_S)
            log.info("caller capture stopped: %s", reason)
        self._last_try = time.monotonic()


def _reader(
    sc: Any, device: str, halt: threading.Event, opened: threading.Event, out: dict[str, Any]
) -> None:
    """The audio thread: open; then only read and mix into the ring; close."""
    with _com_apartment():
        try:
            mic, out["name"] = _find(sc, device)
            rate, rec = _open(mic)
            block = block_samples(rate)
            ring = Ring(round(RING_S / BLOCK_S), block)
            out["rate"], out["ring"] = rate, ring
        except Exception as exc:  # the library raises assorted types; each is one line
            out["error"] = _reason(exc)
            opened.set()
            return
        opened.set()
        try:
            mix = np.zeros(0, np.float32)  # each channel's weight in the mono mix
            piece = READ_BLOCKS * block
            while not halt.is_set():
                # whatever the backend has (a 40 ms fragment on PulseAudio): one
                # read a fragment, not four, is most of what this thread costs
                data = rec.record(numframes=None)  # (frames x channels): the library's
                if len(mix) != data.shape[1]:
                    mix = np.full(data.shape[1], 1.0 / data.shape[1], np.float32)
                for at in range(0, len(data), piece):
                    part = data[at : at + piece]
                    for run in ring.mix_into(len(part)):  # downmix straight into the ring
                        np.dot(part[: len(run)], mix, out=run)
                        part = part[len(run) :]
                    ring.publish(min(piece, len(data) - at))
        except Exception as exc:
            out["error"] = _reason(exc)
        finally:
            with contextlib.suppress(Exception):
                rec.__exit__(None, None, None)


def _find(sc: Any, device: str) -> tuple[Any, str]:
    """The input to record, and the name to show for it."""
    want = device.lower()
    if KIND is LoopbackKind.LOOPBACK_INPUT:
        for mic in sc.all_microphones():
            if want in mic.name.lower():
                return mic, str(mic.name)
        raise LookupError(f"no input device named like {device!r}; {NO_MAC_DEVICE}")
    found = [s for s in sc.all_speakers() if want in s.name.lower() or want in s.id.lower()]
    if device and not found:
        raise LookupError(f"no output device named like {device!r} (audio.caller_device)")
    speaker = found[0] if device else sc.default_speaker()
    loop_id = f"{speaker.id}.monitor" if LINUX else speaker.id
    for mic in sc.all_microphones(include_loopback=True):
        if mic.id == loop_id:
            return mic, str(speaker.name)
    raise LookupError(f"the output {speaker.name!r} offers no loopback to record")


def _open(mic: Any) -> tuple[int, Any]:
    error: Exception = RuntimeError("no sample rate accepted")
    for rate in (PREFERRED_RATE, FALLBACK_RATE):
        # 40 ms fragments (PulseAudio's fragsize, WASAPI's buffer), read as they come
        rec = mic.recorder(samplerate=rate, blocksize=4 * block_samples(rate))
        try:
            rec.__enter__()
            return rate, rec
        except Exception as exc:
            error = exc
    raise error


@contextlib.contextmanager
def _com_apartment() -> Iterator[None]:
    """Windows: COM for the reader thread (SoundCard initialises only the importer's)."""
    if KIND is not LoopbackKind.WASAPI:
        yield
        return
    import ctypes

    ctypes.windll.ole32.CoInitializeEx(None, 0)  # COINIT_MULTITHREADED
    try:
        yield
    finally:
        ctypes.windll.ole32.CoUninitialize()


def _library() -> Any:
    """The ``soundcard`` module, connected; or a one-line reason (a str)."""
    try:
        import soundcard  # type: ignore[import-untyped]
    except OSError as exc:  # the OS audio library itself is missing
        need = "libpulse0 (the PulseAudio client library) is needed: " if LINUX else ""
        return need + _reason(exc)
    except Exception as exc:  # on Linux an AssertionError when no server answers
        _free_failed(exc)
        return NO_SERVER if LINUX else _reason(exc)
    warnings.filterwarnings("ignore", module="soundcard")  # would print from the reader
    if LINUX:
        return _reconnect(sys.modules["soundcard.pulseaudio"]) or soundcard
    return soundcard


def _reconnect(pa: Any) -> str:
    """Nothing ("") when SoundCard's PulseAudio connection is up, or was remade after
    the server went away (restarted, say); else why not. Uses its private ``_pulse``: if
    that changes, this says so in one line rather than failing."""
    try:
        old = pa._pulse
        if old._pa_context_get_state(old.context) == pa._pa.PA_CONTEXT_READY:
            return ""
        new = pa._PulseAudio()  # asserts that the new context is ready
    except AssertionError as exc:
        _free_failed(exc)
        return NO_SERVER
    except Exception as exc:
        return f"could not reconnect to PulseAudio: {_reason(exc)}"
    atexit.unregister(old._shutdown)
    with contextlib.suppress(Exception):
        old._shutdown()
    pa._pulse = new
    atexit.register(new._shutdown)
    return ""


def _free_failed(exc: BaseException) -> None:
    """A failed SoundCard connection leaves its PulseAudio loop thread running: one
    more each retry. Stop and free it, found as ``self`` in the failing frame."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    with contextlib.suppress(Exception):
        assert tb is not None
        pulse, pa = tb.tb_frame.f_locals["self"], tb.tb_frame.f_globals["_pa"]
        pa.pa_threaded_mainloop_stop(pulse.mainloop)
        pa.pa_context_disconnect(pulse.context)
        pa.pa_context_unref(pulse.context)
        pa.pa_threaded_mainloop_free(pulse.mainloop)


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
