"""The team's memory from the command line, over a real shared folder written
by three Calmlines (agents agent-7 and agent-8, and a lead): `team refresh`
says what came, `incidents list/search` show the team's calls marked with
their agent (`--mine` leaves them out), and a caution marker goes from an
agent's proposal to a lead's approval, refused for anyone else."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from calmline.cli import main
from calmline.context import Context
from calmline.core.clock import utc_now
from calmline.core.records import AbuseLevel, Resolution
from calmline.flow import Flow
from calmline.store.repository import Store
from calmline.sync.folder import MARKER
from tests.fakes import ABUSIVE, IRATE

Run = Callable[..., tuple[int, str]]


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    root.mkdir()
    (root / MARKER).write_text("")
    (root / ".calmline-leads").write_text("# team leads\nlead-anna\n")
    return root


@pytest.fixture
def as_agent(tmp_path: Path, share: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Run]:
    """``as_agent("agent-7")("incidents", "list")``: the CLI run in that agent's own home."""

    def for_agent(agent: str) -> Run:
        home = tmp_path / agent
        if not home.exists():
            home.mkdir()
            (home / "config.toml").write_text(f'agent_id = "{agent}"\n[sync]\ntarget = "{share}"\n')

        def run(*argv: str) -> tuple[int, str]:
            monkeypatch.setenv("CALMLINE_HOME", str(home))
            out = io.StringIO()
            return main(list(argv), out=out), out.getvalue()

        return run

    return for_agent


def one_call(run: Run, agent: str, caller: str, **fields: object) -> str:
    """A real call in ``agent``'s database, saved final; returns its id."""
    run("config", "show")  # CALMLINE_HOME now points at the agent's home
    store = Context.load().open_store()
    try:
        flow = Flow(store, IRATE, ABUSIVE, agent_id=agent)
        flow.start_shift(agent)
        flow.start_call(caller)
        ended = flow.end_call()
        flow.save_incident(replace(ended, **fields), final=True)  # type: ignore[arg-type]
        flow.end_shift()
        return ended.meta.id
    finally:
        store.close()


def test_the_team_calls_come_to_the_next_agent_and_markers_are_reviewed_by_a_lead(
    as_agent: Callable[[str], Run], share: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a7, a8, lead = as_agent("agent-7"), as_agent("agent-8"), as_agent("lead-anna")
    abusive = one_call(
        a7,
        "agent-7",
        "+44 20 7946 0000",
        category="refund",
        summary="- wants a refund <b>now</b>",
        resolution=Resolution.PENDING,
        abuse_level=AbuseLevel.ABUSIVE,
    )
    code, said = a7("markers", "propose", abusive[:8], "--reason", "threats")
    assert code == 0 and "proposed (threats)" in said
    assert a7("markers", "propose", abusive[:8], "--reason", "threats")[0] == 1  # once a call
    assert a7("sync")[0] == 0
    one_call(a8, "agent-8", "+1 555 0199", category="billing")
    assert a8("sync")[0] == 0

    code, said = a8("team", "refresh")
    assert code == 0 and "new or changed" in said and "not refreshed" not in said
    assert a8("team", "refresh") == (0, f"team history from folder {share}: 0 new or changed\n")
    code, listed = a8("incidents", "list")
    assert code == 0 and "agent-7 (read-only)" in listed and "billing" in listed
    assert "agent-7" not in a8("incidents", "list", "--mine")[1]
    code, found = a8("incidents", "search", "refund")
    assert code == 0 and abusive[:8] in found and "agent-7 (read-only)" in found
    code, found = a8("incidents", "search", "--caller", "0044 20 7946 0000")
    assert abusive[:8] in found

    code, listed = a8("markers", "list", "--awaiting")
    assert code == 0 and "proposed" in listed and "threats" in listed and "by agent-7" in listed
    marker_id = listed.split()[0]
    capsys.readouterr()
    code, _ = a8("markers", "approve", marker_id)
    refused = capsys.readouterr().err
    assert code == 1 and ".calmline-leads" in refused and "agent-8" in refused, refused
    code, said = lead("markers", "approve", marker_id)
    assert code == 0 and "approved; review by" in said
    assert lead("markers", "approve", marker_id)[0] == 1  # only a proposed one
    code, listed = a8("markers", "list")
    assert "active" in listed and "approved" in listed and "by lead-anna" in listed
    code, said = lead("markers", "renew", marker_id)
    assert code == 0 and "renewed" in said


def test_a_refresh_that_cannot_read_the_store_says_why_and_keeps_the_copy(
    as_agent: Callable[[str], Run], share: Path
) -> None:
    a8 = as_agent("agent-8")
    assert a8("team", "refresh")[0] == 0
    (share / MARKER).unlink()
    code, said = a8("team", "refresh")
    assert code == 1 and "not refreshed" in said and MARKER in said
    store = Store.open(Path(Context.load().paths.data_dir) / "calmline.db")
    try:
        from calmline.store.team_cache import TeamCache

        assert TeamCache(store).as_of is not None and TeamCache(store).as_of <= utc_now()
    finally:
        store.close()
