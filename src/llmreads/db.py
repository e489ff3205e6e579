"""Store layer, connection part: open a database file safely and bring its schema up to date.

A file that is already there is looked at through a read-only connection
first, so nothing is ever written to a file that turns out not to be an
llmreads database, to be damaged, or to come from a newer llmreads.
Reads go through the standard sqlite3 module; sqlite-utils is imported only
when a migration is actually pending, which keeps every ordinary start fast.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from llmreads.errors import DatabaseError
from llmreads.migrations import INDEX_VERSION, MIGRATION_SET, NAMES
from llmreads.sqlite_uri import readonly_uri

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100
BUSY_TIMEOUT_MS = 10_000
WRITE_WAIT_S = 300.0  # how long a write waits for another process's (an import of a huge list)
WAIT_NOTICE_MS = 1_000  # a write that has waited this long says so
MIGRATIONS_TABLE = "_sqlite_migrations"
RESTORE_HINT = "restore a backup with `llmreads db restore FILE`"


class Inspection(NamedTuple):
    """What a look at a database file found, before anything is written to it."""

    applied: tuple[str, ...]  # llmreads migrations, in the order they were applied
    journal_mode: str
    index_version: int = INDEX_VERSION  # what the full-text index was built with (PRAGMA user_version)

    @property
    def unknown(self) -> tuple[str, ...]:
        """Applied steps this llmreads does not know: the file comes from a newer one."""
        return tuple(name for name in self.applied if name not in NAMES)

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(name for name in NAMES if name not in self.applied)


def open_db(path: Path) -> Connection:
    """Open (creating if needed) an llmreads database and migrate it; refuse anything else."""
    check_file(path)
    checked = True
    if path.exists() and path.stat().st_size > 0:
        checked = _inspect_before_writing(path)
    else:
        create_file(path)
    conn = connect(path)
    try:
        _migrate(conn, path, checked)
        _use_wal(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise DatabaseError(f"cannot use database {path}: {exc}") from None
    except BaseException:
        conn.close()
        raise
    return conn


class Connection(sqlite3.Connection):
    """An sqlite3 connection that knows what to say while a write waits for another process."""

    on_wait: Callable[[], None] | None = None  # called once when begin_write has waited WAIT_NOTICE_MS


def begin_write(conn: sqlite3.Connection, wait_s: float | None = None) -> None:
    """BEGIN IMMEDIATE, waiting up to `wait_s` for another process's write (an import) to end.

    The ordinary busy timeout (10 s) suits reads; a write that finds an
    import running waits for it instead of failing, and says so (through
    the connection's on_wait) after WAIT_NOTICE_MS.
    """
    if wait_s is None:
        wait_s = WRITE_WAIT_S
    try:
        conn.execute(f"PRAGMA busy_timeout = {WAIT_NOTICE_MS}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        on_wait = getattr(conn, "on_wait", None)
        if on_wait is not None:
            on_wait()
        conn.execute(f"PRAGMA busy_timeout = {max(int(wait_s * 1000) - WAIT_NOTICE_MS, 0)}")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
            file = conn.execute("PRAGMA database_list").fetchone()[2]
            raise DatabaseError(
                f"{file} is still being written by another llmreads process after {wait_s:.0f} s; "
                "try again once it has finished"
            ) from None
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _busy(exc: sqlite3.OperationalError) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_BUSY") or "database is locked" in str(exc)


def connect(path: Path) -> Connection:
    """A read-write connection with the settings every llmreads connection has."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, factory=Connection)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # In WAL mode NORMAL never corrupts the file, and a crashed or killed
    # process loses nothing; only a power cut can lose the last commits.
    # It spares an fsync on every mark-read (about 10 ms).
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def connect_readonly(path: Path, *, immutable: bool = False) -> sqlite3.Connection:
    """A connection that cannot change the file: no recovery, no checkpoint on close.

    `immutable` also takes no lock and ignores any journal: only for a file
    that cannot change meanwhile, because this process holds its exclusive lock.
    """
    uri = readonly_uri(path, immutable=immutable)
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def create_file(path: Path) -> None:
    """Create an empty database file readable by its owner only, in a private folder if we make it."""
    try:
        make_folder(path.parent)
        # Notes are personal: the file is private from the start, never chmod-ed later.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:  # a read-only folder, a parent that is a file, a file system that refuses
        raise DatabaseError(f"cannot create database {path}: {exc.strerror or exc}") from None


def make_folder(folder: Path) -> None:
    """Make the database's folder, private (0700), unless it is there already."""
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass  # another llmreads made it a moment ago
        else:
            os.chmod(folder, 0o700)


def check_file(path: Path) -> None:
    """Refuse what is plainly not a usable SQLite file, from its header alone."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # a new database (create_file says why, if it cannot be made)
    except OSError as exc:
        raise DatabaseError(f"cannot read database {path}: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise DatabaseError(f"database path {path} is a directory")
    if not stat.S_ISREG(mode):
        # Opening a FIFO waits for a writer forever; a device is no place for a database.
        raise DatabaseError(f"database path {path} is not a regular file ({_file_kind(mode)})")
    try:
        with path.open("rb") as handle:
            head = handle.read(HEADER_SIZE)
        size = path.stat().st_size
    except OSError as exc:
        raise DatabaseError(f"cannot read database {path}: {exc.strerror}") from None
    if not head:
        return  # an empty file is an empty database
    if head[: len(SQLITE_MAGIC)] != SQLITE_MAGIC:
        raise DatabaseError(f"{path} is not an SQLite database")
    if len(head) < HEADER_SIZE:
        raise DatabaseError(f"{path} is damaged: only {size} bytes, less than an SQLite header; {RESTORE_HINT}")
    expected = _size_from_header(head)
    if expected is not None and size < expected and not _recovery_pending(path):
        # SQLite would read the missing pages as zeros and fail later, mid-command.
        raise DatabaseError(
            f"{path} is damaged: {size} bytes, but its header says {expected} (truncated?); {RESTORE_HINT}"
        )


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a file")


def _size_from_header(head: bytes) -> int | None:
    """The database size the header states, when the header vouches for it (see the file format)."""
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    change_counter, valid_for = head[24:28], head[92:96]
    if pages == 0 or change_counter != valid_for or page_size < 512:
        return None
    return pages * page_size


def _recovery_pending(path: Path) -> bool:
    """A -wal with frames or a rollback journal: the file alone may legitimately be short."""
    # A checkpoint cut short leaves pages past the end of the file in the -wal;
    # a transaction cut short in rollback mode leaves them in the -journal.
    for suffix, empty in (("-wal", 32), ("-journal", 0)):
        try:
            if path.with_name(path.name + suffix).stat().st_size > empty:
                return True
        except OSError:
            pass
    return False


def inspect_file(path: Path) -> Inspection:
    """Look at an existing file without writing to it; refuse a damaged or foreign one.

    A file written by a newer llmreads is *not* refused here (see Inspection.unknown):
    its caller decides.
    """
    check_file(path)
    if not path.exists():
        raise DatabaseError(f"{path} does not exist")
    try:
        conn = connect_readonly(path)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot read database {path}: {exc}") from None
    try:
        return _inspect(conn, path)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot use database {path}: {exc}") from None
    finally:
        conn.close()


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back what is left of a failed transaction, never hiding the error that failed it.

    After some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite has
    already rolled the transaction back, and a second ROLLBACK would raise
    "cannot rollback - no transaction is active" in place of the real cause.
    """
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the error being handled says more; closing the connection rolls back


def integrity_problem(conn: sqlite3.Connection, quick: bool = True) -> str | None:
    """The first problem `PRAGMA quick_check` (or the full integrity_check) finds, else None."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        first = conn.execute(f"PRAGMA {pragma}(1)").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    if first == "ok":
        return None
    # "*** in database main ***\nPage 15: btreeInitPage() returns error code 11" -> one line
    lines = [line.strip() for line in str(first).splitlines() if line.strip() and not line.startswith("***")]
    return "; ".join(lines) or str(first)


def _inspect_before_writing(path: Path) -> bool:
    """Refuse a file that is not ours, newer or damaged, reading only; False when that cannot be done."""
    try:
        conn = connect_readonly(path)
    except sqlite3.Error:
        return False  # cannot even read it that way; the read-write checks decide
    try:
        try:
            inspection = _inspect(conn, path)
        except sqlite3.OperationalError as exc:
            if _needs_write_access(exc):
                return False  # a hot journal to roll back, or a -shm we may not create
            raise DatabaseError(f"cannot use database {path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"cannot use database {path}: {exc}") from None
        _refuse_newer(inspection, path)
        _check_before_first_write(conn, inspection, path)
        return True
    finally:
        conn.close()


def _check_before_first_write(conn: sqlite3.Connection, inspection: Inspection, path: Path) -> None:
    # This version is about to write to an existing file for the first time
    # (an upgrade, or the switch to WAL): make sure it is sound first.
    if inspection.applied and (inspection.pending or inspection.journal_mode != "wal"):
        problem = integrity_problem(conn)
        if problem is not None:
            raise DatabaseError(f"{path} is damaged ({problem}); {RESTORE_HINT}")


def _needs_write_access(exc: sqlite3.OperationalError) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN"))


def _refuse_newer(inspection: Inspection, path: Path) -> None:
    if inspection.unknown:
        raise DatabaseError(
            f"{path} was written by a newer llmreads (schema step {inspection.unknown[-1]}); "
            "upgrade llmreads to use it"
        )


def applied_migrations(conn: sqlite3.Connection) -> list[str] | None:
    """Names of the applied llmreads migrations; None when there is no migrations table."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
    ).fetchone()
    if not exists:
        return None
    rows = conn.execute(
        f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid", (MIGRATION_SET,)
    )
    return [row[0] for row in rows]


def _inspect(conn: sqlite3.Connection, path: Path) -> Inspection:
    """The file's llmreads migrations, read in one snapshot; refuses a file that is not ours."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")  # one snapshot: another process may be creating the schema right now
    try:
        applied = applied_migrations(conn)
        if not applied:
            # No llmreads step: only an empty file is ours to set up. A table of
            # any other kind, or another tool's sqlite-utils migrations, is not.
            foreign = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE tbl_name != ?", (MIGRATIONS_TABLE,)
            ).fetchone()[0]
            if not foreign and applied is not None:
                foreign = conn.execute(f"SELECT count(*) FROM {MIGRATIONS_TABLE}").fetchone()[0]
            if foreign:
                raise DatabaseError(f"{path} is an SQLite database but not an llmreads one")
        journal_mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        index_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        if own and conn.in_transaction:
            conn.execute("COMMIT")
    return Inspection(tuple(applied or ()), journal_mode, index_version)


def _migrate(conn: sqlite3.Connection, path: Path, checked: bool) -> None:
    inspection = _inspect(conn, path)
    _refuse_newer(inspection, path)
    if not checked:
        _check_before_first_write(conn, inspection, path)
    if not inspection.pending and inspection.index_version == INDEX_VERSION:
        return
    # Take the write lock first, so two processes opening a new database at
    # once cannot both apply the same step; the loser then finds nothing pending.
    conn.execute("BEGIN IMMEDIATE")
    try:
        inspection = _inspect(conn, path)
        _refuse_newer(inspection, path)
        if not inspection.applied and _create_schema(conn):
            inspection = _inspect(conn, path)
        if inspection.pending:
            from sqlite_utils import Database

            from llmreads.migrations import migrations

            migrations().apply(Database(conn))
        if inspection.index_version != INDEX_VERSION:
            from llmreads.store.index import rebuild

            rebuild(conn)
            conn.execute(f"PRAGMA user_version = {INDEX_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def _create_schema(conn: sqlite3.Connection) -> bool:
    """Make an empty file's schema at once, as every step of migrations.py would make it (schema.py), and record
    those steps as applied; False, and nothing done, when the file holds anything.

    Importing sqlite-utils and running the steps one by one cost ~0.14 s of CPU in-process. Steps newer
    than schema.py (it is regenerated by scripts/schema.py) are then applied as to any older file.
    """
    from datetime import UTC, datetime

    from llmreads import schema

    if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] or schema.STEPS != NAMES[:len(schema.STEPS)]:
        return False
    for sql in schema.STATEMENTS:
        conn.execute(sql)
    for table, row in schema.ROWS:
        conn.execute(f'INSERT INTO "{table}" VALUES ({", ".join("?" for _ in row)})', row)
    stamp = str(datetime.now(UTC))  # as sqlite-utils records a step
    conn.executemany(
        f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [(MIGRATION_SET, name, stamp) for name in schema.STEPS],
    )
    conn.execute(f"PRAGMA user_version = {schema.INDEX_VERSION}")
    return True


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL (readers never block the writer), waiting out other processes.

    Changing the journal mode needs the file to itself and SQLite does not wait
    for that with the busy timeout; several processes starting on a new
    database at once would see "database is locked" without this loop.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.002
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode == "wal":
                return
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return  # a file system without WAL support keeps the old mode, which still works
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
