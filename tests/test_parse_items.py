"""List items, paragraphs and titles in the shapes real paper lists write them (issue 13)."""

from __future__ import annotations

from helpers import read_fixture
from llmreads.models import EXPORT_MARK, Link, NonPaper, UnreadItem
from llmreads.parse import parse


def papers(doc):  # type: ignore[no-untyped-def]
    return [(e.line, e.title, e.url) for e in doc.entries]


def test_nickname_tag_or_mark_before_the_bold_title():
    doc = parse(read_fixture("items_nicknames.md"))
    assert papers(doc) == [
        (5, "Owl: Teaching Small Models to Hoot", "https://arxiv.org/abs/2101.00001"),
        (6, "Finches Are Few-Shot Singers", "https://arxiv.org/abs/2101.00002"),
        (7, "Heron: Wading Through Long Contexts", "https://arxiv.org/abs/2102.00001"),
        (9, "A Survey of Pelican Language Models", "https://arxiv.org/pdf/2103.00001.pdf"),
        (11, "Pre-training lapwings to learn in context", "https://aclanthology.org/2099.acl-long.1.pdf"),
    ]
    heron, pelican = doc.entries[2], doc.entries[3]
    assert heron.links == (Link("Checkpoint", "https://huggingface.co/x/heron"),)
    assert heron.title_raw == '"Heron: Wading Through Long Contexts"'
    assert pelican.links == (Link("Project", "https://github.com/x/pelican"),)
    assert doc.skipped == (NonPaper(8, "Stork: [Source]", "https://example.org/stork"),)


def test_bare_urls_autolinks_and_written_ids_are_papers():
    doc = parse(read_fixture("items_bare_links.md"))
    assert papers(doc) == [
        (3, "arXiv:2203.00001", "https://arxiv.org/abs/2203.00001"),
        (4, "arXiv:2203.00002", "https://arxiv.org/abs/2203.00002"),
        (5, "Toucan Alignment", "https://arxiv.org/abs/2203.00003"),
        (6, "arXiv:2203.00004", "https://arxiv.org/abs/2203.00004"),
        (7, "DPO-Bird", "https://arxiv.org/abs/2203.00005"),
        (8, "Must-read Title About Puffins", "https://arxiv.org/abs/2203.00006"),
        (9, "Hummingbird: Hovering Inference", "https://arxiv.org/abs/2204.00001"),
    ]
    assert [e.arxiv for e in doc.entries] == [
        "2203.00001", "2203.00002", "2203.00003", "2203.00004", "2203.00005", "2203.00006", "2204.00001",
    ]
    assert doc.entries[4].links == (Link("code", "https://github.com/x/dpo-bird"),)
    assert doc.entries[0].intro == ""  # the bare URL is the paper, not its summary
    assert doc.skipped == ()


def test_continuation_lines_indented_less_than_the_marker_or_after_star_tab():
    text = read_fixture("items_continuations.md")
    assert "\n*\t*K. Author*" in text
    doc = parse(text)
    assert papers(doc) == [
        (3, "Osprey: Fishing For Facts In Context", "https://arxiv.org/abs/2205.00001"),
        (5, "Condor Soaring Through Tokens", "https://arxiv.org/abs/2205.00002"),
    ]
    assert doc.entries[1].intro == ". K. Author. arXiv 2023."
    assert doc.skipped == ()


def test_star_tab_under_a_bullet_item_is_still_a_list_item():
    doc = parse("# L\n\n- **Alpha Bird Models** [pdf](https://arxiv.org/abs/2205.00003)\n*\t[Beta Bird](https://arxiv.org/abs/2205.00004)\n")
    assert papers(doc) == [
        (3, "Alpha Bird Models", "https://arxiv.org/abs/2205.00003"),
        (4, "Beta Bird", "https://arxiv.org/abs/2205.00004"),
    ]


def test_bold_paragraphs_outside_lists_are_papers_prose_is_named():
    doc = parse(read_fixture("items_paragraphs.md"))
    assert papers(doc) == [
        (7, "Cormorant: Diving Into Instruction Tuning", "https://arxiv.org/abs/2111.00001"),
        (9, "Pelican Prompts Generalise Across Tasks", "https://arxiv.org/abs/2111.00002"),
        (11, "Gannet: Past, Present and Future of Seabird Models", "https://arxiv.org/abs/2111.00003"),
        (13, "Albatross: Gliding Over Long Prompts", "https://arxiv.org/abs/2111.00004"),
    ]
    assert doc.skipped == (
        UnreadItem(
            3,
            "We wrote a survey of our own, the seabird survey, which covers everything below and a great deal more.",
        ),
        UnreadItem(16, "Shearwater notes, see the discussion in doi:10.1234/shearwater.5 for why this is hard."),
    )


def test_items_linking_only_code_models_videos_or_anchors_are_non_papers():
    # and, under a heading of resources (`## Leaderboards`), items that link no paper;
    # a paper's code in a sub-item and a table of contents are neither papers nor named
    doc = parse(read_fixture("items_non_papers.md"))
    assert papers(doc) == [
        (5, "Kittiwake: Cliffside Reasoning", "https://arxiv.org/abs/2206.00001"),
        (6, "Skua", "https://arxiv.org/abs/2206.00002"),
        (20, "Nest Eval", "https://birds.example/nest-eval.pdf"),
        (24, "Petrel: Skimming Long Documents", "https://arxiv.org/abs/2206.00004"),
        (33, "Albatross: Gliding Without Effort", "https://arxiv.org/abs/2206.00005"),  # a paper among essays
    ]
    assert doc.entries[0].links == (Link("code", "https://github.com/x/kittiwake"),)
    assert doc.entries[1].links == (Link("Skua", "https://github.com/x/skua"),)
    assert doc.skipped == (
        NonPaper(10, "Awesome-Bird-Papers - a list of bird papers.", "https://github.com/x/awesome-birds"),
        NonPaper(11, "Why birds fly", "https://www.youtube.com/watch?v=xyz"),
        NonPaper(12, "Top Papers of the Week (May 1 - May 7)", "./#top-papers-of-the-week-may-1---may-7"),
        NonPaper(13, "Plover-7B Model Code", "https://huggingface.co/x/plover-7b"),
        UnreadItem(15, "Tern Tutorial, explained in a long thread of its own"),
        NonPaper(19, "Bird Arena - which bird model sings best.", "https://birds.example/arena"),
        # A section of essays and posts: a page that is no paper's is one of them.
        NonPaper(30, "Why did every rebuild of the Great Auk fail?", "https://someone.github.io/auk"),
        NonPaper(31, "The Next Generation of Songbirds", "https://www.notion.so/Birds-0123456789abcdef"),
        NonPaper(32, "Flocking, Explained", "https://www.example-news.com/2023/flocking"),
    )


def test_every_line_with_an_arxiv_id_or_doi_is_a_paper_or_named():
    for name in ("items_nicknames.md", "items_bare_links.md", "items_continuations.md",
                 "items_paragraphs.md", "items_non_papers.md"):
        text = read_fixture(name)
        doc = parse(text)
        named = {e.line for e in doc.entries} | {s.line for s in doc.skipped}
        for number, line in enumerate(text.splitlines(), 1):
            if "arxiv" in line.lower() or "doi:" in line:
                # the line itself, or the item or paragraph it continues
                assert {number, number - 1} & named, (name, number, line)


def test_an_exported_list_keeps_items_that_link_a_repository():
    item = "- [Grouse-6B](https://github.com/x/grouse) ★★★\n"
    posted = parse("# Birds\n\n" + item)
    assert posted.entries == ()
    assert posted.skipped == (NonPaper(3, "Grouse-6B ★★★", "https://github.com/x/grouse"),)
    exported = parse(f"# Birds\n\n1 paper · 0 read\n\n{EXPORT_MARK}\n\n## 1 Models\n\n{item}")
    assert [(e.title, e.url, e.stars) for e in exported.entries] == [("Grouse-6B", "https://github.com/x/grouse", 3)]
    assert exported.skipped == ()


def test_items_inside_a_block_quote_are_papers_of_the_section():
    doc = parse(
        "# Papers\n\n## Reading\n\n"
        "> 1. [Owl: Teaching Small Models to Hoot](https://arxiv.org/abs/2101.00001)\n"
        "> 2. [Heron: Wading Through Long Contexts](https://arxiv.org/abs/2102.00001)\n\n"
        "- [Finches Are Few-Shot Singers](https://arxiv.org/abs/2101.00002)\n"
    )
    assert papers(doc) == [
        (5, "Owl: Teaching Small Models to Hoot", "https://arxiv.org/abs/2101.00001"),
        (6, "Heron: Wading Through Long Contexts", "https://arxiv.org/abs/2102.00001"),
        (8, "Finches Are Few-Shot Singers", "https://arxiv.org/abs/2101.00002"),
    ]
    assert {e.section for e in doc.entries} == {"1"}


def test_papers_inside_html_blocks_are_said_unread_one_each_with_their_lines():
    # `- <br>` makes the whole item an HTML block (a tag alone on its line), which GitHub shows as HTML,
    # not Markdown; so does a paragraph of HTML. Neither is read, and neither is left out silently.
    doc = parse(
        "# Papers\n\n"  # 1
        "- [Attention Is All You Need](https://arxiv.org/abs/1706.03762) transformers\n"  # 3
        "- <br>\n"  # 4
        "  [LoRA: Low-Rank Adaptation](https://arxiv.org/abs/2106.09685) adapts\n"
        "\n"
        '<p align="center"><img src="logo.png"></p>\n'  # 7: no paper, nothing said
        "<!-- [Hidden](https://arxiv.org/abs/2001.08361) -->\n"  # hidden by the page: nothing said
        "\n"
        '<p><a href="https://arxiv.org/abs/2305.14314">QLoRA: Efficient Finetuning</a> and\n'  # 10
        '<a href="https://github.com/artidoro/qlora">code</a>, see also\n'  # 11
        '<a href="https://arxiv.org/pdf/2106.09685.pdf">the LoRA paper</a></p>\n'  # 12
    )
    assert [e.title for e in doc.entries] == ["Attention Is All You Need"]
    assert list(doc.skipped) == [
        UnreadItem(4, "[LoRA: Low-Rank Adaptation](https://arxiv.org/abs/2106.09685) adapts"),
        UnreadItem(10, "QLoRA: Efficient Finetuning"),
        UnreadItem(12, "the LoRA paper"),
    ]


def test_a_paper_of_an_html_table_is_said_with_its_row():
    doc = parse(
        "# Models\n\n"
        "<table>\n"  # 3
        "  <tr><th>Model</th><th>Size</th><th>Link</th></tr>\n"
        "  <tr><td>T5</td><td>11</td><td><a href=\"https://arxiv.org/abs/1910.10683\">Paper</a></td></tr>\n"  # 5
        "  <tr>\n"
        "    <td>mT5</td><td>13</td>\n"
        "    <td><a href='https://arxiv.org/abs/2010.11934'>Paper</a> <a href='https://github.com/x/y'>Code</a></td>\n"
        "  </tr>\n"
        "</table>\n"
        "\n- [Attention Is All You Need](https://arxiv.org/abs/1706.03762)\n"
    )
    assert [e.title for e in doc.entries] == ["Attention Is All You Need"]
    assert list(doc.skipped) == [UnreadItem(5, "T5 11 Paper"), UnreadItem(8, "mT5 13 Paper Code")]


def test_a_paper_linked_by_a_badge_alone_is_said_by_its_link():
    doc = parse("# Models\n\n[![Stars](https://img.shields.io/stars.svg)](https://github.com/a/b)\n"
                "[![arXiv](https://img.shields.io/badge/arXiv-2503.17407-red.svg)](https://arxiv.org/abs/2503.17407)\n\n"
                "- [Attention Is All You Need](https://arxiv.org/abs/1706.03762)\n")
    assert list(doc.skipped) == [UnreadItem(4, "https://arxiv.org/abs/2503.17407")]  # not an empty line


def test_an_html_block_that_names_a_paper_in_its_text_is_said_at_that_line():
    doc = parse("# Papers\n\n<div>\n  <p>Our survey:</p>\n"
                "  <p>see https://arxiv.org/abs/2303.18223 for it</p>\n</div>\n\n"  # line 5
                "- [Attention Is All You Need](https://arxiv.org/abs/1706.03762)\n")
    assert list(doc.skipped) == [UnreadItem(5, "Our survey: see https://arxiv.org/abs/2303.18223 for it")]
