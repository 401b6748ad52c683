"""The shift report as one self-contained HTML file: figures, plots embedded as
PNG data, every call and every follow-up. Opens in any browser, with nothing
beside it and no network. Pure: the plots arrive as PNG bytes."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

from calmline.core.after_call import (
    APOLOGY_WORDS,
    RESOLUTION_WORDS,
    caller_of,
    clock_text,
    duration_text,
)
from calmline.core.cues import CueKind
from calmline.core.followups import due_text
from calmline.core.records import FollowUp, Incident
from calmline.core.shift_summary import ShiftSummary, after_call_s, figure_rows

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 980px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 1.8em; }
.meta { color: #666; } table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3em .6em; border-bottom: 1px solid #ddd;
         vertical-align: top; }
th { background: #f4f4f4; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.figures th { width: 12em; background: none; } img { max-width: 100%; height: auto; }
.late { color: #b3261e; font-weight: 600; } footer { margin-top: 2.5em; color: #666; }
"""


@dataclass(frozen=True)
class Plot:
    key: str  # e.g. "voice"
    alt: str
    png: bytes


def _img(plot: Plot) -> str:
    data = base64.b64encode(plot.png).decode("ascii")
    return f'<p><img src="data:image/png;base64,{data}" alt="{escape(plot.alt)}"></p>'


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    ths = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(c)}</td>' if n in numeric else f"<td>{escape(c)}</td>"
            for n, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{ths}</tr></thead><tbody>{body}</tbody></table>"


def html_table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    """A table of text cells, every one escaped (``numeric``: the column
    numbers shown right-aligned): for the other reports (team_report_html)."""
    return _table(head, rows, numeric)


def _call_rows(incidents: Sequence[Incident]) -> list[list[str]]:
    rows = []
    for inc in incidents:
        assert inc.ended_at is not None
        v = inc.voice
        raised = v.count(CueKind.RAISED_VOICE.value)
        spent = after_call_s(inc)
        after = clock_text(spent) if spent is not None else "draft"
        rows.append(
            [
                f"{inc.started_at.astimezone():%d %b %H:%M}",
                clock_text((inc.ended_at - inc.started_at).total_seconds()),
                after,
                caller_of(inc) or "–",
                inc.category or "–",
                RESOLUTION_WORDS[inc.resolution],
                APOLOGY_WORDS[inc.apology_kind].split(" (")[0],
                str(raised),
                f"{v.talk_share:.0%}" if v.talk_share is not None else "–",
            ]
        )
    return rows


def report_html(
    title: str,
    summary: ShiftSummary,
    incidents: Sequence[Incident],
    followups: Sequence[FollowUp],
    plots: Mapping[str, Plot],
    generated: datetime,
    version: str,
) -> str:
    today: date = generated.date()
    figures = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(text)}</td></tr>"
        for label, text in figure_rows(summary)
    )
    calls = (
        _table(
            [
                "Started",
                "Length",
                "After-call",
                "Caller",
                "Category",
                "Outcome",
                "Apology",
                "Raised voice",
                "Talk share",
            ],
            _call_rows(incidents),
            {1, 2, 7, 8},
        )
        if incidents
        else "<p>No calls in this period.</p>"
    )
    by_incident = {i.meta.id: i for i in incidents}
    follow_rows = [
        [
            f.what,
            f.who or "–",
            caller_of(by_incident[f.incident_id]) or "–",
            due_text(f, today),
            f.done_note or "",
        ]
        for f in followups
    ]
    follow = (
        _table(["What", "For", "Caller", "Due", "Done: what was done"], follow_rows, set())
        if follow_rows
        else "<p>No follow-ups were promised.</p>"
    )
    silent = sum(not v.levels_db for v in summary.voice)
    voice_note = f"<p>{silent} call(s) had no microphone figures.</p>" if silent else ""
    pictures = "".join(_img(p) for p in plots.values())
    return f"""{page_start(title)}
<p class="meta">Calmline shift report, made {generated:%a %d %b %Y %H:%M}
({duration_text((summary.end - summary.start).total_seconds())} covered).</p>
<h2>In figures</h2>
<table class="figures">{figures}</table>
<h2>Voice and outcomes</h2>
{pictures}{voice_note}
<h2>Calls</h2>
{calls}
<h2>Follow-ups promised</h2>
{follow}
<footer>No audio is ever recorded: voice figures are levels, one a second at most,
measured on the agent's own microphone. Made by Calmline {escape(version)}.</footer>
</body></html>
"""


def page_start(title: str) -> str:
    """A report's HTML up to its heading: self-contained, the one style sheet."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — Calmline report</title><style>{CSS}</style></head>
<body>
<h1>{escape(title)}</h1>"""
