"""`calmline team refresh`: read the team's caller history into the local cache
now, and say what came. Also the lines `incidents list` and `incidents search`
print for the team's calls (read-only, each with its agent)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from calmline.cli.parser import Subparsers

if TYPE_CHECKING:
    from calmline.cli.doctor import Check
    from calmline.context import Context
    from calmline.core.records import Incident
    from calmline.core.search_query import SearchQuery
    from calmline.core.team import TeamIncident
    from calmline.store.repository import Store
    from calmline.sync.team_refresh import RefreshSummary


def add_team(sub: Subparsers) -> None:
    team = sub.add_parser(
        "team",
        help="the team's caller history: refresh the local copy",
        description="Calmline keeps a local copy of the team's caller history (other agents' "
        "calls, their open promises, caution markers: never their notes or voice figures), "
        "read from the team store at shift start, after each sync and every "
        "sync.team_refresh_minutes. `refresh` reads it now.",
    )
    acts = team.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    acts.add_parser(
        "refresh",
        help="read what changed in the team store now",
        description="Read what changed in the team store since the last refresh into the "
        "local copy, and say how much came (or why nothing could be read).",
    )


def refresh_now(ctx: Context) -> RefreshSummary:
    from calmline.sync.team_refresh import team_refresh_job

    settings = ctx.settings.settings
    return team_refresh_job(
        ctx.open_store,
        settings.sync.target,
        ctx.paths.sync_folder,
        settings.retention_days,
        settings.agent_id,
    )


def run_team(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.context import Context
    from calmline.core.redact import redact_target

    summary = refresh_now(Context.load())
    print(redact_target(summary.text()), file=out)
    return 1 if summary.error else 0


def team_line(inc: TeamIncident) -> str:
    """Like incidents.incident_line, for a team call: marked with its agent."""
    from calmline.core.after_call import RESOLUTION_WORDS
    from calmline.core.display_text import ID_MAX, line

    when = inc.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    length = (
        f"{(inc.ended_at - inc.started_at).total_seconds() / 60:.0f} min" if inc.ended_at else "-"
    )
    who = line(inc.caller_number or inc.customer_ref, ID_MAX) or "-"
    return (
        f"{line(inc.id[:8], 8)}  {when}  {length:>7}  team   "
        f"{RESOLUTION_WORDS[inc.resolution]:<20}  {who}  {line(inc.category, ID_MAX)}  "
        f"· {line(inc.agent_id, ID_MAX)} (read-only)"
    )


def with_team(
    own: list[Incident], store: Store, query: SearchQuery, out: TextIO, me: str | None
) -> list[Incident | TeamIncident]:
    """``own`` and, unless ``me`` is None (`--mine`), the team's calls from the
    local cache that match ``query`` (not ``me``'s own), newest first, at most
    ``query.limit``; says how old the team's part is when it is not fresh."""
    from calmline.core.after_call import ago_text
    from calmline.core.clock import utc_now
    from calmline.store.team_cache import TeamCache

    if me is None:
        return list(own)
    cache = TeamCache(store)
    team = cache.search(query, not_agent=me)
    seen = {i.meta.id for i in own}
    both: list[Incident | TeamIncident] = [*own, *(t for t in team if t.id not in seen)]
    both.sort(key=lambda i: i.started_at, reverse=True)
    if team and cache.as_of is not None:
        print(f"(team calls as of {ago_text(cache.as_of, utc_now())})", file=out)
    return both[: query.limit] if query.limit > 0 else both


def team_check(ctx: Context) -> Check:
    """`doctor`'s line on the team's memory: how much of it this computer holds,
    from which store, how old, and whether the agent's voice figures leave it."""
    from calmline.cli.doctor import Check
    from calmline.core.after_call import ago_text
    from calmline.core.clock import utc_now
    from calmline.store.team_cache import TeamCache

    settings = ctx.settings.settings
    if settings.sync.share_voice_figures:
        source = ctx.settings.sources.get("sync.share_voice_figures")
        by = f" (set by {source.source})" if source is not None else ""
        voice = f"your voice figures are SHARED with your team lead{by}"
    else:
        voice = "your voice figures stay on this computer"
    try:
        store = ctx.open_store()
    except Exception as exc:  # the local database check says why
        return Check("team", False, f"the local copy cannot be read ({exc}); {voice}")
    try:
        cache = TeamCache(store)
        calls, as_of, name = cache.counts()["team_incidents"], cache.as_of, cache.store_name
    finally:
        store.close()
    if as_of is None:
        held = "the team's history not read yet (it is at shift start)"
    else:
        held = f"{calls} team call(s) from {name}, read {ago_text(as_of, utc_now())}"
    return Check("team", True, f"{held}; {voice}")
