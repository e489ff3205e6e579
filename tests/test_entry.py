"""The console-script entry point loads one command module; its map must name every command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from llmreads.cli import app
from llmreads.entry import COMMAND_MODULES, invoked_command


def test_every_command_is_mapped_to_the_module_that_registers_it():
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert names == set(COMMAND_MODULES)
    for command in app.registered_commands:
        assert command.callback is not None
        assert command.callback.__module__ == f"llmreads.commands.{COMMAND_MODULES[command.name]}"


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["list", "--stars", "4"], "list"),
        (["--db", "x.db", "--user", "bob", "search", "lora"], "search"),
        (["--no-color", "note", "add", "lora", "x"], "note"),
        (["--help"], None),
        ([], None),
    ],
)
def test_invoked_command(argv, name):
    assert invoked_command(argv) == name


def test_a_command_loads_only_its_own_module(tmp_path):
    code = (
        "import sys; sys.argv = ['llmreads', '--db', sys.argv[1], 'list', '--stars', '5', '--json'];"
        "from llmreads.entry import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('llmreads.commands.')), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "e.db")], capture_output=True, text=True, check=True
    )
    assert "['llmreads.commands.browse']" in done.stderr
    assert '"stars": 5' in done.stdout


def test_version_loads_no_framework():
    code = (
        "import sys; sys.argv = ['llmreads', '--version'];"
        "from llmreads.entry import main; main(); print('typer' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[0].startswith("llmreads ")
    assert done.stdout.splitlines()[1] == "False"
