"""Store layer, exports part: what an export holds, read in one pass for the papers the filters select.

Each paper comes with this user's status, notes, tags and stars, its sections,
introductions and links (of one list, or of all); llmreads.export writes
them out in a format.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from llmreads.store.base import rows_in
from llmreads.store.filters import Filter, list_id_by_name
from llmreads.store.notes import list_notes
from llmreads.store.papers import list_papers

DEFAULT_TITLE = "Reading list"


@dataclass(frozen=True)
class SectionRef:
    """A section of an imported list, as a heading of the Markdown export places it."""

    list_id: int
    list_title: str
    number: str
    title: str

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}"


@dataclass
class ExportEntry:
    """One place a list gives the paper: its section, and what the list says of it there."""

    section: SectionRef
    order: tuple[int, int]  # (list id, entry position)
    title: str
    stars: int
    intro: str
    year: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, url)


@dataclass
class ExportPaper:
    id: str
    key: str
    title: str
    url: str
    arxiv: str | None
    stars: int
    status: str
    status_at: str | None
    sections: list[str] = field(default_factory=list)
    year: str | None = None
    notes: list[dict[str, object]] = field(default_factory=list)
    introductions: list[dict[str, str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    home: SectionRef | None = None  # the first section that lists the paper
    home_order: tuple[int, int] = (0, 0)  # (list id, entry position) of that entry
    entries: list[ExportEntry] = field(default_factory=list)  # every place the lists give it, in list order
    authors: list[str] = field(default_factory=list)  # from fetched metadata
    published_title: str | None = None  # the title as the service gives it (its case kept), for BibTeX
    tags: list[str] = field(default_factory=list)  # this user's, sorted
    my_stars: int | None = None  # this user's rating, 1 to 5


@dataclass
class Export:
    title: str
    papers: list[ExportPaper]
    sections: dict[tuple[int, str], SectionRef]  # every section of the lists involved, by (list id, number)


def collect(
    conn: sqlite3.Connection, user: str, filters: Sequence[Filter], list_name: str | None = None
) -> Export:
    """The papers the filters select, in list order, with everything an export shows of them.

    With `list_name` only that list's entries (sections, introductions, links) are used.
    """
    rows = list_papers(conn, user, filters, sort="list")
    papers = [
        ExportPaper(
            id=r.id, key=r.key, title=r.title, url=r.url, arxiv=r.arxiv, stars=r.stars,
            status=r.status, status_at=r.status_at, authors=r.authors, tags=r.tags, my_stars=r.my_stars,
        )
        for r in rows
    ]
    by_key = {p.key: p for p in papers}
    from llmreads.store.metadata import metadata_sql

    for key, title, year in rows_in(
        conn, f"SELECT p.key, {metadata_sql('title')}, {metadata_sql('year')} FROM papers p WHERE p.key IN ({{marks}})",
        list(by_key),
    ):
        by_key[key].published_title = title
        if year is not None:
            by_key[key].year = str(year)  # the fetched year before a list's year column
    list_id = list_id_by_name(conn, list_name) if list_name is not None else None
    paper_ids = {
        int(r["id"]): by_key[r["key"]]
        for r in rows_in(conn, "SELECT id, key FROM papers WHERE key IN ({marks})", list(by_key))
    }
    sections: dict[tuple[int, str], SectionRef] = {}
    for r in conn.execute(
        "SELECT sec.list_id, sec.number, sec.title, l.title AS list_title FROM sections sec"
        " JOIN lists l ON l.id = sec.list_id WHERE ? IS NULL OR sec.list_id = ? ORDER BY sec.list_id, sec.position",
        (list_id, list_id),
    ):
        sections[(r["list_id"], r["number"])] = SectionRef(r["list_id"], r["list_title"], r["number"], r["title"])
    in_list = (list_id, list_id)
    by_entry: dict[int, ExportEntry] = {}
    for e in rows_in(
        conn,
        "SELECT e.id, e.paper_id, e.list_id, e.position, e.intro, e.year, e.title, e.stars, sec.number FROM entries e"
        " JOIN sections sec ON sec.id = e.section_id WHERE e.paper_id IN ({marks})"
        " AND (? IS NULL OR e.list_id = ?) ORDER BY e.list_id, e.position",
        list(paper_ids),
        in_list,
    ):
        paper = paper_ids[e["paper_id"]]
        section = sections[(e["list_id"], e["number"])]
        if paper.home is None:
            paper.home, paper.home_order = section, (e["list_id"], e["position"])
        if section.label not in paper.sections:
            paper.sections.append(section.label)
        if paper.year is None and e["year"]:
            paper.year = str(e["year"])
        if e["intro"]:
            paper.introductions.append({"section": section.label, "text": e["intro"]})
        by_entry[e["id"]] = ExportEntry(
            section, (e["list_id"], e["position"]), e["title"] or paper.title, e["stars"], e["intro"],
            str(e["year"]) if e["year"] else None,
        )
        paper.entries.append(by_entry[e["id"]])
    for r in rows_in(
        conn,
        "SELECT e.id, e.paper_id, l.text, l.url FROM links l JOIN entries e ON e.id = l.entry_id"
        " WHERE e.paper_id IN ({marks}) AND (? IS NULL OR e.list_id = ?) ORDER BY e.list_id, e.position, l.position",
        list(paper_ids),
        in_list,
    ):
        by_entry[r["id"]].links.append((r["text"], r["url"]))
        link = {"text": r["text"], "url": r["url"]}
        paper = paper_ids[r["paper_id"]]
        if link not in paper.links:
            paper.links.append(link)
    for note in list_notes(conn, user):
        paper_ = by_key.get(note.key)
        if paper_ is not None:
            paper_.notes.append(
                {"id": note.id, "text": note.text, "created_at": note.created_at, "updated_at": note.updated_at}
            )
    list_titles = list(dict.fromkeys(s.list_title for s in sections.values()))
    if list_id is not None or len(list_titles) == 1:
        title = list_titles[0] if list_titles else (list_name or DEFAULT_TITLE)
    else:
        title = DEFAULT_TITLE
    return Export(title=title, papers=papers, sections=sections)
