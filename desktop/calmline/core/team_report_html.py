"""The team report (`calmline report --team`) as one self-contained HTML file,
in the shift report's style (core/report_html.py): per-agent figures, the
callers who rang more than once, and the caution markers awaiting a lead's
review. Everything the team store returned is data: every text is escaped.
Pure: no plots, no files."""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from calmline.core.after_call import RESOLUTION_WORDS, clock_text
from calmline.core.records import Resolution
from calmline.core.report_html import html_table, page_start
from calmline.core.team_report import AgentRow, TeamReport
from calmline.core.team_view import REASON_WORDS


def _outcomes(row: AgentRow) -> str:
    """'resolved 12 · pending 3'; a value this Calmline does not know shown as it is."""
    words = []
    for value, calls in row.outcomes:
        try:
            word = RESOLUTION_WORDS[Resolution(value)]
        except ValueError:
            word = value
        words.append(f"{word} {calls}")
    return " · ".join(words) or "–"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _when(at: datetime) -> str:
    return f"{at.astimezone():%a %d %b %Y %H:%M}"


def _days(report: TeamReport) -> str:
    if report.start == report.end:
        return f"{report.start:%a %d %b %Y}"
    return f"{report.start:%a %d %b %Y} to {report.end:%a %d %b %Y}"


def _agents(report: TeamReport) -> str:
    if not report.agents:
        return "<p>No calls in this period.</p>"
    voiced = any(
        a.talk_share is not None or a.raised_voice_calls is not None for a in report.agents
    )
    head = ["Agent", "Calls", "Outcomes", "After-call (mean)", "Overdue promises"]
    if voiced:
        head += ["Talk share", "Raised-voice calls"]
    rows = []
    for a in report.agents:
        after = "–" if a.after_call_s is None else clock_text(a.after_call_s)
        row = [a.agent_id, str(a.calls), _outcomes(a), after]
        row.append(str(a.overdue_promises))
        if voiced:
            raised = "–" if a.raised_voice_calls is None else str(a.raised_voice_calls)
            row += [_share(a.talk_share), raised]
        rows.append(row)
    total = sum(a.calls for a in report.agents)
    overdue = sum(a.overdue_promises for a in report.agents)
    numeric = {1, 3, 4, 5, 6} if voiced else {1, 3, 4}
    return (
        f"<p>{total} calls by {len(report.agents)} agent(s); {overdue} promise(s) overdue "
        f"(due before {report.today:%d %b %Y}, not done and not recorded kept).</p>"
        + html_table(head, rows, numeric)
    )


def _repeats(report: TeamReport) -> str:
    if not report.repeat_callers:
        return "<p>No caller rang more than once in this period.</p>"
    rows = [
        [r.caller or "–", str(r.calls), str(r.agents), _when(r.last_at)]
        for r in report.repeat_callers
    ]
    shown = len(report.repeat_callers)
    total = max(report.repeat_callers_total, shown)
    more = f" Shown: the {shown} with the most calls." if total > shown else ""
    return f"<p>{total} caller(s) rang two or more times.{more}</p>" + html_table(
        ["Caller", "Calls", "Agents", "Last call"], rows, {1, 2}
    )


def _markers(report: TeamReport) -> str:
    if not report.awaiting_review:
        return "<p>No caution marker is awaiting review.</p>"
    rows = [
        [
            m.id[:8],
            _when(m.proposed_at),
            m.agent_id,
            REASON_WORDS.get(m.reason, str(m.reason)),
            m.caller_number or m.customer_ref or "–",
        ]
        for m in report.awaiting_review
    ]
    return (
        f"<p>{len(rows)} marker(s), oldest first. Review each with "
        "<code>calmline markers approve|reject ID</code>.</p>"
        + html_table(["Marker", "Proposed", "By", "Reason", "Caller"], rows, set())
    )


def render_team_report(
    report: TeamReport, generated: datetime | None = None, version: str = ""
) -> str:
    """The whole file. ``generated``: when it was made (default: now);
    ``version``: Calmline's, for the footer."""
    made = generated or datetime.now().astimezone()
    title = f"Team report, {_days(report)}"
    voice = (
        "Voice figures appear only where IT shares them (sync.share_voice_figures)."
        if any(a.talk_share is not None for a in report.agents)
        else "No voice figures: they stay on each agent's computer."
    )
    return f"""{page_start(title)}
<p class="meta">Calmline team report, made {made:%a %d %b %Y %H:%M} from
{escape(report.store)}, for calls started in the period.</p>
<h2>Agents</h2>
{_agents(report)}
<h2>Callers with repeat contacts</h2>
{_repeats(report)}
<h2>Caution markers awaiting review</h2>
{_markers(report)}
<footer>{escape(voice)} After-call time runs from a call's end to its form saved as
final. Made by Calmline {escape(version)}.</footer>
</body></html>
"""


def default_name(start: date, end: date) -> str:
    """The file `calmline report --team` writes without --output."""
    return (
        f"calmline-team-report-{start:%Y-%m-%d}.html"
        if start == end
        else (f"calmline-team-report-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}.html")
    )
