"""Team memory in the real app on a real X server: a team share (folder
target) written by another agent's Calmline through the real sync path (two
earlier calls from a number, a promise still open, a caution marker a listed
team lead approved), then `calmline call start --caller ...` from the
softphone's command line. The window reads the share at shift start and
looks the number up live; the badge, the open-promise line and the caution
line are waited for (the window logs what it showed, as counts only; each
picture is taken again until the panel's own colour is in it) and saved to
/work/briefs20/shots/ (badge.png, promise.png, caution.png)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmline.core.commands import Command, Name
from calmline.core.records import AbuseLevel, FollowUp, Resolution
from calmline.core.serialize import iso
from calmline.core.sync_docs import SyncDoc
from calmline.sync.folder import FolderTarget
from calmline.sync.runner import run_sync
from tests.apps import running_app
from tests.fakes import FakeClock, make_flow
from tests.integration.test_window_xvfb import find_window, ok, screenshot, x, xenv
from tests.servers import wait_for, xvfb

NUMBER = "+44 20 7946 0000"  # two earlier calls, a callback still promised
MARKED = "+44 20 7946 0999"  # one abusive call, a caution marker a lead approved
OTHER = "agent-12"
LEAD = "lead-1"
SHOTS = Path("/work/briefs20/shots")
PROMISE_RGB = (0x1F, 0x3A, 0x5F)  # ui/team_panel.py PROMISE_STYLE
CAUTION_RGB = (0xF3, 0xEF, 0xE2)  # ui/team_panel.py CAUTION_STYLE


def team_share(root: Path) -> Path:
    """A folder IT marked as the team store, with its list of team leads."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".calmline-store").touch()
    (root / ".calmline-leads").write_text(f"# team leads, one agent id a line\n{LEAD}\n")
    return root


def seed_other_agent(share: Path, home: Path, now: datetime) -> str:
    """``OTHER``'s calls, synced to ``share`` through the real sync path: two
    from ``NUMBER`` (5 and 2 days ago, the last pending a refund with a callback
    promised and not done), one abusive call from ``MARKED`` (3 days ago) whose
    caution marker ``LEAD`` approved. Returns the open promise's id."""
    home.mkdir(parents=True, exist_ok=True)
    clock = FakeClock(now - timedelta(days=5))
    flow = make_flow(home / "calmline.db", clock, agent_id=OTHER)
    flow.start_shift(OTHER)
    promise_id = ""
    for number, days, abusive in ((NUMBER, 5, False), (MARKED, 3, True), (NUMBER, 2, False)):
        clock.now = now - timedelta(days=days, hours=1)
        flow.start_call(number)
        clock.advance(240)
        incident = replace(
            flow.end_call(),
            category="refund",
            resolution=Resolution.PENDING,
            summary="- charged twice for October\n- refund requested",
            abuse_level=AbuseLevel.ABUSIVE if abusive else AbuseLevel.NONE,
        )
        saved = flow.save_incident(incident, final=True)
        if abusive:
            flow.run(Command(Name.MARKER_PROPOSE, {"incident": saved.meta.id, "reason": "threats"}))
        elif days == 2:
            due = now.date() + timedelta(days=2)
            promise_id = flow.store.save(FollowUp(saved.meta.id, "callback", due=due)).meta.id
    summary = run_sync(flow.store, FolderTarget(share))
    assert summary.sent == summary.total and not summary.failure, summary.text()
    (marker_id,) = flow.store.db.execute("SELECT id FROM markers").fetchone()
    approve(share, marker_id, now - timedelta(days=1))
    return promise_id


def approve(share: Path, marker_id: str, when: datetime) -> None:
    """What a lead's `calmline markers approve` sends: one marker_decision document."""
    rid = str(uuid.uuid4())
    record = {
        "id": rid,
        "version": 1,
        "created_at": iso(when),
        "updated_at": iso(when),
        "marker_id": marker_id,
        "decided_at": iso(when),
        "action": "approve",
        "review_by": (when.date() + timedelta(days=90)).isoformat(),
    }
    doc = SyncDoc("marker_decision", rid, 1, LEAD, f"{when:%Y-%m-%d}", record)
    result = FolderTarget(share, agent_id=LEAD).send([doc])
    assert [c.record_id for c in result.confirmed] == [rid], result


def logged(home: Path) -> str:
    log = home / "logs" / "calmline.log"
    return log.read_text() if log.exists() else ""


def has_colour(png: Path, rgb: tuple[int, int, int]) -> bool:
    """Some pixel of the picture is exactly ``rgb`` (a panel's own colour)."""
    raw = subprocess.run(
        ["convert", str(png), "-depth", "8", "rgb:-"], capture_output=True, check=True
    ).stdout
    return bytes(rgb) in {raw[i : i + 3] for i in range(0, len(raw), 3)}


def shot_showing(env: dict[str, str], wid: str, name: str, rgb: tuple[int, int, int]) -> Path:
    """The window's picture once it shows a panel of colour ``rgb`` (a repaint
    follows the state by a frame or so: taken again until it is there, 20 s)."""
    found: list[Path] = []

    def painted() -> bool:
        found[:] = [screenshot(env, wid, name)]
        return has_colour(found[0], rgb)

    wait_for(painted, 20, f"{name} to show the team panel")
    return found[0]


def close_form(env: dict[str, str]) -> None:
    """The incident form that opens at call end: Esc keeps it as a draft."""
    form = find_window(env, "^Incident — ")
    x(env, "windowfocus", "--sync", form)
    x(env, "key", "Escape")
    wait_for(lambda: not x(env, "search", "--onlyvisible", "--name", "^Incident — "), 20,
             "the incident form to close")  # fmt: skip


def test_badge_promise_and_caution_at_call_start_on_a_real_x_server(
    home: Path, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    share = team_share(tmp_path / "team")
    promise_id = seed_other_agent(share, tmp_path / "other", now)
    (home / "config.toml").write_text(f'agent_id = "agent-7"\n[sync]\ntarget = "{share}"\n')
    with xvfb() as display:
        env = xenv(home, display, tmp_path)
        with running_app(env):
            wid = find_window(env, "^Calmline$")
            ok("shift", "start", "--agent", "agent-7", env=env)
            wait_for(lambda: "team memory refreshed: team history from" in logged(home), 30,
                     "the shift start's team refresh")  # fmt: skip
            ok("call", "start", "--caller", NUMBER, env=env)
            seen = "caller memory shown: 2 earlier calls, 1 open promises, 0 cautions, live"
            wait_for(lambda: seen in logged(home), 20, "the live lookup's answer shown")
            promise = shot_showing(env, wid, "promise.png", PROMISE_RGB)
            ok("call", "end", env=env)
            close_form(env)
            ok("call", "start", "--caller", MARKED, env=env)
            seen = "caller memory shown: 1 earlier calls, 0 open promises, 1 cautions, live"
            wait_for(lambda: seen in logged(home), 20, "the marked caller's memory shown")
            caution = shot_showing(env, wid, "caution.png", CAUTION_RGB)
    db = sqlite3.connect(home / "calmline.db")
    assert db.execute("SELECT count(*) FROM team_incidents").fetchone()[0] == 3
    assert db.execute("SELECT id FROM team_promises").fetchall() == [(promise_id,)]
    assert "team lookup: answered in" in logged(home)
    SHOTS.mkdir(parents=True, exist_ok=True)
    badge = SHOTS / "badge.png"  # the header and the team panel of the first call
    subprocess.run(["convert", str(promise), "-crop", "100%x40%+0+0", "+repage", str(badge)],
                   check=True)  # fmt: skip
    for shot in (promise, caution):
        shutil.copy(shot, SHOTS / shot.name)
