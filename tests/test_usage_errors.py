"""Usage errors: a value outside an option's choices or range is Click's usage message and exit 2.

The one-line `Error:` and exit 1 are for domain errors (an unknown paper, a
file that cannot be read); a value Click can check against the option's
declaration never reaches the command, so nothing is opened or imported.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# (command line, the option or argument the message must name)
USAGE_ERRORS = [
    ("list --stars 9", "--stars"),
    ("list --stars -1", "--stars"),
    ("list --stars many", "--stars"),
    ("list --stars 99999999999999999999", "--stars"),
    ("search lora --stars 6", "--stars"),
    ("search lora --stars -1", "--stars"),
    ("export --stars 9", "--stars"),
    ("list --status bogus", "--status"),
    ("list --status done", "--status"),
    ("search lora --status finished", "--status"),
    ("export --status bogus", "--status"),
    ("list --sort random", "--sort"),
    ("list --sort relevance", "--sort"),  # a sort of search, not of list
    ("search lora --sort random", "--sort"),
    ("search lora --sort title", "--sort"),  # a sort of list, not of search
    ("list --limit 0", "--limit"),
    ("list -n -3", "--limit"),
    ("list --limit many", "--limit"),
    ("search lora --limit 0", "--limit"),
    ("search lora -n -1", "--limit"),
    ("next --count 0", "--count"),
    ("next -n -2", "--count"),
    ("next --count lots", "--count"),
    ("export --format yaml", "--format"),
    ("export -f YAML", "--format"),
    ("note edit 0 text", "NOTE_ID"),
    ("note delete 0", "NOTE_ID"),
    ("note delete 99999999999999999999", "NOTE_ID"),
]


def assert_usage_error(code: int, stdout: str, stderr: str, command: str, name: str) -> None:
    """Exit 2, Click's usage line for `command`, and one `Error:` line that names `name`."""
    assert code == 2, (code, stdout, stderr)
    assert "Traceback" not in stdout + stderr
    assert stdout == ""
    lines = stderr.splitlines()
    assert re.match(rf"Usage: \S+ {command} \[OPTIONS\]", lines[0]), stderr  # CliRunner calls the program "root"
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1, stderr
    assert errors[0].startswith("Error: Invalid value for ") and f"'{name}'" in errors[0], errors[0]


@pytest.mark.parametrize(("line", "name"), USAGE_ERRORS)
def test_usage_error_exits_2_naming_the_option(cli, line, name):
    db = Path(os.environ["LLMREADS_DB"])
    args = shlex.split(line)
    command = " ".join(args[:2]) if args[0] == "note" else args[0]
    result = cli(*args)
    assert_usage_error(result.exit_code, result.stdout, result.stderr, command, name)
    assert not db.exists()  # refused before the command ran: no database made, no list imported


@pytest.mark.parametrize(
    ("line", "name"), [("list --stars 9", "--stars"), ("next --count 0", "--count"), ("list --sort random", "--sort")]
)
def test_usage_error_of_the_installed_command(line, name):
    # The console script loads only the named command's module; its usage errors are Click's too.
    db = Path(os.environ["LLMREADS_DB"])
    script = shutil.which("llmreads", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    assert script, "the llmreads console script is not installed"
    result = subprocess.run(
        [script, *shlex.split(line)],
        capture_output=True, text=True, encoding="utf-8", timeout=60, env=os.environ.copy(),
    )
    assert_usage_error(result.returncode, result.stdout, result.stderr, line.split()[0], name)
    assert result.stderr.startswith(f"Usage: llmreads {line.split()[0]} ")
    assert not db.exists()


def test_status_is_any_case(seeded, cli):
    lower = cli("list", "--status", "unread", "--json")
    assert lower.exit_code == 0, lower.stderr
    upper = cli("list", "--status", "UNREAD", "--json")
    assert upper.exit_code == 0, upper.stderr
    assert json.loads(upper.stdout) == json.loads(lower.stdout) != []


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("list", "--limit", "99999999999999999999", "--json"), 118),
        (("next", "--count", "99999999999999999999", "--json"), 118),
        (("search", "model", "--limit", "99999999999999999999", "--json"), None),
    ],
)
def test_a_limit_beyond_sqlite_integers_shows_everything(seeded, cli, args, shown):
    # "At most 10^20" is all of them, not a database error.
    result = cli(*args)
    assert result.exit_code == 0, (result.exit_code, result.stderr)
    rows = json.loads(result.stdout)
    if shown is None:  # as many as with no limit at all
        everything = json.loads(cli(*args[:2], "--limit", "1000", "--json").stdout)
        shown = len(everything)
        assert shown > 20
    assert len(rows) == shown


def test_status_choices_are_the_model_statuses():
    from llmreads.models import Status
    from llmreads.options import StatusChoice

    assert [s.value for s in StatusChoice] == [s.value for s in Status]


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (("list",), ["--stars STARS", "[0<=x<=5]", "--status [unread|reading|read]",
                     "--sort [list|stars|title|my-stars|read]", "-n, --limit LIMIT", "--my-stars MY_STARS",
                     "[1<=x<=5]"]),
        (("progress",), ["--by [section|month]"]),
        (("search",), ["--sort [relevance|stars|list]", "-n, --limit LIMIT", "[x>=1]"]),
        (("next",), ["-n, --count COUNT", "[default: 5; x>=1]"]),
        (("export",), ["--format [json|csv|markdown|bibtex]", "--status [unread|reading|read]"]),
    ],
)
def test_help_shows_choices_and_ranges(cli, command, shown):
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.stderr
    for text in shown:
        assert text in " ".join(result.stdout.split()), result.stdout
