"""Command layer, the screen: `llmreads browse` opens llmreads.tui over the same database and user."""


import os
from typing import Annotated

import typer

from llmreads.app import ListOpt, SectionOpt, app, build_filters, state
from llmreads.errors import LlmreadsError
from llmreads.options import StarsOpt, StatusOpt


@app.command("browse")
def browse_command(
    ctx: typer.Context,
    query: Annotated[
        list[str] | None,
        typer.Argument(help="A search to start with; no quotes needed.", metavar="[QUERY]...", show_default=False),
    ] = None,
    section: SectionOpt = None,
    stars: StarsOpt = None,
    status: StatusOpt = None,
    list_name: ListOpt = None,
    tag: Annotated[
        str | None, typer.Option("--tag", "-t", help="Only papers you tagged so.", show_default=False)
    ] = None,
) -> None:
    """Browse, search and track your reading on one keyboard-driven screen."""
    if not (os.isatty(0) and os.isatty(1)):
        raise LlmreadsError("browse needs a terminal; `llmreads list` and `llmreads search` print to pipes")
    from llmreads.config import config_glossary
    from llmreads.store.filters import tag_filter

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    chosen_list = list_name or st.default_list
    build_filters(conn, section, stars, status, chosen_list)  # an unknown list or section: Error, before the screen
    chosen_tag = tag_filter(tag).params[0] if tag is not None else None  # a tag that cannot be one: Error too
    from llmreads.tui.app import BrowseApp, run_browse

    run_browse(BrowseApp(
        conn, st.user, st.db_path, list_name=chosen_list, section=section, stars=stars,
        status=str(status) if status is not None else None, tag=str(chosen_tag) if chosen_tag else None,
        query=" ".join(query or []), glossary_terms=config_glossary(),
    ))
