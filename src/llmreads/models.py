"""Model layer: the parsed document as frozen dataclasses, the import's events, and the reading status enum."""

from __future__ import annotations

from collections.abc import Collection, Iterator
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
    # `url` is a paper link (arXiv, DOI, a proceedings site, a `[Paper]` label), not a homepage:
    # only then may a title join the entry to another URL's paper (store.importer._Writer).
    paper_url: bool = False
    # A digest of the table row it was read from and that row's context (parse.reuse.table_context), when an
    # import asked for one: a re-import reuses the stored entry of a row it finds again (ReusedRows).
    source: int | None = None


@dataclass
class KnownRows:
    """What an importing database holds of a list, for the parser not to read again (parse.reuse).

    The import fills it once it knows the list (after the document's first event).
    """

    # Entry.source of the entries it may reuse (the import's map of each to the entry it takes)
    rows: Collection[int] = field(default_factory=set)
    tables: dict[int, tuple[str, bytes]] = field(default_factory=dict)  # TableColumns.key -> (counts, sample)


@dataclass(frozen=True)
class TableColumns:
    """What decided the columns of a table of papers: per column, the least and most counts of its first rows'
    cells that link a title, link a paper and give stars (JSON), and those rows' digests. A re-import that
    finds the table again (by `key`) weighs only the rows that changed (parse.reuse)."""

    key: int
    counts: str
    sample: bytes


@dataclass(frozen=True)
class ReusedEntry:
    """A table row the importing database already holds as an entry, read from the same text in the same
    context: the parser did not read it again (see parse.reuse)."""

    section: str  # Section.number
    line: int
    source: int  # Entry.source of the stored entry


@dataclass(frozen=True)
class ReusedRows:
    """Rows of a table that follow one another, each a ReusedEntry: one event for the run, as a re-import of a
    long list finds nearly every row again (an event a row cost a tenth of such a re-import)."""

    section: str  # Section.number
    lines: list[int]  # each row's line, in the document's order
    sources: list[int]  # each row's Entry.source

    def __len__(self) -> int:
        return len(self.sources)

    def __iter__(self) -> Iterator[ReusedEntry]:
        return (ReusedEntry(self.section, line, source) for line, source in zip(self.lines, self.sources, strict=True))


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
    # What was left out, and why: tables with no paper column, entries not read, non-papers.
    skipped: tuple[SkippedTable | UnreadItem | NonPaper, ...] = field(default=())
    marks: tuple[ReaderMarks, ...] = field(default=())  # an llmreads export's statuses and notes


@dataclass(frozen=True)
class DocumentTitle:
    """Yielded once, before the first section or entry (or at the end when there is none)."""

    title: str


@dataclass(frozen=True)
class DocumentUpdated:
    """The update date the document states, as YYYY-MM-DD; yielded last."""

    date: str


# Written by `export --format markdown` under the list's title: the parser takes every
# item of such a list for a paper, even one that links a repository or a blog post.
EXPORT_MARK = "<!-- llmreads export: every list item is a paper -->"


@dataclass(frozen=True)
class SkippedTable:
    """A table not read as papers: no column holds titles that link to papers."""

    line: int
    headers: tuple[str, ...]


@dataclass(frozen=True)
class UnreadItem:
    """An item, row or paragraph that looked like a paper (a paper link, an arXiv id, a DOI) but was not read."""

    line: int
    text: str


@dataclass(frozen=True)
class NonPaper:
    """An item kept out of the papers because its links go only to code, models, data, videos or posts."""

    line: int
    text: str
    url: str


@dataclass(frozen=True)
class Clash:
    """Two entries that name one arXiv paper with different titles: one paper is kept, under the first title."""

    arxiv: str
    titles: tuple[str, ...]


@dataclass(frozen=True)
class ReaderMarks:
    """What llmreads' own Markdown export says of its reader under an entry: ✅ or (reading), and quoted notes.

    Yielded after the entry it follows; an import writes it only when asked
    (`import --with-user-data`), for the current user, where they have none.
    """

    line: int
    key: str
    status: str | None
    notes: tuple[str, ...]


# What the parser yields and the import consumes, in document order.
Event = (
    DocumentTitle | DocumentUpdated | Section | Entry | Problem | SkippedTable | UnreadItem | NonPaper | ReaderMarks
    | ReusedRows | TableColumns
)


@dataclass(frozen=True)
class LinkChange:
    """A paper the list now gives another link (so another key): its user data follows it."""

    old_key: str
    new_key: str
    title: str


@dataclass(frozen=True)
class LeftWithUserData:
    """A paper no list holds any more that keeps statuses, notes, tags, ratings or history (of any user)."""

    id: str
    key: str
    title: str
    statuses: int
    notes: int
    tags: int = 0
    ratings: int = 0
    history: int = 0  # status changes kept (status_history)


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
    # What the document holds that did not become a paper, each with its line: nothing is dropped unsaid.
    skipped_tables: list[SkippedTable] = field(default_factory=list)
    unread_items: list[UnreadItem] = field(default_factory=list)
    non_papers: list[NonPaper] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)  # one arXiv id under two different titles
    # Papers still in the list that had an introduction and now have none (a list that lost its
    # introduction column, an export without them): most of the list is worth a warning.
    introductions_emptied: int = 0
    marked: int = 0  # entries of an llmreads export that carry a status or notes
    statuses_read: int = 0  # of those, written as the reader's (import --with-user-data)
    notes_read: int = 0
    skipped: bool = False  # the very same document was imported before
    dry_run: bool = False

    @property
    def empties_introductions(self) -> bool:
        """Whether this import empties the introductions of most of the list's papers."""
        return self.introductions_emptied * 2 > self.papers

    @property
    def changed(self) -> int:
        """Papers whose curated data this import changed (each counted once)."""
        return self.papers - self.unchanged - len(self.added)
