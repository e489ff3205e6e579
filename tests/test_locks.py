"""The write lock: an import holds it only to write, and a short write that finds it taken waits.

Where processes meet, the tests run the real CLI as subprocesses; nothing here
asserts on time (a timeout only guards the test run).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import copy_database, user_data
from llmreads.db import begin_write, open_db
from llmreads.errors import DatabaseError, ImportFailed
from llmreads.parse import iter_document
from llmreads.store.importer import import_document
from llmreads.store.papers import count_papers, list_papers

NOTICE = "llmreads: waiting for another llmreads process to finish writing (an import, most likely)..."


def synthetic_list(papers: int, title: str = "Synthetic") -> str:
    lines = [f"# {title}", ""]
    for start in range(0, papers, 500):
        section = start // 500 + 1
        lines += [f"{section}. # Section {section} 第{section}部分", "",
                  "| **ID** | **Paper** | **Introduction** |", "| --- | --- | --- |"]
        lines += [f"| {n - start + 1}✡ | [Synthetic paper {n}](https://example.org/p/{n}) | 简介 {n} |"
                  for n in range(start, min(start + 500, papers))]
        lines.append("")
    return "\n".join(lines)


def env_for(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")}
    env.update(LLMREADS_DB=str(db), LLMREADS_USER="alice", LLMREADS_CONFIG=str(db.parent / "no-config.toml"))
    return env


def llmreads(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "llmreads", *args], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def seeded(tmp_path: Path, seeded_template: Path) -> Path:
    """A database holding the bundled list as a first use leaves it: a copy of conftest's template."""
    return copy_database(seeded_template, tmp_path / "locks.db")


def write_lock_free(db: Path) -> bool:
    probe = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


# ---------------------------------------------------------------- the import


def test_an_import_parses_before_it_takes_the_write_lock(tmp_path):
    db = tmp_path / "parse.db"
    conn = open_db(db)
    text = synthetic_list(3000)
    free_while_parsing: list[bool] = []

    def lines() -> Iterator[str]:
        for number, line in enumerate(text.split("\n")):
            if number % 500 == 250:  # the parser is reading the document: may another process write?
                free_while_parsing.append(write_lock_free(db))
            yield line

    report = import_document(conn, iter_document(lines()), name=None, source="synthetic.md", sha256="1" * 64)
    assert free_while_parsing == [True] * 6
    assert (report.list_name, report.papers, report.entries, report.sections) == ("Synthetic", 3000, 3000, 6)
    assert [row.title for row in list_papers(conn, "alice", limit=2)] == [
        "Synthetic paper 0", "Synthetic paper 1"
    ]
    # The staged events are gone with the import.
    assert conn.execute("SELECT count(*) FROM temp.sqlite_master WHERE name = 'staged_events'").fetchone()[0] == 0
    conn.close()


def test_an_unchanged_list_is_not_parsed_again(tmp_path):
    conn = open_db(tmp_path / "same.db")
    text = synthetic_list(1200)
    import_document(conn, iter_document(text), name=None, source="s.md", sha256="2" * 64)
    taken = 0

    def counted() -> Iterator[object]:
        nonlocal taken
        for event in iter_document(text):
            taken += 1
            yield event

    report = import_document(conn, counted(), name=None, source="s.md", sha256="2" * 64)  # type: ignore[arg-type]
    assert report.skipped and report.papers == 1200
    assert taken == 1  # the title, which names the list
    conn.close()


def test_a_staged_import_that_fails_leaves_the_list_and_no_staged_events(tmp_path):
    conn = open_db(tmp_path / "strict.db")
    import_document(conn, iter_document(synthetic_list(600)), name="x", source="a.md", sha256="3" * 64)
    broken = synthetic_list(600).replace("| 7✡ | [Synthetic paper 6](https://example.org/p/6) | 简介 6 |", "| 7 | | |")
    with pytest.raises(ImportFailed, match="--strict"):
        import_document(conn, iter_document(broken), name="x", source="b.md", sha256="4" * 64, strict=True)
    assert count_papers(conn, "alice") == 600
    assert conn.execute("SELECT count(*) FROM temp.sqlite_master WHERE name = 'staged_events'").fetchone()[0] == 0
    conn.close()


# ---------------------------------------------------------------- writes that find the lock taken


def test_a_short_write_waits_for_the_write_lock_and_says_so_once(tmp_path, seeded_template):
    db = seeded(tmp_path, seeded_template)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as an import writing its list
    try:
        mark = llmreads("mark-read", "2106.09685", env=env_for(db))
        assert mark.stderr is not None
        notice = mark.stderr.readline()  # blocks until the mark has waited a second
        assert mark.poll() is None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    out, err = mark.communicate(timeout=120)
    assert mark.returncode == 0, err
    assert notice.rstrip("\n") == NOTICE
    assert err == ""  # said once
    assert "LORA: LOW-RANK" in out
    statuses, _ = user_data(db)
    assert ("alice", "arxiv:2106.09685", "read") in statuses


def test_a_write_gives_up_after_its_wait_with_one_error_naming_the_file(tmp_path):
    db = tmp_path / "held.db"
    conn = open_db(db)
    said: list[str] = []
    conn.on_wait = lambda: said.append("waiting")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseError) as raised:
            begin_write(conn, wait_s=1.5)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(raised.value) == (
        f"{db} is still being written by another llmreads process after 2 s; try again once it has finished"
    )
    assert said == ["waiting"]
    begin_write(conn)  # free again: no wait, no word
    conn.execute("ROLLBACK")
    assert said == ["waiting"]
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    conn.close()


def test_writes_during_an_import_wait_for_it_and_succeed(tmp_path, seeded_template):
    db = seeded(tmp_path, seeded_template)
    big = tmp_path / "big.md"
    big.write_text(synthetic_list(30_000, "Big"), encoding="utf-8")
    env = env_for(db)
    importing = llmreads("import", str(big), env=env)
    deadline = time.monotonic() + 300
    while importing.poll() is None and write_lock_free(db) and time.monotonic() < deadline:
        time.sleep(0.005)  # until the import writes (or has ended)
    writes = [
        llmreads("mark-read", "2106.09685", env=env),
        llmreads("note", "add", "2106.09685", "written during an import", env=env),
        llmreads("--user", "bob", "mark-reading", "1706.03762", env=env),
    ]
    results = [(proc.communicate(timeout=600), proc.returncode) for proc in writes]
    imported = importing.communicate(timeout=600)
    assert importing.returncode == 0, imported[1]
    for (_out, err), code in results:
        assert code == 0, err
        assert "locked" not in err and "Traceback" not in err
        assert err in ("", NOTICE + "\n")
    statuses, notes = user_data(db)
    assert ("alice", "arxiv:2106.09685", "read") in statuses
    assert ("bob", "arxiv:1706.03762", "reading") in statuses
    assert notes == [("alice", "arxiv:2106.09685", "written during an import")]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM lists").fetchone()[0] == 2
    conn.close()



def test_an_import_longer_than_the_events_held_spills_the_rest_and_gives_the_same_list(tmp_path, monkeypatch):
    """Past `_Staged.HELD` events, staged batches go to a TEMP table: the list is the same as when all are held."""
    from llmreads.store import importer

    text = synthetic_list(3000)
    held = open_db(tmp_path / "held.db")
    import_document(held, iter_document(text), name=None, source="s.md", sha256="5" * 64)
    monkeypatch.setattr(importer._Staged, "HELD", 1000)
    spilled = open_db(tmp_path / "spilled.db")
    statements: list[str] = []
    spilled.set_trace_callback(statements.append)
    report = import_document(spilled, iter_document(text), name=None, source="s.md", sha256="5" * 64)
    spilled.set_trace_callback(None)
    # The title, 6 sections and 3000 entries: four batches of 1000 events, the first one held.
    assert sum("INSERT INTO temp.staged_events" in s for s in statements) == 3
    assert (report.papers, report.entries, report.sections) == (3000, 3000, 6)
    query = "SELECT p.key, p.title, e.position FROM entries e JOIN papers p ON p.id = e.paper_id ORDER BY e.id"
    assert spilled.execute(query).fetchall() == held.execute(query).fetchall()
    assert spilled.execute("SELECT count(*) FROM temp.sqlite_master WHERE name = 'staged_events'").fetchone()[0] == 0
    held.close()
    spilled.close()
