"""Which target a sync URL names, and one clear line for each bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from calmline.core.sync_docs import SyncDoc
from calmline.sync.base import TargetError
from calmline.sync.folder import FolderTarget
from calmline.sync.https import HttpsTarget, idempotency_key, server_message
from calmline.sync.postgres import PostgresTarget
from calmline.sync.targets import target_for


@pytest.mark.parametrize(
    ("url", "kind", "name"),
    [
        ("", FolderTarget, "folder {default}"),
        ("/srv/team", FolderTarget, "folder /srv/team"),
        ("file:///srv/team%20sync", FolderTarget, "folder /srv/team sync"),
        ("file://fileserver/calmline", FolderTarget, "folder //fileserver/calmline"),
        ("postgresql://agent-7@db.example.com:5433/calmline", PostgresTarget,
         "postgresql://agent-7@db.example.com:5433/calmline"),
        ("https://sync.example.com/api?team=3", HttpsTarget, "https://sync.example.com/api"),
    ],
)  # fmt: skip
def test_target_kinds(
    url: str, kind: type, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    target = target_for(url, tmp_path / "default")
    assert isinstance(target, kind)
    assert target.name == name.format(default=tmp_path / "default")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://files.example.com/x", "unknown kind 'ftp:'"),
        ("http://sync.example.com/api", "plain http would send incident data unencrypted"),
        ("https://", "no host name"),
        ("https://me:pw@sync.example.com/api", "holds a user or password"),
        ("postgresql://agent-7:pw@db.example.com/calmline", "holds a password"),
        ("postgresql://db.example.com/calmline?nonsense=1", "not a valid PostgreSQL URL"),
    ],
)
def test_bad_targets_are_one_clear_line(url: str, says: str, tmp_path: Path) -> None:
    with pytest.raises(TargetError) as err:
        target_for(url, tmp_path)
    assert says in str(err.value) and "\n" not in str(err.value)
    assert "pw" not in str(err.value).replace("pw@", "")  # never echo a password


def test_the_same_batch_always_has_the_same_idempotency_key() -> None:
    docs = [SyncDoc("note", f"id-{n}", 2, "a", "2026-11-22", {}) for n in range(3)]
    assert idempotency_key(docs) == idempotency_key(list(docs))
    bumped = [*docs[:2], SyncDoc("note", "id-2", 3, "a", "2026-11-22", {})]
    assert idempotency_key(bumped) != idempotency_key(docs)


def test_server_message_prefers_the_servers_words() -> None:
    assert server_message(b'{"message": "quota exceeded"}') == "quota exceeded"
    assert server_message(b'{"detail": "bad shift_day"}') == "bad shift_day"
    assert server_message(b"Bad Gateway\n<html>...") == "Bad Gateway"
    assert server_message(b"") == "(no message)"
