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
    print(state(ctx).db_path.absolute())


@db_app.command("status")
def db_status_command(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the database file, its size, schema, journal mode, a quick check of its pages and what it holds."""
    from llmreads import maintenance, render
    from llmreads.db import RESTORE_HINT

    data = maintenance.status(state(ctx).db_path)
    if json_:
        render.emit_json(data)
        return
    schema = data["schema"]
    assert isinstance(schema, dict)
    applied, latest = schema["applied"], schema["latest"]
    if schema["unknown"]:
        verdict = f"written by a newer llmreads ({', '.join(schema['unknown'])}); upgrade llmreads"
    elif schema["pending"]:
        verdict = f"older; {', '.join(schema['pending'])} will be applied on next use"
    else:
        verdict = "up to date"
    rows = [
        ("file", data["file"]),
        ("size", f"{data['size']} bytes" + (f" (+ {data['wal_size']} in the -wal file)" if data["wal_size"] else "")),
        ("schema", f"{', '.join(applied) or '(empty)'} / latest {latest}: {verdict}"),
        ("journal", data["journal_mode"]),
        ("check", "ok (PRAGMA quick_check)" if data["quick_check"] == "ok"
         else f"DAMAGED: {data['quick_check']}; {RESTORE_HINT}"),
    ]
    for name in ("lists", "papers", "users", "notes", "statuses"):
        rows.append((name, "-" if data[name] is None else data[name]))
    for label, value in rows:
        print(f"{label:<9} {value}")


@db_app.command("backup")
def db_backup_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The backup file to write.", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH if it exists.")] = False,
) -> None:
    """Copy the database to PATH, consistently even while it is in use; the copy is private (0600)."""
    from llmreads import maintenance
    from llmreads.config import expand_user

    report = maintenance.backup(state(ctx).db_path, expand_user(str(path), "PATH"), force=force)
    print(f"Backed up {report.database} to {report.backup} ({report.size} bytes, schema {report.schema[-1]}).")


@db_app.command("restore")
def db_restore_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A backup made by `llmreads db backup`.", show_default=False)],
) -> None:
    """Replace the database with a backup after checking it; the replaced database is kept aside."""
    from llmreads import maintenance
    from llmreads.config import expand_user

    report = maintenance.restore(state(ctx).db_path, expand_user(str(path), "FILE"))
    print(f"Restored {report.backup} into {report.database}.")
    if report.replaced is not None:
        if report.replaced.exists():
            print(f"The database it replaced is kept at {report.replaced}")
        else:
            print(f"Leftover -wal/-shm files of a deleted database were moved to {report.replaced}-*")
