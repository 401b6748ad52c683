"""What time it is: records are stored in UTC; what the agent sees and types is
local time. The flow, the window and the CLI take their clock from here (tests
pass a fake clock instead)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_now() -> datetime:
    """This moment in local time, with its offset."""
    return datetime.now().astimezone()
