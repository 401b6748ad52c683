"""`calmline markers list|propose|approve|reject|renew`: caution markers for
abusive callers, as a caution register keeps them. An agent proposes one after
an aggressive or abusive call, with a reason from a fixed list and nothing
else about the person; a team lead approves or rejects it in the team store,
with the lead's own login there; an approved marker stands until its review
date and then expires unless a lead renews it. Every step is a record of who,
when and what, kept in the team store."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from calmline.cli.common import fail
from calmline.cli.parser import Subparsers

if TYPE_CHECKING:
    from calmline.context import Context
    from calmline.core.team import MarkerAction, MarkerDecision, MarkerState

REASONS = ("threats", "sustained-abuse", "harassment")


def add_markers(sub: Subparsers) -> None:
    m = sub.add_parser(
        "markers",
        help="caution markers for abusive callers: propose, review, renew",
        description="Caution markers warn the next agent that a caller was abusive. An agent "
        "proposes one after an aggressive or abusive call (a reason from a fixed list, no "
        "free text about the person); a team lead approves or rejects it against the team "
        "store with the lead's login; an approved marker must be reviewed by its review "
        "date (sync.marker_review_days) or it expires.",
    )
    acts = m.add_subparsers(dest="markers_command", metavar="ACTION", required=True)
    lst = acts.add_parser(
        "list",
        help="markers and where they stand (reads the team store first)",
        description="Every marker in the team's history with its status, reason, review "
        "date and who proposed and decided it. Reads the team store first; when it cannot "
        "be read, the local copy is listed and its age said.",
    )
    lst.add_argument("--awaiting", action="store_true", help="only those awaiting review")
    pro = acts.add_parser(
        "propose",
        help="propose a marker for the caller of an incident",
        description="Propose a caution marker for the caller of an aggressive or abusive "
        "call; it is sent with the next sync and a team lead reviews it.",
    )
    pro.add_argument("incident", help="incident id or a unique prefix (as listed)")
    pro.add_argument("--reason", required=True, choices=REASONS, help="why")
    for action, what in (
        ("approve", "approve a proposed marker (team leads)"),
        ("reject", "reject a proposed marker (team leads)"),
        ("renew", "renew an approved marker for another review period (team leads)"),
    ):
        act = acts.add_parser(action, help=what, description=what[:1].upper() + what[1:] + ".")
        act.add_argument("marker", help="marker id or a unique prefix (as listed)")


def run_markers(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.context import Context

    ctx = Context.load()
    if args.markers_command == "propose":
        return _propose(ctx, args.incident, args.reason, out)
    from calmline.cli.team import refresh_now

    summary = refresh_now(ctx)
    if args.markers_command == "list":
        if summary.error:
            print(f"(not refreshed: {summary.error})", file=out)
        return _list(ctx, args.awaiting, out)
    if summary.error:
        return fail(summary.error)
    return _decide(ctx, args.markers_command, args.marker, out)


def _states(ctx: Context) -> list[MarkerState]:
    from calmline.core.clock import utc_now
    from calmline.core.team import marker_state
    from calmline.store.team_cache import TeamCache

    store = ctx.open_store()
    try:
        markers, decisions = TeamCache(store).markers()
    finally:
        store.close()
    today = utc_now().date()
    return [marker_state(m, decisions, today) for m in markers]


def _list(ctx: Context, awaiting: bool, out: TextIO) -> int:
    from calmline.core.display_text import ID_MAX, line
    from calmline.core.team import DONE_WORDS, MarkerStatus

    states = [s for s in _states(ctx) if not awaiting or s.status is MarkerStatus.PROPOSED]
    if not states:
        print("no caution markers awaiting review" if awaiting else "no caution markers", file=out)
    for s in states:
        m = s.marker
        who = line(m.caller_number or m.customer_ref, ID_MAX) or "-"
        until = f"  review by {s.review_by}" if s.review_by else ""
        print(
            f"{m.id[:8]}  {s.status.value:<8}  {m.reason.value:<15}  caller {who}  "
            f"proposed {m.proposed_at:%Y-%m-%d} by {line(m.agent_id, ID_MAX)}{until}",
            file=out,
        )
        for d in s.decisions:
            by = line(d.agent_id, ID_MAX)
            done = DONE_WORDS[d.action]
            print(f"          {done} {d.decided_at:%Y-%m-%d} by {by}", file=out)
    return 0


def _propose(ctx: Context, incident_id: str, reason: str, out: TextIO) -> int:
    from calmline.core.clock import utc_now
    from calmline.core.records import Incident
    from calmline.core.session import TransitionError
    from calmline.core.team_actions import proposal
    from calmline.store.repository import NotFoundError

    store = ctx.open_store()
    try:
        incident = store.find(Incident, incident_id)
        marker = proposal(incident, reason, utc_now(), store.markers_of(incident.meta.id))
        store.save(marker)
    except NotFoundError as exc:
        return fail(str(exc.args[0]))
    except TransitionError as exc:
        return fail(str(exc))
    finally:
        store.close()
    print(
        f"caution marker proposed ({reason}); it is sent with the next sync, and a team "
        "lead reviews it",
        file=out,
    )
    return 0


def _decide(ctx: Context, action: str, prefix: str, out: TextIO) -> int:
    from calmline.core.team import DONE_WORDS, MarkerAction, may_decide

    states = [s for s in _states(ctx) if s.marker.id.startswith(prefix.strip().lower())]
    if len(states) != 1:
        many = "several markers" if states else "no marker"
        return fail(f"{many} with id {prefix[:40]!r} — see `calmline markers list`")
    (state,) = states
    why = may_decide(MarkerAction(action), state.status)
    if why:
        return fail(why)
    decision = _decision(ctx, state, MarkerAction(action))
    error = _send(ctx, decision)
    if error:
        return fail(error)
    until = f"; review by {decision.review_by}" if decision.review_by else ""
    print(f"marker {state.marker.id[:8]} {DONE_WORDS[decision.action]}{until}", file=out)
    return 0


def _decision(ctx: Context, state: MarkerState, action: MarkerAction) -> MarkerDecision:
    from datetime import timedelta

    from calmline.core.clock import utc_now
    from calmline.core.records import new_id
    from calmline.core.team import MarkerAction, MarkerDecision

    now = utc_now()
    days = ctx.settings.settings.sync.marker_review_days
    review = None if action is MarkerAction.REJECT else now.date() + timedelta(days=days)
    lead = ctx.settings.settings.agent_id
    return MarkerDecision(new_id(), 1, state.marker.id, lead, now, action, review)


def _send(ctx: Context, decision: MarkerDecision) -> str:
    """The decision into the team store (the lead's own login): "" when it
    landed, else why not. Landed, it goes into the local copy too."""
    from calmline.core.serialize import iso, plain
    from calmline.core.sync_docs import SyncDoc
    from calmline.core.team import TeamChanges
    from calmline.store.team_cache import TeamCache
    from calmline.sync.base import TargetError
    from calmline.sync.targets import target_for

    settings = ctx.settings.settings
    if not settings.agent_id:
        return "agent_id is not set: a decision is recorded with the lead's agent id"
    record = plain(decision)
    record.pop("agent_id")
    record |= {"created_at": iso(decision.decided_at), "updated_at": iso(decision.decided_at)}
    day = decision.decided_at.date().isoformat()
    doc = SyncDoc("marker_decision", decision.id, 1, decision.agent_id, day, record)
    try:
        target = target_for(settings.sync.target, ctx.paths.sync_folder, settings.agent_id)
        try:
            result = target.send([doc])
        finally:
            target.close()
    except TargetError as exc:
        return str(exc)
    if result.set_aside:
        return result.set_aside[0].reason
    if result.failure or not result.confirmed:
        return result.failure or "the team store did not confirm the decision"
    store = ctx.open_store()
    try:
        TeamCache(store).apply(TeamChanges(decisions=[decision]))
    finally:
        store.close()
    return ""
