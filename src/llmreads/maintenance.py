"""Store layer, maintenance part: what a database file holds, and its backup and restore.

Every copy goes through SQLite's online backup API, never a file copy: a file
copied while another process writes can be torn, and a -wal file left beside a
replaced database would be replayed into the new one. Copies are written to a
hidden temporary file named after the process that writes it, so one left by
a process that was killed can be told from one still being written. Nothing
here prints.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from llmreads.db import (
    RESTORE_HINT,
    Inspection,
    check_file,
    connect,
    connect_readonly,
    inspect_file,
    integrity_problem,
    make_folder,
    open_db,
)
from llmreads.errors import DatabaseError, LlmreadsError, NotFound
from llmreads.migrations import INDEX_VERSION, NAMES

SIDE_FILES = ("-wal", "-shm", "-journal")
# Pages a restore writes a step (see _overwrite); the first step must leave the file as it was.
STEP_PAGES = 64

_COUNTS = {
    "lists": "SELECT count(*) FROM lists",
    "papers": "SELECT count(*) FROM papers",
    "users": "SELECT count(*) FROM (SELECT user FROM statuses UNION SELECT user FROM notes)",
    "notes": "SELECT count(*) FROM notes",
    "statuses": "SELECT count(*) FROM statuses",
}


# ---------------------------------------------------------------- status


@dataclass(frozen=True)
class SchemaSteps:
    applied: list[str]
    latest: str
    pending: list[str]  # steps this llmreads applies on next use
    unknown: list[str]  # steps a newer llmreads applied


@dataclass(frozen=True)
class IndexVersion:
    version: int  # what the full-text index was built with
    latest: int


@dataclass(frozen=True)
class DatabaseStatus:
    """What `db status` reports; a count is None when the table is missing or on a damaged page."""

    file: str
    size: int
    wal_size: int
    schema: SchemaSteps
    search_index: IndexVersion
    journal_mode: str
    quick_check: str  # "ok", or the first problem found
    lists: int | None
    papers: int | None
    users: int | None
    notes: int | None
    statuses: int | None


def status(path: Path) -> DatabaseStatus:
    """The file, its size, schema steps, journal mode, `PRAGMA quick_check` and row counts; the file is only read.

    Temporary copies that killed backups and restores left beside it are removed.
    """
    if not path.exists():
        raise NotFound(f"no database at {path} yet; the first command (such as `llmreads list`) creates it")
    inspection = inspect_file(path)
    remove_stale_temporaries(path.parent)
    conn = connect_readonly(path)
    try:
        problem = integrity_problem(conn)
        conn.execute("BEGIN")  # one snapshot for every count
        counts = {name: _count(conn, sql, damaged=problem is not None) for name, sql in _COUNTS.items()}
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot read database {path}: {exc}") from None
    finally:
        conn.close()
    return DatabaseStatus(
        file=str(path.absolute()),
        size=path.stat().st_size,
        wal_size=_size(_side(path, "-wal")),
        schema=SchemaSteps(
            applied=list(inspection.applied),
            latest=NAMES[-1],
            pending=list(inspection.pending),
            unknown=list(inspection.unknown),
        ),
        search_index=IndexVersion(version=inspection.index_version, latest=INDEX_VERSION),
        journal_mode=inspection.journal_mode,
        quick_check=problem or "ok",
        lists=counts["lists"], papers=counts["papers"], users=counts["users"], notes=counts["notes"],
        statuses=counts["statuses"],
    )


def _count(conn: sqlite3.Connection, sql: str, *, damaged: bool) -> int | None:
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return None  # a table this schema step does not have
    except sqlite3.DatabaseError:
        if damaged:
            return None  # on a damaged page; the check says so
        raise


# ---------------------------------------------------------------- backup


@dataclass(frozen=True)
class BackupReport:
    database: Path
    backup: Path
    size: int
    schema: tuple[str, ...]


class _DamagedCopy(DatabaseError):
    """A copy that fails `PRAGMA quick_check`: the database it was copied from is damaged."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def backup(path: Path, target: Path, *, force: bool = False) -> BackupReport:
    """Copy the database to `target`, consistent even while other processes write to it.

    The copy must pass `PRAGMA quick_check` before it takes `target`'s name,
    so a damaged database never replaces a good backup.
    """
    if not path.exists():
        raise NotFound(f"no database at {path} to back up")
    _check_target(target, force=force, database=path)  # before the database is so much as opened
    inspection = inspect_file(path)
    if not inspection.applied:
        raise DatabaseError(f"{path} holds no llmreads data yet; there is nothing to back up")
    for folder in dict.fromkeys((target.parent, path.parent)):
        remove_stale_temporaries(folder)
    unchanged = f"{target} is as it was" if target.exists() else f"{target} was not written"
    source = connect_readonly(path)
    try:
        with _explained(f"cannot back up {path} to {target}", unchanged) as left:
            try:
                copy_database(source, target, replace=force, left=left, verify=True)
            except _DamagedCopy as exc:
                raise DatabaseError(
                    f"{path} is damaged ({exc.problem}), so it was not backed up ({unchanged}); {RESTORE_HINT}"
                ) from None
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


def copy_database(
    source: sqlite3.Connection, target: Path, *, replace: bool, left: list[Path], verify: bool = False
) -> None:
    """Write a private (0600), self-contained copy of `source` to `target`, all or nothing.

    The copy is made in a temporary file beside `target` and renamed into place,
    so a crash never leaves half a backup under the backup's name. With
    `verify`, a copy that fails `PRAGMA quick_check` raises _DamagedCopy and
    `target` is left as it was. Files that could not be removed after a
    failure are added to `left`.
    """
    with _temporary_copy(source, target.parent, target.name, left, verify=verify) as temporary:
        if replace:
            os.replace(temporary, target)
        elif not _link_new(temporary, target):
            raise LlmreadsError(f"{target} exists; use --force to overwrite it")
    _sync_folder(target.parent)


@contextlib.contextmanager
def _temporary_copy(
    source: sqlite3.Connection, folder: Path, name: str, left: list[Path], *, verify: bool = False
) -> Iterator[Path]:
    """A copy of `source` in a new private file in `folder`; removed after the block, or named in `left`."""
    temporary = temporary_path(folder, name)
    files = [temporary, *(_side(temporary, suffix) for suffix in SIDE_FILES)]
    for stale in files:
        stale.unlink(missing_ok=True)  # left by a process of ours that had this pid before
    os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        os.chmod(temporary, 0o600)  # whatever the umask: backups hold personal notes
        dest = sqlite3.connect(temporary, isolation_level=None)
        try:
            # One step (pages=-1): the whole copy is read in a single snapshot.
            source.backup(dest, pages=-1)
            # The source is in WAL mode and the copy would say so too; a plain
            # rollback-journal file needs no -wal/-shm beside it to be complete.
            dest.execute("PRAGMA journal_mode = DELETE").fetchone()
            problem = integrity_problem(dest) if verify else None
        finally:
            dest.close()
        if problem is not None:
            raise _DamagedCopy(problem)
        _sync_file(temporary)
        yield temporary
    finally:
        left.extend(_remove(files))


def _link_new(temporary: Path, target: Path) -> bool:
    """Give `temporary` the name `target` unless that name is taken (then False): never an overwrite."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        # A file system without hard links: a rename, after one more look.
        if os.path.lexists(target):
            return False
        os.replace(temporary, target)
    return True


_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV}


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

    A sound database is copied aside and rewritten under one hold of its
    write lock (see _overwrite): every commit of another process is in the
    copy or comes after the restore. A damaged one is moved aside with its
    side files, and the backup renamed into its place.
    """
    if path.exists() and source.exists() and _same_file(path, source):
        raise LlmreadsError(f"{source} is the database itself; nothing to restore")
    inspection = check_backup(source)
    if path.is_dir():
        raise DatabaseError(f"database path {path} is a directory")
    if path.parent.is_dir():
        remove_stale_temporaries(path.parent)
    backup_conn = connect_readonly(source)
    try:
        with _explained(f"cannot restore {source} into {path}", "the database is as it was") as left:
            replaced = _restore(path, backup_conn, left)
    finally:
        backup_conn.close()
    # Bring an older backup's schema up to date now, not in the next command.
    open_db(path).close()
    return RestoreReport(path, source, replaced, inspection.applied)


def _restore(path: Path, backup_conn: sqlite3.Connection, left: list[Path]) -> Path | None:
    """Put the backup at `path`; where the database that was there is kept, if there was one."""
    sides = [suffix for suffix in SIDE_FILES if _side(path, suffix).exists()]
    if not path.exists() and not sides:
        make_folder(path.parent)  # private, when it is missing
        with _temporary_copy(backup_conn, path.parent, path.name, left) as temporary:
            placed = _link_new(temporary, path)
        if placed:
            _sync_folder(path.parent)
            return None
        # Another llmreads created the database meanwhile: it is kept aside like any other.
    if path.exists() and _sound(path):
        return _restore_in_place(path, backup_conn, left)
    # Damaged, or no database but the -wal of a deleted one: SQLite would
    # replay that log into the restored file, so it is moved aside.
    replaced = _aside_name(path)
    _restore_by_rename(path, backup_conn, replaced, left)
    return replaced


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


def _restore_in_place(path: Path, backup_conn: sqlite3.Connection, left: list[Path]) -> Path | None:
    live = connect(path)
    try:
        with _matching_pages(backup_conn, live, path.parent, left) as source:
            return _overwrite(source, live, path, left)
    finally:
        live.close()


def _overwrite(source: sqlite3.Connection, live: sqlite3.Connection, path: Path, left: list[Path]) -> Path | None:
    """Write `source` over the live database after copying it aside, with no commit of others in between.

    The backup API takes the live database's write lock in its first step
    and holds it until its last step commits. The copy aside is made after
    the first step, from another connection, which reads the last commit
    (the restore's pages are not committed yet). So a commit of another
    process (a note, a whole import) is either in that copy or waits for
    the lock and lands in the restored database. SQLite refuses to be the
    target of a backup inside a transaction, which rules out the simpler
    BEGIN IMMEDIATE, copy aside, overwrite on one connection.

    In WAL mode other connections may still read during the restore. In a
    rollback-journal mode the backup holds the exclusive lock, which keeps
    every other connection out, but also leaves the file as the last commit
    made it as long as no page has been written to it: one page a step stays
    in the page cache, and the copy aside reads the file without locking.
    """
    wal = str(live.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"
    source.execute("BEGIN")  # one snapshot of the backup for every step: its page count holds
    try:
        pages = int(source.execute("PRAGMA page_count").fetchone()[0])
        if pages < 2:  # every llmreads database has a dozen tables, a page each at least
            raise DatabaseError("the backup holds no tables")
        kept: list[Path | None] = []

        def set_aside(status: int, remaining: int, total: int) -> None:
            if kept:
                return
            if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                # The busy timeout has passed: the write lock was not obtained.
                raise DatabaseError(
                    f"cannot restore into {path}: another process kept it locked (writing); "
                    "nothing was changed, try again"
                )
            if status == sqlite3.SQLITE_OK:  # the write lock is ours until the last step
                kept.append(_set_aside(path, left, wal=wal))

        # Never all pages in one step: the copy aside must come between two steps.
        source.backup(live, pages=min(STEP_PAGES if wal else 1, pages - 1), progress=set_aside)
    finally:
        if source.in_transaction:
            source.execute("COMMIT")
    if not kept:  # cannot happen: the first step leaves at least one page for a second
        raise DatabaseError(f"{path} was restored, but its previous content could not be kept aside")
    return kept[0]


def _set_aside(path: Path, left: list[Path], *, wal: bool) -> Path | None:
    """Copy the live database to a new `<db>.replaced-<time>` file (None when it holds nothing)."""
    reader = connect(path) if wal else connect_readonly(path, immutable=True)
    try:
        if int(reader.execute("PRAGMA page_count").fetchone()[0]) == 0:
            return None  # an empty file: nothing to keep
        replaced = _aside_name(path)
        copy_database(reader, replaced, replace=False, left=left)
    finally:
        reader.close()
    left.append(replaced)  # named in the error if the restore then fails: it is a full copy
    return replaced


@contextlib.contextmanager
def _matching_pages(
    source: sqlite3.Connection, live: sqlite3.Connection, folder: Path, left: list[Path]
) -> Iterator[sqlite3.Connection]:
    """`source`, or a copy of it with the live database's page size.

    SQLite cannot back up into a WAL database whose page size differs
    (SQLITE_READONLY); VACUUM rewrites a copy with the right one.
    """
    wanted = int(live.execute("PRAGMA page_size").fetchone()[0])
    if int(source.execute("PRAGMA page_size").fetchone()[0]) == wanted:
        yield source
        return
    with _temporary_copy(source, folder, "restore", left) as temporary:
        staged = sqlite3.connect(temporary, isolation_level=None)
        try:
            staged.execute(f"PRAGMA page_size = {wanted}")
            staged.execute("VACUUM")
            yield staged
        finally:
            staged.close()


def _restore_by_rename(path: Path, backup_conn: sqlite3.Connection, replaced: Path, left: list[Path]) -> None:
    with _temporary_copy(backup_conn, path.parent, path.name, left) as temporary:
        # The damaged file's -wal (and -shm, and rollback journal) go with it:
        # left here, SQLite would replay that log into the restored file.
        moved: list[tuple[Path, Path]] = []
        try:
            for suffix in ("", *SIDE_FILES):
                here = _side(path, suffix)
                if here.exists():
                    os.rename(here, _side(replaced, suffix))
                    moved.append((here, _side(replaced, suffix)))
            os.replace(temporary, path)
        except BaseException:
            for here, there in reversed(moved):  # put them back
                try:
                    os.rename(there, here)
                except OSError:
                    left.append(there)
            raise
    _sync_folder(path.parent)


def _aside_name(path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.replaced-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.replaced-{stamp}-{n}")
    return candidate


# ---------------------------------------------------------------- failures


@contextlib.contextmanager
def _explained(action: str, unchanged: str) -> Iterator[list[Path]]:
    """One line for whatever fails in the block: what was not done, what is as it was, what is left.

    The block adds to the list it is given the files a failure leaves behind.
    A full disk (SQLITE_FULL, ENOSPC) is called that, whatever reported it.
    """
    left: list[Path] = []
    try:
        yield left
    except (OSError, sqlite3.Error, LlmreadsError) as exc:
        behind = f"; left behind: {', '.join(str(p) for p in left)}" if left else ""
        if _disk_full(exc):
            message = f"the disk is full: {action}; nothing was changed ({unchanged})"
        elif isinstance(exc, LlmreadsError):
            if not behind:
                raise
            message = str(exc)
        elif isinstance(exc, OSError):
            where = f" ({exc.filename})" if exc.filename else ""
            message = f"{action}: {exc.strerror or exc}{where}; nothing was changed ({unchanged})"
        else:
            message = f"{action}: {exc}; nothing was changed ({unchanged})"
        raise DatabaseError(message + behind) from None


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    return getattr(exc, "sqlite_errorname", None) == "SQLITE_FULL"


# ---------------------------------------------------------------- temporaries


# `.<name>.llmreads-<pid>-<host>.tmp`, and its -journal while SQLite writes it.
_TEMPORARY = re.compile(
    r"\.(?P<name>.+)\.llmreads-(?P<pid>[0-9]+)-(?P<host>[A-Za-z0-9_-]*)\.tmp(?P<side>-wal|-shm|-journal)?"
)
# `.<name>.<pid>.tmp`: how earlier versions of llmreads named them (no host).
_EARLIER_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)\.tmp(?P<side>-wal|-shm|-journal)?")


def temporary_path(folder: Path, name: str) -> Path:
    """A hidden name in `folder` for a copy being written, naming the process and machine writing it."""
    return folder / f".{name}.llmreads-{os.getpid()}-{_host()}.tmp"


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary copies that backups and restores killed midway left in `folder`.

    Each is a whole database, everyone's notes included. Only those written
    by a process of this machine that no longer runs are removed; one that
    cannot be removed (another user's) stays. Returns what was removed.
    """
    try:
        names = [name for name in os.listdir(folder) if name.startswith(".") and ".tmp" in name]
    except OSError:
        return []
    host, removed = _host(), []
    for name in names:
        match = _TEMPORARY.fullmatch(name)
        if match is not None:
            if match["host"] != host:
                continue  # a process on another machine sharing this folder
        else:
            match = _EARLIER_TEMPORARY.fullmatch(name)
            if match is None or not (match["side"] or _is_sqlite(folder / name)):
                continue  # some other program's temporary file
        if _running(int(match["pid"])):
            continue
        try:
            (folder / name).unlink()
        except OSError:
            continue
        removed.append(folder / name)
    return removed


def _host() -> str:
    import socket

    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:64]


def _running(pid: int) -> bool:
    if os.name == "nt" or pid <= 0 or pid == os.getpid():
        return True  # on Windows os.kill(pid, 0) would end the process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # alive but another user's (EPERM), or not a process id at all: leave it
    return True


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _remove(paths: list[Path]) -> list[Path]:
    """Remove `paths` where they exist; those that could not be removed."""
    left = []
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            left.append(path)
    return left


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
