"""`calmline --self-test`: is this installation whole? For IT after a deployment and
for CI on the frozen bundle. It runs the doctor's checks (settings, playbooks, folders,
database, hotkeys), then what only a bundle can get wrong: every library the app loads
late, PortAudio, and Qt drawing the real window with its voice meter."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from calmline import __version__
from calmline.audio.devices import AudioUnavailable, PortAudioMissing, list_input_devices
from calmline.cli.doctor import Check, ListDevices, hotkeys_check, local_checks
from calmline.platform.bundle_parts import caller_header, os_modules
from calmline.platform.display import no_display

# Settings (pydantic), logging's set-up and Qt are imported when the test runs.
if TYPE_CHECKING:
    from calmline.context import Context

log = logging.getLogger("calmline.selftest")

# Imported late by the app (so start-up stays fast); a bundler can miss any of them.
LATE_MODULES = (
    "numpy",
    "pyqtgraph",
    "pydantic",
    "sqlite_utils",
    "platformdirs",
    "psycopg",
    "keyring",
    "stamina",
    "truststore",
    "calmline.sync.folder",
    "calmline.sync.postgres",
    "calmline.sync.https",
    "calmline.ui.main_window",
    "calmline.ui.companion",
    "calmline.ui.sync_controller",
    "calmline.ui.global_keys",
    "calmline.app",
    "calmline.audio.loopback",
)


def run_self_test(args: argparse.Namespace, out: TextIO) -> int:
    """`calmline --self-test`."""
    from calmline.context import Context

    return self_test(Context.load(), out)


def modules_check() -> Check:
    """Every module the app loads late, and this OS's own, can be loaded."""
    names = LATE_MODULES + os_modules()
    missing = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # any failure here is the finding, not a crash
            missing.append(f"{name} ({type(exc).__name__}: {exc})")
    if missing:
        return Check("libraries", False, "cannot load " + "; ".join(missing))
    import psycopg

    # The pure-Python psycopg needs a system libpq; the bundle carries the binary one.
    return Check("libraries", True, f"{len(names)} loaded; psycopg {psycopg.pq.__impl__}")


def audio_check(list_devices: ListDevices = list_input_devices) -> Check:
    """PortAudio must load; a machine with no headset plugged in is still a good install."""
    try:
        devices = list_devices()
    except PortAudioMissing as exc:
        return Check("audio", False, str(exc))
    except AudioUnavailable as exc:
        return Check("audio", True, f"PortAudio loaded; no input devices now ({exc})")
    names = [d.label for d in devices]
    return Check("audio", True, f"{len(names)} input device(s): " + "; ".join(names))


def caller_channel_check() -> Check:
    """The caller channel's library and the C declarations it reads at import must
    be installed (a bundle that lost them would quietly fall back to the mic alone);
    whether a loopback device exists now is `doctor`'s business."""
    from importlib.util import find_spec

    spec = find_spec("soundcard")  # found, not imported: importing it dials the audio server
    if spec is None or not spec.submodule_search_locations:
        return Check("caller channel", False, "the soundcard package is not installed")
    header = caller_header()
    if not any((Path(d) / header).is_file() for d in spec.submodule_search_locations):
        return Check("caller channel", False, f"soundcard is installed without its {header}")
    return Check("caller channel", True, f"soundcard with {header}")


def recogniser_check() -> Check:
    """Heard steps' recogniser: the engine loads, its bundled model is there, and it
    decodes (half a second of silence, which must spot nothing)."""
    try:
        import numpy as np

        from calmline.audio.spotter import Spotter, engine_info

        spotter = Spotter({"check": ("is there anything else",)}, 16000)
        spotter.begin(0.0)
        heard = spotter.feed(np.zeros(8000, dtype=np.float32)) + spotter.end()
    except Exception as exc:  # a missing model file, a native library that will not load
        return Check("recogniser", False, f"{type(exc).__name__}: {exc}")
    if heard:
        return Check("recogniser", False, "it heard a phrase in silence")
    return Check("recogniser", True, engine_info())


def qt_check(ctx: Context) -> Check:
    """Build the companion window with its checklist and meter on a scratch database
    and draw it (offscreen when there is no display), collecting Qt's critical messages."""
    try:
        if no_display(os.environ):  # the window still has to draw, where IT's tools run headless
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return _draw_window(ctx)
    except Exception as exc:  # a missing Qt part or plugin is the finding
        log.exception("self-test qt")
        return Check("qt", False, f"{type(exc).__name__}: {exc}")


def _draw_window(ctx: Context) -> Check:
    """The companion window built on a scratch database, its meter fed one level,
    drawn; Qt's critical messages are the findings."""
    from PySide6.QtCore import QEvent, QMessageLogContext, QtMsgType, qInstallMessageHandler
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from calmline.core.clock import local_now
    from calmline.flow import Flow
    from calmline.platform.paths import resource_path
    from calmline.store.repository import Store
    from calmline.ui.companion import Companion
    from calmline.ui.level_bar import LevelBar
    from calmline.ui.main_window import CompanionWindow
    from calmline.ui.meter_panel import MeterPanel
    from calmline.ui.window_state import WindowStateFile

    errors: list[str] = []

    def on_message(kind: QtMsgType, _ctx: QMessageLogContext, text: str) -> None:
        if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            errors.append(text)
        elif kind == QtMsgType.QtWarningMsg:
            log.info("qt: %s", text)

    previous = qInstallMessageHandler(on_message)
    try:
        app = QApplication.instance() or QApplication([sys.argv[0]])
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp)
            store = Store.open(scratch / "self-test.db")
            flow = Flow(store, ctx.playbook(), ctx.playbook(abusive=True))
            window = CompanionWindow(WindowStateFile(scratch / "window.json"), local_now)
            Companion(window, flow, ctx.settings.settings, [], local_now)
            panel = MeterPanel()
            window.set_meter(panel, LevelBar(thickness=10))
            panel.push_history(-30.0, -32.0, 0.4)
            window.show()
            app.processEvents()
            image = window.grab().toImage()
            icon = QIcon(str(resource_path("icons", "calmline.svg"))).pixmap(32, 32)
            window.close()
            window.deleteLater()
            # Gone now, timers and all: processEvents() does not run deferred deletes.
            app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            store.close()
    finally:
        qInstallMessageHandler(previous)
    platform = QApplication.platformName()
    if errors:
        return Check("qt", False, f"platform {platform}: " + "; ".join(errors))
    if icon.isNull():
        return Check("qt", False, "the SVG icon cannot be drawn (Qt's svg plugin is missing)")
    if image.isNull() or image.width() == 0:
        return Check("qt", False, f"platform {platform}: the window drew nothing")
    return Check("qt", True, f"platform {platform}; window drawn {image.width()}x{image.height()}")


def self_test(ctx: Context, out: TextIO, list_devices: ListDevices = list_input_devices) -> int:
    """Print one line per check and a summary; 0 when every check passes."""
    from calmline.platform.logs import configure_logging

    configure_logging(ctx.paths.log_file)
    frozen = getattr(sys, "frozen", False)
    where = f"bundle {Path(sys.executable).parent}" if frozen else f"Python {sys.executable}"
    print(f"Calmline {__version__} self-test ({where})", file=out)
    log.info("self-test of Calmline %s (%s)", __version__, where)
    # A missing headset fails the doctor's microphone check; here audio only has to load.
    checks = local_checks(ctx)
    checks += [
        hotkeys_check(ctx),
        modules_check(),
        audio_check(list_devices),
        caller_channel_check(),
        recogniser_check(),
        qt_check(ctx),
    ]
    for c in checks:
        print(c.line(), file=out)
        log.log(logging.INFO if c.ok else logging.ERROR, "self-test %s: %s", c.name, c.detail)
    failed = [c.name for c in checks if not c.ok]
    summary = (
        f"self-test failed: {', '.join(failed)} ({len(checks) - len(failed)} of {len(checks)} "
        "checks passed; `calmline doctor` shows more)"
        if failed
        else f"self-test passed: {len(checks)} of {len(checks)} checks"
    )
    print(summary, file=out)
    log.info("%s", summary)
    return 1 if failed else 0
