from __future__ import annotations

import pytest

from calmline.core.after_call import ago_text, clock_text
from calmline.core.commands import (
    Command,
    CommandError,
    Reply,
    decode_command,
    decode_reply,
    encode_command,
    encode_reply,
)


def test_round_trip() -> None:
    cmd = Command("call-start", {"caller": "+44 20 7946 0000", "customer": "Ü-7"})
    line = encode_command(cmd)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_command(line) == cmd
    assert decode_reply(encode_reply(Reply(False, "no call"))) == Reply(False, "no call")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"not json\n", "command is not one JSON line"),
        (b"[1]\n", "must be a JSON object"),
        (b'{"cmd": "dance"}\n', "unknown command 'dance' — known: call-start"),
        (b'{"cmd": "note", "args": {}}\n', "note: text is empty"),
        (b'{"cmd": "call-end", "args": {"caller": "1"}}\n', "unknown argument 'caller'"),
        (b'{"cmd": "note", "args": {"text": 5}}\n', "'args' must map names to texts"),
        (b"\xff\n", "not one JSON line"),
    ],
)
def test_bad_commands_are_named(line: bytes, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        decode_command(line)


def test_too_long_is_refused() -> None:
    with pytest.raises(CommandError, match="too long"):
        encode_command(Command("note", {"text": "x" * 70000}))


def test_time_texts() -> None:
    assert [clock_text(s) for s in (None, -3, 0, 59.9, 61, 3600, 3725)] == [
        "--:--",
        "0:00",
        "0:00",
        "0:59",
        "1:01",
        "1:00:00",
        "1:02:05",
    ]
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 11, 22, tzinfo=UTC)
    ago = [ago_text(now - timedelta(seconds=s), now) for s in (10, 600, 7200, 86400, 5 * 86400)]
    assert ago == ["just now", "10 min ago", "2 h ago", "yesterday", "5 days ago"]
