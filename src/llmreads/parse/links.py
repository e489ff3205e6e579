"""Parse layer, links: what a link points at, so that an entry is a paper only when a link says so.

A reading list links a paper to its arXiv page, a DOI, the ACL Anthology,
OpenReview, a proceedings site or a PDF; beside it, or instead of it, come
code, models, data sets, videos, blog posts and tweets. An item whose only
links are of the second kind is not a paper; an item with a paper link and a
code link is one paper that keeps its code link. The label counts too:
`[Paper](...)` or `[pdf](...)` names a paper whatever its host.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from enum import StrEnum

from llmreads.models import Link


class LinkKind(StrEnum):
    paper = "paper"
    code = "code"
    model = "model"
    data = "data"
    video = "video"
    post = "post"  # blogs, news, tweets, forums, course pages
    anchor = "anchor"  # a link within the document (`#section`) or relative to it
    other = "other"  # a page of unknown kind: a company site, a project page, a book


# Hosts (and their subdomains) whose pages are papers.
_PAPER_HOSTS = (
    "arxiv.org", "doi.org", "dx.doi.org", "aclanthology.org", "aclweb.org", "openreview.net",
    "proceedings.neurips.cc", "papers.nips.cc", "neurips.cc", "proceedings.mlr.press", "jmlr.org",
    "openaccess.thecvf.com", "ojs.aaai.org", "aaai.org", "ijcai.org", "dl.acm.org", "ieeexplore.ieee.org",
    "link.springer.com", "sciencedirect.com", "nature.com", "science.org", "semanticscholar.org",
    "paperswithcode.com", "biorxiv.org", "medrxiv.org", "researchgate.net", "ssrn.com", "iclr.cc", "icml.cc",
    "pnas.org", "mlsys.org", "usenix.org", "vldb.org", "isca-speech.org", "aclanthology.info",
)
_CODE_HOSTS = ("github.com", "gitlab.com", "gitee.com", "bitbucket.org", "colab.research.google.com", "pypi.org")
_MODEL_HOSTS = ("huggingface.co", "hf.co", "modelscope.cn", "ollama.com", "replicate.com")
_DATA_HOSTS = ("kaggle.com", "zenodo.org", "figshare.com")
_VIDEO_HOSTS = ("youtube.com", "youtu.be", "bilibili.com", "b23.tv", "vimeo.com", "ixigua.com")
_POST_HOSTS = (
    "twitter.com", "x.com", "medium.com", "zhihu.com", "zhuanlan.zhihu.com", "mp.weixin.qq.com", "weibo.com",
    "reddit.com", "news.ycombinator.com", "substack.com", "notion.site", "notion.so", "blog.csdn.net", "csdn.net",
    "jianshu.com", "juejin.cn", "linkedin.com", "discord.gg", "discord.com", "t.me", "wandb.ai",
    "lilianweng.github.io", "jalammar.github.io",
)
# Labels that name what the link is, whatever its host.
_PAPER_LABEL = re.compile(
    r"^\W*(paper|pdf|arxiv|论文|文章|doi|acl|openreview|proceedings?|tech(nical)? report)\W*$", re.I
)
_CODE_LABEL = re.compile(r"^\W*(code|github|repo|project|代码|项目)\W*$", re.I)
_MODEL_LABEL = re.compile(r"^\W*(model|models|checkpoints?|weights|huggingface|hf|模型)\W*$", re.I)
_DATA_LABEL = re.compile(r"^\W*(data|dataset|datasets|数据|数据集)\W*$", re.I)
_VIDEO_LABEL = re.compile(r"^\W*(video|talk|slides|视频|讲解)\W*$", re.I)
_POST_LABEL = re.compile(r"^\W*(blog|post|tweet|news|知乎|博客|解读)\W*$", re.I)

_LABEL_KINDS = (
    (_CODE_LABEL, LinkKind.code), (_MODEL_LABEL, LinkKind.model), (_DATA_LABEL, LinkKind.data),
    (_VIDEO_LABEL, LinkKind.video), (_POST_LABEL, LinkKind.post),
)
# Longer labels are titles: none of the label patterns above can match them.
_LONGEST_LABEL = 40
# How most paper links start: their host is arxiv.org.
_ARXIV_PREFIXES = ("https://arxiv.org/", "http://arxiv.org/")
_HOST = re.compile(r"^[a-z][a-z0-9+.\-]*://(?:[^@/?#]*@)?([^:/?#]+)", re.I)


def host_of(url: str) -> str:
    """The host of a URL, lower-cased, without `www.`; '' for a link with no host."""
    match = _HOST.match(url.strip())
    return match.group(1).lower().removeprefix("www.") if match else ""


# Each known host (or domain) and what its pages are; a subdomain is looked up by its domains.
_HOST_KINDS: dict[str, LinkKind] = {
    host: kind
    for hosts, kind in (
        (_VIDEO_HOSTS, LinkKind.video), (_DATA_HOSTS, LinkKind.data), (_MODEL_HOSTS, LinkKind.model),
        (_CODE_HOSTS, LinkKind.code), (_POST_HOSTS, LinkKind.post), (_PAPER_HOSTS, LinkKind.paper),
    )
    for host in hosts
}


def _host_kind(host: str) -> LinkKind | None:
    """The kind of a known host or of the nearest known domain it is under (`www.arxiv.org`: arxiv.org)."""
    while True:
        kind = _HOST_KINDS.get(host)
        if kind is not None:
            return kind
        dot = host.find(".")
        if dot < 0:
            return None
        host = host[dot + 1 :]


def link_kind(url: str, label: str = "") -> LinkKind:
    """What a link points at, from its label first (`[Paper]`, `[Code]`), else from its host and path."""
    if url.startswith(_ARXIV_PREFIXES):
        return LinkKind.paper  # most links of a list: what host_of would find, without a regex
    url = url.strip()
    host = host_of(url)
    known = _host_kind(host) if host else None
    if known is LinkKind.paper:
        # Whatever the label: `[Paper]` says so, and a `[code]` label on an
        # arXiv link is a mislabelled paper link. Most links of a list are these.
        return LinkKind.paper
    if len(label) <= _LONGEST_LABEL:
        if _PAPER_LABEL.match(label):
            return LinkKind.paper
        for pattern, kind in _LABEL_KINDS:
            if pattern.match(label):
                return kind
    if not host:
        return LinkKind.anchor
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    if path.endswith(".pdf"):
        return LinkKind.paper
    if host == "huggingface.co":
        rest = path.split("huggingface.co", 1)[1]
        if rest.startswith("/papers/"):
            return LinkKind.paper
        if rest.startswith("/datasets/"):
            return LinkKind.data
        if rest.startswith("/blog/"):
            return LinkKind.post
    if known is not None:
        return known
    if re.search(r"/(blog|news|posts?)/", path) or host.startswith("blog."):
        return LinkKind.post  # `team.github.io/blog/...` too
    if host.endswith(".github.io"):
        return LinkKind.other  # a project page: not a paper by itself, not code either
    return LinkKind.other


# A list's links are asked about several times (columns, table, row, entry): each link's kind once.
# The cache holds the links of a few hundred rows, as far back as a table's column roles look.
_cached_link_kind = functools.lru_cache(maxsize=8192)(link_kind)


def cached_link_kind(url: str, label: str = "") -> LinkKind:
    """`link_kind`, each link's once. An arXiv URL, most of a list's links, is known at once: caching it
    (each one new, pushing an older one out) took four times as long as the answer."""
    if url.startswith(_ARXIV_PREFIXES):
        return LinkKind.paper
    return _cached_link_kind(url, label)


def is_paper_link(link: Link) -> bool:
    return link_kind(link.url, link.text) is LinkKind.paper


def paper_links(links: Iterable[Link]) -> list[Link]:
    """The links that point at a paper, in order."""
    return [link for link in links if is_paper_link(link)]


def only_non_paper_links(links: Iterable[Link]) -> bool:
    """True when there are links and every one is code, a model, data, a video, a post or an anchor.

    Links of unknown kind (`other`) keep the item: a list may link a paper to a
    page no rule knows, and leaving a paper out is worse than letting a page in.
    """
    kinds = [link_kind(link.url, link.text) for link in links]
    return bool(kinds) and all(
        kind in (LinkKind.code, LinkKind.model, LinkKind.data, LinkKind.video, LinkKind.post, LinkKind.anchor)
        for kind in kinds
    )
