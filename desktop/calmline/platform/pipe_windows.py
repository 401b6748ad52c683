"""Windows: the command pipe, with ctypes. TESTED ONLY ON WINDOWS CI — the
win32 tests in tests/security/test_instance_security.py run on the Windows
runner (issue 21); only the pure helpers (pipe_sddl, logon_sid) run elsewhere.

Pipe names are machine-wide and anyone may create one first. QLocalServer
cannot ask for FILE_FLAG_FIRST_PIPE_INSTANCE, so a name another user took
would be shared silently; hence this small thread-per-connection server. Its
pipe admits only the agent's logon session (DACL "D:P(A;;GA;;;<SID>)", remote
clients rejected) and it checks each client process's owner; the client opens
the pipe at identification level (the server cannot act as the agent) and
checks the server process's owner before it sends anything.
"""

from __future__ import annotations

import ctypes
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from ctypes import wintypes
from typing import Any

from calmline.core.commands import MAX_LINE, Reply, encode_reply
from calmline.platform.runtime_dir import InstanceRefused

log = logging.getLogger(__name__)

SE_GROUP_LOGON_ID = 0xC0000000
_SID = re.compile(r"S-1-\d+(-\d+)+")


def pipe_sddl(sid: str) -> str:
    """The security descriptor of the pipe: full access for ``sid``, nobody else
    (protected: nothing inherited)."""
    if not _SID.fullmatch(sid):
        raise ValueError(f"not a Windows SID: {sid!r}")
    return f"D:P(A;;GA;;;{sid})"


def logon_sid(groups: Iterable[tuple[str, int]]) -> str | None:
    """The logon-session SID among a token's (SID, attributes) groups."""
    for sid, attributes in groups:
        if attributes & SE_GROUP_LOGON_ID == SE_GROUP_LOGON_ID:
            return sid
    return None


# --- Win32 (below here runs on Windows only) ---------------------------------

GENERIC_READ, GENERIC_WRITE = 0x80000000, 0x40000000
OPEN_EXISTING = 3
SECURITY_SQOS_PRESENT, SECURITY_IDENTIFICATION = 0x00100000, 0x00010000
PIPE_ACCESS_DUPLEX, FILE_FLAG_FIRST_PIPE_INSTANCE = 0x3, 0x00080000
PIPE_REJECT_REMOTE_CLIENTS, PIPE_UNLIMITED_INSTANCES = 0x8, 255
PROCESS_QUERY_LIMITED_INFORMATION, TOKEN_QUERY = 0x1000, 0x8
TOKEN_USER, TOKEN_GROUPS = 1, 2
ERROR_FILE_NOT_FOUND, ERROR_ACCESS_DENIED, ERROR_PIPE_BUSY = 2, 5, 231
ERROR_PIPE_CONNECTED = 535
INVALID_HANDLE = ctypes.c_void_p(-1).value


class _SidAndAttributes(ctypes.Structure):
    _fields_ = [("Sid", ctypes.c_void_p), ("Attributes", wintypes.DWORD)]


class _TokenGroups(ctypes.Structure):
    _fields_ = [("GroupCount", wintypes.DWORD), ("Groups", _SidAndAttributes * 1)]


class _SecurityAttributes(ctypes.Structure):
    _fields_ = [
        ("nLength", wintypes.DWORD),
        ("lpSecurityDescriptor", ctypes.c_void_p),
        ("bInheritHandle", wintypes.BOOL),
    ]


class _Win:
    """kernel32 and advapi32 with their signatures (handles are pointer-sized)."""

    def __init__(self) -> None:
        w = wintypes
        dll: Any = ctypes.WinDLL  # type: ignore[attr-defined]
        k, a = dll("kernel32", use_last_error=True), dll("advapi32", use_last_error=True)
        h, p, d, b = w.HANDLE, ctypes.c_void_p, w.DWORD, w.BOOL
        sigs: dict[str, tuple[Any, Any, list[Any]]] = {
            "CreateNamedPipeW": (k, h, [w.LPCWSTR, d, d, d, d, d, d, p]),
            "ConnectNamedPipe": (k, b, [h, p]),
            "DisconnectNamedPipe": (k, b, [h]),
            "CreateFileW": (k, h, [w.LPCWSTR, d, d, p, d, d, h]),
            "WaitNamedPipeW": (k, b, [w.LPCWSTR, d]),
            "ReadFile": (k, b, [h, p, d, ctypes.POINTER(d), p]),
            "WriteFile": (k, b, [h, p, d, ctypes.POINTER(d), p]),
            "PeekNamedPipe": (k, b, [h, p, d, p, ctypes.POINTER(d), p]),
            "CloseHandle": (k, b, [h]),
            "GetNamedPipeServerProcessId": (k, b, [h, ctypes.POINTER(w.ULONG)]),
            "GetNamedPipeClientProcessId": (k, b, [h, ctypes.POINTER(w.ULONG)]),
            "OpenProcess": (k, h, [d, b, d]),
            "GetCurrentProcess": (k, h, []),
            "LocalFree": (k, p, [p]),
            "OpenProcessToken": (a, b, [h, d, ctypes.POINTER(h)]),
            "GetTokenInformation": (a, b, [h, ctypes.c_int, p, d, ctypes.POINTER(d)]),
            "ConvertSidToStringSidW": (a, b, [p, ctypes.POINTER(w.LPWSTR)]),
            "ConvertStringSecurityDescriptorToSecurityDescriptorW": (
                a,
                b,
                [w.LPCWSTR, d, ctypes.POINTER(p), p],
            ),
        }
        for name, (lib, restype, argtypes) in sigs.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
            setattr(self, name, fn)

    def error(self, what: str) -> OSError:
        code = ctypes.get_last_error()  # type: ignore[attr-defined]
        return OSError(None, f"{what} failed (Windows error {code})", None, code)


_win: _Win | None = None


def win() -> Any:
    global _win
    if _win is None:
        _win = _Win()
    return _win


def _token_info(process: int, kind: int) -> ctypes.Array[ctypes.c_char]:
    k = win()
    token = ctypes.c_void_p()
    if not k.OpenProcessToken(process, TOKEN_QUERY, ctypes.byref(token)):
        raise k.error("OpenProcessToken")
    try:
        size = wintypes.DWORD()
        k.GetTokenInformation(token, kind, None, 0, ctypes.byref(size))
        buf = ctypes.create_string_buffer(size.value)
        if not k.GetTokenInformation(token, kind, buf, size, ctypes.byref(size)):
            raise k.error("GetTokenInformation")
        return buf
    finally:
        k.CloseHandle(token)


def _sid_text(psid: int) -> str:
    k = win()
    text = ctypes.c_wchar_p()
    if not k.ConvertSidToStringSidW(psid, ctypes.byref(text)):
        raise k.error("ConvertSidToStringSidW")
    try:
        return str(text.value)
    finally:
        k.LocalFree(text)


def process_user_sid(process: int) -> str:
    buf = _token_info(process, TOKEN_USER)
    return _sid_text(_SidAndAttributes.from_buffer(buf).Sid)


def current_sids() -> tuple[str, str | None]:
    """This process's user SID and its logon-session SID (None if not found)."""
    me = win().GetCurrentProcess()
    buf = _token_info(me, TOKEN_GROUPS)
    count = _TokenGroups.from_buffer(buf).GroupCount
    table = (_SidAndAttributes * count).from_buffer(buf, _TokenGroups.Groups.offset)
    return process_user_sid(me), logon_sid((_sid_text(g.Sid), g.Attributes) for g in table)


def _owner_of(pid_getter: Callable[..., int], pipe: int) -> str | None:
    """The user SID of the process at the other end of ``pipe`` (None: unknown)."""
    k = win()
    pid = wintypes.ULONG()
    if not pid_getter(pipe, ctypes.byref(pid)):
        return None
    proc = k.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid.value)
    if not proc:
        return None
    try:
        return process_user_sid(proc)
    except OSError:
        return None
    finally:
        k.CloseHandle(proc)


def _write_all(pipe: int, data: bytes) -> None:
    """Into the pipe's buffer (sized for a whole line): never waits for the
    other end to read, so a peer that does not read holds no thread."""
    k, done = win(), wintypes.DWORD()
    if not k.WriteFile(pipe, data, len(data), ctypes.byref(done), None) or done.value != len(data):
        raise k.error("WriteFile")


def _read_line(pipe: int, deadline: float) -> bytes:
    """One line of at most MAX_LINE bytes before ``deadline``: polled with
    PeekNamedPipe so a silent or dribbling peer cannot hold a thread forever."""
    k, data = win(), bytearray()
    while b"\n" not in data:
        avail = wintypes.DWORD()
        if not k.PeekNamedPipe(pipe, None, 0, None, ctypes.byref(avail), None):
            raise ConnectionError("the other end closed the pipe")
        if not avail.value:
            if time.monotonic() > deadline:
                raise TimeoutError("no complete line in time")
            time.sleep(0.02)
            continue
        chunk, got = ctypes.create_string_buffer(min(avail.value, 4096)), wintypes.DWORD()
        if not k.ReadFile(pipe, chunk, len(chunk), ctypes.byref(got), None):
            raise k.error("ReadFile")
        data += chunk.raw[: got.value]
        if len(data) > MAX_LINE:
            raise OverflowError(f"longer than {MAX_LINE} bytes")
    return bytes(data.split(b"\n", 1)[0] + b"\n")


def send_line(path: str, data: bytes, timeout: float) -> bytes:
    """The client: send one line to our own server, return its answer line.
    FileNotFoundError when no pipe exists; InstanceRefused when it is not ours."""
    k, deadline = win(), time.monotonic() + timeout
    flags = SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION
    while True:
        pipe = k.CreateFileW(
            path, GENERIC_READ | GENERIC_WRITE, 0, None, OPEN_EXISTING, flags, None
        )
        if pipe and pipe != INVALID_HANDLE:
            break
        code = ctypes.get_last_error()  # type: ignore[attr-defined]
        if code == ERROR_FILE_NOT_FOUND:
            raise FileNotFoundError(2, "no Calmline pipe", path)
        if code == ERROR_ACCESS_DENIED:
            raise InstanceRefused(
                f"refusing {path}: the pipe is not open to you (another user's, or your "
                "Calmline in another Windows session) — nothing was sent to it; if you have "
                "no other session, tell IT"
            )
        if code != ERROR_PIPE_BUSY or time.monotonic() > deadline:
            raise k.error(f"opening {path}")
        k.WaitNamedPipeW(path, 100)
    try:
        owner = _owner_of(k.GetNamedPipeServerProcessId, pipe)
        if owner != current_sids()[0]:
            raise InstanceRefused(
                f"refusing {path}: the program serving it runs as {owner or 'an unknown user'}, "
                "not as you — it is not your Calmline and nothing was sent to it; tell IT"
            )
        _write_all(pipe, data)
        return _read_line(pipe, deadline)
    finally:
        k.CloseHandle(pipe)


class PipeServer:
    """Serves ``name``; ``answer`` turns one line into one reply line (it is
    called on a worker thread). Bounded like the Unix server: a line within
    ``read_timeout_s``, at most ``max_clients`` at once."""

    def __init__(
        self, name: str, answer: Callable[[bytes], bytes], read_timeout_s: float, max_clients: int
    ) -> None:
        self.name, self.answer = name, answer
        self.read_timeout_s, self.max_clients = read_timeout_s, max_clients
        self._active, self._lock, self._stopping = 0, threading.Lock(), False
        self._user = ""
        self._sddl = ""

    def start(self) -> None:
        """Create the first instance of the pipe (InstanceRefused when the name
        is taken: someone else made it first) and serve on a thread."""
        self._user, logon = current_sids()
        self._sddl = pipe_sddl(logon or self._user)
        first = self._create(first=True)
        threading.Thread(target=self._serve, args=(first,), name="pipe", daemon=True).start()

    def stop(self) -> None:
        self._stopping = True
        k = win()  # wake the accepting thread with a connection of our own
        pipe = k.CreateFileW(self.name, GENERIC_READ, 0, None, OPEN_EXISTING, 0, None)
        if pipe and pipe != INVALID_HANDLE:
            k.CloseHandle(pipe)

    def _create(self, first: bool) -> int:
        k, sd = win(), ctypes.c_void_p()
        if not k.ConvertStringSecurityDescriptorToSecurityDescriptorW(
            self._sddl, 1, ctypes.byref(sd), None
        ):
            raise k.error("ConvertStringSecurityDescriptorToSecurityDescriptorW")
        try:
            sa = _SecurityAttributes(ctypes.sizeof(_SecurityAttributes), sd, 0)
            mode = PIPE_ACCESS_DUPLEX | (FILE_FLAG_FIRST_PIPE_INSTANCE if first else 0)
            pipe = k.CreateNamedPipeW(
                self.name,
                mode,
                PIPE_REJECT_REMOTE_CLIENTS,  # byte mode, blocking
                PIPE_UNLIMITED_INSTANCES,
                MAX_LINE + 1,  # out: a whole reply fits, so writing never waits
                MAX_LINE + 1,  # in
                0,
                ctypes.byref(sa),
            )
        finally:
            k.LocalFree(sd)
        if pipe and pipe != INVALID_HANDLE:
            return int(pipe)
        code = ctypes.get_last_error()  # type: ignore[attr-defined]
        if first and code in (ERROR_ACCESS_DENIED, ERROR_PIPE_BUSY):
            raise InstanceRefused(
                f"refusing {self.name}: another program already holds this pipe name (made "
                "first, perhaps by another user) — quit it, or ask IT to, and start Calmline again"
            )
        raise k.error(f"CreateNamedPipeW {self.name}")

    def _serve(self, pipe: int) -> None:
        k = win()
        while True:
            connected = k.ConnectNamedPipe(pipe, None) or (
                ctypes.get_last_error() == ERROR_PIPE_CONNECTED  # type: ignore[attr-defined]
            )
            if self._stopping:
                k.CloseHandle(pipe)
                return
            try:
                following = self._create(first=False)
            except OSError:
                log.exception("cannot open another instance of %s; commands stop", self.name)
                k.CloseHandle(pipe)
                return
            if connected:
                self._dispatch(pipe)
            else:
                k.CloseHandle(pipe)
            pipe = following

    def _dispatch(self, pipe: int) -> None:
        with self._lock:
            busy = self._active >= self.max_clients
            self._active += 0 if busy else 1
        if busy:
            log.warning("refused a command connection: %d are open already", self.max_clients)
            self._close(pipe, Reply(False, "Calmline is busy with other commands — try again"))
            return
        threading.Thread(target=self._handle, args=(pipe,), name="pipe-client", daemon=True).start()

    def _handle(self, pipe: int) -> None:
        try:
            owner = _owner_of(win().GetNamedPipeClientProcessId, pipe)
            if owner != self._user:
                log.warning("dropped a command connection from %s: not this user", owner)
                self._close(pipe, None)
                return
            try:
                line = _read_line(pipe, time.monotonic() + self.read_timeout_s)
            except TimeoutError:
                log.warning(
                    "dropped a command connection: no complete line within %.0f s",
                    self.read_timeout_s,
                )
                self._close(pipe, Reply(False, "no complete command line in time"))
                return
            except OverflowError:
                self._close(pipe, Reply(False, f"command too long (at most {MAX_LINE} bytes)"))
                return
            except (ConnectionError, OSError):
                self._close(pipe, None)
                return
            self._close(pipe, self.answer(line))
        finally:
            with self._lock:
                self._active -= 1

    def _close(self, pipe: int, reply: Reply | bytes | None) -> None:
        """Answer and close (the client still reads what was written), or, with
        no reply, cut the connection (DisconnectNamedPipe drops unread data)."""
        k = win()
        try:
            if reply is None:
                k.DisconnectNamedPipe(pipe)
            else:
                _write_all(pipe, reply if isinstance(reply, bytes) else encode_reply(reply))
        except OSError:
            pass  # the client went away; nothing to tell it
        finally:
            k.CloseHandle(pipe)
