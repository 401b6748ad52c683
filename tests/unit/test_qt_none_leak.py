"""PySide6 6.12 on Python 3.11 leaks a reference to None per void call and the
process aborts after millions of meter redraws (ci-recipe.md). This fails on a
leaking combination, so a bad pin shows up here and not at 3 pm in a call centre."""

from __future__ import annotations

import sys

from PySide6.QtCore import QRectF


def test_void_qt_calls_do_not_leak_none() -> None:
    rect = QRectF(0, 0, 10, 10)
    calls = 20_000
    rect.setWidth(1.0)  # warm up
    before = sys.getrefcount(None)
    for i in range(calls):
        rect.setWidth(float(i))
    leaked = sys.getrefcount(None) - before
    # Immortal None (3.12+) gives 0; a leaking build gives ~calls.
    assert leaked < calls // 10, f"{leaked} references to None leaked over {calls} calls"
