"""Commands that look after the database file: db path, db status, db backup, db restore."""


from pathlib import Path
from typing import Annotated

import typer

from llmreads.app import Group, JsonOpt, app, state

db_app = typer.Typer(
    cls=Group,
    help="Where the database is and what it holds; back it up and restore it.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")


@db_app.command("path")
def db_path_command(ctx: typer.Context) -> None:
    """Print the database file's path (nothing is opened or created)."""
    from llmreads import render

    render.path(state(ctx).db_path.absolute())


@db_app.command("status")
def db_status_command(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the database file, its size, schema, journal mode, a quick check of its pages and what it holds."""
    from llmreads import maintenance, render

    data = maintenance.status(state(ctx).db_path)
    if json_:
        render.emit_json(data)
    else:
        render.db_status(data)


@db_app.command("backup")
def db_backup_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The backup file to write.", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH if it exists.")] = False,
) -> None:
    """Copy the database to PATH, consistently even while it is in use; the copy is private (0600)."""
    from llmreads import maintenance, render
    from llmreads.config import expand_user

    report = maintenance.backup(state(ctx).db_path, expand_user(str(path), "PATH"), force=force)
    render.backup_done(report)


@db_app.command("restore")
def db_restore_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A backup made by `llmreads db backup`.", show_default=False)],
) -> None:
    """Replace the database with a backup after checking it; the replaced database is kept aside."""
    from llmreads import maintenance, render
    from llmreads.config import expand_user

    report = maintenance.restore(state(ctx).db_path, expand_user(str(path), "FILE"))
    render.restore_done(report)
