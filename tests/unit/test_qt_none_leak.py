"""PySide6 6.12 on Python 3.11 loses a reference to None on each void call (one
decref too many); after enough meter redraws the process aborts with none_dealloc
(ci-recipe.md). This fails on such a combination, so a bad pin shows up here and
not mid-shift in a call centre. The probe runs in a child process, because a bad
build can abort the interpreter."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QRectF
rect = QRectF(0, 0, 10, 10)
rect.setWidth(1.0)
before = sys.getrefcount(None)
for i in range({calls}):
    rect.setWidth(float(i))
print(sys.getrefcount(None) - before)
"""


def test_void_qt_calls_do_not_leak_none() -> None:
    calls = 200
    res = subprocess.run(
        [sys.executable, "-c", PROBE.format(calls=calls)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, f"the probe crashed (none_dealloc?): {res.stderr[-300:]}"
    drift = int(res.stdout)
    # Immortal None (3.12+) or a clean build gives ~0; a leaking build gives -calls.
    assert abs(drift) < calls // 10, f"None's refcount drifted by {drift} over {calls} calls"
