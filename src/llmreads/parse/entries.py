"""Parse layer, entries: is a list item or a paragraph a paper, and which of its links is the paper.

A reading list's item names a paper by its links and its text: an arXiv,
DOI or proceedings link, a `[Paper]` or `[pdf]` label, or an id written out
(`arXiv:2305.14314`, `doi:10.18653/v1/...`). An item whose links all go to
code, models, data, videos or posts is not a paper. `paper_evidence` says
whether a text holds a paper at all, so that an item read as no entry can be
named rather than dropped.
"""

from __future__ import annotations

import re

from llmreads.models import Link
from llmreads.parse.links import LinkKind
from llmreads.parse.links import cached_link_kind as link_kind

# `arXiv:2305.14314`, `arXiv 2305.14314v2`, `arxiv.org/abs/2305.14314`
_ARXIV_ID = re.compile(r"\barxiv\s?[:：]\s?(?P<id>\d{4}\.\d{4,5})(?:v\d+)?\b", re.I)
_ARXIV_ANY = re.compile(r"arxiv\.org/(?:abs|pdf|html)/\d{4}\.\d{4,5}|\barxiv\s?[:：]\s?\d{4}\.\d{4,5}", re.I)
_DOI = re.compile(r"(?:\bdoi\s?[:：]\s?|doi\.org/)(?P<doi>10\.\d{4,9}/[^\s\]\)>\"'，,;]+)", re.I)
# Link texts that say what the link is rather than what it is called.
_LABEL = re.compile(
    r"^\W*(paper|pdf|arxiv|论文|文章|doi|link|url|here|abs|html|openreview|acl|proceedings?|"
    r"tech(?:nical)? report|report|code|github|project|page|homepage|website|blog|model|data(?:set)?)\W*$",
    re.I,
)
NON_PAPER_KINDS = frozenset(
    {LinkKind.code, LinkKind.model, LinkKind.data, LinkKind.video, LinkKind.post, LinkKind.anchor}
)
# Headings of the sections where awesome-lists keep what is not a paper: an item there
# that links no paper is a resource, whatever page it links.
_RESOURCE_SECTION = re.compile(
    r"leaderboards?|tutorials?|courses?|books?|blogs?|applications?|frameworks?|tool(?:s|kits?|ing)?|"
    r"codebases?|librar(?:y|ies)|miscellaneous|trending|projects?|resources?|demos?|videos?|talks?|"
    r"podcasts?|news|contributing|contributors|acknowledg|star history|thoughts|opinions?|essays?|"
    r"教程|课程|书籍|博客|工具|资源|项目|应用|视频|观点",
    re.I,
)
MAX_PREFIX = 40  # characters of a nickname or tag before a bold title: `<u>T5</u>:`, `FLAN:`


def resource_section(titles: list[str]) -> bool:
    """Whether one of the headings an item stands under names a section of resources, not papers."""
    return any(_RESOURCE_SECTION.search(title) for title in titles)


def is_label(text: str, url: str = "") -> bool:
    """Whether a link's text is a label (`Paper`, `[pdf]`, `code`) or the URL itself, not a name."""
    text = text.strip()
    return not text or text == url or text.startswith(("http://", "https://")) or bool(_LABEL.match(text))


def id_links(text: str) -> list[Link]:
    """Links for the arXiv ids and DOIs written out in a text (`arXiv:2305.14314`)."""
    found = [Link(text=m.group(0), url=f"https://arxiv.org/abs/{m.group('id')}") for m in _ARXIV_ID.finditer(text)]
    if "10." in text:
        for m in _DOI.finditer(text):
            doi = m.group("doi").rstrip(".")
            found.append(Link(text=f"doi:{doi}", url=f"https://doi.org/{doi}"))
    return found


def paper_evidence(text: str, links: list[Link]) -> bool:
    """Whether a text or its links hold an arXiv id, a DOI or a paper link."""
    if any(link_kind(link.url, link.text) is LinkKind.paper for link in links):
        return True
    if "rxiv" in text or "RXIV" in text or "Xiv" in text:
        if _ARXIV_ANY.search(text):
            return True
    return "10." in text and _DOI.search(text) is not None


def is_paper(link: Link) -> bool:
    return link_kind(link.url, link.text) is LinkKind.paper


def is_non_paper(link: Link) -> bool:
    """Code, a model, data, a video, a post or an anchor: a link that never makes an item a paper."""
    return link_kind(link.url, link.text) in NON_PAPER_KINDS


def choose_paper_link(links: list[Link]) -> Link | None:
    """The link that is the paper: a paper label first, then a paper host, then the first link of unknown kind."""
    kinds = [link_kind(lk.url, lk.text) for lk in links]
    for link, kind in zip(links, kinds, strict=True):
        if kind not in NON_PAPER_KINDS and any(w in link.text.casefold() for w in _PAPER_LINK_WORDS):
            return link
    for link, kind in zip(links, kinds, strict=True):
        if kind is LinkKind.paper:
            return link
    for link, kind in zip(links, kinds, strict=True):
        if kind not in NON_PAPER_KINDS:
            return link
    return None


_PAPER_LINK_WORDS = ("paper", "pdf", "arxiv", "论文", "abs", "openreview")
