"""Commands that read: list, next, search, sections, show, open, progress."""


from typing import Annotated

import typer

from llmreads import completion
from llmreads.app import (
    JsonOpt,
    ListOpt,
    RefArg,
    SectionOpt,
    app,
    build_filters,
    state,
)
from llmreads.options import (
    LimitOpt,
    ListSort,
    ProgressBy,
    SearchSort,
    StarsOpt,
    StatusOpt,
    YearOpt,
    at_most,
)


@app.command("list")
def list_command(
    ctx: typer.Context,
    section: SectionOpt = None,
    stars: StarsOpt = None,
    status: StatusOpt = None,
    list_name: ListOpt = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help="Only papers you tagged so (repeat it: papers with all of them).",
                     show_default=False, autocompletion=completion.tags),
    ] = None,
    my_stars: Annotated[
        int | None, typer.Option("--my-stars", help="At least this many of your own stars.", min=1, max=5)
    ] = None,
    sort: Annotated[
        ListSort,
        typer.Option("--sort", help="List order, most stars first (then list order), by title, most of your"
                     " stars first, or most recently read first."),
    ] = ListSort.LIST,
    limit: LimitOpt = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Include papers no list holds any more that keep your statuses or notes.")
    ] = False,
    year: YearOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List papers, filtered by section, stars and reading status."""
    from llmreads import render
    from llmreads.store.filters import my_stars_filter, tag_filter
    from llmreads.store.papers import count_papers, list_papers

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    filters = build_filters(conn, section, stars, status, list_name or st.default_list)
    filters += [tag_filter(tag) for tag in tags or []]
    if my_stars is not None:
        filters.append(my_stars_filter(my_stars))
    if year is not None:
        from llmreads.query import parse_years
        from llmreads.store.filters import year_filter

        filters.append(year_filter(*parse_years(year, "--year")))
    rows = list_papers(conn, st.user, filters, sort=sort, limit=limit, include_unlisted=all_)
    if json_:
        render.emit_json(render.to_json(rows))
        return
    total = len(rows) if limit is None else count_papers(conn, st.user, filters, include_unlisted=all_)
    render.papers(rows, total=total, description=" · ".join(f.description for f in filters))


@app.command("search")
def search_command(
    ctx: typer.Context,
    words: Annotated[
        list[str], typer.Argument(help="Words to find; no quotes needed.", metavar="QUERY...", show_default=False)
    ],
    section: SectionOpt = None,
    stars: StarsOpt = None,
    status: StatusOpt = None,
    list_name: ListOpt = None,
    sort: Annotated[
        SearchSort,
        typer.Option("--sort", help="The order; relevance: as Ranking above says."),
    ] = SearchSort.RELEVANCE,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", help="Show at most this many (default 20).", min=1, callback=at_most),
    ] = None,
    no_notes: Annotated[bool, typer.Option("--no-notes", help="Do not search your notes.")] = False,
    exact: Annotated[
        bool, typer.Option("--exact", help="Only the words as typed: no other forms from the glossary.")
    ] = False,
    raw: Annotated[bool, typer.Option("--raw", help="Pass the query to SQLite FTS5 as it is.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Search titles, introductions, sections, link texts and your notes, in English or Chinese.

    Words are ANDed: `lora 微调`. "an exact phrase" in quotes. a OR b.
    -word or NOT word leaves papers out. title:word looks in titles only.
    tag:T keeps the papers you tagged T (-tag:T the others); alone, it lists them.
    author:vaswani and year:2023 (or year:2022..2023) filter by metadata.
    Short words match as prefixes: `transform` finds Transformers.
    Traditional and Simplified Chinese find each other: 微調 finds 微调.
    A term of the glossary finds its other forms too, also glued to other
    text: 思维链 finds chain-of-thought, and chain-of-thought finds 思维链;
    --exact does not. Anything else is literal text; --raw passes FTS5 syntax
    through.

    Ranking: the words as typed in the title, then another form of them in
    the title, then the words as typed elsewhere (introductions, section
    titles, extra columns, link texts, notes), then another form elsewhere; within each, most stars first, then
    list order. --json hits carry `matched`, the forms each paper holds.
    """
    from llmreads import render
    from llmreads.config import config_glossary
    from llmreads.store.search import search

    query = " ".join(words)
    if not query.strip():
        raise typer.BadParameter("give the words to find; the query is empty", param_hint="'QUERY...'")
    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    filters = build_filters(conn, section, stars, status, list_name or st.default_list)
    # A terminal shows a page; JSON and a pipe get every hit, as `list` gives them.
    shown = limit if limit is not None or json_ or not render.is_terminal() else 20
    result = search(
        conn, st.user, query, filters, sort=sort, limit=shown, notes=not no_notes, raw=raw, scores=json_,
        exact=exact, glossary_terms=() if exact or raw else config_glossary(), matched=json_,
        details=json_,
    )
    if json_:
        render.emit_json(render.to_json(result.papers))
        return
    render.search_results(result, query=query, description=" · ".join(f.description for f in filters))


@app.command("sections")
def sections_command(ctx: typer.Context, list_name: ListOpt = None, json_: JsonOpt = False) -> None:
    """Show the section tree with paper counts and your read counts."""
    from llmreads import render
    from llmreads.store.tracking import sections_tree

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    tree = sections_tree(conn, st.user, list_name or st.default_list)
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
    from llmreads import render
    from llmreads.store.papers import paper_detail, resolve_ref

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    detail = paper_detail(conn, st.user, resolve_ref(conn, ref))
    if json_:
        render.emit_json(detail)
    else:
        render.paper(detail)


@app.command("progress")
def progress_command(
    ctx: typer.Context,
    list_name: ListOpt = None,
    by: Annotated[
        ProgressBy, typer.Option("--by", help="section: per section and star level; month: papers read per month.")
    ] = ProgressBy.SECTION,
    json_: JsonOpt = False,
) -> None:
    """Show your reading progress per section and per star level."""
    from llmreads import render
    from llmreads.store.tracking import progress

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    if by == ProgressBy.MONTH:
        from llmreads.store.personal import read_by_month

        chosen = list_name or st.default_list
        months = read_by_month(conn, st.user, chosen)
        if json_:
            render.emit_json([{"month": m.month, "read": m.read} for m in months])
        else:
            render.read_by_month(months, chosen)
        return
    data = progress(conn, st.user, list_name or st.default_list)
    if json_:
        render.emit_json(data)
    else:
        render.progress(data)


@app.command("next")
def next_command(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("--count", "-n", help="How many papers.", min=1, callback=at_most)] = 5,
    section: SectionOpt = None,
    list_name: ListOpt = None,
    json_: JsonOpt = False,
) -> None:
    """What to read next: papers you are reading, then unread ones, most stars first, in list order."""
    from llmreads import render
    from llmreads.store.filters import not_read_filter
    from llmreads.store.papers import count_papers, list_papers

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    filters = [*build_filters(conn, section, None, None, list_name or st.default_list), not_read_filter()]
    rows = list_papers(conn, st.user, filters, sort="next", limit=count)
    if json_:
        render.emit_json(render.to_json(rows))
        return
    if not rows:
        render.nothing_next()
        return
    render.papers(rows, total=count_papers(conn, st.user, filters), description="next to read")


@app.command("open")
def open_command(
    ctx: typer.Context,
    ref: RefArg,
    print_only: Annotated[bool, typer.Option("--print", help="Only print the link.")] = False,
    pdf: Annotated[bool, typer.Option("--pdf", help="The PDF (arxiv.org/pdf/ID for an arXiv paper).")] = False,
) -> None:
    """Open a paper's link in the browser.

    An arXiv paper opens on arxiv.org/abs/ID (--pdf: its PDF), any other at its own link.
    """
    from llmreads import render
    from llmreads.aliases import same_keys
    from llmreads.errors import InvalidQuery, LlmreadsError
    from llmreads.keys import arxiv_from_ref
    from llmreads.store.papers import paper_summary, resolve_ref

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    paper = paper_summary(conn, st.user, resolve_ref(conn, ref))
    # An arXiv id from the paper, its key or any key it had: arxiv.org outlives CDN and mirror links.
    arxiv = paper.arxiv or next(
        (found for key in same_keys(conn, paper.key) if (found := arxiv_from_ref(key.removeprefix("arxiv:")))), None
    )
    url = paper.url
    if arxiv:
        url = f"https://arxiv.org/{'pdf' if pdf else 'abs'}/{arxiv}"
    if not url.lower().startswith(("https://", "http://")):
        raise InvalidQuery(f"{paper.id} has no web link to open" + (f" (its link is {url!r})" if url else ""))
    render.link(url)
    if not print_only and not _open_in_browser(url):
        raise LlmreadsError("no browser could be started (set BROWSER to one); nothing was opened: the link is above")


def _open_in_browser(url: str) -> bool:
    """Open `url` in the browser Python finds (BROWSER, xdg-open, ...); False when there is none or it failed."""
    import webbrowser

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
