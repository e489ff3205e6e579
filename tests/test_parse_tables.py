"""Tables of papers as real lists write them: the title column found by what it holds, rows GitHub
reads and mistune would not, star glyphs, and the tables, rows and links that are not papers.

One fixture per shape under tests/fixtures/tables/, each with the exact papers it must yield
(title, URL, stars) and the exact skip events.
"""

from __future__ import annotations

import pytest

from helpers import FIXTURES, json_out, ok, read_fixture
from llmreads.models import Link, NonPaper, SkippedTable, UnreadItem
from llmreads.parse import parse
from llmreads.parse.lines import chunks, table_row, text_lines

TABLES = FIXTURES / "tables"


def doc(name: str):  # type: ignore[no-untyped-def]
    return parse(read_fixture(f"tables/{name}"))


def papers(name: str) -> list[tuple[int, str, str, int]]:
    """(line, title, url, stars) of each entry."""
    return [(e.line, e.title, e.url, e.stars) for e in doc(name).entries]


def test_paper_link_in_a_column_of_its_own():
    """`Date | Title | Paper | Code | Recom`: the URL from the `[[pdf]]` column, the code kept as a link."""
    assert papers("paper_column.md") == [
        (7, "Egret: Efficient KV Cache Eviction", "https://arxiv.org/pdf/2108.00001", 2),
        (8, "Ibis: Paged Attention for Birds", "https://arxiv.org/pdf/2108.00002", 1),
        (9, "Kite: Decoding in One Glide", "https://openreview.net/forum?id=kite1", 0),
        # A `[[report]]` label is no title, whatever it links; a tag glued to the title goes.
        (10, "Stilt-01: Scaling Wader Models with Lightning Feet", "https://files.example.org/Stilt_01_Report.pdf", 2),
        (11, "CRANE: AN EFFICIENT ENGINE FOR WADING BIRDS", "https://arxiv.org/pdf/2108.00003.pdf", 1),
    ]
    parsed = doc("paper_column.md")
    assert [e.arxiv for e in parsed.entries] == ["2108.00001", "2108.00002", None, None, "2108.00003"]
    assert [e.links for e in parsed.entries] == [
        (Link("[egret]", "https://github.com/x/egret"),),
        (),
        (Link("[kite]", "https://github.com/x/kite"),),
        (Link("[stilt]", "https://github.com/x/stilt"),),
        (Link("[crane]", "https://github.com/x/crane"),),
    ]
    assert [e.year for e in parsed.entries] == ["2024", "2024", "2024", "2025", "2024"]
    assert parsed.skipped == ()
    assert parsed.problems == ()


def test_the_star_column_counts_glyphs_with_a_variation_selector():
    text = read_fixture("tables/paper_column.md")
    assert "⭐\ufe0f⭐\ufe0f" in text
    assert [e.stars for e in parse(text).entries] == [2, 1, 0, 2, 1]


def test_linked_titles_win_over_a_nickname_column():
    """`Name | Paper | Link`: the `Paper` column's linked titles are the titles, `Name` an extra field."""
    assert papers("name_paper_link.md") == [
        (7, "Plover: A Benchmark for Shorebird Reasoning", "https://arxiv.org/pdf/2109.00001", 0),
        (8, "Tern: Instruction Data from Coastal Birds", "https://arxiv.org/pdf/2109.00002", 0),
    ]
    parsed = doc("name_paper_link.md")
    assert [e.extra for e in parsed.entries] == [(("Name", "Plover-Bench"),), (("Name", "Tern-Instruct"),)]
    assert [e.links for e in parsed.entries] == [
        (Link("Link", "https://github.com/x/plover"),),
        (Link("Link", "https://huggingface.co/datasets/x/tern"),),
    ]
    assert [e.intro for e in parsed.entries] == ["A benchmark", "A dataset"]
    assert parsed.skipped == ()


def test_title_column_by_header_name_or_by_content():
    """`名字` is a title header; a table whose headers name nothing is read by what its cells hold."""
    assert papers("by_content.md") == [
        (7, "Sandpiper", "https://arxiv.org/abs/1706.00001", 0),
        (8, "Dunlin", "https://arxiv.org/abs/1810.00002", 0),
        (14, "Curlew: Long Bills for Long Contexts", "https://aclanthology.org/2020.acl-main.1/", 0),
        (15, "Whimbrel Scaling Study", "https://arxiv.org/abs/2101.00009", 0),
    ]
    parsed = doc("by_content.md")
    assert [e.intro for e in parsed.entries] == ["第四大类架构", "双向预训练", "", ""]
    assert [e.extra for e in parsed.entries][2:] == [
        (("When", "2020"), ("Where", "ACL")),
        (("When", "2021"), ("Where", "arXiv")),
    ]
    assert parsed.skipped == ()


def test_rows_github_reads_without_outer_pipes_or_with_other_cell_counts():
    """A row without its leading or trailing pipe, with a cell too few or two too many: all read."""
    assert papers("loose_rows.md") == [
        (7, "Crow: One Bird, Many Tricks", "https://arxiv.org/pdf/2104.00001.pdf", 0),
        (8, "Raven: Seeing Far Ahead", "https://arxiv.org/pdf/2104.00002.pdf", 0),
        (9, "Magpie: Collecting Shiny Tokens", "https://arxiv.org/pdf/2104.00003.pdf", 0),
        (10, "Swallow: Fast Decoding", "https://example.com/reports/swallow.pdf", 0),
        (11, "Falcon Eyes: Seeing Small Things", "https://arxiv.org/pdf/2106.00002.pdf", 0),
        (12, "Harrier Memory Banks", "https://arxiv.org/pdf/2106.00003.pdf", 0),
    ]
    parsed = doc("loose_rows.md")
    assert parsed.entries[3].links == (Link("Demo", "https://huggingface.co/x/swallow"),)
    assert parsed.entries[5].extra == (("Venue", "arXiv"), ("Code", "-"))  # the surplus cells are dropped
    assert parsed.skipped == ()
    assert parsed.problems == ()


def test_table_rows_are_rewritten_only_when_github_and_mistune_would_differ():
    assert table_row("| a | b |", 2) == "| a | b |"
    assert table_row("a | b |", 2) == "|a | b |"
    assert table_row("| a | b", 2) == "| a | b|"
    assert table_row("| a |", 2) == "| a | |"
    assert table_row("| a | b | c |", 2) == "| a | b |"
    assert table_row(r"| a \| b | c", 2) == r"| a \| b | c|"
    # Only rows of a table are touched, and a list item ends the table.
    text = "a | b\n\n| A | B |\n| - | - |\nx | y\n- item | z\n"
    (chunk,) = (chunk for _, chunk in chunks(text_lines(text)))
    assert chunk == "a | b\n\n| A | B |\n| - | - |\n|x | y|\n- item | z\n"


def test_tables_rows_and_links_that_are_not_papers_are_reported():
    """A table of talks and a badge table are skipped tables; a code-only row is a non-paper; an arXiv id
    with no title is an unread row."""
    parsed = doc("not_papers.md")
    assert [(e.line, e.title, e.url) for e in parsed.entries] == [
        (21, "Gull: Reading Between the Waves", "https://arxiv.org/abs/2301.00001"),
        (24, "Skua: Stealing Attention", "https://arxiv.org/abs/2301.00004"),
    ]
    assert parsed.skipped == (
        SkippedTable(5, ("日期", "标题", "时长", "视频")),
        SkippedTable(13, ("Licence", "Status")),
        NonPaper(22, "Puffin Toolkit", "https://github.com/x/puffin"),
        UnreadItem(23, "arXiv:2301.00003"),
    )
    assert parsed.problems == ()


def test_a_title_cell_holding_the_summary():
    """`N) **Title** - summary`, `N) **Title**- summary` and `N) Title  summary`: the title, the rest the
    introduction, however long."""
    text = read_fixture("tables/summary_cell.md")
    assert len(text.splitlines()[8]) > 2_000  # the third row is longer than any title may be
    assert papers("summary_cell.md") == [
        (7, "Lark Diffusion LMs", "https://arxiv.org/abs/2110.00001", 0),
        (8, "Nightingale Memory", "https://arxiv.org/abs/2110.00002", 0),
        (9, "Robin Agents", "https://arxiv.org/abs/2110.00003", 0),
        # The dash lost a space on one side; a `[Project]` label on a paper link names no title.
        (11, "The Kite Latent Transformer (KLT)", "https://arxiv.org/abs/2110.00005", 0),
        (12, "Osprey 3", "https://arxiv.org/abs/2110.00006", 0),
    ]
    parsed = doc("summary_cell.md")
    assert [e.intro[:40] for e in parsed.entries] == [
        "proposes a short thing.",
        "This work introduces a long summary. ● o",
        "This work introduces a way for songbirds",
        "introduces a byte-level model of birdson",
        "releases a new model of fish catching; i",
    ]
    assert len(parsed.entries[2].intro) > 2_000
    assert [e.links for e in parsed.entries] == [
        (Link("Tweet", "https://x.com/someone/status/1"),),
        (Link("Tweet", "https://x.com/someone/status/2"),),
        (),
        (Link("Tweet", "https://x.com/someone/status/5"),),
        (),
    ]
    assert parsed.skipped == (
        NonPaper(10, "4) Wagtail Tools - a code release only.", "https://github.com/x/wagtail"),
    )
    assert parsed.problems == ()


def test_a_keywords_column_is_kept_as_an_extra_field(tmp_path):
    path = tmp_path / "keywords.md"
    path.write_text(
        "# Kw\n\n## Papers\n\n| Title | Keywords | Link |\n| --- | --- | --- |\n"
        "| Heron Feedback Study | InstructGPT, RLHF | https://arxiv.org/abs/2203.00155 |\n",
        encoding="utf-8",
    )
    (entry,) = parse(path.read_text(encoding="utf-8")).entries
    assert (entry.title, entry.extra) == ("Heron Feedback Study", (("Keywords", "InstructGPT, RLHF"),))


def test_search_finds_a_paper_by_its_keywords_column(cli, tmp_path):
    path = tmp_path / "keywords.md"
    path.write_text(
        "# Kw\n\n## Papers\n\n| Title | Keywords | Link |\n| --- | --- | --- |\n"
        "| Heron Feedback Study | InstructGPT, RLHF | https://arxiv.org/abs/2203.00155 |\n",
        encoding="utf-8",
    )
    ok(cli("import", str(path)))
    assert [r["title"] for r in json_out(cli("search", "instructgpt", "--json"))] == ["Heron Feedback Study"]


# Every header name the parser knows, by the role it gives its column (written out here, not read from the parser).
KNOWN_HEADERS = {
    "id": "id|#|no|no.|序号|编号|index",
    "title": "paper|title|论文|name|名称|标题|题目|paper title|论文名称|文章|paper name|名字|work|works|model|models"
             "|模型|方法|method",
    "link": "link|url|pdf|链接|地址|paper link|论文链接|arxiv",
    "stars": "stars|star|rating|推荐|推荐指数|推荐度|重要程度|重要性|星级|importance|评分|recom|recommend|recommended"
             "|recommendation",
    "year": "year|date|年份|时间|日期|发表时间|published|发布时间",
    "intro": "introduction|intro|notes|note|简介|说明|介绍|备注|description|summary|摘要|comment|comments|remarks|tldr"
             "|tl;dr|内容|点评",
}


@pytest.mark.parametrize(
    ("role", "name"), [(role, name) for role, names in KNOWN_HEADERS.items() for name in names.split("|")]
)
def test_each_known_header_name_gives_its_column_its_role(role: str, name: str) -> None:
    from llmreads.parse.tables import _column_roles

    assert _column_roles(["qqq", name])[role] == 1


KNOWN_HEADER_WORDS = {"title": "paper|title|论文|标题", "intro": "intro|note|简介|说明|介绍|summary",
                      "stars": "star|rating|推荐|重要", "link": "link|url|链接"}


@pytest.mark.parametrize(
    ("role", "word"), [(role, word) for role, words in KNOWN_HEADER_WORDS.items() for word in words.split("|")]
)
def test_a_header_holding_a_known_word_gives_its_column_that_role(role: str, word: str) -> None:
    from llmreads.parse.tables import _column_roles

    assert _column_roles(["qqq", f"my {word}s here"])[role] == 1


_ONE = "https://arxiv.org/abs/2101.00001"


def test_a_star_header_with_a_variation_selector_names_the_rating_column() -> None:
    entries = parse(f"# R\n\n| Paper | ⭐️ |\n| --- | --- |\n| [Paper A]({_ONE}) | 4 |\n").entries
    assert [(e.title, e.stars) for e in entries] == [("Paper A", 4)]


def test_a_column_of_star_glyphs_under_an_unknown_header_is_the_rating() -> None:
    entries = parse(f"# R\n\n| Paper | Rank |\n| --- | --- |\n| [Paper A]({_ONE}) | ⭐⭐⭐ |\n").entries
    assert [(e.title, e.stars) for e in entries] == [("Paper A", 3)]


def test_a_star_in_a_title_does_not_make_the_title_column_the_rating() -> None:
    entries = parse(
        f"# R\n\n| Paper | Link |\n| --- | --- |\n| ⭐ Attention Is All You Need | [pdf]({_ONE}) |\n"
        "| Second One Here | [pdf](https://arxiv.org/abs/2101.00002) |\n"
    ).entries
    assert [(e.title, e.stars) for e in entries] == [("Attention Is All You Need", 0), ("Second One Here", 0)]


def test_a_table_of_videos_is_skipped_though_its_titles_hold_numbers_like_a_doi() -> None:
    found = parse(
        "# R\n\n| Title | Video |\n| --- | --- |\n"
        "| Lecture 10.1 on rxiv things | [watch](https://youtube.com/watch?v=a) |\n"
        "| Lecture 10.2 | [watch](https://youtube.com/watch?v=b) |\n"
    )
    assert found.entries == ()
    assert found.skipped == (SkippedTable(line=3, headers=("Title", "Video")),)


@pytest.mark.parametrize(
    ("title", "kept"), [("The Illustrated Transformer Guide", True), ("Illustrated Transformer Guide", False)]
)
def test_a_title_linking_a_post_is_kept_from_four_words(title: str, kept: bool) -> None:
    found = parse(
        f"# R\n\n| Paper | Year |\n| --- | --- |\n| [Attention Is All You Need]({_ONE}) | 2017 |\n"
        f"| [{title}](https://medium.com/@someone/post-1) | 2018 |\n"
    )
    assert [e.title for e in found.entries] == ["Attention Is All You Need", *([title] if kept else [])]
    assert [type(s).__name__ for s in found.skipped] == ([] if kept else ["NonPaper"])
