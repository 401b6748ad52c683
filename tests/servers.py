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

# The HTTPS team store lives in its own module; tests still import it from here.
from tests.https_store import https_endpoint as https_endpoint


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
        self.options = ""  # more server options (TLS)

    def _ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.pg_bin / "pg_ctl"), "-D", str(self.root / "data"),
             "-w", "-t", "30", *args],
            check=check, capture_output=True,
        )  # fmt: skip

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root / 'sock'} -c fsync=off"
        opts += self.options
        self._ctl("-l", str(self.root / "log"), "-o", opts, "start")

    def stop(self, check: bool = True) -> None:
        self._ctl("-m", "immediate", "stop", check=check)


@contextlib.contextmanager
def postgresql(tls_names: str | None = None) -> Iterator[PgServer]:
    """A throwaway PostgreSQL server on a free port (superuser ``postgres``: trust
    on its private socket, scram passwords over TCP). Stopped and removed after.
    ``tls_names`` (a subjectAltName list): TLS on, with a fresh self-signed
    certificate for them at ``server.root / "tls" / "cert.pem"`` (to trust)."""
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
    if tls_names:
        tls = root / "tls"
        tls.mkdir()
        cert, key = self_signed(tls, tls_names)
        key.chmod(0o600)
        if as_postgres:
            for path in (tls, cert, key):
                shutil.chown(path, "postgres")
        server.options = f" -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"
    server.start()
    try:
        yield server
    finally:
        server.stop(check=False)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def calmline_postgresql(tls_names: str | None = None) -> Iterator[dict]:  # type: ignore[type-arg]
    """``postgresql()`` with the shipped server SQL on database ``calmline``, two
    agents (``agent-7``, ``agent-8``) and a team lead (``lead``), each with the
    password ``pw-<role>``. Yields {"admin": superuser URL, "port", "pg"}."""
    import psycopg

    sql = Path(__file__).resolve().parents[1] / "installers" / "server" / "postgresql.sql"
    with postgresql(tls_names) as pg:
        with psycopg.connect(pg.url, autocommit=True) as c:
            c.execute("CREATE DATABASE calmline")
        db = pg.url.replace("/postgres?", "/calmline?")
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", str(sql)],
                       check=True, capture_output=True)  # fmt: skip
        with psycopg.connect(db, autocommit=True) as c:
            for role, group in (("agent-7", "agent"), ("agent-8", "agent"), ("lead", "lead")):
                c.execute(
                    f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'pw-{role}' IN ROLE calmline_{group}"
                )
        yield {"admin": db, "port": str(pg.port), "pg": pg}


def self_signed(folder: Path, names: str = "IP:127.0.0.1") -> tuple[Path, Path]:
    """A fresh self-signed certificate (its own CA) for ``names`` (a
    subjectAltName list); returns (certificate, key) in ``folder``."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=calmline-test", "-addext", f"subjectAltName={names}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@contextlib.contextmanager
def _tls_server(handler: type, cert: Path, key: Path) -> Iterator[int]:
    """``handler`` served over TLS on 127.0.0.1; yields the port."""
    import http.server
    import ssl
    import threading

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def https_probe(
    location: str | None = None, status: int = 307
) -> Iterator[tuple[str, list[tuple[str, str, dict[str, str]]], Path]]:
    """A TLS server on 127.0.0.1 that records every request it gets (method,
    path, headers) and answers each with ``status`` and ``Location: location``
    (a redirecting sync server), or 200 and {} when ``location`` is None (the
    place a redirect points to, which must never see the token). Yields (url,
    requests, certificate file to trust)."""
    import http.server
    import threading

    folder = Path(tempfile.mkdtemp(prefix="calmline-probe-"))
    cert, key = self_signed(folder)
    requests: list[tuple[str, str, dict[str, str]]] = []
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            with lock:
                requests.append((self.command, self.path, dict(self.headers)))
            body = b"{}"
            self.send_response(200 if location is None else status)
            if location is not None:
                self.send_header("Location", location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = _any

    try:
        with _tls_server(Handler, cert, key) as port:
            yield f"https://127.0.0.1:{port}/api/records", requests, cert
    finally:
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
