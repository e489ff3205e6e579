"""Command layer, assembled: the Typer app with every command module imported.

Importing this module registers every command with `app` up front, so Typer
builds them all when the app runs, as it builds any app: what the tests run,
and the reference the console script is checked against. The console script
(llmreads.entry) runs the same `app` without this import: its group,
app.CommandLoaderGroup, imports a command's module only when the command is named.
"""

from __future__ import annotations

from llmreads.app import app
from llmreads.commands import browse, config, db, export, library, lists, personal, track, tui  # noqa: F401

__all__ = ["app"]
