"""Commands that manage lists: import, lists."""

from __future__ import annotations

from typing import Annotated

import typer

from llmreads.app import JsonOpt, app, state


@app.command("import")
def import_command(
    ctx: typer.Context,
    path: Annotated[str | None, typer.Argument(help="Markdown file, - for stdin; default the bundled list.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="List name (default: the document's title).")] = None,
) -> None:
    """Import a markdown paper list (re-importing updates it, keeping your statuses and notes)."""
    from llmreads import render
    from llmreads.sources import import_path

    report = import_path(state(ctx).conn(autoimport=False), path, name=name)
    render.import_report(report)


@app.command("lists")
def lists_command(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the imported lists."""
    from llmreads import render, store

    rows = store.lists(state(ctx).conn())
    if json_:
        render.emit_json(rows)
        return
    for row in rows:
        print(f"{row['name']}\t{row['papers']} papers\tupdated {row['updated'] or '-'}\t"
              f"imported {row['imported_at']}\t{row['source']}")


