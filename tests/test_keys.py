"""Paper identity: arXiv ids in every URL form, keys, short ids and URL normalisation."""

from __future__ import annotations

import hashlib

import pytest

from llmreads.keys import arxiv_from_ref, arxiv_from_url, normalise_url, paper_key, short_id

LORA_URLS = [
    "https://arxiv.org/abs/2106.09685",
    "https://arxiv.org/pdf/2106.09685",
    "https://arxiv.org/pdf/2106.09685.pdf",
    "https://arxiv.org/abs/2106.09685v2",
    "https://arxiv.org/pdf/2106.09685v2",
    "https://arxiv.org/pdf/2106.09685v2.pdf",
    "http://arxiv.org/abs/2106.09685",
    "https://www.arxiv.org/abs/2106.09685",
    "https://arxiv.org/html/2106.09685v1",
    "https://ARXIV.org/abs/2106.09685",
    "arxiv.org/abs/2106.09685",
]


@pytest.mark.parametrize("url", LORA_URLS)
def test_arxiv_from_url_all_forms_are_equal(url):
    assert arxiv_from_url(url) == "2106.09685"


@pytest.mark.parametrize("url", LORA_URLS)
def test_paper_key_same_for_all_arxiv_forms(url):
    assert paper_key("whatever the title says", url) == "arxiv:2106.09685"


def test_arxiv_ids_with_four_and_five_digits():
    assert arxiv_from_url("https://arxiv.org/pdf/1405.4053.pdf") == "1405.4053"
    assert arxiv_from_url("https://arxiv.org/pdf/2305.06500v1.pdf") == "2305.06500"


def test_old_style_arxiv_ids():
    assert arxiv_from_url("https://arxiv.org/abs/hep-th/9901001v2") == "hep-th/9901001"
    assert arxiv_from_ref("hep-th/9901001") == "hep-th/9901001"
    assert arxiv_from_ref("math.AG/0601001") == "math.AG/0601001"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/2106.09685",
        "https://openreview.net/pdf?id=e2TBb5y0yFf",
        "https://github.com/THUDM/ChatGLM-6B",
        "",
    ],
)
def test_arxiv_from_url_none_for_other_sites(url):
    assert arxiv_from_url(url) is None


@pytest.mark.parametrize(
    "ref",
    [
        "2106.09685",
        "2106.09685v2",
        "arXiv:2106.09685",
        "arxiv:2106.09685v3",
        "ARXIV:2106.09685",
        "  2106.09685  ",
        "https://arxiv.org/abs/2106.09685",
        "https://arxiv.org/pdf/2106.09685v2.pdf",
    ],
)
def test_arxiv_from_ref_forms(ref):
    assert arxiv_from_ref(ref) == "2106.09685"


@pytest.mark.parametrize("ref", ["lora", "2106", "2106.096", "50f228", "https://example.org/2106.09685", ""])
def test_arxiv_from_ref_rejects_non_ids(ref):
    assert arxiv_from_ref(ref) is None


def test_normalise_url_ignores_scheme_www_fragment_and_trailing_slash():
    forms = [
        "https://www.example.org/a/",
        "http://example.org/a",
        "https://EXAMPLE.org/a#frag",
        "https://www.Example.org/a/#x",
    ]
    assert {normalise_url(u) for u in forms} == {"example.org/a"}


def test_normalise_url_keeps_path_case_and_query():
    assert normalise_url("https://openreview.net/pdf?id=e2TBb5y0yFf") == "openreview.net/pdf?id=e2TBb5y0yFf"
    assert normalise_url("https://openreview.net/pdf?id=xoLyps2qWc") != normalise_url(
        "https://openreview.net/pdf?id=e2TBb5y0yFf"
    )
    assert normalise_url("https://github.com/THUDM/GLM") == "github.com/THUDM/GLM"


def test_paper_key_from_url_or_title():
    assert paper_key("ChatGLM-6B", "https://github.com/THUDM/ChatGLM-6B") == "url:github.com/THUDM/ChatGLM-6B"
    assert paper_key("x", "http://www.github.com/THUDM/ChatGLM-6B/") == "url:github.com/THUDM/ChatGLM-6B"
    assert paper_key("LoRA: Low-Rank", "") == "title:lora low rank"
    assert paper_key("LORA:  low rank!", "  ") == "title:lora low rank"
    # look-alike radicals do not make another paper
    assert paper_key("⼤模型", "") == paper_key("大模型", "") == "title:大模型"


def test_short_id_is_sha1_prefix_of_key():
    key = "arxiv:2106.09685"
    assert short_id(key) == hashlib.sha1(key.encode()).hexdigest()[:6] == "50f228"
    assert short_id(key, 8) == hashlib.sha1(key.encode()).hexdigest()[:8]
    assert short_id(key, 8).startswith(short_id(key))
    assert short_id("arxiv:1706.03762") == "f77a8b"
    assert short_id("arxiv:1706.03762") != short_id("arxiv:1706.03741")


def test_url_urllib_cannot_read_is_its_own_key():
    # `http://[x` makes urlsplit raise ("Invalid IPv6 URL"); the parser must not.
    assert paper_key("Odd", "http://[x") == "url:http://[x"
    from llmreads.parse import parse

    doc = parse('| 论文 | 简介 |\n| --- | --- |\n| <a href="http://[x">Odd</a> | y |\n')
    assert [(e.title, e.url, e.key) for e in doc.entries] == [("Odd", "http://[x", "url:http://[x")]
