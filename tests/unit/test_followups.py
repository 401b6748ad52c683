"""Follow-ups: due states, the badge, marking done, and `calmline followups`."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from calmline.cli import main
from calmline.context import Context
from calmline.core.followups import Due, badge_text, complete, due_state, due_text, is_due
from calmline.core.problems import ProblemsError
from calmline.core.records import FollowUp, Incident, Shift
from calmline.store.repository import Store

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def f(due: date | None, done: bool = False, what: str = "call back") -> FollowUp:
    return FollowUp("inc", what, due=due, done_at=NOW if done else None)


def test_due_states_and_texts() -> None:
    cases = [
        (f(TODAY - timedelta(days=2)), Due.OVERDUE, "overdue by 2 days"),
        (f(TODAY - timedelta(days=1)), Due.OVERDUE, "overdue by 1 day"),
        (f(TODAY), Due.TODAY, "due today"),
        (f(date(2026, 11, 27)), Due.LATER, "due Fri 27 Nov"),
        (f(None), Due.UNDATED, "no date"),
        (f(TODAY - timedelta(days=9), done=True), Due.DONE, "done 22 Nov"),
    ]
    for followup, state, text in cases:
        assert due_state(followup, TODAY) is state
        assert due_text(followup, TODAY) == text
    assert [is_due(c[0], TODAY) for c in cases] == [True, True, True, False, False, False]


def test_badge_counts_only_what_is_due() -> None:
    assert badge_text([f(None), f(TODAY + timedelta(days=1))], TODAY) == ""
    assert badge_text([f(TODAY)], TODAY) == "Follow-ups: 1 due today"
    due = [f(TODAY - timedelta(days=3)), f(TODAY - timedelta(days=1)), f(TODAY), f(TODAY, True)]
    assert badge_text(due, TODAY) == "Follow-ups: 2 overdue, 1 due today"


def test_marking_done_needs_a_note_and_happens_once() -> None:
    with pytest.raises(ProblemsError, match="done_note: a done follow-up needs a note — say"):
        complete(f(TODAY), "  ", NOW)
    done = complete(f(TODAY), " refund confirmed by email ", NOW)
    assert done.done_at == NOW and done.done_note == "refund confirmed by email"
    with pytest.raises(ProblemsError, match="already done"):
        complete(done, "again", NOW)


def seed(store: Store) -> list[FollowUp]:
    shift = store.save(Shift("agent-7", NOW))
    inc = store.save(Incident(shift.meta.id, NOW, NOW, caller_number="+1 555 0100"))
    today = datetime.now().astimezone().date()
    return [
        store.save(FollowUp(inc.meta.id, "send the returns label", due=today - timedelta(days=1))),
        store.save(FollowUp(inc.meta.id, "confirm the refund", "billing", due=today)),
        store.save(FollowUp(inc.meta.id, "check the repair", due=today + timedelta(days=5))),
        store.save(FollowUp(inc.meta.id, "ask about feedback")),
    ]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_the_followups_command(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("followups") == (0, "no open follow-ups\n")
    store = Context.load().open_store()
    late, today, _later, _undated = seed(store)
    code, out = run("followups")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4
    assert lines[0].startswith(late.meta.id[:8]) and "overdue by 1 day" in lines[0]
    assert "due today" in lines[1] and "confirm the refund (for billing)" in lines[1]
    assert "caller +1 555 0100" in lines[1] and "no date" in lines[3]
    code, out = run("followups", "--due")
    assert [line[:8] for line in out.splitlines()] == [late.meta.id[:8], today.meta.id[:8]]

    assert run("followups", "done", today.meta.id[:8], "--note", "") == (1, "")
    assert "done_note: a done follow-up needs a note" in capsys.readouterr().err
    code, out = run("followups", "done", today.meta.id[:8], "--note", "refund sent")
    assert code == 0 and "confirm the refund" in out and "next sync" in out
    saved = store.get(FollowUp, today.meta.id)
    assert saved.done_note == "refund sent" and saved.meta.version == 2
    assert ("followup", today.meta.id, 2) in [tuple(vars(e).values()) for e in store.outbox()]
    assert today.meta.id[:8] not in run("followups")[1]
    assert "— refund sent" in run("followups", "--all")[1]
    assert run("followups", "done", "zzzz", "--note", "x")[0] == 1
    assert "no follow-up with id 'zzzz' — see `calmline followups`" in capsys.readouterr().err


def test_a_done_followup_syncs_like_any_record(tmp_path: Path) -> None:
    import json

    from calmline.store.database import open_database
    from calmline.sync.folder import FolderTarget
    from calmline.sync.runner import run_sync

    store = Store(open_database(tmp_path / "c.db"))
    followup = seed(store)[1]
    share = tmp_path / "share"
    share.mkdir()
    (share / ".calmline-store").touch()  # IT marks the team store (docs/deploying.md)
    assert run_sync(store, FolderTarget(share)).total == 6  # shift, incident, 4 follow-ups
    store.save(complete(followup, "refund sent", NOW))
    again = run_sync(store, FolderTarget(share))
    assert (again.sent, again.total) == (1, 1)
    (doc,) = share.rglob(f"followup-{followup.meta.id}.json")
    record = json.loads(doc.read_text())["record"]
    assert record["done_note"] == "refund sent" and record["version"] == 2
    assert record["done_at"].startswith("2026-11-22T15:00")
