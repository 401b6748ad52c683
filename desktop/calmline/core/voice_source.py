"""What the flow needs from the live voice: whose calm level to use, when a call
starts and ends, and the call's figures to save with it. The flow is built with
one (core/live_voice.py's LiveVoice) or none, and never knows the meter."""

from __future__ import annotations

from typing import Protocol

from calmline.core.records import VoiceFigures


class VoiceSource(Protocol):
    def set_agent(self, agent_id: str) -> None: ...  # the shift's agent: whose calm level
    def call_started(self) -> None: ...  # a call started (or was resumed open)
    def figures(self) -> VoiceFigures: ...  # the call so far (asked before saving)
    def call_ended(self) -> None: ...  # the end was saved: stop counting
