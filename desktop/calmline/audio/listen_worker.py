"""Heard steps, live: the microphone's blocks go to the recogniser on a thread of
its own, so the GUI thread never decodes. Implements ui/meter_controller.py's
ListenSink: ``feed`` (GUI thread, each drain while listening is on) only queues
the drained blocks and their speech flags; the thread runs core's ListenGate on
them and the Spotter on what the gate lets through, and leaves the spots for
``take`` (GUI thread again).

Listening is on for a call when the setting is on, a call runs, the agent has
not turned it off for this call, and the recogniser could be made. Making it
(about 0.4 s) happens on the thread, once per table of phrases: when the
checklist switches playbooks the thread makes the other one.

Only audio is queued, and only while listening; nothing is written anywhere,
and no log line names what was said."""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from calmline.core.levels import BLOCK_S
from calmline.core.listening import Audio, Begin, End, GateEvent, ListenGate, Spot

log = logging.getLogger(__name__)
# More audio than this waiting means the thread cannot keep up (a starved
# machine): the oldest is dropped, a stretch ends, and listening goes on.
MAX_QUEUED_S = 4.0
Phrases = Mapping[str, Sequence[str]]


class Recogniser(Protocol):
    """What the worker needs of audio/spotter.py's Spotter."""

    def begin(self, t_s: float) -> None: ...
    def feed(self, samples: npt.NDArray[np.float32]) -> list[Spot]: ...
    def end(self) -> list[Spot]: ...


MakeRecogniser = Callable[[Phrases, int], Recogniser]  # phrases, the capture's rate


@dataclass(frozen=True)
class _Feed:
    blocks: npt.NDArray[np.float32]
    speech: npt.NDArray[np.bool_]
    t_s: float


class _Phrases:
    def __init__(self, table: Phrases) -> None:
        self.table = table


_END = object()  # a call ended: finish the stretch under way
_STOP = object()


class ListenWorker:
    def __init__(
        self, make: MakeRecogniser, phrases: Phrases, enabled: bool = True, rate: int = 48000
    ) -> None:
        """``rate``: the capture's likely rate; a block of another size remakes the
        recogniser for the rate it implies."""
        self.enabled = enabled
        self.rate = rate
        self.problem = ""  # why listening cannot run (the recogniser could not be made)
        self.in_call = False
        self.off_for_call = False
        self._call_t0: float | None = None  # stream time of this call's first block fed
        self._make = make
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        # blocks queued and blocks taken off the queue: one writer each (the GUI
        # thread, the worker), so neither count loses an update
        self._fed_blocks = 0
        self._done_blocks = 0
        self._spots: deque[Spot] = deque()
        self._ready = threading.Event()  # the first recogniser is made (or failed)
        self._thread: threading.Thread | None = None
        if enabled:
            self._queue.put(_Phrases(phrases))
            self._thread = threading.Thread(target=self._run, name="calmline-listen", daemon=True)
            self._thread.start()

    # -- ListenSink (GUI thread) --------------------------------------------
    @property
    def active(self) -> bool:
        return self.enabled and self.in_call and not self.off_for_call and not self.problem

    def feed(
        self, blocks: npt.NDArray[np.float32], speech: npt.NDArray[np.bool_], t_s: float
    ) -> None:
        if not len(blocks):
            return
        if self._call_t0 is None:
            self._call_t0 = t_s
        self._fed_blocks += len(blocks)
        self._queue.put(_Feed(blocks, speech, t_s))

    def take(self) -> list[Spot]:
        """The spots reported since the last take; a late one of an earlier call
        (its audio was still queued when this call started) is dropped."""
        spots: list[Spot] = []
        t0 = self._call_t0
        while self._spots:
            spot = self._spots.popleft()
            if t0 is not None and spot.start_s >= t0:
                spots.append(spot)
        return spots

    # -- what the window tells it -------------------------------------------
    def call_started(self) -> None:
        self.in_call, self.off_for_call, self._call_t0 = True, False, None

    def call_ended(self) -> None:
        if self.in_call and self._thread is not None:
            self._queue.put(_END)
        self.in_call = False
        self._spots.clear()  # a spot reported after the call is no tick

    def turn_off_for_call(self) -> None:
        if self.active:
            self._queue.put(_END)
        self.off_for_call = True

    def set_phrases(self, phrases: Phrases) -> None:
        """The checklist's playbook changed: listen for its phrases."""
        if self._thread is not None:
            self._queue.put(_Phrases(phrases))

    @property
    def queued_s(self) -> float:
        """Seconds of audio waiting for the thread."""
        return (self._fed_blocks - self._done_blocks) * BLOCK_S

    def wait_ready(self, timeout_s: float) -> bool:
        """True once the first recogniser is made or failed (for tests and the bench)."""
        return self._ready.wait(timeout_s)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(5.0)
            self._thread = None

    # -- the thread -----------------------------------------------------------
    def _run(self) -> None:
        rec: Recogniser | None = None
        gate = ListenGate()
        table: Phrases = {}
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, _Phrases):
                table = item.table
                rec = self._remake(rec, gate, table)
            elif item is _END:
                if rec is not None:
                    self._handle(rec, gate.finish())
                gate = ListenGate()
            elif isinstance(item, _Feed):
                self._done_blocks += len(item.blocks)
                rate = round(item.blocks.shape[1] / BLOCK_S)
                if rate != self.rate:  # the device opened at its own rate
                    self.rate = rate
                    rec = self._remake(rec, gate, table)
                    gate = ListenGate()
                if rec is None:
                    continue
                if self.queued_s > MAX_QUEUED_S:
                    log.warning("listening fell behind: %.1f s of audio skipped", MAX_QUEUED_S)
                    self._handle(rec, gate.finish())
                    gate = ListenGate()
                    self._skip()
                    continue
                events: list[GateEvent] = []
                for i, block in enumerate(item.blocks):
                    t = item.t_s + i * BLOCK_S
                    events += gate.feed(t, block, bool(item.speech[i]), False)
                self._handle(rec, events)

    def _remake(
        self, rec: Recogniser | None, gate: ListenGate, table: Phrases
    ) -> Recogniser | None:
        if rec is not None:
            self._handle(rec, gate.finish())
        try:
            made = self._make(table, self.rate)
        except Exception as exc:  # a broken model folder, a missing engine: one clear line
            self.problem = str(exc) or type(exc).__name__
            log.warning("listening off: %s", self.problem)
            made = None
        else:
            self.problem = ""
            log.info("listening for %d phrases", sum(len(p) for p in table.values()))
        self._ready.set()
        return made

    def _handle(self, rec: Recogniser, events: list[GateEvent]) -> None:
        """Gate events to the recogniser: the audio of a drain goes in one piece
        (each call into the decoder costs more than the samples in it)."""
        pending: list[npt.NDArray[np.float32]] = []

        def flush() -> None:
            if pending:
                self._spots.extend(rec.feed(np.concatenate(pending).astype(np.float32)))
                pending.clear()

        for e in events:
            if isinstance(e, Begin):
                flush()
                rec.begin(e.t_s)
            elif isinstance(e, Audio):
                pending.append(np.asarray(e.samples, dtype=np.float32))
            elif isinstance(e, End):
                flush()
                self._spots.extend(rec.end())
        flush()

    def _skip(self) -> None:
        """Drop the audio waiting now (keeping calls' ends and phrase changes)."""
        kept: list[object] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Feed):
                self._done_blocks += len(item.blocks)
            else:
                kept.append(item)
        for item in kept:
            self._queue.put(item)
