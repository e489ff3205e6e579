"""Store layer, search part: full-text search over papers and the user's notes, ranked, with snippets.

Queries are compiled by llmreads.query (escaped by default, FTS5 syntax with
`raw`), loaded by `search` itself; the hits go through the same filters as
listings (filters.py).
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from llmreads.aliases import same_paper_sql, status_join
from llmreads.errors import InvalidQuery
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
) -> SearchResult:
    """Papers matching a query, ranked, with the total number of hits.

    A word in the glossary also finds its other forms, unless `exact`
    (`glossary_terms` adds terms to the built-in ones). Relevance: papers with
    the words as typed in the title, then with another form of them in the
    title, then with the words as typed elsewhere, then with another form
    elsewhere; each in stars order, then list order. `scores` adds each
    paper's bm25 score (title weighted over text), which costs a second pass
    over the hits.
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
            rows, total, unfiltered = _search_rows(
                conn, user, match, title_match, filters, sort, limit, notes, raw, literal, named, text_match
            )
            papers = paper_rows(conn, rows)
            if scores:
                found = _scores(conn, user, match, [r["pid"] for r in rows], notes)
                for paper, row in zip(papers, rows, strict=True):
                    paper.score = found.get(row["pid"])
        except sqlite3.OperationalError as exc:
            raise InvalidQuery(f"cannot search for {text!r}: {exc}") from None
        for paper, row in zip(papers, rows, strict=True):
            texts = _texts(conn, user, row["pid"], paper.key, notes)
            paper.snippet = _snippet(texts, patterns)
            if query is not None:
                paper.matched = _matched(query, paper.title, texts)
    finally:
        if own_transaction:
            conn.execute("COMMIT")
    suggestions = suggest(conn, query) if query is not None and not rows else []
    return SearchResult(total, papers, patterns, suggestions, unfiltered)


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
) -> tuple[list[sqlite3.Row], int, int]:
    """The ranked hits (at most `limit`), how many there are in all, and how many before the filters.

    `literal` holds the MATCH expressions of the query as typed (all hits and
    title hits) when the glossary added forms to it: those hits rank first.
    `named` papers (the one an arXiv id query names) are title hits. `text_match` finds the hits
    with the words in titles or introductions: those found in a fetched abstract alone rank last.
    """
    for table in (_HITS, _TITLE_HITS, _FILTERED, _LITERAL_HITS, _LITERAL_TITLE_HITS, _ABSTRACT_ONLY):
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (pid INTEGER PRIMARY KEY)")
        conn.execute(f"DELETE FROM {table}")
    hits = conn.execute(f"INSERT INTO {_HITS} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (match,)).rowcount
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
                f"INSERT INTO {_TITLE_HITS} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (title_match,)
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
                " EXCEPT SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?2", (match, text_match)
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
                f"INSERT INTO {_LITERAL_HITS} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (literal_match,)
            ).rowcount
            if notes:
                literal_hits += _note_hits(conn, user, _LITERAL_HITS, literal_match)
            literal_title_hits = conn.execute(
                f"INSERT INTO {_LITERAL_TITLE_HITS} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?",
                (literal_title_match,),
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
                              size, want, list_order)
    else:
        order = f"p.stars DESC, p.id IN {_TITLE_HITS} DESC, p.position" if sort == "stars" else "p.position"
        index = None if sort == "stars" else "papers_listed_position"
        rows = _hit_page(conn, user, found, "1", order, index, hits, limit, list_order)
    if not filters:
        unfiltered = hits
    return rows, hits, unfiltered  # every indexed paper is listed (m004); _FILTERED holds listed ones only


def _note_hits(conn: sqlite3.Connection, user: str, table: str, match: str) -> int:
    """Add to `table` the papers of the user's notes that match; how many rows were new."""
    return conn.execute(
        f"INSERT OR IGNORE INTO {table} SELECT p.id FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid"
        f" JOIN papers p ON p.key IN {same_paper_sql('n.paper_key')} WHERE notes_fts MATCH ?1 AND n.user = ?2",
        (match, user),
    ).rowcount


_FILTERED = "temp.search_filtered_hits"
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
    sql = (
        f"SELECT {PAPER_COLUMNS} FROM {source} {status_join('?1')}"
        f" WHERE p.id IN {table} AND p.listed = 1 AND {condition} ORDER BY {order}"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return conn.execute(sql, [user]).fetchall()


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


def _texts(conn: sqlite3.Connection, user: str, paper_id: int, key: str, notes: bool) -> list[str]:
    """What a snippet is cut from: the paper's introductions, link texts and the user's notes."""
    texts = [
        r[0]
        for r in conn.execute("SELECT intro FROM entries WHERE paper_id = ? ORDER BY list_id, position", (paper_id,))
    ]
    texts += [r[0] for r in conn.execute(
        "SELECT l.text FROM links l JOIN entries e ON e.id = l.entry_id WHERE e.paper_id = ?", (paper_id,)
    )]
    if notes:
        texts += [clean(r[0]) for r in conn.execute(
            f"SELECT text FROM notes WHERE user = ?1 AND paper_key IN {same_paper_sql('?2')} ORDER BY id", (user, key)
        )]
    abstract = conn.execute(f"SELECT {metadata_sql('abstract', '?1')}", (key,)).fetchone()[0]
    if abstract:  # searched last, so found last
        texts.append(abstract)
    return texts


def _snippet(texts: list[str], patterns: list[str]) -> str:
    for text in texts:
        folded = fold_scripts(text)  # the patterns are Simplified, as the index is; offsets hold
        for pattern in patterns:
            found = re.search(pattern, folded, re.IGNORECASE)
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
         tuple((re.compile(term.pattern(), re.IGNORECASE), term.column == "title") for term in alternative.terms))
        for alternative in query.alternatives()
    )


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
