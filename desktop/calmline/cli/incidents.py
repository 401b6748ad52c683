"""`calmline incidents list|show|search|export` and `calmline followups`: the
incident log and the promised follow-ups, read from the local database.

Every argument is bounded where it is parsed (``count`` and ``text`` below): a
count is a whole number in range, a text has no undecodable bytes and a cap on its
length. A CSV export cannot run formulas in a spreadsheet (``inert_cell``)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from calmline.cli.common import fail
from calmline.cli.parser import Subparsers
from calmline.core.clock import local_now as now

if TYPE_CHECKING:
    from calmline.core.records import FollowUp, Incident
    from calmline.store.repository import Store

MAX_COUNT = 100_000  # --limit: more than a year of calls
TEXT_CHARS = 10_000  # a --note (as a note from the softphone); filters are shorter
FILTER_CHARS = 200
MINE_HELP = "only this computer's own incidents (default: the team's too, from the local copy)"


def count(text: str) -> int:
    """An argparse type: a whole number from 1 to MAX_COUNT."""
    try:
        n = int(text)
    except ValueError:
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise argparse.ArgumentTypeError(f"{shown!r} is not a whole number") from None
    if not 1 <= n <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{n} is out of range — give 1 to {MAX_COUNT}")
    return n


def text(limit: int) -> Any:
    """An argparse type: text of at most ``limit`` characters, undecodable bytes
    (from argv) as U+FFFD so it can be stored and searched."""

    def parse(value: str) -> str:
        from calmline.core.commands import as_text

        if len(value) > limit:
            raise argparse.ArgumentTypeError(
                f"{len(value)} characters is too long, at most {limit} — shorten it"
            )
        return as_text(value)

    return parse


def add_incidents(sub: Subparsers) -> None:
    inc = sub.add_parser(
        "incidents",
        help="list, show, search or export logged incidents",
        description="Read the incident log in the local database.",
    )
    acts = inc.add_subparsers(dest="incidents_command", metavar="ACTION", required=True)
    lst = acts.add_parser(
        "list", help="newest incidents first", description="One line per incident, newest first."
    )
    lst.add_argument("--limit", type=count, default=50, help="how many (default 50)")
    lst.add_argument("--mine", action="store_true", help=MINE_HELP)
    shw = acts.add_parser(
        "show",
        help="one incident with its notes and steps",
        description="Show one incident, its notes and step events.",
    )
    shw.add_argument("id", help="incident id or a unique prefix of it")
    find = acts.add_parser(
        "search",
        help="find past incidents by words, caller number or customer reference",
        description="Search incidents and their notes, best match first (words found in "
        "thousands of incidents: newest first). Words match any "
        "field (summary, facts, category, what was agreed, what worked); the last word may "
        "be cut short. A run of 3 or more digits matches inside caller numbers, whatever "
        "their spacing. With no TEXT, the newest incidents that pass the filters.",
    )
    find.add_argument(
        "text", nargs="*", type=text(FILTER_CHARS * 3), help="words or number fragments"
    )
    find.add_argument(
        "--caller",
        metavar="N",
        type=text(FILTER_CHARS),
        help="only this caller number or reference",
    )
    find.add_argument(
        "--category", metavar="C", type=text(FILTER_CHARS), help="only this category (any case)"
    )
    find.add_argument(
        "--best-practice",
        action="store_true",
        help="only solutions marked as worth reusing: what worked before",
    )
    find.add_argument("--limit", type=count, default=20, help="how many (default 20)")
    find.add_argument("--mine", action="store_true", help=MINE_HELP)
    exp = acts.add_parser(
        "export",
        help="export incidents as JSON or CSV",
        description="JSON: an array of incidents, each with its notes and step events. CSV: "
        "one row per incident, for spreadsheets; a text cell that a spreadsheet would run "
        "as a formula (it starts with = + - @, a tab or a line break, after any spaces) "
        "gets a leading ' so it stays text: '+44 20 7946 0000.",
    )
    exp.add_argument("--format", choices=["json", "csv"], required=True)
    exp.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")


def add_followups(sub: Subparsers) -> None:
    fol = sub.add_parser(
        "followups",
        help="promised follow-ups: list them, or mark one done",
        description="Follow-ups come from the next steps promised on a call (saved when the "
        "incident is finished). Without ACTION: the open ones, soonest due first.",
    )
    fol.add_argument("--due", action="store_true", help="only those due today or overdue")
    fol.add_argument("--all", action="store_true", help="done ones too")
    fol_acts = fol.add_subparsers(dest="followups_command", metavar="ACTION")
    done = fol_acts.add_parser(
        "done",
        help="mark a follow-up done, saying what was done",
        description="Mark a follow-up done; it syncs like any record.",
    )
    done.add_argument("id", help="follow-up id or a unique prefix (as listed)")
    done.add_argument(
        "--note",
        required=True,
        type=text(TEXT_CHARS),
        help="what was done, e.g. 'refund confirmed'",
    )


def _store() -> Store:
    from calmline.context import Context

    return Context.load().open_store()


def incident_line(inc: Incident) -> str:
    from calmline.core.after_call import caller_of

    when = inc.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    length = (
        f"{(inc.ended_at - inc.started_at).total_seconds() / 60:.0f} min"
        if inc.ended_at
        else "open"
    )
    return (
        f"{inc.meta.id[:8]}  {when}  {length:>7}  {inc.status.value:<5}  "
        f"{inc.resolution.value:<20}  {caller_of(inc) or '-'}  "
        f"{inc.category}"
    )


def _doc(store: Store, inc: Incident) -> dict[str, Any]:
    from calmline.core.serialize import flat_record

    doc = flat_record(inc)
    doc["notes"] = [flat_record(n) for n in store.notes_for(inc.meta.id)]
    doc["step_events"] = [flat_record(e) for e in store.step_events_for(inc.meta.id)]
    return doc


def run_incidents(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.context import Context
    from calmline.core.records import Incident
    from calmline.store.repository import NotFoundError

    ctx = Context.load()
    store = ctx.open_store()
    me = None if getattr(args, "mine", False) else ctx.settings.settings.agent_id
    if args.incidents_command == "list":
        from calmline.cli.team import team_line, with_team
        from calmline.store.search import SearchQuery

        own = store.incidents(limit=args.limit)
        rows = with_team(own, store, SearchQuery(limit=args.limit), out, me)
        if not rows:
            print("no incidents logged yet", file=out)
        for i in rows:
            print(incident_line(i) if isinstance(i, Incident) else team_line(i), file=out)
        return 0
    if args.incidents_command == "show":
        try:
            inc = store.find(Incident, args.id)
        except NotFoundError as exc:
            return fail(str(exc.args[0]))
        json.dump(_doc(store, inc), out, indent=2, ensure_ascii=False)
        print(file=out)
        return 0
    if args.incidents_command == "search":
        return _search(store, args, out, me)
    return _export(store, args, out)


def _search(store: Store, args: argparse.Namespace, out: TextIO, me: str | None) -> int:
    from calmline.cli.team import team_line, with_team
    from calmline.core.after_call import headline
    from calmline.core.records import Incident
    from calmline.store.search import SearchQuery

    query = SearchQuery(
        text=" ".join(args.text),
        caller_number=args.caller or "",  # --caller: a number or a reference
        customer_ref=args.caller or "",
        category=args.category or "",
        best_practice=args.best_practice,
        limit=args.limit,
    )
    problem = query.problem()
    if problem:
        return fail(problem)
    found = with_team(store.search(query), store, query, out, me)
    if not found:
        print("no incidents match", file=out)
    for inc in found:
        if not isinstance(inc, Incident):
            print(team_line(inc), file=out)
            continue
        print(incident_line(inc), file=out)
        first = headline(inc)
        if first:
            print(f"          {first}", file=out)
        if inc.best_practice:
            print(f"          what worked: {inc.best_practice_text}", file=out)
    return 0


# What makes a spreadsheet read a cell as a formula (OWASP, CSV injection): these
# first characters, also after leading spaces, which some spreadsheets skip.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def inert_cell(value: Any) -> Any:
    """A text cell that cannot run: one that a spreadsheet would take as a formula
    gets a leading ' (shown, and kept as text). Numbers stay numbers."""
    if isinstance(value, str) and (
        value[:1] in FORMULA_START or value.lstrip()[:1] in FORMULA_START
    ):
        return "'" + value
    return value


def csv_row(inc: Incident) -> dict[str, Any]:
    """One incident as spreadsheet cells: plain text and numbers, voice figures in
    columns of their own (the per-second levels stay in the JSON export)."""
    from calmline.core.serialize import flat_record

    row = flat_record(inc)
    voice = row.pop("voice")
    row["next_steps"] = "; ".join(
        p["what"]
        + (f" (for {p['who']})" if p["who"] else "")
        + (f" by {p['due']}" if p["due"] else "")
        for p in row["next_steps"]
    )
    row["voice_baseline_dbfs"] = voice["baseline_dbfs"]
    row["voice_max_over_baseline_db"] = voice["max_over_baseline_db"]
    row["voice_talk_share"] = voice["talk_share"]
    row["voice_cues"] = "; ".join(f"{kind}={n}" for kind, n in voice["cue_counts"])
    return row


def _export(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from calmline.core.clock import utc_now
    from calmline.core.records import Incident
    from calmline.platform.private import open_private

    incidents = list(reversed(store.incidents()))  # oldest first in exports
    # A byte-order mark lets spreadsheet programs read the file as UTF-8.
    encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
    try:
        dest = open_private(args.output, encoding=encoding, newline="") if args.output else out
    except OSError as exc:
        return fail(f"cannot write {args.output} ({exc.strerror or exc}); choose another file")
    try:
        if args.format == "json":
            json.dump([_doc(store, i) for i in incidents], dest, indent=2, ensure_ascii=False)
            print(file=dest)
        else:
            blank = Incident(shift_id="", started_at=utc_now())
            writer = csv.DictWriter(dest, fieldnames=list(csv_row(blank)))
            writer.writeheader()
            writer.writerows({k: inert_cell(v) for k, v in csv_row(i).items()} for i in incidents)
    finally:
        if args.output:
            dest.close()
    if args.output:
        print(f"wrote {len(incidents)} incidents to {args.output}", file=sys.stderr)
    return 0


def followup_line(f: FollowUp, who: str, today: Any) -> str:
    from calmline.core.followups import due_text

    whom = f" (for {f.who})" if f.who else ""
    caller = f"  · caller {who}" if who else ""
    done = f"  — {f.done_note}" if f.done_at else ""
    return f"{f.meta.id[:8]}  {due_text(f, today):<18}  {f.what}{whom}{caller}{done}"


def run_followups(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.core.after_call import caller_of
    from calmline.core.followups import complete, is_due
    from calmline.core.records import FollowUp, Incident
    from calmline.store.repository import NotFoundError

    store = _store()
    at = now()
    if args.followups_command == "done":
        try:
            followup = store.find(FollowUp, args.id)
        except NotFoundError as exc:
            return fail(str(exc.args[0]))
        saved = store.save(complete(followup, args.note, at))
        print(f"done: {saved.what} — it will be sent with the next sync", file=out)
        return 0
    today = at.date()
    followups = store.followups(open_only=not args.all)
    if args.due:
        followups = [f for f in followups if is_due(f, today)]
    if not followups:
        print("no follow-ups due" if args.due else "no open follow-ups", file=out)
    for f in followups:
        inc = store.get(Incident, f.incident_id)
        print(followup_line(f, caller_of(inc), today), file=out)
    return 0
