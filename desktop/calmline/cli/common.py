"""What every command's output shares: one way to fail (a line on stderr, and the
exit status), the local time now, and output that cannot fail on an odd name."""

from __future__ import annotations

import sys
from datetime import datetime

REFUSED = 1  # the command was understood and refused (bad value, no such record...)


def fail(message: str, status: int = REFUSED) -> int:
    """Say ``message`` as `calmline: ...` on stderr; return the exit status."""
    print(f"calmline: {message}", file=sys.stderr)
    return status


def now() -> datetime:
    """This moment in local time: what a command shows and stores as "now"."""
    return datetime.now().astimezone()


def plain_output() -> None:
    """Undecodable bytes in a name we print (a file name from argv) are written
    escaped, never a UnicodeEncodeError half-way through the output."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
