"""The write lock: an import holds it only to write, and a short write that finds it taken waits.

Where processes meet, the tests run the real CLI as subprocesses; nothing here
asserts on time (a timeout only guards the test run).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import user_data
from llmreads.db import begin_write, open_db
from llmreads.errors import DatabaseError

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


def seeded(tmp_path: Path) -> Path:
    db = tmp_path / "locks.db"
    done = subprocess.run([sys.executable, "-m", "llmreads", "list", "--limit", "1"], env=env_for(db),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return db


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


# ---------------------------------------------------------------- writes that find the lock taken


def test_a_short_write_waits_for_the_write_lock_and_says_so_once(tmp_path):
    db = seeded(tmp_path)
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
