"""Identity layer: what a reference typed to `add` or `edit --arxiv` names, before anything is stored.

A REF is an arXiv id (any form: `2106.09685`, `arXiv:2106.09685v2`, an abs,
pdf or html URL, an old-style id such as `hep-th/9901001`), a DOI (`10.x/y`,
`doi:10.x/y`, a doi.org URL) or any other web URL. Each gives the paper's key
as the import would make it (`arxiv:ID`, `doi:<lowercased DOI>`, `url:...`).
Pure: no database, no network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from llmreads.errors import InvalidQuery
from llmreads.keys import arxiv_from_ref, normalise_url

# A DOI: "10." + a registrant code, "/", a suffix of anything printable (Crossref's advice).
_DOI = re.compile(r"10\.\d{4,9}(?:\.\d+)*/\S+")
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|(?:https?://)?(?:dx\.)?doi\.org/)", re.IGNORECASE)
# arXiv gives every paper a DataCite DOI of its own: it names the arXiv paper, not a journal's.
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(?P<id>.+)", re.IGNORECASE)
_WEB_URL = re.compile(r"https?://[^\s/]+\.[^\s/]+\S*", re.IGNORECASE)


@dataclass(frozen=True)
class Ref:
    """What a REF names: its key, and the identifiers a metadata service knows it by."""

    key: str
    url: str
    arxiv: str | None = None
    doi: str | None = None

    @property
    def kind(self) -> str:
        return "arxiv" if self.arxiv else "doi" if self.doi else "url"


def arxiv_key(arxiv: str) -> str:
    return f"arxiv:{arxiv}"


def doi_key(doi: str) -> str:
    return f"doi:{doi.lower()}"


def arxiv_url(arxiv: str) -> str:
    return f"https://arxiv.org/abs/{arxiv}"


def normalise_arxiv(arxiv: str) -> str:
    """An arXiv id as arXiv writes it: an old-style archive in lower case (`hep-th/9901001`, `math.GT/0309136`)."""
    if "/" not in arxiv:
        return arxiv
    archive, number = arxiv.split("/", 1)
    name, _, subject = archive.partition(".")
    return f"{name.lower()}{'.' + subject.upper() if subject else ''}/{number}"


def doi_from_ref(text: str) -> str | None:
    """The DOI in `10.x/y`, `doi:10.x/y` or a doi.org URL (percent-escapes undone), else None."""
    text = text.strip()
    stripped = _DOI_PREFIX.sub("", text, count=1)
    if stripped != text:
        stripped = unquote(stripped)
    match = _DOI.fullmatch(stripped)
    return match.group(0) if match else None


def year_from_arxiv(arxiv: str) -> int | None:
    """The year an arXiv id was given: `2106.09685` is 2021, `hep-th/9901001` 1999 (arXiv began in 1991)."""
    match = re.fullmatch(r"(\d\d)\d\d\.\d{4,5}", arxiv) or re.fullmatch(r"[^/]+/(\d\d)\d{5}", arxiv)
    if match is None:
        return None
    yy = int(match.group(1))
    return 1900 + yy if yy >= 91 else 2000 + yy


def parse_ref(text: str) -> Ref:
    """What `text` names; InvalidQuery naming it when it is neither an arXiv id, a DOI nor a web URL."""
    text = text.strip()
    arxiv = arxiv_from_ref(text)
    if arxiv is None and "arxiv.org/" in text.lower() and "://" not in text:
        arxiv = arxiv_from_ref("https://" + text)
    if arxiv:
        arxiv = normalise_arxiv(arxiv)
        return Ref(arxiv_key(arxiv), arxiv_url(arxiv), arxiv=arxiv)
    doi = doi_from_ref(text)
    if doi:
        own = _ARXIV_DOI.fullmatch(doi)
        if own and arxiv_from_ref(own.group("id")):
            arxiv = normalise_arxiv(arxiv_from_ref(own.group("id")) or "")
            return Ref(arxiv_key(arxiv), arxiv_url(arxiv), arxiv=arxiv)
        return Ref(doi_key(doi), f"https://doi.org/{doi}", doi=doi)
    if _WEB_URL.fullmatch(text):
        return Ref(f"url:{normalise_url(text)}", text)
    raise InvalidQuery(f"{text!r} is not an arXiv id, a DOI or a web URL")
