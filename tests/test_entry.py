"""The console-script entry point loads one command module; its map must name every command."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

import llmreads.cli
from llmreads.app import Placeholder
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


# ---------------------------------------------------------------- help and the full app

# The console script's main, as a user runs it; and the full app, where Typer builds every command: the reference.
ENTRY = "import sys; sys.argv[0] = 'llmreads'; from llmreads.entry import main; main()"
FULL_APP = "import sys; from llmreads.cli import app; app(sys.argv[1:], prog_name='llmreads')"


def run(code: str, args: list[str], **env: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--help"], {"COLUMNS": "80"}),
        (["--help"], {"COLUMNS": "40"}),
        (["--help"], {"COLUMNS": "120", "NO_COLOR": "1"}),
        ([], {"COLUMNS": "80"}),  # no command: the help
        (["-h", "--db", "x.db"], {"COLUMNS": "80"}),
        (["show", "--help"], {"COLUMNS": "40"}),
        (["note", "--help"], {"COLUMNS": "80"}),
        (["note", "add", "-h"], {"COLUMNS": "80"}),
        (["shw"], {}),  # no such command, with a suggestion
        (["--db", "x.db"], {}),  # missing command
        (["--bogus"], {}),
    ],
)
def test_the_console_script_prints_what_the_full_app_prints(args: list[str], env: dict[str, str]) -> None:
    got = run(ENTRY, args, **env)
    assert got == run(FULL_APP, args, **env)
    assert "Usage: llmreads" in got[1] + got[2]


def test_help_lists_every_command_with_its_one_line_help() -> None:
    code, out, _ = run(ENTRY, ["--help"], COLUMNS="200")
    assert code == 0
    listed = [line.split(None, 1) for line in out.split("\nCommands:\n")[1].splitlines()]
    built = typer.main.get_command(app)
    assert isinstance(built, TyperGroup)
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert [name for name, _ in listed] == names == list(built.commands)
    for name, help_text in listed:  # shortened to the terminal, or whole
        assert built.commands[name].get_short_help_str(1000).startswith(help_text.removesuffix("..."))


def test_every_command_module_is_loaded_by_the_full_app() -> None:
    import llmreads.commands

    modules = {m.name for m in pkgutil.iter_modules(llmreads.commands.__path__)}
    assert modules == set(COMMAND_MODULES.values())
    assert {f"llmreads.commands.{m}" for m in modules} <= set(sys.modules)  # imported by llmreads.cli


def test_placeholders_stand_for_the_commands_typer_builds() -> None:
    built = typer.main.get_command(app)
    assert isinstance(built, TyperGroup)
    for info in [*app.registered_commands, *app.registered_groups]:
        placeholder = Placeholder(info, app)
        command = built.commands[str(placeholder.name)]
        for attribute in ("name", "help", "short_help", "hidden", "deprecated", "rich_help_panel"):
            assert getattr(placeholder, attribute) == getattr(command, attribute), (placeholder.name, attribute)
        assert placeholder.get_short_help_str() == command.get_short_help_str()
        loaded = placeholder.load()
        assert type(loaded) is type(command)
        assert [p.opts for p in loaded.params] == [p.opts for p in command.params]


def test_help_and_unknown_names_build_no_command(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(self: Placeholder) -> None:
        raise AssertionError(f"{self.name} was built")

    monkeypatch.setattr(Placeholder, "load", refuse)
    for args in (["--help"], [], ["shw"], ["--db", "x.db"]):
        with pytest.raises(SystemExit):
            llmreads.cli.command().main(args, prog_name="llmreads")
    assert "No such command 'shw'. Did you mean 'show'?" in capsys.readouterr().err


def test_a_named_command_is_built_when_it_runs(capsys: pytest.CaptureFixture[str]) -> None:
    group = llmreads.cli.command()
    assert all(isinstance(c, Placeholder) for c in group.commands.values())
    with pytest.raises(SystemExit) as done:
        group.main(["config", "path"], prog_name="llmreads")
    assert done.value.code == 0
    assert capsys.readouterr().out.strip().endswith("no-config.toml")  # the test's LLMREADS_CONFIG
    assert not isinstance(group.commands["config"], Placeholder)
    assert isinstance(group.commands["show"], Placeholder)


def test_command_help_reads_no_settings(tmp_path: Path) -> None:
    broken = tmp_path / "config.toml"
    broken.write_text("user = [\n")
    code = (
        "import sys; sys.argv = ['llmreads', 'show', '--help']\nfrom llmreads.entry import main\ntry:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('llmreads.config', 'llmreads.render', 'platformdirs') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "LLMREADS_CONFIG": str(broken)},
                          capture_output=True, text=True, timeout=60)
    assert done.stderr == ""
    assert done.stdout.startswith("Usage: llmreads show [OPTIONS]")
    assert done.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize(("args", "frozen"), [(["--help"], True), (["config", "path"], True), (["--version"], False)])
def test_start_up_objects_are_frozen_before_the_command_runs(args: list[str], frozen: bool) -> None:
    # Spares the exit-time collection a walk over Typer's objects (see entry.freeze_loaded).
    code = "import atexit, gc, sys; atexit.register(lambda: print(gc.get_freeze_count(), file=sys.stderr))\n" + ENTRY
    returncode, _, err = run(code, args)
    assert returncode == 0
    assert (int(err.splitlines()[-1]) > 10_000) is frozen


def test_output_left_in_the_buffer_for_a_reader_gone_ends_quietly(tmp_path):
    # `llmreads list --limit 3 | head -0`: nothing is written until stdout is
    # flushed, after the command; the reader is gone by then. llmreads flushes
    # before it returns, and ends with status 0 (Python's own last flush would
    # report the broken pipe and end with 120).
    driver = (
        "import io, os, sys\n"
        "r, w = os.pipe()\n"
        "os.close(r)\n"
        "sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(w, 'w')), encoding='utf-8')\n"
        "sys.argv = ['llmreads', 'list', '--limit', '3']\n"
        "from llmreads.entry import main\n"
        "try:\n"
        "    main()\n"
        "    status = 0\n"
        "except SystemExit as exc:\n"
        "    status = exc.code\n"
        "sys.stdout.flush()\n"
        "print('status', status, file=sys.stderr)\n"
    )
    env = os.environ.copy()
    assert subprocess.run([sys.executable, "-m", "llmreads", "lists"], env=env, capture_output=True).returncode == 0
    result = subprocess.run([sys.executable, "-c", driver], env=env, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, "status 0\n")
