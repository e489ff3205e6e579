"""What the db commands do when things go wrong: writers during a restore, damaged pages, crashes, a full disk."""

from __future__ import annotations

import gc
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import settle, snapshot

LORA = "arxiv:2106.09685"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return Path(os.environ["LLMREADS_DB"])


@pytest.fixture
def ready(cli: Callable[..., object], db: Path) -> Path:
    """A database with the bundled list, a status and a note."""
    for args in (("mark-read", "2106.09685"), ("note", "add", "2106.09685", "rank decomposition")):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    settle(db)
    return db


def notes_in(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT text FROM notes")}
    finally:
        conn.close()


def set_aside(db: Path) -> list[Path]:
    return sorted(
        p for p in db.parent.iterdir()
        if p.name.startswith(db.name + ".replaced-") and not p.name.endswith(("-wal", "-shm", "-journal"))
    )


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def add_note_now(db: Path, text: str, timeout: float = 0.0) -> bool:
    """Add a note through the store on a connection of its own; True when the commit was acknowledged."""
    from llmreads import db as dbmod
    from llmreads import store

    conn = dbmod.open_db(db)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        store.add_note(conn, "alice", store.resolve_ref(conn, "2106.09685"), text)
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        conn.close()


# ---------------------------------------------------------------- a full disk


@pytest.fixture
def full_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection llmreads opens can grow by no page: SQLite answers SQLITE_FULL, as on a full disk."""
    from llmreads import db as dbmod

    connect = dbmod.connect

    def no_room(path: Path) -> sqlite3.Connection:
        conn = connect(path)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return conn

    monkeypatch.setattr(dbmod, "connect", no_room)


@pytest.mark.parametrize("what", ["note", "import"])
def test_a_full_disk_is_named_and_nothing_is_changed(cli, one_error, ready, tmp_path, full_database, what):
    from conftest import SEED_PATH

    before = snapshot(ready)
    if what == "note":
        result = cli("note", "add", "lora", "a long note " * 20_000)
    else:
        result = cli("import", str(SEED_PATH), "--name", "again")
    line = one_error(result)
    assert "disk" in line and "full" in line and "nothing was changed" in line and str(ready) in line
    assert "rollback" not in line
    gc.collect()
    assert snapshot(ready) == before
