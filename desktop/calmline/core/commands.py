"""Commands a softphone or a second launch sends to the running instance.

One JSON object per line each way: ``{"cmd": "call-start", "args": {...}}`` and
``{"ok": true, "message": "..."}``. Pure: the socket lives in platform/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MAX_LINE = 64 * 1024

# command -> the text arguments it accepts (all optional unless listed in REQUIRED)
COMMANDS: dict[str, tuple[str, ...]] = {
    "call-start": ("caller", "customer"),
    "call-end": (),
    "note": ("text",),
    "step-next": (),
    "shift-start": ("agent",),
    "shift-end": (),
    "show": (),
    "hotkeys": (),  # the running app's hotkey report (for `calmline doctor`)
}
REQUIRED: dict[str, tuple[str, ...]] = {"note": ("text",)}


class CommandError(ValueError):
    """A malformed or unknown command; the message says what was wrong."""


@dataclass(frozen=True)
class Command:
    name: str
    args: dict[str, str] = field(default_factory=dict)

    def arg(self, key: str) -> str:
        return self.args.get(key, "")


@dataclass(frozen=True)
class Reply:
    ok: bool
    message: str


def check_command(cmd: Command) -> Command:
    if cmd.name not in COMMANDS:
        raise CommandError(f"unknown command {cmd.name!r} — known: {', '.join(COMMANDS)}")
    extra = set(cmd.args) - set(COMMANDS[cmd.name])
    if extra:
        raise CommandError(f"{cmd.name}: unknown argument {sorted(extra)[0]!r}")
    for key in REQUIRED.get(cmd.name, ()):
        if not cmd.arg(key).strip():
            raise CommandError(f"{cmd.name}: {key} is empty")
    return cmd


def _line(obj: dict[str, Any]) -> bytes:
    data = json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n"
    if len(data) > MAX_LINE:
        raise CommandError(f"message too long ({len(data)} bytes, at most {MAX_LINE})")
    return data


def _load(line: bytes, what: str) -> dict[str, Any]:
    try:
        obj = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{what} is not one JSON line ({exc})") from exc
    if not isinstance(obj, dict):
        raise CommandError(f"{what} must be a JSON object")
    return obj


def encode_command(cmd: Command) -> bytes:
    check_command(cmd)
    return _line({"cmd": cmd.name, "args": dict(cmd.args)})


def decode_command(line: bytes) -> Command:
    obj = _load(line, "command")
    name, args = obj.get("cmd"), obj.get("args", {})
    if not isinstance(name, str):
        raise CommandError("command has no 'cmd' text")
    if not isinstance(args, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in args.items()
    ):
        raise CommandError(f"{name}: 'args' must map names to texts")
    return check_command(Command(name, dict(args)))


def encode_reply(reply: Reply) -> bytes:
    return _line({"ok": reply.ok, "message": reply.message})


def decode_reply(line: bytes) -> Reply:
    obj = _load(line, "reply")
    ok, message = obj.get("ok"), obj.get("message", "")
    if not isinstance(ok, bool) or not isinstance(message, str):
        raise CommandError("reply needs 'ok' (true/false) and 'message' (text)")
    return Reply(ok, message)
