"""Service layer, arXiv part: records of arXiv ids from the arXiv API (an Atom feed), batched and paced.

The API (https://info.arxiv.org/help/api/user-manual.html) answers
`?id_list=ID,ID,...&max_results=N` with an Atom feed: one <entry> per paper,
its <id> the abs URL of the latest version, <published> the date of the first
version, <author><name>, <summary> (the abstract) and the arxiv: extension
elements (primary_category, doi, journal_ref). A request it cannot serve is a
feed with one entry whose <id> is under /api/errors and whose <summary> says
why. Its terms ask for at most one request every 3 seconds (a setting here).
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import urlencode

from llmreads.fetch import TIMEOUT_S, FetchFailed, Record
from llmreads.fetch.http import get

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
BATCH = 100  # ids per request
SERVICE = "the arXiv API"

_ENTRY_ID = re.compile(r"arxiv\.org/abs/(?P<id>.+?)(?:v\d+)?$")


def _text(element: ET.Element | None) -> str:
    """An element's text with its line breaks and runs of spaces made single spaces."""
    return " ".join((element.text or "").split()) if element is not None else ""


def parse_feed(body: bytes) -> dict[str, Record]:
    """The records of an Atom feed from the arXiv API, by arXiv id (without version); FetchFailed if it is none."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        first = body[:60].decode("utf-8", "replace").strip().splitlines()
        said = f": {first[0]!r}" if first else ""
        raise FetchFailed(f"{SERVICE} answered with something that is not an Atom feed{said}") from None
    if root.tag != f"{ATOM}feed":
        raise FetchFailed(f"{SERVICE} answered with XML that is not an Atom feed (<{root.tag}>)")
    records: dict[str, Record] = {}
    for entry in root.iter(f"{ATOM}entry"):
        entry_id = _text(entry.find(f"{ATOM}id"))
        if "/api/errors" in entry_id:
            reason = _text(entry.find(f"{ATOM}summary")) or entry_id
            raise FetchFailed(f"{SERVICE} refused the request: {reason}")
        match = _ENTRY_ID.search(entry_id)
        title = _text(entry.find(f"{ATOM}title"))
        if match is None or not title:
            continue  # not a paper's entry (an empty <entry/>): a missing id is reported as not found
        arxiv = match.group("id")
        published = _text(entry.find(f"{ATOM}published"))[:10]
        category = entry.find(f"{ARXIV}primary_category")
        records[arxiv] = Record(
            source="arxiv",
            title=title,
            authors=tuple(name for a in entry.iter(f"{ATOM}author") if (name := _text(a.find(f"{ATOM}name")))),
            abstract=_text(entry.find(f"{ATOM}summary")) or None,
            published=published if re.fullmatch(r"\d{4}-\d\d-\d\d", published) else None,
            primary_category=(category.get("term") or None) if category is not None else None,
            doi=_text(entry.find(f"{ARXIV}doi")) or None,
            journal_ref=_text(entry.find(f"{ARXIV}journal_ref")) or None,
            arxiv=arxiv,
        )
    return records


class ArxivClient:
    """Fetches records by arXiv id, up to BATCH ids a request, never sooner than `delay` s after the last request."""

    def __init__(self, api: str, delay: float, timeout: float = TIMEOUT_S,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.api, self.delay, self.timeout = api, delay, timeout
        self.sleep, self.clock = sleep, clock
        self.requests = 0
        self._last: float | None = None

    def batches(self, ids: Sequence[str]) -> Iterator[tuple[list[str], dict[str, Record]]]:
        """Each batch of `ids` with the records found for it (an id arXiv does not know has none)."""
        wanted = list(dict.fromkeys(ids))
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            yield batch, self.fetch_batch(batch)

    def fetch(self, ids: Sequence[str]) -> dict[str, Record]:
        found: dict[str, Record] = {}
        for _batch, records in self.batches(ids):
            found.update(records)
        return found

    def fetch_batch(self, ids: Sequence[str]) -> dict[str, Record]:
        if self._last is not None:
            wait = self._last + self.delay - self.clock()
            if wait > 0:
                self.sleep(wait)
        query = urlencode({"id_list": ",".join(ids), "max_results": len(ids)}, safe=",/")
        self.requests += 1
        try:
            body = get(f"{self.api}{'&' if '?' in self.api else '?'}{query}", SERVICE, "application/atom+xml",
                       self.timeout)
        finally:
            self._last = self.clock()
        records = parse_feed(body)
        return {arxiv: record for arxiv, record in records.items() if arxiv in ids}
