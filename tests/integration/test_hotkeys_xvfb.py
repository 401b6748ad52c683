"""Global hotkeys on a real X server: XGrabKey in the app, keys pressed with
xdotool (XTEST), results read from the SQLite file; a rival client holding one
combination first."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.apps import calmline, running_app
from tests.integration.test_meter_audio import wait_for_log
from tests.integration.test_window_xvfb import find_window, ok, screenshot, x, xenv
from tests.servers import wait_for, xvfb

CONFIG = """agent_id = "agent-7"
[hotkeys]
quick_note = "Ctrl+Shift+N"
call_toggle = "Ctrl+Shift+F7"
next_step = "Ctrl+Shift+F9"
"""
HERE = Path(__file__).parent


@contextmanager
def x_client(env: dict[str, str], *args: str) -> Iterator[str]:
    """Run x_client.py; yields the first line it prints."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "x_client.py"), *args], env=env, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.kill()
        proc.wait()


def query(home: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    db = sqlite3.connect(home / "calmline.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def wait_until(check, what: str) -> None:  # type: ignore[no-untyped-def]
    wait_for(check, 10, what)


def focused(env: dict[str, str]) -> str:
    return x(env, "getwindowfocus")


def test_quick_note_call_toggle_and_next_step_by_hotkey(home: Path, tmp_path: Path) -> None:
    (home / "config.toml").write_text(CONFIG)
    with xvfb() as display:
        env = xenv(home, display, tmp_path)
        with running_app(env), x_client(env, "crm") as crm:
            wait_for_log(home, "INFO calmline: ready")
            ok("shift", "start", env=env)
            ok("call", "start", "--caller", "+44 20 7946 0000", env=env)
            assert focused(env) == crm
            # quick note: the box opens focused; typing and Enter save it
            x(env, "key", "ctrl+shift+n")
            box = find_window(env, "^Calmline quick note$", timeout=5)
            wait_until(lambda: focused(env) == box, what="the note box to take focus")
            x(env, "type", "--delay", "20", "promised a refund by Friday")
            screenshot(env, box, "quick-note.png")
            x(env, "key", "Return")
            wait_until(
                lambda: query(home, "SELECT text FROM notes"), what="the note in the database"
            )
            [(text, incident, offset)] = query(
                home, "SELECT text, incident_id, call_offset_s FROM notes"
            )
            [(call_id,)] = query(home, "SELECT id FROM incidents WHERE ended_at IS NULL")
            assert (text, incident) == ("promised a refund by Friday", call_id)
            assert offset is not None and offset >= 0
            wait_until(lambda: focused(env) == crm, what="focus back on the CRM")
            # Esc cancels: nothing saved, focus back
            x(env, "key", "ctrl+shift+n")
            wait_until(lambda: focused(env) == box, what="the note box again")
            x(env, "type", "never mind")
            x(env, "key", "Escape")
            wait_until(lambda: focused(env) == crm, what="focus back after Esc")
            assert len(query(home, "SELECT id FROM notes")) == 1
            # next step ticks the current step of the call
            x(env, "key", "ctrl+shift+F9")
            wait_until(lambda: query(home, "SELECT step_id FROM step_events"), what="a tick")
            # call toggle ends the call, then starts another
            x(env, "key", "ctrl+shift+F7")
            wait_until(
                lambda: not query(home, "SELECT id FROM incidents WHERE ended_at IS NULL"),
                what="the call to end",
            )
            x(env, "key", "ctrl+shift+F7")
            wait_until(
                lambda: len(query(home, "SELECT id FROM incidents")) == 2, what="a second call"
            )
    log = (home / "logs" / "calmline.log").read_text()
    assert "hotkey pressed: quick_note" in log


def test_a_combination_taken_by_another_app_is_reported(home: Path, tmp_path: Path) -> None:
    (home / "config.toml").write_text(CONFIG)
    with xvfb() as display:
        env = xenv(home, display, tmp_path)
        with x_client(env, "grab", "Ctrl+Shift+F9") as said:
            assert said == "grabbed"
            with running_app(env):
                line = wait_for_log(home, "Ctrl+Shift+F9")
                assert "tick the next step" in line and "another application" in line
                doctor = calmline("doctor", env=env)
                assert "[FAIL] hotkeys" in doctor.stdout, doctor.stdout
                assert "Ctrl+Shift+F9 (tick the next step) is not available" in doctor.stdout
                assert "quick note: Ctrl+Shift+N" in doctor.stdout
                wid = find_window(env, "^Calmline$")
                screenshot(env, wid, "window-hotkey-taken.png")
                ok("shift", "start", env=env)
                x(env, "key", "ctrl+shift+n")  # the others still work
                find_window(env, "^Calmline quick note$", timeout=5)
