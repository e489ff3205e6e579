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
    query: Annotated[list[str] | None, typer.Argument(help="A search to start with.", show_default=False)] = None,
    section: SectionOpt = None,
    stars: StarsOpt = None,
    status: StatusOpt = None,
    list_name: ListOpt = None,
) -> None:
    """Browse, search and track your reading on one keyboard-driven screen."""
    if not (os.isatty(0) and os.isatty(1)):
        raise LlmreadsError("browse needs a terminal; `llmreads list` and `llmreads search` print to pipes")
    st = state(ctx)
    conn = st.conn()
    chosen_list = list_name or st.default_list
    build_filters(conn, section, stars, status, chosen_list)  # an unknown list or section: Error, before the screen
    from llmreads.tui.app import BrowseApp, run_browse

    run_browse(BrowseApp(
        conn, st.user, st.db_path, list_name=chosen_list, section=section, stars=stars,
        status=str(status) if status is not None else None, query=" ".join(query or []),
    ))
