"""What every command shares (llmreads.app.State): its database connection lives as long as the command."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[sqlite3.Connection]:
    """Every connection llmreads.db.open_db hands out from now on."""
    import llmreads.db

    connections: list[sqlite3.Connection] = []
    real = llmreads.db.open_db

    def open_db(path: Path) -> sqlite3.Connection:
        connections.append(real(path))
        return connections[-1]

    monkeypatch.setattr(llmreads.db, "open_db", open_db)
    return connections


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["list", "--json"], 0),  # first use: the bundled list is imported too
        (["mark-read", "2106.09685"], 0),
        (["show", "no such paper at all"], 1),  # a domain error
        (["import", "/no/such/file.md"], 1),
        (["note", "add", "2106.09685", "low rank"], 0),  # a command group's command
    ],
)
def test_the_connection_is_closed_when_the_command_ends(cli: Callable[..., object], opened: list[sqlite3.Connection],
                                                        args: list[str], code: int) -> None:
    result = cli(*args)
    assert result.exit_code == code, result.stderr  # type: ignore[attr-defined]
    assert len(opened) == 1
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].execute("SELECT 1")


def test_a_command_that_needs_no_database_opens_none(cli: Callable[..., object], opened: list[sqlite3.Connection],
                                                     tmp_path: Path) -> None:
    for args in (["config", "show"], ["db", "path"], ["list", "--help"]):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    assert opened == []
    assert not (tmp_path / "llmreads.db").exists()


def list_names(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT name FROM lists ORDER BY id")]
    finally:
        conn.close()


@pytest.mark.parametrize(
    "args",
    [["list", "--json"], ["users"], ["sections"], ["progress"], ["next"], ["lists"], ["mark-read", "2106.09685"],
     ["note", "list"], ["export", "--format", "json"], ["search", "lora"], ["show", "2106.09685"],
     ["open", "--print", "2106.09685"], ["note", "add", "2106.09685", "low rank"]],
)
def test_a_command_that_shows_or_tracks_papers_imports_the_bundled_list_into_a_new_database(
        cli: Callable[..., object], tmp_path: Path, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    db = tmp_path / "llmreads.db"
    assert result.stderr.endswith(f"llmreads: imported the bundled list (118 papers) into {db}\n")  # type: ignore[attr-defined]
    assert list_names(db) == ["LLM_Paper_Reading"]
    again = cli(*args)
    assert "imported" not in again.stderr  # type: ignore[attr-defined]
    assert list_names(db) == ["LLM_Paper_Reading"]


@pytest.mark.parametrize(
    ("args", "code"),
    [(["remove-list", "LLM_Paper_Reading"], 1), (["user-data", "export"], 0), (["import", "{fixture}"], 0)],
)
def test_the_commands_that_manage_lists_and_user_data_never_import_the_bundled_list(
        cli: Callable[..., object], tmp_path: Path, args: list[str], code: int) -> None:
    from conftest import FIXTURES

    fixture = FIXTURES / "bare_urls.md"
    result = cli(*[arg.format(fixture=fixture) for arg in args])
    assert result.exit_code == code, result.stderr  # type: ignore[attr-defined]
    assert "bundled" not in result.stderr  # type: ignore[attr-defined]
    names = list_names(tmp_path / "llmreads.db")
    assert "LLM_Paper_Reading" not in names
    assert len(names) == (args[0] == "import")


def test_opening_the_database_only_opens_it(tmp_path: Path) -> None:
    """The first-use import is a step of its own (State.ensure_bundled_list), not a side effect of State.conn."""
    from llmreads.app import State

    state = State(tmp_path / "fresh.db", "alice")
    try:
        conn = state.conn()
        assert conn.execute("SELECT count(*) FROM lists").fetchone()[0] == 0
        assert state.conn() is conn
        state.ensure_bundled_list(conn)
        assert [row[0] for row in conn.execute("SELECT name FROM lists")] == ["LLM_Paper_Reading"]
    finally:
        state.close()
    assert list_names(tmp_path / "fresh.db") == ["LLM_Paper_Reading"]
