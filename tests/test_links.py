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


KNOWN_HOSTS = {
    LinkKind.paper: (
        "arxiv.org doi.org dx.doi.org aclanthology.org aclweb.org openreview.net proceedings.neurips.cc"
        " papers.nips.cc neurips.cc proceedings.mlr.press jmlr.org openaccess.thecvf.com ojs.aaai.org aaai.org"
        " ijcai.org dl.acm.org ieeexplore.ieee.org link.springer.com sciencedirect.com nature.com science.org"
        " semanticscholar.org paperswithcode.com biorxiv.org medrxiv.org researchgate.net ssrn.com iclr.cc icml.cc"
        " pnas.org mlsys.org usenix.org vldb.org isca-speech.org aclanthology.info"
    ),
    LinkKind.code: "github.com gitlab.com gitee.com bitbucket.org colab.research.google.com pypi.org",
    LinkKind.model: "hf.co modelscope.cn ollama.com replicate.com",
    LinkKind.data: "kaggle.com zenodo.org figshare.com",
    LinkKind.video: "youtube.com youtu.be bilibili.com b23.tv vimeo.com ixigua.com",
    LinkKind.post: (
        "twitter.com x.com medium.com zhihu.com mp.weixin.qq.com weibo.com reddit.com news.ycombinator.com"
        " substack.com notion.site notion.so csdn.net jianshu.com juejin.cn linkedin.com discord.gg discord.com"
        " t.me wandb.ai lilianweng.github.io jalammar.github.io"
    ),
}


@pytest.mark.parametrize(
    ("kind", "host"), [(kind, host) for kind, hosts in KNOWN_HOSTS.items() for host in hosts.split()]
)
def test_each_known_host_is_what_its_pages_are(kind: LinkKind, host: str) -> None:
    # A page of the host itself, of www. and of a subdomain; the path says nothing of the kind.
    for url in (f"https://{host}/item/1", f"https://www.{host}/item/1", f"https://sub.{host}/item/1"):
        assert link_kind(url) is kind, url


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


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://arxiv.org/abs/2305.18290", "Direct Preference Optimization"),
        ("http://arxiv.org/pdf/2305.18290v2.pdf", "code"),  # answered before the cache, mislabelled or not
        ("https://arxiv.org.evil.example/abs/1", "code"),  # not arxiv.org: the label decides
        ("https://github.com/org/repo", "Paper"),
        ("https://example.com/page", ""),
        ("#anchor", "video"),
    ],
)
def test_the_cached_link_kind_is_link_kind(url: str, label: str) -> None:
    from llmreads.parse.links import cached_link_kind

    for _ in range(2):  # asked first, then from the cache
        assert cached_link_kind(url, label) is link_kind(url, label)


def test_an_entrys_url_is_judged_by_the_label_of_its_own_link_not_anothers():
    from llmreads.parse.state import _is_paper_url

    code, pdf = "https://example.org/a", "https://example.org/b"
    links = (Link("Code", code), Link("PDF", pdf))
    assert not _is_paper_url(code, links)  # its own label says code, whatever the other link says
    assert _is_paper_url(pdf, links)
    assert not _is_paper_url(code, links[::-1])
