"""Reliability: files that are not ours, old databases, many processes at once, a killed import,
hostile and very long text, and property tests over arbitrary input.

Most tests run the real CLI, in-process (CliRunner) where that is enough and as
a subprocess where a process boundary matters (locks, signals, argv bytes).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import processes
from helpers import FIXTURES, assert_one_error, examples, papers_ranked, pragma, settle, snapshot, user_data
from llmreads.db import open_db
from llmreads.errors import DatabaseError
from llmreads.migrations import NAMES

LORA, ATTENTION, GPT3, INSTRUCT = "arxiv:2106.09685", "arxiv:1706.03762", "arxiv:2005.14165", "arxiv:2203.02155"
RUNNER = CliRunner()


@pytest.fixture(autouse=True)
def _no_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LLMREADS_CONFIG", str(tmp_path / "no-config.toml"))


def run(*args: str, env: dict[str, str | None] | None = None):  # type: ignore[no-untyped-def]
    from llmreads.cli import app

    return RUNNER.invoke(app, list(args), env=env)


def ok(*args: str, env: dict[str, str | None] | None = None) -> str:
    result = run(*args, env=env)
    assert result.exit_code == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
    return str(result.stdout)


def subprocess_env(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")}
    env.update(LLMREADS_DB=str(db), LLMREADS_USER="alice", LLMREADS_CONFIG=str(db.parent / "no-config.toml"))
    env.update(extra)
    return env



def file_state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def seed_database(path: Path) -> None:
    """The bundled list, statuses of alice and bob and two notes, made through the CLI."""
    for args in (
        ("mark-read", "2106.09685", "1706.03762"),
        ("mark-reading", "2005.14165"),
        ("note", "add", "2106.09685", "低秩分解 ΔW = BA; rank 8 suffices"),
        ("--user", "bob", "mark-read", "2203.02155"),
    ):
        ok("--db", str(path), *args)
    settle(path)


# ---------------------------------------------------------------- files that are not llmreads databases


def _current(tmp_path: Path) -> Path:
    path = tmp_path / "current.db"
    seed_database(path)
    return path


def _make(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{kind.replace(' ', '-')}.db"
    if kind == "text file":
        path.write_text("# My reading list\n\n| a | b |\n")
    elif kind == "binary junk":
        path.write_bytes(bytes(range(256)) * 64)
    elif kind == "other sqlite":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers (name) VALUES ('x')")
        conn.commit()
        conn.close()
    elif kind == "other app's sqlite-utils migrations":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set, name, applied_at)")
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('otherapp', 'm001', '')")
        conn.commit()
        conn.close()
    elif kind == "header only":
        path.write_bytes((FIXTURES / "schema-v1.db").read_bytes()[:60])
    elif kind == "truncated old database":
        path.write_bytes((FIXTURES / "schema-v1.db").read_bytes()[:50_000])
    elif kind == "truncated current database":
        path.write_bytes(_current(tmp_path).read_bytes()[:60_000])
    elif kind == "corrupted old database":
        data = bytearray((FIXTURES / "schema-v1.db").read_bytes())
        data[50_000:60_000] = b"\x41" * 10_000  # table pages: the schema still reads, the data does not
        path.write_bytes(bytes(data))
    elif kind == "corrupted schema page":
        data = bytearray(_current(tmp_path).read_bytes())
        data[100:4096] = b"\xff" * 3996  # page 1 below the header: sqlite_master itself
        path.write_bytes(bytes(data))
    return path


REFUSED = {
    "text file": "not an SQLite database",
    "binary junk": "not an SQLite database",
    "other sqlite": "not an llmreads",
    "other app's sqlite-utils migrations": "not an llmreads",
    "header only": "damaged",
    "truncated old database": "damaged",
    "truncated current database": "damaged",
    "corrupted old database": "damaged",
    "corrupted schema page": "malformed",
}


@pytest.mark.parametrize("kind", list(REFUSED))
def test_a_file_that_is_not_a_usable_llmreads_database_is_refused_and_left_alone(tmp_path, kind):
    path = _make(kind, tmp_path)
    before = file_state(path)
    neighbours = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(path.name))
    for args in (("list",), ("mark-read", "lora"), ("import",)):
        line = assert_one_error(run("--db", str(path), *args))
        assert str(path) in line and REFUSED[kind] in line, line
    assert file_state(path) == before  # not a byte, not even the modification time
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(path.name)) == neighbours
    with pytest.raises(DatabaseError, match=re.escape(str(path))):
        open_db(path)
    assert file_state(path) == before


def test_a_damaged_table_page_in_a_current_database_is_named_in_the_error(tmp_path):
    # A current database is not integrity-checked on every start (too slow for a large one): the
    # damage shows when a command reads the page, and the error should still say which file.
    path = _current(tmp_path)
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'papers'").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * 4096 : (root - 1) * 4096 + 200] = b"\xee" * 200
    path.write_bytes(bytes(data))
    line = assert_one_error(run("--db", str(path), "list"))
    assert str(path) in line


def test_a_newer_database_is_refused_and_left_byte_identical(tmp_path):
    path = _current(tmp_path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('llmreads', 'm999_x', '')")
    conn.commit()
    conn.close()
    before = file_state(path)
    for args in (("list",), ("mark-read", "lora"), ("note", "add", "lora", "x"), ("import",)):
        line = assert_one_error(run("--db", str(path), *args))
        assert "newer llmreads" in line and "m999_x" in line and str(path) in line
    assert file_state(path) == before


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_a_new_database_is_private_in_a_private_folder(tmp_path, umask):
    path = tmp_path / "data" / "llmreads" / "llmreads.db"
    old = os.umask(umask)
    try:
        ok("--db", str(path), "mark-read", "lora")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0
    assert pragma(path, "journal_mode") == "wal"


def test_the_switch_to_wal_waits_for_another_writer(tmp_path):
    # Changing the journal mode does not honour the busy timeout: with another
    # connection holding the write lock it used to fail at once ("database is
    # locked"), which several processes starting on a new database could hit.
    path = tmp_path / "rollback.db"
    open_db(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO statuses VALUES ('w', 'k', 'read', '')")
    release = threading.Timer(0.3, lambda: writer.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    opened = open_db(path)
    assert time.monotonic() - started >= 0.2
    assert opened.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert opened.execute("SELECT count(*) FROM statuses WHERE user = 'w'").fetchone()[0] == 1
    opened.close()
    release.join()
    writer.close()


def test_a_path_with_uri_characters_works(tmp_path):
    path = tmp_path / "odd ?name #1 %41 ünï" / "llmreads.db"
    ok("--db", str(path), "mark-read", "lora")
    ok("--db", str(path), "mark-read", "attention is all")  # the second open inspects the file read-only
    read = json.loads(ok("--db", str(path), "list", "--status", "read", "--json"))
    assert {row["key"] for row in read} == {LORA, ATTENTION}


def test_an_old_database_with_a_hot_journal_is_recovered_then_upgraded(tmp_path):
    # A writer of the old rollback-journal file was killed mid-transaction: the
    # read-only look cannot roll its journal back, so the checks run read-write.
    path = tmp_path / "v1.db"
    path.write_bytes((FIXTURES / "schema-v1.db").read_bytes())
    before = user_data(path)
    code = (
        "import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
        "c.execute('PRAGMA cache_size = 1'); c.execute('BEGIN');"
        "c.execute(\"UPDATE entries SET intro = intro || 'half-written'\"); c.execute('DELETE FROM notes'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)
    assert Path(f"{path}-journal").stat().st_size > 0
    ok("--db", str(path), "list", "--json")
    assert user_data(path) == before
    assert pragma(path, "integrity_check") == "ok"
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM entries WHERE intro LIKE '%half-written'").fetchone()[0] == 0
    conn.close()


# ---------------------------------------------------------------- the first released schema


def test_a_first_schema_database_upgrades_with_all_user_data(tmp_path):
    path = tmp_path / "v1.db"
    path.write_bytes((FIXTURES / "schema-v1.db").read_bytes())
    db = ("--db", str(path))
    before = user_data(path)
    assert len(before[0]) == 4 and len(before[1]) == 3

    read = {row["key"] for row in json.loads(ok(*db, "list", "--status", "read", "--json"))}
    assert read == {LORA, ATTENTION}
    assert [row["key"] for row in json.loads(ok(*db, "list", "--status", "reading", "--json"))] == [GPT3]
    assert [row["key"] for row in json.loads(ok(*db, "--user", "bob", "list", "--status", "read", "--json"))] == [
        INSTRUCT
    ]
    notes = {(n["key"], n["text"]) for n in json.loads(ok(*db, "note", "list", "--json"))}
    assert notes == {(LORA, "低秩分解 ΔW = BA; rank 8 suffices"), (ATTENTION, "Read twice")}
    bob_notes = json.loads(ok(*db, "--user", "bob", "note", "list", "--json"))
    assert [(n["key"], n["text"]) for n in bob_notes] == [(INSTRUCT, "InstructGPT: SFT, RM, PPO")]
    status = json.loads(ok(*db, "db", "status", "--json"))
    assert status["schema"]["applied"] == list(NAMES) and status["journal_mode"] == "wal"
    assert user_data(path) == before

    # Search still finds papers by their text and by the notes written under m001.
    assert {r["key"] for r in json.loads(ok(*db, "search", "suffices", "--json"))} == {LORA}
    assert {r["key"] for r in json.loads(ok(*db, "search", "低秩分解", "--json"))} >= {LORA}
    assert {r["key"] for r in json.loads(ok(*db, "search", "twice", "--json"))} == {ATTENTION}
    assert json.loads(ok(*db, "--user", "bob", "search", "twice", "--json")) == []
    assert LORA in {r["key"] for r in json.loads(ok(*db, "search", "lora", "--json"))}

    report = json.loads(ok(*db, "import", "--json"))
    assert report["removed"] == [] and report["papers"] == 118
    assert user_data(path) == before
    assert pragma(path, "integrity_check") == "ok"


# ---------------------------------------------------------------- many processes at once

WORKER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from llmreads.db import open_db
    from llmreads.models import Status
    from llmreads.store.filters import status_filter
    from llmreads.store.notes import add_note
    from llmreads.store.papers import list_papers, resolve_ref
    from llmreads.store.tracking import set_status

    db, user, refs = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
    print("ready", flush=True)
    sys.stdin.readline()
    errors = []
    for i, ref in enumerate(refs):
        try:
            conn = open_db(db)  # a connection per operation, as each CLI run has
            try:
                pid = resolve_ref(conn, ref)
                set_status(conn, user, [pid], Status.read)
                list_papers(conn, user, [status_filter("read")])
                if i % 2:
                    set_status(conn, user, [pid], Status.unread)
                add_note(conn, user, pid, f"{user} note {i} 并发")
            finally:
                conn.close()
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps(errors), flush=True)
    """
)


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "busy.db"
    conn = open_db(path)
    from helpers import import_text
    from llmreads.store.papers import list_papers

    import_text(conn, (FIXTURES.parent.parent / "seeds" / "llm_paper_reading.md").read_text(encoding="utf-8"))
    papers = list_papers(conn, "x", limit=10)
    conn.close()
    refs = [p.id for p in papers]
    users = [f"worker{i}" for i in range(4)]
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(path), user, ",".join(refs)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for user in users
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    errors = [json.loads(proc.communicate(timeout=120)[0]) for proc in procs]
    assert errors == [[] for _ in users]
    assert all(proc.returncode == 0 for proc in procs)

    statuses, notes = user_data(path)
    assert statuses == sorted(
        (user, p.key, "unread" if i % 2 else "read") for user in users for i, p in enumerate(papers)
    )
    assert notes == sorted((user, p.key, f"{user} note {i} 并发") for user in users for i, p in enumerate(papers))
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM notes_fts").fetchone()[0] == len(notes)
    conn.close()
    for user in users:
        found = json.loads(ok("--db", str(path), "--user", user, "search", "并发", "--json"))
        assert {row["key"] for row in found} == {p.key for p in papers}
    assert pragma(path, "integrity_check") == "ok"


def test_processes_starting_together_on_a_new_database(tmp_path):
    # Each creates, migrates, switches to WAL and imports the bundled list if
    # nobody has yet: exactly one list, and every command succeeds.
    path = tmp_path / "new.db"
    refs = ["lora", "attention is all", "2005.14165", "2203.02155", "1910.10683", "2303.08774"]
    env = subprocess_env(path)
    procs = [
        subprocess.Popen([sys.executable, "-m", "llmreads", "--user", f"u{i}", "mark-read", ref], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i, ref in enumerate(refs)
    ]
    results = [(proc.communicate(timeout=120), proc.returncode) for proc in procs]
    for (_out, err), code in results:
        assert code == 0, err
        assert "locked" not in err and "Traceback" not in err
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM lists").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 118
    assert conn.execute("SELECT count(*) FROM statuses WHERE status = 'read'").fetchone()[0] == len(refs)
    conn.close()


# ---------------------------------------------------------------- a killed import


def big_list(papers: int, per_section: int = 500) -> str:
    """A synthetic list in the seed's shape: `1. # Section` headings, then the seed's table."""
    lines: list[str] = []
    for start in range(0, papers, per_section):
        section = start // per_section + 1
        lines += [f"{section}. # Section {section} 大模型第{section}部分", "",
                  "| **ID** | **Paper** | **Introduction** |", "| --- | --- | --- |"]
        for n in range(start, min(start + per_section, papers)):
            arxiv = f"{23 + n // 100_000}{n // 10_000 % 10:01d}{n // 1000 % 10:01d}.{n % 1000:05d}"
            lines.append(f"| {n - start + 1}{'✡' * (n % 6)} | [Title {n} of a synthetic paper]"
                         f"(https://arxiv.org/abs/{arxiv}) | 简介 text {n}: 参数高效微调 LoRA and friends |")
        lines.append("")
    return "\n".join(lines)


def test_an_import_killed_midway_leaves_the_database_as_it_was(tmp_path):
    path = tmp_path / "crash.db"
    seed_database(path)
    before = snapshot(path)
    big = tmp_path / "big.md"
    big.write_text(big_list(40_000), encoding="utf-8")  # an import of some 3 s
    wal = Path(f"{path}-wal")
    proc = subprocess.Popen([sys.executable, "-m", "llmreads", "import", str(big), "--name", "big"],
                            env=subprocess_env(path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    # Inside the import's transaction: another connection cannot take the write lock ...
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError:
            break
        time.sleep(0.005)
    probe.close()
    # ... and the import has been writing for a while (pages in its cache, or in the log once the cache spills).
    writing = time.monotonic()
    while proc.poll() is None and time.monotonic() - writing < 0.5:
        if wal.exists() and wal.stat().st_size > 512 * 1024:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the import ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert pragma(path, "integrity_check") == "ok"
    assert snapshot(path) == before
    env = subprocess_env(path)
    listed = processes.run("list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 118
    assert {row["key"] for row in rows if row["status"] == "read"} == {LORA, ATTENTION}
    assert [name["name"] for name in json.loads(processes.run("lists", "--json", env=env).stdout)] == [
        "LLM_Paper_Reading"
    ]


# ---------------------------------------------------------------- hostile text

HOSTILE_TITLES = [
    "[bold]Bold[/] Paper [link=https://x]click[/link]",
    "Esc \x1b[31mred\x1b[0m and \x1b[2J\x1b[H clear",
    "Hyper \x1b]8;;http://evil\x07link\x1b]8;;\x07 text",
    "Bidi \u202eevil\u202c and \u2066iso\u2069 marks",
    "Controls \x07\x08\x0b\x0c\x7f\x85\x9b31m end",
    "Pipe \\| in a [red]title[/red]",
]
HOSTILE_URLS = [
    "https://arxiv.org/abs/2301.00001",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/html,<script>x</script>",
    "https://example.com/\x1b[31mred",
    "https://example.com/ok",
]
HOSTILE_INTROS = [
    "intro [red]red[/] \x1b[31mansi\x1b[0m \x1b]8;;http://evil\x07here\x1b]8;;\x07 bare http://evil.example/\x1b[5m",
    "links [js](javascript:alert(1)) [f](file:///etc/passwd) [d](data:text/html,x) <a href=\"javascript:y\">a</a>",
    "bidi \u202e\u2067 and C1 \x9b\x9d\x90 and DEL \x7f",
    "[link=javascript:alert(1)]markup link[/link]",
    "",
    "plain",
]
HOSTILE_NOTES = [
    "note [bold]x[/] \x1b[31mred\x1b[0m \x1b]8;;http://evil\x07click\x1b]8;;\x07 \u202eevil\x07",
    "line one\nline two\r\n\tindented \x9b31m \x00 nul",
]
BAD_OUTPUT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def hostile_document() -> str:
    lines = ["# Hostile [bold]list[/] \x1b[31m", "", "1. # Sec [red]tion[/] \x1b[31mred\x1b[0m \u202e", "",
             "| **ID** | **Paper** | **Introduction** |", "| --- | --- | --- |"]
    for i, (title, url, intro) in enumerate(zip(HOSTILE_TITLES, HOSTILE_URLS, HOSTILE_INTROS, strict=True), 1):
        lines.append(f"| {i}✡✡ | [{title}]({url}) | {intro} |")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "hostile.db"
    doc = folder / "hostile.md"
    doc.write_text(hostile_document(), encoding="utf-8")
    env: dict[str, str | None] = {"LLMREADS_CONFIG": str(folder / "none.toml"), "LLMREADS_USER": "alice"}
    ok("--db", str(path), "import", str(doc), "--name", "hostile", env=env)
    for note in HOSTILE_NOTES:
        ok("--db", str(path), "note", "add", "Bold", note, env=env)
        ok("--db", str(path), "note", "add", "Esc", note, env=env)  # the javascript: paper
    ok("--db", str(path), "mark-read", "Bold", env=env)
    yield path


def hostile_ids(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT short_id FROM papers ORDER BY position")]
    finally:
        conn.close()


OUTPUT_MODES = {
    "terminal": {"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "80", "LLMREADS_COLOR": "0"},
    "terminal with colour": {"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "80", "LLMREADS_COLOR": "1"},
    "pipe": {"LLMREADS_FORCE_TERMINAL": "0", "COLUMNS": "80"},
}


@pytest.mark.parametrize("mode", list(OUTPUT_MODES))
def test_hostile_text_is_shown_literally_and_never_drives_the_terminal(hostile_db, tmp_path, mode):
    env: dict[str, str | None] = {**OUTPUT_MODES[mode], "LLMREADS_CONFIG": str(tmp_path / "none.toml"),
                                  "LLMREADS_USER": "alice"}
    db = ("--db", str(hostile_db))
    commands = [("list",), ("list", "--list", "hostile", "--sort", "title"), ("sections",), ("lists",),
                ("note", "list"), ("progress",), ("next",)]
    commands += [("show", ref) for ref in hostile_ids(hostile_db)]
    commands += [("search", word) for word in ("bold", "evil", "javascript", "red", "markup", "note", "\x1b[31m")]
    commands += [("note", "list", ref) for ref in hostile_ids(hostile_db)[:2]]
    outputs = {}
    for args in commands:
        result = run(*db, *args, env=env)
        assert result.exit_code == 0, (args, result.stderr)
        text = result.stdout + result.stderr
        if mode == "terminal with colour":
            text = SGR.sub("", text)  # Rich's own styles; nothing else may remain
        assert "\x1b" not in text, (args, text)
        assert not BAD_OUTPUT.findall(text), (args, BAD_OUTPUT.findall(text))
        outputs[args] = text
    # Markup is text: shown as written, not as bold, not as a link.
    assert "[bold]Bold[/]" in outputs[("list",)]
    shown = "\n".join(text for args, text in outputs.items() if args[0] == "show")
    for literal in ("[link=https://x]click[/link]", "[red]red[/]", "[link=javascript:alert(1)]markup link[/link]",
                    "javascript:alert(1)", "file:///etc/passwd", "[bold]x[/]"):
        assert literal in shown, literal


def test_hostile_text_round_trips_through_json(hostile_db, tmp_path):
    env: dict[str, str | None] = {"LLMREADS_CONFIG": str(tmp_path / "none.toml"), "LLMREADS_USER": "alice",
                                  "LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "80"}
    db = ("--db", str(hostile_db))
    notes = json.loads(ok(*db, "note", "list", "--json", env=env))
    assert sorted(str(n["text"]) for n in notes) == sorted(n.strip() for n in HOSTILE_NOTES * 2)
    for args in (("list", "--json"), ("search", "evil", "--json"), ("sections", "--json"), ("lists", "--json"),
                 ("progress", "--json")):
        json.loads(ok(*db, *args, env=env))
    urls = set()
    for ref in hostile_ids(hostile_db):
        detail = json.loads(ok(*db, "show", ref, "--json", env=env))
        urls |= {str(detail["url"])} | {link["url"] for link in detail["links"]}
    # Links with other schemes are kept, as text, to be shown literally.
    assert {"javascript:alert(1)", "file:///etc/passwd"} <= urls


def test_show_never_makes_a_clickable_link(hostile_db, tmp_path):
    env: dict[str, str | None] = {"LLMREADS_CONFIG": str(tmp_path / "none.toml"), "LLMREADS_USER": "alice",
                                  "LLMREADS_FORCE_TERMINAL": "1", "LLMREADS_COLOR": "1", "COLUMNS": "100"}
    for ref in hostile_ids(hostile_db):
        out = ok("--db", str(hostile_db), "show", ref, env=env)
        assert "\x1b]8;" not in out  # no OSC 8 hyperlink, for javascript:, file:, data: or any other URL


# ---------------------------------------------------------------- very long input


def test_a_megabyte_title_row_is_skipped_with_a_short_warning(tmp_path):
    db = ("--db", str(tmp_path / "long.db"))
    doc = tmp_path / "long.md"
    doc.write_text(
        "1. # Long\n\n| **ID** | **Paper** | **Introduction** |\n| --- | --- | --- |\n"
        f"| 1✡ | [{'很长的标题 long title ' * 60_000}](https://arxiv.org/abs/2301.00001) | intro |\n"
        "| 2✡ | [A normal paper](https://arxiv.org/abs/2301.00002) | intro |\n",
        encoding="utf-8",
    )
    assert doc.stat().st_size > 1_000_000
    result = run(*db, "import", str(doc), "--name", "long")
    assert result.exit_code == 0, result.stderr
    assert "1 distinct paper\n" in result.stdout
    assert all(len(line) < 300 for line in (result.stdout + result.stderr).splitlines())
    assert "row skipped" in result.stderr

    only = tmp_path / "only.md"
    only.write_text("| **Paper** |\n| --- |\n| " + "x" * 1_100_000 + " |\n", encoding="utf-8")
    line = assert_one_error(run(*db, "import", str(only), "--name", "only"))
    assert len(line) < 300 and line.startswith(f"Error: {only} holds no papers"), line


def test_a_megabyte_note_is_kept_whole_and_searchable():
    text = "长笔记 " + " ".join(f"word{i}" for i in range(102_000)) + " needleword"
    assert 1_000_000 < len(text.encode()) < 1_100_000
    result = run("note", "add", "lora", text)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout) < 300
    notes = json.loads(ok("note", "list", "--json"))
    assert [n["text"] for n in notes] == [text]
    assert [r["key"] for r in json.loads(ok("search", "needleword", "--json"))] == [LORA]
    shown = ok("show", "lora", env={"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "80"})
    assert "needleword" in shown


def test_a_five_megabyte_list_imports(tmp_path):
    path = tmp_path / "five.db"
    doc = tmp_path / "five.md"
    intro = "大模型 introduction text with several words " * 55
    rows = [f"| {k}✡ | [Title {k}](https://arxiv.org/abs/2301.{k:05d}) | {intro}{k} |" for k in range(2000)]
    doc.write_text("1. # Big\n\n| **ID** | **Paper** | **Introduction** |\n| --- | --- | --- |\n"
                   + "\n".join(rows) + "\n", encoding="utf-8")
    assert doc.stat().st_size > 5_000_000
    result = processes.run("import", str(doc), "--name", "five", "--json", env=subprocess_env(path), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["papers"] == 2000


# ---------------------------------------------------------------- arbitrary input

TRICKY = ['"', '""', "*", "NOT", "AND OR", "title:", "-", "(", ")", "^", "NEAR(a b)", ":", "'", "\\", "%", "_",
          "2106.09685", "arxiv:", "arXiv:2106.09685v9", "https://arxiv.org/abs/", "0", "1.", "2.4", "99.99",
          "[bold]", "\x1b[31m", "\u202e", "微调", "⼤模型", "a" * 3000, " ", ""]
ANY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(TRICKY),
    st.lists(st.sampled_from(TRICKY), min_size=1, max_size=4).map(" ".join),
)


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prop") / "prop.db"
    ok("--db", str(path), "note", "add", "lora", "a note to search", env={"LLMREADS_USER": "alice"})
    return path


def assert_result_or_one_error(result) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code in (0, 1), (result.exit_code, result.stdout[-500:], result.stderr[-500:])
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 1:
        assert_one_error(result)
    assert "Traceback" not in result.stderr


PROPERTY = settings(max_examples=examples(50), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(text=ANY_TEXT)
def test_any_reference_gives_a_paper_or_one_error(shared_db, text):
    assert_result_or_one_error(run("--db", str(shared_db), "show", "--", text))


@PROPERTY
@given(text=ANY_TEXT)
def test_any_section_gives_papers_or_one_error(shared_db, text):
    assert_result_or_one_error(run("--db", str(shared_db), "list", f"--section={text}", "--json"))


@PROPERTY
@given(text=ANY_TEXT, raw=st.booleans())
def test_any_search_gives_results_or_one_error(shared_db, text, raw):
    args = ["--db", str(shared_db), "search", *(["--raw"] if raw else []), "--json", "--", text]
    result = run(*args)
    if not text.strip():  # no words at all: a usage error naming the query
        assert result.exit_code == 2 and "QUERY" in result.stderr
        return
    assert_result_or_one_error(result)
    if result.exit_code == 0:
        json.loads(result.stdout)


@PROPERTY
@given(text=ANY_TEXT)
def test_any_note_text_is_kept_or_one_error(shared_db, text):
    result = run("--db", str(shared_db), "--user", "prop", "note", "add", "--", "lora", text)
    assert_result_or_one_error(result)
    if result.exit_code == 0:
        note_id = int(result.stdout.split()[2])
        conn = sqlite3.connect(shared_db)
        stored = conn.execute("SELECT text FROM notes WHERE id = ?", (note_id,)).fetchone()[0]
        conn.close()
        assert stored == text.strip()


def test_arguments_that_are_not_utf8_give_one_error(tmp_path):
    env = subprocess_env(tmp_path / "bytes.db")
    processes.run("list", "-n", "1", env=env)
    for args in (["show", "\udcff"], ["note", "add", "lora", "bad \udcff"], ["--user", "\udcff", "list"]):
        result = subprocess.run([sys.executable, "-m", "llmreads", *args], env=env, capture_output=True, timeout=60)
        assert result.returncode == 1 and b"Traceback" not in result.stderr, result.stderr[-300:]


CELL_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85"
                           "\u2028\u2029")
CELL = st.one_of(
    st.text(CELL_CHARS, max_size=25),
    st.lists(st.sampled_from(["中文", "模型", "微调", "[bold]", "[/]", "|", "\\|", "**", "*", "`", "<br>", "#",
                              "[x](y)", "✡", "⭐", "\x1b[31m", "\u202e", "LoRA", " "]), max_size=6).map("".join),
)
URL = st.one_of(
    st.integers(0, 99_999).map(lambda n: f"https://arxiv.org/abs/2301.{n:05d}"),
    st.sampled_from(["", "https://example.com/a", "https://example.com/a/", "javascript:x", "file:///x"]),
)
ROW = st.tuples(st.integers(0, 5), CELL, URL, CELL)
DOC = st.lists(st.tuples(CELL, st.lists(ROW, max_size=5)), min_size=1, max_size=4)


def render_document(sections: list[tuple[str, list[tuple[int, str, str, str]]]]) -> str:
    lines = ["# Generated list", ""]
    for number, (title, rows) in enumerate(sections, 1):
        lines += [f"{number}. # {title}", "", "| **ID** | **Paper** | **Introduction** |", "| --- | --- | --- |"]
        for n, (stars, paper, url, intro) in enumerate(rows, 1):
            cell = f"[{paper}]({url})" if url else paper
            lines.append(f"| {n}{'✡' * stars} | {cell} | {intro} |")
        lines.append("")
    return "\n".join(lines)


def papers_table(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return papers_ranked(conn)
    finally:
        conn.close()


@PROPERTY
@given(sections=DOC)
def test_importing_a_document_twice_changes_nothing(shared_db, tmp_path, sections):
    doc = tmp_path / "generated.md"
    text = render_document(sections)
    doc.write_text(text, encoding="utf-8")
    db = ("--db", str(shared_db))
    first = run(*db, "import", str(doc), "--name", "generated", "--json")
    assert_result_or_one_error(first)
    before = papers_table(shared_db)
    again = run(*db, "import", str(doc), "--name", "generated", "--json")
    assert again.exit_code == first.exit_code
    if first.exit_code == 1:
        assert again.stderr == first.stderr
        return
    report = json.loads(again.stdout)
    assert report["skipped"] and report["unchanged"] == report["papers"] == json.loads(first.stdout)["papers"]
    assert papers_table(shared_db) == before
    # The same content in a file that differs (one more newline) is compared, not skipped: still no change.
    doc.write_text(text + "\n", encoding="utf-8")
    third = json.loads(ok(*db, "import", str(doc), "--name", "generated", "--json"))
    assert not third["skipped"]
    changes = {key: third[key] for key in ("added", "removed", "moved", "rerated", "retitled", "updated")}
    assert changes == {key: [] for key in changes}
    assert third["unchanged"] == third["papers"]
    assert papers_table(shared_db) == before
