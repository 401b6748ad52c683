"""What the agent sees of the team's memory in the window, driven like an agent
would: the open-promise lines and their Kept buttons, the calm caution line and
its playbook button, how old the team's part is, hostile text from the share
shown as the characters it is, the badge's words, the search's read-only team
rows, the marker proposal in the incident form and the voice-shared line."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from calmline.core.commands import Command, Name
from calmline.core.records import Resolution
from calmline.core.team import (
    CautionMarker,
    MarkerAction,
    MarkerDecision,
    MarkerReason,
    TeamChanges,
    TeamIncident,
    TeamPromise,
    marker_state,
)
from calmline.core.team_view import CallerMemory
from calmline.flow import Flow
from calmline.store.database import open_database
from calmline.store.repository import Store
from calmline.ui.main_window import CompanionWindow
from calmline.ui.sync_controller import SyncController
from calmline.ui.team_controller import TeamController, TeamTarget
from calmline.ui.team_incident_view import TeamIncidentView
from calmline.ui.team_panel import KEPT_TIP, TeamPanel
from tests.fakes import ABUSIVE, FakeClock, make_flow
from tests.integration.test_team_window_xvfb import NUMBER as WINDOW_NUMBER
from tests.integration.test_team_window_xvfb import seed_other_agent, team_share
from tests.ui.conftest import companion, make

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday
HOSTILE = "<b>x</b> <img src=https://example.invalid/a.png width=5000>"


def incident(n: int, agent: str = "agent-12", summary: str = "- refund pending") -> TeamIncident:
    return TeamIncident(
        id=f"inc-{n}",
        version=1,
        agent_id=agent,
        started_at=NOW - timedelta(days=n),
        caller_number="+44 20 7946 0000",
        category="refund",
        resolution=Resolution.PENDING,
        summary=summary,
    )


def promise(n: int, what: str = "callback", agent: str = "agent-12") -> TeamPromise:
    return TeamPromise(
        id=f"fu-{n}",
        version=1,
        incident_id=f"inc-{n}",
        agent_id=agent,
        what=what,
        due=date(2026, 11, 27),  # Friday
    )


def caution() -> CautionMarker:
    return CautionMarker(
        id="mk-1",
        version=1,
        agent_id="agent-12",
        incident_id="inc-1",
        proposed_at=NOW - timedelta(days=3),
        reason=MarkerReason.THREATS,
        caller_number="+44 20 7946 0000",
    )


def active_marker() -> object:
    decision = MarkerDecision(
        id="d-1",
        version=1,
        marker_id="mk-1",
        agent_id="lead-1",
        decided_at=NOW - timedelta(days=2),
        action=MarkerAction.APPROVE,
        review_by=date(2027, 2, 20),
    )
    return marker_state(caution(), [decision], NOW.date())


def panel(qtbot: QtBot) -> TeamPanel:
    p = TeamPanel()
    qtbot.addWidget(p)
    p.resize(360, 200)
    p.show()
    return p


def test_open_promises_each_with_a_kept_button(qtbot: QtBot) -> None:
    p = panel(qtbot)
    memory = CallerMemory(
        earlier=(incident(2),),
        open_promises=(promise(2), promise(3, "send the refund form", agent="agent-7")),
        as_of=NOW,
    )
    p.show_memory(memory, "agent-7", NOW, abusive=False)
    assert p.isVisible()
    lines = [label.text() for label in p.promise_labels]
    assert lines == [
        "Callback promised by Friday — agent-12",
        "Send the refund form promised by Friday — you",
    ]
    kept = p.kept_buttons["fu-2"]
    assert kept.isVisible() and kept.text() == "Kept" and kept.toolTip() == KEPT_TIP
    assert kept.accessibleName() == "Kept: Callback promised by Friday — agent-12"
    with qtbot.waitSignal(p.kept_requested) as got:
        qtbot.mouseClick(kept, Qt.MouseButton.LeftButton)
    assert got.args == ["fu-2"]
    # Kept: the next memory no longer holds it, and its line goes away.
    p.show_memory(
        CallerMemory(open_promises=(promise(3, agent="agent-7"),), as_of=NOW), "agent-7", NOW, False
    )
    assert list(p.kept_buttons) == ["fu-3"]
    assert not p.caution.isVisible() and not p.age.isVisible()


def test_nothing_to_show_and_no_call_hide_the_panel(qtbot: QtBot) -> None:
    p = panel(qtbot)
    p.show_memory(CallerMemory(earlier=(incident(1),), as_of=NOW), "agent-7", NOW, False)
    assert not p.isVisible()  # the badge says it; the panel has nothing more
    p.show_memory(CallerMemory(open_promises=(promise(1),), as_of=NOW), "agent-7", NOW, False)
    assert p.isVisible()
    p.show_memory(None, "agent-7", NOW, False)
    assert not p.isVisible() and not p.kept_buttons


def test_caution_is_one_calm_line_with_the_playbook_one_click_away(qtbot: QtBot) -> None:
    p = panel(qtbot)
    memory = CallerMemory(cautions=(active_marker(),), as_of=NOW)  # type: ignore[arg-type]
    p.show_memory(memory, "agent-7", NOW, abusive=False)
    assert p.caution.isVisible()
    assert p.caution.text() == (
        "Caution: this caller is marked for threats, reviewed by 20 Feb 2027. "
        "Stay calm; you may end an abusive call."
    )
    style = p.caution.styleSheet().lower()
    assert "red" not in style and "#c0392b" not in style and "#b3261e" not in style
    assert p.playbook.isVisible() and p.playbook.text() == "Abusive-caller playbook"
    with qtbot.waitSignal(p.playbook_requested):
        qtbot.mouseClick(p.playbook, Qt.MouseButton.LeftButton)
    p.show_memory(memory, "agent-7", NOW, abusive=True)  # that playbook is on now
    assert p.caution.isVisible() and not p.playbook.isVisible()


def test_age_of_the_team_history_in_small_grey_text(qtbot: QtBot) -> None:
    p = panel(qtbot)
    stale = CallerMemory(earlier=(incident(1),), as_of=NOW - timedelta(hours=3))
    p.show_memory(stale, "agent-7", NOW, False)
    assert p.isVisible() and p.age.isVisible()
    assert p.age.text() == "Team history as of 3 h ago (the team store did not answer)."
    assert "#777777" in p.age.styleSheet()
    fresh = CallerMemory(earlier=(incident(1),), as_of=NOW - timedelta(hours=3), live=True)
    p.show_memory(fresh, "agent-7", NOW, False)
    assert not p.age.isVisible()


def test_hostile_text_from_the_share_is_shown_as_its_characters(qtbot: QtBot) -> None:
    p = panel(qtbot)
    memory = CallerMemory(open_promises=(promise(1, HOSTILE, agent="<i>agent</i>"),), as_of=NOW)
    p.show_memory(memory, "agent-7", NOW, False)
    label = p.promise_labels[0]
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.text().startswith("<b>x</b> <img src=")
    assert label.text().endswith("— <i>agent</i>")
    assert p.width() <= 360 and label.width() < 1000  # an image width asks for nothing
    view = TeamIncidentView(incident(1, agent="<b>a</b>", summary=HOSTILE), NOW)
    qtbot.addWidget(view)
    view.show()
    summary = view.fields["Summary"]
    assert summary.textFormat() == Qt.TextFormat.PlainText and summary.text() == HOSTILE
    assert view.fields["Agent"].text() == "<b>a</b>"
    assert view.width() < 1000


# -- the real window on a real flow, store and team cache ----------------------
NUMBER = "+44 20 7946 0000"


def seed_cache(flow: Flow, marker: bool = False) -> None:
    """What a refresh would have put in the local team cache: agent-12's two
    calls from this number, an open promise, and (``marker``) an approved caution."""
    now = flow.clock()
    calls = [
        replace(incident(n), started_at=now - timedelta(days=n), category="refund") for n in (2, 5)
    ]
    promises = [replace(promise(2), due=now.date() + timedelta(days=2))]
    changes = TeamChanges(incidents=calls, promises=promises)
    if marker:
        mk = replace(caution(), proposed_at=now - timedelta(days=3))
        decision = MarkerDecision(
            id="d-1",
            version=1,
            marker_id=mk.id,
            agent_id="lead-1",
            decided_at=now - timedelta(days=2),
            action=MarkerAction.APPROVE,
            review_by=now.date() + timedelta(days=88),
        )
        changes.markers.append(mk)
        changes.decisions.append(decision)
    flow.team_apply(changes)


def in_call(qtbot: QtBot, flow: Flow, marker: bool = False) -> CompanionWindow:
    seed_cache(flow, marker)
    w = make(qtbot, flow)
    flow.start_shift("agent-7")
    flow.run(Command(Name.CALL_START, {"caller": NUMBER}))
    return w


def test_the_badge_counts_the_teams_calls_and_names_the_last_agent(
    qtbot: QtBot, flow: Flow
) -> None:
    w = in_call(qtbot, flow)
    assert w.header.badge.isVisible()
    assert w.header.badge.text() == "2 earlier calls · last: pending refund, 2 days ago, agent-12"
    assert w.team.isVisible()
    assert [label.text() for label in w.team.promise_labels] == [
        f"Callback promised by {(flow.clock().date() + timedelta(days=2)):%A} — agent-12"
    ]
    flow.run(Command(Name.CALL_END))
    assert not w.team.isVisible() and not w.header.badge.isVisible()


def test_kept_records_the_promise_on_this_call_and_its_line_goes(qtbot: QtBot, flow: Flow) -> None:
    w = in_call(qtbot, flow)
    call = flow.call
    assert call is not None
    qtbot.mouseClick(w.team.kept_buttons["fu-2"], Qt.MouseButton.LeftButton)
    assert "Recorded as kept on this call: callback (agent-12's promise)" in w.status.text()
    assert w.team.kept_buttons == {} and not w.team.promise_box.isVisible()
    rows = flow.store.db.execute("SELECT followup_id, incident_id FROM kept_promises").fetchall()
    assert [tuple(r) for r in rows] == [("fu-2", call.meta.id)]


def test_the_caution_button_switches_to_the_abusive_playbook(qtbot: QtBot, flow: Flow) -> None:
    w = in_call(qtbot, flow, marker=True)
    assert w.team.caution.isVisible()
    assert w.team.caution.text().startswith("Caution: this caller is marked for threats")
    assert not flow.abusive
    qtbot.mouseClick(w.team.playbook, Qt.MouseButton.LeftButton)
    assert flow.abusive and flow.playbook.id == ABUSIVE.id
    assert "abusive-caller mode" in w.title.text()
    assert w.team.caution.isVisible() and not w.team.playbook.isVisible()


def test_voice_figures_shared_is_said_for_good(
    qtbot: QtBot, tmp_path: Path, clock: FakeClock
) -> None:
    shared = make_flow(tmp_path / "s.db", clock, agent_id="agent-7", voice_shared=True)
    w = make(qtbot, shared)
    assert w.shared.isVisible()
    assert w.shared.text() == "Your voice figures are shared with your team lead"
    shared.start_shift("agent-7")
    shared.run(Command(Name.CALL_START, {"caller": NUMBER}))
    shared.run(Command(Name.CALL_END))
    assert w.shared.isVisible()
    quiet = make(qtbot, make_flow(tmp_path / "q.db", clock, agent_id="agent-7"))
    assert not quiet.shared.isVisible()


def test_the_search_lists_team_incidents_marked_and_read_only(qtbot: QtBot, flow: Flow) -> None:
    w = in_call(qtbot, flow)
    qtbot.mouseClick(w.header.badge, Qt.MouseButton.LeftButton)
    dialog = companion(w).after.search
    assert dialog is not None and dialog.isVisible()
    rows = [dialog.results.item(i) for i in range(dialog.results.count())]
    texts = [r.text() for r in rows]
    assert len(texts) == 2 and all(t.endswith("agent-12 (team, read-only)") for t in texts)
    assert "pending" in texts[0] and "refund pending" in texts[0]
    assert dialog.count.text().startswith("0 incidents and 2 of the team's")
    dialog.results.itemActivated.emit(rows[0])
    view = dialog.team_view
    assert view is not None and view.isVisible()
    assert view.fields["Agent"].text() == "agent-12"
    assert not companion(w).forms.forms  # never the incident form


def test_the_form_proposes_a_caution_marker_on_an_abusive_call(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow)
    flow.start_shift("agent-7")
    flow.run(Command(Name.CALL_START, {"caller": NUMBER}))
    flow.run(Command(Name.CALL_END))
    forms = companion(w).forms.forms
    [form] = forms.values()
    assert not form.marker_box.isVisible()  # not an abusive call
    form.marker_requested.emit("threats")  # as if it were shown: the flow's rule refuses
    assert "mark the call's abuse level" in form.status.text()
    assert not form.marker_box.button.isHidden()  # still to propose
    assert flow.store.db.execute("SELECT count(*) FROM markers").fetchone()[0] == 0
    form.abuse.setCurrentIndex(2)  # Abusive
    assert form.marker_box.isVisible()
    reasons = [form.marker_box.reason.itemText(i) for i in range(form.marker_box.reason.count())]
    assert reasons == ["Threats", "Sustained abuse", "Harassment"]
    assert not form.marker_box.reason.isEditable()  # no free text about the person
    form.marker_box.reason.setCurrentIndex(1)
    qtbot.mouseClick(form.marker_box.button, Qt.MouseButton.LeftButton)
    assert form.marker_box.status.text() == "Proposed — a team lead reviews it"
    assert not form.marker_box.button.isVisible()
    (reason,) = flow.store.db.execute("SELECT reason FROM markers").fetchone()
    assert reason == "sustained-abuse"


# -- the controller: real team share, real threads -------------------------------
def open_store_for(flow: Flow) -> Callable[[], Store]:
    db_file = Path(flow.store.db.execute("PRAGMA database_list").fetchone()[2])
    return lambda: Store(open_database(db_file))


def team(flow: Flow, url: str, tmp_path: Path, **kw: Any) -> TeamController:
    target = TeamTarget(url, tmp_path / "default", 90, "agent-7")
    return TeamController(flow, open_store_for(flow), target, kw.pop("minutes", 10),
                          kw.pop("budget_ms", 800), **kw)  # fmt: skip


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = team_share(tmp_path / "team")
    seed_other_agent(root, tmp_path / "other", datetime.now(UTC).replace(microsecond=0))
    return root


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that takes the connection and never says a word (a hung store)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"https://127.0.0.1:{sock.getsockname()[1]}/calmline"


def test_refresh_at_shift_start_and_a_live_answer_within_the_budget(
    qtbot: QtBot, tmp_path: Path, share: Path
) -> None:
    flow = make_flow(tmp_path / "c.db", FakeClock(datetime.now(UTC)), agent_id="agent-7")
    w = make(qtbot, flow)
    ctl = team(flow, str(share), tmp_path)
    with qtbot.waitSignal(ctl.refreshed, timeout=20_000) as got:
        flow.start_shift("agent-7")
    assert got.args[0].error == "" and got.args[0].fetched >= 6
    assert ctl.last_thread_id not in (None, threading.get_ident())
    assert ctl.timer.isActive() and ctl.timer.interval() == 10 * 60_000
    with qtbot.waitSignal(ctl.looked_up, timeout=5_000) as answer:
        flow.run(Command(Name.CALL_START, {"caller": WINDOW_NUMBER}))
        # At once, from the cache: the GUI thread did not wait for the store.
        assert w.header.badge.text().startswith("2 earlier calls · last: pending refund")
        assert flow.call is not None and not flow.memory(flow.call).live
    assert answer.args == [flow.call.meta.id, True]
    assert flow.memory(flow.call).live and w.team.kept_buttons
    ctl.stop()
    assert not ctl.busy


def test_a_hung_store_never_holds_the_call_up_and_the_cache_stands(
    qtbot: QtBot, tmp_path: Path, silent: str
) -> None:
    flow = make_flow(tmp_path / "c.db", FakeClock(datetime.now(UTC)), agent_id="agent-7")
    seed_cache(flow)  # what an earlier refresh left
    w = make(qtbot, flow)
    ctl = team(flow, silent, tmp_path, minutes=0, budget_ms=300)
    flow.start_shift("agent-7")
    assert not ctl.timer.isActive()  # 0: only at shift start and after syncs
    started = time.monotonic()
    with qtbot.waitSignal(ctl.looked_up, timeout=5_000) as answer:
        flow.run(Command(Name.CALL_START, {"caller": NUMBER}))
        took = time.monotonic() - started
        assert took < 0.3, f"call start waited {took:.2f} s"
        assert w.header.badge.text().startswith("2 earlier calls")
    waited = time.monotonic() - started
    assert answer.args[1] is False and waited < 1.5, waited
    assert flow.call is not None and not flow.memory(flow.call).live
    assert w.header.badge.text().startswith("2 earlier calls")
    started = time.monotonic()
    ctl.stop(wait_s=0.5)  # the shift start's refresh still waits on the hung store
    assert time.monotonic() - started < 1.0  # quitting is not held up by it


def test_an_answer_for_a_call_that_ended_is_dropped(
    qtbot: QtBot, tmp_path: Path, share: Path
) -> None:
    flow = make_flow(tmp_path / "c.db", FakeClock(datetime.now(UTC)), agent_id="agent-7")
    make(qtbot, flow)
    ctl = team(flow, str(share), tmp_path)
    with qtbot.waitSignal(ctl.refreshed, timeout=20_000):
        flow.start_shift("agent-7")
    with qtbot.waitSignal(ctl.looked_up, timeout=5_000) as answer:
        call = flow.run(Command(Name.CALL_START, {"caller": WINDOW_NUMBER}))
        flow.run(Command(Name.CALL_END))  # before the worker's answer is handed back
    assert answer.args == [call.call.meta.id, False]  # type: ignore[union-attr]
    assert flow.memory(call.call).live is False  # type: ignore[union-attr]
    ctl.stop()


def test_every_sync_is_followed_by_a_refresh(qtbot: QtBot, tmp_path: Path, share: Path) -> None:
    flow = make_flow(tmp_path / "c.db", FakeClock(datetime.now(UTC)), agent_id="agent-7")
    sync = SyncController(flow, open_store_for(flow), str(share), tmp_path / "default", 15)
    ctl = team(flow, str(share), tmp_path, sync=sync)
    with qtbot.waitSignal(ctl.refreshed, timeout=20_000):
        flow.start_shift("agent-7")
    with qtbot.waitSignals([sync.finished, ctl.refreshed], timeout=20_000, order="strict"):
        flow.end_shift()
    assert not ctl.timer.isActive()
    sync.stop()
    ctl.stop()


def test_hostile_team_rows_in_the_search_are_their_characters(qtbot: QtBot, flow: Flow) -> None:
    hostile = replace(incident(1, agent="<b>a</b>", summary=HOSTILE), started_at=flow.clock())
    flow.team_apply(TeamChanges(incidents=[hostile]))
    w = make(qtbot, flow)
    dialog = companion(w).after.show_search(NUMBER)
    [row] = [dialog.results.item(i) for i in range(dialog.results.count())]
    assert "<b>x</b> <img src=" in row.text() and row.text().endswith("<b>a</b> (team, read-only)")
    assert "<img" not in row.toolTip() and "&lt;img src=" in row.toolTip()  # a tooltip is sniffed
