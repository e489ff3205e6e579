"""Store layer: what `show` reports about one paper, as typed records (store/papers.py paper_detail builds them).

A module of its own, imported by paper_detail: `list`, `search` and `mark-read`
load store/papers.py and need none of these. Typed NamedTuples rather than
frozen dataclasses: as immutable, but a frozen dataclass generates six methods
from source when its class is created, ~1 ms each class of start-up (3 ms of
every `show`), a NamedTuple ~0.1 ms. `render` prints them as JSON objects.
"""

# No `from __future__ import annotations`: typing.NamedTuple would compile each field's
# annotation from its string (~25 µs a field, every process that loads these results).

from typing import NamedTuple

from llmreads.store.notes import Note


class EntryLink(NamedTuple):
    text: str
    url: str


class EntryDetail(NamedTuple):
    """One place a list holds the paper: its section, number, stars, introduction and links."""

    list: str
    section: str  # "2.1 Title"
    number: int | None
    stars: int
    title: str
    introduction: str
    line: int
    year: str | None
    fields: dict[str, str]  # columns the parser had no role for: header -> text
    links: tuple[EntryLink, ...]


class PaperDetail(NamedTuple):
    """Everything about one paper: what listings show, each entry that holds it, all its links, the user's notes."""

    id: str
    key: str
    title: str
    url: str
    arxiv: str | None
    stars: int
    sections: list[str]
    status: str
    status_at: str | None
    authors: list[str]  # from fetched metadata; empty when unknown
    year: int | None
    tags: list[str]  # this user's, sorted
    my_stars: int | None  # this user's rating, 1 to 5
    entries: tuple[EntryDetail, ...]
    links: tuple[EntryLink, ...]
    notes: tuple[Note, ...]
    abstract: str | None  # the fetched abstract
