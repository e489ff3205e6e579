"""Store layer, maintenance part: what a database file holds, and its backup and restore.

Every copy goes through SQLite's online backup API, never a file copy: a file
copied while another process writes can be torn, and a -wal file left beside a
replaced database would be replayed into the new one. Nothing here prints.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from llmreads.db import (
    Inspection,
    check_file,
    connect,
    connect_readonly,
    create_file,
    inspect_file,
    integrity_problem,
    open_db,
)
from llmreads.errors import DatabaseError, LlmreadsError, NotFound
from llmreads.migrations import NAMES

SIDE_FILES = ("-wal", "-shm", "-journal")

_COUNTS = {
    "lists": "SELECT count(*) FROM lists",
    "papers": "SELECT count(*) FROM papers",
    "users": "SELECT count(*) FROM (SELECT user FROM statuses UNION SELECT user FROM notes)",
    "notes": "SELECT count(*) FROM notes",
    "statuses": "SELECT count(*) FROM statuses",
}


# ---------------------------------------------------------------- status


def status(path: Path) -> dict[str, object]:
    """The file, its size, schema steps, journal mode and row counts, read without writing."""
    if not path.exists():
        raise NotFound(f"no database at {path} yet; the first command (such as `llmreads list`) creates it")
    inspection = inspect_file(path)
    conn = connect_readonly(path)
    try:
        conn.execute("BEGIN")  # one snapshot for every count
        counts = {name: _count(conn, sql) for name, sql in _COUNTS.items()}
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot read database {path}: {exc}") from None
    finally:
        conn.close()
    return {
        "file": str(path.absolute()),
        "size": path.stat().st_size,
        "wal_size": _size(_side(path, "-wal")),
        "schema": {
            "applied": list(inspection.applied),
            "latest": NAMES[-1],
            "pending": list(inspection.pending),
            "unknown": list(inspection.unknown),
        },
        "journal_mode": inspection.journal_mode,
        **counts,
    }


def _count(conn: sqlite3.Connection, sql: str) -> int | None:
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return None  # a table this schema step does not have


# ---------------------------------------------------------------- backup


@dataclass(frozen=True)
class BackupReport:
    database: Path
    backup: Path
    size: int
    schema: tuple[str, ...]


def backup(path: Path, target: Path, *, force: bool = False) -> BackupReport:
    """Copy the database to `target`, consistent even while other processes write to it."""
    if not path.exists():
        raise NotFound(f"no database at {path} to back up")
    _check_target(target, force=force, database=path)  # before the database is so much as opened
    inspection = inspect_file(path)
    if not inspection.applied:
        raise DatabaseError(f"{path} holds no llmreads data yet; there is nothing to back up")
    source = connect_readonly(path)
    try:
        copy_database(source, target, replace=force)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot back up {path}: {exc}") from None
    finally:
        source.close()
    return BackupReport(path, target, target.stat().st_size, inspection.applied)


def _check_target(target: Path, *, force: bool, database: Path) -> None:
    if target.is_dir():
        raise LlmreadsError(f"{target} is a directory; name the backup file, such as {target / 'llmreads.db'}")
    if not target.parent.is_dir():
        raise NotFound(f"folder {target.parent} does not exist")
    role = database_file(target, database)
    if role is not None:
        raise LlmreadsError(f"{target} is {role} ({database}); choose another file")
    if target.exists():
        if not target.is_file():
            raise LlmreadsError(f"{target} is not a regular file; a backup must be one that `db restore` can read")
        if not force:
            raise LlmreadsError(f"{target} exists; use --force to overwrite it")


def copy_database(source: sqlite3.Connection, target: Path, *, replace: bool) -> None:
    """Write a private (0600), self-contained copy of `source` to `target`, all or nothing.

    The copy is made in a temporary file beside `target` and renamed into place,
    so a crash never leaves half a backup under the backup's name.
    """
    with _temporary_copy(source, target.parent, target.name) as temporary:
        if replace:
            os.replace(temporary, target)
        else:
            _place_new(temporary, target)
    _sync_folder(target.parent)


@contextlib.contextmanager
def _temporary_copy(source: sqlite3.Connection, folder: Path, name: str) -> Iterator[Path]:
    """A copy of `source` in a new private file in `folder`; removed if the block fails."""
    temporary = folder / f".{name}.{os.getpid()}.tmp"
    for stale in (temporary, *(_side(temporary, suffix) for suffix in SIDE_FILES)):
        stale.unlink(missing_ok=True)  # left by a copy of ours that was killed
    fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(temporary, 0o600)  # whatever the umask: backups hold personal notes
    try:
        dest = sqlite3.connect(temporary, isolation_level=None)
        try:
            # One step (pages=-1): the whole copy is read in a single snapshot.
            source.backup(dest, pages=-1)
            # The source is in WAL mode and the copy would say so too; a plain
            # rollback-journal file needs no -wal/-shm beside it to be complete.
            dest.execute("PRAGMA journal_mode = DELETE").fetchone()
        finally:
            dest.close()
        _sync_file(temporary)
        yield temporary
    finally:
        for leftover in (temporary, *(_side(temporary, suffix) for suffix in SIDE_FILES)):
            leftover.unlink(missing_ok=True)


def _place_new(temporary: Path, target: Path) -> None:
    """Move `temporary` to `target`, failing if `target` appeared meanwhile (no overwrite)."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise LlmreadsError(f"{target} exists; use --force to overwrite it") from None
    except OSError:
        # A file system without hard links: a rename, after one more look.
        if target.exists():
            raise LlmreadsError(f"{target} exists; use --force to overwrite it") from None
        os.replace(temporary, target)


# ---------------------------------------------------------------- restore


@dataclass(frozen=True)
class RestoreReport:
    database: Path
    backup: Path
    replaced: Path | None  # where the database that was there before is kept
    schema: tuple[str, ...]


def check_backup(source: Path) -> Inspection:
    """Make sure `source` is a sound llmreads database this version can use, without writing to it."""
    if not source.exists():
        raise NotFound(f"{source} does not exist")
    if source.is_dir():
        raise LlmreadsError(f"{source} is a directory, not a database file")
    if source.stat().st_size == 0:
        raise DatabaseError(f"{source} is empty, not an llmreads database")
    inspection = inspect_file(source)
    if not inspection.applied:
        raise DatabaseError(f"{source} is not an llmreads database (it has no llmreads schema)")
    if inspection.unknown:
        raise DatabaseError(
            f"{source} was written by a newer llmreads (schema step {inspection.unknown[-1]}); "
            "upgrade llmreads to restore it"
        )
    conn = connect_readonly(source)
    try:
        problem = integrity_problem(conn, quick=False)
    finally:
        conn.close()
    if problem is not None:
        raise DatabaseError(f"{source} is damaged ({problem}); it cannot be restored")
    return inspection


def restore(path: Path, source: Path) -> RestoreReport:
    """Replace the database at `path` with the backup `source`, keeping the replaced one aside.

    A sound database is rewritten through the backup API, as one write
    transaction: other processes using it see the old content or the new,
    and its -wal and -shm stay consistent. A damaged one is moved aside with
    its side files, and the backup renamed into its place.
    """
    if path.exists() and source.exists() and _same_file(path, source):
        raise LlmreadsError(f"{source} is the database itself; nothing to restore")
    inspection = check_backup(source)
    if path.is_dir():
        raise DatabaseError(f"database path {path} is a directory")
    replaced: Path | None = None
    sides = [suffix for suffix in SIDE_FILES if _side(path, suffix).exists()]
    backup_conn = connect_readonly(source)
    try:
        if path.exists() and (path.stat().st_size > 0 or sides):
            replaced = _aside_name(path)
            if _sound(path):
                _restore_in_place(path, backup_conn, replaced)
            else:
                _restore_by_rename(path, backup_conn, replaced)
        elif sides:
            # No database, but a -wal of one that was deleted: SQLite would
            # replay it into the restored file, so it is moved aside.
            replaced = _aside_name(path)
            _restore_by_rename(path, backup_conn, replaced)
        else:
            create_file(path)  # in a private folder when the folder is missing
            with _temporary_copy(backup_conn, path.parent, path.name) as temporary:
                os.replace(temporary, path)
            _sync_folder(path.parent)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot restore {source} into {path}: {exc}") from None
    finally:
        backup_conn.close()
    # Bring an older backup's schema up to date now, not in the next command.
    open_db(path).close()
    return RestoreReport(path, source, replaced, inspection.applied)


def _sound(path: Path) -> bool:
    """An SQLite file we can read in full, ours or not: it can be replaced in place."""
    try:
        check_file(path)
        conn = connect_readonly(path)
    except (LlmreadsError, sqlite3.Error):
        return False
    try:
        return integrity_problem(conn) is None
    finally:
        conn.close()


def _restore_in_place(path: Path, backup_conn: sqlite3.Connection, replaced: Path) -> None:
    live = connect(path)
    try:
        copy_database(live, replaced, replace=False)
        with _matching_pages(backup_conn, live, path.parent) as source:
            # The whole database in one step, under the write lock (busy timeout applies).
            source.backup(live, pages=-1)
    finally:
        live.close()


@contextlib.contextmanager
def _matching_pages(
    source: sqlite3.Connection, live: sqlite3.Connection, folder: Path
) -> Iterator[sqlite3.Connection]:
    """`source`, or a copy of it with the live database's page size.

    SQLite cannot back up into a WAL database whose page size differs
    (SQLITE_READONLY); VACUUM rewrites a copy with the right one.
    """
    wanted = int(live.execute("PRAGMA page_size").fetchone()[0])
    if int(source.execute("PRAGMA page_size").fetchone()[0]) == wanted:
        yield source
        return
    with _temporary_copy(source, folder, "restore") as temporary:
        staged = sqlite3.connect(temporary, isolation_level=None)
        try:
            staged.execute(f"PRAGMA page_size = {wanted}")
            staged.execute("VACUUM")
            yield staged
        finally:
            staged.close()


def _restore_by_rename(path: Path, backup_conn: sqlite3.Connection, replaced: Path) -> None:
    with _temporary_copy(backup_conn, path.parent, path.name) as temporary:
        # The damaged file's -wal (and -shm, and rollback journal) go with it:
        # left here, SQLite would replay that log into the restored file.
        if path.exists():
            os.rename(path, replaced)
        for suffix in SIDE_FILES:
            side = _side(path, suffix)
            if side.exists():
                os.rename(side, _side(replaced, suffix))
        os.replace(temporary, path)
    _sync_folder(path.parent)


def _aside_name(path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.replaced-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.replaced-{stamp}-{n}")
    return candidate


# ---------------------------------------------------------------- files


def _side(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def database_file(target: Path, database: Path) -> str | None:
    """Which of the database's files `target` is (the database itself, its -wal, -shm or -journal), else None.

    Writing over any of them loses data, so every command that writes a file
    the user names asks first. Paths are compared resolved, which sees through
    symlinks and relative paths even to a side file that does not exist yet;
    files that exist are compared by identity too (hard links).
    """
    real_target = os.path.realpath(target)
    for base in (database, Path(os.path.realpath(database))):
        for suffix in ("", *SIDE_FILES):
            candidate = _side(base, suffix)
            if os.path.realpath(candidate) == real_target or _same_file(target, candidate):
                return f"the database's {suffix} file" if suffix else "the database"
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    # A rename is durable only once its folder is synced; not every platform allows it.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
