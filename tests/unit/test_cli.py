from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from calmline import __version__
from calmline.cli import build_parser, main
from calmline.cli.doctor import doctor
from calmline.context import Context
from calmline.core.devices import InputDevice
from calmline.core.records import (
    Incident,
    Note,
    Promise,
    Resolution,
    Shift,
    StepAction,
    StepEvent,
    VoiceFigures,
)
from calmline.store.database import latest_schema_version

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def seeded(home: Path) -> Incident:
    store = Context.load().open_store()
    shift = store.save(Shift(agent_id="a1", started_at=T0))
    inc = store.save(
        Incident(
            shift_id=shift.meta.id,
            started_at=T0,
            ended_at=T0 + timedelta(minutes=6),
            caller_number="+1 555 0100",
            category="billing",
            summary="- overcharged, wants refund",
            resolution=Resolution.TOTAL,
            next_steps=(Promise("refund the fee", "billing", date(2026, 11, 24)),),
            voice=VoiceFigures(-30.0, 7.5, 0.4, (("raised_voice", 2),), (-30.0, -22.0)),
        )
    )
    store.save(
        Note(
            shift.meta.id, 'said "thank you", calmer', T0 + timedelta(seconds=95), inc.meta.id, 95.0
        )
    )
    store.save(StepEvent(inc.meta.id, "apologise", StepAction.TICK, T0, 60.0, "irate-caller"))
    store.db.close()
    return inc


def all_parsers() -> list[list[str]]:
    return [
        [],
        ["doctor"],
        ["config"],
        ["config", "show"],
        ["config", "validate"],
        ["playbook"],
        ["playbook", "validate"],
        ["incidents"],
        ["incidents", "list"],
        ["incidents", "show"],
        ["incidents", "export"],
    ]


@pytest.mark.parametrize("path", all_parsers(), ids=lambda p: " ".join(p) or "calmline")
def test_help_at_every_level(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([*path, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: calmline") and len(text.splitlines()) >= 4


def test_version_and_python_m(home: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "calmline", "--version"], capture_output=True, text=True, check=True
    )
    assert res.stdout.strip() == f"calmline {__version__}"


def test_config_show_json_has_value_source_and_lock(home: Path) -> None:
    (home / "config.toml").write_text('agent_id = "a9"\n')
    code, out = run("config", "show", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["agent_id"] == {
        "value": "a9",
        "layer": "user",
        "source": str(home / "config.toml"),
        "locked": False,
    }
    assert data["retention_days"]["layer"] == "default"


def test_config_validate(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('agent_id = 7\n[sync]\ninterval_minutes = "often"\nurl = "x"\n')
    code, out = run("config", "validate", str(bad))
    assert code == 1
    assert f"{bad}: agent_id: bad value 7: Input should be a valid string" in out
    assert f"{bad}: sync.interval_minutes: bad value 'often'" in out
    assert "expected a whole number from 0 to 480 (default 15)" in out
    assert (
        f"{bad}: sync.url: unknown key, value 'x' ignored — known keys in [sync]: target, "
        "interval_minutes" in out
    )
    good = tmp_path / "good.toml"
    good.write_text('agent_id = "a1"\n[window]\nopacity = 0.9\n')
    assert run("config", "validate", str(good)) == (0, f"{good}: valid (2 settings)\n")
    assert run("config", "validate", str(tmp_path / "nope.toml"))[0] == 1


def test_playbook_validate(tmp_path: Path) -> None:
    bad = tmp_path / "pb.toml"
    bad.write_text(
        '[playbook]\nid = "x"\n[[steps]]\nid = "a"\ntitle = ""\nwhy = "w"\n'
        'phrases = ["p"]\nkind = "once"\nphase = "open"\n'
    )
    code, out = run("playbook", "validate", str(bad))
    assert code == 1 and f"{bad}:5: step 'a' field 'title': title is missing or empty" in out
    code, out = run("playbook", "validate", "resources/playbooks/abusive-caller.toml")
    assert code == 0 and "valid playbook 'abusive-caller' with 11 steps" in out


def test_incidents_list_show_export(home: Path, tmp_path: Path) -> None:
    assert run("incidents", "list") == (0, "no incidents logged yet\n")
    inc = seeded(home)
    code, out = run("incidents", "list")
    assert code == 0 and inc.meta.id[:8] in out and "6 min" in out and "total" in out
    code, out = run("incidents", "show", inc.meta.id[:6])
    shown = json.loads(out)
    assert shown["id"] == inc.meta.id and shown["notes"][0]["call_offset_s"] == 95.0
    assert shown["step_events"][0]["step_id"] == "apologise"
    assert run("incidents", "show", "nothing")[0] == 1

    code, out = run("incidents", "export", "--format", "json")
    exported = json.loads(out)
    assert [d["id"] for d in exported] == [inc.meta.id]
    assert exported[0]["notes"][0]["text"] == 'said "thank you", calmer'
    dest = tmp_path / "out.csv"
    assert run("incidents", "export", "--format", "csv", "-o", str(dest))[0] == 0
    assert dest.read_bytes().startswith(b"\xef\xbb\xbfid,")  # UTF-8 for spreadsheets
    rows = list(csv.DictReader(dest.open(encoding="utf-8-sig")))
    # Cells a spreadsheet would run as a formula start with ' (OWASP CSV injection;
    # until issue 17 these two were written bare, which was the defect).
    assert len(rows) == 1 and rows[0]["caller_number"] == "'+1 555 0100"
    assert rows[0]["summary"] == "'- overcharged, wants refund" and rows[0]["version"] == "1"
    assert rows[0]["voice_talk_share"] == "0.4" and rows[0]["voice_cues"] == "raised_voice=2"
    assert rows[0]["next_steps"] == "refund the fee (for billing) by 2026-11-24"
    assert "voice" not in rows[0] and "levels_db" not in dest.read_text(encoding="utf-8-sig")


def test_incidents_search(home: Path) -> None:
    inc = seeded(home)
    code, out = run("incidents", "search", "refu")
    assert code == 0 and out.splitlines()[0].startswith(inc.meta.id[:8])
    assert "overcharged, wants refund" in out
    assert run("incidents", "search", "555", "0100")[1].startswith(inc.meta.id[:8])
    assert run("incidents", "search", "calmer")[1].startswith(inc.meta.id[:8])  # a note
    assert run("incidents", "search", "--category", "BILLING")[1].startswith(inc.meta.id[:8])
    assert run("incidents", "search", "refund", "--best-practice") == (0, "no incidents match\n")


def test_doctor_report_and_exit_status(home: Path) -> None:
    (home / "config.toml").write_text("retention_days = 30\n[window]\nopacity = 2\n")
    mic = InputDevice(3, "Headset Mic", "ALSA", 1, 48000.0, True)
    out = io.StringIO()
    code = doctor(Context.load(), out, list_devices=lambda: [mic])
    text = out.getvalue()
    assert code == 1  # the bad opacity fails the settings check
    assert f"retention_days = 30  [user settings: {home / 'config.toml'}]" in text
    assert "window.opacity = 1.0  [default]" in text
    assert "[FAIL] settings: 1 problem(s)" in text and "window.opacity: bad value 2" in text
    assert "[pass] microphone: Headset Mic (default)" in text
    latest = latest_schema_version()
    assert "[pass] database:" in text and f"schema {latest}/{latest}, wal" in text
    (home / "config.toml").write_text("retention_days = 30\n")
    out = io.StringIO()
    assert doctor(Context.load(), out, list_devices=lambda: [mic]) == 0
    assert "12 of 12 checks passed" in out.getvalue()  # sync, then team
    assert "[pass] team: the team's history not read yet" in out.getvalue()
    assert "your voice figures stay on this computer" in out.getvalue()
    assert "[pass] listening: pocketsphinx" in out.getvalue()
    assert "[pass] voice: " in out.getvalue()
    assert "[pass] hotkeys: " in out.getvalue()


def test_doctor_says_when_voice_figures_are_shared_and_who_set_it(home: Path) -> None:
    (home / "config.toml").write_text("[sync]\nshare_voice_figures = true\n")
    out = io.StringIO()
    doctor(Context.load(), out, list_devices=lambda: [])
    shown = out.getvalue()
    assert "your voice figures are SHARED with your team lead" in shown
    assert f"(set by {home / 'config.toml'})" in shown


def test_doctor_says_which_voice_mode_runs(home: Path) -> None:
    mic = InputDevice(3, "Headset Mic", "ALSA", 1, 48000.0, True)
    (home / "config.toml").write_text("[audio]\ncaller_channel = false\n")
    out = io.StringIO()
    doctor(Context.load(), out, list_devices=lambda: [mic])
    assert "[pass] voice: microphone only: audio.caller_channel is off" in out.getvalue()
    (home / "config.toml").write_text('[audio]\ncaller_device = "No Such Headset"\n')
    out = io.StringIO()
    assert doctor(Context.load(), out, list_devices=lambda: [mic]) == 1
    assert "[FAIL] voice: microphone only: " in out.getvalue()


def test_doctor_reports_a_missing_configured_device(home: Path) -> None:
    (home / "config.toml").write_text('[audio]\ninput_device = "Jabra"\n')
    out = io.StringIO()
    mic = InputDevice(0, "Built-in", "CoreAudio", 1, 48000.0, True)
    assert doctor(Context.load(), out, list_devices=lambda: [mic]) == 1
    assert (
        "[FAIL] microphone: audio.input_device 'Jabra' not found; available: Built-in"
        in out.getvalue()
    )


def test_one_table_names_every_command_in_the_order_of_the_help() -> None:
    from calmline.cli import COMMANDS

    choices = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert list(choices) == list(COMMANDS)


def test_a_softphone_command_loads_no_qt_pydantic_or_store(tmp_path: Path) -> None:
    """`calmline call end` with nothing running (exit 3): the parsers of every command
    are built, yet none of the slow libraries is imported on the softphone's path."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    probe = (
        "import sys; from calmline.cli import main; code = main(['call', 'end']); "
        "slow = ('PySide6', 'pyqtgraph', 'pydantic', 'sqlite_utils', 'numpy', 'sounddevice'); "
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & set(slow)))"
    )
    env = {"CALMLINE_HOME": str(tmp_path / "home"), "XDG_RUNTIME_DIR": str(runtime)}
    res = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert res.stdout.strip() == "3 []", res.stderr
