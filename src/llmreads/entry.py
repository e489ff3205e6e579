"""Process entry point: load only what the command named on the command line needs.

`--version` is answered before the command-line framework loads at all; a
command loads its own module alone, so Typer builds one Click command rather
than all of them (each costs it ~0.2 ms of annotation evaluation). Shell
completion does the same for the command on the line being completed.
`--help`, completing a command name and unknown names load every module
but build no command until one is named (llmreads.cli.command).
"""

import os
import sys

# Which module of llmreads.commands registers each command or command group.
COMMAND_MODULES = {
    "list": "browse", "search": "browse", "sections": "browse", "show": "browse",
    "progress": "browse", "next": "browse", "open": "browse",
    "mark-read": "track", "mark-reading": "track", "mark-unread": "track", "users": "track", "note": "track",
    "import": "lists", "lists": "lists", "remove-list": "lists",
    "export": "export", "user-data": "export",
    "config": "config",
    "db": "db",
}

# Global options that take a value, so the command name can be found after them.
_VALUE_OPTIONS = ("--db", "--user")


def invoked_command(argv: list[str]) -> str | None:
    """The command (or command group) named on a command line, if any."""
    args = iter(argv)
    for arg in args:
        if arg in _VALUE_OPTIONS:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    try:
        _main()
    finally:
        _flush_output()


def _flush_output() -> None:
    """Flush stdout now; if the reader has gone (`llmreads list | head -1`), end quietly with status 0.

    Output a command wrote in full may still sit in the buffer when the
    reader closes the pipe: Python would report the failed flush at exit and
    end with status 120.
    """
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the flush at exit then has somewhere to go
        raise SystemExit(0) from None


def _main() -> None:
    argv = sys.argv[1:]
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            # Bytes that are not UTF-8 arrive as lone surrogates; SQLite cannot store them.
            shown = arg.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            print(f'Error: argument "{shown}" is not UTF-8 text', file=sys.stderr)
            raise SystemExit(1) from None
    if argv == ["--version"]:
        from llmreads import __version__

        print(f"llmreads {__version__}")
        return
    instruction = os.environ.get("_LLMREADS_COMPLETE")  # set by the shell's completion script
    if instruction:
        from llmreads.completion import words_before_cursor

        words = words_before_cursor(instruction)
        name = invoked_command(words) if words is not None else None
    else:
        name = invoked_command(argv)
    module = COMMAND_MODULES.get(name or "")
    if module is None:
        from llmreads.cli import run

        freeze_loaded()
        run()
        return
    import importlib

    from llmreads.app import app

    importlib.import_module(f"llmreads.commands.{module}")
    app.registered_commands = [c for c in app.registered_commands if c.name == name]
    app.registered_groups = [g for g in app.registered_groups if g.name == name]
    freeze_loaded()
    app()


def freeze_loaded() -> None:
    """Keep the garbage collector off everything loaded so far.

    Those objects (the modules of Python, Typer and llmreads) live until the
    process exits, yet the collection Python makes at exit walks them all:
    ~6 ms after Typer's import, a tenth of a start-up. Frozen, they are left
    out of every later collection; what the command itself creates is
    collected as before.
    """
    import gc

    gc.freeze()
