"""End shift on a real X server: the shift's summary (figures, voice timeline,
talk share) comes before the records are sent. Screenshot kept for review."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

from calmline.context import Context
from tests.apps import running_app
from tests.integration.test_window_xvfb import find_window, screenshot, x, xenv
from tests.seeding import seed_shift
from tests.servers import xvfb


def test_end_shift_shows_the_summary_then_sends(home: Path, tmp_path: Path) -> None:
    store = Context.load().open_store()
    shift = seed_shift(store, calls=60, running=True)
    store.db.close()
    with xvfb() as display:
        env = xenv(home, display, tmp_path)
        with running_app(env):
            wid = find_window(env, "^Calmline$")
            time.sleep(0.5)
            x(env, "windowfocus", "--sync", wid)
            x(env, "key", "alt+h")  # End s&hift
            summary = find_window(env, "^Your shift$")
            time.sleep(0.8)  # plots drawn
            geometry = x(env, "getwindowgeometry", summary)
            assert "760x640" in geometry, geometry
            shot = screenshot(env, summary, "shift-summary.png")
            db = sqlite3.connect(home / "calmline.db")
            ended = "SELECT ended_at FROM shifts WHERE id = ?"
            assert db.execute(ended, [shift.meta.id]).fetchone() == (None,)  # not yet
            x(env, "windowfocus", "--sync", summary)
            x(env, "key", "Return")  # End shift and send records
            find_window(env, "^Sending the shift's records$")
            assert db.execute(ended, [shift.meta.id]).fetchone()[0] is not None
    # the timeline's line and the raised-voice marks are in the picture
    colours = subprocess.run(
        [
            "convert",
            str(shot),
            "-fill",
            "black",
            "+opaque",
            "#c62828",
            "-format",
            "%[fx:mean]",
            "info:",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert float(colours) > 0, "no raised-voice marks drawn"
