"""Store layer, connection part: open a database file safely and bring its schema up to date.

Reads go through the standard sqlite3 module; sqlite-utils is imported only
when a migration is actually pending, which keeps every ordinary start fast.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from llmreads.errors import DatabaseError
from llmreads.migrations import MIGRATION_SET, NAMES

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


def open_db(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) an llmreads database and migrate it; refuse anything else."""
    _check_file(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Created by us so it is private from the start: notes are personal.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, path)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot use database {path}: {exc}") from None
    return conn


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise DatabaseError(f"database path {path} is a directory")
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseError(f"cannot read database {path}: {exc.strerror}") from None
    if head and head != SQLITE_MAGIC:
        raise DatabaseError(f"{path} is not an SQLite database")


def applied_migrations(conn: sqlite3.Connection) -> list[str] | None:
    """Names of the applied llmreads migrations; None when there is no migrations table."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone()
    if not exists:
        return None
    rows = conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", (MIGRATION_SET,)
    )
    return [row[0] for row in rows]


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    applied = applied_migrations(conn)
    if not applied:
        # No llmreads step yet: only an empty file (or a bare migrations
        # table) may become an llmreads database; anything else is another app's.
        tables = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name != '_sqlite_migrations'"
        ).fetchone()[0]
        if tables:
            raise DatabaseError(f"{path} is an SQLite database but not an llmreads one")
    else:
        unknown = [name for name in applied if name not in NAMES]
        if unknown:
            raise DatabaseError(
                f"{path} was written by a newer llmreads (schema step {unknown[-1]}); upgrade llmreads to use it"
            )
        if len(applied) == len(NAMES):
            return
    from sqlite_utils import Database

    from llmreads.migrations import migrations

    # Take the write lock first, so two processes opening a new database at
    # once cannot both apply the same step; the loser then finds nothing pending.
    conn.execute("BEGIN IMMEDIATE")
    try:
        migrations().apply(Database(conn))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
