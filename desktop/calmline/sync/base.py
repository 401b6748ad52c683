"""The interface every sync target implements, and its errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from calmline.core.sync_docs import Confirmed, SyncDoc

BATCH = 100  # records per batch (the HTTPS target's limit too)


class TargetError(Exception):
    """The target cannot be used at all (bad URL, unreachable, refused); the
    message names the target and the cause."""


@dataclass
class BatchResult:
    confirmed: list[Confirmed] = field(default_factory=list)
    # Set when the target stopped partway: why, in one line. The batch's
    # unconfirmed records stay pending.
    failure: str = ""


class Target(Protocol):
    @property
    def name(self) -> str:
        """The target as a person would recognise it (path or URL, no secret)."""
        ...

    def send(self, docs: Sequence[SyncDoc]) -> BatchResult: ...

    def close(self) -> None: ...
