"""Make the app's icons from resources/icons/calmline.svg, the one source drawn by hand.

    python installers/icons.py OUTDIR

writes OUTDIR/calmline.ico (Windows: the programs, the Start-menu shortcut, Add/Remove
Programs), OUTDIR/calmline.icns (macOS: Calmline.app) and OUTDIR/calmline-256.png. Nothing
of this is committed: the PyInstaller spec and the MSI scripts call it at build time.

Every size is rendered from the SVG by Qt's own SVG renderer (the one the app draws with),
not scaled down from one large bitmap, so the small sizes stay sharp. Pillow writes the
containers. The output is the same bytes for the same SVG, Qt and Pillow.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "calmline.svg"
# What Windows asks of an .ico: Explorer and the taskbar pick from these.
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# The sizes Pillow's .icns writer stores (16..512 points, @2x up to 1024 px).
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


class IconError(RuntimeError):
    """The SVG could not be turned into icons; the message names the file."""


def _qt_app() -> object:
    """A QGuiApplication for the renderer, offscreen if the build machine has no display."""
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication([sys.argv[0] if sys.argv else "icons"])
    return app


def render(svg: Path, size: int) -> Image.Image:
    """The SVG drawn on a transparent size x size RGBA image."""
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    try:
        data = svg.read_bytes()
    except OSError as exc:
        raise IconError(f"cannot read the icon source {svg}: {exc}") from exc
    _qt_app()
    renderer = QSvgRenderer(QByteArray(data))
    if not renderer.isValid():
        raise IconError(f"{svg} is not an SVG Qt can render: fix the file (is it valid SVG?)")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    raw = bytes(rgba.constBits())[: rgba.bytesPerLine() * size]
    picture = Image.frombuffer("RGBA", (size, size), raw, "raw", "RGBA", rgba.bytesPerLine(), 1)
    picture = picture.copy()  # own the pixels: Qt's buffer goes with `rgba`
    if picture.getextrema()[3][1] == 0:
        raise IconError(f"{svg} rendered as a blank {size} px image: does it draw anything?")
    return picture


def _write_if_changed(path: Path, data: bytes) -> None:
    # An unchanged icon keeps its timestamp, so incremental builds stay incremental.
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


def build_icons(outdir: Path, svg: Path = SVG) -> dict[str, Path]:
    """Write calmline.ico, calmline.icns and calmline-256.png into outdir; their paths,
    keyed "ico", "icns" and "png"."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    images = {size: render(svg, size) for size in sorted({*ICO_SIZES, *ICNS_SIZES})}
    paths = {
        "ico": outdir / "calmline.ico",
        "icns": outdir / "calmline.icns",
        "png": outdir / "calmline-256.png",
    }

    ico = io.BytesIO()
    largest = images[max(ICO_SIZES)]
    smaller = [images[s] for s in ICO_SIZES if s != max(ICO_SIZES)]
    largest.save(ico, "ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=smaller)
    _write_if_changed(paths["ico"], ico.getvalue())

    icns = io.BytesIO()
    biggest = images[max(ICNS_SIZES)]
    others = [images[s] for s in ICNS_SIZES if s != max(ICNS_SIZES)]
    biggest.save(icns, "ICNS", append_images=others)
    _write_if_changed(paths["icns"], icns.getvalue())

    png = io.BytesIO()
    images[256].save(png, "PNG", optimize=False)
    _write_if_changed(paths["png"], png.getvalue())
    return paths


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python installers/icons.py OUTDIR", file=sys.stderr)
        return 2
    try:
        paths = build_icons(Path(argv[0]))
    except IconError as exc:
        print(f"icons: {exc}", file=sys.stderr)
        return 1
    for path in paths.values():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
