"""The db commands: path, status, backup and restore, on real database files."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import FIXTURES, pragma, settle, snapshot, user_data
from llmreads.migrations import INDEX_VERSION, NAMES
from llmreads.sqlite_uri import readonly_uri

LORA = "arxiv:2106.09685"
ATTENTION = "arxiv:1706.03762"


@pytest.fixture(autouse=True)
def _no_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LLMREADS_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return Path(os.environ["LLMREADS_DB"])


@pytest.fixture
def ready(cli: Callable[..., object], seeded: Path, prepared: Callable[[str, Callable[[], object]], Path]) -> Path:
    """A database with the bundled list, statuses of alice and bob, and notes."""

    def build() -> None:
        for args in (
            ("mark-read", "2106.09685", "1706.03762"),
            ("mark-reading", "2005.14165"),
            ("note", "add", "2106.09685", "低秩分解 ΔW = BA"),
            ("--user", "bob", "mark-read", "2203.02155"),
            ("--user", "bob", "note", "add", "2203.02155", "InstructGPT: SFT, RM, PPO"),
        ):
            result = cli(*args)
            assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]

    return prepared("db_commands.ready", build)  # settled: every connection closed, the -wal checkpointed


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def state_of(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def make_other_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO customers (name) VALUES ('x')")
    conn.commit()
    conn.close()


# ---------------------------------------------------------------- db path


def test_db_path_prints_the_path_and_creates_nothing(cli, tmp_path):
    target = tmp_path / "not" / "yet" / "here.db"
    result = cli("--db", str(target), "db", "path")
    assert result.exit_code == 0
    assert result.stdout == f"{target}\n"
    assert not target.parent.parent.exists()


def test_db_path_follows_the_environment_and_the_default(cli, tmp_path, monkeypatch):
    assert cli("db", "path").stdout.strip() == os.environ["LLMREADS_DB"]
    monkeypatch.delenv("LLMREADS_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    shown = Path(cli("db", "path").stdout.strip())
    assert shown.name == "llmreads.db" and shown.is_absolute()
    assert not (tmp_path / "xdg").exists()


# ---------------------------------------------------------------- db status


def test_status_of_a_missing_database_is_one_error_and_creates_nothing(cli, one_error, db):
    line = one_error(cli("db", "status"))
    assert str(db) in line and "no database" in line
    assert not db.exists()


def test_status_reports_file_schema_and_counts(cli, ready):
    result = cli("db", "status", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["file"] == str(ready)
    assert data["size"] == ready.stat().st_size > 0
    assert data["schema"] == {"applied": list(NAMES), "latest": NAMES[-1], "pending": [], "unknown": []}
    assert data["journal_mode"] == "wal"
    assert (data["lists"], data["papers"], data["users"], data["notes"], data["statuses"]) == (1, 118, 2, 2, 4)
    text = cli("db", "status").stdout
    assert f"file      {ready}" in text
    assert "up to date" in text and "journal   wal" in text and "statuses  4" in text


@pytest.mark.parametrize(
    "parts",
    [
        # `?` starts an SQLite URI's query, `#` its fragment, `%` an escape.
        ("odd #1 ?mode=rw %41 b", "reads #2 ?x %2e.db"),
        ("//", "double slash.db"),  # a path that starts with // is no URI authority
    ],
)
def test_a_database_whose_path_holds_uri_characters_is_read_and_inspected(cli, tmp_path, monkeypatch, parts):
    if parts[0] == "//":
        path = Path("//" + str(tmp_path).lstrip("/")) / parts[1]
    else:
        path = tmp_path.joinpath(*parts)
    monkeypatch.setenv("LLMREADS_DB", str(path))
    assert cli("mark-read", "2106.09685").exit_code == 0  # made here, then opened again below
    listed = cli("list", "--status", "read", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert [paper["key"] for paper in json.loads(listed.stdout)] == [LORA]
    status = cli("db", "status", "--json")  # reads the file through a read-only connection only
    assert status.exit_code == 0, status.stderr
    data = json.loads(status.stdout)
    assert (data["file"], data["statuses"], data["schema"]["pending"]) == (str(path), 1, [])
    assert sorted(p.name for p in tmp_path.rglob("*.db")) == [parts[1]]  # no file at a misread path


def test_the_readonly_uri_opens_that_very_file_and_only_for_reading(tmp_path):
    path = tmp_path / os.fsdecode(b"caf\xe9 #1 ?x %41.db")  # a file name that is not UTF-8, too
    make_other_sqlite(path)
    conn = sqlite3.connect(readonly_uri(path), uri=True)
    try:
        assert conn.execute("SELECT name FROM customers").fetchall() == [("x",)]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("INSERT INTO customers (name) VALUES ('y')")
    finally:
        conn.close()
    assert os.listdir(tmp_path) == [path.name]


def test_status_of_an_old_database_shows_pending_steps_and_writes_nothing(cli, tmp_path):
    path = tmp_path / "v1.db"
    path.write_bytes((FIXTURES / "schema-v1.db").read_bytes())
    before = state_of(path)
    data = json.loads(cli("--db", str(path), "db", "status", "--json").stdout)
    assert data["schema"]["applied"] == ["m001_initial"]
    assert data["schema"]["pending"] == list(NAMES[1:])
    assert (data["users"], data["notes"], data["statuses"]) == (2, 3, 4)
    text = cli("--db", str(path), "db", "status").stdout
    (schema,) = [line for line in text.splitlines() if line.startswith("schema")]
    assert schema == (f"schema    m001_initial / latest {NAMES[-1]}: older; {', '.join(NAMES[1:])} will be applied"
                      " on next use")
    assert data["search_index"] == {"version": 0, "latest": INDEX_VERSION}
    (index,) = [line for line in text.splitlines() if line.startswith("index")]
    assert index == f"index     search index version 0 / latest {INDEX_VERSION}: rebuilt on next use"
    assert state_of(path) == before
    cli("--db", str(path), "list")
    after = json.loads(cli("--db", str(path), "db", "status", "--json").stdout)
    assert after["search_index"]["version"] == INDEX_VERSION


def test_status_of_a_newer_database_names_the_unknown_step_and_writes_nothing(cli, ready):
    conn = sqlite3.connect(ready)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('llmreads', 'm999_x', '')")
    conn.commit()
    conn.close()
    before = state_of(ready)
    result = cli("db", "status", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["schema"]["unknown"] == ["m999_x"]
    assert "newer llmreads" in cli("db", "status").stdout
    assert state_of(ready) == before


def test_status_of_a_file_that_is_not_ours_is_one_error(cli, one_error, tmp_path):
    other = tmp_path / "other.db"
    make_other_sqlite(other)
    assert "not an llmreads" in one_error(cli("--db", str(other), "db", "status"))


# ---------------------------------------------------------------- db backup


def test_backup_is_a_private_self_contained_copy(cli, ready, tmp_path):
    target = tmp_path / "backups" / "copy.db"
    target.parent.mkdir()
    result = cli("db", "backup", str(target))
    assert result.exit_code == 0, result.stderr
    assert str(target) in result.stdout
    assert mode(target) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.db"]  # no temporary or side file left
    assert pragma(target, "journal_mode") == "delete"
    assert pragma(target, "integrity_check") == "ok"
    assert user_data(target) == user_data(ready)
    assert snapshot(target) == snapshot(ready)


def test_backup_refuses_to_overwrite_without_force(cli, one_error, ready, tmp_path):
    target = tmp_path / "copy.db"
    target.write_text("precious")
    assert "--force" in one_error(cli("db", "backup", str(target)))
    assert target.read_text() == "precious"
    assert cli("db", "backup", "--force", str(target)).exit_code == 0
    assert user_data(target) == user_data(ready)
    assert mode(target) == 0o600


@pytest.mark.parametrize("where", ["directory", "missing folder", "itself"])
def test_backup_refuses_a_bad_target(cli, one_error, ready, tmp_path, where):
    target = {"directory": tmp_path, "missing folder": tmp_path / "no" / "copy.db", "itself": ready}[where]
    before = snapshot(ready)
    named = {"directory": f"{tmp_path} is a directory", "missing folder": f"folder {tmp_path / 'no'} does not exist",
             "itself": f"{ready} is the database"}[where]
    assert named in one_error(cli("db", "backup", "--force", str(target)))
    assert snapshot(ready) == before


def test_backup_of_a_missing_database_is_one_error(cli, one_error, db, tmp_path):
    assert "no database" in one_error(cli("db", "backup", str(tmp_path / "copy.db")))
    assert not db.exists() and not (tmp_path / "copy.db").exists()


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from llmreads.db import open_db
    from llmreads.store.notes import add_note
    from llmreads.store.papers import list_papers, resolve_ref

    conn = open_db(Path(sys.argv[1]))
    ids = [row.id for row in list_papers(conn, "writer")]
    print("ready", flush=True)
    n = 0
    end = time.monotonic() + float(sys.argv[2])
    while time.monotonic() < end:
        pid = resolve_ref(conn, ids[n % len(ids)])
        add_note(conn, "writer", pid, f"note {n}")
        n += 1
    print(n)
    """
)


def test_backup_while_another_process_writes_is_consistent(cli, ready, tmp_path):
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(ready), "2.0"], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "ready"
    counts = []
    for i in range(4):
        time.sleep(0.2)
        target = tmp_path / f"copy{i}.db"
        result = cli("db", "backup", str(target))
        assert result.exit_code == 0, result.stderr
        assert pragma(target, "integrity_check") == "ok"
        conn = sqlite3.connect(target)
        numbers = sorted(int(text.split()[1]) for (text,) in conn.execute(
            "SELECT text FROM notes WHERE user = 'writer'"
        ))
        # A snapshot: the notes written so far, each with its index row, none half-written.
        assert numbers == list(range(len(numbers)))
        assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == conn.execute(
            "SELECT count(*) FROM notes_fts"
        ).fetchone()[0]
        conn.close()
        counts.append(len(numbers))
    written = int(writer.communicate(timeout=30)[0].strip())
    assert writer.returncode == 0
    assert counts == sorted(counts) and counts[-1] > 0 and written >= counts[-1]


# ---------------------------------------------------------------- db restore


def test_restore_brings_back_the_backup_and_keeps_the_replaced_database(cli, ready, tmp_path):
    backup = tmp_path / "copy.db"
    assert cli("db", "backup", str(backup)).exit_code == 0
    saved = snapshot(ready)
    cli("mark-unread", "2106.09685")
    cli("note", "add", "1706.03762", "written after the backup")
    changed = user_data(ready)
    assert changed != user_data(backup)

    result = cli("db", "restore", str(backup))
    assert result.exit_code == 0, result.stderr
    assert snapshot(ready) == saved
    aside = [p for p in ready.parent.iterdir() if p.name.startswith(ready.name + ".replaced-")]
    assert len(aside) == 1 and str(aside[0]) in result.stdout
    assert user_data(aside[0]) == changed
    assert mode(aside[0]) == 0o600 and mode(ready) == 0o600
    assert pragma(ready, "integrity_check") == "ok"
    listed = json.loads(cli("list", "--status", "read", "--json").stdout)
    assert {row["key"] for row in listed} == {LORA, ATTENTION}


def test_restore_of_the_first_schema_upgrades_it(cli, ready, tmp_path):
    result = cli("db", "restore", str(FIXTURES / "schema-v1.db"))
    assert result.exit_code == 0, result.stderr
    assert json.loads(cli("db", "status", "--json").stdout)["schema"]["pending"] == []
    statuses, notes = user_data(ready)
    assert ("bob", "arxiv:2203.02155", "read") in statuses and len(notes) == 3


def test_restore_into_a_new_location_creates_a_private_file(cli, ready, tmp_path):
    backup = tmp_path / "copy.db"
    cli("db", "backup", str(backup))
    fresh = tmp_path / "new" / "place.db"
    result = cli("--db", str(fresh), "db", "restore", str(backup))
    assert result.exit_code == 0, result.stderr
    assert "kept at" not in result.stdout
    assert user_data(fresh) == user_data(ready)
    assert mode(fresh) == 0o600 and mode(fresh.parent) == 0o700


def _newer(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('llmreads', 'm999_x', '')")
    conn.commit()
    conn.close()


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[3 * 4096 : 3 * 4096 + 300] = b"\xa5" * 300
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "does not exist"),
        ("directory", "directory"),
        ("empty", "empty"),
        ("text", "not an SQLite database"),
        ("other sqlite", "not an llmreads"),
        ("foreign migrations", "not an llmreads"),
        ("newer", "newer llmreads"),
        ("truncated", "damaged"),
        ("corrupt", "damaged"),
        ("itself", "database itself"),
    ],
)
def test_restore_refuses_what_is_not_a_sound_llmreads_backup(cli, one_error, ready, tmp_path, kind, message):
    source = tmp_path / "source.db"
    if kind == "directory":
        source.mkdir()
    elif kind == "empty":
        source.write_bytes(b"")
    elif kind == "text":
        source.write_text("SQLite format 2, honestly\n" * 10)
    elif kind == "other sqlite":
        make_other_sqlite(source)
    elif kind == "foreign migrations":
        conn = sqlite3.connect(source)
        conn.execute("CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set, name, applied_at)")
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('other', 'm1', '')")
        conn.commit()
        conn.close()
    elif kind in ("newer", "truncated", "corrupt"):
        assert cli("db", "backup", str(source)).exit_code == 0
        if kind == "newer":
            _newer(source)
        elif kind == "truncated":
            source.write_bytes(source.read_bytes()[:20000])
        else:
            _corrupt(source)
    elif kind == "itself":
        source = ready
    before = snapshot(ready)
    settle(ready)
    files = sorted(p.name for p in ready.parent.iterdir())
    line = one_error(cli("db", "restore", str(source)))
    gc.collect()
    assert message in line
    if kind != "missing":
        assert str(source) in line
    assert snapshot(ready) == before
    assert sorted(p.name for p in ready.parent.iterdir()) == files  # nothing kept aside, nothing left over


def test_restore_while_another_process_holds_the_wal_open(cli, ready, tmp_path):
    backup = tmp_path / "copy.db"
    cli("db", "backup", str(backup))
    expected = user_data(backup)
    # Another process has written (not checkpointed: it is still open) and keeps reading.
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(
            """
            import sqlite3, sys
            conn = sqlite3.connect(sys.argv[1], isolation_level=None)
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            for i in range(300):
                conn.execute("INSERT INTO notes (user, paper_key, text, created_at, updated_at)"
                             " VALUES ('holder', 'k', ?, '', '')", (f"unsaved {i}" * 50,))
            print("written", flush=True)
            sys.stdin.readline()
            print(conn.execute("SELECT count(*) FROM notes WHERE user = 'holder'").fetchone()[0], flush=True)
            conn.close()
            """
        ), str(ready)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline().strip() == "written"
    assert Path(str(ready) + "-wal").stat().st_size > 100_000
    result = cli("db", "restore", str(backup))
    assert result.exit_code == 0, result.stderr
    out, _ = holder.communicate("go\n", timeout=30)
    assert out.strip() == "0"  # the other process sees the restored database, not a mix
    assert pragma(ready, "integrity_check") == "ok"
    assert user_data(ready) == expected
    aside = next(p for p in ready.parent.iterdir() if ".replaced-" in p.name)
    conn = sqlite3.connect(aside)
    assert conn.execute("SELECT count(*) FROM notes WHERE user = 'holder'").fetchone()[0] == 300
    conn.close()


def test_restore_replaces_a_damaged_database_and_its_wal(cli, ready, tmp_path):
    backup = tmp_path / "copy.db"
    cli("db", "backup", str(backup))
    _corrupt(ready)
    Path(str(ready) + "-wal").write_bytes(b"\x37\x7f\x06\x82" + b"\x00" * 4000)  # a log that is not for the backup
    result = cli("db", "restore", str(backup))
    assert result.exit_code == 0, result.stderr
    assert pragma(ready, "integrity_check") == "ok"
    assert user_data(ready) == user_data(backup)
    aside = sorted(p.name for p in ready.parent.iterdir() if ".replaced-" in p.name)
    assert aside[0].startswith("llmreads.db.replaced-") and aside[0] + "-wal" in aside  # kept together


def test_restore_moves_a_stale_wal_of_a_deleted_database_aside(cli, ready, tmp_path):
    backup = tmp_path / "copy.db"
    cli("db", "backup", str(backup))
    # A process writes with checkpoints off and dies: its -wal holds committed frames.
    code = (
        "import sqlite3, os, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
        "c.execute('PRAGMA wal_autocheckpoint = 0');"
        "[c.execute('DELETE FROM notes') for _ in range(3)];"
        "c.execute(\"UPDATE statuses SET status = 'unread'\"); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, str(ready)], check=True)
    assert Path(str(ready) + "-wal").stat().st_size > 0
    ready.unlink()
    result = cli("db", "restore", str(backup))
    assert result.exit_code == 0, result.stderr
    assert user_data(ready) == user_data(backup)  # the stale log was not replayed into it
    assert pragma(ready, "integrity_check") == "ok"


def test_restore_of_a_backup_with_another_page_size(cli, ready, tmp_path):
    backup = tmp_path / "copy.db"
    cli("db", "backup", str(backup))
    conn = sqlite3.connect(backup, isolation_level=None)
    conn.execute("PRAGMA page_size = 8192")
    conn.execute("VACUUM")
    conn.close()
    assert pragma(backup, "page_size") == "8192"
    expected = user_data(backup)
    cli("note", "add", "lora", "after")
    result = cli("db", "restore", str(backup))
    assert result.exit_code == 0, result.stderr
    assert user_data(ready) == expected
    assert pragma(ready, "integrity_check") == "ok"
