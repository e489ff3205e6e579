"""A page of many hits counts them up to a cap and says the total is a lower bound past it.

store.search.COUNT_MOST stands at thousands; here it is made small, and the
seed's 118 papers take the paths of a large database (_RANK_HERE_MOST = 0),
so that `language` (more than 20 hits) runs past the cap and `lora` (2 hits)
does not. Also: a prefix term rewritten as the whole words of the index
finds the same papers, and the walk's test of titles never leaves out a
title that matches.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

import pytest

from helpers import ok, traced
from llmreads.store.search import search

USER = "alice"
CAP = 10
TERMINAL = {"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "80"}


@pytest.fixture
def small_cap(monkeypatch):
    import llmreads.store.search as module

    monkeypatch.setattr(module, "COUNT_MOST", CAP)
    monkeypatch.setattr(module, "_RANK_HERE_MOST", 0)


def keys(conn: sqlite3.Connection, query: str, limit: int | None) -> list[str]:
    return [paper.key for paper in search(conn, USER, query, limit=limit).papers]


def test_a_page_past_the_cap_has_the_cap_as_a_lower_bound(conn, small_cap):
    every = search(conn, USER, "language")
    assert every.total == len(every.papers) > CAP + 10 and every.exact  # every hit wanted: all counted
    page = search(conn, USER, "language", limit=3)
    assert (page.total, page.exact, page.unfiltered) == (CAP, False, CAP)
    assert [p.key for p in page.papers] == [p.key for p in every.papers][:3]


def test_a_page_below_the_cap_is_counted_exactly(conn, small_cap):
    every = search(conn, USER, "lora")
    page = search(conn, USER, "lora", limit=1)
    assert (page.total, page.exact) == (len(every.papers), True) == (2, True)
    assert [p.key for p in page.papers] == [every.papers[0].key]


def test_a_page_longer_than_the_cap_counts_up_to_its_length(conn, small_cap):
    every = keys(conn, "language", None)
    page = search(conn, USER, "language", limit=CAP + 5)
    assert [p.key for p in page.papers] == every[:CAP + 5]
    assert (page.total, page.exact) == (CAP + 5, False)


def test_filters_and_sorting_count_every_hit(conn, small_cap):
    from llmreads.store.filters import stars_filter

    every = search(conn, USER, "language")
    for options in ({"sort": "stars"}, {"sort": "list"}, {"raw": True}):
        page = search(conn, USER, "language", limit=3, **options)  # type: ignore[arg-type]
        assert (page.total, page.exact) == (every.total, True), options
    starred = search(conn, USER, "language", [stars_filter(1)], limit=3)
    assert starred.exact and starred.total > CAP


def test_the_terminal_footer_says_the_total_is_a_lower_bound(cli, seeded, small_cap):
    def footer(*args: str) -> str:
        return ok(cli(*args, env=TERMINAL)).rstrip("\n").splitlines()[-1]

    assert footer("search", "language", "--limit", "3") == f"3 of {CAP}+ papers match 'language'"
    assert footer("search", "lora", "--limit", "1") == "1 of 2 papers match 'lora'"
    assert footer("search", "lora") == "2 papers match 'lora'"


def test_a_lower_bound_in_thousands_is_written_with_a_separator():
    from llmreads import render
    from llmreads.store.search import SearchResult

    assert render._hits(SearchResult(5000, [], [], [], 5000, False)) == "5,000+"
    assert render._hits(SearchResult(5000, [], [], [], 5000, True)) == "5000"


def test_a_piped_page_past_the_cap_says_so_on_stderr(cli, seeded, small_cap):
    result = cli("search", "language", "--limit", "3")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr == f"3 of {CAP}+ papers shown (--limit)\n"
    below = cli("search", "lora", "--limit", "1")
    assert below.stderr == "1 of 2 papers shown (--limit)\n"
    longer = cli("search", "language", "--limit", str(CAP + 5))  # counted up to the page: more are left out
    assert len(longer.stdout.splitlines()) == CAP + 5
    assert longer.stderr == f"{CAP + 5} of {CAP + 5}+ papers shown (--limit)\n"


def test_a_piped_search_without_a_limit_prints_and_counts_every_hit(cli, seeded, small_cap):
    result = cli("search", "language")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) > CAP + 10
    assert result.stderr == ""


@pytest.mark.parametrize("query", [
    "lora", "微调", "扩散模型", "large language models", "transform", "lang mod", "reward model", "指令微调", "gpt",
])
def test_a_prefix_rewritten_as_whole_words_finds_the_same_papers(conn, query, monkeypatch):
    import llmreads.store.search as module
    from llmreads.query import compile_query

    compiled = compile_query(query)
    for expression in (compiled.fts(), compiled.fts_in_titles(), compiled.fts_in_text()):
        rewritten = module._WholeWords(conn)(expression)
        assert '"*' in expression
        found = conn.execute("SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (expression,)).fetchall()
        assert conn.execute("SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (rewritten,)).fetchall() == found
        if query in ("lora", "transform"):
            assert '"*' not in rewritten, rewritten  # every prefix became words
    monkeypatch.setattr(module, "_PREFIX_WORDS_MOST", 1)  # too many words: the prefix stays
    assert '"transform"*' in module._WholeWords(conn)(compile_query("transform").fts())


def test_a_prefix_that_starts_no_word_stays_as_it_is(conn):
    import llmreads.store.search as module

    assert module._WholeWords(conn)('"zzqqxx"* OR "lora"') == '"zzqqxx"* OR "lora"'


@pytest.mark.parametrize("query", [
    "lora", "微调", "扩散模型", "large language models", '"language models"', "transformer -bert", "chain-of-thought",
    "gpt OR 模型", "title:attention", "café", "思维链", "multimodal",
])
def test_no_title_the_walk_skips_matches(conn, query):
    """_could_hold is False only for titles that match none of the forms of the query in papers_fts."""
    import llmreads.store.search as module
    from llmreads.query import compile_query

    compiled = compile_query(query)
    could_hold = module._could_hold(compiled)
    in_titles = {r[0] for r in conn.execute(
        "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (compiled.fts_in_titles(),)
    )}
    skipped = {pid for pid, title in conn.execute("SELECT id, title FROM papers") if not could_hold(title)}
    assert not skipped & in_titles, query
    if query == "扩散模型":
        assert len(skipped) > 100  # most titles are ASCII and lack `diffusion`


def test_the_walk_s_test_of_titles_by_script():
    """An ASCII title without a word of any form cannot match; other titles and folded letters are left to the index."""
    from llmreads.query import compile_query
    from llmreads.store.search import _could_hold

    tuning = _could_hold(compile_query("微调"))
    assert not tuning("Wombat Survey")
    assert tuning("Fine-Tuning Study") and tuning("FineTune Everything")
    assert tuning("微调方法研究") and tuning("微調方法") and tuning("Ｗombat")  # not ASCII: left to the index
    both = _could_hold(compile_query("lora 扩散模型"))  # two groups: each must be possible
    assert not both("LoRA for Wombats") and not both("Diffusion Models") and both("LoRA for Diffusion Models")
    assert _could_hold(compile_query("café"))("A Cafe Study")  # é is folded by the tokenizer, not by this test


@pytest.mark.parametrize("query", ["language -gpt", "model -language", "transformer -bert", "language -large"])
def test_a_page_past_the_cap_leaves_out_the_papers_a_word_excludes(conn, small_cap, query):
    """Walking every paper (not only hits), a title of the first tier is no hit when its text holds a word left out."""
    every = search(conn, USER, query)
    assert every.total > CAP + 5, query
    for limit in (1, 3, 8):
        page = search(conn, USER, query, limit=limit)
        assert [p.key for p in page.papers] == [p.key for p in every.papers][:limit], (query, limit)
        assert (page.total, page.exact) == (CAP, False)


def statements(conn: sqlite3.Connection, query: str, limit: int) -> tuple[list[str], list[str], int, bool]:
    """The SQL a search runs, with its page's keys, total and whether that is exact."""
    run, result = traced(conn, lambda: search(conn, USER, query, limit=limit))
    return run, [p.key for p in result.papers], result.total, result.exact


def full_count(run: list[str]) -> bool:
    """Whether the count of the whole expression (which names the hits) ran."""
    return any("group_concat(rowid)" in statement for statement in run)


def test_whole_words_and_plurals_past_the_cap_prove_it_alone(conn, small_cap):
    """`language` alone reaches the cap: the whole expression (every word `language` starts) is not counted."""
    every = keys(conn, "language", None)
    run, page, total, exact = statements(conn, "language", 3)
    assert (page, total, exact) == (every[:3], CAP, False)
    assert any("MATCH '\"language\"' AND rowid >" in statement for statement in run)  # on past the first slice
    assert not full_count(run)


def test_a_probe_short_of_the_cap_falls_back_to_the_whole_expression(conn, small_cap):
    """`train`: `train` and `trains` are in one paper, `training` in many more: the whole expression is counted."""
    probe = conn.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH '\"train\" OR \"trains\"'")
    assert probe.fetchone()[0] <= CAP
    every = keys(conn, "train", None)
    assert len(every) > CAP
    run, page, total, exact = statements(conn, "train", 3)
    assert (page, total, exact) == (every[:3], CAP, False)
    assert full_count(run)
    run, page, total, exact = statements(conn, "instruct", 20)  # 6 of the 10 hits: counted exactly after all
    assert (page, total, exact) == (keys(conn, "instruct", None), 10, True)
    assert full_count(run)


@pytest.mark.parametrize("counts, asked, past", [
    ([8], [("<=", "a", 8)], True),  # past the cap in the slice already
    ([5, 3], [("<=", "a", 8), (">", "a", 3)], True),  # the first promises the cap alone: the second is not counted
    ([1, 5, 2], [("<=", "a", 8), ("<=", "b", 8), (">", "b", 3)], False),  # the second does, and falls short after all
    ([3, 2, 5], [("<=", "a", 8), ("<=", "b", 8), (">", "(a) OR (b)", 5)], True),  # neither alone: both
    ([2, 2], [("<=", "a", 8), ("<=", "b", 8)], False),  # not even both: the probe stops at its slice
])
def test_a_probe_goes_on_past_its_first_slice_when_it_promises_the_cap(monkeypatch, counts, asked, past):
    """Counted in the first slice of the papers, the probe that finds more there goes on (or both do), or none."""
    import llmreads.store.search as module

    monkeypatch.setattr(module, "_PROBE_SLICE", 2)
    found = iter(counts)
    statements: list[tuple[str, str, int]] = []

    class Counts:  # what an index would count; the SQL and its parameters are what is checked
        def execute(self, sql: str, params: tuple[str, int, int]) -> sqlite3.Cursor:
            assert params[1] == 50  # the slice: papers 1 to 101 // 2
            statements.append((sql.rsplit("rowid ", 1)[1][:2].strip(), params[0], params[2]))
            return sqlite3.connect(":memory:").execute("SELECT ?", (next(found),))

    most, papers = 7, 101  # 4 x found x 2 >= 5 x 7: a slice count of 5 promises the cap
    assert module._past_the_cap(Counts(), ("a", "b"), most, papers) is past  # type: ignore[arg-type]
    assert statements == asked


def test_no_probe_for_a_query_that_leaves_words_out_or_has_no_prefix(conn, small_cap):
    """With `-word`, words and plurals would leave out fewer papers than the whole expression: not a lower bound."""
    from llmreads.query import compile_query
    from llmreads.store.search import _probes

    assert _probes(compile_query('"language models"')) is None
    assert _probes(compile_query("language -gpt")) is None
    assert _probes(compile_query("lora")) == ('"loras"', '"lora"')  # of the group's forms, the first with a prefix
    assert _probes(compile_query("思维链")) == ('"chain of thoughts"', '"chain of thought"')
    assert _probes(compile_query('title:"a b" c')) == ('title : "a b" AND "cs"', 'title : "a b" AND "c"')
    every = keys(conn, "language -gpt", None)
    run, page, total, exact = statements(conn, "language -gpt", 3)
    assert (page, total, exact) == (every[:3], CAP, False)
    assert full_count(run)


@pytest.mark.parametrize("query", ["扩散模型", "lora", "language", "微调", "transformer -bert", "思维链"])
def test_the_walk_matches_the_titles_that_could_hold_the_words_of_several_batches_at_once(conn, monkeypatch, query):
    """Walking every paper, the batches keep their papers, order and flags, in fewer rounds when titles are sparse."""
    import llmreads.store.search as module
    from llmreads.query import compile_query

    compiled = compile_query(query)
    literal = compiled.fts_literal_in_titles() if compiled.expanded else compiled.fts_in_titles()
    matches = [literal, compiled.fts_in_titles()]
    monkeypatch.setattr(module, "_WALK_BATCH", 16)
    monkeypatch.setattr(module, "_TOP", 64)  # the walk goes through every one of the seed's papers
    could_hold = module._could_hold(compiled)
    # Sparse titles, as rare words have them in a large list: in batches 1, 2, 3, 5 and 6 (of 0 to 7) in stars order.
    stars = "SELECT title FROM papers WHERE listed = 1 ORDER BY stars DESC, position"
    order = [title for (title,) in conn.execute(stars)]
    some = {order[at] for at in (20, 40, 60, 80, 100)}

    def walk(ahead: int, test: Callable[[str], bool]) -> tuple[list[list[tuple[int, list[bool]]]], int]:
        monkeypatch.setattr(module, "_WALK_AHEAD_MOST", ahead)
        rounds: list[str] = []
        conn.set_trace_callback(lambda sql: rounds.append(sql) if "'delete-all'" in sql else None)
        conn.execute("BEGIN")
        try:
            batches = list(module._walk(conn, matches, None, True, bool(compiled.excluded), test))
        finally:
            conn.execute("COMMIT")
            conn.set_trace_callback(None)
        return batches, len(rounds)

    one_by_one, rounds = walk(1, could_hold)
    gathered, fewer = walk(4, could_hold)
    assert gathered == one_by_one and fewer <= rounds
    assert [pid for batch in gathered for pid, _found in batch] == [
        r[0] for r in conn.execute("SELECT id FROM papers WHERE listed = 1 ORDER BY stars DESC, position")
    ]
    assert all(len(batch) == 16 for batch in gathered[:-1])
    in_titles = {r[0] for r in conn.execute(
        "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (module._WholeWords(conn)(compiled.fts_in_titles()),)
    )}
    assert {pid for batch in gathered for pid, found in batch if found[1]} == in_titles
    one_by_one, rounds = walk(1, some.__contains__)
    gathered, fewer = walk(4, some.__contains__)
    assert gathered == one_by_one
    assert (fewer, rounds) == (4, 5)  # batches 1, 2 and 3 a round each; 4 to 7, with two of the titles, one


@pytest.mark.parametrize("query", ["扩散模型", "lora", "微调", '"language models"', "chain-of-thought", "a", "gpt4 x"])
def test_a_term_s_pattern_finds_the_same_with_its_look_behind_after_the_first_letter(query):
    """The snippet's and `matched`'s patterns, compiled to test for a letter before a word after its first letter."""
    from llmreads.query import compile_query
    from llmreads.store.search import _pattern

    texts = [
        "Diffusion models", "xdiffusion models", "1diffusion model", "_diffusion model", "模型diffusion Model",
        "DIFFUSION-MODELS", "\u017fdiffusion model", "\u0131diffusion", "\u212adiffusion", "d\u0131ffus\u0131on models",
        "LoRA, loras and xlora", "fine-tuned; finetune", "\u017fine-tuning", "扩散模型 and 擴散模型", "language models",
        "Language-Models", "chain of thought; chain-of-thought", "a b a", "", "GPT4 x gpt4x", "lora\nlora", "éa ßa",
    ]
    patterns = compile_query(query).patterns()
    assert any(_pattern(p).pattern != p for p in patterns)  # each has a Latin word
    for pattern in patterns:
        plain = re.compile(pattern, re.IGNORECASE)
        for text in texts:
            for at in range(len(text) + 1):
                found, fast = plain.search(text, at), _pattern(pattern).search(text, at)
                assert (found and found.span()) == (fast and fast.span()), (pattern, text, at)


def test_a_search_reads_pages_as_sqlite_does_and_works_in_memory(conn, seed_text):
    # A command searches once: neither a memory map nor a larger cache pays for itself there.
    import sqlite3

    from helpers import import_text
    from llmreads.db import _create_schema
    from llmreads.store import search as module

    def pages() -> list[int]:
        return [conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "mmap_size")]

    before = pages()
    statements, first = traced(conn, lambda: module.search(conn, "alice", "lora", limit=5))
    assert pages() == before == [-2000, 0]
    assert not [s for s in statements if s.startswith(("PRAGMA cache_size", "PRAGMA mmap_size"))] and first.total > 0
    memory = sqlite3.connect(":memory:", isolation_level=None)
    memory.row_factory = sqlite3.Row
    assert _create_schema(memory)
    import_text(memory, seed_text)
    assert [p.id for p in module.search(memory, "alice", "lora", limit=5).papers] == [p.id for p in first.papers]
