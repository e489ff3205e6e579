"""A page of search hits is the start of the full ranking, however it is found; a page's texts are read in batches.

search() fills a page from the best tiers alone when they hold enough hits
(store.search._best_first) and ranks every hit otherwise: both must give the
same papers in the same order, and the same total. A database of a few papers
(the seed) ranks its hits in Python (store.search._ranked_here): the same
again, snippets and `matched` included.
"""

from __future__ import annotations

import sqlite3

import pytest

from helpers import copy_database, import_text, traced
from llmreads.fetch import Record
from llmreads.store.library import save_records
from llmreads.store.notes import add_note
from llmreads.store.search import search

USER = "alice"

QUERIES = (
    "lora",
    "微调",
    "微調",
    "扩散模型",
    "large language models",
    '"language models"',
    "attention",
    "transformer",
    "transformer -bert",
    "思维链",
    "chain-of-thought",
    "multimodal",
    "指令微调",
    "模型",
    "instruction tuning",
    "reward model",
)


def ranked(conn: sqlite3.Connection, query: str, limit: int | None) -> tuple[list[str], int]:
    result = search(conn, USER, query, limit=limit)
    return [paper.key for paper in result.papers], result.total


@pytest.fixture(params=[(64, 1024), (2, 6), (3, 16), (5, 40)], ids=lambda walk: f"walk{walk[0]}x{walk[1]}")
def walk(request, monkeypatch):
    """The page walk's batch and limit: as shipped, and small enough that the seed's hits run past them."""
    import llmreads.store.search as module

    monkeypatch.setattr(module, "_WALK_BATCH", request.param[0])
    monkeypatch.setattr(module, "_WALK_MOST", request.param[1])
    monkeypatch.setattr(module, "_RANK_HERE_MOST", 0)  # the seed takes the paths of a large database


@pytest.mark.parametrize("query", QUERIES)
def test_a_page_is_the_start_of_the_full_ranking(conn, walk, query):
    everything, total = ranked(conn, query, None)
    assert total == len(everything) > 0
    for limit in (1, 2, 3, 5, 8, 13, 40):
        page, page_total = ranked(conn, query, limit)
        assert page == everything[:limit], (query, limit)
        assert page_total == total, (query, limit)


def test_a_page_with_abstracts_and_notes_is_the_start_of_the_full_ranking(conn, walk):
    keys = [r[0] for r in conn.execute("SELECT key FROM papers ORDER BY position")]
    save_records(conn, [
        (key, Record(source="arxiv", title="t", abstract="微调 of diffusion models, chain-of-thought and LoRA"))
        for key in keys[::7]
    ])
    paper_id = conn.execute("SELECT id FROM papers WHERE key = ?", (keys[5],)).fetchone()[0]
    add_note(conn, USER, paper_id, "a note on 扩散模型 and lora")
    for query in QUERIES:
        everything, total = ranked(conn, query, None)
        for limit in (1, 2, 4, 9, 30):
            assert ranked(conn, query, limit) == (everything[:limit], total), (query, limit)


def statements(conn: sqlite3.Connection, query: str, limit: int | None) -> tuple[int, int]:
    """How many SQL statements a search runs, and how many papers it returns."""
    ran, found = traced(conn, lambda: search(conn, USER, query, limit=limit))
    return len(ran), len(found.papers)


def test_the_texts_of_every_hit_are_read_in_a_few_queries(conn):
    few, shown = statements(conn, "模型", 2)
    many, every = statements(conn, "模型", None)
    assert shown == 2 and every > 40
    # Four queries a hit would be some 160 more; a batch of hits costs the same four.
    assert many - few < 20, (few, many)


@pytest.mark.parametrize("large", [False, True], ids=["few papers", "as a large database"])
def test_a_search_without_details_finds_the_same_papers_and_snippets(conn, monkeypatch, large):
    # Without details (a terminal's page, a pipe), a page reads no metadata, tags or rating either.
    import llmreads.store.search as module

    if large:
        monkeypatch.setattr(module, "_RANK_HERE_MOST", 0)
    lora = search(conn, USER, "lora").papers[0].key
    save_records(conn, [(lora, Record(source="arxiv", title="t", authors=("Edward Hu",), published="2021-06-17"))])
    for query in ("lora", "微调", "模型", "large language models", "transformer -bert"):
        for limit in (None, 1, 3, 20):
            full = search(conn, USER, query, limit=limit)
            ran, brief = traced(
                conn, lambda q=query, n=limit: search(conn, USER, q, limit=n, details=False, matched=False)
            )
            assert [(p.key, p.title, p.stars, p.status, p.sections, p.snippet) for p in brief.papers] == [
                (p.key, p.title, p.stars, p.status, p.sections, p.snippet) for p in full.papers
            ], (query, limit)
            assert (brief.total, brief.exact) == (full.total, full.exact)
            assert all(p.matched is None for p in brief.papers) and all(p.matched is not None for p in full.papers)
            assert not any("FROM ratings" in statement or "FROM tags" in statement for statement in ran), ran
    for limit in (None, 20):
        assert any(p.authors == ["Edward Hu"] for p in search(conn, USER, "lora", limit=limit).papers)
        assert all(p.authors == [] for p in search(conn, USER, "lora", limit=limit, details=False).papers)


def everything_about(conn: sqlite3.Connection, query: str, limit: int | None, **options: object) -> object:
    result = search(conn, USER, query, limit=limit, scores=True, **options)  # type: ignore[arg-type]
    return result.total, result.unfiltered, result.patterns, [paper.as_dict() for paper in result.papers]


def test_a_few_papers_are_ranked_in_python_as_the_database_ranks_many(conn, monkeypatch):
    import llmreads.store.search as module

    keys = [r[0] for r in conn.execute("SELECT key FROM papers ORDER BY position")]
    save_records(conn, [
        (key, Record(source="arxiv", title="t", abstract="微调 of diffusion models, chain-of-thought and LoRA"))
        for key in keys[::7]
    ])
    add_note(conn, USER, conn.execute("SELECT id FROM papers WHERE key = ?", (keys[5],)).fetchone()[0],
             "a note on 扩散模型 and lora")
    add_note(conn, USER, conn.execute("SELECT id FROM papers WHERE key = ?", (keys[9],)).fetchone()[0],
             "zebrafish and 微调")
    conn.execute("UPDATE papers SET listed = 0 WHERE key = ?", (keys[9],))  # a note on a paper no list holds
    cases = [(query, {}) for query in (*QUERIES, "zebrafish", "2106.09685", "lora 2106.09685", "nothingatall")]
    cases += [("lora", {"exact": True}), ("微调", {"notes": False}), ("扩散模型", {"details": False, "matched": False})]
    for query, options in cases:
        for limit in (None, 1, 3, 20):
            here = everything_about(conn, query, limit, **options)
            monkeypatch.setattr(module, "_RANK_HERE_MOST", 0)
            there = everything_about(conn, query, limit, **options)
            monkeypatch.undo()
            assert here == there, (query, options, limit)


def test_a_search_of_a_few_papers_creates_no_temporary_table(conn):
    ran: list[str] = []
    conn.set_trace_callback(ran.append)
    try:
        assert search(conn, USER, "lora").papers
        assert search(conn, USER, "lora", limit=3, scores=True).papers
    finally:
        conn.set_trace_callback(None)
    assert not [statement for statement in ran if "temp." in statement], ran


def test_a_page_of_many_hits_counts_them_without_gathering_them(conn, monkeypatch):
    """Hits dense among the papers: the total is a count and the page a walk down the stars index.

    Gathering every hit into a temporary table costs more than counting them
    (79,000 hits of `"language models"` at 100,000 papers with abstracts:
    ~45 ms against ~25 ms), and the first tier of a page is found by walking
    the papers in stars order and matching their titles alone.
    """
    import llmreads.store.search as module

    monkeypatch.setattr(module, "_WALK_BATCH", 4)  # the seed's 118 papers stand for many: 30 hits are dense
    monkeypatch.setattr(module, "_RANK_HERE_MOST", 0)  # and take the path of a large database
    for query in ('"language models"', "large language models", "language"):
        everything, total = ranked(conn, query, None)
        ran: list[str] = []
        conn.set_trace_callback(ran.append)
        try:
            page = search(conn, USER, query, limit=3)
        finally:
            conn.set_trace_callback(None)
        assert ([p.key for p in page.papers], page.total) == (everything[:3], total), query
        assert total > 15 and not [s for s in ran if "INTO temp.search_hits" in s], (query, ran)


def tiered_list() -> str:
    """60 papers in stars order: 微调 in the titles of 1-3 and 40-55, Fine-Tuning in those of 4-6, quokka in 1's."""
    rows = []
    for n in range(1, 61):
        if n <= 3 or 40 <= n <= 55:
            title = f"微调方法研究 {n}"
        elif n <= 6:
            title = f"Fine-Tuning Study {n}"
        else:
            title = f"Wombat Survey {n}"
        intro = "quokka" if n == 1 else "plain text"
        stars = "✡" * (5 - (n - 1) // 10)
        rows.append(f"| {n}{stars} | [{title}](https://example.org/paper/{n}) | {intro} |")
    header = "| **ID** | **Paper** | **Introduction** |\n| --- | --- | --- |"
    return "# Tiers\n\n1. # Section\n\n" + header + "\n" + "\n".join(rows) + "\n"


def test_a_walk_through_the_first_papers_in_stars_order_keeps_the_tiers(blank_template, db_path, monkeypatch):
    """Many hits: the walk sees only those among the first papers in stars order, which must not end the tiers.

    The first tier (微调 as typed in the title) goes on past the papers walked,
    so the page is papers 1-3, then 40, before any paper of the second tier
    (another form, Fine-Tuning, in the title); and a paper left out by `-quokka`
    stays out although its title is of the first tier.
    """
    import llmreads.store.search as module
    from llmreads.db import open_db

    conn = open_db(copy_database(blank_template, db_path))
    import_text(conn, tiered_list(), name="tiers")
    monkeypatch.setattr(module, "_WALK_BATCH", 2)
    monkeypatch.setattr(module, "_WALK_MOST", 8)  # the walk looks at the hits among the first 32 papers
    monkeypatch.setattr(module, "_RANK_HERE_MOST", 0)  # 60 papers take the path of a large database
    pages = {}
    for query, limit in (("微调", 4), ("微调 -quokka", 3)):
        everything = [p.title for p in search(conn, USER, query).papers]
        page = search(conn, USER, query, limit=limit)
        pages[query] = [p.title for p in page.papers]
        assert pages[query] == everything[:limit], query
        assert page.total == len(everything) > 15, query
    conn.close()
    assert pages == {
        "微调": ["微调方法研究 1", "微调方法研究 2", "微调方法研究 3", "微调方法研究 40"],
        "微调 -quokka": ["微调方法研究 2", "微调方法研究 3", "微调方法研究 40"],
    }


def test_the_walk_indexes_only_the_titles_that_could_match(conn, monkeypatch):
    # Walking the hits, a title that lacks the words (the paper holds them elsewhere) is not indexed to be
    # matched; the page is the same. `attention` is in 2 of the seed's 21 hits' titles.
    import llmreads.store.search as module
    import llmreads.text as text_module

    monkeypatch.setattr(module, "_RANK_HERE_MOST", 0)
    everything, total = ranked(conn, "attention", None)
    indexed: list[str] = []
    index_form = text_module.index_form
    monkeypatch.setattr(text_module, "index_form", lambda title: indexed.append(title) or index_form(title))
    page = search(conn, USER, "attention", limit=5)
    assert [paper.key for paper in page.papers] == everything[:5] and page.total == total == 21
    assert len(indexed) == 2 and all("attention" in title.lower() for title in indexed), indexed
