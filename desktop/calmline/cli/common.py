"""What every command's output shares: one way to fail (a line on stderr, and the
exit status) and output that cannot fail on an odd name."""

from __future__ import annotations

import sys

REFUSED = 1  # the command was understood and refused (bad value, no such record...)


def fail(message: str, status: int = REFUSED) -> int:
    """Say ``message`` as `calmline: ...` on stderr; return the exit status."""
    print(f"calmline: {message}", file=sys.stderr)
    return status


def plain_output() -> None:
    """Undecodable bytes in a name we print (a file name from argv) are written
    escaped, never a UnicodeEncodeError half-way through the output."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
