"""Commands that manage lists: import, lists, remove-list."""


from typing import Annotated

import typer

from llmreads.app import JsonOpt, app, state


@app.command("import")
def import_command(
    ctx: typer.Context,
    path: Annotated[str | None, typer.Argument(help="Markdown file, - for stdin; default the bundled list.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="List name (default: the document's title).")] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="The file's encoding (default: by BOM, UTF-8, GB18030).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report the changes without writing them.")] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on any row that cannot be read or item that looks like a paper.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every item left out, not only how many.")
    ] = False,
    with_user_data: Annotated[
        bool,
        typer.Option(
            "--with-user-data",
            help="Read the ✅ and quoted notes of an llmreads export as yours, on papers where you have none.",
        ),
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Import a markdown paper list; re-importing updates it and keeps your statuses and notes."""
    from llmreads import render
    from llmreads.sources import import_path

    st = state(ctx)
    conn = st.conn()
    report = import_path(
        conn, path, name=name, encoding=encoding, dry_run=dry_run, strict=strict,
        reader=st.user if with_user_data else None,
    )
    if json_:
        from dataclasses import asdict

        render.emit_json(asdict(report))
    else:
        render.import_report(report)
    render.import_left_out(report, verbose=verbose)


@app.command("lists")
def lists_command(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the imported lists: source, title, stated update date, papers, import time."""
    from llmreads import render
    from llmreads.store.papers import lists

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    rows = lists(conn)
    if json_:
        render.emit_json(rows)
    else:
        render.lists(rows)


@app.command("remove-list")
def remove_list_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The list's name (see `llmreads lists`).")],
    force: Annotated[
        bool, typer.Option("--force", help="Remove a list of your own too (papers you added).")
    ] = False,
) -> None:
    """Remove a list's papers and sections; your statuses and notes are kept."""
    from llmreads import render
    from llmreads.store.papers import remove_list

    removed = remove_list(state(ctx).conn(), name, force=force)
    render.list_removed(removed)
