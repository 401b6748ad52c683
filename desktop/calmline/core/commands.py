"""Commands a softphone or a second launch sends to the running instance.

One JSON object per line each way: ``{"cmd": "call-start", "args": {...}}`` and
``{"ok": true, "message": "..."}``. Pure: the socket lives in platform/.

``check_command`` is the one gate every command passes, from the CLI before it is
sent and from the socket when it arrives: known command and arguments, each text
at most ARG_CHARS long, and any undecodable bytes (a softphone's argv, a JSON
``\\udcff``) turned into U+FFFD so the text can be stored and shown.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from calmline.core.records import StepSource

MAX_LINE = 64 * 1024
# argument -> most characters. A caller id is an E.164 number (15 digits) or a SIP
# user; a reference or agent id is a short code; a note is a few sentences.
ARG_CHARS: dict[str, int] = {"caller": 128, "customer": 128, "agent": 128, "text": 10_000}
# what each argument is, in the words of the fix
_ARG_WORDS = {
    "caller": "pass only the caller's number",
    "customer": "pass only the customer reference",
    "agent": "pass only the agent id",
    "text": "shorten the note (longer text belongs in the incident form)",
}
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class Name(StrEnum):
    """The commands the running instance accepts: the one spelling of each name
    (the CLI builds them, the flow's action table runs them)."""

    CALL_START = "call-start"
    CALL_END = "call-end"
    NOTE = "note"
    STEP_NEXT = "step-next"
    SHIFT_START = "shift-start"
    SHIFT_END = "shift-end"
    SHOW = "show"
    HOTKEYS = "hotkeys"  # the running app's hotkey report (for `calmline doctor`)
    # Only from the window's own doors (buttons, tray, hotkeys), never the socket:
    CALL_TOGGLE = "call-toggle"
    STEP_TICK = "step-tick"  # args: step, source
    STEP_HEARD = "step-heard"  # args: step, phrase (the listener heard one of its phrases)
    STEP_UNTICK = "step-untick"  # args: step
    ABUSIVE = "abusive"  # args: on ("yes", "no" or "toggle")
    FOLLOWUP_DONE = "followup-done"  # args: id, text
    PROMISE_KEPT = "promise-kept"  # args: id (a follow-up, anyone's): kept on this call
    MARKER_PROPOSE = "marker-propose"  # args: incident, reason (core.records.MarkerReason)


# What the socket accepts: command -> the text arguments it takes (all optional
# unless listed in REQUIRED). The window-only names above are refused there.
COMMANDS: dict[str, tuple[str, ...]] = {
    Name.CALL_START: ("caller", "customer"),
    Name.CALL_END: (),
    Name.NOTE: ("text",),
    Name.STEP_NEXT: (),
    Name.SHIFT_START: ("agent",),
    Name.SHIFT_END: (),
    Name.SHOW: (),
    Name.HOTKEYS: (),
}
REQUIRED: dict[str, tuple[str, ...]] = {Name.NOTE: ("text",)}


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


def as_text(value: str) -> str:
    """``value`` with every lone surrogate (undecodable bytes of an argv, or a
    ``\\udcff`` escape in JSON) as U+FFFD: text that can be encoded, stored and shown."""
    return _SURROGATE.sub("\ufffd", value)


def _short(value: str, n: int = 24) -> str:
    return repr(value if len(value) <= n else value[:n] + "…")


def check_command(cmd: Command) -> Command:
    """The command as it may run: CommandError names what is wrong and the fix."""
    if cmd.name not in COMMANDS:
        raise CommandError(f"unknown command {_short(cmd.name)} — known: {', '.join(COMMANDS)}")
    extra = set(cmd.args) - set(COMMANDS[cmd.name])
    if extra:
        raise CommandError(f"{cmd.name}: unknown argument {_short(sorted(extra)[0])}")
    args = {key: as_text(value) for key, value in cmd.args.items()}
    for key, value in args.items():
        limit = ARG_CHARS[key]
        if len(value) > limit:
            raise CommandError(
                f"{cmd.name}: {key} {_short(value)} is too long ({len(value)} characters, "
                f"at most {limit}) — {_ARG_WORDS[key]}"
            )
    for key in REQUIRED.get(cmd.name, ()):
        if not args.get(key, "").strip():
            raise CommandError(f"{cmd.name}: {key} is empty")
    return Command(cmd.name, args)


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
    except RecursionError:  # [[[[... : the parser's depth ran out before the line did
        raise CommandError(f"{what} is nested too deeply to be a command line") from None
    if not isinstance(obj, dict):
        raise CommandError(f"{what} must be a JSON object")
    return obj


def encode_command(cmd: Command) -> bytes:
    """The line for ``cmd``; any checked command fits in MAX_LINE (ARG_CHARS are
    chosen so: a character is at most 6 bytes of JSON)."""
    checked = check_command(cmd)
    return _line({"cmd": checked.name, "args": dict(checked.args)})


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
    return _line({"ok": reply.ok, "message": as_text(reply.message)})


def decode_reply(line: bytes) -> Reply:
    obj = _load(line, "reply")
    ok, message = obj.get("ok"), obj.get("message", "")
    if not isinstance(ok, bool) or not isinstance(message, str):
        raise CommandError("reply needs 'ok' (true/false) and 'message' (text)")
    return Reply(ok, message)


# -- the window's arguments, read ------------------------------------------------


def switch_to(on: str, abusive: bool) -> bool:
    """The ABUSIVE command's ``on``: "yes", "no", or "toggle" (the hotkey)."""
    return not abusive if on == "toggle" else on == "yes"


def step_source(cmd: Command, default: StepSource) -> StepSource:
    """The door a tick came through: the window's doors name theirs (the socket
    refuses a ``source`` argument, so a softphone cannot pass for another)."""
    try:
        return StepSource(cmd.arg("source") or default)
    except ValueError:
        return default


def note_time(at: str) -> datetime | None:
    """The NOTE command's ``at``: when the note box opened (ISO 8601), else now."""
    return datetime.fromisoformat(at) if at else None
