"""`calmline doctor`: every setting with its source, paths, and pass/fail checks.
Every line goes out through redact_target: a sync target's password or token,
in a setting, a problem or an error, is never printed."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from calmline import __version__
from calmline.cli.common import fail
from calmline.cli.parser import Subparsers

if TYPE_CHECKING:
    from calmline.context import Context
    from calmline.core.devices import InputDevice

ListDevices = Callable[[], "list[InputDevice]"]  # the microphones (audio.devices)


def add_doctor(sub: Subparsers) -> None:
    doc = sub.add_parser(
        "doctor",
        help="check this machine; show settings with their sources",
        description="Print paths, every setting with the layer it comes from, and "
        "one pass/fail line per check. Exit status 1 if any check fails.",
    )
    doc.add_argument(
        "--policy",
        type=Path,
        metavar="FILE",
        help="preview a managed policy before deploying it: read FILE instead of this "
        "machine's policy (.reg export of HKLM\\Software\\Policies\\Calmline, "
        ".mobileconfig profile, or managed-preferences .plist)",
    )


def run_doctor(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.context import Context
    from calmline.platform.policy_files import policy_from_file

    try:
        policy = policy_from_file(args.policy) if args.policy else None
    except ValueError as exc:
        return fail(str(exc))
    return doctor(Context.load(policy=policy), out)


class Check(NamedTuple):  # not a dataclass: that module costs `calmline --help` 10 ms
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        from calmline.core.redact import redact_target

        return redact_target(f"  [{'pass' if self.ok else 'FAIL'}] {self.name}: {self.detail}")


def _writable(path: Path) -> str | None:
    """Why the folder cannot hold the agent's data (made private when missing), or None."""
    import tempfile

    from calmline.platform.private import check_private_dir, private_dir

    try:
        private_dir(path)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        return str(exc)
    return check_private_dir(path)


def settings_lines(ctx: Context) -> list[str]:
    from calmline.core.redact import redact_target
    from calmline.core.settings import LayerName, all_keys

    s = ctx.settings
    lines = []
    for key in all_keys():
        src = s.source_of(key)
        where = (
            src.layer.label
            if src.layer is LayerName.DEFAULT
            else f"{src.layer.label}: {src.source}"
        )
        lock = ", locked" if s.is_locked(key) else ""
        line = f"  {key} = {json.dumps(s.settings.get(key))}  [{where}{lock}]"
        lines.append(redact_target(line))
    return lines


def run_checks(ctx: Context, list_devices: ListDevices | None = None) -> list[Check]:
    from calmline.cli.team import team_check

    return [
        *local_checks(ctx),
        microphone_check(ctx, list_devices),
        voice_mode_check(ctx),
        listening_check(ctx),
        hotkeys_check(ctx),
        sync_check(ctx),
        team_check(ctx),
    ]


def local_checks(ctx: Context) -> list[Check]:
    """Settings, playbooks, folders and the database."""
    import sqlite3

    from calmline.core.problems import ProblemsError
    from calmline.store.database import StoreError

    checks: list[Check] = []
    probs = list(ctx.settings.problems)
    checks.append(
        Check(
            "settings",
            not probs,
            "all files valid"
            if not probs
            else f"{len(probs)} problem(s): " + "; ".join(str(p) for p in probs),
        )
    )
    for label, abusive in (("playbook", False), ("abusive playbook", True)):
        before = len(ctx.problems)
        try:
            pb = ctx.playbook(abusive=abusive)
        except ProblemsError as exc:
            checks.append(Check(label, False, str(exc)))
            continue
        fallback = ctx.problems[before:]
        checks.append(
            Check(
                label,
                not fallback,
                "; ".join(map(str, fallback))
                if fallback
                else f"{pb.id}, {len(pb.steps)} steps, from {pb.source}",
            )
        )
    for label, path in (("data folder", ctx.paths.data_dir), ("log folder", ctx.paths.log_dir)):
        err = _writable(path)
        checks.append(Check(label, err is None, str(path) if err is None else f"{path}: {err}"))
    try:  # open_store refuses a network share with its own clear message
        store = ctx.open_store()
        h = store.health()
        checks.append(
            Check(
                "database",
                h.ok,
                f"{ctx.paths.database} schema {h.schema}/{h.latest}, {h.journal_mode}, "
                f"{h.incidents} incidents, {h.unsynced} unsynced",
            )
        )
        store.close()
    except (StoreError, sqlite3.DatabaseError) as exc:
        checks.append(Check("database", False, str(exc)))
    return checks


def microphone_check(ctx: Context, list_devices: ListDevices | None = None) -> Check:
    from calmline.audio.devices import AudioUnavailable, list_input_devices

    try:
        devices = (list_devices or list_input_devices)()
        wanted = ctx.settings.settings.audio.input_device
        names = [d.label for d in devices]
        if wanted and not any(wanted.lower() in d.name.lower() for d in devices):
            return Check(
                "microphone",
                False,
                f"audio.input_device {wanted!r} not found; available: {', '.join(names)}",
            )
        return Check("microphone", True, "; ".join(names))
    except AudioUnavailable as exc:
        return Check("microphone", False, str(exc))


def voice_mode_check(ctx: Context) -> Check:
    """Which way the cues tell the agent from the caller: with the caller channel
    (loopback of what the agent hears) or from the microphone alone, and why. Only a
    caller device IT or the agent named and that cannot be found is a failure."""
    from calmline.audio.loopback import CallerCapture

    audio = ctx.settings.settings.audio
    if not audio.caller_channel:
        return Check("voice", True, "microphone only: audio.caller_channel is off")
    probe = CallerCapture(audio.caller_device)
    started = probe.start()
    mode, reason = probe.mode, probe.reason
    probe.stop()
    if started:
        return Check("voice", True, f"{mode}; the caller's bleed is told apart by it")
    return Check(
        "voice",
        not audio.caller_device,
        f"microphone only: {reason} (the agent's voice is told from bleed by its level)",
    )


def listening_check(ctx: Context) -> Check:
    """Heard steps: which engine and model listen, for how many phrases, and any
    phrase word the model's dictionary lacks (that phrase cannot be heard)."""
    cfg = ctx.settings.settings.listening
    if not cfg.enabled:
        return Check("listening", True, "off: listening.enabled is off")
    from calmline.audio.spotter import ModelProblem, engine_info, unknown_words

    model = Path(cfg.model_folder).expanduser() if cfg.model_folder else None
    phrases = [
        p for abusive in (False, True) for s in ctx.playbook(abusive).steps for p in s.listen_for
    ]
    try:
        detail = f"{engine_info(model)}; {len(phrases)} phrases"
        missing = unknown_words(phrases, model)
    except ModelProblem as exc:
        return Check("listening", False, str(exc))
    if missing:
        detail += (
            f"; not in the model's dictionary: {', '.join(missing[:10])} — those phrases "
            "are not heard (reword them, or give a model that has the words)"
        )
    return Check("listening", not missing, detail + "; nothing said is kept")


def sync_check(ctx: Context, listed: int = 10) -> Check:
    """The sync target (named without secrets; a folder is checked to be the
    team store, no server is contacted), what waits, and every record the
    target refused for good, with its reason."""
    import sqlite3

    from calmline.store.database import StoreError
    from calmline.store.sync_queue import pending_count, set_aside_records
    from calmline.sync.base import TargetError
    from calmline.sync.folder import FolderTarget
    from calmline.sync.runner import record_label
    from calmline.sync.targets import target_for

    try:
        target = target_for(ctx.settings.settings.sync.target, ctx.paths.sync_folder)
        if isinstance(target, FolderTarget):
            target.check()
        name = target.name
        target.close()
    except TargetError as exc:
        return Check("sync", False, str(exc))
    try:
        store = ctx.open_store()
    except (StoreError, sqlite3.DatabaseError) as exc:
        return Check("sync", False, f"to {name}; the local database cannot be read ({exc})")
    try:
        waiting, aside = pending_count(store), set_aside_records(store)
    finally:
        store.close()
    if not aside:
        return Check("sync", True, f"to {name}; {waiting} record(s) waiting, none set aside")
    shown = "; ".join(
        f"{record_label(r)} by {r.target} at {r.set_aside_at[:16]}: {r.reason}"
        for r in aside[:listed]
    )
    more = f"; and {len(aside) - listed} more" if len(aside) > listed else ""
    return Check(
        "sync",
        False,
        f"to {name}; {len(aside)} record(s) set aside, refused by the target for good: "
        f"{shown}{more} — fix the cause, then run `calmline sync --retry-set-aside`",
    )


def hotkeys_check(ctx: Context) -> Check:
    """The running app's own report when it runs (it holds the keys); else try
    each combination here and let it go again."""
    from calmline.core.commands import Command, Name
    from calmline.platform.hotkeys import NullHotkeys, hotkey_backend
    from calmline.platform.hotkeys.registry import register_all
    from calmline.platform.instance import NotRunning, instance_address, send

    try:
        reply = send(instance_address(), Command(Name.HOTKEYS), timeout=5)
        return Check(
            "hotkeys",
            reply.ok,
            "as the running Calmline has them: " + "; ".join(reply.message.splitlines()),
        )
    except (NotRunning, OSError):
        pass
    backend = hotkey_backend()
    if isinstance(backend, NullHotkeys):  # nothing here to fix in Calmline's settings
        return Check("hotkeys", True, f"off: {backend.reason}")
    settings = ctx.settings
    report = register_all(backend, settings.settings.hotkeys, lambda a: None, settings.is_locked)
    backend.close()
    return Check("hotkeys", not report.problems, "; ".join(report.lines()))


def doctor(ctx: Context, out: TextIO, list_devices: ListDevices | None = None) -> int:
    """Print the report; return the exit status (1 when any check fails)."""
    from calmline.core.redact import redact_target

    def say(line: str) -> None:
        print(redact_target(line), file=out)

    p = ctx.paths
    say(f"Calmline {__version__}")
    say("Paths:")
    say(f"  user settings:    {p.user_config}{'' if p.user_config.exists() else ' (none)'}")
    say(f"  machine settings: {p.machine_config}{'' if p.machine_config.exists() else ' (none)'}")
    say(f"  managed policy:   {ctx.policy.describe()}")
    say(f"  database:         {p.database}")
    say(f"  logs:             {p.log_dir}")
    say("Settings (value  [source]):")
    for line in settings_lines(ctx):
        say(line)
    say("Checks:")
    checks = run_checks(ctx, list_devices)
    for c in checks:
        say(c.line())
    failed = [c.name for c in checks if not c.ok]
    say(
        f"{len(checks) - len(failed)} of {len(checks)} checks passed"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0
