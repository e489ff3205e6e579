"""Shared test helpers: paths, the seed, output checks and database peeks.

One meaning per name; fixtures live in conftest.py (which imports what it needs from here).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from hypothesis import strategies as st

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]

# Property tests: the suite's run tries at most SUITE_EXAMPLES examples of each property (conftest loads the
# "suite" profile), enough for each to mean something in every run while the whole suite stays under a minute;
# HYPOTHESIS_PROFILE=thorough tries each property as many times as its test asks (`examples(n)`), for a deeper
# search before a release or after a change to the code a property guards. Every run draws new examples, and
# hypothesis replays a failure it has found (its database, .hypothesis/) until it passes.
SUITE_EXAMPLES = 50
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"


def examples(thorough: int) -> int:
    """A property's number of examples: `thorough` under the thorough profile, at most SUITE_EXAMPLES otherwise."""
    return thorough if THOROUGH else min(thorough, SUITE_EXAMPLES)
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


def quick_pilot() -> None:
    """Textual's pilot waits, after each key, for the app to be idle: sleeps of 20 ms until one passes with
    under 1 ms of this process's CPU (the screen's and its writer thread's). Steps of 4 ms, idle under 0.2 ms,
    answer the same question sooner: the browse checks spent half their time asleep. (Steps of 1 ms never
    look idle: the event loop's own turn costs more than 0.05 ms.) Writes are awaited apart (`writes_done`)."""
    from textual import _wait

    _wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE = 1 / 250, 1 / 5000


def read_fixture(name: str) -> str:
    """A fixture's text exactly as stored (no newline translation, BOM kept)."""
    return (FIXTURES / name).read_bytes().decode("utf-8")


def import_text(conn: sqlite3.Connection, text: str, name: str = "LLM_Paper_Reading", source: str = "test"):  # type: ignore[no-untyped-def]
    from llmreads.parse import parse
    from llmreads.store.importer import import_document

    sha256 = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return import_document(conn, parse(text), name=name, source=source, sha256=sha256)


def copy_database(template: Path, path: Path) -> Path:
    """A copy of a closed database file (conftest's templates), at `path`."""
    shutil.copy(template, path)  # the file's mode too (llmreads makes it 0600)
    return path


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


def traced(conn: sqlite3.Connection, call: Callable[[], T]) -> tuple[list[str], T]:
    """The SQL statements `call` runs on `conn` (as SQLite's trace gives them), and what it returns."""
    ran: list[str] = []
    conn.set_trace_callback(ran.append)
    try:
        result = call()
    finally:
        conn.set_trace_callback(None)
    return ran, result


def assert_one_error(result, code: int = 1) -> str:  # type: ignore[no-untyped-def]
    """A failed command: the exit code, exactly one `Error:` line on stderr, no traceback. Returns that line."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert "Error:" not in result.stdout
    return errors[0]


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


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`llmreads ARGS` run in this process, answered as processes.run answers: exit status, stdout, stderr.

    For tests that only read what a command prints or writes; what only a real process shows (start-up
    imports, the console script's arrangement of arguments, a terminal, exit codes of the installed
    command) stays with processes.run. The app runs under CliRunner with stdin and stdout not a terminal,
    as in processes.run, and the program named llmreads. What a run leaves in this process is put back
    (os.environ, which --color and --ascii set; the chooser that a terminal installs), and an exception
    that would have ended the process with a traceback puts that traceback on stderr, as the process would.
    """
    from typer.testing import CliRunner

    from llmreads.cli import app
    from llmreads.store import papers

    environ = dict(os.environ)
    chooser = papers.choose_paper
    try:
        result = CliRunner().invoke(app, list(args), input=input if input is not None else "", env=env,
                                    prog_name="llmreads")
    finally:
        os.environ.clear()
        os.environ.update(environ)
        papers.choose_paper = chooser
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess(["llmreads", *args], result.exit_code, result.stdout, stderr)


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


# A position says where an entry is in its list's order, with room between (store/positions.py): a list kept in
# place keeps its rows' positions, one written whole numbers them again. Tests compare them as ranks.
ENTRY_RANK = "(SELECT count(*) FROM entries x WHERE x.list_id = {e}.list_id AND x.position < {e}.position)"
# A listed paper's place among the listed (a paper no list holds keeps the position it had: not compared).
PAPER_RANK = ("CASE WHEN {p}.listed THEN (SELECT count(*) FROM papers x WHERE x.listed AND x.position < {p}.position)"
              " END")


def papers_ranked(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    """Every paper's row, by id, its position as a rank (PAPER_RANK), without papers.ident (a digest of its
    names kept for re-imports, which one fills where it is NULL)."""
    names = [row[0] for row in conn.execute("SELECT name FROM pragma_table_info('papers')") if row[0] != "ident"]
    columns = ", ".join(PAPER_RANK.format(p="p") if name == "position" else f"p.{name}" for name in names)
    return conn.execute(f"SELECT {columns} FROM papers p ORDER BY id").fetchall()
