"""Process entry point: load only what the command named on the command line needs.

`--version` is answered before the command-line framework loads at all; a
command loads its own module alone, so Typer builds one Click command rather
than all of them (each costs it ~0.5 ms of annotation evaluation). Help,
completion and unknown names load the full app (llmreads.cli).
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
    name = invoked_command(argv)
    module = COMMAND_MODULES.get(name or "")
    if module is None or os.environ.get("_LLMREADS_COMPLETE"):
        from llmreads.cli import app
    else:
        import importlib

        from llmreads.app import app

        importlib.import_module(f"llmreads.commands.{module}")
        app.registered_commands = [c for c in app.registered_commands if c.name == name]
        app.registered_groups = [g for g in app.registered_groups if g.name == name]
    app()
