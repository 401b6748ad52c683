"""`calmline report`: one self-contained HTML file for a shift (the last one by
default) or for every call in a span of days, plots drawn offscreen."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

from calmline import __version__
from calmline.cli.common import fail
from calmline.cli.parser import Subparsers
from calmline.core.clock import local_now as now


def add_report(sub: Subparsers) -> None:
    p = sub.add_parser(
        "report",
        help="a shift report, or the team's (--team, leads), as one HTML file",
        description="Write one self-contained HTML file: the shift's figures (calls, "
        "handling and after-call time, outcomes, apologies, escalations, abusive calls, "
        "follow-ups), the agent's voice through the shift, talk share per call, and every "
        "call and follow-up. Without --shift or --from: the last shift.",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument("--shift", metavar="ID", help="a shift id or unique prefix")
    which.add_argument("--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD")
    which.add_argument("--list-shifts", action="store_true", help="list recent shifts and exit")
    p.add_argument(
        "--team",
        action="store_true",
        help="the team report for a team lead, from the team store (sync.target): per-agent "
        "calls, outcomes, after-call time and overdue promises, repeat callers, markers "
        "awaiting review; the days from --from to --to (default: today)",
    )
    p.add_argument("--to", dest="end", metavar="DATE", help="last day (default: today)")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="file to write (default: calmline-report-<day>.html here)",
    )


class ReportError(ValueError):
    """Bad report arguments; the message names the value and the fix."""


def _day(flag: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise ReportError(f"{flag} {shown!r} is not a date — write it as YYYY-MM-DD") from None


def _span(args: argparse.Namespace) -> tuple[datetime, datetime]:
    """Local days [from, to] as [start, end) instants."""
    first = _day("--from", args.start)
    today = now()
    last = _day("--to", args.end) if args.end else today.date()
    if last < first:
        raise ReportError(f"--to {last} is before --from {first} — swap them")
    tz = today.tzinfo
    return (
        datetime.combine(first, time(), tz),
        datetime.combine(last + timedelta(days=1), time(), tz),
    )


def run_report(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.context import Context
    from calmline.core.records import Shift
    from calmline.store.reports import range_period, shift_period
    from calmline.store.repository import NotFoundError

    if args.end and not args.start:
        raise ReportError("--to needs --from (or use --shift)")
    if args.team:
        return run_team_report(args, out)
    ctx = Context.load()
    store = ctx.open_store()
    at = now()
    if args.list_shifts:
        return _list_shifts(store, out)
    if args.start:
        start, end = _span(args)
        period = range_period(store, start, end)
    else:
        try:
            shift = store.find(Shift, args.shift) if args.shift else store.last_shift()
        except NotFoundError as exc:
            raise ReportError(str(exc.args[0])) from None
        if shift is None:
            raise ReportError("no shift recorded yet — start one in the window first")
        period = shift_period(store, shift, at)
    # Drawn offscreen whatever the desktop: a report needs no window.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from calmline.core.report_html import report_html
    from calmline.platform.private import open_private
    from calmline.ui.plot_images import report_plots

    _app = QApplication.instance() or QApplication(sys.argv[:1])  # alive while drawing
    raised_db = ctx.settings.settings.cues.raised_voice_db
    plots = report_plots(period.summary, raised_db)
    html = report_html(
        period.title, period.summary, period.incidents, period.followups, plots, at, __version__
    )
    dest = args.output or Path(f"calmline-report-{period.summary.start.astimezone():%Y-%m-%d}.html")
    try:
        with open_private(dest, encoding="utf-8") as f:
            f.write(html)
    except OSError as exc:
        return fail(f"cannot write {dest} ({exc.strerror or exc}); choose another --output")
    s = period.summary
    print(f"{period.title}: {s.calls} calls — report written to {dest}", file=out)
    return 0


def run_team_report(args: argparse.Namespace, out: TextIO) -> int:
    """`calmline report --team`: the team store's own figures, as one HTML file."""
    from calmline.context import Context
    from calmline.core.team_report_html import default_name, render_team_report
    from calmline.platform.private import open_private
    from calmline.sync.base import TargetError
    from calmline.sync.targets import target_for

    if args.shift or args.list_shifts:
        raise ReportError("--team reads the team store: use it with --from/--to, not --shift")
    today = now().date()
    first = _day("--from", args.start) if args.start else today
    last = _day("--to", args.end) if args.end else today
    if last < first:
        raise ReportError(f"--to {last} is before --from {first} — swap them")
    ctx = Context.load()
    settings = ctx.settings.settings
    try:
        target = target_for(settings.sync.target, ctx.paths.sync_folder, settings.agent_id)
        try:
            report = getattr(target, "report", None)
            if report is None:
                return fail(f"{target.name}: this team store cannot make a team report")
            team = report(first, last, today)
        finally:
            target.close()
    except TargetError as exc:
        return fail(str(exc))
    html = render_team_report(team, now(), __version__)
    dest = args.output or Path(default_name(first, last))
    try:
        with open_private(dest, encoding="utf-8") as f:
            f.write(html)
    except OSError as exc:
        return fail(f"cannot write {dest} ({exc.strerror or exc}); choose another --output")
    calls = sum(a.calls for a in team.agents)
    span = f"{first}" if first == last else f"{first} to {last}"
    agents = f"{len(team.agents)} agent" + ("" if len(team.agents) == 1 else "s")
    print(f"Team, {span}: {calls} calls by {agents} — report written to {dest}", file=out)
    return 0


def _list_shifts(store: Any, out: TextIO) -> int:
    from calmline.store.reports import recent_shifts

    shifts = recent_shifts(store)
    if not shifts:
        print("no shifts recorded yet", file=out)
    for shift, calls in shifts:
        start = shift.started_at.astimezone()
        end = f"{shift.ended_at.astimezone():%H:%M}" if shift.ended_at else "running"
        print(
            f"{shift.meta.id[:8]}  {start:%a %Y-%m-%d %H:%M}–{end}  {shift.agent_id}  "
            f"{calls} calls",
            file=out,
        )
    return 0
