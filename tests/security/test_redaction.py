"""No secret a sync target holds (a URL's password, a token as its user name, a
query's token or signature, a libpq password) reaches anything Calmline shows:
the redaction function itself on hostile and malformed URLs, then every path
that names a target — Target.name, target errors, the sync summary, the log,
`calmline sync` stdout/stderr, `calmline doctor`, `calmline config`, the sync
dialog. Before issue 17 the summary, the dialog, doctor and config echoed
sync.target as it was, and the malformed ones crashed the old ad hoc regex."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from calmline.core.redact import redact_target
from calmline.platform.logs import configure_logging
from calmline.store.database import open_database
from calmline.store.repository import Store
from calmline.sync.base import TargetError
from calmline.sync.runner import SyncSummary, run_sync
from calmline.sync.targets import target_for
from tests.integration.test_sync_folder import seed

SECRET = "S3CRET"  # in every hostile target below; must never be shown
# Each is refused, or fails fast on this machine (nothing listens on port 9).
HOSTILE = [
    "https://agent:S3CRET@127.0.0.1:9/api",
    "https://S3CRET@127.0.0.1:9/api",  # a token as the user name
    "HTTPS://U:S3CRET@127.0.0.1:9/API",
    "https://127.0.0.1:9/api?token=S3CRET",
    "https://127.0.0.1:9/api?team=3&access_token=S3CRET",
    "https://127.0.0.1:9/api?sv=2024-01-01&sig=S3CRET",  # an Azure SAS
    "https://127.0.0.1:9/api?Password=S3CRET#top",
    "https://127.0.0.1:9/api?api_key=S3CRET&x=1",
    "https://u:S3CRET@[::1",  # malformed: an unclosed IPv6 literal
    "https://u:S3CRET@[::1]:99999/x",  # malformed: a port out of range
    "https://u:S3CRET%40more@127.0.0.1:9/api",
    "https://u:S3/CRET@127.0.0.1:9/api",  # a password with a slash
    "https://u:S3?CRET@127.0.0.1:9/api",  # ... and with a question mark
    "postgresql://agent-7:S3CRET@127.0.0.1:9/calmline",
    "postgres://agent-7:S3CRET@127.0.0.1:9/calmline",
    "postgresql://a:S3CRET@h:x/db",  # malformed: a port that is not a number
    "postgresql://agent-7@127.0.0.1:9/calmline?password=S3CRET",
    "postgresql://agent-7@127.0.0.1:9/calmline?sslpassword=S3CRET",
    "host=127.0.0.1 port=9 user=agent-7 password=S3CRET dbname=calmline",
    "host=127.0.0.1 port=9 password = 'S3 CRET' dbname=calmline",
    "file://u:S3CRET@fileserver/calmline",
    "ftp://u:S3CRET@files.example.com/x",
    "http://u:S3CRET@sync.example.com/api",
    "http://sync.example.com/api?token=S3CRET",
    "://u:S3CRET@",
    "gopher://S3CRET@x",
]
SECRETS = [SECRET, "S3 CRET", "S3/CRET", "S3?CRET"]


def shown_secret(text: str) -> str | None:
    return next((s for s in SECRETS if s in text), None)


@pytest.mark.parametrize("url", HOSTILE)
def test_the_redaction_function_hides_every_secret(url: str) -> None:
    for text in (url, f"sync target {url!r}: refused", f"to {url}. Then", f"[{url}]"):
        assert shown_secret(redact_target(text)) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "://",
        "",
        "@",
        "https://",
        "postgresql://@/",
        "host=",
        "password='unterminated",
        "\x00\x01https://u:p@h\udcff",
        "a://" * 10_000,
        "x=" * 10_000,
        "https://u:p@" * 5_000,
        "'" * 20_000,
    ],
)
def test_it_never_crashes_and_stays_fast(text: str) -> None:
    start = time.perf_counter()
    out = redact_target(text)
    assert isinstance(out, str)
    assert time.perf_counter() - start < 2.0  # linear: no regex backtracking


@pytest.mark.parametrize(
    "clean",
    [
        "postgresql://agent-7@db.example.com:5433/calmline",
        "https://sync.example.com/api",
        "https://sync.example.com/api?team=3&sslmode=require",
        "folder /srv/team sync",
        "folder //fileserver/calmline",
        "folder \\\\files\\calmline",
        "folder C:\\Users\\agent\\Documents\\Calmline sync",
        "refused (401): invalid or expired token",
        "Sent 3 of 3 records to postgresql://agent-7@127.0.0.1:5432/calmline.",
    ],
)
def test_text_without_a_secret_comes_back_unchanged(clean: str) -> None:
    assert redact_target(clean) == clean


def test_other_secret_shapes_in_free_text() -> None:
    line = (
        "Authorization: Bearer abcdefS3CRET, "
        '{"password": "S3CRET", "user": "agent-7"} '
        "{'api_key': 'S3CRET'} PGPASSWORD=S3CRET"
    )
    out = redact_target(line)
    assert SECRET not in out
    assert '"user": "agent-7"' in out and "Authorization: Bearer ***" in out


def _errors_and_names(url: str, tmp_path: Path) -> list[str]:
    """What target_for shows for ``url``: its error, or the target's name."""
    try:
        target = target_for(url, tmp_path / "default")
    except TargetError as exc:
        return [str(exc)]
    return [target.name]


@pytest.mark.parametrize("url", HOSTILE)
def test_target_names_and_errors_hide_the_secret(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for shown in _errors_and_names(url, tmp_path):
        assert shown_secret(shown) is None, shown
        assert "\n" not in shown


def test_the_summary_hides_a_secret_wherever_it_comes_from() -> None:
    summary = SyncSummary(
        "https://agent:S3CRET@sync.example.com/api?token=S3CRET",
        5,
        2,
        "connection to postgresql://a:S3CRET@h/db failed (password=S3CRET)",
    )
    assert SECRET not in summary.text() and SECRET not in summary.target


def test_the_log_file_never_holds_a_secret(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's own log (configure_logging), through the sync runner and the
    worker's crash path, for targets that fail in each of their ways."""
    import calmline.sync.job as job
    import calmline.ui.sync_controller as controller

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    log_file = tmp_path / "logs" / "calmline.log"
    handler = configure_logging(log_file, logging.DEBUG)
    flow = seed(home, calls=1)
    try:
        for url in HOSTILE:
            try:
                target = target_for(url, tmp_path / "default")
            except TargetError as exc:
                logging.getLogger("calmline.test").warning("%s", exc)
                continue
            run_sync(flow.store, target)
            target.close()

        def crash(*_args: object, **_kw: object) -> SyncSummary:
            raise RuntimeError(f"unexpected while talking to {HOSTILE[0]}")

        monkeypatch.setattr(job, "run_sync", crash)  # the job the worker runs
        db_file = home / "calmline.db"
        worker = controller.SyncWorker(
            lambda: Store(open_database(db_file)), str(tmp_path / "d"), tmp_path / "d", 90
        )
        worker.run()  # an unexpected failure: logged with its traceback
    finally:
        handler.flush()
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = log_file.read_text(encoding="utf-8")
    assert "sync to" in text and "sync failed" in text and "Traceback" in text
    assert shown_secret(text) is None


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "calmline", *args], env=env, text=True,
                          capture_output=True, timeout=120)  # fmt: skip


@pytest.mark.parametrize("url", HOSTILE)
def test_sync_command_output_hides_the_secret(
    url: str, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`calmline sync` itself, in this process (no backoff waits: stamina's testing
    mode); the next test runs the real command line for a few of them."""
    import stamina

    from calmline.cli import main

    seed(home, calls=1)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    stamina.set_testing(True)
    try:
        code = main(["sync", "--target", url])
    finally:
        stamina.set_testing(False)
    seen = capsys.readouterr()
    assert code == 1
    assert shown_secret(seen.out + seen.err) is None, seen.out + seen.err


@pytest.mark.parametrize(
    "url", [u for u in HOSTILE if "?token=" in u or u.startswith(("https://agent:", "postgresql:"))]
)
def test_the_sync_command_line_hides_the_secret(url: str, home: Path) -> None:
    seed(home, calls=1)
    env = dict(os.environ, CALMLINE_HOME=str(home),
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")  # fmt: skip
    result = _cli(env, "sync", "--target", url)
    assert result.returncode == 1
    assert shown_secret(result.stdout + result.stderr) is None, result.stdout + result.stderr


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize("url", HOSTILE)
def test_doctor_and_config_hide_the_secret(url: str, home: Path) -> None:
    from calmline.cli.doctor import doctor, settings_lines
    from calmline.context import Context

    (home / "config.toml").write_text(f"[sync]\ntarget = {_toml(url)}\n", encoding="utf-8")
    out = io.StringIO()
    doctor(Context.load(), out, list_devices=lambda: [])
    report = out.getvalue()
    assert shown_secret(report) is None, report
    assert "sync.target = " in report and "] sync: " in report
    lines = "\n".join(settings_lines(Context.load()))
    assert shown_secret(lines) is None


def test_a_settings_problem_never_quotes_a_secret(home: Path) -> None:
    from calmline.cli.doctor import doctor
    from calmline.context import Context

    url = "host=127.0.0.1 port=9 user=agent-7 password=S3CRET dbname=calmline"
    (home / "config.toml").write_text(f"[sync]\nurl = {_toml(url)}\n", encoding="utf-8")
    out = io.StringIO()
    doctor(Context.load(), out, list_devices=lambda: [])
    assert "sync.url: unknown key" in out.getvalue()
    assert shown_secret(out.getvalue()) is None, out.getvalue()


def test_the_sync_dialog_hides_the_secret(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    from calmline.flow import Flow
    from calmline.ui.sync_controller import SyncController
    from tests.fakes import FakeClock, make_flow

    flow: Flow = make_flow(tmp_path / "c.db", FakeClock(), agent_id="agent-7")
    db_file = tmp_path / "c.db"
    url = "ftp://agent:S3CRET@files.example.com/calmline?token=S3CRET"
    sync = SyncController(flow, lambda: Store(open_database(db_file)), url, tmp_path / "d", 0)
    flow.start_shift("agent-7")
    with qtbot.waitSignal(sync.finished, timeout=10_000) as done:
        flow.end_shift()
    assert sync.dialog is not None
    qtbot.addWidget(sync.dialog)
    text = sync.dialog.text.text()
    assert "unknown kind 'ftp:'" in text and "files.example.com" in text
    assert SECRET not in text and SECRET not in done.args[0].text()
    assert sync.dialog.text.textFormat() is Qt.TextFormat.PlainText


def test_config_json_never_prints_a_query_token(home: Path) -> None:
    """A token in sync.target's query is a valid setting; `config --json` shows the
    target without it."""
    import json as _json

    from tests.apps import calmline

    (home / "config.toml").write_text(
        '[sync]\ntarget = "https://sync.example.com/api?token=S3CRET&site=4"\n'
    )
    res = calmline("config", "show", "--json", env=dict(os.environ, CALMLINE_HOME=str(home)))
    assert res.returncode == 0, res.stderr
    assert "S3CRET" not in res.stdout + res.stderr
    shown = _json.loads(res.stdout)["sync.target"]["value"]
    assert shown.startswith("https://sync.example.com/api?") and "site=4" in shown


def test_the_log_file_redacts_whatever_a_line_holds(tmp_path: Path) -> None:
    """Even a line no sync code wrote (a library's, a traceback's) loses its secret."""
    log_file = tmp_path / "logs" / "calmline.log"
    handler = configure_logging(log_file)
    try:
        try:
            raise ValueError("connect to postgresql://agent-7:S3CRET@db.example/calmline failed")
        except ValueError:
            logging.getLogger("some.library").exception("https://x.example/?token=T0KEN gone")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = log_file.read_text()
    assert "some.library" in text and "ValueError" in text
    assert "S3CRET" not in text and "T0KEN" not in text


@pytest.mark.parametrize(
    "line",
    [
        '  hotkeys.quick_note = "Ctrl+Shift+F10"  [default]',
        "keyboard=de monkeys=3 hotkeys=on",
        "https://x.example/api?site=4&keyboard=us",
    ],
)
def test_settings_that_only_look_like_keys_are_shown(line: str) -> None:
    """doctor printed `hotkeys.quick_note = ***"`: a name holding "key" is not a key."""
    assert redact_target(line) == line


@pytest.mark.parametrize("name", ["key", "apikey", "api_key", "x-api-key", "sslkey", "KEY"])
def test_names_ending_in_key_are_secret(name: str) -> None:
    assert redact_target(f"https://x.example/api?{name}=S3CRET") == (
        f"https://x.example/api?{name}=***"
    )
