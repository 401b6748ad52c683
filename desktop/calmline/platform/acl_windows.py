"""Windows: is a folder the user's alone? Reads the folder's DACL (ctypes, advapi32)
and names every account other than the user, SYSTEM and Administrators that it
lets in. %LOCALAPPDATA% is private by default; a folder IT or a script opened up
(or a CALMLINE_HOME on a shared drive) is what this catches.

The ctypes part runs on Windows only (tested on the Windows CI runner); the
decision is pure and tested everywhere."""

from __future__ import annotations

import ctypes
from ctypes import wintypes
from pathlib import Path

SYSTEM = "S-1-5-18"
ADMINISTRATORS = "S-1-5-32-544"
CREATOR_OWNER = "S-1-3-0"  # inherit-only: applies to the owner of each new file
ACCESS_ALLOWED = 0x0  # ACCESS_ALLOWED_ACE_TYPE; denies never widen access
INHERIT_ONLY = 0x08


def others_allowed(aces: list[tuple[int, int, str]], me: str) -> list[str]:
    """SIDs other than ``me`` that (type, flags, sid) access entries let in."""
    ok = {me, SYSTEM, ADMINISTRATORS, CREATOR_OWNER}
    return sorted(
        {
            sid
            for kind, flags, sid in aces
            if kind == ACCESS_ALLOWED and not flags & INHERIT_ONLY and sid not in ok
        }
    )


def _sid_text(psid: int) -> str:
    advapi32 = ctypes.windll.advapi32  # type: ignore[attr-defined]
    text = wintypes.LPWSTR()
    if not advapi32.ConvertSidToStringSidW(ctypes.c_void_p(psid), ctypes.byref(text)):
        raise ctypes.WinError()  # type: ignore[attr-defined]
    try:
        return str(text.value)
    finally:
        ctypes.windll.kernel32.LocalFree(text)  # type: ignore[attr-defined]


def _my_sid() -> str:
    advapi32 = ctypes.windll.advapi32  # type: ignore[attr-defined]
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    token = wintypes.HANDLE()
    token_query, token_user = 0x0008, 1
    if not advapi32.OpenProcessToken(
        kernel32.GetCurrentProcess(), token_query, ctypes.byref(token)
    ):
        raise ctypes.WinError()  # type: ignore[attr-defined]
    try:
        size = wintypes.DWORD(0)
        advapi32.GetTokenInformation(token, token_user, None, 0, ctypes.byref(size))
        buf = ctypes.create_string_buffer(size.value)
        if not advapi32.GetTokenInformation(token, token_user, buf, size, ctypes.byref(size)):
            raise ctypes.WinError()  # type: ignore[attr-defined]
        psid = ctypes.cast(buf, ctypes.POINTER(ctypes.c_void_p))[0]  # TOKEN_USER.User.Sid
        return _sid_text(psid)
    finally:
        kernel32.CloseHandle(token)


def folder_aces(path: Path) -> list[tuple[int, int, str]]:
    advapi32 = ctypes.windll.advapi32  # type: ignore[attr-defined]
    se_file_object, dacl_information = 1, 4
    dacl = ctypes.c_void_p()
    descriptor = ctypes.c_void_p()
    err = advapi32.GetNamedSecurityInfoW(
        str(path), se_file_object, dacl_information, None, None,
        ctypes.byref(dacl), None, ctypes.byref(descriptor),
    )  # fmt: skip
    if err:
        raise ctypes.WinError(err)  # type: ignore[attr-defined]
    try:
        if not dacl.value:
            return [(ACCESS_ALLOWED, 0, "S-1-1-0")]  # a NULL DACL lets everyone in
        count = ctypes.c_ushort.from_address(dacl.value + 4).value  # ACL.AceCount
        out = []
        for i in range(count):
            ace = ctypes.c_void_p()
            if not advapi32.GetAce(dacl, i, ctypes.byref(ace)):
                raise ctypes.WinError()  # type: ignore[attr-defined]
            assert ace.value is not None
            kind = ctypes.c_ubyte.from_address(ace.value).value
            flags = ctypes.c_ubyte.from_address(ace.value + 1).value
            if kind == ACCESS_ALLOWED:  # header (4) + mask (4), then the SID
                out.append((kind, flags, _sid_text(ace.value + 8)))
        return out
    finally:
        ctypes.windll.kernel32.LocalFree(descriptor)  # type: ignore[attr-defined]


def acl_problem(path: Path) -> str | None:
    """What is wrong with the folder's ACL for private data, or None."""
    try:
        others = others_allowed(folder_aces(path), _my_sid())
    except OSError as exc:
        return f"cannot read the permissions of {path} ({exc})"
    if others:
        return f"{path} lets other accounts in ({', '.join(others)}); ask IT to restore its ACL"
    return None
