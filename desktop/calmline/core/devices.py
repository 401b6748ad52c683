"""Audio device description shared by the audio layer and its users."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    host_api: str
    channels: int
    default_sample_rate: float
    is_default: bool = False

    @property
    def label(self) -> str:
        """The name as device lists show it, the system default marked."""
        return f"{self.name} (default)" if self.is_default else self.name
