"""Store layer, papers part: listings, counts, one paper's detail, references, and the lists themselves.

Papers are read with this user's status (through every key of the paper,
llmreads.aliases) as `PaperRow`s. llmreads.keys (urllib.parse) and the notes
module load with the functions that use them, so `list` starts without them.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from llmreads.aliases import (
    aliased_sql,
    first_read_sql,
    paper_id_sql,
    rating_sql,
    same_paper_sql,
    status_join,
    status_key_sql,
    tags_sql,
    user_data_sql,
)
from llmreads.errors import Ambiguous, LlmreadsError, NotFound
from llmreads.store.base import rows_in, transaction
from llmreads.store.filters import Filter, combine, list_id_by_name
from llmreads.store.index import IndexedText, refresh_papers
from llmreads.store.metadata import metadata_sql, year_sql
from llmreads.text import fold_for_matching

if TYPE_CHECKING:
    from llmreads.store.detail import PaperDetail
    from llmreads.store.reports import ListSummary, RemovedList


class PaperRow:
    """One paper as listings show it, with this user's status (a search adds snippet, matched and score).

    A plain class rather than a dataclass: it is on every command's path, and
    creating a dataclass costs half a millisecond of start-up.
    """

    __slots__ = (
        "id", "key", "title", "url", "arxiv", "stars", "sections", "status", "status_at", "authors", "year",
        "tags", "my_stars", "snippet", "matched", "score",
    )

    def __init__(
        self, id: str, key: str, title: str, url: str, arxiv: str | None, stars: int, sections: list[str],
        status: str, status_at: str | None = None, authors: list[str] | None = None, year: int | None = None,
        tags: list[str] | None = None, my_stars: int | None = None,
    ) -> None:
        self.id, self.key, self.title, self.url, self.arxiv = id, key, title, url, arxiv
        self.stars, self.sections, self.status, self.status_at = stars, sections, status, status_at
        self.authors: list[str] = authors or []  # from fetched metadata (store.library)
        self.year = year
        self.tags: list[str] = tags or []  # this user's, sorted
        self.my_stars = my_stars  # this user's rating, 1 to 5
        self.snippet: str | None = None
        self.matched: list[str] | None = None  # the forms of the query the paper holds
        self.score: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}


PAPER_COLUMNS = (
    f"p.id AS pid, p.short_id, p.key, p.title, p.url, coalesce(p.arxiv, {metadata_sql('arxiv')}) AS arxiv,"
    " p.stars, p.position, coalesce(s.status, 'unread') AS status, s.updated_at AS status_at,"
    f" {metadata_sql('authors')} AS authors, {year_sql()} AS year,"
    f" {tags_sql('p.key', '?1')} AS tags, {rating_sql('p.key', '?1')} AS my_stars"
)


# The user is the statement's first parameter, ?1: a status is read through every key of its paper.
PAPER_JOIN = f"papers p {status_join('?1')}"


# `list --all`: papers no list holds that keep some of the user's data; one paper for all its keys.
_SHOWN_UNLISTED = f"(p.listed = 1 OR ({user_data_sql('p.key', '?1')} AND p.id = {paper_id_sql('p.key')}))"


SORTS = {
    "next": "coalesce(s.status, 'unread') = 'reading' DESC, p.stars DESC, p.position",
    "list": "p.position",
    "stars": "p.stars DESC, p.position",
    "title": "p.title COLLATE NOCASE, p.position",
    "my-stars": "my_stars IS NULL, my_stars DESC, p.stars DESC, p.position",
    # Most recently read first (when first read: marking a paper read again does not move it), then the rest.
    "read": f"s.status IS 'read' DESC, coalesce({first_read_sql('p.key', '?1')}, s.updated_at) DESC, p.position",
}


def list_papers(
    conn: sqlite3.Connection,
    user: str,
    filters: Sequence[Filter] = (),
    *,
    sort: str = "list",
    limit: int | None = None,
    include_unlisted: bool = False,
) -> list[PaperRow]:
    where, params = combine(filters)
    listed = _SHOWN_UNLISTED if include_unlisted else "p.listed = 1"
    order = SORTS[sort]
    list_order = next((f.order for f in filters if f.order), None)
    if list_order is not None:  # one list chosen: its own order, not the first list's
        order = order.replace("p.position", list_order)
    elif sort == "next" and limit is not None and not include_unlisted:
        return paper_rows(conn, _next_rows(conn, user, where, params, limit))
    sql = f"SELECT {PAPER_COLUMNS} FROM {PAPER_JOIN} WHERE {listed} AND {where} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = conn.execute(sql, [user, *params]).fetchall()
    return paper_rows(conn, rows)


def _next_rows(
    conn: sqlite3.Connection, user: str, where: str, params: list[object], limit: int
) -> list[sqlite3.Row]:
    """What to read next, in SORTS["next"] order, without sorting every paper.

    The papers being read come first (a user reads few at once), then the
    rest down the (listed, stars DESC, position) index, stopping at `limit`:
    at 100,000 papers 54 ms of sorting became a fraction of a millisecond.
    """
    reading = conn.execute(  # from the user's statuses: each one that is its paper's newest
        f"SELECT {PAPER_COLUMNS} FROM statuses s JOIN papers p ON p.key IN {same_paper_sql('s.paper_key')}"
        f" WHERE s.user = ?1 AND s.status = 'reading' AND s.paper_key = {status_key_sql('s.paper_key', '?1')}"
        f" AND p.listed = 1 AND {where} ORDER BY p.stars DESC, p.position LIMIT {int(limit)}",
        [user, *params],
    ).fetchall()
    rest = conn.execute(
        f"SELECT {PAPER_COLUMNS} FROM papers p INDEXED BY papers_listed_stars {status_join('?1')}"
        f" WHERE p.listed = 1 AND coalesce(s.status, 'unread') != 'reading' AND {where}"
        f" ORDER BY p.stars DESC, p.position LIMIT {int(limit) - len(reading)}",
        [user, *params],
    ).fetchall()
    return reading + rest


def count_papers(
    conn: sqlite3.Connection, user: str, filters: Sequence[Filter] = (), *, include_unlisted: bool = False
) -> int:
    where, params = combine(filters)
    listed = _SHOWN_UNLISTED if include_unlisted else "p.listed = 1"
    sql = f"SELECT count(*) FROM {PAPER_JOIN} WHERE {listed} AND {where}"
    return int(conn.execute(sql, [user, *params]).fetchone()[0])


def paper_rows(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[PaperRow]:
    labels = section_labels(conn, [r["pid"] for r in rows])
    return [
        PaperRow(
            id=r["short_id"], key=r["key"], title=r["title"], url=r["url"], arxiv=r["arxiv"],
            stars=r["stars"], sections=labels.get(r["pid"], []), status=r["status"], status_at=r["status_at"],
            authors=authors, year=r["year"],
            tags=sorted(r["tags"].split(",")) if r["tags"] else [], my_stars=r["my_stars"],
        )
        for r, authors in zip(rows, _authors(rows), strict=True)
    ]


def _authors(rows: Sequence[sqlite3.Row]) -> list[list[str]]:
    """Each row's authors. JSON is imported only when a row has some: most commands read none (~0.5 ms a process)."""
    if not any(r["authors"] for r in rows):
        return [[] for _r in rows]
    import json

    return [json.loads(r["authors"]) if r["authors"] else [] for r in rows]


def section_labels(conn: sqlite3.Connection, paper_ids: Sequence[int]) -> dict[int, list[str]]:
    labels: dict[int, list[str]] = {}
    for pid, label in rows_in(
        conn,
        "SELECT e.paper_id, sec.number || ' ' || sec.title FROM entries e JOIN sections sec"
        " ON sec.id = e.section_id WHERE e.paper_id IN ({marks}) ORDER BY e.list_id, e.position",
        paper_ids,
    ):
        if label not in labels.setdefault(pid, []):
            labels[pid].append(label)
    return labels


# Set by the command layer when a person at a terminal can pick one of several papers a
# reference matches: called with the question and the candidates ("id  title"), it returns
# the index chosen, or None to give up (the reference is then reported as ambiguous).
choose_paper: Callable[[str, list[str]], int | None] | None = None

# The patterns of references, compiled (and cached by re) only when a reference that is
# neither a short id nor a key needs them: some 1 ms that `list` and `search` never pay.
# A reference that reads as a web address: a scheme, or a host with a dot followed by a path.
_URL_REF = r"(?i:[a-z][a-z0-9+.\-]*://\S+|[^\s/:]+\.[^\s/:]+/\S*)"
_HOST_REF = r"[^\W_](?:[\w\-]*[^\W_])?(?:\.[^\W_](?:[\w\-]*[^\W_])?)+"
# A prefix of a short id, as git takes a prefix of a hash.
_ID_PREFIX = r"[0-9a-f]{4,5}"

_Candidate = tuple[int, str, str, int]  # row id, short id, title, listed


def resolve_ref(conn: sqlite3.Connection, ref: str) -> int:
    """A paper's row id from what names it, most certain first.

    A short id or key; an arXiv id (bare, `arXiv:`, or any arxiv.org URL); any
    link the paper shows, with or without the scheme; then its title, in
    tiers: the whole title, titles that start with the text, the text as whole
    words, at word starts, anywhere. The first tier that holds exactly one
    paper names it. Only when no title holds the text is a prefix of a short
    id (4-5 hex digits, as git takes hashes) tried. A reference that still
    matches several papers is Ambiguous (or, at a terminal, choose_paper asks).
    """
    text = ref.strip()
    if not text:
        raise NotFound("empty paper reference")
    row = conn.execute("SELECT id, key, listed FROM papers WHERE short_id = ? OR key = ?", (text.lower(), text))
    found = row.fetchone()
    if found:  # an old short id or key names the paper its data follows (a link that changed)
        paper_id, key, listed = found
        return int(paper_id) if listed else paper_of_key(conn, key) or int(paper_id)
    from llmreads.keys import arxiv_from_ref

    arxiv = arxiv_from_ref(text)
    if arxiv:
        paper_id = paper_of_key(conn, f"arxiv:{arxiv}")
        if paper_id is not None:
            return paper_id
        raise NotFound(f"no paper with arXiv id {arxiv}")
    paper_id = paper_of_key(conn, text)  # an alias with no paper of its own
    if paper_id is not None:
        return paper_id
    if re.fullmatch(_URL_REF, text):
        by_link = _papers_by_link(conn, text)
        if by_link:
            return _one_or_ambiguous(conn, ref, by_link, f"{ref!r} is a link of {len(by_link)} papers")
        if "://" in text:
            raise NotFound(f"no paper has the link {ref!r}")
    first_tier: list[_Candidate] = []
    for matches in _title_tiers(conn, text):
        listed = [r for r in matches if r[3]] or matches
        if not listed:
            continue
        papers = _one_per_paper(conn, listed)  # the keys of one paper (old and new links) are one match
        if len(papers) == 1:
            return next(iter(papers))
        first_tier = first_tier or list(papers.values())
    if not first_tier and re.fullmatch(_HOST_REF, text):  # a bare host (`chatglm.cn`), when no title holds it
        by_link = _papers_by_link(conn, text)
        if by_link:
            return _one_or_ambiguous(conn, ref, by_link, f"{ref!r} is a link of {len(by_link)} papers")
    if not first_tier and re.fullmatch(_ID_PREFIX, text.lower()):
        prefix = text.lower()
        rows = conn.execute(
            "SELECT id, short_id, title, listed FROM papers WHERE short_id >= ? AND short_id < ? ORDER BY listed DESC,"
            " position", (prefix, prefix + "g"),
        ).fetchall()
        candidates = [tuple(r) for r in rows]
        if candidates:
            return _one_or_ambiguous(conn, ref, candidates, f"id prefix {ref!r} matches {{count}} papers")
    if first_tier:
        return _ambiguous(ref, first_tier, f"{ref!r} matches {len(first_tier)} papers; use an id")
    raise NotFound(f"no paper matches {ref!r}")


def _title_tiers(conn: sqlite3.Connection, text: str) -> Iterator[list[_Candidate]]:
    """The papers whose titles hold `text`, tier by tier, most exact first (each made only when asked for)."""
    needle = fold_for_matching(text)
    words = re.findall(r"[^\W_]+", needle)
    # Listed papers first, each group in list order: two walks of the position index, no sort.
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: 100,000 Row objects cost a third of the lookup
    rows: list[_Candidate] = [
        row
        for listed in (1, 0)
        for row in cursor.execute(
            "SELECT id, short_id, title, listed FROM papers WHERE listed = ? ORDER BY position", (listed,)
        )
    ]
    folded = [(r, fold_for_matching(r[2])) for r in rows]
    yield [r for r, title in folded if title == needle]
    yield [r for r, title in folded if title.startswith(needle)]
    if words:
        between = r"[\W_]*".join(re.escape(w) for w in words)
        whole = re.compile(r"(?<![^\W_])" + between + r"(?![^\W_])")
        starts = re.compile(r"(?<![^\W_])" + between)
        first = words[0]
        yield [r for r, title in folded if first in title and whole.search(title)]
        yield [r for r, title in folded if first in title and starts.search(title)]
    yield [r for r, title in folded if needle in title]


def _papers_by_link(conn: sqlite3.Connection, text: str) -> list[_Candidate]:
    """The papers whose own link, or a link of one of their entries, is `text` (scheme, www. and a final / aside)."""
    from llmreads.keys import normalise_url

    target = normalise_url(text if "://" in text else f"https://{text}")
    key = conn.execute("SELECT id, short_id, title, listed FROM papers WHERE key = ?", (f"url:{target}",)).fetchone()
    if key is not None:
        return [tuple(key)]
    like = "%" + target.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        "SELECT id, short_id, title, listed, url FROM papers WHERE url LIKE ?1 ESCAPE '\\'"
        " UNION ALL SELECT p.id, p.short_id, p.title, p.listed, l.url FROM links l"
        " JOIN entries e ON e.id = l.entry_id JOIN papers p ON p.id = e.paper_id WHERE l.url LIKE ?1 ESCAPE '\\'",
        (like,),
    ).fetchall()
    found: dict[int, _Candidate] = {}
    for pid, short, title, listed, url in rows:
        if normalise_url(url) == target:
            found.setdefault(pid, (pid, short, title, listed))
    return sorted(found.values(), key=lambda r: -r[3])


def _one_or_ambiguous(conn: sqlite3.Connection, ref: str, rows: Sequence[_Candidate], message: str) -> int:
    papers = _one_per_paper(conn, [r for r in rows if r[3]] or list(rows))
    if len(papers) == 1:
        return next(iter(papers))
    return _ambiguous(ref, list(papers.values()), message.format(count=len(papers)) + "; use an id")


def _ambiguous(ref: str, papers: list[_Candidate], message: str) -> int:
    """The paper a person picks (choose_paper), else the Ambiguous error naming the candidates."""
    candidates = [f"{short}  {title}" for _id, short, title, _listed in papers]
    if choose_paper is not None:
        picked = choose_paper(message.replace("; use an id", ""), candidates)
        if picked is not None:
            return papers[picked][0]
    raise Ambiguous(message, candidates)


def paper_of_key(conn: sqlite3.Connection, key: str) -> int | None:
    """The row id of the paper that shows what is kept under `key`, through all its keys (a listed one first)."""
    row = conn.execute(f"SELECT {paper_id_sql('?1')}", (key,)).fetchone()
    return int(row[0]) if row[0] is not None else None


def _one_per_paper(
    conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str, int]]
) -> dict[int, tuple[int, str, str, int]]:
    """The papers these rows show, by row id (a row under an old key counts as the paper it names)."""
    shown: dict[int, int] = dict(rows_in(
        conn,
        f"SELECT pp.id, coalesce({paper_id_sql('pp.key')}, pp.id) FROM papers pp"
        f" WHERE pp.id IN ({{marks}}) AND {aliased_sql('pp.key')}",
        [r[0] for r in rows],
    ))
    papers: dict[int, tuple[int, str, str, int]] = {}
    for r in rows:
        papers.setdefault(shown.get(r[0], r[0]), r)
    return papers


def paper_detail(conn: sqlite3.Connection, user: str, paper_id: int) -> PaperDetail:
    import json

    from llmreads.store.detail import EntryDetail, EntryLink, PaperDetail  # only `show` needs these
    from llmreads.store.lines import lines_of
    from llmreads.store.notes import list_notes  # and the notes module

    row = conn.execute(f"SELECT {PAPER_COLUMNS} FROM {PAPER_JOIN} WHERE p.id = ?", (user, paper_id)).fetchone()
    if row is None:
        raise NotFound(f"no paper with row id {paper_id}")
    paper = paper_rows(conn, [row])[0]
    entries = []
    rows = conn.execute(
        "SELECT e.id, e.list_id, e.number, e.stars, coalesce(nullif(e.title, ''), p.title) AS title, e.intro, e.year,"
        " e.extra, sec.number AS section, sec.title AS section_title, l.name AS list FROM entries e"
        " JOIN sections sec ON sec.id = e.section_id JOIN lists l ON l.id = e.list_id"
        " JOIN papers p ON p.id = e.paper_id"
        " WHERE e.paper_id = ? ORDER BY e.list_id, e.position",
        (paper_id,),
    ).fetchall()
    lines = lines_of(conn, [(e["list_id"], e["id"]) for e in rows])
    for e in rows:
        links = tuple(
            EntryLink(text, url)
            for text, url in conn.execute(
                "SELECT text, url FROM links WHERE entry_id = ? ORDER BY position", (e["id"],)
            )
        )
        entries.append(
            EntryDetail(
                list=e["list"], section=f"{e['section']} {e['section_title']}", number=e["number"],
                stars=e["stars"], title=e["title"], introduction=e["intro"], line=lines.get(e["id"], 0),
                year=e["year"], fields=dict(json.loads(e["extra"] or "[]")), links=links,
            )
        )
    return PaperDetail(
        id=paper.id, key=paper.key, title=paper.title, url=paper.url, arxiv=paper.arxiv, stars=paper.stars,
        sections=paper.sections, status=paper.status, status_at=paper.status_at,
        authors=paper.authors, year=paper.year, tags=paper.tags, my_stars=paper.my_stars,
        entries=tuple(entries),
        links=tuple(link for entry in entries for link in entry.links),
        notes=tuple(list_notes(conn, user, paper.key)),
        abstract=conn.execute(f"SELECT {metadata_sql('abstract', '?1')}", (paper.key,)).fetchone()[0],
    )


def paper_summary(conn: sqlite3.Connection, user: str, paper_id: int) -> PaperRow:
    row = conn.execute(f"SELECT {PAPER_COLUMNS} FROM {PAPER_JOIN} WHERE p.id = ?", (user, paper_id)).fetchone()
    return paper_rows(conn, [row])[0]


def lists(conn: sqlite3.Connection) -> list[ListSummary]:
    from llmreads.store.reports import ListSummary

    rows = conn.execute(
        "SELECT l.name, l.title, l.source, l.updated, l.imported_at,"
        " (SELECT count(DISTINCT paper_id) FROM entries e WHERE e.list_id = l.id) AS papers"
        " FROM lists l ORDER BY l.id"
    )
    return [
        ListSummary(
            name=r["name"], title=r["title"], source=r["source"], updated=r["updated"],
            imported_at=r["imported_at"], papers=r["papers"],
        )
        for r in rows
    ]


def list_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM lists").fetchone()[0])


def remove_list(conn: sqlite3.Connection, name: str, *, force: bool = False) -> RemovedList:
    from llmreads.store.reports import RemovedList

    with transaction(conn):
        row = conn.execute("SELECT id, name, owner FROM lists WHERE id = ?", (list_id_by_name(conn, name),)).fetchone()
        if row["owner"] is not None and not force:
            raise LlmreadsError(
                f"{row['name']!r} is {row['owner']}'s own list of added papers: no import can bring it back;"
                " remove it with --force"
            )
        keys = [r[0] for r in conn.execute(
            "SELECT DISTINCT p.key FROM entries e JOIN papers p ON p.id = e.paper_id WHERE e.list_id = ?", (row["id"],)
        )]
        index = IndexedText(conn, row["id"])  # before the list's entries go
        conn.execute("DELETE FROM lists WHERE id = ?", (row["id"],))
        refresh_papers(conn, row["id"], [], keys, index)
    return RemovedList(name=row["name"], papers=len(keys))
