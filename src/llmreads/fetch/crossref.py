"""Service layer, Crossref part: the record of a DOI from Crossref's REST API (JSON).

`GET {api}/{DOI}` answers `{"status": "ok", "message-type": "work", "message":
{...}}`: `title` and `container-title` are lists, `author` a list of
{given, family} (or {name} for an organisation), dates are {"date-parts":
[[Y, M, D]]} with M and D optional, `abstract` is JATS XML, and `relation`
may name the preprint (`has-preprint`: an arXiv id, or arXiv's own DOI
10.48550/arXiv.ID). An unknown DOI is HTTP 404.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import quote

from llmreads.fetch import TIMEOUT_S, FetchFailed, Record
from llmreads.fetch.http import NotFoundAnswer, get

SERVICE = "Crossref"
_DATES = ("published", "issued", "published-print", "published-online", "created")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        value = [value]
    return [" ".join(v.split()) for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []


def _date(message: dict[str, object]) -> str | None:
    for name in _DATES:
        field = message.get(name)
        parts = field.get("date-parts") if isinstance(field, dict) else None
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            numbers = parts[0][:3]
            if all(isinstance(n, int) and not isinstance(n, bool) for n in numbers) and 1000 <= numbers[0] <= 9999:
                return "-".join([f"{numbers[0]:04d}", *(f"{n:02d}" for n in numbers[1:])])
    return None


def _authors(value: object) -> tuple[str, ...]:
    names = []
    for person in value if isinstance(value, list) else []:
        if not isinstance(person, dict):
            continue
        given, family, name = (person.get(k) for k in ("given", "family", "name"))
        parts = [p for p in (given, family) if isinstance(p, str) and p.strip()]
        full = " ".join(" ".join(parts).split()) if parts else (" ".join(name.split()) if isinstance(name, str) else "")
        if full:
            names.append(full)
    return tuple(names)


def _plain(jats: str) -> str:
    """JATS XML (`<jats:p>...</jats:p>`) as plain text."""
    text = re.sub(r"<jats:title>.*?</jats:title>", " ", jats, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _preprint(message: dict[str, object]) -> str | None:
    from llmreads.errors import InvalidQuery
    from llmreads.refs import parse_ref

    relation = message.get("relation")
    items = relation.get("has-preprint") if isinstance(relation, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            try:
                ref = parse_ref(("arXiv:" if item.get("id-type") == "arxiv" else "") + item["id"])
            except InvalidQuery:
                continue
            if ref.arxiv:
                return ref.arxiv
    return None


def parse_work(body: bytes) -> Record:
    """The record of Crossref's answer about one work; FetchFailed when the answer is not one."""
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        raise FetchFailed(f"{SERVICE} answered with something that is not JSON") from None
    message = answer.get("message") if isinstance(answer, dict) else None
    if not isinstance(message, dict) or answer.get("status") != "ok":
        raise FetchFailed(f"{SERVICE} answered without a work record")
    titles = _strings(message.get("title"))
    if not titles:
        raise FetchFailed(f"{SERVICE} answered with a work record that has no title")
    abstract = message.get("abstract")
    container = _strings(message.get("container-title"))
    volume = message.get("volume")
    journal = ", ".join([container[0], *([f"vol. {volume}"] if isinstance(volume, str) and volume else [])]) \
        if container else None
    doi = message.get("DOI")
    return Record(
        source="crossref",
        title=_plain(titles[0]),
        authors=_authors(message.get("author")),
        abstract=(_plain(abstract) or None) if isinstance(abstract, str) else None,
        published=_date(message),
        doi=doi if isinstance(doi, str) and doi else None,
        journal_ref=journal,
        arxiv=_preprint(message),
    )


class CrossrefClient:
    def __init__(self, api: str, timeout: float = TIMEOUT_S) -> None:
        self.api, self.timeout = api.rstrip("/"), timeout
        self.requests = 0

    def fetch(self, doi: str) -> Record | None:
        """The record of `doi`, None when Crossref does not know it."""
        self.requests += 1
        try:
            body = get(f"{self.api}/{quote(doi, safe='/')}", SERVICE, "application/json", self.timeout)
        except NotFoundAnswer:
            return None
        return parse_work(body)
