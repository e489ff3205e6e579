"""Store layer: what `show` reports about one paper, as dataclasses (store/papers.py paper_detail builds them).

A module of its own, imported by paper_detail: `list`, `search` and `mark-read`
load store/papers.py and need none of these, and creating a dataclass costs
about half a millisecond of start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmreads.store.notes import Note


@dataclass(frozen=True)
class EntryLink:
    text: str
    url: str


@dataclass(frozen=True)
class EntryDetail:
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


@dataclass(frozen=True)
class PaperDetail:
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
