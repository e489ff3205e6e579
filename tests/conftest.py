"""Shared fixtures: an isolated environment for every test, the seed list, and a ready database."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import strategies as st

import processes
from fake_services import FakeServices, Server

ROOT = Path(__file__).resolve().parents[1]
SEED_PATH = ROOT / "seeds" / "llm_paper_reading.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The seed's sections as a reader numbers them, in order.
SEED_SECTIONS = [
    ("1", "OpenAI/Google 基础语言大模型"),
    ("2", "LLM的关键技术"),
    ("2.1", "ICL"),
    ("2.2", "CoT"),
    ("2.3", "RLHF"),
    ("2.4", "PEFT"),
    ("2.5", "Embedding/位置编码/激活函数/attention加速"),
    ("2.6", "综述及其他"),
    ("3", "大模型与多模态相关"),
    ("4", "类ChatGPT及垂域版类ChatGPT开源模型"),
]

# Environment variables that change what llmreads prints or where it writes.
_CLEARED = (
    "LLMREADS_LIST",
    "LLMREADS_FORCE_TERMINAL",
    "LLMREADS_COLOR",
    "NO_COLOR",
    "FORCE_COLOR",
    "VISUAL",
    "EDITOR",
    "COLUMNS",
    "LINES",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test gets its own database file and the user alice; no terminal forcing."""
    monkeypatch.setenv("LLMREADS_DB", str(tmp_path / "llmreads.db"))
    monkeypatch.setenv("LLMREADS_USER", "alice")
    monkeypatch.setenv("LLMREADS_CONFIG", str(tmp_path / "no-config.toml"))  # never the real user's config
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    # The metadata services: nothing listens on port 9 of this machine, so no test reaches the network.
    monkeypatch.setenv("LLMREADS_ARXIV_API", "http://127.0.0.1:9/api/query")
    monkeypatch.setenv("LLMREADS_CROSSREF_API", "http://127.0.0.1:9/works")
    monkeypatch.setenv("LLMREADS_ARXIV_DELAY", "0")
    monkeypatch.setenv("LLMREADS_FETCH_TIMEOUT", "2")


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServices]:
    """The arXiv API and Crossref as a local server on 127.0.0.1 (tests/fake_services.py), set as the endpoints."""
    fake = FakeServices()
    server = Server(fake)
    monkeypatch.setenv("LLMREADS_ARXIV_API", fake.arxiv_api)
    monkeypatch.setenv("LLMREADS_CROSSREF_API", fake.crossref_api)
    monkeypatch.setenv("LLMREADS_FETCH_TIMEOUT", "0.5")
    try:
        yield fake
    finally:
        server.close()


def read_fixture(name: str) -> str:
    """A fixture's text exactly as stored (no newline translation, BOM kept)."""
    return (FIXTURES / name).read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_PATH.read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def seed_lines(seed_text: str) -> list[str]:
    return seed_text.split("\n")


@pytest.fixture(scope="session")
def seed_doc(seed_text: str):  # type: ignore[no-untyped-def]
    from llmreads.parse import parse

    return parse(seed_text)


def import_text(conn: sqlite3.Connection, text: str, name: str = "LLM_Paper_Reading", source: str = "test"):  # type: ignore[no-untyped-def]
    from llmreads.parse import parse
    from llmreads.store.importer import import_document

    sha256 = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return import_document(conn, parse(text), name=name, source=source, sha256=sha256)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def conn(db_path: Path, seed_text: str) -> Iterator[sqlite3.Connection]:
    """A migrated database holding the imported seed list."""
    from llmreads.db import open_db

    connection = open_db(db_path)
    import_text(connection, seed_text)
    yield connection
    connection.close()


def snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of a database file, for before/after comparisons."""
    connection = sqlite3.connect(path)
    try:
        names = [
            row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return {name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}
    finally:
        connection.close()


@pytest.fixture
def cli() -> Callable[..., object]:
    """Run the Typer app in-process; the result has separate .stdout and .stderr."""
    from typer.testing import CliRunner

    from llmreads.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | bytes | None = None, env: dict[str, str | None] | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), input=input, env=env)

    return run


def assert_one_error(result, code: int = 1) -> str:  # type: ignore[no-untyped-def]
    """A failed command: the exit code, exactly one `Error:` line on stderr, no traceback. Returns that line."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert "Error:" not in result.stdout
    return errors[0]


@pytest.fixture
def one_error() -> Callable[..., str]:
    return assert_one_error


def settle(path: Path) -> None:
    """Close the connections in-process commands left to the garbage collector, and checkpoint.

    Otherwise one closing in the middle of a test checkpoints the -wal into the file.
    """
    gc.collect()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def user_data(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        statuses = sorted(conn.execute("SELECT user, paper_key, status FROM statuses").fetchall())
        notes = sorted(conn.execute("SELECT user, paper_key, text FROM notes").fetchall())
        return statuses, notes
    finally:
        conn.close()


def pragma(path: Path, name: str) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute(f"PRAGMA {name}").fetchone()[0])
    finally:
        conn.close()


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def json_out(result):  # type: ignore[no-untyped-def]
    return json.loads(ok(result))


# Pieces of text that stress a query parser: FTS5 syntax, CJK, emoji, controls.
QUERY_BITS = st.sampled_from(
    [
        '"',
        "-",
        "*",
        ":",
        "(",
        ")",
        "^",
        "+",
        "{",
        "}",
        "\\",
        "'",
        "OR",
        "AND",
        "NOT",
        "NEAR",
        "NEAR(",
        "title:",
        "body:",
        " ",
        "微调",
        "lora",
        "🌟",
        "⼤",
        "\x00",
        "\u200b",
        "\ufeff",
        "col:",
        "a",
        "1",
    ]
)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the bundled list, made once by a real first use."""
    path = tmp_path_factory.mktemp("template") / "llmreads.db"
    result = processes.run("--db", str(path), "sections")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def seeded(seeded_template: Path) -> Path:
    """This test's database ($LLMREADS_DB), a copy of the template."""
    db = Path(os.environ["LLMREADS_DB"])
    db.write_bytes(seeded_template.read_bytes())
    return db
