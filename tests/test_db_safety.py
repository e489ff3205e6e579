"""What the db commands do when things go wrong: writers during a restore, damaged pages, crashes, a full disk."""

from __future__ import annotations

import errno
import gc
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import settle, snapshot, user_data

LORA = "arxiv:2106.09685"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return Path(os.environ["LLMREADS_DB"])


@pytest.fixture
def ready(cli: Callable[..., object], seeded: Path, prepared: Callable[[str, Callable[[], object]], Path]) -> Path:
    """A database with the bundled list, a status and a note."""

    def build() -> None:
        for args in (("mark-read", "2106.09685"), ("note", "add", "2106.09685", "rank decomposition")):
            result = cli(*args)
            assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]

    return prepared("db_safety.ready", build)  # settled: every connection closed, the -wal checkpointed


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
    from llmreads import errors
    from llmreads.store.notes import add_note
    from llmreads.store.papers import resolve_ref

    conn = dbmod.open_db(db)
    waited = dbmod.WRITE_WAIT_S
    dbmod.WRITE_WAIT_S = timeout  # a write waits this long for another's lock, then gives up
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        add_note(conn, "alice", resolve_ref(conn, "2106.09685"), text)
        return True
    except (sqlite3.OperationalError, errors.DatabaseError) as exc:
        assert "locked" in str(exc) or "still being written" in str(exc)
        return False
    finally:
        dbmod.WRITE_WAIT_S = waited
        conn.close()


# ---------------------------------------------------------------- restore while others write


def test_a_note_committed_while_the_database_is_set_aside_is_not_lost(cli, ready, tmp_path, monkeypatch):
    from llmreads import maintenance

    backup = tmp_path / "copy.db"
    assert cli("db", "backup", str(backup)).exit_code == 0
    acknowledged: dict[str, bool] = {}
    copy = maintenance.copy_database

    def copy_then_write(source: sqlite3.Connection, target: Path, **kwargs: object) -> None:
        copy(source, target, **kwargs)  # type: ignore[arg-type]
        if ".replaced-" in target.name:
            # Another process adds a note just after the database was copied aside.
            acknowledged["in the window"] = add_note_now(ready, "written in the window")

    monkeypatch.setattr(maintenance, "copy_database", copy_then_write)
    result = cli("db", "restore", str(backup))
    assert result.exit_code == 0, result.stderr
    assert acknowledged, "the database was not copied aside"
    assert add_note_now(ready, "written after the restore")
    gc.collect()
    (aside,) = set_aside(ready)
    kept = notes_in(aside) | notes_in(ready)
    if acknowledged["in the window"]:
        assert "written in the window" in kept, "an acknowledged note is in neither file"
    # Setting aside and restoring are one step for writers: the write lock is held throughout.
    assert acknowledged["in the window"] is False
    assert "written after the restore" in notes_in(ready)
    assert notes_in(aside) == notes_in(backup)


def test_an_import_that_holds_the_write_lock_when_a_restore_starts_lands_whole_in_one_file(
    cli, ready, tmp_path, monkeypatch
):
    from llmreads import maintenance

    backup = tmp_path / "copy.db"
    assert cli("db", "backup", str(backup)).exit_code == 0
    # An import in progress: the write lock is taken and part of the list is written.
    importer = sqlite3.connect(ready, isolation_level=None, check_same_thread=False)
    importer.execute("BEGIN IMMEDIATE")
    importer.execute(
        "INSERT INTO lists (name, title, source, source_sha256, imported_at) VALUES ('big', 'Big', 's', 'x', '')"
    )
    restore_started = threading.Event()
    connect = maintenance.connect

    def noticed(path: Path) -> sqlite3.Connection:
        restore_started.set()
        return connect(path)

    def finish_import() -> None:
        restore_started.wait(30)
        time.sleep(0.3)  # the restore is now waiting for the write lock
        importer.execute("INSERT INTO lists (name, title, source, source_sha256, imported_at)"
                         " VALUES ('big, part 2', 'Big', 's', 'x', '')")
        importer.execute("COMMIT")

    monkeypatch.setattr(maintenance, "connect", noticed)
    thread = threading.Thread(target=finish_import)
    thread.start()
    try:
        result = cli("db", "restore", str(backup))
    finally:
        thread.join(30)
        importer.close()
    assert result.exit_code == 0, result.stderr
    (aside,) = set_aside(ready)
    conn = sqlite3.connect(aside)
    names = {row[0] for row in conn.execute("SELECT name FROM lists")}
    conn.close()
    assert {"big", "big, part 2"} <= names  # committed before the restore took the lock: kept aside, whole
    assert snapshot(ready) == snapshot(backup)


def test_a_restore_holds_the_write_lock_while_it_copies_the_database_aside(cli, ready, tmp_path, monkeypatch):
    from llmreads import maintenance

    backup = tmp_path / "copy.db"
    assert cli("db", "backup", str(backup)).exit_code == 0
    assert cli("note", "add", "lora", "after the backup").exit_code == 0
    seen: list[str] = []
    copy = maintenance.copy_database

    def copy_and_look(source: sqlite3.Connection, target: Path, **kwargs: object) -> None:
        if ".replaced-" in target.name:
            other = sqlite3.connect(ready, isolation_level=None, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                seen.append("write lock free")
                other.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                seen.append(str(exc))
            finally:
                other.close()
        copy(source, target, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(maintenance, "copy_database", copy_and_look)
    assert cli("db", "restore", str(backup)).exit_code == 0
    assert seen == ["database is locked"]
    (aside,) = set_aside(ready)
    assert "after the backup" in notes_in(aside)
    assert "after the backup" not in notes_in(ready)


def test_a_database_in_rollback_journal_mode_is_set_aside_and_restored_too(cli, ready, tmp_path):
    backup = tmp_path / "copy.db"
    assert cli("db", "backup", str(backup)).exit_code == 0
    assert cli("note", "add", "lora", "after the backup").exit_code == 0
    gc.collect()
    conn = sqlite3.connect(ready)
    assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    conn.close()
    result = cli("db", "restore", str(backup))
    assert result.exit_code == 0, result.stderr
    (aside,) = set_aside(ready)
    assert "after the backup" in notes_in(aside)
    assert user_data(ready) == user_data(backup)


def test_a_restore_that_cannot_get_the_write_lock_changes_nothing(cli, one_error, ready, tmp_path, monkeypatch):
    from llmreads import db as dbmod

    backup = tmp_path / "copy.db"
    assert cli("db", "backup", str(backup)).exit_code == 0
    assert cli("note", "add", "lora", "after the backup").exit_code == 0
    settle(ready)
    before = snapshot(ready)
    files = sorted(p.name for p in ready.parent.iterdir())
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(ready, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    # Another connection holds the write lock until the restore has given up, however long it waits.
    try:
        result = cli("db", "restore", str(backup))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    line = one_error(result)
    gc.collect()
    assert "locked" in line and str(ready) in line and "nothing was changed" in line
    assert snapshot(ready) == before
    assert sorted(p.name for p in ready.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        f for f in files if not f.endswith(("-wal", "-shm"))
    ]


def test_a_restore_into_a_new_location_never_replaces_a_database_made_meanwhile(cli, ready, tmp_path, monkeypatch):
    backup = tmp_path / "copy.db"
    assert cli("db", "backup", str(backup)).exit_code == 0
    fresh = tmp_path / "new" / "place.db"
    env = {**os.environ, "LLMREADS_DB": str(fresh)}
    made: list[str] = []

    def meanwhile(move: Callable[..., None]) -> Callable[..., None]:
        def move_after_another_llmreads(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
            if Path(dst) == fresh and not made:
                # Another llmreads creates the database and adds a note just before the copy is put there.
                done = subprocess.run([sys.executable, "-m", "llmreads", "note", "add", "lora", "made meanwhile"],
                                      env=env, capture_output=True, text=True)
                made.append(done.stderr)
            return move(src, dst, *args, **kwargs)

        return move_after_another_llmreads

    monkeypatch.setattr(os, "replace", meanwhile(os.replace))
    monkeypatch.setattr(os, "link", meanwhile(os.link))
    result = cli("--db", str(fresh), "db", "restore", str(backup))
    monkeypatch.undo()
    assert made, "the restore put no file in place"
    assert result.exit_code == 0, result.stderr
    gc.collect()
    (aside,) = set_aside(fresh)
    assert "made meanwhile" in notes_in(aside)
    assert user_data(fresh) == user_data(backup)


# ---------------------------------------------------------------- damaged pages


def damaged_copy(source: Path, target: Path) -> str:
    """A copy of `source` with garbage over a table page in the middle of the file (the header intact)."""
    conn = sqlite3.connect(source)
    conn.execute(f"VACUUM INTO '{target}'")
    conn.close()
    conn = sqlite3.connect(target)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    leaves = conn.execute("SELECT pageno FROM dbstat WHERE name = 'papers' AND pagetype = 'leaf'")
    pages = sorted(row[0] for row in leaves)
    conn.close()
    page = pages[len(pages) // 2]
    assert page > 1
    data = bytearray(target.read_bytes())
    data[(page - 1) * page_size : (page - 1) * page_size + 64] = b"\xa5" * 64
    target.write_bytes(bytes(data))
    return f"Page {page}"


def test_a_damaged_database_is_not_backed_up_over_a_good_backup(cli, one_error, ready, tmp_path):
    good = tmp_path / "backups" / "nightly.db"
    good.parent.mkdir()
    assert cli("db", "backup", str(good)).exit_code == 0
    before = (good.read_bytes(), good.stat().st_mtime_ns)
    damaged = tmp_path / "damaged.db"
    page = damaged_copy(ready, damaged)

    line = one_error(cli("--db", str(damaged), "db", "backup", "--force", str(good)))
    assert str(damaged) in line and "damaged" in line and page in line
    assert str(good) in line and "as it was" in line
    assert (good.read_bytes(), good.stat().st_mtime_ns) == before
    assert sorted(p.name for p in good.parent.iterdir()) == ["nightly.db"]  # no temporary copy left
    # The same damaged database, backed up to a new file: refused too, nothing written.
    line = one_error(cli("--db", str(damaged), "db", "backup", str(tmp_path / "backups" / "other.db")))
    assert str(damaged) in line and "damaged" in line
    assert sorted(p.name for p in good.parent.iterdir()) == ["nightly.db"]


def test_status_reports_damage_and_a_sound_database_as_checked(cli, ready, tmp_path):
    data = json.loads(cli("db", "status", "--json").stdout)
    assert data["quick_check"] == "ok"
    assert "check     ok (PRAGMA quick_check)" in cli("db", "status").stdout

    damaged = tmp_path / "damaged.db"
    page = damaged_copy(ready, damaged)
    before = damaged.read_bytes()
    result = cli("--db", str(damaged), "db", "status", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert page in data["quick_check"]
    assert data["lists"] == 1  # what can still be read is shown
    text = cli("--db", str(damaged), "db", "status").stdout
    assert "check     DAMAGED" in text and page in text and "db restore" in text
    assert damaged.read_bytes() == before


def test_ordinary_commands_do_not_check_the_whole_file(cli, ready, monkeypatch):
    from llmreads import db as dbmod

    checks: list[bool] = []
    problem = dbmod.integrity_problem

    def counted(conn: sqlite3.Connection, quick: bool = True) -> str | None:
        checks.append(quick)
        return problem(conn, quick)

    monkeypatch.setattr(dbmod, "integrity_problem", counted)
    for args in (("list",), ("mark-read", "lora"), ("note", "add", "lora", "x"), ("show", "lora")):
        assert cli(*args).exit_code == 0
    assert checks == []


# ---------------------------------------------------------------- temporaries of crashed processes


CRASH = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from llmreads import maintenance

    os.fsync = lambda fd: os._exit(9)  # killed once the copy is written, before it is renamed into place
    if sys.argv[1] == "backup":
        maintenance.backup(Path(sys.argv[2]), Path(sys.argv[3]), force=True)
    else:
        maintenance.restore(Path(sys.argv[2]), Path(sys.argv[3]))
    """
)


def crash(*args: str) -> None:
    done = subprocess.run([sys.executable, "-c", CRASH, *args], capture_output=True, text=True)
    assert done.returncode == 9, done.stderr


def test_a_crashed_backup_leaves_a_named_temporary_that_the_next_backup_removes(cli, ready, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    crash("backup", str(ready), str(folder / "nightly.db"))
    left = hidden(folder)
    assert len(left) == 1 and left[0].startswith(".nightly.db.llmreads-") and left[0].endswith(".tmp")
    assert (folder / left[0]).read_bytes()[:16] == b"SQLite format 3\x00"  # a full copy, everyone's notes
    result = cli("db", "backup", str(folder / "nightly.db"))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["nightly.db"]


@pytest.mark.parametrize("command", ["status", "restore", "backup"])
def test_a_crashed_restore_leaves_a_temporary_that_the_next_db_command_removes(cli, ready, tmp_path, command):
    backup = tmp_path / "copy.db"
    assert cli("db", "backup", str(backup)).exit_code == 0
    crash("restore", str(ready), str(backup))
    left = [name for name in hidden(ready.parent) if ".llmreads-" in name]
    assert left and all(name.startswith(f".{ready.name}.replaced-") for name in left)
    args = {"status": ("db", "status"), "restore": ("db", "restore", str(backup)),
            "backup": ("db", "backup", str(tmp_path / "other.db"))}[command]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert [name for name in hidden(ready.parent) if ".llmreads-" in name] == []


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_only_temporaries_of_dead_processes_are_removed(cli, ready, tmp_path):
    import socket

    host = "".join(c if c.isalnum() or c in "_-" else "_" for c in socket.gethostname())
    dead, alive = dead_pid(), os.getppid()
    sqlite_bytes = b"SQLite format 3\x00" + b"\x00" * 100
    files = {
        f".llmreads.db.llmreads-{dead}-{host}.tmp": (sqlite_bytes, "removed"),
        f".llmreads.db.llmreads-{dead}-{host}.tmp-journal": (b"", "removed"),
        f".llmreads.db.llmreads-{alive}-{host}.tmp": (sqlite_bytes, "kept"),  # a backup still running
        f".llmreads.db.llmreads-{dead}-otherhost.tmp": (sqlite_bytes, "kept"),  # another machine's process
        f".llmreads.db.{dead}.tmp": (sqlite_bytes, "removed"),  # the name earlier releases used
        f".notes.md.{dead}.tmp": (b"not a database", "kept"),  # someone else's file
        "keep.db": (sqlite_bytes, "kept"),
    }
    for name, (data, _) in files.items():
        (tmp_path / name).write_bytes(data)
    assert cli("db", "status").exit_code == 0
    assert {name for name in files if (tmp_path / name).exists()} == {
        name for name, (_, fate) in files.items() if fate == "kept"
    }


def test_a_failed_backup_names_the_temporary_it_could_not_remove(cli, one_error, ready, tmp_path, monkeypatch):
    target = tmp_path / "backups" / "nightly.db"
    target.parent.mkdir()

    def broken_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    unlink = os.unlink

    def refuse_temporaries(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if ".llmreads-" in os.fspath(path) and os.path.exists(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "fsync", broken_fsync)
    monkeypatch.setattr(os, "unlink", refuse_temporaries)
    line = one_error(cli("db", "backup", str(target)))
    monkeypatch.undo()
    (left,) = [p for p in target.parent.iterdir() if ".llmreads-" in p.name]
    assert "Input/output error" in line and str(left) in line
    assert not target.exists()


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
    from helpers import SEED_PATH

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


def test_a_full_disk_during_a_backup_keeps_the_old_backup(cli, one_error, ready, tmp_path, monkeypatch):
    target = tmp_path / "backups" / "nightly.db"
    target.parent.mkdir()
    assert cli("db", "backup", str(target)).exit_code == 0
    before = target.read_bytes()
    assert cli("note", "add", "lora", "newer").exit_code == 0

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    line = one_error(cli("db", "backup", "--force", str(target)))
    monkeypatch.undo()
    assert "disk is full" in line and "nothing was changed" in line and str(target) in line
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["nightly.db"]


def test_a_full_disk_during_a_restore_changes_nothing(cli, one_error, ready, tmp_path, monkeypatch):
    backup = tmp_path / "copy.db"
    assert cli("db", "backup", str(backup)).exit_code == 0
    assert cli("note", "add", "lora", "after the backup").exit_code == 0
    settle(ready)
    before = snapshot(ready)
    files = sorted(p.name for p in ready.parent.iterdir())

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    line = one_error(cli("db", "restore", str(backup)))
    monkeypatch.undo()
    gc.collect()
    assert "disk is full" in line and "nothing was changed" in line
    assert snapshot(ready) == before
    assert sorted(p.name for p in ready.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        f for f in files if not f.endswith(("-wal", "-shm"))
    ]
