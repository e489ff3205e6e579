"""Model layer: the parsed document as frozen dataclasses, and the reading status enum."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    unread = "unread"
    reading = "reading"
    read = "read"


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Section:
    number: str  # as a reader writes it: "2", "2.3"
    title: str  # display form: numbers, trailing colons and look-alikes cleaned
    title_raw: str  # as written in the document
    line: int

    @property
    def parent(self) -> str | None:
        head, sep, _ = self.number.rpartition(".")
        return head if sep else None

    @property
    def depth(self) -> int:
        return self.number.count(".")

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}"


@dataclass(frozen=True)
class Entry:
    section: str  # Section.number
    number: int | None  # the list number in the ID cell, when written
    stars: int
    title: str
    title_raw: str
    url: str
    intro: str
    intro_raw: str
    links: tuple[Link, ...]
    line: int
    key: str  # the paper's stable key (see keys.paper_key)
    arxiv: str | None
    year: str | None = None
    extra: tuple[tuple[str, str], ...] = ()  # columns the parser has no role for: (header, text)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


@dataclass(frozen=True)
class Document:
    title: str
    updated: str | None
    sections: tuple[Section, ...]
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...] = field(default=())


@dataclass(frozen=True)
class LinkChange:
    """A paper the list now gives another link (so another key): its user data follows it."""

    old_key: str
    new_key: str
    title: str


@dataclass(frozen=True)
class LeftWithUserData:
    """A paper no list holds any more that keeps statuses or notes (of any user)."""

    id: str
    key: str
    title: str
    statuses: int
    notes: int


@dataclass
class ImportReport:
    list_name: str
    title: str
    source: str = ""
    sections: int = 0
    entries: int = 0
    papers: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)  # "title: 2.1 → 2.3"
    rerated: list[str] = field(default_factory=list)  # "title: 2 → 4"
    retitled: list[str] = field(default_factory=list)  # "old → new"
    updated: list[str] = field(default_factory=list)  # any other change to a paper's entries
    link_changes: list[LinkChange] = field(default_factory=list)  # neither added nor removed
    left_with_user_data: list[LeftWithUserData] = field(default_factory=list)  # `list --all` shows them
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    skipped: bool = False  # the very same document was imported before
    dry_run: bool = False

    @property
    def changed(self) -> int:
        """Papers whose curated data this import changed (each counted once)."""
        return self.papers - self.unchanged - len(self.added)
