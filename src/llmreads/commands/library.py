"""Commands of the reader's own library: add, enrich, edit."""


from typing import TYPE_CHECKING, Annotated

import typer

from llmreads import completion
from llmreads.app import JsonOpt, app, state
from llmreads.options import StatusChoice

if TYPE_CHECKING:
    import sqlite3

    from llmreads.config import Services
    from llmreads.fetch import Record
    from llmreads.refs import Ref
    from llmreads.store.library import NewPaper


ENRICH_HINT = "run `llmreads enrich` to fetch it later"


@app.command("add")
def add_command(
    ctx: typer.Context,
    refs: Annotated[
        list[str], typer.Argument(help="arXiv ids or URLs, DOIs or doi.org URLs, or other URLs (with --title).")
    ],
    list_name: Annotated[
        str | None, typer.Option("--list", help="A list of yours to add them to (default: added).")
    ] = None,
    section: Annotated[
        str | None, typer.Option("--section", "-s", help="A section of that list, made if it has none of that name.")
    ] = None,
    status: Annotated[
        StatusChoice | None, typer.Option("--status", help="Your reading status of the papers.", case_sensitive=False)
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note on each paper added.")] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help="A tag of yours for each paper, also one already there (repeat it).",
                     show_default=False, autocompletion=completion.tags),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="The paper's title (needed for a URL that is not arXiv or a DOI).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Add papers by arXiv id, DOI or URL to a list of your own, with metadata from arXiv or Crossref."""
    from llmreads import render
    from llmreads.config import services
    from llmreads.errors import InvalidQuery
    from llmreads.refs import parse_ref
    from llmreads.store.library import add_papers, default_list_name
    from llmreads.store.personal import normal_tag

    try:
        wanted_tags = list(dict.fromkeys(normal_tag(tag) for tag in tags or []))
    except InvalidQuery as exc:
        raise InvalidQuery(f"--tag: {exc}") from None
    parsed = list({ref.key: ref for ref in map(parse_ref, refs)}.values())
    if title is not None and not title.strip():
        raise InvalidQuery("--title needs some text")
    if title is not None and len(parsed) > 1:
        raise InvalidQuery(f"--title names one paper, but {len(parsed)} were given")
    settings = services()
    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    papers, problems, notices = gather(conn, parsed, title, settings)
    name = list_name if list_name is not None else default_list_name(conn, st.user)
    results = add_papers(conn, st.user, name, papers, section=section,
                         status=status.value if status is not None else None, note=note, tags=wanted_tags)
    if json_:
        from dataclasses import asdict

        render.emit_json([asdict(result) for result in results])
    else:
        render.added(results)
    for problem in problems:
        render.info(f"llmreads: metadata not fetched: {problem}; {ENRICH_HINT}")
    for notice in notices:
        render.info(f"llmreads: {notice}")


def gather(
    conn: "sqlite3.Connection", refs: "list[Ref]", title: str | None, settings: "Services"
) -> "tuple[list[NewPaper], list[str], list[str]]":
    """The papers to add, with the records the services give for those the database lacks, what failed,
    and the arXiv records whose title more than one paper here has (not linked to any of them).

    Nothing is written here: the network is asked before the write lock is taken.
    """
    from llmreads.errors import InvalidQuery, NotFound
    from llmreads.fetch import FetchFailed
    from llmreads.fetch.arxiv import ArxivClient
    from llmreads.fetch.crossref import CrossrefClient
    from llmreads.store.library import NewPaper, find_paper, has_metadata, papers_titled

    present = {ref.key: find_paper(conn, ref) for ref in refs}
    for ref in refs:
        if ref.kind == "url" and title is None and present[ref.key] is None:
            raise InvalidQuery(f"{ref.url} is neither arXiv nor a DOI: name the paper with --title")
    # Papers the database has are fetched too when they lack metadata: a record may show that
    # an arXiv paper and a DOI are one paper.
    new = [ref for ref in refs if present[ref.key] is None or not has_metadata(conn, present[ref.key])]
    records: dict[str, Record] = {}
    problems: list[str] = []
    arxiv_ids = [ref.arxiv for ref in new if ref.arxiv]
    if arxiv_ids:
        try:
            records.update(ArxivClient(settings.arxiv_api, settings.arxiv_delay, settings.timeout).fetch(arxiv_ids))
        except FetchFailed as exc:
            problems.append(str(exc))
        else:
            unknown = [ref.arxiv for ref in new if ref.arxiv and ref.arxiv not in records and present[ref.key] is None]
            if unknown:
                raise NotFound(f"arXiv has no paper {', '.join(unknown)}; nothing was added")
    crossref = CrossrefClient(settings.crossref_api, settings.timeout)
    for ref in new:
        if ref.doi:
            try:
                record = crossref.fetch(ref.doi)
            except FetchFailed as exc:
                problems.append(f"{ref.doi}: {exc}")
                continue
            if record is None:
                problems.append(f"Crossref knows no DOI {ref.doi}")
            else:
                records[ref.key] = record
    papers = []
    notices: list[str] = []
    for ref in refs:
        record = records.get(ref.arxiv or "") if ref.arxiv else records.get(ref.key)
        same_as, link = None, False
        if record is not None:
            other = _other_id(record, ref)
            same_as = find_paper(conn, other) if other is not None else None
            if same_as is None and ref.arxiv and present[ref.key] is None and record.title:
                # A paper the list links elsewhere (a PDF on a CDN) that is this arXiv paper by its title.
                titled = papers_titled(conn, record.title)
                if len(titled) == 1:
                    same_as, link = titled[0], True
                elif titled:
                    notices.append(_several_titled(conn, ref.arxiv, record.title, titled))
        known = title or (record.title if record else None) or (f"arXiv:{ref.arxiv}" if ref.arxiv else f"doi:{ref.doi}")
        papers.append(NewPaper(ref, " ".join(known.split()), record, same_as, link))
    return papers, problems, notices


def _several_titled(conn: "sqlite3.Connection", arxiv: str, title: str, paper_ids: list[int]) -> str:
    from llmreads.store.base import rows_in
    from llmreads.text import clean

    shorts = [r[0] for r in rows_in(conn, "SELECT short_id FROM papers WHERE id IN ({marks}) ORDER BY position",
                                    paper_ids)]
    return (f"arXiv {arxiv} ({clean(' '.join(title.split()))}) has the title of {len(shorts)} papers here"
            f" ({', '.join(shorts)}), so it was added as a paper of its own; if it is one of them,"
            f" `llmreads edit REF --arxiv {arxiv}` makes it that paper")


def _other_id(record: "Record", ref: "Ref") -> "Ref | None":
    """The paper's other identity a record names: an arXiv record's DOI, a DOI's arXiv preprint."""
    from llmreads.errors import InvalidQuery
    from llmreads.refs import parse_ref

    other = record.doi if ref.arxiv else record.arxiv
    if not other:
        return None
    try:
        found = parse_ref(other if ref.arxiv else f"arXiv:{other}")
    except InvalidQuery:
        return None
    return found if found.key != ref.key else None


@app.command("enrich")
def enrich_command(
    ctx: typer.Context,
    list_name: Annotated[str | None, typer.Option("--list", help="Only papers of this list.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Fetch again papers that have metadata already.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Fetch authors, year and abstract from arXiv and Crossref for papers that lack them."""
    from llmreads import render
    from llmreads.config import services
    from llmreads.errors import LlmreadsError
    from llmreads.fetch import FetchFailed
    from llmreads.fetch.arxiv import ArxivClient
    from llmreads.fetch.crossref import CrossrefClient
    from llmreads.store.library import apply_known_ids, match_titles, save_records, wanting_metadata

    settings = services()
    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    linked = apply_known_ids(conn)
    wanted = wanting_metadata(conn, list_name or st.default_list, force)
    by_arxiv: dict[str, list[str]] = {}
    for w in wanted:
        if w.arxiv:
            by_arxiv.setdefault(w.arxiv, []).append(w.key)
    dois = [w for w in wanted if not w.arxiv and w.doi]
    counts = {"wanted": len(by_arxiv) + len(dois), "fetched": 0, "unknown": 0, "linked": linked, "matched": 0,
              "requests": 0}
    arxiv = ArxivClient(settings.arxiv_api, settings.arxiv_delay, settings.timeout)
    crossref = CrossrefClient(settings.crossref_api, settings.timeout)
    with render.fetch_progress("Fetching metadata", counts["wanted"]) as advance:
        try:
            for batch, records in arxiv.batches(list(by_arxiv)):
                save_records(conn, [(key, records[i]) for i in batch if i in records for key in by_arxiv[i]])
                counts["matched"] += match_titles(
                    conn, [(key, i, records[i]) for i in batch if i in records for key in by_arxiv[i]])
                counts["fetched"] += len(records)
                counts["unknown"] += len(batch) - len(records)
                advance(len(batch))
            for w in dois:
                assert w.doi is not None
                record = crossref.fetch(w.doi)
                if record is None:
                    counts["unknown"] += 1
                else:
                    save_records(conn, [(w.key, record)])
                    counts["fetched"] += 1
                advance(1)
        except FetchFailed as exc:
            raise LlmreadsError(
                f"{exc}; the metadata of {counts['fetched']} papers fetched before is kept:"
                " run `llmreads enrich` again to go on"
            ) from None
    counts["requests"] = arxiv.requests + crossref.requests
    if json_:
        render.emit_json(counts)
    else:
        render.enriched(counts)


@app.command("edit")
def edit_command(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Paper id, arXiv id or a title fragment.")],
    arxiv: Annotated[str, typer.Option("--arxiv", help="The paper's arXiv id (any form: 2201.11903, a URL).")],
) -> None:
    """Give a paper its arXiv id: it keeps its id, gains metadata and opens on arxiv.org."""
    from llmreads import render
    from llmreads.config import services
    from llmreads.errors import InvalidQuery
    from llmreads.fetch import FetchFailed
    from llmreads.fetch.arxiv import ArxivClient
    from llmreads.refs import parse_ref
    from llmreads.store.base import now, transaction
    from llmreads.store.library import link_arxiv, store_records
    from llmreads.store.papers import paper_summary, resolve_ref

    given = parse_ref(arxiv) if arxiv.strip() else None
    if given is None or given.arxiv is None:
        raise InvalidQuery(f"--arxiv {arxiv!r} is not an arXiv id")
    settings = services()
    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    paper_id = resolve_ref(conn, ref)
    problem = None
    try:
        record = ArxivClient(settings.arxiv_api, 0, settings.timeout).fetch([given.arxiv]).get(given.arxiv)
        if record is None:
            problem = f"arXiv has no paper {given.arxiv}"
    except FetchFailed as exc:
        record, problem = None, str(exc)
    with transaction(conn):
        key = link_arxiv(conn, paper_id, given.arxiv)
        if record is not None:
            store_records(conn, [(key, record)], now())
    paper = paper_summary(conn, st.user, paper_id)
    render.arxiv_set(paper.id, paper.title, given.arxiv)
    if problem is not None:
        render.info(f"llmreads: metadata not fetched: {problem}; {ENRICH_HINT}")
