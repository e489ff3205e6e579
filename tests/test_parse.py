"""The parser on the real seed list and on one small fixture per quirk of it."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import SEED_SECTIONS, examples, read_fixture
from llmreads.models import Link
from llmreads.parse import parse

# Kangxi Radicals and CJK Radicals Supplement: the look-alikes the seed is full of.
RADICAL = re.compile("[\u2e80-\u2fdf]")


# Counted by hand from the table rows under each heading of the seed
# (the empty row at the end of 2.4 PEFT is not a paper).
SEED_SECTION_COUNTS = {
    "1": 8,
    "2": 1,
    "2.1": 10,
    "2.2": 4,
    "2.3": 11,
    "2.4": 6,
    "2.5": 18,
    "2.6": 9,
    "3": 30,
    "4": 23,
}


def entry_at(doc, line):  # type: ignore[no-untyped-def]
    found = [e for e in doc.entries if e.line == line]
    assert len(found) == 1, (line, found)
    return found[0]


def entry_titled(doc, title):  # type: ignore[no-untyped-def]
    found = [e for e in doc.entries if e.title == title]
    assert len(found) == 1, (title, found)
    return found[0]


# ---------------------------------------------------------------- the seed


def test_seed_title_and_update_date(seed_doc):
    assert seed_doc.title == "LLM_Paper_Reading"
    assert seed_doc.updated == "2023-08-20"


def test_seed_sections_in_order(seed_doc):
    assert [(s.number, s.title) for s in seed_doc.sections] == SEED_SECTIONS


def test_seed_section_raw_titles_and_lines(seed_doc):
    by_number = {s.number: s for s in seed_doc.sections}
    assert by_number["1"].title_raw == "OpenAI/Google 基础语⾔⼤模型"
    assert by_number["2"].title_raw == "LLM的关键技术："
    assert by_number["2.1"].title_raw == "ICL"
    assert by_number["2.2"].title_raw == "2.2CoT"
    assert by_number["2.3"].title_raw == "2.3RLHF"
    assert by_number["2.4"].title_raw == "2.4 PEFT"
    assert [s.line for s in seed_doc.sections] == [11, 24, 32, 53, 64, 80, 94, 117, 131, 166]
    assert [s.parent for s in seed_doc.sections] == [None, None, "2", "2", "2", "2", "2", "2", None, None]


def test_seed_entry_and_key_counts(seed_doc):
    assert len(seed_doc.entries) == 120
    assert len({e.key for e in seed_doc.entries}) == 118


def test_seed_entries_per_section(seed_doc):
    assert dict(Counter(e.section for e in seed_doc.entries)) == SEED_SECTION_COUNTS


def test_seed_entries_are_in_document_order(seed_doc):
    lines = [e.line for e in seed_doc.entries]
    assert lines == sorted(lines)
    assert lines[0] == 15
    assert lines[-1] == 192


def test_seed_stars_of_known_rows(seed_doc):
    assert entry_titled(seed_doc, "Attention Is All You Need").stars == 5
    assert entry_titled(seed_doc, "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS").stars == 5
    assert entry_titled(seed_doc, "Evaluating Large Language Models Trained on Code").stars == 0  # Codex
    assert entry_titled(seed_doc, "Language Models are Few-Shot Learners").stars == 5
    assert entry_titled(seed_doc, "Training language models to follow instructions with human feedback").stars == 4
    assert entry_titled(seed_doc, "Emergent Abilities of Large Language Models").stars == 1
    assert entry_titled(seed_doc, "ChatGLM-6B").stars == 5
    assert entry_titled(seed_doc, "Transformer-XL: Attentive language models beyond a fixed-length context").stars == 0


def test_seed_star_distribution(seed_doc):
    # ✡ counted per row by hand from the ID column.
    assert sorted(Counter(e.stars for e in seed_doc.entries).items()) == [
        (0, 5),
        (1, 57),
        (2, 30),
        (3, 17),
        (4, 6),
        (5, 5),
    ]


def test_seed_list_numbers(seed_doc):
    assert entry_at(seed_doc, 15).number == 1
    assert entry_at(seed_doc, 46).number == 5  # the ICL table numbers 5 twice
    assert entry_at(seed_doc, 47).number == 5
    assert entry_at(seed_doc, 192).number == 23
    # The last three rows of 2.3 RLHF have an empty ID cell.
    assert [(e.number, e.stars) for e in (entry_at(seed_doc, n) for n in (76, 77, 78))] == [(None, 0)] * 3


def test_seed_duplicate_papers(seed_doc):
    rows = [(e.section, e.line, e.stars) for e in seed_doc.entries if e.arxiv == "1909.08593"]
    assert rows == [("2.3", 68, 5), ("2.3", 73, 1)]
    rows = [(e.section, e.line, e.stars) for e in seed_doc.entries if e.arxiv == "2212.10560"]
    assert rows == [("2.1", 50, 2), ("2.3", 76, 0)]
    assert {e.key for e in seed_doc.entries if e.arxiv == "2212.10560"} == {"arxiv:2212.10560"}
    keys = Counter(e.key for e in seed_doc.entries)
    assert sorted(k for k, n in keys.items() if n > 1) == ["arxiv:1909.08593", "arxiv:2212.10560"]


def test_seed_arxiv_ids_and_keys(seed_doc):
    attention = entry_titled(seed_doc, "Attention Is All You Need")
    assert (attention.arxiv, attention.key) == ("1706.03762", "arxiv:1706.03762")
    lora = entry_titled(seed_doc, "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS")
    assert (lora.arxiv, lora.key, lora.url) == (
        "2106.09685",
        "arxiv:2106.09685",
        "https://arxiv.org/pdf/2106.09685.pdf",
    )
    gpt1 = entry_at(seed_doc, 15)
    assert gpt1.arxiv is None
    assert gpt1.key == "url:mikecaptain.com/resources/pdf/GPT-1.pdf"
    instruct_blip = entry_at(seed_doc, 158)  # a v1.pdf URL
    assert instruct_blip.arxiv == "2305.06500"
    for entry in seed_doc.entries:
        if entry.arxiv:
            assert entry.key == f"arxiv:{entry.arxiv}"
            assert entry.arxiv in entry.url
    assert sum(1 for e in seed_doc.entries if e.arxiv) == 104


def test_seed_line_numbers_point_at_the_rows(seed_doc, seed_lines):
    assert entry_titled(seed_doc, "Attention Is All You Need").line == 30
    assert entry_titled(seed_doc, "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS").line == 87
    assert entry_titled(seed_doc, "LaMDA: Language Models for Dialog Applications").line == 170
    assert entry_titled(seed_doc, "Evaluating Large Language Models Trained on Code").line == 20
    for entry in seed_doc.entries:
        row = seed_lines[entry.line - 1]
        assert row.startswith("|"), entry
        assert f"]({entry.url})" in row, entry


def test_seed_lookalikes_folded_for_display_kept_raw(seed_doc, seed_lines):
    codex = entry_at(seed_doc, 20)
    assert codex.intro == "Codex原始论文"
    assert codex.intro_raw == "Codex原始论⽂"
    emergent = entry_at(seed_doc, 17)
    assert emergent.intro == "Google 22年8月份，探讨大语言模型的涌现能力"
    assert emergent.intro_raw == "Google 22年8⽉份，探讨⼤语⾔模型的涌现能⼒"
    amazon = entry_at(seed_doc, 62)
    assert "亚马逊" in amazon.intro and "亚⻢逊" in amazon.intro_raw  # ⻢ is a Radicals Supplement character
    for section in seed_doc.sections:
        assert not RADICAL.search(section.title), section
    for entry in seed_doc.entries:
        assert not RADICAL.search(entry.title + entry.intro), entry.line
        for link in entry.links:
            if link.text != link.url:  # bare URLs: see test_seed_bare_urls_end_at_lookalike_radicals
                assert not RADICAL.search(link.text), (entry.line, link)
        # The raw intro keeps exactly the look-alikes the file has in that cell.
        intro_cell = seed_lines[entry.line - 1].split("|")[3]
        assert bool(RADICAL.search(entry.intro_raw)) == bool(RADICAL.search(intro_cell)), entry.line
    assert sum(1 for e in seed_doc.entries if RADICAL.search(e.intro_raw)) == 67


def test_seed_bold_title_cell(seed_doc):
    lamda = entry_at(seed_doc, 170)
    assert lamda.title == "LaMDA: Language Models for Dialog Applications"
    assert lamda.url == "https://arxiv.org/pdf/2201.08239"
    assert lamda.arxiv == "2201.08239"
    assert lamda.stars == 2
    assert lamda.section == "4"


def test_seed_stray_bold_markers_removed(seed_doc):
    instruct_gpt = entry_at(seed_doc, 19)
    assert instruct_gpt.intro.startswith("Open AI InstructGPT原始论文，也被称为")
    assert entry_at(seed_doc, 174).intro == "ChatGPT的替代方案"
    assert entry_at(seed_doc, 173).intro.endswith("的思路ChatGPT的替代方案")
    for entry in seed_doc.entries:
        assert "**" not in entry.intro + entry.title, entry.line


def test_seed_empty_intro(seed_doc):
    offsite = entry_at(seed_doc, 51)
    assert offsite.title == "Offsite-Tuning: Transfer Learning without Full Model"
    assert (offsite.intro, offsite.intro_raw, offsite.links) == ("", "", ())


def test_seed_links_in_intros(seed_doc):
    assert entry_at(seed_doc, 21).links == (Link("解读之一", "https://zhuanlan.zhihu.com/p/88438851"),)
    assert entry_at(seed_doc, 43).links == (
        Link(
            "Noisy Channel Language Model Prompting for Few-Shot Text Classification",
            "https://arxiv.org/pdf/2108.04106.pdf",
        ),
        Link("MetaICL: Learning to Learn In Context", "https://arxiv.org/pdf/2110.15943.pdf"),
    )
    assert entry_at(seed_doc, 180).links == (
        Link("General Language Model (GLM)", "https://github.com/THUDM/GLM"),
        Link("博客", "https://chatglm.cn/blog"),
        Link("chatglm.cn", "https://chatglm.cn/"),
    )
    rlhf = entry_at(seed_doc, 68).links
    assert len(rlhf) == 23
    assert rlhf[0] == Link("解读", "https://huggingface.co/blog/zh/rlhf")
    assert rlhf[1] == Link(
        "https://github.com/openai/lm-human-preferences", "https://github.com/openai/lm-human-preferences"
    )
    assert rlhf[9] == Link(
        "Improving alignment of dialogue agents via targeted human judgements", "https://arxiv.org/abs/2209.14375"
    )
    assert rlhf[-1] == Link("Nguyen et al. 2017", "https://arxiv.org/abs/1707.07402")
    # A bare URL followed by a markdown link.
    assert entry_at(seed_doc, 44).links[0] == Link(
        "https://github.com/microsoft/LMOps", "https://github.com/microsoft/LMOps"
    )
    assert len(entry_at(seed_doc, 44).links) == 2


def test_seed_bare_urls_end_at_lookalike_radicals(seed_doc):
    # `https://zhuanlan.zhihu.com/p/6115704013⽉中旬`: ⽉ is a look-alike of 月, not part of the URL.
    links = entry_at(seed_doc, 50).links
    assert [link.url for link in links] == [
        "https://github.com/yizhongw/self-instruct",
        "https://zhuanlan.zhihu.com/p/614916562",
        "https://zhuanlan.zhihu.com/p/6115704013",
    ]
    for entry in seed_doc.entries:
        for link in entry.links:
            assert not RADICAL.search(link.url), (entry.line, link)


def test_seed_glued_bare_urls_are_two_links(seed_doc):
    # `https://minigpt-4.github.io/https://github.com/Vision-CAIR/MiniGPT-4/tree/main` holds two URLs.
    links = entry_at(seed_doc, 141).links
    assert [link.url for link in links] == [
        "https://minigpt-4.github.io/",
        "https://github.com/Vision-CAIR/MiniGPT-4/tree/main",
    ]


# ---------------------------------------------------------------- one fixture per quirk


def test_fixture_top_sections_as_ordered_list():
    doc = parse(read_fixture("top_sections.md"))
    assert doc.title == "Top Sections"
    assert doc.updated == "2024-01-05"
    assert [(s.number, s.title, s.line) for s in doc.sections] == [
        ("1", "Alpha", 5),
        ("2", "Beta", 11),
        ("3", "Gamma", 17),
    ]
    assert [(e.section, e.title, e.stars, e.line) for e in doc.entries] == [
        ("1", "Paper A", 1, 9),
        ("2", "Paper B", 2, 15),
        ("3", "Paper C", 0, 21),
    ]
    assert doc.problems == ()


def test_fixture_list_headings_without_document_title():
    # No `# Title` line: the first `1. # Alpha` is a numbered section, not the document's title.
    doc = parse(read_fixture("list_headings_no_title.md"))
    assert [(s.number, s.title) for s in doc.sections] == [("1", "Alpha"), ("2", "Beta")]
    assert [(e.section, e.title) for e in doc.entries] == [("1", "Paper A"), ("2", "Paper B")]
    assert doc.title == ""
    assert doc.problems == ()


def test_fixture_glued_section_numbers():
    doc = parse(read_fixture("glued_numbers.md"))
    assert [(s.number, s.title, s.title_raw) for s in doc.sections] == [
        ("1", "Basics", "Basics"),
        ("2", "Techniques", "Techniques"),
        ("2.1", "ICL", "2.1ICL"),
        ("2.2", "CoT", "2.2CoT"),
        ("2.3", "RLHF", "2.3 RLHF"),
    ]
    assert [(e.section, e.title) for e in doc.entries] == [
        ("1", "Basic Paper"),
        ("2.1", "ICL Paper"),
        ("2.2", "CoT Paper"),
        ("2.3", "RLHF Paper"),
    ]


def test_fixture_unnumbered_subsections():
    doc = parse(read_fixture("unnumbered_subsections.md"))
    assert [(s.number, s.title, s.parent) for s in doc.sections] == [
        ("1", "Parent", None),
        ("1.1", "ICL", "1"),
        ("1.2", "Prompting", "1"),
        ("1.3", "Tuning", "1"),
    ]
    assert [(e.section, e.title) for e in doc.entries] == [
        ("1", "Parent Paper"),
        ("1.1", "ICL Paper"),
        ("1.2", "Prompt Paper"),
        ("1.3", "Tuning Paper"),
    ]


def test_fixture_trailing_colons():
    doc = parse(read_fixture("trailing_colon.md"))
    assert [(s.number, s.title, s.title_raw) for s in doc.sections] == [
        ("1", "LLM的关键技术", "LLM的关键技术："),
        ("1.1", "PEFT", "1.1 PEFT:"),
    ]
    assert [e.section for e in doc.entries] == ["1", "1.1"]


def test_fixture_star_glyphs():
    text = read_fixture("star_glyphs.md")
    assert "⭐\ufe0f" in text  # the fixture really has the variation selector
    doc = parse(text)
    assert [(e.number, e.title, e.stars) for e in doc.entries] == [
        (1, "Hexagram Three", 3),
        (2, "Star Two", 2),
        (3, "Glowing Four", 4),
        (4, "Black One", 1),
        (5, "Selector Three", 3),
        (6, "Seven Capped", 5),
        (7, "No Stars", 0),
        (8, "Mixed Two", 2),
    ]


def test_fixture_missing_list_numbers():
    doc = parse(read_fixture("missing_number.md"))
    assert [(e.number, e.stars, e.title, e.line) for e in doc.entries] == [
        (1, 2, "Numbered", 7),
        (None, 3, "Stars Only", 8),
        (None, 0, "Blank Id", 9),
        (12, 0, "Twelve", 10),
    ]


def test_fixture_empty_rows_skipped():
    doc = parse(read_fixture("empty_rows.md"))
    assert [(e.title, e.line) for e in doc.entries] == [("First", 7), ("Second", 9)]
    # A row with an ID but no title is reported, an entirely empty row is not.
    assert [(p.line, p.message) for p in doc.problems] == [(10, "row has no paper title")]


def test_fixture_duplicate_paper_url_forms():
    doc = parse(read_fixture("duplicates.md"))
    assert [(e.section, e.key, e.arxiv) for e in doc.entries] == [
        ("1", "arxiv:2106.09685", "2106.09685"),
        ("1", "arxiv:2101.00190", "2101.00190"),
        ("2", "arxiv:2106.09685", "2106.09685"),
        ("2", "arxiv:2106.09685", "2106.09685"),
        ("2", "arxiv:2106.09685", "2106.09685"),
    ]
    assert [e.url for e in doc.entries if e.arxiv == "2106.09685"] == [
        "https://arxiv.org/abs/2106.09685",
        "https://arxiv.org/pdf/2106.09685.pdf",
        "https://arxiv.org/pdf/2106.09685v2",
        "http://www.arxiv.org/pdf/2106.09685v3.pdf",
    ]
    assert len({e.key for e in doc.entries}) == 2


def test_fixture_lookalike_radicals():
    doc = parse(read_fixture("lookalikes.md"))
    section = doc.sections[0]
    assert (section.title, section.title_raw) == ("基础语言大模型", "基础语⾔⼤模型")
    entry = doc.entries[0]
    assert (entry.title, entry.title_raw) == ("大模型论文", "⼤模型论⽂")
    assert (entry.intro, entry.intro_raw) == ("专门讲训练，原始论文，亚马逊", "专⻔讲训练，原始论⽂，亚⻢逊")


def test_fixture_bold_title_cell():
    doc = parse(read_fixture("bold_title.md"))
    assert [(e.title, e.url, e.arxiv, e.stars) for e in doc.entries] == [
        ("LaMDA: Language Models for Dialog Applications", "https://arxiv.org/pdf/2201.08239", "2201.08239", 2),
        ("Sparrow Improving alignment of dialogue agents", "https://arxiv.org/pdf/2209.14375", "2209.14375", 1),
    ]


def test_fixture_stray_bold_in_intro():
    doc = parse(read_fixture("stray_bold.md"))
    assert [e.intro for e in doc.entries] == [
        "思路ChatGPT的替代方案",
        "Open AI InstructGPT原始论文，也被称为",
        "Open AI GPT3原始论文GPT-3仍然是",
    ]
    assert doc.entries[2].intro_raw == "Open AI GPT3原始论⽂GPT-3仍然是"


def test_fixture_bare_urls_in_intro():
    doc = parse(read_fixture("bare_urls.md"))
    first, second = doc.entries
    assert first.links == (
        Link("https://github.com/yizhongw/self-instruct", "https://github.com/yizhongw/self-instruct"),
        Link("https://zhuanlan.zhihu.com/p/614916562", "https://zhuanlan.zhihu.com/p/614916562"),
    )
    assert (
        first.intro
        == "代码地址 https://github.com/yizhongw/self-instruct解读1 https://zhuanlan.zhihu.com/p/614916562解读2"
    )
    assert second.links == (
        Link("http://pretrain.nlpedia.ai/", "http://pretrain.nlpedia.ai/"),
        Link("解读", "https://zhuanlan.zhihu.com/p/1"),
        Link("https://example.com/end", "https://example.com/end"),  # the sentence's full stop is not in the URL
    )


def test_fixture_no_tables():
    doc = parse(read_fixture("no_tables.md"))
    assert doc.title == "No Tables Here"
    assert doc.updated == "2023-08-20"
    assert doc.entries == ()
    assert [(s.number, s.title) for s in doc.sections] == [("1", "A section without papers")]


def test_fixture_crlf_line_ends():
    text = read_fixture("crlf.md")
    assert text.count("\r\n") == text.count("\n") > 10
    doc = parse(text)
    assert doc.title == "CRLF List"
    assert [(s.number, s.title, s.line) for s in doc.sections] == [("1", "First", 3), ("1.1", "Sub", 10)]
    assert [(e.section, e.title, e.stars, e.line, e.intro) for e in doc.entries] == [
        ("1", "CRLF One", 2, 7, "one"),
        ("1", "CRLF Two", 1, 8, "two"),
        ("1.1", "CRLF Three", 0, 14, "three"),
    ]
    for entry in doc.entries:
        assert "\r" not in entry.title + entry.intro + entry.url


def test_fixture_utf8_bom():
    text = read_fixture("bom.md")
    assert text.startswith("\ufeff# BOM List")
    doc = parse(text)
    assert doc.title == "BOM List"
    assert [(s.number, s.title, s.line) for s in doc.sections] == [("1", "First", 3)]
    assert [(e.title, e.line) for e in doc.entries] == [("BOM Paper", 7)]


def test_fixture_line_numbers_match_lines():
    for name in ("top_sections.md", "glued_numbers.md", "missing_number.md", "crlf.md", "bom.md"):
        lines = read_fixture(name).replace("\r\n", "\n").split("\n")
        doc = parse(read_fixture(name))
        for entry in doc.entries:
            assert f"]({entry.url})" in lines[entry.line - 1], (name, entry)
        for section in doc.sections:
            assert section.title_raw in lines[section.line - 1], (name, section)


# ---------------------------------------------------------------- robustness


_MARKDOWN_BITS = st.sampled_from(
    [
        "\n",
        "\r\n",
        "|",
        " ",
        "#",
        "# ",
        "1. ",
        "## ",
        "2.2",
        "✡",
        "⭐\ufe0f",
        "**",
        "```",
        "\ufeff",
        "⼤",
        "：",
        "[x](https://arxiv.org/abs/2106.09685)",
        "https://a.org/",
        "| **ID** | **Paper** | **Introduction** |\n",
        "| --- | --- | --- |\n",
        "| 1✡ | [T](u) | i |\n",
        "<br>",
        "- ",
        "> ",
        "99999999999999999999. ",
    ]
)


@settings(max_examples=examples(150), deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(_MARKDOWN_BITS, max_size=40).map("".join)))
def test_parse_never_raises_and_stays_consistent(text):
    doc = parse(text)
    numbers = [s.number for s in doc.sections]
    assert len(numbers) == len(set(numbers))
    for entry in doc.entries:
        assert entry.section in numbers
        assert 0 <= entry.stars <= 5
        assert entry.title


def test_long_tables_are_cut_into_chunks_without_changing_the_result(monkeypatch, seed_text):
    from llmreads.parse import document

    rows = "\n".join(f"| {i}✡ | [Paper {i}](https://arxiv.org/abs/2301.{i:05d}) | 简介 {i} |" for i in range(1, 60))
    big = f"# Big\n\n## One\n\n| ID | Paper | Introduction |\n| -- | -- | -- |\n{rows}\n\n## Two\n\ntext\n"
    whole = [parse(big), parse(seed_text)]
    chunked: list[list[str]] = []
    real = document.chunks

    def small(lines, max_lines=None):
        for first, chunk in real(lines, 7):
            chunked.append(chunk.splitlines())
            yield first, chunk

    monkeypatch.setattr(document, "chunks", small)
    assert [parse(big), parse(seed_text)] == whole
    # The big table really was cut, each later piece starting with the table's header again.
    pieces = [c for c in chunked if c and c[0] == "| ID | Paper | Introduction |"]
    assert len(pieces) >= 8
    assert [e.line for e in whole[0].entries] == list(range(7, 66))


def test_the_items_after_a_list_item_holding_a_heading_are_read():
    # A heading indented into an item (`    ## Alpha` under `- Group`) opens a section; the list goes on in it.
    doc = parse(
        "# R\n\n- Group one\n\n    ## Alpha\n\n- [Paper B](https://arxiv.org/abs/2101.00002)\n"
        "- [Paper C](https://arxiv.org/abs/2101.00003)\n"
    )
    assert [(s.number, s.title) for s in doc.sections] == [("1", "Alpha")]
    assert [(e.section, e.title, e.arxiv) for e in doc.entries] == [
        ("1", "Paper B", "2101.00002"), ("1", "Paper C", "2101.00003")
    ]


@pytest.mark.parametrize(("line", "updated"), [
    ("Last updated: 2024-12-31", "2024-12-31"),
    ("更新时间：2023年1月1日", "2023-01-01"),
    ("Updated 2024/13/01", None),
    ("Updated 2024-12-32", None),
])
def test_the_update_date_is_read_in_every_month_and_only_a_real_date(line, updated):
    doc = parse(f"# List\n\n{line}\n\n| Paper | Link |\n| --- | --- |\n| A | [pdf](https://arxiv.org/abs/2101.00001) |")
    assert doc.updated == updated


@pytest.mark.parametrize("written", ["arxiv.org/abs/2305.14314", "arXiv:2305.14314"])
def test_an_item_linking_code_that_writes_out_an_arxiv_id_is_reported_unread_not_non_paper(written):
    doc = parse(f"# R\n\n- [Tool X](https://github.com/x/y), see {written}\n")
    assert doc.entries == ()
    assert [(type(s).__name__, s.line) for s in doc.skipped] == [("UnreadItem", 3)]


def test_a_paper_paragraph_on_the_first_line_of_the_document_is_on_line_one():
    doc = parse(
        "**Attention Is All You Need** [paper](https://arxiv.org/abs/1706.03762)\n\n"
        "**Second Paper Here** [paper](https://arxiv.org/abs/1706.03763)\n"
    )
    assert [(e.title, e.line) for e in doc.entries] == [("Attention Is All You Need", 1), ("Second Paper Here", 3)]


_FAKES = "- [Fake](https://arxiv.org/abs/2101.00009)\n"
_REAL = "- [Real one](https://arxiv.org/abs/2101.00001)\n- [Real two](https://arxiv.org/abs/2101.00002)\n"
_TABLE = "| Paper | Link |\n| --- | --- |\n| Real one | [pdf](https://arxiv.org/abs/2101.00001) |\n"


@pytest.mark.parametrize(("body", "lines"), [
    # Items inside a fence or a comment are no papers, and the items after them keep their own line numbers.
    ("```\n" + _FAKES + "~~~\n" + _FAKES + "```\n\n" + _REAL, [9, 10]),
    ("~~~\n" + _FAKES + "~~~\n\n" + _REAL, [7, 8]),
    ("<!--\n" + _FAKES + _FAKES + "-->\n\n" + _REAL, [8, 9]),
    # A quote or HTML right after a table ends it, even with a pipe in it.
    (_TABLE + "> A note | with a pipe\n\n" + _REAL.split("\n", 1)[1], [5, 8]),
    (_TABLE + "<p>a | b</p>\n\n" + _REAL.split("\n", 1)[1], [5, 8]),
], ids=["two fences", "tilde fence", "comment", "quote after a table", "html after a table"])
def test_papers_after_fences_comments_and_blocks_after_a_table_are_on_their_own_lines(body, lines):
    doc = parse("# R\n\n" + body)
    assert [(e.title, e.line) for e in doc.entries] == list(zip(["Real one", "Real two"], lines, strict=True))
    assert doc.skipped == () and doc.problems == ()


def test_a_table_inside_details_without_blank_lines_is_read():
    doc = parse(
        "# R\n\n<details>\n<summary>Papers</summary>\n| Paper | Link |\n| --- | --- |\n"
        "| Real one | [pdf](https://arxiv.org/abs/2101.00001) |\n</details>\n"
    )
    assert [(e.title, e.line) for e in doc.entries] == [("Real one", 7)]


def test_a_table_after_a_one_line_comment_is_read_as_github_shows_it():
    # The comment closes on its line: the short row after it is padded as in any table.
    doc = parse(
        "# R\n\n<!-- a note -->\n| Paper | Link | Year |\n| --- | --- | --- |\n"
        "| Real one | [pdf](https://arxiv.org/abs/2101.00001) |\n"
        "| Real two | [pdf](https://arxiv.org/abs/2101.00002) | 2021 |\n"
    )
    assert [(e.title, e.line) for e in doc.entries] == [("Real one", 6), ("Real two", 7)]


def test_a_pipe_after_an_escaped_backslash_and_an_escape_stays_in_its_cell():
    # `\\\|`: a backslash, then an escaped pipe; the short row is padded, and the pipe is the title's.
    doc = parse("# R\n\n| Paper | Link | Year |\n| --- | --- | --- |\n"
                "| Real one \\\\\\| sub | [pdf](https://arxiv.org/abs/2101.00001) |\n")
    assert [(e.title, e.arxiv) for e in doc.entries] == [("Real one \\| sub", "2101.00001")]


_ARXIV_ONE = "https://arxiv.org/abs/2101.00001"


@pytest.mark.parametrize(("after", "paper"), [("x" * 39, True), ("x" * 40, False)])
def test_a_paragraph_starting_with_a_paper_link_is_a_paper_up_to_forty_characters_after_it(after, paper):
    doc = parse(f"# R\n\n[Attention Is All You Need]({_ARXIV_ONE}) {after}\n")
    assert [e.title for e in doc.entries] == (["Attention Is All You Need"] if paper else [])
    assert [type(s).__name__ for s in doc.skipped] == ([] if paper else ["UnreadItem"])


def test_a_paragraph_starting_with_a_bold_paper_link_is_a_paper_whatever_follows():
    doc = parse(f"# R\n\n[**Attention Is All You Need**]({_ARXIV_ONE}) by Vaswani and others, a long description\n")
    assert [(e.title, e.arxiv) for e in doc.entries] == [("Attention Is All You Need", "2101.00001")]


@pytest.mark.parametrize("shown", ["https://arxiv.org/abs/2101.00001v2", "http://arxiv.org/abs/2101.00001"])
def test_a_link_whose_text_is_a_url_gives_the_paper_its_arxiv_id_as_title(shown):
    doc = parse(f"# R\n\n- [{shown}]({_ARXIV_ONE})\n")
    assert [e.title for e in doc.entries] == ["arXiv:2101.00001"]


def test_sections_after_papers_before_any_heading_are_numbered_from_two():
    doc = parse(
        f"- [Paper A]({_ARXIV_ONE})\n\n## Alpha\n\n- [Paper B](https://arxiv.org/abs/2101.00002)\n\n"
        "## Beta\n\n- [Paper C](https://arxiv.org/abs/2101.00003)\n"
    )
    assert [(s.number, s.title) for s in doc.sections] == [("1", "Papers"), ("2", "Alpha"), ("3", "Beta")]
    assert [(e.section, e.title) for e in doc.entries] == [("1", "Paper A"), ("2", "Paper B"), ("3", "Paper C")]


@pytest.mark.parametrize("line_end", ["", "  ", "\\"], ids=["plain", "two spaces", "backslash"])
def test_an_exported_item_whose_first_line_ends_in_a_hard_break_keeps_its_introduction_apart(line_end):
    # A hand edit may leave a hard line break after the first line: the next line is still the introduction.
    doc = parse(
        "# Mini\n\n<!-- llmreads export: every list item is a paper -->\n\n## 1 Alpha\n\n"
        f"- [Paper A](https://arxiv.org/abs/2101.00001) ★★{line_end}\n"
        "  about A, rated ★★★★★ by [some](https://example.com/b)\n"
    )
    assert [(e.title, e.stars, e.intro, e.links) for e in doc.entries] == [
        ("Paper A", 2, "about A, rated ★★★★★ by some", ())
    ]


def test_character_references_are_read_as_the_page_shows_them():
    doc = parse(
        "# Tom &amp; Jerry\n\n## 1 Q&amp;A\n\n"
        "| Title | Notes |\n|---|---|\n"
        "| [Q&amp;A Models](https://arxiv.org/abs/2101.00001)"
        " | a&nbsp;&nbsp;&nbsp;b &#8212; c &#x2014; R&D &copy `&amp;` |\n\n"
        "- [Fish &amp; Chips](https://arxiv.org/abs/2101.00002) see http://x.org/?a=1&amp;b=2\n"
    )
    assert doc.title == "Tom & Jerry"
    assert [s.title for s in doc.sections] == ["Q&A"]
    # &nbsp; runs are spaces, collapsed; no semicolon, no reference (`&copy`, `R&D`); a code span keeps its text
    assert [(e.title, e.intro) for e in doc.entries] == [
        ("Q&A Models", "a b — c — R&D &copy &amp;"),
        ("Fish & Chips", "see http://x.org/?a=1&b=2"),
    ]
    assert [link.url for link in doc.entries[1].links] == ["http://x.org/?a=1&b=2"]
