"""The parser's fast path for table rows gives exactly what the mistune path gives.

`llmreads.parse.fastpath` cuts table bodies out of the markdown before mistune
sees it and reads their cells itself (`_simple_cell`), leaving to mistune's inline
parser only cells with markup it does not know. These tests hold the fast
path to the mistune path (`FAST_TABLES = False`), event for event, on the
seed, on every fixture and on generated rows and cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mistune
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, examples, read_fixture
from llmreads.parse import Event, fastpath, inline, iter_document, parse
from llmreads.parse import lines as parse_lines
from llmreads.text import clean, fold_lookalikes

FIXTURE_NAMES = sorted(str(path.relative_to(FIXTURES)) for path in FIXTURES.rglob("*.md"))


@contextmanager
def fast_tables(on: bool) -> Iterator[None]:
    """The fast path on or off (a plain context manager: hypothesis tests cannot use monkeypatch)."""
    saved = fastpath.FAST_TABLES
    fastpath.FAST_TABLES = on
    try:
        yield
    finally:
        fastpath.FAST_TABLES = saved


def both_ways(text: str) -> tuple[list[Event], list[Event]]:
    with fast_tables(True):
        fast = list(iter_document(text))
    with fast_tables(False):
        slow = list(iter_document(text))
    return fast, slow


@contextmanager
def counting_simple_cells() -> Iterator[list[int]]:
    """Count the cells the fast path read itself: [read, left to mistune]."""
    counts = [0, 0]
    real = fastpath._simple_cell

    def spy(text: str, refs: bool = False):  # type: ignore[no-untyped-def]
        cell = real(text, refs)
        counts[cell is None] += 1
        return cell

    fastpath._simple_cell = spy
    try:
        yield counts
    finally:
        fastpath._simple_cell = real


def mistune_cell(text: str, refs: bool = False) -> tuple[str, list[object]]:
    """A cell's text and links the way the mistune path reads them."""
    markdown = mistune.create_markdown(renderer=None, plugins=["table"])
    env = {"ref_links": {"REF": {"url": "https://ref.example/"}} if refs else {}}
    node = {"type": "table_cell", "children": markdown.inline(text.strip(), env)}
    return inline.plain_text(node), list(inline.node_links(node))


# ---------------------------------------------------------------- real documents


def test_seed_same_both_ways(seed_text):
    with counting_simple_cells() as counts:
        fast, slow = both_ways(seed_text)
    assert fast == slow
    # The fast path really ran: most of the seed's cells were read without mistune.
    assert counts[0] > 300 and counts[0] > 5 * counts[1], counts
    with counting_simple_cells() as counts, fast_tables(False):
        slow_doc = parse(seed_text)
    assert counts == [0, 0]  # the switch really sends every row through mistune
    assert parse(seed_text) == slow_doc


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_same_both_ways(name):
    text = read_fixture(name)
    fast, slow = both_ways(text)
    assert fast == slow
    # Given as lines, as an import that streams does.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    with fast_tables(True):
        assert list(iter_document(lines)) == slow


def test_fixtures_exist():
    assert "formats/bad_rows.md" in FIXTURE_NAMES and "crlf.md" in FIXTURE_NAMES


def test_same_both_ways_when_tables_are_cut_into_chunks(monkeypatch, seed_text):
    rows = "\n".join(f"| {i}✡ | [Paper {i}](https://arxiv.org/abs/2301.{i:05d}) | 简介 **{i}** |" for i in range(1, 40))
    big = f"# Big\n\n## One\n\n| ID | Paper | Introduction |\n| -- | -- | -- |\n{rows}\n\n## Two\n\ntext\n"
    monkeypatch.setattr(parse_lines, "CHUNK_LINES", 7)
    for text in (big, seed_text):
        fast, slow = both_ways(text)
        assert fast == slow
    assert [e.line for e in parse(big).entries] == list(range(7, 46))
    chunks: list[int] = []
    list(iter_document(big, on_chunk=chunks.append))
    assert len(chunks) >= 8  # the table really was cut


def test_every_cell_of_the_seed_reads_as_mistune_reads_it(seed_lines):
    read = 0
    for line in seed_lines:
        text = fastpath._pipe_row(line)
        if text is None or set(text) <= set("-:| "):
            continue
        for cell in fastpath._split_cells(text):
            fast = fastpath._simple_cell(cell)
            if fast is not None:
                read += 1
                assert (fast[0], list(fast[1])) == mistune_cell(cell), cell
    assert read > 300


# ---------------------------------------------------------------- where the fast path must step aside

HEADER = "| ID | Paper | Introduction |\n| --- | --- | --- |\n"
ROW = "| 1✡ | [Alpha](https://arxiv.org/abs/2101.00001) | about **Alpha** |\n"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"# T\n\n{HEADER}{ROW}{ROW}", id="plain table"),
        pytest.param(f"# T\n\n```\n{HEADER}{ROW}```\n\n{HEADER}{ROW}", id="table in fenced code"),
        pytest.param(f"# T\n\n- item\n{HEADER}{ROW}", id="table after a list item"),
        pytest.param(f"# T\n\n1. item\n\n   {HEADER.replace(chr(10), chr(10) + '   ')}   {ROW}", id="table in a list"),
        pytest.param(f"# T\n\n<div>\n{HEADER}{ROW}</div>\n", id="table in an HTML block"),
        pytest.param(f"# T\n\n> {HEADER}> {ROW}", id="table in a quote"),
        pytest.param(f"# T\n\nsome text\n{HEADER}{ROW}", id="table right after a paragraph"),
        pytest.param(f"# T\n\n{HEADER}{ROW}| 2 | [Beta](b) |\n{ROW}", id="row with too few cells"),
        pytest.param(f"# T\n\n{HEADER}{ROW}| 2 | [Beta](b) | x | y |\n", id="row with too many cells"),
        pytest.param(f"# T\n\n{HEADER}{ROW}2 | [Beta](b) | x\n{ROW}", id="row without outer pipes"),
        pytest.param(f"# T\n\n{HEADER}{ROW}|---|---|---|\n{ROW}", id="delimiter row inside the body"),
        pytest.param("# T\n\nID | Paper | Intro\n-- | -- | --\n1 | [A](u) | x\n| 2 | [B](v) | y |\n", id="no pipes"),
        pytest.param(
            f"# T\n\n{HEADER}| 1 | [REF] | [REF][] [x][REF] |\n\n[REF]: https://ref.example/\n", id="references"
        ),
        pytest.param(f"# T\n\n{HEADER}| 1 | \ue0000 | private use |\n{ROW}", id="placeholder character in the text"),
        pytest.param(f"# T\n\n{HEADER}| 1 | a \\| b | c \\\\| d |\n", id="escaped pipes"),
        pytest.param(f"# T\n\n{HEADER}   {ROW}\t{ROW}    {ROW}", id="indented rows"),
        pytest.param(
            "# T\n\n| ID | Paper |\n| -- | -- |\n| 1 | A |\n\n| ID | Paper |\n| - | - |\n| 2 | B |\n", id="two tables"
        ),
        pytest.param(f"# T\n\n{HEADER}| | | |\n|  |  |  |\n", id="empty rows"),
        pytest.param(f"# T\n\n<!--\n{HEADER}{ROW}-->\n{HEADER}{ROW}", id="table in a comment"),
        pytest.param(f"# T\n\n    {HEADER}{ROW}", id="indented code header"),
    ],
)
def test_same_both_ways_where_mistune_decides(text):
    fast, slow = both_ways(text)
    assert fast == slow


def test_table_in_a_fence_falls_back_to_mistune_whole():
    # The rows cut out of the fenced table do not come back as a table: the
    # chunk is parsed again as it is, and the real table's entry is there once.
    text = f"# T\n\n```\n{HEADER}{ROW}```\n\n{HEADER}{ROW}"
    fast, slow = both_ways(text)
    assert fast == slow
    assert [e.title for e in parse(text).entries] == ["Alpha"]


# ---------------------------------------------------------------- generated cells and rows

# Pieces of table cells: text in several scripts, links with odd destinations,
# pipes (escaped or not), stars and emphasis, HTML, code, brackets, entities.
CELL_BITS = st.sampled_from(
    [
        "Attention",
        "is all you need",
        " ",
        "  ",
        "微调",
        "⼤模型⽂",
        "🌟",
        "✡✡",
        "★★☆",
        "4/5",
        "2023",
        "a_b",
        "_",
        "__",
        "*",
        "**",
        "***",
        "**bold**",
        "*em*",
        "_em_",
        "`",
        "`code`",
        "\\",
        "\\|",
        "\\\\",
        "|",
        "[",
        "]",
        "]]",
        "(",
        ")",
        "](",
        "!",
        "<",
        ">",
        "<br>",
        "<br/>",
        "<a href='https://a.org/x'>",
        "</a>",
        "<https://auto.link/>",
        "&amp;",
        "&",
        ";",
        "https://arxiv.org/abs/2106.09685",
        "http://a.org/p_q*r",
        "[Paper](https://arxiv.org/pdf/2203.02155.pdf)",
        "[T](https://x.org/a_b)",
        "[](https://empty.label/)",
        "[x]()",
        "[x]( https://sp.ace/ )",
        "[a b](https://x.org/a b)",
        "[t](<https://angle.org/>)",
        '[t](https://x.org "title")',
        "[t](https://例子.cn/路径)",
        "[t](http://a.org/?q=1&amp;r=2)",
        "[t](a(b)c)",
        "[t](a\\)b)",
        "[t](x'y\"z)",
        "[t](%20%zz)",
        "[**b**](https://bold.org/)",
        "[x]",
        "[REF]",
        "[[x]](y)",
        "![img](a.png)",
        "\ufffc",
        "\ue000",
        "\t",
        "\u3000",
        "\xa0",
        "\x00",
        "\x1b",
        "#",
        ":",
        "：",
        ".",
        "-",
        "'",
        '"',
        "~",
        "=",
        "$",
    ]
)
CELLS = st.lists(CELL_BITS, max_size=8).map("".join)
# Cells the fast path must read itself: plain text and plain links only.
SIMPLE_BITS = st.sampled_from(
    ["Attention", " ", "微调", "⼤模型", "✡", "2023", "(", ")", "a_b", "[Paper](https://arxiv.org/abs/2106.09685)",
     "[T](https://例子.cn/路径)", "https://a.org/x", "，"]
)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CELLS, st.booleans())
@example("[t](a(b)c) **x** [y](https://例子.cn/) z_", False)
@example("[a [b] c](https://x.org/) ] [", False)
@example("**a **b** c** https://x.org/a**b**", False)
@example("[REF] [x][REF]", True)
@example("\ufffca_b", False)
def test_cell_reads_as_mistune_reads_it(cell, refs):
    cell = cell.strip()
    fast = fastpath._simple_cell(cell, refs)
    if fast is not None:
        assert (fast[0], list(fast[1])) == mistune_cell(cell, refs)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(SIMPLE_BITS, max_size=8).map("".join))
def test_plain_cells_are_read_without_mistune(cell):
    cell = cell.strip()
    fast = fastpath._simple_cell(cell)
    assert fast is not None, cell
    assert (fast[0], list(fast[1])) == mistune_cell(cell)


@pytest.mark.parametrize(
    "cell",
    ["简介 **65B** 论文", "a **b** c **d", "90%* and *", "vd_source=a_b", "[T **x**](https://a.org/) **y**", "[A] b]"],
)
def test_simple_emphasis_and_brackets_are_read_without_mistune(cell):
    fast = fastpath._simple_cell(cell)
    assert fast is not None
    assert (fast[0], list(fast[1])) == mistune_cell(cell)


COLUMNS = ("ID", "Paper", "Introduction", "Link", "Year", "Stars", "Notes")


def table_document(rows: list[list[str]], references: bool) -> str:
    lines = ["# Generated", "", "## 1 Section", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    if references:
        lines += ["", "[REF]: https://ref.example/"]
    return "\n".join(lines) + "\n"


ROWS = st.lists(st.lists(CELLS, min_size=len(COLUMNS), max_size=len(COLUMNS)), min_size=1, max_size=4)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, st.booleans())
@example([["1✡", "[**A**](https://a.org/)", "*x* __y__", "https://b.org", "2021", "★★", "[n](https://n.org/)"]], False)
@example([["1", "\\| [A](u) \\|", "|", "", "", "", ""]], False)
def test_generated_rows_same_both_ways(rows, references):
    text = table_document(rows, references)
    fast, slow = both_ways(text)
    assert fast == slow


@settings(max_examples=examples(50), deadline=None)
@given(ROWS)
def test_generated_rows_as_lines_same_both_ways(rows):
    text = table_document(rows, False)
    with fast_tables(False):
        slow = list(iter_document(text))
    with fast_tables(True):
        assert list(iter_document(text.split("\n")[:-1])) == slow


# Whole lines, for documents where tables meet what mistune may hide them in.
LINE_BITS = st.one_of(
    st.sampled_from(
        [
            "",
            "# Title",
            "## 2.1 Sub",
            "1. # Numbered",
            "text",
            "- item",
            "1. item",
            "   indented",
            "    code",
            "> quote",
            "> | 1 | [Q](https://q.org/) | q |",
            "```",
            "~~~",
            "<div>",
            "</div>",
            "<details>",
            "<summary>More</summary>",
            "</details>",
            "<!--",
            "-->",
            "<!-- one line -->",
            "<h2>HTML heading</h2>",
            "[REF]: https://ref.example/",
            "---",
            "===",
            "| ID | Paper | Introduction |",
            "| **ID** | **Paper** | **Introduction** |",
            "| --- | --- | --- |",
            "|:--|:-:|--:|",
            "| --- | --- |",
            "ID | Paper | Introduction",
            "-- | -- | --",
            "| 1✡ | [Alpha](https://arxiv.org/abs/2101.00001) | about **Alpha** |",
            "| 2 | [Beta](https://b.org/x_y) | [REF] and *it* |",
            "| | | |",
            "| 3 | Gamma |",
            "1 | [Delta](https://d.org/) | d",
        ]
    ),
    st.lists(CELLS, min_size=3, max_size=3).map(lambda cells: "| " + " | ".join(cells) + " |"),
)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE_BITS, max_size=16).map("\n".join))
@example("| ID | Paper | Introduction |\n| --- | --- | --- |\n| 1 | [A](u) | a |\n```\n| 2 | [B](v) | b |")
def test_generated_documents_same_both_ways(text):
    fast, slow = both_ways(text)
    assert fast == slow


# ---------------------------------------------------------------- text helpers kept as they were

_OLD_SPACES = re.compile(r"\s+")


def old_clean(text: str) -> str:
    """`clean` as it was written before it was made faster."""
    from llmreads.text import _LOOKALIKES, _control

    text = _control().sub(" ", text.translate(_LOOKALIKES))
    return _OLD_SPACES.sub(" ", text).strip()


TEXT_BITS = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(["⼤", "⺠", "⽂", "大", " ", "\t", "\n", "\x00", "\x1b", "\u200e", "\u3000", "\xa0",
                              "\x1c", "\x85", "\u2028", "a", "微调"]), max_size=20).map("".join),
)


@settings(max_examples=examples(300), deadline=None)
@given(TEXT_BITS)
def test_clean_and_folding_unchanged(text):
    from llmreads.text import _LOOKALIKES

    assert clean(text) == old_clean(text)
    assert fold_lookalikes(text) == text.translate(_LOOKALIKES)


def test_every_lookalike_still_folds():
    from llmreads.text import _LOOKALIKES

    every = "".join(chr(code) for code in _LOOKALIKES)
    assert fold_lookalikes(every) == every.translate(_LOOKALIKES)
    assert fold_lookalikes("⼤模型") == "大模型"


def old_normalise_url(url: str) -> str:
    """`keys.normalise_url` as it was written before its shortcut for plain web URLs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    return urlunsplit(("", host, path, parts.query, "")).lstrip("/")


URL_BITS = st.lists(
    st.sampled_from(["a", "Z", "0", ".", "-", "_", "~", "/", "//", "?", "#", ":", "@", "%", "&", "'", "[", "]", " ",
                     "\t", "é", "www.", "WWW.", "arxiv.org", "http://", "https://"]),
    max_size=10,
).map("".join)


@settings(max_examples=examples(500), deadline=None)
@given(st.sampled_from(["", "http://", "https://", "https://www.", "HTTPS://"]), URL_BITS)
@example("https://", "www./a")
@example("https://", "Example.ORG//a//")
def test_normalise_url_unchanged(scheme, rest):
    from llmreads.keys import normalise_url

    url = scheme + rest
    try:
        expected = old_normalise_url(url)
    except ValueError:  # urlsplit refuses some brackets: such a URL is its own key now
        expected = url.strip()
    assert normalise_url(url) == expected


def test_fixture_directory_is_where_helpers_says():
    assert Path(FIXTURES, "formats").is_dir()


def test_entries_and_links_built_without_init_are_whole_and_equal_to_built_ones() -> None:
    """Entries and links are built by filling their fields directly (state.new_entry, inline.new_link):
    each holds every field of its dataclass, and compares and hashes as one built by its `__init__`."""
    from dataclasses import fields

    from llmreads.models import Entry, Link
    from llmreads.parse.inline import new_link
    from llmreads.parse.state import new_entry

    doc = parse(
        "# L\n\n## A\n\n| ID | Paper | Code |\n| -- | -- | -- |\n"
        "| 1⭐ | [Attention Is All You Need](https://arxiv.org/abs/1706.03762) | [code](https://github.com/a/b) |\n"
    )
    [entry] = doc.entries
    assert set(vars(entry)) == {f.name for f in fields(Entry)}  # a field added to Entry must be filled too
    assert entry == Entry(**vars(entry)) and hash(entry) == hash(Entry(**vars(entry)))
    assert entry.links == (Link(text="code", url="https://github.com/a/b"),)
    assert set(vars(entry.links[0])) == {f.name for f in fields(Link)}
    link = new_link("pdf", "https://x.org/p.pdf")
    assert link == Link("pdf", "https://x.org/p.pdf") and hash(link) == hash(Link("pdf", "https://x.org/p.pdf"))
    built = new_entry(**vars(entry))
    assert built == entry and built is not entry
    with pytest.raises(AttributeError):
        built.title = "changed"  # type: ignore[misc]  # still frozen


@given(
    st.builds(
        "".join,
        st.lists(
            st.sampled_from(["https://", "http://", "HTTPS://", "arxiv.org/", "ARXIV.org/", "www.", "abs/", "pdf/",
                             "html/", "hep-th/", "1706.03762", "2305.1431", "2305.143141", "v2", ".pdf", "9901001",
                             "x", "/", "?q=1", "#a", "０"]),
            max_size=8,
        ),
    )
)
@example("https://arxiv.org/pdf/1706.03762v5.pdf")
@example("https://arxiv.org/abs/1706.037621")
@example("http://arxiv.org/html/2305.14314v1")
@example("https://arxiv.org/abs/hep-th/9901001")
@example("https://arxiv.org/abs/1706.0376")
def test_arxiv_id_is_what_keys_finds(url: str) -> None:
    """The parser's quick look at the start of an arXiv URL finds the id keys.arxiv_from_url finds, or none."""
    from llmreads.keys import arxiv_from_url
    from llmreads.parse.state import arxiv_id

    assert arxiv_id(url) == arxiv_from_url(url)


@given(st.text(alphabet=st.sampled_from(list("✡⭐🌟★✪✯☆✩*a1 \ufe0f"))))
def test_stars_are_counted_as_the_star_pattern_finds_them(text: str) -> None:
    """count_stars and has_star, which count with `str` methods, agree with the STAR pattern."""
    assert inline.count_stars(text) == min(len(inline.STAR.findall(text)), 5)
    assert inline.has_star(text) == bool(inline.STAR.search(text))


@pytest.mark.parametrize("depth", range(1, 13))
def test_deeply_nested_bold_reads_as_mistune_reads_it(depth):
    cell = "**a " * depth + "x" + " b**" * depth
    fast = fastpath._simple_cell(cell)
    # Deeper than 8, where mistune's depth limit may decide, the fast path leaves the cell to mistune.
    assert fast is None or (fast[0], list(fast[1])) == mistune_cell(cell)
