"""Command layer entry point: the Typer app with every command group registered."""

from __future__ import annotations

import os
import sys

from llmreads.app import app
from llmreads.commands import browse, config, export, lists, track  # noqa: F401  (registers the commands)

__all__ = ["app", "run"]


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


def register_only(name: str | None) -> None:
    """Keep only the invoked command registered, when there is one.

    Typer builds a Click command for every registered command on each run,
    evaluating every annotation: about 10 ms here, for one command used.
    Help, completion and unknown names keep the full set.
    """
    if name is None or os.environ.get("_LLMREADS_COMPLETE"):
        return
    commands = [c for c in app.registered_commands if c.name == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if commands or groups:
        app.registered_commands = commands
        app.registered_groups = groups


def run() -> None:
    """Console-script entry point."""
    register_only(invoked_command(sys.argv[1:]))
    app()
