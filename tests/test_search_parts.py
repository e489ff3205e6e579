"""Search finds words by their parts, section titles and arXiv ids; through the installed `llmreads`."""

from __future__ import annotations

import json

import pytest

from processes import run

PARTS_LIST = """# Parts of words

## Encoders

| 论文 | 链接 |
|---|---|
| SpanBERT: Improving Pre-training by Representing and Predicting Spans | https://example.org/spanbert |
| VisualBERT: A Simple and Performant Baseline for Vision and Language | https://example.org/visualbert |
| FlashAttention2 kernels | https://example.org/flash |
| ChatGLM story | https://example.org/chatglm |
| Plain words only | https://example.org/plain |
"""


@pytest.fixture
def parts_db(tmp_path):  # type: ignore[no-untyped-def]
    source = tmp_path / "parts.md"
    source.write_text(PARTS_LIST, encoding="utf-8")
    result = run("import", str(source))
    assert result.returncode == 0, result.stderr
    return source


def titles(*query: str) -> list[str]:
    result = run("search", *query, "--json")
    assert result.returncode == 0, result.stderr
    return [row["title"] for row in json.loads(result.stdout)]


@pytest.mark.parametrize(("query", "expected"), [
    ("bert", {"SpanBERT", "VisualBERT"}),
    ("attention", {"FlashAttention2"}),
    ("glm", {"ChatGLM"}),
    ("span", {"SpanBERT"}),
    ("visual bert", {"VisualBERT"}),
])
def test_glued_words_are_found_by_their_parts(parts_db, query, expected):
    found = {title.split()[0].rstrip(":") for title in titles(*query.split(), "--list", "Parts of words")}
    assert found == expected


def test_the_whole_glued_word_is_still_found(parts_db):
    assert [t.split(":")[0] for t in titles("spanbert", "--list", "Parts of words")] == ["SpanBERT"]


def test_a_note_is_found_by_the_parts_of_its_words(seeded):
    assert run("note", "add", "lora", "compare with QLoRAQuant").returncode == 0
    assert "50f228" in [r["id"] for r in json.loads(run("search", "quant", "--json").stdout)]


def test_section_titles_are_searched(seeded):
    in_section = {r["id"] for r in json.loads(run("list", "--section", "2.1", "--json").stdout)}
    found = {r["id"] for r in json.loads(run("search", "icl", "--json").stdout)}
    assert len(in_section) == 10
    assert in_section <= found


@pytest.mark.parametrize("query", ["2106.09685", "arXiv:2106.09685v2", "https://arxiv.org/abs/2106.09685"])
def test_an_arxiv_id_searches_as_one(seeded, query):
    result = run("search", query, "--json")
    assert result.returncode == 0, result.stderr
    assert [r["id"] for r in json.loads(result.stdout)] == ["50f228"]


def test_an_arxiv_id_search_keeps_the_filters(seeded):
    result = run("search", "2106.09685", "--status", "read", "--json")
    assert json.loads(result.stdout) == []
