"""Service layer: paper metadata from the arXiv API and Crossref.

Imported only by the commands that fetch (add, enrich, edit --arxiv): nothing
else pays for urllib, ssl and an XML parser at start-up. Standard library only:
urllib.request, xml.etree and json cost ~40 ms to import, where the `arxiv`
client (with feedparser and requests) costs ~110 ms and `habanero` (with httpx)
~107 ms, for two small read-only formats that the parsers here read directly.

Every request has a timeout; every failure (offline, a timeout, an HTTP error,
an answer that is not in the documented format) is a FetchFailed with one line
that says which service and why. Nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmreads.errors import LlmreadsError

TIMEOUT_S = 5.0  # a request that takes longer fails: add still adds the paper, with what it knows


class FetchFailed(LlmreadsError):
    """A metadata service that could not be reached or answered with something unusable."""


@dataclass(frozen=True)
class Record:
    """What a service says about one paper."""

    source: str  # "arxiv" or "crossref"
    title: str
    authors: tuple[str, ...] = ()
    abstract: str | None = None
    published: str | None = None  # YYYY-MM-DD, or YYYY-MM or YYYY when the service says no more
    primary_category: str | None = None
    doi: str | None = None
    journal_ref: str | None = None
    arxiv: str | None = None

    @property
    def year(self) -> int | None:
        return int(self.published[:4]) if self.published and self.published[:4].isdigit() else None
