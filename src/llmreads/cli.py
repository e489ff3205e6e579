"""Command layer, assembled: the Typer app with every command group registered.

Tests use `app`; the console script (llmreads.entry) loads a single command's
module when the command line names one, and `command()` otherwise.
"""

from __future__ import annotations

import typer
from typer.models import CommandInfo, TyperInfo

from llmreads.app import Group, Placeholder, app
from llmreads.commands import browse, config, db, export, lists, track  # noqa: F401  (registers the commands)

__all__ = ["app", "command", "run"]


def command() -> Group:
    """The app as a Click group whose commands are built only when one is run or completed.

    `--help`, completing a command name and the usage errors only list the
    commands, which Placeholders do at a fraction of the cost of building
    them. The group itself, with its options, is built by Typer as usual.
    """
    commands, groups = app.registered_commands, app.registered_groups
    app.registered_commands, app.registered_groups = [], []
    try:
        group = typer.main.get_command(app)
    finally:
        app.registered_commands, app.registered_groups = commands, groups
    assert isinstance(group, Group)
    # Typer's order: the commands, then the command groups, each as registered.
    registered: list[CommandInfo | TyperInfo] = [*commands, *groups]
    for info in registered:
        group.add_command(Placeholder(info, app))
    return group


def run() -> None:
    """Run the full app, building only the command that runs."""
    command()()
