"""Pulls the microphone's blocks on a GUI timer (10 Hz) — and, when there is a
caller channel, the blocks of what the agent hears — turns them into block
levels, hands them to core's LiveVoice and shows what it says on the meter. The
figures, cues, calm level and calibration are LiveVoice's; here only the bar's
ballistics and the pairing of the caller's blocks with the microphone's. Time
comes from the audio itself (blocks x 10 ms), never from ticks.

An onset does not wait for the timer: the capture is asked to signal the first
block ONSET_DB louder than the bar shows, and that drains at once, so the bar
jumps within a few ms of the sound reaching the app (step to bar p95 13 ms, was
46 ms polling at 30 Hz). Between onsets a slow timer is enough: the bar falls at
13 dB/s, and the figures and cues take seconds. Each wake-up of the GUI thread
costs far more than the sums in it (make bench), so they are few.

With listening on, the drained blocks also go, with each block's speech flag, to a
ListenSink (the listen worker: it recognises on its own thread), and the spots it
reports come back out of the ``heard`` signal, one per spot."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections import deque
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, QSocketNotifier, Qt, QTimer, Signal

from calmline.core.cues import CueKind
from calmline.core.levels import Ballistics, BlockLevel, block_levels
from calmline.ui.level_bar import RANGE_DB

if TYPE_CHECKING:
    from calmline.audio.capture import Capture
    from calmline.audio.loopback import CallerCapture
    from calmline.audio.sources import ArraySource
    from calmline.core.cues import VoiceState
    from calmline.core.listening import Spot
    from calmline.core.live_voice import LiveVoice
    from calmline.ui.level_bar import LevelBar
    from calmline.ui.meter_panel import MeterPanel

log = logging.getLogger(__name__)
REFRESH_MS = 100  # 10 Hz; an onset drains at once, so the bar follows within 50 ms
ONSET_DB = 6.0  # a block this much louder than the bar shows drains at once
IDLE_MS = 1000  # without a microphone: only watch for one to come back
HISTORY_BLOCKS = 10  # one history point per 100 ms of audio
# The caller's blocks wait for the microphone's; more than this many waiting means
# the caller's clock runs ahead (or it started first), and the oldest are dropped,
# so the two never drift apart by more than 60 ms (the bleed test allows 100).
CALLER_SLACK = 6
CALIBRATION_TEXT = (
    "Thanks for calling. I'm sorry you've had this trouble, and I'd like to sort it "
    "out with you now. Could you tell me what happened, from the start?"
)


class ListenSink(Protocol):
    """Where the microphone's blocks go to be listened to (audio/listen_worker.py's
    ListenWorker). Called on the GUI thread at each drain, so ``feed`` must be cheap:
    it copies or queues and returns; recognition runs elsewhere."""

    @property
    def active(self) -> bool:
        """Listening is on for this call: only then are blocks fed."""
        ...

    def feed(
        self, blocks: npt.NDArray[np.float32], speech: npt.NDArray[np.bool_], t_s: float
    ) -> None:
        """``blocks``: the drained (n, block_size) float32 blocks of the microphone at
        its capture rate; ``speech``: (n,) each block's VoiceState.speech; ``t_s``:
        the stream time (LiveVoice.t) at the start of the first block."""
        ...

    def take(self) -> list[Spot]:
        """The spots reported since the last take."""
        ...


class MeterController(QObject):
    heard = Signal(object)  # one core.listening.Spot, each time a step is heard

    def __init__(
        self,
        capture: Capture | ArraySource,
        voice: LiveVoice,
        panel: MeterPanel,
        compact: LevelBar,
        caller: CallerCapture | ArraySource | None = None,
        listen: ListenSink | None = None,
    ) -> None:
        super().__init__()
        self.capture, self.voice, self.panel, self.compact = capture, voice, panel, compact
        self.caller = caller
        self.listen = listen
        self._heard: deque[BlockLevel] = deque()
        self._last_heard: BlockLevel | None = None
        self.ballistics = Ballistics()
        self.blocks = 0
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        # coarse: onsets do not wait for it, and Qt may fold it into other wake-ups
        self.timer.setTimerType(Qt.TimerType.CoarseTimer)
        self.timer.timeout.connect(self.drain)
        panel.calibrate.clicked.connect(self.calibrate)
        self._wake: tuple[socket.socket, socket.socket, QSocketNotifier] | None = None

    def start(self) -> None:
        self._open_wake()
        if not self.capture.start():
            log.warning("no microphone: %s", self.capture.reason)
        if self.caller is not None and not self.caller.start():
            log.info("caller channel off: %s", self.caller.reason)
        self._pace()
        self.timer.start()
        self._status()

    def _pace(self) -> None:
        """Drain at 10 Hz while capturing; with no microphone, wake once a second."""
        interval = REFRESH_MS if self.capture.running else IDLE_MS
        if self.timer.interval() != interval:
            self.timer.setInterval(interval)

    def stop(self) -> None:
        self.timer.stop()
        self.capture.stop()
        if self.caller is not None:
            self.caller.stop()
        if self._wake is not None:
            reader, writer, notifier = self._wake
            self._wake = None
            notifier.setEnabled(False)
            reader.close()
            writer.close()

    def _open_wake(self) -> None:
        """A socket pair: the audio thread sends one byte on an onset (no Qt
        there), and the notifier on the other end drains on the GUI thread."""
        if self._wake is not None or not hasattr(self.capture, "wake_when_louder"):
            return  # a synthetic source is drained by its test
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, self)
        notifier.activated.connect(self._woken)
        self._wake = (reader, writer, notifier)

        def loud() -> None:  # the audio thread
            with contextlib.suppress(OSError):  # full (a wake is pending anyway) or closed
                writer.send(b"!")

        self.capture.on_loud = loud

    def _woken(self, *_args: object) -> None:
        if self._wake is None:
            return
        with contextlib.suppress(OSError):
            self._wake[0].recv(64)
        self.drain()
        self.timer.start()  # the next poll a whole interval from now

    def _arm(self) -> None:
        """Ask for a wake on the next block ONSET_DB over what the bar shows (or
        over the bar's bottom, below which nothing shows)."""
        if self._wake is not None:
            shown = max(self.ballistics.level, RANGE_DB[0])
            self.capture.wake_when_louder(10.0 ** ((shown + ONSET_DB) / 10.0))

    def calibrate(self) -> None:
        """Learn the calm level from a sentence read now in a normal voice."""
        self.voice.calibrate()
        self.panel.show_status(f"Read this aloud in your normal voice: “{CALIBRATION_TEXT}”")

    def _caller_block(self) -> BlockLevel | None:
        """The caller's block for the microphone's next one. Loopback arrives in
        bursts (WASAPI and PulseAudio hand over 10-40 ms at a time, or nothing
        for a poll): a missing block repeats the last one while the channel runs."""
        if self.caller is None or not self.caller.running:
            self._last_heard = None
        elif self._heard:
            self._last_heard = self._heard.popleft()
        return self._last_heard

    def drain(self) -> None:
        blocks = self.capture.poll()
        levels = block_levels(blocks)
        dt = blocks.shape[1] / self.capture.rate
        if self.caller is not None:
            self._heard.extend(block_levels(self.caller.poll()))
        start_t = self.voice.t
        heard = self.voice.feed(levels, dt, [self._caller_block() for _ in levels])
        self._listen(blocks, heard.states, start_t)
        for level, state in zip(levels, heard.states, strict=True):
            self.blocks += 1
            self.ballistics.update(level.rms_db, level.peak_db, dt * 1000.0)
            if self.blocks % HISTORY_BLOCKS == 0:
                self.panel.push_history(self.ballistics.level, state.baseline_db, state.talk_share)
        while len(self._heard) > CALLER_SLACK:  # the caller's clock ran ahead: catch up
            self._heard.popleft()
        if heard.calibrated:
            self._status()
        shown = heard.shown
        alert = shown is not None and shown.kind is CueKind.RAISED_VOICE
        for bar in (self.panel.bar, self.compact):
            if not bar.isVisible():  # e.g. the strip's bar while the window is full size
                continue
            bar.raised_db = self.voice.params.raised_voice_db
            bar.show_level(
                self.ballistics.level, self.ballistics.peak, self.voice.baseline_db, alert
            )
        self.panel.show_cue(shown.kind if shown else None)
        if self.caller is not None and self.caller.running:
            self.panel.show_caller(heard.caller_db, heard.caller_calm_db, heard.caller_loud)
        self._arm()
        if not levels and not self.voice.calibrating:
            self._status()
        self._pace()

    def _listen(
        self, blocks: npt.NDArray[np.float32], states: list[VoiceState], t_s: float
    ) -> None:
        """Hand the burst to the listener (while it listens) and say what it heard."""
        listen = self.listen
        if listen is None:
            return
        if len(blocks) and listen.active:
            speech = np.fromiter((s.speech for s in states), dtype=np.bool_, count=len(states))
            listen.feed(blocks, speech, t_s)
        for spot in listen.take():
            self.heard.emit(spot)

    def _status(self) -> None:
        if self.capture.running:
            base = self.voice.baseline_db
            learnt = (
                f"calm level {base:.0f} dBFS" if base is not None else "learning your calm level"
            )
            heard = (
                f" · hears the caller from {self.caller.device_name}"
                if self.caller is not None and self.caller.running
                else ""
            )
            self.panel.show_status(f"Mic: {self.capture.device_name} · {learnt}{heard}")
        else:
            self.panel.show_status(f"No microphone — {self.capture.reason}")
