"""Store layer, search part: full-text search over papers and the user's notes, ranked, with snippets.

Queries are compiled by llmreads.query (escaped by default, FTS5 syntax with
`raw`), loaded by `search` itself; the hits go through the same filters as
listings (filters.py).
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from llmreads.aliases import same_paper_sql, status_join
from llmreads.errors import InvalidQuery
from llmreads.store.base import chunks
from llmreads.store.filters import Filter, combine
from llmreads.store.metadata import metadata_sql
from llmreads.store.papers import PAPER_COLUMNS, PAPER_JOIN, PaperRow, paper_rows
from llmreads.text import clean, fold_scripts

if TYPE_CHECKING:
    from llmreads.query import Query

TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0
ABSTRACT_WEIGHT = 0.5  # a fetched abstract (papers_fts' third column) weighs less than what the list says


class SearchResult(NamedTuple):
    total: int
    papers: list[PaperRow]
    patterns: list[str]
    suggestions: list[str]
    unfiltered: int = 0  # the papers the query matches before the filters
    exact: bool = True  # False: `total` is a lower bound (COUNT_MOST), the hits being more


# A search reads the file's pages as SQLite does by default. A command searches once: there a larger page cache
# costs new memory for every page read, more than it saves (扩散模型 at 100,000 papers with abstracts 27.9 ms
# against 21.2, with the connection's closing), as did mapping the file (26.7 ms, and 300 ms against 50 for a
# first search from disk). The browser, which searches again and again, keeps more (tui.app.BROWSE_CACHE_KIB).


def search(
    conn: sqlite3.Connection,
    user: str,
    text: str,
    filters: Sequence[Filter] = (),
    *,
    sort: str = "relevance",
    limit: int | None = None,
    notes: bool = True,
    raw: bool = False,
    scores: bool = False,
    exact: bool = False,
    glossary_terms: Iterable[Sequence[str]] = (),
    matched: bool = True,
    details: bool = True,
) -> SearchResult:
    """Papers matching a query, ranked, with the total number of hits.

    A word in the glossary also finds its other forms, unless `exact`
    (`glossary_terms` adds terms to the built-in ones). Relevance: papers with
    the words as typed in the title, then with another form of them in the
    title, then with the words as typed elsewhere, then with another form
    elsewhere; each in stars order, then list order. `scores` adds each
    paper's bm25 score (title weighted over text), which costs a second pass
    over the hits. `matched` (what --json shows) names the forms each paper holds;
    without it, `matched` is left empty. Without `details`, the papers come
    without authors, year, arXiv id, tags and rating (what --json shows): ~10 µs
    a paper, and, in a fresh process on a large database, the statement's
    compiling and the pages of the metadata it reads (~1.5 ms for a page of 20).
    """
    from llmreads.query import compile_query, raw_query

    query: Query | None = None
    literal: tuple[str, str] | None = None
    text_match: str | None = None
    if raw:
        match = raw_query(text)
        title_match: str | None = f"title : ({match})"
        text_match = f"{{title body}} : ({match})"
        patterns: list[str] = []
        if not match:
            return SearchResult(0, [], [], [])
    else:
        query = compile_query(text, expand=not exact, glossary_terms=glossary_terms)
        if query.qualifiers:
            from llmreads.store.filters import qualifier_filter

            filters = [*filters, *(qualifier_filter(*q) for q in query.qualifiers)]
            if query.empty:  # qualifiers alone: the papers they choose, no words to rank by
                return _qualified(conn, user, filters, sort, limit)
        if query.empty:
            return SearchResult(0, [], [], [])
        match, title_match = query.fts(), query.fts_in_titles()
        if query.expanded:
            literal = (query.fts_literal(), query.fts_literal_in_titles())
        text_match = query.fts_in_text()
        patterns = query.patterns()
    # One read transaction: the hits and the page come from the same snapshot.
    own_transaction = not conn.in_transaction
    if own_transaction:
        conn.execute("BEGIN")
    try:
        try:
            named = [] if raw else _named_by_arxiv_id(conn, text)
            rows, total, unfiltered, exact = _search_rows(
                conn, user, match, title_match, filters, sort, limit, notes, raw, literal, named, text_match,
                PAPER_COLUMNS if details else _BRIEF_COLUMNS, excluding=query is not None and bool(query.excluded),
                could_hold=_could_hold(query) if query is not None else None,
                probe=_probes(query) if query is not None else None,
            )
            papers = paper_rows(conn, rows)
            if scores:
                found = _scores(conn, user, match, [r["pid"] for r in rows], notes)
                for paper, row in zip(papers, rows, strict=True):
                    paper.score = found.get(row["pid"])
        except sqlite3.OperationalError as exc:
            raise InvalidQuery(f"cannot search for {text!r}: {exc}") from None
        keys = [(row["pid"], paper.key) for paper, row in zip(papers, rows, strict=True)]
        every_text = _texts(conn, user, keys, notes)
        for paper, texts in zip(papers, every_text, strict=True):
            paper.snippet = _snippet(texts, patterns)
            if query is not None and matched:
                paper.matched = _matched(query, paper.title, texts)
    finally:
        if own_transaction:
            conn.execute("COMMIT")
    suggestions = suggest(conn, query) if query is not None and not rows else []
    return SearchResult(total, papers, patterns, suggestions, unfiltered, exact)


def _qualified(
    conn: sqlite3.Connection, user: str, filters: Sequence[Filter], sort: str, limit: int | None
) -> SearchResult:
    """A query of qualifiers only (`tag:llm`): the papers its filters choose, most stars first (or in list order)."""
    from llmreads.store.papers import count_papers, list_papers

    rows = list_papers(conn, user, filters, sort="list" if sort == "list" else "stars", limit=limit)
    total = len(rows) if limit is None else count_papers(conn, user, filters)
    return SearchResult(total, rows, [], [])


def _named_by_arxiv_id(conn: sqlite3.Connection, text: str) -> list[int]:
    """The paper a query that is an arXiv id (`2106.09685`, `arXiv:2106.09685v2`, its URL) names, as one word."""
    if not any(char.isdigit() for char in text):  # every arXiv id has digits; most queries have none
        return []
    from llmreads.keys import arxiv_from_ref

    arxiv = arxiv_from_ref(text)
    if arxiv is None:
        return []
    from llmreads.store.papers import paper_of_key

    paper_id = paper_of_key(conn, f"arxiv:{arxiv}")
    listed = paper_id is not None and conn.execute("SELECT listed FROM papers WHERE id = ?", (paper_id,)).fetchone()[0]
    return [paper_id] if listed and paper_id is not None else []


# A page of many hits (search with a limit, ranked, no filters) counts them up to this many and shows
# the total past it as a lower bound (`20 of 5,000+`): FTS5 finds a phrase's hits by reading its
# words' positions in every paper that holds them all, and counting the 79,000 hits of
# "language models" in 100,000 papers with abstracts costs ~35 ms of CPU, against ~3 ms for 5,000.
# 10,000 put 微调 and "large language models" (with abstracts) near or past 20 ms a search under
# load; 1,000 would cap 扩散模型's 4,093 hits without abstracts, whose exact walk is cheaper.
COUNT_MOST = 5_000

# Hits are gathered in temporary tables (connection-private, in memory):
# inserting them counts them, and a page is then read in index order.
_HITS = "temp.search_hits"
_TITLE_HITS = "temp.search_title_hits"


_LITERAL_HITS = "temp.search_literal_hits"
_LITERAL_TITLE_HITS = "temp.search_literal_title_hits"


def _search_rows(
    conn: sqlite3.Connection,
    user: str,
    match: str,
    title_match: str | None,
    filters: Sequence[Filter],
    sort: str,
    limit: int | None,
    notes: bool,
    raw: bool,
    literal: tuple[str, str] | None = None,
    named: Sequence[int] = (),
    text_match: str | None = None,
    columns: str = PAPER_COLUMNS,
    excluding: bool = False,
    could_hold: Callable[[str], bool] | None = None,
    probe: tuple[str, str] | None = None,
) -> tuple[list[sqlite3.Row], int, int, bool]:
    """The ranked hits (at most `limit`), how many there are in all, how many before the filters, and whether
    that count is exact (a page of many hits counts them up to COUNT_MOST only).

    `literal` holds the MATCH expressions of the query as typed (all hits and
    title hits) when the glossary added forms to it: those hits rank first.
    `named` papers (the one an arXiv id query names) are title hits. `text_match` finds the hits
    with the words in titles or introductions: those found in a fetched abstract alone rank last.
    """
    if sort == "relevance" and title_match is not None and not (filters or raw) and _few_papers(conn):
        return (*_ranked_here(conn, user, match, title_match, limit, notes, literal, named, text_match, columns), True)
    for table in (_HITS, _TITLE_HITS, _FILTERED, _LITERAL_HITS, _LITERAL_TITLE_HITS, _ABSTRACT_ONLY):
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (pid INTEGER PRIMARY KEY)")
        conn.execute(f"DELETE FROM {table}")
    # What papers_fts is asked (notes_fts and bm25 take the expressions as they are): FTS5 syntax passed
    # through is not rewritten.
    indexed: Callable[[str], str] = _WholeWords(conn) if not raw else str
    if sort == "relevance" and limit is not None and title_match is not None and not (filters or raw or named):
        best = _best_first(conn, user, match, title_match, literal, notes, limit, excluding, indexed, could_hold,
                           probe, columns)
        if best is not None:
            return best
        for table in (_HITS, _TITLE_HITS, _LITERAL_TITLE_HITS):
            conn.execute(f"DELETE FROM {table}")
    hits = conn.execute(
        f"INSERT INTO {_HITS} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (indexed(match),)
    ).rowcount
    for pid in named:
        hits += conn.execute(f"INSERT OR IGNORE INTO {_HITS} VALUES (?)", (pid,)).rowcount
    with_notes = notes and _note_hits(conn, user, _HITS, match) > 0
    found = _HITS
    unfiltered = hits
    if filters and with_notes:
        listed_hits = f"SELECT count(*) FROM {_HITS} h JOIN papers p ON p.id = h.pid WHERE p.listed = 1"
        unfiltered = int(conn.execute(listed_hits).fetchone()[0])
    if filters or with_notes:
        # Filtered once, and counted by the insert; notes may bring unlisted papers.
        where, params = combine(filters)
        hits = conn.execute(
            f"INSERT INTO {_FILTERED} SELECT p.id FROM {PAPER_JOIN}"
            f" WHERE p.id IN {_HITS} AND p.listed = 1 AND {where}",
            [user, *params],
        ).rowcount
        found = _FILTERED
    title_hits = 0
    if title_match is not None and sort != "list":
        try:
            title_hits = conn.execute(
                f"INSERT INTO {_TITLE_HITS} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?",
                (indexed(title_match),),
            ).rowcount
        except sqlite3.OperationalError:
            if not raw:
                raise
            conn.execute(f"DELETE FROM {_TITLE_HITS}")  # FTS5 syntax that a column filter cannot wrap
    for pid in named:
        title_hits += conn.execute(f"INSERT OR IGNORE INTO {_TITLE_HITS} VALUES (?)", (pid,)).rowcount
    abstract_only = 0
    if text_match is not None and sort == "relevance":
        try:  # hits whose words are only in the fetched abstract: after those in titles and introductions
            abstract_only = conn.execute(
                f"INSERT INTO {_ABSTRACT_ONLY} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?1"
                " EXCEPT SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?2", (indexed(match), indexed(text_match))
            ).rowcount
        except sqlite3.OperationalError:
            if not raw:
                raise
            conn.execute(f"DELETE FROM {_ABSTRACT_ONLY}")
    list_order = next((f.order for f in filters if f.order), None)
    if sort == "relevance":
        # Title hits, then the rest, then hits in abstracts alone: each bucket in stars order.
        buckets = [
            (_TITLE_HITS, f"p.id IN {found}", min(title_hits, hits)),
            (found, f"p.id NOT IN {_TITLE_HITS} AND p.id NOT IN {_ABSTRACT_ONLY}", hits),
        ]
        if literal is not None:
            # Each bucket split in two: the words as typed first, then only other forms of them.
            literal_match, literal_title_match = literal
            literal_hits = conn.execute(
                f"INSERT INTO {_LITERAL_HITS} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?",
                (indexed(literal_match),),
            ).rowcount
            if notes:
                literal_hits += _note_hits(conn, user, _LITERAL_HITS, literal_match)
            literal_title_hits = conn.execute(
                f"INSERT INTO {_LITERAL_TITLE_HITS} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?",
                (indexed(literal_title_match),),
            ).rowcount
            buckets = [
                (_LITERAL_TITLE_HITS, f"p.id IN {found}", min(literal_title_hits, hits)),
                (_TITLE_HITS, f"p.id IN {found} AND p.id NOT IN {_LITERAL_TITLE_HITS}", min(title_hits, hits)),
                (_LITERAL_HITS, f"p.id IN {found} AND p.id NOT IN {_TITLE_HITS} AND p.id NOT IN {_ABSTRACT_ONLY}",
                 min(literal_hits, hits)),
                (found, f"p.id NOT IN {_TITLE_HITS} AND p.id NOT IN {_LITERAL_HITS} AND p.id NOT IN {_ABSTRACT_ONLY}",
                 hits),
            ]
        if abstract_only:
            buckets.append((_ABSTRACT_ONLY, f"p.id IN {found} AND p.id NOT IN {_TITLE_HITS}", abstract_only))
        rows: list[sqlite3.Row] = []
        for table, condition, size in buckets:
            want = None if limit is None else limit - len(rows)
            if want == 0:
                break
            if size == 0:
                continue
            rows += _hit_page(conn, user, table, condition, "p.stars DESC, p.position", "papers_listed_stars",
                              size, want, list_order, columns)
    else:
        order = f"p.stars DESC, p.id IN {_TITLE_HITS} DESC, p.position" if sort == "stars" else "p.position"
        index = None if sort == "stars" else "papers_listed_position"
        rows = _hit_page(conn, user, found, "1", order, index, hits, limit, list_order, columns)
    if not filters:
        unfiltered = hits
    return rows, hits, unfiltered, True  # every indexed paper is listed (m004); _FILTERED holds listed ones only


def _best_first(
    conn: sqlite3.Connection,
    user: str,
    match: str,
    title_match: str,
    literal: tuple[str, str] | None,
    notes: bool,
    limit: int,
    excluding: bool = False,
    indexed: Callable[[str], str] = str,
    could_hold: Callable[[str], bool] | None = None,
    probe: tuple[str, str] | None = None,
    columns: str = PAPER_COLUMNS,
) -> tuple[list[sqlite3.Row], int, int, bool] | None:
    """A page of hits from the best tiers alone, when they fill it; None when the whole ranking is needed.

    The full ranking runs the query five times over the index (all hits, title
    hits, hits outside abstracts, and the words as typed in both); a page of
    20 is nearly always filled by the first tier or two (the words as typed in
    titles; another form of them in titles). Here the query runs once over the
    index, counting the hits up to COUNT_MOST (past it the total is a lower
    bound, and `exact` is False); then papers are walked in stars order, a
    batch at a time, and each batch's titles are matched in a small temporary
    index made with the same tokenizer from the same text (store.index),
    until the page is full. Below the cap the count names the hits, and the
    walk goes through those among the first _TOP x _WALK_MOST papers in stars
    order (or through all of them, gathered and sorted, when they are few).
    Past it, it goes through those papers, hits or not: a title that matches
    is a hit's. When the first tier is too sparse
    to fill the page near the top, it is looked up in the index instead, and
    the walk goes on for the second. Hits of the user's notes, filters,
    `--raw` and a paper named by its arXiv id take the full ranking.

    With an abstract for every paper, `"language models"` has 79,000 hits at
    100,000 papers: counting them all costs ~35 ms of CPU, 5,000 of them ~3 ms.
    Before the query is counted, `probe` (_probes: some of its hits, cheaper to
    count) may show that they alone are past the cap (_past_the_cap).
    """
    if notes and conn.execute(
        "SELECT 1 FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid"
        " WHERE notes_fts MATCH ?1 AND n.user = ?2 LIMIT 1",
        (match, user),
    ).fetchone():
        return None
    papers = conn.execute("SELECT max(rowid) FROM papers").fetchone()[0] or 1
    # Counted up to the cap (or the page, if longer): FTS5 yields the hits in rowid order, and stops there.
    # The same pass names them (a second one would cost as much again: ~12 ms for 4,000 hits of 扩散模型).
    most = max(COUNT_MOST, limit)
    if probe is not None and _past_the_cap(conn, probe, most, papers):
        total, named_hits = most + 1, ""  # not named past the cap: the walk goes through every paper
    else:
        total, named_hits = conn.execute(
            "SELECT count(*), group_concat(rowid) FROM"
            f" (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? LIMIT {most + 1})", (indexed(match),)
        ).fetchone()
    if total == 0:
        return [], 0, 0, True
    exact = total <= most
    total = min(total, most)
    # Many hits: the walk goes down the stars index, testing each paper (~0.25 µs an index entry, and it
    # stops early); so few that looking each one up (~1.5 µs) and sorting them costs less: gathered.
    walked: list[int] | None = None  # the hits the walk goes through in stars order, unless gathered in _HITS
    if exact and total * total < _WALK_BATCH * papers:  # few: gathered and sorted
        conn.execute(f"INSERT INTO {_HITS} SELECT value FROM json_each(?)", (f"[{named_hits}]",))
    elif exact:  # those among the first papers in stars order
        # Both as text, one string each: ~0.5 ms less than 4,000 rows and as many ints (lora at 100k papers).
        hits = set(named_hits.split(","))
        first_papers = conn.execute(
            "SELECT group_concat(id) FROM (SELECT id FROM papers INDEXED BY papers_listed_stars WHERE listed = 1"
            f" ORDER BY stars DESC, position LIMIT {_TOP * _WALK_MOST})"
        ).fetchone()[0]
        walked = [int(pid) for pid in (first_papers or "").split(",") if pid in hits]
    # Else more hits than were counted: the walk goes through every paper (a title that matches is a hit's).
    # The first tier: the words as typed in titles; the second (when the glossary added forms): another form there.
    first_table, first_match = (_LITERAL_TITLE_HITS, literal[1]) if literal is not None else (_TITLE_HITS, title_match)
    matches = [first_match, title_match] if literal is not None else [first_match]
    # Closed on the way out: its statement must not outlive the search's read transaction.
    with contextlib.closing(_walk(conn, matches, walked, not exact, excluding, could_hold)) as walk:
        first: list[int] = []
        second: list[int] = []
        seen = 0
        complete = False  # every hit walked: both tiers known in full
        while len(first) < limit:
            batch = next(walk, None)
            if batch is None:
                # Not so when the walk's limit, or the end of `top`, was reached first.
                complete = exact and seen >= total
                break
            seen += len(batch)
            for pid, found in batch:
                if found[0]:
                    first.append(pid)
                elif len(found) > 1 and found[1]:
                    second.append(pid)
            # Go on only while the first tier's share so far promises a full page within the walk.
            if (limit - len(first)) * seen > max(len(first), 1) * (_WALK_MOST - seen):
                break
        order = "p.stars DESC, p.position"
        if len(first) >= limit:
            return _page_of(conn, user, first[:limit], columns), total, total, exact
        if complete:
            rows = _page_of(conn, user, first, columns)
        else:
            size = conn.execute(
                f"INSERT INTO {first_table} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?",
                (indexed(first_match),),
            ).rowcount
            rows = _hit_page(conn, user, first_table, "1", order, "papers_listed_stars", size, limit, None, columns) \
                if size else []  # none: 扩散模型 as typed is in no title
            if len(rows) >= limit:
                return rows, total, total, exact
        if literal is None:
            return None  # the next tier is the hits outside titles and abstracts: the full ranking
        want = limit - len(rows)
        while len(second) < want:
            batch = next(walk, None)
            if batch is None:
                break
            second += [pid for pid, found in batch if found[1] and not found[0]]
        if len(second) < want:
            return None  # the page needs the tiers after these two, or more of the second than the walk looked at
        return rows + _page_of(conn, user, second[:want], columns), total, total, exact


# A probe counts its hits among the first 1/_PROBE_SLICE of the papers (by id) first, and goes on only when
# they promise 5/4 of the cap in all: one that falls short costs a fraction of its count (FTS5 skips to a rowid).
_PROBE_SLICE = 16


def _past_the_cap(conn: sqlite3.Connection, probes: tuple[str, str], most: int, papers: int) -> bool:
    """Whether the papers that the probes (_probes) find are more than `most`, so that a query's hits are.

    Each probe is counted in the first slice of the papers, the second only when the first does not
    promise the cap alone; the one that finds more there goes on alone past it (with abstracts,
    `"diffusion models"` reaches the cap in ~5 ms, and with `"diffusion model"` in ~8 ms), or both
    together when neither promises enough alone.
    """
    count = "SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?1 AND rowid {} ?2 LIMIT ?3)"
    end = papers // _PROBE_SLICE
    first: list[int] = []
    for probe in probes:
        first.append(int(conn.execute(count.format("<="), (probe, end, most + 1)).fetchone()[0]))
        if first[-1] > most:
            return True
        if 4 * first[-1] * _PROBE_SLICE >= 5 * most:
            break
    best = max(first)
    if 4 * best * _PROBE_SLICE >= 5 * most:
        probe = probes[first.index(best)]
    elif 4 * sum(first) * _PROBE_SLICE >= 5 * most:
        probe = " OR ".join(f"({each})" for each in probes)  # in the slice, at least `best` of its papers
    else:
        return False
    return best + int(conn.execute(count.format(">"), (probe, end, most + 1 - best)).fetchone()[0]) > most


def _probes(query: Query) -> tuple[str, str] | None:
    """Two MATCH expressions of some of the hits of `query`, cheap to count; None without a prefix term.

    The probes of the count past COUNT_MOST: of each group, its first form with a prefix term
    (`"diffusion model"*`), with that term as the word with an s (`"diffusion models"`), and as its
    word (`"diffusion model"`). With abstracts, 扩散模型's prefix terms start 17 words of the index, most
    of them glued ones (`modelang`) in a few papers, each phrase a lookup in every segment of the index:
    the whole expression reached the cap in ~18 ms of CPU, after ~3 ms of looking those words up.
    """
    from llmreads.query import Alternative

    groups = query.expanded or tuple(tuple(Alternative((term,), "", True) for term in group) for group in query.groups)
    if query.excluded or not any(_PREFIX_TERM.search(alternative.fts()) for group in groups for alternative in group):
        return None  # leaving words out, fewer of them would leave out fewer papers: no lower bound
    forms = [next((a for a in group if _PREFIX_TERM.search(a.fts())), group[0]).fts() for group in groups]

    def whole(end: str) -> str:
        return " AND ".join(_PREFIX_TERM.sub(lambda term: f'"{term.group(1)}{end}"', form) for form in forms)

    return whole("s"), whole("")  # the plural first: where it promises the cap alone, the word is not counted


_TITLES = "search_titles"  # a temporary full-text index of the titles of a batch of papers
_TEXTS = "search_texts"  # the same of their whole texts, as papers_fts holds them
_WALK_BATCH = 64
_WALK_MOST = 1024  # hits walked before the tiers are looked up in the index, or the full ranking takes over
_WALK_AHEAD_MOST = 4  # batches whose titles that could match are matched in one round (_walk)
_TOP = 4  # many hits: the walk goes through the first _TOP x _WALK_MOST papers in stars order


def _walk(
    conn: sqlite3.Connection,
    matches: Sequence[str],
    order: Sequence[int] | None = None,
    every_paper: bool = False,
    excluding: bool = False,
    could_hold: Callable[[str], bool] | None = None,
) -> Generator[list[tuple[int, list[bool]]]]:
    """Papers in stars order, a batch at a time: each with whether its title matches each of `matches`.

    The hits of `order` (in stars order), or else those gathered in _HITS; at
    most _WALK_MOST hits. Or `every_paper`: the first _TOP x _WALK_MOST
    papers, hits or not; `matches` look in titles, so a paper whose title
    matches is a hit. The titles go into a temporary FTS5 table
    with the index's tokenizer, in the form the index holds them
    (text.index_form), so a match there is a match in papers_fts' title
    column. Walking every paper, a query `excluding` words (`-bert`) must
    leave out a paper that holds them anywhere: then a batch's whole texts go
    in, as the index holds them (store.index.index_texts); and a title that
    `could_hold` says cannot hold the words matches nothing and is not
    indexed (most titles, when the words are rare; of hits, those that hold
    them elsewhere only). Walking every paper, those that can, of several
    batches, are matched in one round.
    """
    from llmreads.migrations import FTS_TOKENIZER
    from llmreads.store.index import PAPER_COLUMNS as INDEXED
    from llmreads.text import index_form

    # Titles alone, or whole texts (a table of the index's columns; inserting empty ones costs ~30% more).
    whole = excluding and every_paper  # hits hold none of the words left out
    table, columns = (_TEXTS, list(INDEXED)) if whole else (_TITLES, ["title"])
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table} USING fts5({', '.join(columns)}, content='',"
                 f" tokenize='{FTS_TOKENIZER}')")
    batches: Iterator[list[tuple[int, str]]]
    if order is not None:
        order = order[:_WALK_MOST]
        batches = (_titles(conn, order[i:i + _WALK_BATCH]) for i in range(0, len(order), _WALK_BATCH))
    else:
        cursor = conn.execute(
            "SELECT id, title FROM papers INDEXED BY papers_listed_stars WHERE listed = 1"
            f" ORDER BY stars DESC, position LIMIT {_TOP * _WALK_MOST}"
        ) if every_paper else conn.execute(
            f"SELECT p.id, p.title FROM papers p WHERE p.listed = 1 AND p.id IN {_HITS}"
            f" ORDER BY p.stars DESC, p.position LIMIT {_WALK_MOST}"
        )
        batches = iter(lambda: cursor.fetchmany(_WALK_BATCH), [])

    def matching(titles: list[tuple[int, str]]) -> list[set[int]]:
        """The papers of `titles` whose title (or text) matches each of `matches`."""
        if not titles:
            return [set() for _match in matches]
        ids = [pid for pid, _title in titles]
        conn.execute(f"INSERT INTO temp.{table} ({table}) VALUES ('delete-all')")  # contentless: cheap
        rows: list[tuple[object, ...]]
        if whole:
            from llmreads.store.index import index_texts

            rows = [(pid, index_form(title), body, abstract)
                    for pid, (title, body, abstract) in index_texts(conn, ids).items()]
        else:
            rows = [(pid, index_form(title)) for pid, title in titles]
        conn.executemany(f"INSERT INTO temp.{table} (rowid, {', '.join(columns)})"
                         f" VALUES (?, {', '.join('?' for _ in columns)})", rows)
        return [
            {r[0] for r in conn.execute(f"SELECT rowid FROM temp.{table} WHERE {table} MATCH ?", (match,))}
            for match in matches
        ]

    nothing = [False for _match in matches]  # one list for every paper that matches none (most, for rare words)

    def flagged(batch: list[tuple[int, str]], found: list[set[int]]) -> list[tuple[int, list[bool]]]:
        flags = {pid: [pid in each for each in found] for pid in set().union(*found)}
        return [(pid, flags.get(pid, nothing)) for pid, _title in batch]

    if could_hold is None or not every_paper:
        for batch in batches:
            found = matching(batch if could_hold is None else [title for title in batch if could_hold(title[1])])
            yield flagged(batch, found)
        return
    # Walking every paper for rare words, a batch holds a title or two that could match: those of several
    # batches are matched in one round (a round costs ~0.1 ms, about as much as reading a batch, or as matching
    # ten titles), while they are fewer than a sixteenth of the batches read ahead, up to a window that doubles
    # up to _WALK_AHEAD_MOST (a walk that stops early reads few batches it does not need; one of denser titles,
    # 微调's without abstracts, reads a batch at a time, as before). The batches are yielded one by one.
    window = 1
    while True:
        ahead: list[list[tuple[int, str]]] = []
        candidates: list[tuple[int, str]] = []
        while not ahead or len(ahead) < window and 16 * len(candidates) < _WALK_BATCH * len(ahead):
            batch = next(batches, [])
            if not batch:
                break
            ahead.append(batch)
            candidates += [(pid, title) for pid, title in batch if could_hold(title)]
        if not ahead:
            return
        found = matching(candidates)
        for batch in ahead:
            yield flagged(batch, found)
        window = min(2 * window, _WALK_AHEAD_MOST)


def _titles(conn: sqlite3.Connection, ids: Sequence[int]) -> list[tuple[int, str]]:
    """These papers' ids and titles, in this order."""
    titles = dict(conn.execute(f"SELECT id, title FROM papers WHERE id IN ({','.join(map(str, ids))})").fetchall())
    return [(pid, titles[pid]) for pid in ids if pid in titles]


def _could_hold(query: Query) -> Callable[[str], bool]:
    """A test of a paper's title, False only when that title cannot hold the words `query` looks for (nor their forms).

    For the walk (_walk): an ASCII title's index tokens (text.index_form:
    lower case, and the parts of glued words) are all pieces of the title in
    lower case, so a title that lacks one of an alternative's ASCII tokens
    (a prefix term's too) cannot match that alternative, and one with a
    token of ideographs can never match it. A title with any other character,
    and an alternative with a token of other letters (folded by the
    tokenizer: `café`), are left to the index.
    """
    from llmreads.query import Alternative
    from llmreads.text import is_cjk

    groups = query.expanded or tuple(tuple(Alternative((term,), "", True) for term in group) for group in query.groups)
    tests: list[list[tuple[str, ...]]] = []  # per group (ANDed), its alternatives' tokens (ORed)
    for group in groups:
        alternatives: list[tuple[str, ...]] = []
        for alternative in group:
            tokens = tuple(token for term in alternative.terms for token in term.tokens)
            if all(token.isascii() and token.isalnum() for token in tokens):
                alternatives.append(tokens)
            elif not any(all(is_cjk(char) for char in token) for token in tokens):
                break  # a form this test cannot judge: the group may hold in any title
        else:
            tests.append(alternatives)

    def could_hold(title: str) -> bool:  # loops, not nested generators: ~0.4 µs a title against ~3 µs
        if not title.isascii():
            return True
        lower = title.lower()
        for group in tests:
            for tokens in group:
                for token in tokens:
                    if token not in lower:
                        break
                else:
                    break  # this form may be in the title
            else:
                return False  # no form of this group is
        return True

    return could_hold


# A prefix term ("diffusion model"*) makes FTS5 merge the position lists of every word it starts (model,
# models, modeling...) over the whole index before it yields a hit, whatever LIMIT follows: ~45 ms at
# 100,000 papers with abstracts, again for each term that holds it. The same phrase with each of those
# words in turn, ORed, finds the same papers and is read lazily; a prefix that starts more words than
# this (`transformer`: glued names) is left as it is.
_PREFIX_WORDS_MOST = 32
_PREFIX_TERM = re.compile(r'"((?:[^"]|"")*)"\*')
_WORDS = "temp.search_words"


class _WholeWords:
    """A MATCH expression of llmreads.query with each prefix term (`"fine tuning"*`) as the phrases of the words
    papers_fts holds that it starts: `("fine tuning" OR "fine tunings")`. Each prefix is looked up once."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.words: dict[str, list[str] | None] = {}

    def __call__(self, expression: str) -> str:
        return _PREFIX_TERM.sub(self._phrases, expression)

    def _phrases(self, term: re.Match[str]) -> str:
        *head, last = term.group(1).split(" ")
        if last not in self.words:
            self.words[last] = self._starting(last.replace('""', '"'))
        words = self.words[last]
        if not words:  # none (the term finds nothing, at no cost), or too many
            return term.group(0)
        phrases = [" ".join([*head, word.replace('"', '""')]) for word in words]
        return f'"{phrases[0]}"' if len(phrases) == 1 else "(" + " OR ".join(f'"{p}"' for p in phrases) + ")"

    def _starting(self, prefix: str) -> list[str] | None:
        """The words of the index that start with `prefix`; None past _PREFIX_WORDS_MOST.

        An `instance` vocabulary yields the first occurrence of the first term
        at or after a given one without reading the rest of its position
        list (the `row` vocabulary counts them all: 12 ms for model*), so the
        words are found one seek each, the next one after a word being the
        first term at or after it followed by \x01 (the tokenizer keeps no
        control character in a term).
        """
        self.conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {_WORDS} USING fts5vocab(main, papers_fts, instance)")
        words: list[str] = []
        at = prefix
        while True:
            row = self.conn.execute(f"SELECT term FROM {_WORDS} WHERE term >= ? LIMIT 1", (at,)).fetchone()
            if row is None or not row[0].startswith(prefix):
                return words
            if len(words) == _PREFIX_WORDS_MOST:
                return None
            words.append(row[0])
            at = row[0] + "\x01"


def _page_of(conn: sqlite3.Connection, user: str, ids: Sequence[int], columns: str) -> list[sqlite3.Row]:
    """The rows of these papers, in this order."""
    if not ids:
        return []
    rows = {
        row["pid"]: row
        for row in conn.execute(
            f"SELECT {columns} FROM papers p {status_join('?1')} WHERE p.id IN ({','.join(map(str, ids))})",
            [user],
        )
    }
    return [rows[pid] for pid in ids]


def _note_hits(conn: sqlite3.Connection, user: str, table: str, match: str) -> int:
    """Add to `table` the papers of the user's notes that match; how many rows were new."""
    return conn.execute(
        f"INSERT OR IGNORE INTO {table} SELECT p.id FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid"
        f" JOIN papers p ON p.key IN {same_paper_sql('n.paper_key')} WHERE notes_fts MATCH ?1 AND n.user = ?2",
        (match, user),
    ).rowcount


_FILTERED = "temp.search_filtered_hits"

# PAPER_COLUMNS without what only --json shows: a search a terminal or a pipe shows reads no metadata, tags or rating.
_BRIEF_COLUMNS = (
    "p.id AS pid, p.short_id, p.key, p.title, p.url, NULL AS arxiv, p.stars, p.position,"
    " coalesce(s.status, 'unread') AS status, s.updated_at AS status_at,"
    " NULL AS authors, NULL AS year, NULL AS tags, NULL AS my_stars"
)
_ABSTRACT_ONLY = "temp.search_abstract_only_hits"


def _hit_page(
    conn: sqlite3.Connection,
    user: str,
    table: str,
    condition: str,
    order: str,
    index: str | None,
    size: int,
    limit: int | None,
    list_order: str | None,
    columns: str = PAPER_COLUMNS,
) -> list[sqlite3.Row]:
    """One page of the papers in `table` meeting `condition`, in `order`.

    When they are dense among the papers, walking `index` in order and
    stopping at `limit` reads far fewer rows than sorting them all (for a
    phrase in 14,000 of 100,000 titles: ~150 index rows against 14,000
    lookups); when they are sparse, sorting them is cheaper.
    """
    if list_order is not None:
        order, index = order.replace("p.position", list_order), None
    if index is not None and limit is not None:
        papers = conn.execute("SELECT max(rowid) FROM papers").fetchone()[0] or 1
        if size * size < 4 * limit * papers:
            index = None
    else:
        index = None
    # Sparse, SQLite looks the set's papers up and sorts them (a join from the
    # temporary table made it first build a Bloom filter over every paper).
    source = f"papers p INDEXED BY {index}" if index is not None else "papers p"
    where = f"WHERE p.id IN {table} AND p.listed = 1 AND {condition} ORDER BY {order}"
    if limit is None:
        return conn.execute(f"SELECT {columns} FROM {source} {status_join('?1')} {where}", [user]).fetchall()
    # The page's ids first, then their columns: sorting whole rows would work
    # out every hit's metadata, tags and rating (~10 µs each) to keep 20.
    ids = [r[0] for r in conn.execute(f"SELECT p.id FROM {source} {status_join('?1')} {where} LIMIT {int(limit)}",
                                      [user])]
    return _page_of(conn, user, ids, columns)


def _scores(
    conn: sqlite3.Connection, user: str, match: str, paper_ids: Sequence[int], notes: bool
) -> dict[int, float]:
    """bm25 of each paper's best match (its own text or one of the user's notes); lower is better."""
    if not paper_ids:
        return {}
    weights = f"{TITLE_WEIGHT}, {BODY_WEIGHT}"
    wanted = set(paper_ids)
    # For a page, only its papers are scored; bm25 runs in the scan, so a
    # filter on rowid (kept out of the FTS5 index with `+`) spares the rest.
    only = f" AND +rowid IN ({','.join(map(str, wanted))})" if len(wanted) <= 200 else ""
    found: dict[int, float] = {}
    for pid, score in conn.execute(
        f"SELECT rowid, bm25(papers_fts, {weights}, {ABSTRACT_WEIGHT}) FROM papers_fts WHERE papers_fts MATCH ?{only}",
        (match,)
    ):
        if pid in wanted:
            found[pid] = round(float(score), 4)
    if notes:
        for pid, score in conn.execute(
            f"WITH h AS MATERIALIZED (SELECT rowid AS note_id, bm25(notes_fts, {weights}) AS score"
            " FROM notes_fts WHERE notes_fts MATCH ?1)"
            " SELECT p.id, h.score FROM h JOIN notes n ON n.id = h.note_id"
            f" JOIN papers p ON p.key IN {same_paper_sql('n.paper_key')} WHERE n.user = ?2",
            (match, user),
        ):
            if pid in wanted:
                found[pid] = min(found.get(pid, 0.0), round(float(score), 4))
    return found


def _texts(conn: sqlite3.Connection, user: str, papers: Sequence[tuple[int, str]], notes: bool) -> list[list[str]]:
    """What each paper's snippet is cut from: its introductions, link texts, the user's notes, then its abstract.

    Four queries a batch of papers, not four a paper: a piped search prints thousands of hits.
    """
    from llmreads.store.base import chunks, marks

    found: dict[int, list[str]] = {pid: [] for pid, _key in papers}
    for chunk in chunks([pid for pid, _key in papers]):
        ids = marks(chunk)
        intros = conn.execute(
            f"SELECT paper_id, intro FROM entries WHERE paper_id IN ({ids}) ORDER BY paper_id, list_id, position", chunk
        ).fetchall()
        links = conn.execute(
            "SELECT e.paper_id, l.text FROM links l JOIN entries e ON e.id = l.entry_id"
            f" WHERE e.paper_id IN ({ids}) ORDER BY e.paper_id, e.list_id, e.position, l.position", chunk
        ).fetchall()
        own: list[tuple[int, str]] = []
        if notes:
            own = conn.execute(
                "SELECT p.id, n.text FROM papers p JOIN notes n"
                f" ON n.user = ? AND n.paper_key IN {same_paper_sql('p.key')}"
                f" WHERE p.id IN ({ids}) ORDER BY p.id, n.id", [user, *chunk]
            ).fetchall()
        abstracts = conn.execute(
            f"SELECT p.id, {metadata_sql('abstract')} FROM papers p WHERE p.id IN ({ids})", chunk
        ).fetchall()
        for pid, text in intros:
            found[pid].append(text)
        for pid, text in links:
            found[pid].append(text)
        for pid, text in own:
            found[pid].append(clean(text))
        for pid, abstract in abstracts:
            if abstract:  # searched last, so found last
                found[pid].append(abstract)
    return [found[pid] for pid, _key in papers]


def _snippet(texts: list[str], patterns: Sequence[str]) -> str:
    """A window of the first text that holds a pattern, around the first pattern it holds.

    Each pattern is compiled when first tried (re caches it): the first
    usually matches, and compiling the glossary's other forms would cost a
    search ~0.1 ms each.
    """
    for text in texts:
        folded = fold_scripts(text)  # the patterns are Simplified, as the index is; offsets hold
        for pattern in patterns:
            found = _pattern(pattern).search(folded)
            if found:
                return _window(text, found.start(), found.end())
    return _window(texts[0], 0, 0) if texts and texts[0] else ""


def _matched(query: Query, title: str, texts: list[str]) -> list[str]:
    """The forms of the query (as typed, or from the glossary) that the paper's title or texts hold."""
    title = fold_scripts(title)
    everything = "\n".join([title, *(fold_scripts(text) for text in texts)])
    out: list[str] = []
    for label, terms in _alternative_patterns(query):
        if label in out:
            continue
        if all(pattern.search(title if in_title else everything) for pattern, in_title in terms):
            out.append(label)
    return out


@functools.lru_cache(maxsize=4)
def _alternative_patterns(query: Query) -> tuple[tuple[str, tuple[tuple[re.Pattern[str], bool], ...]], ...]:
    """Each alternative's label and its terms' compiled patterns: made once a query, not once a hit."""
    return tuple(
        (alternative.label,
         tuple((_pattern(term.pattern()), term.column == "title") for term in alternative.terms))
        for alternative in query.alternatives()
    )


_NO_LETTER_BEFORE = "(?<![0-9A-Za-z])"  # how llmreads.query starts the pattern of a Latin word


@functools.lru_cache(maxsize=64)
def _pattern(pattern: str) -> re.Pattern[str]:
    """A term's pattern (llmreads.query), compiled, case ignored.

    A pattern that starts with its look-behind (no letter or digit before
    the word) spares `re` no position of the text; the same test made after
    the word's first letter (`d(?<![0-9A-Za-z]d)iffusion`: no letter or digit
    before that `d`) finds the same spans, and `re` skips to that letter: an
    abstract in 17 µs against 40.
    """
    rest = pattern.removeprefix(_NO_LETTER_BEFORE)
    if rest != pattern and rest[:1].isascii() and rest[:1].isalnum() and rest[1:2] not in ("*", "+", "?", "{"):
        pattern = f"{rest[0]}(?<![0-9A-Za-z]{rest[0]}){rest[1:]}"
    return re.compile(pattern, re.IGNORECASE)


def _window(text: str, start: int, end: int, width: int = 70) -> str:
    left = max(0, start - width // 3)
    right = min(len(text), max(end, left + width))
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


def suggest(conn: sqlite3.Connection, query: Query, limit: int = 3) -> list[str]:
    """Close words from the index for the query's words, for a search that found nothing."""
    import difflib

    out: list[str] = []
    for word in query.words():
        if " " in word or len(word) < 3:
            continue
        rows = conn.execute(
            "SELECT term FROM papers_vocab WHERE term BETWEEN ? AND ? AND length(term) BETWEEN ? AND ?",
            (word[0], word[0] + "\U0010ffff", len(word) - 2, len(word) + 2),
        ).fetchall()
        for candidate in difflib.get_close_matches(word, [r[0] for r in rows], n=limit, cutoff=0.75):
            if candidate not in out and candidate != word:
                out.append(candidate)
    return out[:limit]


# At most this many papers (the largest row id), a search without filters ranks its hits here,
# in Python, rather than in temporary tables: the bundled list and lists of its size.
_RANK_HERE_MOST = 2000


def _few_papers(conn: sqlite3.Connection) -> bool:
    return int(conn.execute("SELECT max(rowid) FROM papers").fetchone()[0] or 0) <= _RANK_HERE_MOST


def _ranked_here(
    conn: sqlite3.Connection,
    user: str,
    match: str,
    title_match: str,
    limit: int | None,
    notes: bool,
    literal: tuple[str, str] | None,
    named: Sequence[int],
    text_match: str | None,
    columns: str,
) -> tuple[list[sqlite3.Row], int, int]:
    """_search_rows' ranking, without filters, for a database of a few papers: the same tiers, worked out in sets.

    On the bundled list the temporary tables cost more than the search: six
    created and emptied, a statement for each tier's page and another for its
    rows. Here each MATCH is one query into a set, the hits' rows are read in
    one statement, and they are sorted by tier, then stars, then list order.
    """

    def fts(expression: str) -> set[int]:
        return {r[0] for r in conn.execute("SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (expression,))}

    def noted(expression: str) -> set[int]:
        return {r[0] for r in conn.execute(
            "SELECT p.id FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid"
            f" JOIN papers p ON p.key IN {same_paper_sql('n.paper_key')} WHERE notes_fts MATCH ?1 AND n.user = ?2",
            (expression, user),
        )}

    matched = fts(match)
    found = matched | set(named)
    if notes:
        found |= noted(match)
    title = fts(title_match) | set(named)
    abstract_only = matched - fts(text_match) if text_match is not None else set()
    rows: dict[int, sqlite3.Row] = {}
    for chunk in chunks(sorted(found)):
        rows.update((row["pid"], row) for row in conn.execute(
            f"SELECT {columns} FROM papers p {status_join('?1')} WHERE p.id IN ({','.join(map(str, chunk))})"
            " AND p.listed = 1",
            [user],
        ))
    if literal is not None:
        literal_hits = fts(literal[0]) | (noted(literal[0]) if notes else set())
        literal_title = fts(literal[1])
        tiers = [
            literal_title,
            title - literal_title,
            literal_hits - title - abstract_only,
            rows.keys() - title - literal_hits - abstract_only,
        ]
    else:
        tiers = [title, rows.keys() - title - abstract_only]
    tiers.append(abstract_only - title)
    ranked: list[sqlite3.Row] = []
    for tier in tiers:  # each in stars order, then list order
        ranked += sorted((rows[pid] for pid in tier if pid in rows), key=_stars_then_position)
    if limit is not None:
        ranked = ranked[:limit]
    return ranked, len(rows), len(rows)


def _stars_then_position(row: sqlite3.Row) -> tuple[int, int, int]:
    return -row["stars"], row["position"], row["pid"]
