"""Commands for your own view of papers: tag, untag, tags, rate and history."""


from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from llmreads import completion
from llmreads.app import JsonOpt, RefArg, app, state
from llmreads.dates import month_span, since_date

if TYPE_CHECKING:
    import sqlite3

TagsArg = Annotated[
    list[str],
    typer.Argument(help="Tags: words such as peft or 必读; case does not matter.", show_default=False,
                   autocompletion=completion.tags),
]


@app.command("tag")
def tag_command(ctx: typer.Context, ref: RefArg, tags: TagsArg, json_: JsonOpt = False) -> None:
    """Tag a paper with words of your own."""
    from llmreads.store.personal import add_tags

    _change_tags(ctx, ref, tags, json_, add_tags)


@app.command("untag")
def untag_command(ctx: typer.Context, ref: RefArg, tags: TagsArg, json_: JsonOpt = False) -> None:
    """Take tags off a paper."""
    from llmreads.store.personal import remove_tags

    _change_tags(ctx, ref, tags, json_, remove_tags)


def _change_tags(
    ctx: typer.Context, ref: str, tags: list[str], json_: bool,
    change: "Callable[[sqlite3.Connection, str, int, Sequence[str]], object]",
) -> None:
    """tag and untag: change the paper's tags through the store, then show the paper with its tags."""
    from llmreads import render
    from llmreads.store.papers import paper_summary, resolve_ref

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    pid = resolve_ref(conn, ref)
    change(conn, st.user, pid, tags)
    paper = paper_summary(conn, st.user, pid)
    if json_:
        render.emit_json(render.to_json([paper])[0])
    else:
        render.paper_tags(paper)


@app.command("tags")
def tags_command(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Your tags, each with the number of papers it is on."""
    from llmreads import render
    from llmreads.store.personal import tag_counts

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    counts = tag_counts(conn, st.user)
    if json_:
        render.emit_json([{"tag": c.tag, "papers": c.papers} for c in counts])
    else:
        render.tag_counts(counts)


@app.command("rate")
def rate_command(
    ctx: typer.Context,
    ref: RefArg,
    stars: Annotated[int, typer.Argument(help="Your stars, 1 to 5; 0 clears your rating.", min=0, max=5)],
    json_: JsonOpt = False,
) -> None:
    """Give a paper your own stars, 1 to 5 (0 clears them)."""
    from llmreads import render
    from llmreads.store.papers import paper_summary, resolve_ref
    from llmreads.store.personal import set_rating

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    pid = resolve_ref(conn, ref)
    set_rating(conn, st.user, pid, stars)
    paper = paper_summary(conn, st.user, pid)
    if json_:
        render.emit_json(render.to_json([paper])[0])
    else:
        render.rated(paper)


@app.command("history")
def history_command(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only changes from this local date (or date-time) on, such as 2026-11-01.",
                     show_default=False),
    ] = None,
    month: Annotated[
        str | None,
        typer.Option("--month", help="Only changes in this local month, such as 2026-11.", show_default=False),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Every change of your reading statuses, newest first."""
    from llmreads import render
    from llmreads.store.personal import history

    start = since_date(since)
    span = month_span(month)
    until = None
    if span is not None:
        start = span[0] if start is None else max(start, span[0])
        until = span[1]
    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    found = history(conn, st.user, start, until)
    if json_:
        render.emit_json([event.as_dict() for event in found])
    else:
        render.history(found)
