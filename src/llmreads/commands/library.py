"""Commands of the reader's own library: add, enrich, edit."""


from typing import TYPE_CHECKING, Annotated

import typer

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

    parsed = list({ref.key: ref for ref in map(parse_ref, refs)}.values())
    if title is not None and not title.strip():
        raise InvalidQuery("--title needs some text")
    if title is not None and len(parsed) > 1:
        raise InvalidQuery(f"--title names one paper, but {len(parsed)} were given")
    settings = services()
    st = state(ctx)
    conn = st.conn()
    papers, problems = gather(conn, parsed, title, settings)
    name = list_name if list_name is not None else default_list_name(conn, st.user)
    results = add_papers(conn, st.user, name, papers, section=section,
                         status=status.value if status is not None else None, note=note)
    if json_:
        from dataclasses import asdict

        render.emit_json([asdict(result) for result in results])
    else:
        render.added(results)
    for problem in problems:
        render.info(f"llmreads: metadata not fetched: {problem}; {ENRICH_HINT}")


def gather(
    conn: "sqlite3.Connection", refs: "list[Ref]", title: str | None, settings: "Services"
) -> "tuple[list[NewPaper], list[str]]":
    """The papers to add, with the records the services give for those the database lacks, and what failed.

    Nothing is written here: the network is asked before the write lock is taken.
    """
    from llmreads.errors import InvalidQuery, NotFound
    from llmreads.fetch import FetchFailed
    from llmreads.fetch.arxiv import ArxivClient
    from llmreads.fetch.crossref import CrossrefClient
    from llmreads.store.library import NewPaper, find_paper, has_metadata

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
    for ref in refs:
        record = records.get(ref.arxiv or "") if ref.arxiv else records.get(ref.key)
        same_as = None
        if record is not None:
            other = _other_id(record, ref)
            same_as = find_paper(conn, other) if other is not None else None
        known = title or (record.title if record else None) or (f"arXiv:{ref.arxiv}" if ref.arxiv else f"doi:{ref.doi}")
        papers.append(NewPaper(ref, " ".join(known.split()), record, same_as))
    return papers, problems


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
