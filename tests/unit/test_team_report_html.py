"""The team report's HTML: every text from the team store escaped (it is
data), the figures and sections a lead reads, voice columns only when IT
shares voice figures, and nothing that reaches beyond the file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html.parser import HTMLParser

from calmline.core.team import CautionMarker, MarkerReason
from calmline.core.team_report import AgentRow, RepeatCaller, TeamReport
from calmline.core.team_report_html import default_name, render_team_report

AT = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)
EVIL = '<script>alert("x")</script>'


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.cells: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.cells.append(data.strip())


def report(voiced: bool = False, **changes: object) -> TeamReport:
    agents = (
        AgentRow(EVIL, 12, (("total", 9), ("pending", 2), ("made-up", 1)), 95.0, 3,
                 0.41 if voiced else None, 2 if voiced else None),
        AgentRow("agent-8", 4, (("none", 4),), None, 0),
    )  # fmt: skip
    fields: dict[str, object] = {
        "start": date(2026, 11, 1),
        "end": date(2026, 11, 2),
        "today": date(2026, 11, 2),
        "store": "postgresql://lead@db&co/calmline",
        "agents": agents,
        "repeat_callers": (RepeatCaller("<b>+44 20</b>", 5, 3, AT),),
        "awaiting_review": (
            CautionMarker(
                "m1234567-aaaa",
                1,
                "agent-8",
                "inc-1",
                AT,
                MarkerReason.THREATS,
                customer_ref="AC <1>",
            ),
        ),
        "repeat_callers_total": 7,
    }
    fields.update(changes)
    return TeamReport(**fields)  # type: ignore[arg-type]


def parsed(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def test_every_text_from_the_store_is_escaped() -> None:
    html = render_team_report(report(), AT, "9.9")
    tags = parsed(html)
    assert "script" not in tags.tags and "b" not in tags.tags
    assert EVIL not in html and "&lt;script&gt;" in html
    assert EVIL in tags.cells  # shown as the text it is
    assert "<b>+44 20</b>" in tags.cells and "AC <1>" in tags.cells
    assert "postgresql://lead@db&amp;co/calmline" in html


def test_the_figures_a_lead_reads() -> None:
    cells = parsed(render_team_report(report(), AT, "9.9")).cells
    row = cells[cells.index(EVIL) : cells.index(EVIL) + 5]
    assert row == [EVIL, "12", "resolved 9 · pending 2 · made-up 1", "1:35", "3"]
    assert cells[cells.index("agent-8") : cells.index("agent-8") + 5] == [
        "agent-8", "4", "unresolved 4", "–", "0"]  # fmt: skip
    assert "16 calls by 2 agent(s); 3 promise(s) overdue" in " ".join(cells)
    assert "7 caller(s) rang two or more times. Shown: the 1 with the most calls." in cells
    assert [c for c in cells if c in ("m1234567", "agent-8", "threats", "AC <1>")][-4:] == [
        "m1234567",
        "agent-8",
        "threats",
        "AC <1>",
    ]
    assert "Team report, Sun 01 Nov 2026 to Mon 02 Nov 2026" in cells


def test_voice_columns_only_when_shared() -> None:
    plain = render_team_report(report(), AT)
    assert "Talk share" not in plain and "they stay on each agent" in plain
    shared = parsed(render_team_report(report(voiced=True), AT)).cells
    assert "Talk share" in shared and "41%" in shared and "Raised-voice calls" in shared


def test_empty_sections_say_so_and_nothing_is_fetched_from_elsewhere() -> None:
    html = render_team_report(
        report(agents=(), repeat_callers=(), awaiting_review=(), repeat_callers_total=0), AT
    )
    assert "No calls in this period." in html
    assert "No caller rang more than once in this period." in html
    assert "No caution marker is awaiting review." in html
    tags = parsed(html)
    assert not {"script", "link", "img", "iframe"} & set(tags.tags)
    assert not [v for k, v in tags.attrs if k in ("src", "href")]


def test_default_file_names() -> None:
    assert (
        default_name(date(2026, 11, 2), date(2026, 11, 2)) == "calmline-team-report-2026-11-02.html"
    )
    assert default_name(date(2026, 11, 1), date(2026, 11, 2)) == (
        "calmline-team-report-2026-11-01-to-2026-11-02.html"
    )
