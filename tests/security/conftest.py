from __future__ import annotations

import pwd
import shutil

import pytest


def _can_switch_user() -> bool:
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return False
    import os

    return os.geteuid() == 0 and shutil.which("runuser") is not None


@pytest.fixture
def other_user() -> list[str]:
    """The command prefix that runs a program as a second local user (nobody)."""
    if not _can_switch_user():
        pytest.skip("needs root and runuser to act as a second local user (nobody)")
    return ["runuser", "-u", "nobody", "--"]
