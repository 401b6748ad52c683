"""`calmline report`: one self-contained HTML file with real, non-empty plots,
rendered offscreen from a seeded database."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from calmline.cli import main
from calmline.context import Context
from calmline.ui.plot_images import BAR, RAISED
from tests.seeding import seed_shift


class Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.imgs: list[dict[str, str | None]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.imgs.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def coloured(png: bytes, colour: str) -> int:
    """Pixels of (about) this colour: the plot drew something, not just axes."""
    image = QImage.fromData(png)
    assert not image.isNull()
    want = QColor(colour)
    n = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            n += (
                abs(c.red() - want.red())
                + abs(c.green() - want.green())
                + abs(c.blue() - want.blue())
                < 40
            )
    return n


def test_shift_report_is_one_file_with_real_plots(home: Path, tmp_path: Path) -> None:
    seed_shift(Context.load().open_store(), calls=60)
    dest = tmp_path / "report.html"
    code, out = run("report", "-o", str(dest))
    assert code == 0 and "60 calls — report written to" in out
    html = dest.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["'](?!data:)""", html)  # nothing beside it
    assert "http://" not in html and "https://" not in html
    page = Tables()
    page.feed(html)
    figures = {r[0]: r[1] for r in page.rows if len(r) == 2}
    assert figures["Calls handled"] == "60"
    calls = [r for r in page.rows if len(r) == 9 and r[0] != "Started"]
    assert len(calls) == 60 and calls[0][0] == "20 Nov 08:05"
    follow = [r for r in page.rows if len(r) == 5 and r[0] != "What"]
    assert len(follow) == 10 and follow[0][0] == "call back"
    pngs = {
        str(img["alt"]): base64.b64decode(str(img["src"]).split(",", 1)[1]) for img in page.imgs
    }
    voice = next(v for k, v in pngs.items() if k.startswith("Voice level"))
    assert coloured(voice, BAR) > 500 and coloured(voice, RAISED) > 20
    assert coloured(pngs["Talk share per call"], BAR) > 500
    assert coloured(pngs["Calls by outcome"], BAR) > 500
    plots = [w for w in QApplication.topLevelWidgets() if isinstance(w, pg.PlotWidget)]
    assert plots == []  # drawn, then deleted: nothing left in a process that goes on


def test_a_span_of_days_and_the_shift_list(home: Path, tmp_path: Path) -> None:
    shift = seed_shift(Context.load().open_store(), calls=5)
    code, out = run("report", "--list-shifts")
    assert code == 0 and out.startswith(shift.meta.id[:8]) and "5 calls" in out
    dest = tmp_path / "span.html"
    assert run("report", "--from", "2026-11-19", "--to", "2026-11-20", "-o", str(dest))[0] == 0
    assert "Calls from Thu 19 Nov 2026 to Fri 20 Nov 2026" in dest.read_text()
    assert run("report", "--shift", shift.meta.id[:6], "-o", str(dest))[0] == 0
    empty = tmp_path / "empty.html"
    assert run("report", "--from", "2026-10-01", "--to", "2026-10-02", "-o", str(empty))[0] == 0
    assert "No calls in this period." in empty.read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-13-01"], "--from '2026-13-01' is not a date — write it as YYYY-MM-DD"),
        (["--from", "2026-11-20", "--to", "2026-11-01"], "is before --from 2026-11-20 — swap"),
        (["--to", "2026-11-01"], "--to needs --from"),
        (["--shift", "zzzz"], "no shift with id 'zzzz'"),
    ],
)
def test_bad_arguments_say_what_to_fix(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    seed_shift(Context.load().open_store(), calls=1)
    assert run("report", *argv)[0] == 1
    assert message in capsys.readouterr().err


def test_no_shift_yet(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("report")[0] == 1
    assert "no shift recorded yet" in capsys.readouterr().err
