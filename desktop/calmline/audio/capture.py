"""Microphone capture for the meter: a sounddevice input stream whose callback
only copies each 10 ms block into a preallocated ring and counts overflows (no
allocation, no Qt, no logging there); the GUI drains the ring on a timer.

Nothing is written anywhere: the blocks live in the ring until overwritten.
When the device is missing or disappears, ``reason`` says why and capture is
retried every few seconds, so it resumes by itself when a microphone returns.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from calmline.audio.devices import AudioUnavailable, quiet_stderr
from calmline.core.levels import BLOCK_S, block_samples

log = logging.getLogger(__name__)

PREFERRED_RATE = 48000
RING_S = 2.0
LATENCY_S = 0.02  # suggested input latency: the bar must follow the voice closely
STALL_S = 2.0  # no block for this long once sound flowed: the device is gone
# Some host paths (ALSA through the PulseAudio plugin) take up to ~2 s to send
# the first block of a new stream; until then, waiting is not a failure.
FIRST_BLOCK_S = 4.0
RETRY_S = 5.0  # re-probing every audio device costs CPU; a replugged headset waits <= 5 s

Blocks = npt.NDArray[np.float32]  # one 10 ms block per row
NO_BLOCKS: Blocks = np.zeros((0, 0), dtype=np.float32)


class Ring:
    """Single writer (the audio thread), single reader (the GUI thread).

    The blocks are one flat run of frames, so a write is at most two slice copies
    whatever its size (a 40 ms loopback chunk is four blocks, one copy). A reader
    may ask to be told when a block is louder than a mean square it sets
    (``wake_above``): the writer then calls ``on_loud`` once, from its own thread,
    and the reader sets the level again when it has drained."""

    def __init__(self, blocks: int, block_size: int) -> None:
        self.data = np.zeros((blocks, block_size), dtype=np.float32)
        self._flat = self.data.reshape(-1)  # the same memory, frame after frame
        self._bytes = memoryview(self.data).cast("B")  # the same again, for raw buffers
        self._rows = list(self.data)  # a view of each row, made once
        self._size, self._frames = block_size, blocks * block_size
        self.written = 0  # blocks written so far; only the writer changes it
        self.read = 0
        self.overflows = 0  # input overflows reported by PortAudio
        self.lost = 0  # blocks overwritten before the reader got them
        self._fill = 0  # frames in the block being written
        self._pos = 0  # where the next frame goes in the flat run
        self._wake_sum = math.inf  # a block's sum of squares that calls on_loud
        self.on_loud: Callable[[], None] | None = None

    @property
    def wake_above(self) -> float:
        """The mean square of a block that calls ``on_loud`` (inf: none does)."""
        return self._wake_sum / self._size

    @wake_above.setter
    def wake_above(self, mean_square: float) -> None:
        self._wake_sum = mean_square * self._size

    def write(self, mono: npt.NDArray[np.float32]) -> None:
        """Append any number of frames; a 10 ms block is published once full.
        The stream asks for 10 ms buffers, but a host API may still hand over
        other sizes (or a device rate that is not a multiple of 100 Hz), so
        blocks are cut here, without allocating."""
        flat, n, done = self._flat, len(mono), 0
        while done < n:  # twice at most, when the write runs past the end
            take = min(n - done, len(flat) - self._pos)
            flat[self._pos : self._pos + take] = mono[done : done + take]
            done += take
            self._pos = (self._pos + take) % len(flat)
        self._publish(n)

    def write_bytes(self, raw: Any, frames: int) -> None:
        """``frames`` float32 frames from a raw buffer (PortAudio's own): copied as
        bytes, with no array made for them."""
        pos = self._pos
        if pos + frames > self._frames:  # past the end: the general way
            self.write(np.frombuffer(raw, dtype=np.float32, count=frames))
            return
        self._bytes[pos * 4 : (pos + frames) * 4] = raw
        self._pos = (pos + frames) % self._frames
        self._publish(frames)

    def mix_into(self, frames: int) -> list[npt.NDArray[np.float32]]:
        """Where the next ``frames`` frames go (one or two runs of the ring), for a
        writer that fills them itself (the loopback mixes its channels straight
        in); ``publish(frames)`` once they are filled."""
        if frames > len(self._flat) - self.data.shape[1]:
            raise ValueError("more frames than the ring holds")
        end = self._pos + frames
        if end <= len(self._flat):
            return [self._flat[self._pos : end]]
        return [self._flat[self._pos :], self._flat[: end - len(self._flat)]]

    def publish(self, frames: int) -> None:
        """``frames`` frames were filled where ``mix_into`` said."""
        self._pos = (self._pos + frames) % len(self._flat)
        self._publish(frames)

    def _publish(self, frames: int) -> None:
        """Count the blocks the frames completed; test them if a reader asked.
        (The audio thread, 100 times a second: every step here is counted.)"""
        whole, self._fill = divmod(self._fill + frames, self._size)
        if not whole:
            return
        self.written += whole  # published after the copy
        if self._wake_sum == math.inf or self.on_loud is None:
            return
        rows = self._rows
        newest = self.written % len(rows)  # one past the newest, usually its only block
        # every other block: an onset lasts longer than 10 ms, and a test costs
        # the audio thread as much as the copy did
        for n in range(newest - min(whole, len(rows)), newest):
            if n % 2:
                continue
            row = rows[n]  # (a negative n counts from the end, as the ring wraps)
            if row.dot(row) > self._wake_sum:
                self._wake_sum = math.inf  # once, until the reader sets it again
                self.on_loud()
                return

    def drain(self) -> Blocks:
        """Every block published since the last drain, oldest first, as one
        (blocks x frames) array: one copy, whatever the count."""
        written = self.written
        if written - self.read > len(self.data):
            self.lost += written - self.read - len(self.data)
            self.read = written - len(self.data)
        first, last = self.read % len(self.data), written % len(self.data)
        count = written - self.read
        self.read = written
        if count == 0:
            return self.data[:0]
        if first < last:  # one run, the usual case: a slice copy, no index array
            return self.data[first:last].copy()
        return np.concatenate((self.data[first:], self.data[:last]))


class SoundWatch:
    """Is sound still coming? A stream that sent blocks and then sends none for
    STALL_S (or none at all for FIRST_BLOCK_S) has lost its device. Shared by the
    microphone and the caller channel."""

    def __init__(self, first_message: str) -> None:
        self.first_message = first_message
        self._last = 0.0
        self._got = False

    def restart(self) -> None:
        self._last, self._got = time.monotonic(), False

    @property
    def flowing(self) -> bool:
        """Sound has come since the stream opened."""
        return self._got

    def stalled(self, blocks: int) -> bool:
        """Note a poll's block count; True when the stream has stopped sending."""
        now = time.monotonic()
        if blocks:
            if not self._got:
                log.info("%s", self.first_message)
            self._last, self._got = now, True
            return False
        return now - self._last > (STALL_S if self._got else FIRST_BLOCK_S)


class Capture:
    def __init__(self, device: str = "") -> None:
        self.device = device  # part of a device name; "" = the system default
        self.rate = PREFERRED_RATE
        self.ring: Ring | None = None
        self.stream: Any = None
        self.reason = "not started"
        self.device_name = ""
        self.watch = SoundWatch("the microphone sends sound: metering")
        self._last_try = -RETRY_S
        # Called from the audio thread, once, when a block is louder than
        # wake_when_louder() asked: it must only signal (no Qt, no logging).
        self.on_loud: Callable[[], None] | None = None

    @property
    def running(self) -> bool:
        return self.stream is not None

    def wake_when_louder(self, mean_square: float) -> None:
        """Call ``on_loud`` when a block's mean square next exceeds this."""
        if self.ring is not None:
            self.ring.wake_above = mean_square

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        ring = self.ring
        if ring is None:
            return
        if status and status.input_overflow:  # no flag at all: one test
            ring.overflows += 1
        # A raw stream hands over the buffer itself: copied as bytes, no conversion.
        ring.write_bytes(indata, frames)

    def start(self) -> bool:
        """Open the microphone; False (and ``reason``) when it cannot be used."""
        self._last_try = time.monotonic()
        with quiet_stderr():
            try:
                import sounddevice as sd
            except OSError as exc:
                self.reason = f"PortAudio could not be loaded ({exc}); install libportaudio2"
                return False
            try:
                sd._terminate()  # re-scan: a headset plugged in since start must be seen
                sd._initialize()
                index = self._pick(sd)
                info = sd.query_devices(index, "input")
                rate = PREFERRED_RATE
                try:
                    sd.check_input_settings(index, channels=1, samplerate=rate, dtype="float32")
                except sd.PortAudioError:
                    rate = int(info["default_samplerate"])  # the device's own rate
                block = block_samples(rate)
                self.ring = Ring(round(RING_S / BLOCK_S), block)
                self.ring.on_loud = self.on_loud
                stream = sd.RawInputStream(
                    device=index,
                    channels=1,
                    samplerate=rate,
                    # 10 ms per callback: with the host's own size, ALSA's PulseAudio
                    # plugin also sends runs of 2-5 frame buffers, which costs CPU
                    blocksize=block,
                    dtype="float32",
                    latency=LATENCY_S,
                    callback=self._callback,
                )
                stream.start()
            except (sd.PortAudioError, AudioUnavailable, ValueError) as exc:
                self.reason = _reason(exc)
                self.stream = None
                return False
        self.stream, self.rate, self.device_name = stream, rate, str(info["name"])
        self.reason = ""
        self.watch.restart()
        log.info("opened %r at %d Hz", self.device_name, rate)
        return True

    def _pick(self, sd: Any) -> int:
        if not self.device:
            index = sd.default.device[0]
            if index is None or index < 0:
                raise AudioUnavailable("no default microphone is set")
            return int(index)
        for dev in sd.query_devices():
            if dev["max_input_channels"] > 0 and self.device.lower() in dev["name"].lower():
                return int(dev["index"])
        raise AudioUnavailable(f"no microphone named like {self.device!r} (audio.input_device)")

    def poll(self) -> Blocks:
        """New blocks since the last poll; notices a lost device and retries."""
        if self.stream is None:
            if time.monotonic() - self._last_try >= RETRY_S:
                self.start()
            return NO_BLOCKS
        assert self.ring is not None
        blocks = self.ring.drain()
        if self.watch.stalled(len(blocks)) or (not len(blocks) and not self.stream.active):
            self.stop(f"the microphone stopped sending sound ({self.device_name})")
        return blocks

    def stop(self, reason: str = "stopped") -> None:
        stream, self.stream = self.stream, None
        self.reason = reason
        if stream is not None:
            log.info("capture stopped: %s", reason)
            with quiet_stderr():
                try:
                    stream.abort()
                    stream.close()
                except Exception as exc:  # a vanished device may fail to close
                    log.debug("closing the stream: %s", exc)
        self._last_try = time.monotonic()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "Error querying device -1" in text or "No Default Input" in text:
        return "no microphone found"
    return text
