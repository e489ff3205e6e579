"""The installed console script and `python -m llmreads`, run as real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llmreads import __version__


def llmreads_script() -> str:
    here = str(Path(sys.executable).parent)
    found = shutil.which("llmreads", path=os.pathsep.join([here, os.environ.get("PATH", "")]))
    assert found, "the llmreads console script is not installed"
    return found


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(
        args, capture_output=True, text=True, encoding="utf-8", timeout=60, env=os.environ.copy(), **kwargs
    )


@pytest.fixture(params=["script", "module"])
def command(request) -> list[str]:  # type: ignore[no-untyped-def]
    return [llmreads_script()] if request.param == "script" else [sys.executable, "-m", "llmreads"]


def test_version(command):
    result = run([*command, "--version"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"llmreads {__version__}\n"
    assert result.stderr == ""


def test_first_use_auto_imports_then_lists(command):
    db = Path(os.environ["LLMREADS_DB"])
    assert not db.exists()
    result = run([*command, "list", "--stars", "4", "--json"])
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"llmreads: imported the bundled list (118 papers) into {db}\n"
    rows = json.loads(result.stdout)
    assert len(rows) == 11
    assert {row["id"] for row in rows} >= {"50f228", "f77a8b"}
    assert all(row["stars"] >= 4 for row in rows)
    again = run([*command, "list", "--stars", "4", "--json"])
    assert again.returncode == 0 and again.stderr == ""
    assert json.loads(again.stdout) == rows


def test_error_is_one_line_and_exit_1(command, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_text("not a database\n")
    result = run([*command, "--db", str(bad), "list"])
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {bad} is not an SQLite database\n"
    assert bad.read_text() == "not a database\n"


def test_plain_output_through_a_pipe(command):
    result = run([*command, "list", "--section", "2.2"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert all(len(line.split("\t")) == 5 for line in lines)
    assert "\x1b" not in result.stdout


@pytest.mark.parametrize(
    "args", [["list"], ["list", "--limit", "3"], ["export", "--format", "json"], ["search", "模型", "--limit", "100"]]
)
@pytest.mark.parametrize("read", [0, 10])
def test_reader_that_goes_away_is_not_an_error(command, args, read, seeded):
    # `llmreads list | head -1`: the pipe breaks, while the command writes (export:
    # 100 KB) or when its buffered output is flushed at the end (list, search, or a
    # reader gone before anything was written); quiet, and status 0 (Click alone
    # would end with 1, Python's last flush with 120). The database holds the bundled
    # list, as the first use leaves it (`seeded`), so the command has that much to write.
    process = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy()
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(read)
    process.stdout.close()
    err = process.stderr.read()
    assert (process.wait(timeout=60), err) == (0, b"")
