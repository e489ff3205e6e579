"""Commands that read: list, next, search, sections, show, open, progress."""


from typing import Annotated

import typer

from llmreads.app import (
    JsonOpt,
    LimitOpt,
    ListOpt,
    RefArg,
    SectionOpt,
    StarsOpt,
    StatusOpt,
    app,
    build_filters,
    check_limit,
    state,
)


@app.command("list")
def list_command(
    ctx: typer.Context,
    section: SectionOpt = None,
    stars: StarsOpt = None,
    status: StatusOpt = None,
    list_name: ListOpt = None,
    sort: Annotated[str, typer.Option("--sort", help="list, stars or title.")] = "list",
    limit: LimitOpt = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Include papers no list holds any more that keep your statuses or notes.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """List papers, filtered by section, stars and reading status."""
    from llmreads import render, store
    from llmreads.errors import InvalidQuery

    check_limit(limit)
    if sort not in ("list", "stars", "title"):
        raise InvalidQuery(f"--sort must be one of list, stars, title, not {sort!r}")
    st = state(ctx)
    conn = st.conn()
    filters = build_filters(conn, section, stars, status, list_name or st.default_list)
    rows = store.list_papers(conn, st.user, filters, sort=sort, limit=limit, include_unlisted=all_)
    if json_:
        render.emit_json(render.to_json(rows))
        return
    total = len(rows) if limit is None else store.count_papers(conn, st.user, filters, include_unlisted=all_)
    render.papers(rows, total=total, description=" · ".join(f.description for f in filters))


@app.command("search")
def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words to find.")],
    section: SectionOpt = None,
    stars: StarsOpt = None,
    status: StatusOpt = None,
    list_name: ListOpt = None,
    sort: Annotated[
        str, typer.Option("--sort", help="relevance (title hits, then stars, then list order), stars or list.")
    ] = "relevance",
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="Show at most this many (default 20).")] = None,
    no_notes: Annotated[bool, typer.Option("--no-notes", help="Do not search your notes.")] = False,
    raw: Annotated[bool, typer.Option("--raw", help="Pass the query to SQLite FTS5 as it is.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Search titles, introductions, link texts and your notes, in English or Chinese.

    Words are ANDed: `lora 微调`. "an exact phrase" in quotes. a OR b.
    -word or NOT word leaves papers out. title:word looks in titles only.
    Short words match as prefixes: `transform` finds Transformers.
    Anything else is literal text; --raw passes FTS5 syntax through.
    """
    from llmreads import render, store
    from llmreads.errors import InvalidQuery

    check_limit(limit)
    if sort not in ("relevance", "stars", "list"):
        raise InvalidQuery(f"--sort must be one of relevance, stars, list, not {sort!r}")
    st = state(ctx)
    conn = st.conn()
    filters = build_filters(conn, section, stars, status, list_name or st.default_list)
    shown = limit if limit is not None or json_ else 20
    result = store.search(
        conn, st.user, query, filters, sort=sort, limit=shown, notes=not no_notes, raw=raw, scores=json_
    )
    if json_:
        render.emit_json(render.to_json(result.papers))
        return
    render.search_results(result, query=query)


@app.command("sections")
def sections_command(ctx: typer.Context, list_name: ListOpt = None, json_: JsonOpt = False) -> None:
    """Show the section tree with paper counts and your read counts."""
    from llmreads import render, store

    st = state(ctx)
    tree = store.sections_tree(st.conn(), st.user, list_name or st.default_list)
    if json_:
        render.emit_json(tree)
    else:
        render.sections(tree)


@app.command("show")
def show_command(
    ctx: typer.Context,
    ref: RefArg,
    json_: JsonOpt = False,
) -> None:
    """Show everything about one paper: sections, introductions, links, your status and notes."""
    from llmreads import render, store

    st = state(ctx)
    conn = st.conn()
    detail = store.paper_detail(conn, st.user, store.resolve_ref(conn, ref))
    if json_:
        render.emit_json(detail)
    else:
        render.paper(detail)


@app.command("progress")
def progress_command(ctx: typer.Context, list_name: ListOpt = None, json_: JsonOpt = False) -> None:
    """Show your reading progress per section and per star level."""
    from llmreads import render, store

    st = state(ctx)
    data = store.progress(st.conn(), st.user, list_name or st.default_list)
    if json_:
        render.emit_json(data)
    else:
        render.progress(data)


@app.command("next")
def next_command(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("--count", "-n", help="How many papers.")] = 5,
    section: SectionOpt = None,
    list_name: ListOpt = None,
    json_: JsonOpt = False,
) -> None:
    """What to read next: papers you are reading, then unread ones, most stars first, in list order."""
    from llmreads import render, store

    check_limit(count, "--count")
    st = state(ctx)
    conn = st.conn()
    filters = [*build_filters(conn, section, None, None, list_name or st.default_list), store.not_read_filter()]
    rows = store.list_papers(conn, st.user, filters, sort="next", limit=count)
    if json_:
        render.emit_json(render.to_json(rows))
        return
    if not rows:
        print("Nothing left to read here. Well done.")
        return
    render.papers(rows, total=store.count_papers(conn, st.user, filters), description="next to read")


@app.command("open")
def open_command(
    ctx: typer.Context,
    ref: RefArg,
    print_only: Annotated[bool, typer.Option("--print", help="Only print the link.")] = False,
) -> None:
    """Open a paper's link in the browser."""
    from llmreads import render, store
    from llmreads.errors import InvalidQuery

    st = state(ctx)
    conn = st.conn()
    paper = store.paper_summary(conn, st.user, store.resolve_ref(conn, ref))
    url = paper.url
    if not url and paper.arxiv:
        url = f"https://arxiv.org/abs/{paper.arxiv}"
    if not url.lower().startswith(("https://", "http://")):
        raise InvalidQuery(f"{paper.id} has no web link to open" + (f" (its link is {url!r})" if url else ""))
    render.link(url)
    if not print_only:
        typer.launch(url)
