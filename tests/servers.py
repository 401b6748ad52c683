"""Real servers for tests, each on its own display/socket, stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def wait_for(pred, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    """Poll ``pred`` every 50 ms until true; fail naming ``what`` after ``timeout`` s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


def _free_display() -> int:
    for n in range(120, 400):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@contextlib.contextmanager
def xvfb(size: str = "1280x1024x24") -> Iterator[str]:
    """Start Xvfb on a free display; yields the DISPLAY string."""
    if not shutil.which("Xvfb"):
        raise RuntimeError("Xvfb is not installed — run `make test`, which installs it")
    for _ in range(5):
        n = _free_display()
        proc = subprocess.Popen(
            ["Xvfb", f":{n}", "-screen", "0", size, "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(
                lambda n=n, p=proc: Path(f"/tmp/.X11-unix/X{n}").exists() or p.poll() is not None,
                10,
                "Xvfb",
            )
        except RuntimeError:
            proc.kill()
            raise
        if proc.poll() is None:
            break  # another run may have raced us to that number: try the next one
    else:
        raise RuntimeError("Xvfb would not start")
    display = f":{n}"
    try:
        wait_for(
            lambda: (
                subprocess.run(["xdpyinfo", "-display", display], capture_output=True).returncode
                == 0
            ),
            10,
            "Xvfb display",
        )
        yield display
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def pulseaudio() -> Iterator[dict[str, str]]:
    """A private PulseAudio server with a virtual microphone (virt_mic) fed by the
    null sink virt_spk; yields the environment that reaches it."""
    if not shutil.which("pulseaudio"):
        raise RuntimeError("pulseaudio is not installed — run `make test`, which installs it")
    runtime = Path(tempfile.mkdtemp(prefix="calmline-pulse-"))
    runtime.chmod(0o700)
    env = dict(
        os.environ,
        XDG_RUNTIME_DIR=str(runtime),
        PULSE_RUNTIME_PATH=str(runtime / "pulse"),
        HOME=str(runtime),
    )
    env.pop("PULSE_SERVER", None)
    subprocess.run(
        [
            "pulseaudio",
            "-D",
            "-n",
            "--exit-idle-time=-1",
            "--use-pid-file=yes",
            f"--log-target=file:{runtime / 'pulse.log'}",
            "-L",
            "module-native-protocol-unix auth-anonymous=1",
            "-L",
            "module-null-sink sink_name=virt_spk rate=48000",
            "-L",
            "module-remap-source master=virt_spk.monitor source_name=virt_mic",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    try:
        wait_for(
            lambda: subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0,
            15,
            "PulseAudio",
        )
        subprocess.run(["pactl", "set-default-sink", "virt_spk"], env=env, check=True)
        subprocess.run(["pactl", "set-default-source", "virt_mic"], env=env, check=True)
        yield env
    finally:
        pid_file = runtime / "pulse" / "pid"
        pid = int(pid_file.read_text()) if pid_file.exists() else None
        subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True)
        if pid is not None:  # it tidies its runtime dir as it exits: wait, then remove it
            with contextlib.suppress(RuntimeError):
                wait_for(lambda: _exited(pid), 5, "PulseAudio to exit")
        shutil.rmtree(runtime, ignore_errors=True)


@contextlib.contextmanager
def pipe_microphone(env: dict[str, str], rate: int = 48000) -> Iterator[Path]:
    """A second virtual microphone on a running ``pulseaudio()`` server, fed by
    whatever is written to the yielded FIFO (float32, mono): a test that writes
    in real time knows when each sample entered the audio system. It is the
    default source until the block ends."""
    fifo = Path(env["XDG_RUNTIME_DIR"]) / "pipe-mic.fifo"
    module = subprocess.run(
        [
            "pactl",
            "load-module",
            "module-pipe-source",
            f"file={fifo}",
            "source_name=pipe_mic",
            "format=float32le",
            f"rate={rate}",
            "channels=1",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        subprocess.run(["pactl", "set-default-source", "pipe_mic"], env=env, check=True)
        yield fifo
    finally:
        subprocess.run(["pactl", "set-default-source", "virt_mic"], env=env, capture_output=True)
        subprocess.run(["pactl", "unload-module", module], env=env, capture_output=True)


def _exited(pid: int) -> bool:
    """Gone, or a zombie nobody has reaped yet (a daemon's parent is init)."""
    try:
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


def no_audio_server(root: Path, **extra: str) -> dict[str, str]:
    """An environment in which no audio server can be reached (a private runtime
    dir, PULSE_SERVER pointing at a socket that does not exist)."""
    runtime = root / "no-pulse"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return dict(
        os.environ,
        XDG_RUNTIME_DIR=str(runtime),
        PULSE_SERVER="unix:" + str(runtime / "nothing-here"),
        **extra,
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PgServer:
    """A running throwaway server: ``url`` for the superuser over its socket;
    ``stop()`` and ``start()`` for fault tests."""

    def __init__(self, pg_bin: Path, root: Path, port: int, as_postgres: list[str]) -> None:
        self.pg_bin, self.root, self.port, self.as_postgres = pg_bin, root, port, as_postgres
        self.url = f"postgresql://postgres@/postgres?host={root / 'sock'}&port={port}"

    def _ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.pg_bin / "pg_ctl"), "-D", str(self.root / "data"),
             "-w", "-t", "30", *args],
            check=check, capture_output=True,
        )  # fmt: skip

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root / 'sock'} -c fsync=off"
        self._ctl("-l", str(self.root / "log"), "-o", opts, "start")

    def stop(self, check: bool = True) -> None:
        self._ctl("-m", "immediate", "stop", check=check)


@contextlib.contextmanager
def postgresql() -> Iterator[PgServer]:
    """A throwaway PostgreSQL server on a free port (superuser ``postgres``: trust
    on its private socket, scram passwords over TCP). Stopped and removed after."""
    pg_bin = PG_BIN if PG_BIN.exists() else Path(shutil.which("initdb") or "initdb").parent
    if not (pg_bin / "initdb").exists():
        raise RuntimeError("PostgreSQL is not installed — run `make test`, which installs it")
    root = Path(tempfile.mkdtemp(prefix="calmline-pg-"))
    (root / "sock").mkdir()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(root, "postgres")
        shutil.chown(root / "sock", "postgres")
    subprocess.run(
        [*as_postgres, str(pg_bin / "initdb"), "-D", str(root / "data"), "-U", "postgres",
         "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
         "--locale=C.UTF-8", "--no-sync"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = PgServer(pg_bin, root, _free_port(), as_postgres)
    server.start()
    try:
        yield server
    finally:
        server.stop(check=False)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def https_endpoint(token: str) -> Iterator[tuple[str, dict, Path]]:  # type: ignore[type-arg]
    """A sync endpoint over real TLS on 127.0.0.1 (a fresh self-signed
    certificate): keeps the highest version of each record it is sent. Yields
    (url, state, certificate file to trust). ``state`` holds "records",
    "keys" (Idempotency-Key of each request) and fault switches: "fail" (answer
    503 that many times), "reject" ((status, JSON body) for the next request)."""
    import http.server
    import json
    import ssl
    import threading

    folder = Path(tempfile.mkdtemp(prefix="calmline-https-"))
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    state: dict = {"records": {}, "keys": [], "fail": 0, "reject": None}  # type: ignore[type-arg]
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, body: dict) -> None:  # type: ignore[type-arg]
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state["keys"].append(self.headers.get("Idempotency-Key"))
                if self.headers.get("Authorization") != f"Bearer {token}":
                    return self._answer(401, {"message": "invalid or expired token"})
                if state["fail"]:
                    state["fail"] -= 1
                    return self._answer(503, {"message": "maintenance"})
                if state["reject"]:
                    status, answer = state["reject"]
                    state["reject"] = None
                    return self._answer(status, answer)
                records = json.loads(body)["records"]
                assert len(records) <= 100
                for doc in records:
                    k = (doc["type"], doc["id"])
                    state["records"][k] = max(state["records"].get(k, 0), doc["version"])
            self._answer(200, {"accepted": len(records)})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/api/records", state, cert
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def pulseaudio_with_earpiece() -> Iterator[dict[str, str]]:
    """``pulseaudio()`` plus a second null sink, caller_spk ("Earpiece"): the headset
    earpiece the softphone plays the caller to, so it is the default sink. Its
    monitor is the caller's channel; virt_mic stays the default source (the agent)."""
    with pulseaudio() as env:
        subprocess.run(
            ["pactl", "load-module", "module-null-sink", "sink_name=caller_spk", "rate=48000",
             "sink_properties=device.description=Earpiece"],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(["pactl", "set-default-sink", "caller_spk"], env=env, check=True)
        yield env
