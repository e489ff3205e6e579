"""The console script: a command loads its own module alone; what it prints is what the full app prints."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer import _click as click
from typer._click.utils import make_default_short_help
from typer.core import TyperGroup

import processes
from llmreads.app import CommandLoaderGroup
from llmreads.cli import app

COMMANDS = CommandLoaderGroup.COMMANDS

# The console script's main, as a user runs it; and the full app, where Typer builds every command: the reference.
ENTRY = "import sys; sys.argv[0] = 'llmreads'; from llmreads.entry import main; main()"


def run(code: str, args: list[str], **env: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )
    return done.returncode, done.stdout, done.stderr


# Prints, at exit, the command modules the process loaded.
LOADED = (
    "import atexit, json, sys; atexit.register(lambda: print(json.dumps(sorted("
    "m for m in sys.modules if m.startswith('llmreads.commands.'))), file=sys.stderr))\n"
)


def test_every_command_is_listed_with_the_module_that_registers_it():
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert names == list(COMMANDS)  # and in the order Typer lists them
    for command in app.registered_commands:
        assert command.callback is not None
        assert command.callback.__module__ == f"llmreads.commands.{COMMANDS[str(command.name)].module}"
    for group in app.registered_groups:
        assert group.typer_instance is not None
        modules = {c.callback.__module__ for c in group.typer_instance.registered_commands if c.callback}
        assert modules == {f"llmreads.commands.{COMMANDS[str(group.name)].module}"}


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--stars", "5", "--json"],
        ["list"],
        ["--db", "{db}", "--user", "bob", "--no-color", "list", "--stars", "5", "--json"],
    ],
)
def test_a_command_loads_only_its_own_module(tmp_path, args):
    db = tmp_path / "e.db"
    env = {"LLMREADS_DB": str(db)}
    code, out, err = run(LOADED + ENTRY, [arg.format(db=db) for arg in args], **env)
    assert code == 0, err
    assert json.loads(err.splitlines()[-1]) == ["llmreads.commands.browse"]
    if "--json" in args:
        assert {paper["stars"] for paper in json.loads(out)} == {5}


def test_version_loads_no_framework():
    code = (
        "import atexit, sys; sys.argv = ['llmreads', '--version'];"
        "atexit.register(lambda: print('typer' in sys.modules));"  # main ends the process (entry._finish)
        "from llmreads.entry import main; main()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[0].startswith("llmreads ")
    assert done.stdout.splitlines()[1] == "False"


# ---------------------------------------------------------------- help and the full app


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
def test_the_console_script_prints_what_the_full_app_prints(args: list[str], env: dict[str, str],
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    done = processes.run(*args, env=env)  # the console script
    got = (done.returncode, done.stdout, done.stderr)
    assert got == full_app_prints(args, env, monkeypatch, capfd)
    assert "Usage: llmreads" in got[1] + got[2]


def full_app_prints(args: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                    capfd: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """What the full app (Typer builds every command) prints, run in this process: the reference.

    Its output goes to captured files, not a terminal, as a process's output goes to pipes; without COLUMNS,
    Click then falls back to 80 columns in both.
    """
    for name in ("COLUMNS", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    environ = dict(os.environ)
    capfd.readouterr()
    try:
        with pytest.raises(SystemExit) as done:
            app(args, prog_name="llmreads")
    finally:
        os.environ.clear()  # what a run sets (--color, --ascii) ends with it, as with the process
        os.environ.update(environ)
    out, err = capfd.readouterr()
    code = done.value.code
    return code if isinstance(code, int) else 1, out, err


def test_help_lists_every_command_with_its_one_line_help_and_loads_no_command_module() -> None:
    code, out, err = run(LOADED + ENTRY, ["--help"], COLUMNS="200")
    assert code == 0
    assert json.loads(err) == []
    # The commands, under their headings (Reading commands:, Tracking commands:...), each on a line at 200 columns.
    commands_part = out.split("\nReading commands:\n", 1)[1]
    listed: list[list[str]] = []
    for line in commands_part.splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            listed.append(line.split(None, 1))
        elif line.startswith("   "):  # a help wrapped onto the next line
            listed[-1][1] += " " + line.strip()
    built = typer.main.get_command(app)
    assert isinstance(built, TyperGroup)
    assert sorted(name for name, _ in listed) == sorted(COMMANDS) == sorted(built.commands)
    for name, help_text in listed:  # whole
        assert help_text.removesuffix("...")
        assert built.commands[name].get_short_help_str(1000).startswith(help_text.removesuffix("..."))


@pytest.mark.parametrize(("args", "suggestion"), [(["shw"], " Did you mean 'show'?"), (["frobnicate", "x"], "")])
def test_an_unknown_command_is_a_usage_error(args: list[str], suggestion: str) -> None:
    code, out, err = run(LOADED + ENTRY, args)
    assert (code, out) == (2, "")
    assert err.startswith("Usage: llmreads [OPTIONS] COMMAND [ARGS]...\nTry 'llmreads -h' for help.\n\n")
    assert f"Error: No such command {args[0]!r}.{suggestion}\n" in err
    assert json.loads(err.splitlines()[-1]) == []  # no module loaded to find out


def test_every_command_module_is_loaded_by_the_full_app() -> None:
    import llmreads.commands

    modules = {m.name for m in pkgutil.iter_modules(llmreads.commands.__path__)}
    assert modules == {listing.module for listing in COMMANDS.values()}
    assert {f"llmreads.commands.{m}" for m in modules} <= set(sys.modules)  # imported by llmreads.cli


def test_the_listings_stand_for_the_commands_typer_builds() -> None:
    built = typer.main.get_command(app)
    assert isinstance(built, TyperGroup)
    ctx = click.Context(built)
    for name, listing in COMMANDS.items():
        command = built.commands[name]
        assert command.help is not None
        assert listing.help == " ".join(command.help.split("\n\n")[0].split()), (
            f"CommandLoaderGroup.COMMANDS[{name!r}] must hold the first paragraph of the command's help"
        )
        assert (command.short_help, command.hidden, command.deprecated) == (None, False, False)
        for limit in (20, 45, 60, 200):
            assert make_default_short_help(listing.help, limit) == command.get_short_help_str(limit)
        loaded = CommandLoaderGroup(name="llmreads")._load(name)
        assert type(loaded) is type(command)
        assert [p.opts for p in loaded.params] == [p.opts for p in command.params]
        if isinstance(command, TyperGroup):
            assert list(loaded.commands) == list(command.commands)  # type: ignore[attr-defined]
    assert [item.value for item in built.shell_complete(ctx, "")] == list(COMMANDS)


def test_a_command_is_built_when_it_is_named_and_only_then() -> None:
    group = CommandLoaderGroup(name="llmreads", rich_markup_mode=None)  # as the app's
    ctx = click.Context(group)
    assert group.list_commands(ctx) == list(COMMANDS)
    group.get_help(ctx)
    assert [item.value for item in group.shell_complete(ctx, "mark-")] == ["mark-read", "mark-reading", "mark-unread"]
    assert group.commands == {}
    assert group.get_command(ctx, "shw") is None
    show = group.get_command(ctx, "show")
    assert show is not None and show.name == "show"
    assert group.get_command(ctx, "show") is show
    assert list(group.commands) == ["show"]


@pytest.mark.parametrize(
    ("args", "modules"),
    [
        (["--help"], []),
        ([], []),  # no command: the help
        (["--db", "x.db"], []),  # missing command
        (["shw"], []),
        (["config", "path"], ["llmreads.commands.config"]),
        (["note", "--help"], ["llmreads.commands.track"]),
        (["show", "--help"], ["llmreads.commands.browse"]),
    ],
)
def test_the_console_script_loads_only_the_module_of_the_command_named(args: list[str], modules: list[str]) -> None:
    _, _, err = run(LOADED + ENTRY, args)
    assert json.loads(err.splitlines()[-1]) == modules


def test_command_help_reads_no_settings(tmp_path: Path) -> None:
    broken = tmp_path / "config.toml"
    broken.write_text("user = [\n")
    code = (
        "import atexit, sys; sys.argv = ['llmreads', 'show', '--help']\nfrom llmreads.entry import main\n"
        "atexit.register(lambda: print(sorted(m for m in ('llmreads.config', 'llmreads.render', 'platformdirs')"
        " if m in sys.modules)))\n"
        "main()"
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


@pytest.mark.parametrize("args", [["--help"], ["list", "--limit", "1"]])
def test_loading_typer_and_the_app_runs_no_collection(args: list[str]) -> None:
    # Importing Typer and the app allocates only what lives until exit: some 30 collections found
    # nothing to free and cost ~5 ms of every start. The collector is off until the freeze, and on after.
    code = (
        "import atexit, gc, sys\n"
        "early = []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'start' and not gc.get_freeze_count() and early.append(1))\n"
        "atexit.register(lambda: print(len(early), gc.isenabled(), file=sys.stderr))\n" + ENTRY
    )
    returncode, _, err = run(code, args)
    assert returncode == 0, err
    assert err.splitlines()[-1] == "0 True"


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


def test_a_finished_command_ends_the_process_with_its_status_after_the_exit_functions(tmp_path: Path, seeded) -> None:
    # entry._finish ends the process itself once the command is done: the output is whole, each exit function
    # runs once, and the status is the command's, for a success and for an error.
    out = tmp_path / "out.tsv"
    code = ("import atexit, sys; sys.argv[0] = 'llmreads'\n"
            "atexit.register(lambda: print('exit function', file=sys.stderr))\n"
            "from llmreads.entry import main; main()")
    with out.open("w") as handle:
        done = subprocess.run([sys.executable, "-c", code, "list"], stdout=handle, stderr=subprocess.PIPE,
                              text=True, env=os.environ.copy(), timeout=60)
    assert (done.returncode, done.stderr) == (0, "exit function\n")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 118
    status, stdout, stderr = run(code, ["show", "no-such-paper"])
    assert (status, stdout) == (1, "")
    assert stderr.startswith("Error: ") and stderr.endswith("exit function\n") and stderr.count("\n") == 2


def test_a_thread_still_running_gets_pythons_own_exit(tmp_path: Path, seeded) -> None:
    # A thread that is not a daemon would be cut short by ending the process at once: Python waits for it.
    done = tmp_path / "done"
    code = ("import sys, threading, time; sys.argv[0] = 'llmreads'\n"
            f"threading.Thread(target=lambda: (time.sleep(0.3), open({str(done)!r}, 'w').close())).start()\n"
            "from llmreads.entry import main; main()")
    assert run(code, ["lists"])[0] == 0
    assert done.exists()
