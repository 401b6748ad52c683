"""The kinds of voice cue, as stored with an incident's figures. Kept apart from
core/cues.py (the detectors, numpy) so that what only names a cue — the window's
after-call words, the records — loads before the first paint without numpy."""

from __future__ import annotations

from enum import StrEnum


class CueKind(StrEnum):
    MIC_SILENT = "mic_silent"
    CLIPPING = "clipping"
    RAISED_VOICE = "raised_voice"
    TALKING_OVER = "talking_over"
    CONTINUOUS_SPEAKING = "continuous_speaking"
