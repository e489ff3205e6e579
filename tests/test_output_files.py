"""Files the user names: export -o, user-data export -o and db backup never destroy what is there."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from helpers import assert_one_error
from llmreads.cli import app

LORA = "arxiv:2106.09685"
GPT3 = "arxiv:2005.14165"
PRECIOUS = "a note that must survive"
WRITERS = {
    "export": ("export",),
    "export csv": ("export", "--format", "csv"),
    "user-data export": ("user-data", "export"),
}


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    return result


def database() -> Path:
    return Path(os.environ["LLMREADS_DB"])


def notes(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [str(row[0]) for row in conn.execute("SELECT text FROM notes ORDER BY id")]
    finally:
        conn.close()


@pytest.fixture
def noted(seeded: Path, prepared: Callable[[str, Callable[[], object]], Path]) -> Path:
    """The bundled list, a paper being read, and a note: what an overwrite would lose."""

    def build() -> None:
        ok("mark-reading", GPT3)
        ok("note", "add", LORA, PRECIOUS)

    # prepared settles the file: no connection left to close (and checkpoint) in the middle of a test
    return prepared("output_files.noted", build)


def side_target(kind: str, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    if kind == "database":
        return str(db)
    if kind in ("-wal", "-shm", "-journal"):
        return str(db) + kind
    if kind == "relative path":
        monkeypatch.chdir(db.parent)
        return db.name
    if kind == "symlink to the database":
        link = tmp_path / "innocent.json"
        link.symlink_to(db)
        return str(link)
    if kind == "symlink to a missing -journal":
        link = tmp_path / "innocent.csv"
        link.symlink_to(str(db) + "-journal")
        return str(link)
    assert kind == "hard link"
    other = tmp_path / "elsewhere"
    other.mkdir()
    os.link(db, other / "papers.json")
    return str(other / "papers.json")


DATABASE_FILES = ["database", "-wal", "-shm", "-journal", "relative path", "symlink to the database",
                  "symlink to a missing -journal", "hard link"]


@pytest.mark.parametrize("force", [False, True], ids=["plain", "--force"])
@pytest.mark.parametrize("kind", DATABASE_FILES)
@pytest.mark.parametrize("writer", list(WRITERS))
def test_export_never_writes_over_the_database_or_its_side_files(
    noted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str, kind: str, force: bool
) -> None:
    target = side_target(kind, noted, tmp_path, monkeypatch)
    before = {p.name: p.read_bytes() for p in noted.parent.iterdir() if p.name.startswith(noted.name)}
    error = assert_one_error(run(*WRITERS[writer], "-o", target, *(["--force"] if force else [])))
    assert target in error and "is the database" in error and "choose another file" in error, error
    after = {p.name: p.read_bytes() for p in noted.parent.iterdir() if p.name.startswith(noted.name)}
    assert after == before  # not a byte changed, and no -journal made
    assert notes(noted) == [PRECIOUS]


@pytest.mark.parametrize("writer", list(WRITERS))
def test_an_existing_file_is_kept_unless_force(noted: Path, tmp_path: Path, writer: str) -> None:
    target = tmp_path / "out" / "mine.json"
    target.parent.mkdir()
    target.write_text("precious", encoding="utf-8")
    error = assert_one_error(run(*WRITERS[writer], "-o", str(target)))
    assert error == f"Error: {target} exists; use --force to overwrite it"
    assert target.read_text(encoding="utf-8") == "precious"
    result = ok(*WRITERS[writer], "-o", str(target), "--force")
    assert result.stderr.startswith("Wrote ") and result.stdout == ""
    assert target.read_text(encoding="utf-8") != "precious"
    assert [p.name for p in target.parent.iterdir()] == ["mine.json"]  # no temporary file left


def test_force_has_no_short_form(noted: Path, tmp_path: Path) -> None:
    result = run("export", "-o", str(tmp_path / "x.json"), "-f")
    assert result.exit_code == 2  # -f is --format, which needs a value
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("through", ["fifo", "symlink to a fifo"])
@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_fifo_is_written_to_and_stays_a_fifo(noted: Path, tmp_path: Path, writer: str, through: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    target = fifo
    if through == "symlink to a fifo":  # what /dev/stdout is in a pipe
        target = tmp_path / "stdout"
        target.symlink_to(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so the writer's open does not wait
    try:
        args = (*WRITERS[writer], *(("--status", "reading") if writer.startswith("export") else ()))
        result = ok(*args, "-o", str(target))  # no --force needed: nothing is replaced
        received = b""
        while chunk := os.read(reader, 1 << 16):
            received += chunk
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    if through == "symlink to a fifo":
        assert target.is_symlink() and target.resolve() == fifo.resolve()
    assert result.stderr.startswith("Wrote ")
    text = received.decode("utf-8")
    if writer == "export":
        assert [p["key"] for p in json.loads(text)] == [GPT3]
    elif writer == "export csv":
        assert GPT3 in text and text.startswith("id,key,title")
    else:
        assert json.loads(text)["users"]["alice"]["notes"][0]["text"] == PRECIOUS
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".pipe", ".stdout"))) == []


def test_dev_stdout_is_standard_output(noted: Path) -> None:
    result = ok("export", "--status", "reading", "-o", "/dev/stdout")
    assert [p["key"] for p in json.loads(result.stdout)] == [GPT3]
    assert Path("/dev/stdout").is_symlink() or not Path("/dev/stdout").is_file()


def test_a_symlink_to_a_file_is_followed_and_kept(noted: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert "--force" in assert_one_error(run("export", "-o", str(link)))
    assert real.read_text(encoding="utf-8") == "old"
    ok("export", "--status", "reading", "-o", str(link), "--force")
    assert link.is_symlink()
    assert [p["key"] for p in json.loads(real.read_text(encoding="utf-8"))] == [GPT3]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    noted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out" / "mine.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    error = assert_one_error(run("export", "-o", str(target), "--force"))
    assert error == f"Error: cannot write {target}: No space left on device"
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in target.parent.iterdir()] == ["mine.json"]


# ---------------------------------------------------------------- db backup


@pytest.mark.parametrize("kind", DATABASE_FILES)
def test_backup_with_force_never_writes_over_the_database_or_its_side_files(
    noted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    target = side_target(kind, noted, tmp_path, monkeypatch)
    before = {p.name: p.read_bytes() for p in noted.parent.iterdir() if p.name.startswith(noted.name)}
    error = assert_one_error(run("db", "backup", "--force", target))
    assert target in error and "is the database" in error, error
    after = {p.name: p.read_bytes() for p in noted.parent.iterdir() if p.name.startswith(noted.name)}
    assert after == before
    assert notes(noted) == [PRECIOUS]


def test_backup_refuses_a_fifo_even_with_force(noted: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    error = assert_one_error(run("db", "backup", "--force", str(fifo)))
    assert str(fifo) in error and "not a regular file" in error
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
