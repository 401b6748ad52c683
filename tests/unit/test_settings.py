from __future__ import annotations

import plistlib
from dataclasses import replace
from pathlib import Path

from calmline.context import Context
from calmline.core.settings import (
    LayerName,
    Settings,
    all_keys,
    parse_toml_layer,
    resolve,
    validate_layer,
)
from calmline.platform.paths import app_paths
from calmline.platform.policy import MacPlistPolicy, NullPolicy, managed_policy


def test_defaults_have_every_required_key() -> None:
    keys = set(all_keys())
    for key in (
        "agent_id",
        "audio.input_device",
        "cues.raised_voice_db",
        "hotkeys.quick_note",
        "playbook.path",
        "sync.target",
        "sync.interval_minutes",
        "retention_days",
        "window.always_on_top",
        "window.opacity",
    ):
        assert key in keys
    eff = resolve([])
    assert eff.settings == Settings()
    assert all(eff.source_of(k).layer is LayerName.DEFAULT for k in keys)


def test_wrong_type_and_unknown_key_keep_the_rest_of_the_file() -> None:
    layer = parse_toml_layer(
        LayerName.USER,
        "/home/a/config.toml",
        """
agent_id = "agent-7"
retention_days = "ninety"
[window]
opacity = 0.8
always_on_top = "yes"
[cues]
raised_voice_db = 8
shout_level = 3
""",
    )
    messages = [str(p) for p in layer.problems]
    assert messages == [
        "/home/a/config.toml: retention_days: bad value 'ninety': Input should be a valid "
        "integer — expected a whole number from 1 to 3650 (default 90)",
        "/home/a/config.toml: window.always_on_top: bad value 'yes': Input should be a valid "
        "boolean — expected true or false (default true)",
        "/home/a/config.toml: cues.shout_level: unknown key, value 3 ignored — known keys in "
        "[cues]: raised_voice_db, raised_voice_clear_db, raised_voice_hold_s, "
        "continuous_speaking_s, pause_s, talking_over_s, mic_silent_s, clipping_dbfs, "
        "min_interval_s",
    ]
    eff = resolve([layer])
    assert eff.settings.agent_id == "agent-7"
    assert eff.settings.window.opacity == 0.8
    assert eff.settings.cues.raised_voice_db == 8.0
    assert eff.settings.retention_days == 90  # the bad value is not used...
    assert eff.source_of("retention_days").layer is LayerName.DEFAULT
    assert len(eff.problems) == 3  # ...and is reported, not silently dropped


def test_out_of_range_and_unknown_table() -> None:
    layer = parse_toml_layer(
        LayerName.USER, "c.toml", "[window]\nopacity = 0.05\n[colours]\nbg = 1\n"
    )
    text = "\n".join(map(str, layer.problems))
    assert (
        "window.opacity: bad value 0.05: Input should be greater than or equal to 0.3 — "
        "expected a number from 0.3 to 1" in text
    )
    assert (
        "colours: unknown key, value {'bg': 1} ignored — known tables: "
        "[after_call], [audio], [cues]" in text
    )


def test_toml_syntax_error_drops_file_with_line() -> None:
    layer = parse_toml_layer(LayerName.USER, "c.toml", 'agent_id = "a"\nretention_days = \n')
    assert layer.values == {}
    assert str(layer.problems[0]).startswith("c.toml:2: not valid TOML, file ignored")


def test_precedence_sources_and_locks() -> None:
    user = validate_layer(
        LayerName.USER,
        "user.toml",
        {"agent_id": "me", "retention_days": 30, "window": {"opacity": 0.9}},
    )
    machine = validate_layer(LayerName.MACHINE, "machine.toml", {"retention_days": 60})
    policy = validate_layer(
        LayerName.POLICY,
        "HKLM",
        {"sync": {"target": "https://x"}, "retention_days": "14"},
        strict=False,
    )
    eff = resolve([policy, user, machine])  # order given does not matter
    assert eff.settings.retention_days == 14
    assert eff.source_of("retention_days").layer is LayerName.POLICY
    assert eff.settings.agent_id == "me"
    assert eff.source_of("agent_id").source == "user.toml"
    assert eff.settings.sync.target == "https://x"
    assert eff.locked == {"retention_days", "sync.target"}
    assert not eff.is_locked("window.opacity")


def test_toml_layers_are_strict_policy_layers_are_not() -> None:
    assert validate_layer(LayerName.USER, "u", {"retention_days": "14"}).problems
    assert not validate_layer(
        LayerName.POLICY, "p", {"retention_days": "14"}, strict=False
    ).problems


def test_calmline_home_puts_everything_in_one_folder(tmp_path: Path) -> None:
    paths = app_paths({"CALMLINE_HOME": str(tmp_path)})
    assert paths.user_config == tmp_path / "config.toml"
    assert paths.database == tmp_path / "calmline.db"
    assert paths.log_dir == tmp_path / "logs"


def test_without_calmline_home_uses_platform_dirs() -> None:
    paths = app_paths({})
    assert paths.database.name == "calmline.db"
    assert "Calmline" in str(paths.data_dir) and "Calmline" in str(paths.machine_config)


def test_context_reads_user_machine_and_policy_files(home: Path, tmp_path: Path) -> None:
    (home / "config.toml").write_text('agent_id = "a1"\nretention_days = 5\n')
    machine = tmp_path / "machine.toml"
    machine.write_text("retention_days = 20\n[window]\nopacity = 0.5\n")
    plist = tmp_path / "com.calmline.Calmline.plist"
    plist.write_bytes(plistlib.dumps({"window": {"opacity": 0.7}, "sync.target": "/srv/team"}))
    paths = replace(app_paths(), machine_config=machine)
    ctx = Context.load(policy=MacPlistPolicy(plist), paths=paths)
    s = ctx.settings
    assert (s.settings.agent_id, s.settings.retention_days) == ("a1", 20)
    assert s.settings.window.opacity == 0.7
    assert s.source_of("window.opacity").source == str(plist)
    assert s.settings.sync.target == "/srv/team"
    assert s.is_locked("retention_days") and s.is_locked("sync.target")


def test_broken_policy_plist_is_reported(tmp_path: Path) -> None:
    plist = tmp_path / "p.plist"
    plist.write_bytes(b"not a plist")
    layer = MacPlistPolicy(plist).read()
    assert layer is not None and "managed policy unreadable" in str(layer.problems[0])
    assert MacPlistPolicy(tmp_path / "absent.plist").read() is None


def test_policy_factory_per_os() -> None:
    assert isinstance(managed_policy("linux"), NullPolicy)
    assert isinstance(managed_policy("darwin"), MacPlistPolicy)
    assert type(managed_policy("win32")).__name__ == "WindowsRegistryPolicy"
