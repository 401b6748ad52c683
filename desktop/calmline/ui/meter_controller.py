"""Pulls the microphone's blocks on a GUI timer (~30 Hz) — and, when there is a
caller channel, the blocks of what the agent hears — runs the level maths and cue
detectors on them, and updates the meter; a call's figures come from core's
CallVoice. Time comes from the audio itself (blocks x 10 ms), never from ticks."""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer

from calmline.core.call_voice import CallVoice
from calmline.core.cues import CueKind, CueParams, VoiceTracker
from calmline.core.levels import Ballistics, BlockLevel, block_levels
from calmline.core.records import Incident, VoiceFigures

if TYPE_CHECKING:
    from calmline.audio.capture import Capture
    from calmline.audio.loopback import CallerCapture
    from calmline.audio.sources import ArraySource
    from calmline.flow import Flow, FlowEvent
    from calmline.store.baselines import BaselineFile
    from calmline.ui.level_bar import LevelBar
    from calmline.ui.meter_panel import MeterPanel

log = logging.getLogger(__name__)
REFRESH_MS = 33  # ~30 Hz: the bar follows the voice within 50 ms of the sound (make bench)
IDLE_MS = 1000  # without a microphone: only watch for one to come back
HISTORY_BLOCKS = 10  # one history point per 100 ms of audio
# The caller's blocks wait for the microphone's; more than this many waiting means
# the caller's clock runs ahead (or it started first), and the oldest are dropped,
# so the two never drift apart by more than 60 ms (the bleed test allows 100).
CALLER_SLACK = 6
CALIBRATION_SPEECH_S = 4.0
CALIBRATION_TEXT = (
    "Thanks for calling. I'm sorry you've had this trouble, and I'd like to sort it "
    "out with you now. Could you tell me what happened, from the start?"
)


class MeterController(QObject):
    def __init__(
        self,
        capture: Capture | ArraySource,
        params: CueParams,
        panel: MeterPanel,
        compact: LevelBar,
        baselines: BaselineFile,
        agent: str,
        caller: CallerCapture | ArraySource | None = None,
    ) -> None:
        super().__init__()
        self.capture, self.params, self.panel, self.compact = capture, params, panel, compact
        self.caller = caller
        self._heard: deque[BlockLevel] = deque()
        self._last_heard: BlockLevel | None = None
        self.baselines = baselines
        self.agent = agent
        self.tracker = VoiceTracker(
            params,
            baselines.get(agent) if agent else None,
            calibrated=bool(agent) and baselines.calibrated(agent),
        )
        self.tracker.in_call = False
        self._saved = self.tracker.baseline.value  # what baselines.json holds for the agent
        self.ballistics = Ballistics()
        self.t = 0.0  # seconds of audio seen
        self.blocks = 0
        self._reset_call()
        self._calibration: list[float] | None = None
        self._calibration_s = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.drain)
        panel.calibrate.clicked.connect(self.calibrate)

    def start(self) -> None:
        if not self.capture.start():
            log.warning("no microphone: %s", self.capture.reason)
        if self.caller is not None and not self.caller.start():
            log.info("caller channel off: %s", self.caller.reason)
        self._pace()
        self.timer.start()
        self._status()

    def _pace(self) -> None:
        """Drain at ~30 Hz while capturing; with no microphone, wake once a second."""
        interval = REFRESH_MS if self.capture.running else IDLE_MS
        if self.timer.interval() != interval:
            self.timer.setInterval(interval)

    def stop(self) -> None:
        self.timer.stop()
        self.capture.stop()
        if self.caller is not None:
            self.caller.stop()

    def attach(self, flow: Flow) -> None:
        """Follow the flow: calls switch the mic-silent cue on and get voice figures."""
        self.flow = flow
        flow.voice = self.call_figures
        flow.listeners.append(self._on_flow)
        if flow.call is not None:
            self._call_started()
        if flow.shift is not None:
            self._set_agent(flow.shift.agent_id)

    def _on_flow(self, event: FlowEvent, _incident: Incident | None) -> None:
        from calmline.flow import FlowEvent

        if event is FlowEvent.CALL:
            self._call_started()
        elif event is FlowEvent.CALL_ENDED:
            self.tracker.in_call = False
            v = self.tracker.voice
            if v.caller_channel:  # figures only: how the caller channel was used
                log.info(
                    "caller channel: the mic heard the caller %.0f dB down%s",
                    v.coupling,
                    " (the same sound as the mic: not used)" if v.echo else "",
                )
        elif event is FlowEvent.SHIFT and self.flow.shift is not None:
            self._set_agent(self.flow.shift.agent_id)

    def _set_agent(self, agent: str) -> None:
        if agent and agent != self.agent:
            self.agent = agent
            self.tracker.remember(self.baselines.get(agent), self.baselines.calibrated(agent))
            self._saved = self.tracker.baseline.value

    def _call_started(self) -> None:
        self.tracker.in_call = True
        self._reset_call()

    def _reset_call(self) -> None:
        """A new call's voice figures, empty."""
        self.call = CallVoice()

    def calibrate(self) -> None:
        """Learn the calm level from a sentence read now in a normal voice."""
        self._calibration, self._calibration_s = [], 0.0
        self.panel.show_status(f"Read this aloud in your normal voice: “{CALIBRATION_TEXT}”")

    def _calibrating(self, speech_db: float | None, speech: bool, dt: float) -> None:
        if self._calibration is None or not speech or speech_db is None:
            return
        self._calibration.append(speech_db)
        self._calibration_s += dt
        if self._calibration_s >= CALIBRATION_SPEECH_S:
            base = round(float(np.median(self._calibration)), 2)
            self._calibration = None
            self.tracker.calibrate(base)
            if self.agent:
                self.baselines.set(self.agent, base, calibrated=True)
            log.info("calm level calibrated: %.1f dBFS", base)
            self._status()

    def call_figures(self) -> VoiceFigures:
        """The voice over the call that just ended (never audio)."""
        return self.call.figures(self.tracker.baseline.value, self.tracker.voice.ref)

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
        for level in levels:
            self.t += dt
            self.blocks += 1
            state = self.tracker.feed(self.t, level, dt, self._caller_block())
            self.ballistics.update(level.rms_db, level.peak_db, dt * 1000.0)
            for cue in state.started:
                log.info("cue %s (audio %.2f s)", cue.kind.value, self.t)
            self._calibrating(state.loudness_db, state.speech, dt)
            if self.tracker.in_call:
                self.call.feed(state, dt)
            if self.blocks % HISTORY_BLOCKS == 0:
                self.panel.push_history(self.ballistics.level, state.baseline_db, state.talk_share)
        while len(self._heard) > CALLER_SLACK:  # the caller's clock ran ahead: catch up
            self._heard.popleft()
        learnt = self.tracker.baseline.value
        remember = self.agent and not self.tracker.calibrated and self.tracker.voice.confirmed
        if learnt is not None and learnt != self._saved and remember:  # never a level of bleed
            self.baselines.set(self.agent, learnt)
            self._saved = learnt
            log.info("calm level learnt: %.1f dBFS", learnt)
        shown = self.tracker.shown()
        alert = shown is not None and shown.kind is CueKind.RAISED_VOICE
        for bar in (self.panel.bar, self.compact):
            if not bar.isVisible():  # e.g. the strip's bar while the window is full size
                continue
            bar.raised_db = self.params.raised_voice_db
            bar.show_level(
                self.ballistics.level, self.ballistics.peak, self.tracker.baseline.value, alert
            )
        self.panel.show_cue(shown.kind if shown else None)
        if self.caller is not None and self.caller.running:
            c = self.tracker.caller
            self.panel.show_caller(self.tracker.voice.caller_env_db, c.calm.value, c.loud)
        if not levels and self._calibration is None:
            self._status()
            self._pace()

    def _status(self) -> None:
        if self.capture.running:
            base = self.tracker.baseline.value
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
