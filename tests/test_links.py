"""What a link points at: the parser keeps an item as a paper only when a link says it is one."""

from __future__ import annotations

import pytest

from llmreads.models import Link
from llmreads.parse.links import LinkKind, host_of, link_kind, only_non_paper_links, paper_links


@pytest.mark.parametrize(
    ("url", "label", "kind"),
    [
        ("https://arxiv.org/abs/2305.18290", "", LinkKind.paper),
        ("https://arxiv.org/pdf/2305.18290v2.pdf", "code", LinkKind.paper),  # a mislabelled paper link
        ("https://doi.org/10.18653/v1/2020.acl-main.1", "", LinkKind.paper),
        ("https://aclanthology.org/2020.acl-main.1/", "", LinkKind.paper),
        ("https://openreview.net/forum?id=abc", "", LinkKind.paper),
        ("https://proceedings.neurips.cc/paper/2020/hash/x-Abstract.html", "", LinkKind.paper),
        ("https://cdn.example.com/files/report.pdf", "", LinkKind.paper),
        ("https://example.com/some/page", "Paper", LinkKind.paper),
        ("https://example.com/some/page", "[pdf]", LinkKind.paper),
        ("https://huggingface.co/papers/2305.18290", "", LinkKind.paper),
        ("https://github.com/org/repo", "", LinkKind.code),
        ("https://example.com/repo", "Code", LinkKind.code),
        ("https://huggingface.co/org/model-7b", "", LinkKind.model),
        ("https://huggingface.co/datasets/org/set", "", LinkKind.data),
        ("https://www.youtube.com/watch?v=x", "", LinkKind.video),
        ("https://www.bilibili.com/video/BV1", "", LinkKind.video),
        ("https://twitter.com/someone/status/1", "", LinkKind.post),
        ("https://zhuanlan.zhihu.com/p/123", "", LinkKind.post),
        ("https://openai.com/blog/chatgpt", "", LinkKind.post),
        ("#section-two", "", LinkKind.anchor),
        ("https://project.github.io/", "", LinkKind.other),
        ("https://team.github.io/blog/model-2/", "", LinkKind.post),
        ("https://www.example.com/", "", LinkKind.other),
    ],
)
def test_link_kind(url: str, label: str, kind: LinkKind) -> None:
    assert link_kind(url, label) is kind


def test_host_of_drops_www_user_and_port() -> None:
    assert host_of("https://user@WWW.Example.COM:8080/x") == "example.com"
    assert host_of("relative/path") == ""


def test_an_item_with_a_paper_and_its_code_is_a_paper() -> None:
    links = [Link("paper", "https://arxiv.org/abs/2305.18290"), Link("code", "https://github.com/o/r")]
    assert not only_non_paper_links(links)
    assert paper_links(links) == links[:1]


def test_an_item_with_only_code_models_and_videos_is_not_a_paper() -> None:
    links = [Link("repo", "https://github.com/o/r"), Link("weights", "https://huggingface.co/o/m"),
             Link("talk", "https://youtu.be/x")]
    assert only_non_paper_links(links)
    assert paper_links(links) == []


def test_an_unknown_page_keeps_the_item_and_no_links_is_not_a_verdict() -> None:
    assert not only_non_paper_links([Link("", "https://example.com/page")])
    assert not only_non_paper_links([])
