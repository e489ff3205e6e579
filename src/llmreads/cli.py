"""Command layer entry point: the Typer app with every command group registered."""

from __future__ import annotations

from llmreads.app import app
from llmreads.commands import browse, config, export, lists, track  # noqa: F401  (registers the commands)

__all__ = ["app", "run"]


def run() -> None:
    """Console-script entry point."""
    app()
