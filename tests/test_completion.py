"""Shell completion through the console script: the same answers as the full app, loading only what they need."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer._click.shell_completion import CompletionItem
from typer.core import TyperGroup

import processes
from helpers import copy_database, import_text
from llmreads import completion

# The console script's main, as the shell runs it.
ENTRY = "import sys; sys.argv[0] = 'llmreads'; from llmreads.entry import main; main()"
# Prints, at exit, the command modules and the heavy libraries the process loaded.
LOADED = (
    "import atexit, json, sys; atexit.register(lambda: print(json.dumps(sorted("
    "m for m in sys.modules if m.startswith('llmreads.commands.') or m in ('rich', 'llmreads.render'))),"
    " file=sys.stderr))\n"
)


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory: pytest.TempPathFactory, seed_template: Path) -> Path:
    return copy_database(seed_template, tmp_path_factory.mktemp("completion") / "seed.db")


def shell_env(shell: str, line: str) -> dict[str, str]:
    """What the shell's completion script sets for a Tab press at the end of `line`."""
    env = {"_LLMREADS_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        return {**env, "COMP_WORDS": line, "COMP_CWORD": str(len(line.split(" ")) - 1)}
    env["_TYPER_COMPLETE_ARGS"] = line
    if shell == "fish":
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    if shell == "powershell":
        env["_TYPER_COMPLETE_WORD_TO_COMPLETE"] = line.split(" ")[-1]
    return env


def run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def full_app_completes(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    """What the full app (Typer builds every command) answers, in this process: the reference."""
    from llmreads.cli import app

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        app([], prog_name="llmreads")
    assert done.value.code == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def candidates(output: str) -> list[str]:
    """The completions printed, in order; but Click offers `-h` and `--help` in set order, which varies."""
    lines = output.removeprefix("_arguments '*: :((").removesuffix("))'\n").splitlines()  # zsh's frame
    return sorted(lines) if any(line.strip('"').startswith("-h") for line in lines) else lines


LINES = [
    "llmreads ",  # command names
    "llmreads ma",
    "llmreads -",  # the global options
    "llmreads --db",
    "llmreads show 50f",  # a paper id
    "llmreads --user bob mark-read 50f228 24",
    "llmreads list --section 2.",
    "llmreads list --status rea",
    "llmreads list --list ",
    "llmreads list --s",
    "llmreads note ",  # a command group's commands
    "llmreads note add 50",
    "llmreads db restore ",
    "llmreads export --format ",
    "llmreads shw 5",  # no such command
]
CASES = [
    *[("bash", line) for line in LINES],
    *[("zsh", line) for line in ("llmreads ", "llmreads -", "llmreads show 50f", "llmreads list --section 2.")],
    *[(shell, line) for shell in ("fish", "powershell") for line in ("llmreads ma", "llmreads show 50f")],
]


@pytest.mark.parametrize(("shell", "line"), CASES)
def test_the_console_script_completes_as_the_full_app(seed_db: Path, shell: str, line: str,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    env = {**shell_env(shell, line), "LLMREADS_DB": str(seed_db)}
    got = processes.run(env=env)  # the console script, as the shell's Tab runs it
    assert (got.returncode, got.stderr) == (0, "")
    assert candidates(got.stdout) == candidates(full_app_completes(env, monkeypatch, capsys))
    if not line.startswith(("llmreads --db", "llmreads shw", "llmreads db restore")):
        assert got.stdout.strip()


@pytest.mark.parametrize(
    ("line", "modules"),
    [
        ("llmreads show 50f", ["llmreads.commands.browse"]),
        ("llmreads --db {db} --no-color list --section 2", ["llmreads.commands.browse"]),
        ("llmreads note add 50", ["llmreads.commands.track"]),
        ("llmreads user-data ", ["llmreads.commands.export"]),
        ("llmreads sh", []),  # command names: none is loaded
        ("llmreads --db {db} ", []),
    ],
)
def test_completion_loads_only_the_module_of_the_command_on_the_line(seed_db: Path, line: str,
                                                                      modules: list[str]) -> None:
    done = run(LOADED + ENTRY, {**shell_env("bash", line.format(db=seed_db)), "LLMREADS_DB": str(seed_db)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr) == modules
    assert done.stdout.strip()


def test_zsh_completion_shows_help_texts_as_they_are_without_rich(seed_db: Path) -> None:
    done = run(LOADED + ENTRY, {**shell_env("zsh", "llmreads --d"), "LLMREADS_DB": str(seed_db)})
    assert done.returncode == 0, done.stderr
    assert '"--db":"Database file [env LLMREADS_DB]."' in done.stdout  # Rich markup would drop the brackets
    assert json.loads(done.stderr) == []


LONG = " and a very long tail" + " tail" * 12  # past Rich's 80 columns


@pytest.mark.parametrize(
    ("shell", "expected"),
    [
        ("zsh", '"id1":"A [/] title\\\\: with ""quotes""' + LONG + '"'),
        ("fish", 'id1\tA [/] title: with "quotes"' + LONG),
        ("powershell", 'id1:::A [/] title: with "quotes"' + LONG),
    ],
)
def test_shells_print_a_help_text_verbatim_on_one_line(shell: str, expected: str) -> None:
    # Typer's classes render help texts as Rich markup: `[/]` raised an error and a long text wrapped.
    shell_class = completion.SHELLS[shell]
    complete = shell_class(TyperGroup(), {}, "llmreads", completion.COMPLETE_VAR)
    assert complete.format_completion(CompletionItem("id1", help='A [/] title: with "quotes"' + LONG)) == expected
    assert complete.format_completion(CompletionItem("id2")) in ('"id2"', "id2", "id2::: ")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_is_typers(shell: str, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    env = {"_LLMREADS_COMPLETE": f"source_{shell}"}
    got = processes.run(env=env)
    assert (got.returncode, got.stderr) == (0, "")
    assert got.stdout == full_app_completes(env, monkeypatch, capsys)
    assert "_LLMREADS_COMPLETE" in got.stdout


# A folder and a file name with the characters an SQLite URI gives a meaning
# to (`?` starts the query, `#` the fragment, `%` an escape) and a space.
AWKWARD = ("odd #1 ?mode=rw %41 b", "reads #2 ?x %2e.db")


@pytest.mark.parametrize("via", ["environment", "option"])
def test_completion_reads_a_database_whose_path_holds_uri_characters(tmp_path: Path, seed_db: Path, via: str) -> None:
    path = tmp_path.joinpath(*AWKWARD)
    path.parent.mkdir()
    path.write_bytes(seed_db.read_bytes())
    line = "llmreads show 50f"
    expected = processes.run(env={**shell_env("bash", line), "LLMREADS_DB": str(seed_db)}).stdout
    assert expected.split() == ["50f228"]
    if via == "environment":
        env = {**shell_env("bash", line), "LLMREADS_DB": str(path)}
    else:
        words = f"llmreads --db {shlex.quote(str(path))} show 50f"
        env = {"_LLMREADS_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": "4"}
    done = processes.run(env=env)
    assert (done.returncode, done.stderr, done.stdout) == (0, "", expected)


def test_paper_ids_of_unlisted_papers_are_offered_to_the_user_whose_data_they_keep(tmp_path: Path,
                                                                                   seed_text: str) -> None:
    from llmreads.db import open_db
    from llmreads.store.papers import resolve_ref
    from llmreads.store.tracking import set_status

    path = tmp_path / "kept.db"
    conn = open_db(path)
    import_text(conn, seed_text)
    set_status(conn, "alice", [resolve_ref(conn, "e881c7")], "read")  # Segment Anything
    # A newer version gives it another title and link: another paper; the old one keeps alice's status.
    changed = re.sub(r"\[Segment Anything\]\([^)]*\)", "[Segment Anything 2](https://example.org/sam2)", seed_text)
    import_text(conn, changed)
    conn.close()

    def offered(line: str, user: str) -> list[str]:
        got = processes.run(env={**shell_env("bash", line), "LLMREADS_DB": str(path), "LLMREADS_USER": user})
        assert (got.returncode, got.stderr) == (0, "")
        return got.stdout.split()

    assert offered("llmreads show e88", "alice") == ["e881c7"]
    assert offered("llmreads show e88", "bob") == []
    assert offered("llmreads --user alice show e88", "bob") == ["e881c7"]


@pytest.mark.parametrize("name", ["reads#1.db", "what?.db", "100%25.db"])
def test_a_database_whose_path_holds_uri_characters_is_completed_from(tmp_path: Path, seed_text: str,
                                                                      name: str) -> None:
    # `#`, `?` and `%` mean something in an SQLite URI: the read-only URI must escape them.
    from llmreads.db import open_db

    path = tmp_path / name.replace(".db", "") / name
    path.parent.mkdir()
    conn = open_db(path)
    import_text(conn, seed_text)
    conn.close()
    got = processes.run(env={**shell_env("bash", "llmreads show 50f"), "LLMREADS_DB": str(path)})
    assert (got.returncode, got.stderr) == (0, "")
    assert got.stdout.split() == ["50f228"]


def test_tags_complete_from_the_users_own_tags(seed_db: Path, tmp_path: Path) -> None:
    import shutil
    import sqlite3

    path = tmp_path / "tagged.db"
    shutil.copy(seed_db, path)
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO tags (user, paper_key, tag, tagged_at) VALUES (?, ?, ?, '2024-01-01T00:00:00+00:00')",
        [("alice", "arxiv:2106.09685", "peft"), ("alice", "arxiv:1706.03762", "peft"),
         ("alice", "arxiv:1706.03762", "attention"), ("bob", "arxiv:1706.03762", "private")],
    )
    conn.commit()
    conn.close()
    for line in ("llmreads tag 50f228 ", "llmreads list --tag pe"):
        done = processes.run(env={**shell_env("bash", line), "LLMREADS_DB": str(path), "LLMREADS_USER": "alice"})
        assert done.returncode == 0, done.stderr
        expected = ["attention", "peft"] if line.endswith(" ") else ["peft"]
        assert done.stdout.split() == expected, (line, done.stdout)
