"""Stable identity of a paper: its key, its arXiv id and the short id shown to users."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from llmreads.text import fold_for_search

# New-style arXiv ids (0704.0001 on) with an optional version; old-style
# ids (hep-th/9901001) too. Matched in arxiv.org URLs and in bare references.
_ARXIV_URL = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})"
    r"(?:v\d+)?(?:\.pdf)?",
    re.IGNORECASE,
)
_ARXIV_BARE = re.compile(
    r"^(?:arxiv:)?(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$", re.IGNORECASE
)


def arxiv_from_url(url: str) -> str | None:
    match = _ARXIV_URL.search(url)
    return match.group("id") if match else None


def arxiv_from_ref(ref: str) -> str | None:
    """An arXiv id typed by a user: `2106.09685`, `2106.09685v2`, `arXiv:2106.09685` or a URL."""
    ref = ref.strip()
    match = _ARXIV_BARE.match(ref)
    if match:
        return match.group("id")
    return arxiv_from_url(ref) if "arxiv.org" in ref.lower() else None


# A web URL with no query, fragment, user, port or odd characters: for it,
# `normalise_url` is host and path alone, found without `urlsplit` (which is slow).
_PLAIN_WEB_URL = re.compile(r"https?://([A-Za-z0-9.\-]+)(/[A-Za-z0-9._~!$&'*+,;=:@%/\-]*)?")


def normalise_url(url: str) -> str:
    """Scheme, `www.`, fragment and trailing slashes do not make another paper."""
    plain = _PLAIN_WEB_URL.fullmatch(url)
    if plain:
        host = plain.group(1).lower().removeprefix("www.")
        if host:
            return host + (plain.group(2) or "").rstrip("/")
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # `http://[x`: not a URL urllib can read; the text itself is the key
        return url.strip()
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    return urlunsplit(("", host, path, parts.query, "")).lstrip("/")


def normalise_title(title: str) -> str:
    return " ".join(re.findall(r"\w+", fold_for_search(title)))


def paper_key(title: str, url: str) -> str:
    arxiv = arxiv_from_url(url)
    if arxiv:
        return f"arxiv:{arxiv}"
    if url.strip():
        return f"url:{normalise_url(url)}"
    return f"title:{normalise_title(title)}"


def short_id(key: str, length: int = 6) -> str:
    """A short, typeable id derived from the key alone, so it is the same on every machine."""
    import hashlib  # here, not at the top: loading OpenSSL costs a search that never makes a key some 3 ms

    return hashlib.sha1(key.encode()).hexdigest()[:length]
