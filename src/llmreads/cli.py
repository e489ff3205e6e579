"""Command layer, assembled: the Typer app with every command group registered.

Tests and `--help` use this; the console script (llmreads.entry) loads a
single command's module when it can.
"""

from __future__ import annotations

from llmreads.app import app
from llmreads.commands import browse, config, db, export, lists, track  # noqa: F401  (registers the commands)

__all__ = ["app", "run"]


def run() -> None:
    """Run the full app."""
    app()
