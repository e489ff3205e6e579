"""Parse layer: what the walk carries through the document, and the events it emits.

`State` holds the section stack and numbering, the line numbers of the
chunk being read and the events found so far; `emit_entry` is where a table
row or a list item, once read, becomes an `Entry` (its URL, arXiv id and key).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from llmreads.keys import arxiv_from_url, paper_key
from llmreads.models import DocumentTitle, Entry, Event, KnownRows, Link, Section
from llmreads.parse.inline import Node, clean_label
from llmreads.parse.links import LinkKind
from llmreads.parse.links import cached_link_kind as link_kind
from llmreads.parse.titles import clean_title
from llmreads.text import clean

# How most paper URLs start: what keys.arxiv_from_url finds in them, found by a match at the start
# rather than a search through the URL.
_ARXIV_LINK = re.compile(r"https?://arxiv\.org/(?:abs|pdf|html)/(\d{4}\.\d{4,5})")
MAX_TITLE = 2_000  # characters; a longer "title" is a broken row, not a paper


@dataclass
class State:
    title: str | None = None
    title_sent: bool = False
    updated: str | None = None
    out: list[Event] = field(default_factory=list)
    # heading stack of (heading level, Section); children counts per parent number
    stack: list[tuple[int, Section]] = field(default_factory=list)
    children: dict[str, int] = field(default_factory=dict)
    numbers: set[str] = field(default_factory=set)
    rows: list[list[int]] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    line: int = 1
    # Table bodies read without mistune: placeholder text -> each row's text between its outer pipes (fastpath).
    runs: dict[str, list[str]] = field(default_factory=dict)
    refs: bool = False  # the chunk defines link references, so `[label]` may be a link
    inline: Callable[[str], list[Node]] | None = None  # mistune's inline parser, for cells read the slow way
    # The chunk's lines, and how far paragraphs have been found in them (see `line_of`).
    chunk_lines: list[str] = field(default_factory=list)
    cursor: int = 0
    every_item: bool = False  # the list is llmreads' own export: every list item is a paper
    # An import's digests of the rows it holds (parse.reuse), None when not importing; the digest of the row
    # being read, which its Entry carries.
    reuse: KnownRows | None = None
    source: int | None = None
    tables: dict[bytes, int] = field(default_factory=dict)  # tables read so far, by section and header (reuse.py)

    def line_of(self, anchor: str) -> int:
        """The line of the chunk, from the last one found on, that holds `anchor` (a URL or a title's start).

        mistune does not say where a paragraph stands; its link or its
        title's first characters find it in the chunk's text.
        """
        anchor = anchor.strip()
        for i in range(self.cursor, len(self.chunk_lines)):
            if anchor and anchor in self.chunk_lines[i]:
                self.cursor = i + 1
                return self.line + i
        return self.line + min(self.cursor, max(len(self.chunk_lines) - 1, 0))

    def resolve_title(self) -> None:
        if not self.title_sent:
            self.title_sent = True
            self.out.append(DocumentTitle(self.title or ""))

    def emit(self, event: Event) -> None:
        self.resolve_title()  # the title always comes first, whatever follows it
        self.out.append(event)

    def drain(self) -> Iterator[Event]:
        out, self.out = self.out, []
        return iter(out)

    def section(self) -> Section | None:
        return self.stack[-1][1] if self.stack else None

    def implicit_section(self) -> Section:
        """Papers before any heading go into a section named after the document."""
        section = Section(number="1", title=self.title or "Papers", title_raw=self.title or "", line=self.line)
        self.children[""] = 1
        self.numbers.add("1")
        self.stack.append((99, section))  # any later heading closes it
        self.emit(section)
        return section


def emit_entry(
    state: State,
    *,
    title_raw: str,
    urls: list[str],
    intro_raw: str,
    links: tuple[Link, ...],
    stars: int,
    number: int | None,
    year: str | None,
    extra: tuple[tuple[str, str], ...],
    line: int,
) -> None:
    section = state.section() or state.implicit_section()
    url = ""  # the first URL that is no anchor, unless a later one has an arXiv id
    arxiv = None
    for u in urls:
        if not u or u[0] == "#":
            continue
        if not url:
            url = u
        arxiv = arxiv_id(u)
        if arxiv:
            url = u  # the first URL with an arXiv id
            break
    title = clean_title(clean_label(title_raw))
    if title == title_raw:
        title = title_raw  # one string, not two equal ones: half the memory and pickle of a title
    intro = clean(intro_raw) if intro_raw else ""
    if intro == intro_raw:
        intro = intro_raw
    if arxiv:
        key = f"arxiv:{arxiv}"
        paper_url = True
    else:
        key = paper_key(title, url)
        paper_url = bool(url) and _is_paper_url(url, links)
    # Built as new_entry builds it, its fields filled in place: one dictionary, not three.
    entry = _new(Entry)
    entry.__dict__.update(
        section=section.number,
        number=number,
        stars=stars,
        title=title,
        title_raw=title_raw,
        url=url,
        intro=intro,
        intro_raw=intro_raw,
        links=links,
        line=line,
        key=key,
        arxiv=arxiv,
        year=year,
        extra=extra,
        paper_url=paper_url,
        source=state.source,
    )
    state.emit(entry)


def arxiv_id(url: str) -> str | None:
    """`keys.arxiv_from_url(url)`, quicker for a URL that starts as most do (`https://arxiv.org/abs/ID`)."""
    link = _ARXIV_LINK.match(url)
    return link.group(1) if link else arxiv_from_url(url)


_new = object.__new__


def new_entry(**fields: object) -> Entry:
    """`Entry(**fields)` given every field, built as unpickling builds it: a frozen dataclass's
    `__init__` sets each field through `object.__setattr__`, a tenth of reading a table row."""
    entry = _new(Entry)
    entry.__dict__.update(fields)
    return entry


def _is_paper_url(url: str, links: tuple[Link, ...]) -> bool:
    """Whether an entry's URL is a paper link, by its label where the entry links it, else by its host."""
    label = next((link.text for link in links if link.url == url), "")
    return link_kind(url, label) is LinkKind.paper
