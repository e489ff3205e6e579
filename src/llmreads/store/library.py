"""Store layer, library part: the reader's own lists, the papers added to them, and fetched metadata.

A user's own list is a `lists` row with an `owner` (migration m008): its
papers are entries like any list's, so they are listed, searched, exported
and tracked like the others, and `refresh_papers` keeps them listed whatever
an import of a curated list does. An import never replaces an owned list.

Fetched metadata (`paper_metadata`) is keyed by paper key, apart from the
curated fields; it is read through every key of a paper (llmreads.aliases).
A row with no `fetched_at` holds only what the paper's id says (the year of
an arXiv id): `enrich` fetches those.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llmreads.aliases import add_alias, same_keys
from llmreads.errors import ImportFailed, InvalidQuery, LlmreadsError
from llmreads.store.base import LIST_STRIDE, STATUSES, now, transaction
from llmreads.store.metadata import metadata_join

if TYPE_CHECKING:
    from llmreads.fetch import Record
    from llmreads.refs import Ref

DEFAULT_LIST = "added"
DEFAULT_SECTION = "Papers"


# ---------------------------------------------------------------- metadata


def save_record(conn: sqlite3.Connection, key: str, record: Record, stamp: str | None = None) -> None:
    """Keep what a service said about the paper `key` (replacing what was kept); inside the caller's transaction."""
    conn.execute(
        "INSERT OR REPLACE INTO paper_metadata (key, title, authors, year, published, abstract, primary_category,"
        " doi, journal_ref, arxiv, source, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " coalesce(?, (SELECT arxiv FROM paper_metadata WHERE key = ?)), ?, ?)",
        (key, record.title, json.dumps(list(record.authors), ensure_ascii=False), record.year, record.published,
         record.abstract, record.primary_category, record.doi, record.journal_ref, record.arxiv, key,
         record.source, stamp or now()),
    )


def save_known(conn: sqlite3.Connection, key: str, *, year: int | None, arxiv: str | None = None,
               doi: str | None = None) -> None:
    """What a paper's id tells before anything is fetched; a row already there keeps what it has."""
    conn.execute(
        "INSERT INTO paper_metadata (key, year, arxiv, doi, source) VALUES (?, ?, ?, ?, 'id')"
        " ON CONFLICT (key) DO UPDATE SET year = coalesce(year, excluded.year),"
        " arxiv = coalesce(arxiv, excluded.arxiv), doi = coalesce(doi, excluded.doi)",
        (key, year, arxiv, doi),
    )


@dataclass
class Metadata:
    authors: list[str]
    year: int | None
    published: str | None
    abstract: str | None
    primary_category: str | None
    doi: str | None
    journal_ref: str | None
    arxiv: str | None
    title: str | None
    source: str | None
    fetched_at: str | None


def has_metadata(conn: sqlite3.Connection, paper_id: int | None) -> bool:
    """Whether metadata was fetched for the paper (through any of its keys)."""
    row = conn.execute(f"SELECT m.fetched_at FROM papers p {metadata_join()} WHERE p.id = ?", (paper_id,)).fetchone()
    return row is not None and row[0] is not None


def metadata_of(conn: sqlite3.Connection, key: str) -> Metadata:
    """The metadata kept for the paper `key` names (empty when there is none)."""
    row = conn.execute(f"SELECT m.* FROM (SELECT ?1 AS key) p {metadata_join()}", (key,)).fetchone()
    if row is None or row["source"] is None:
        return Metadata([], None, None, None, None, None, None, None, None, None, None)
    return Metadata(
        json.loads(row["authors"] or "[]"), row["year"], row["published"], row["abstract"], row["primary_category"],
        row["doi"], row["journal_ref"], row["arxiv"], row["title"], row["source"], row["fetched_at"],
    )


# ---------------------------------------------------------------- own lists


def default_list_name(conn: sqlite3.Connection, user: str) -> str:
    """`added`, unless that name is taken by a list that is not this user's: then `added-USER`."""
    row = conn.execute("SELECT owner FROM lists WHERE name = ?", (DEFAULT_LIST,)).fetchone()
    return DEFAULT_LIST if row is None or row[0] == user else f"{DEFAULT_LIST}-{user}"


def own_list(conn: sqlite3.Connection, user: str, name: str) -> int:
    """The id of `user`'s own list `name`, made if there is none; inside the caller's transaction."""
    name = name.strip()
    if not name:
        raise InvalidQuery("--list needs a name")
    row = conn.execute("SELECT id, owner FROM lists WHERE name = ?", (name,)).fetchone()
    if row is not None:
        if row["owner"] == user:
            return int(row["id"])
        whose = "an imported list" if row["owner"] is None else f"{row['owner']}'s own list"
        raise LlmreadsError(f"--list {name}: {name!r} is {whose}; add papers to a list of your own")
    list_id = conn.execute(
        "INSERT INTO lists (name, title, source, source_sha256, imported_at, owner) VALUES (?, ?, ?, '', ?, ?)",
        (name, name, f"papers added by {user}", now(), user),
    ).lastrowid
    assert list_id is not None
    return list_id


def own_section(conn: sqlite3.Connection, list_id: int, spec: str | None) -> int:
    """A section of an own list: by number or title (any case); a new one when `spec` names none."""
    rows = conn.execute("SELECT id, number, title FROM sections WHERE list_id = ? ORDER BY position",
                        (list_id,)).fetchall()
    if spec is None or not spec.strip():
        if rows:
            return int(rows[0]["id"])
        spec = DEFAULT_SECTION
    spec = " ".join(spec.split())
    for row in rows:
        if spec.casefold() in (row["number"].casefold(), row["title"].casefold()):
            return int(row["id"])
    # "u1", "u2": numbers of their own, so that `--section 1` still means the curated lists' section 1.
    section_id = conn.execute(
        "INSERT INTO sections (list_id, number, parent, title, title_raw, position) VALUES (?, ?, NULL, ?, ?, ?)",
        (list_id, f"u{len(rows) + 1}", spec, spec, len(rows)),
    ).lastrowid
    assert section_id is not None
    return section_id


# ---------------------------------------------------------------- papers


def find_paper(conn: sqlite3.Connection, ref: Ref) -> int | None:
    """The row id of the paper `ref` names, if the database has it: by key, alias, or an id its metadata holds."""
    from llmreads.keys import normalise_url
    from llmreads.store.papers import paper_of_key

    keys = [ref.key, f"url:{normalise_url(ref.url)}"]
    if ref.arxiv:
        keys.append(f"url:{normalise_url(f'https://arxiv.org/abs/{ref.arxiv}')}")
    for key in dict.fromkeys(keys):
        pid = paper_of_key(conn, key)
        if pid is not None:
            return pid
    column, value = ("arxiv", ref.arxiv) if ref.arxiv else ("lower(doi)", (ref.doi or "").lower())
    if ref.arxiv or ref.doi:
        row = conn.execute(f"SELECT key FROM paper_metadata WHERE {column} = ? LIMIT 1", (value,)).fetchone()
        if row is not None:
            return paper_of_key(conn, row[0])
    return None


@dataclass
class Added:
    """What `add` did with one REF."""

    ref: str
    id: str
    key: str
    title: str
    to_list: str  # the list it was added to
    added: bool  # a new paper (False: the database had it)
    held_by: list[str] = field(default_factory=list)  # the lists that held it before
    aliased: str | None = None  # a key that became an alias of this paper (arXiv and DOI of one paper)
    fetched: bool = False
    linked: str | None = None  # the arXiv id given to a paper the database had, found by its record's title
    tagged: list[str] = field(default_factory=list)  # the user's tags this add put on it (not those it had)


@dataclass
class NewPaper:
    """A paper to add, with what is known of it."""

    ref: Ref
    title: str
    record: Record | None = None
    same_as: int | None = None  # the row id of a paper it turned out to be (by its DOI or arXiv id, or title)
    link: bool = False  # same_as has no arXiv id and is this arXiv paper by its title: give it the id


def add_papers(
    conn: sqlite3.Connection, user: str, list_name: str, papers: Sequence[NewPaper], *,
    section: str | None = None, status: str | None = None, note: str | None = None, tags: Sequence[str] = (),
) -> list[Added]:
    """Put papers in `user`'s own list `list_name`, new ones created, all in one transaction.

    `tags` (already normal: store.personal.normal_tag) go on every paper, for `user`.
    """
    with transaction(conn):
        return put_papers(conn, user, list_name, papers, section=section, status=status, note=note, tags=tags)


def put_papers(
    conn: sqlite3.Connection, user: str, list_name: str, papers: Sequence[NewPaper], *,
    section: str | None = None, status: str | None = None, note: str | None = None, stamp: str | None = None,
    tags: Sequence[str] = (),
) -> list[Added]:
    """add_papers inside the caller's transaction (user-data import recreates added papers with it)."""
    from llmreads.keys import short_id
    from llmreads.refs import year_from_arxiv
    from llmreads.store.index import IndexedText, refresh_papers
    from llmreads.store.notes import new_note_uuid
    from llmreads.store.personal import put_tags, record_status

    if status is not None and status not in STATUSES:
        raise InvalidQuery(f"--status must be one of {', '.join(STATUSES)}, not {status!r}")
    results: list[Added] = []
    list_id = own_list(conn, user, list_name)
    section_id = own_section(conn, list_id, section)
    index = IndexedText(conn, list_id)
    position = int(conn.execute("SELECT coalesce(max(position), -1) + 1 FROM entries WHERE list_id = ?",
                                (list_id,)).fetchone()[0])
    touched: list[int] = []
    records: list[tuple[str, Record]] = []
    stamp = stamp or now()
    for new in papers:
        ref, record = new.ref, new.record
        pid = new.same_as if new.same_as is not None else find_paper(conn, ref)
        aliased = linked = None
        if pid is not None:
            key = conn.execute("SELECT key FROM papers WHERE id = ?", (pid,)).fetchone()[0]
            if new.link and ref.arxiv:
                link_arxiv(conn, pid, ref.arxiv)
                linked = ref.arxiv
            elif ref.key not in same_keys(conn, key):
                add_alias(conn, ref.key, key)  # the second key of one paper (its arXiv id and its DOI)
                aliased = ref.key
            held_by = [r[0] for r in conn.execute(
                "SELECT DISTINCT l.name FROM entries e JOIN lists l ON l.id = e.list_id WHERE e.paper_id = ?"
                " ORDER BY l.id", (pid,))]
            title = conn.execute("SELECT title FROM papers WHERE id = ?", (pid,)).fetchone()[0]
        else:
            key, title, held_by = ref.key, new.title, []
            length = 6
            while conn.execute("SELECT 1 FROM papers WHERE short_id = ?",
                               (short := short_id(key, length),)).fetchone():
                length += 2
            pid = conn.execute(
                "INSERT INTO papers (key, short_id, title, title_raw, url, arxiv, stars, position, listed)"
                " VALUES (?, ?, ?, '', ?, ?, 0, ?, 1)",
                (key, short, title, ref.url, ref.arxiv, list_id * LIST_STRIDE + position),
            ).lastrowid
            assert pid is not None
            index.new_ids.add(pid)
            other = (f"arxiv:{record.arxiv}" if record and record.arxiv and not ref.arxiv
                     else f"doi:{record.doi.lower()}" if record and record.doi and not ref.doi else None)
            if other and other != key and conn.execute(
                    "SELECT 1 FROM papers WHERE key = ?", (other,)).fetchone() is None:
                add_alias(conn, other, key)  # a list that links it by its other id finds this paper
        if record is not None:
            records.append((key, record))
        save_known(conn, key, year=year_from_arxiv(ref.arxiv) if ref.arxiv else None,
                   arxiv=ref.arxiv, doi=ref.doi)
        if not conn.execute("SELECT 1 FROM entries WHERE paper_id = ? AND list_id = ?", (pid, list_id)).fetchone():
            conn.execute(
                "INSERT INTO entries (list_id, section_id, paper_id, position, number, stars, title, intro,"
                " year, extra, digest) VALUES (?, ?, ?, ?, NULL, 0, '', '', NULL, '[]', 0)",
                (list_id, section_id, pid, position),
            )
            position += 1
            touched.append(pid)
        if status is not None:
            record_status(conn, user, pid, status)  # kept in the history, as mark-read keeps it
        if note is not None and note.strip():
            note_id = conn.execute(
                "INSERT INTO notes (user, paper_key, text, created_at, updated_at, uuid) VALUES (?, ?, ?, ?, ?, ?)",
                (user, key, note.strip(), stamp, stamp, new_note_uuid()),
            ).lastrowid
            from llmreads.store.index import index_note

            assert note_id is not None
            index_note(conn, note_id, note.strip())
        tagged = put_tags(conn, user, key, tags, stamp) if tags else []
        short = conn.execute("SELECT short_id FROM papers WHERE id = ?", (pid,)).fetchone()[0]
        results.append(Added(ref=ref.key, id=short, key=key, title=title, to_list=list_name, added=not held_by,
                             held_by=held_by, aliased=aliased, fetched=record is not None, linked=linked,
                             tagged=tagged))
    refresh_papers(conn, list_id, touched, [], index)
    store_records(conn, records, stamp)  # once the papers are indexed: their rows then gain the abstract
    return results


def title_form(title: str) -> str:
    """A title as matching compares it: case, width, look-alikes, punctuation and spacing folded, and
    Traditional Chinese written in Simplified."""
    from llmreads.keys import normalise_title
    from llmreads.text import fold_scripts

    return fold_scripts(normalise_title(title))


def papers_titled(conn: sqlite3.Connection, title: str) -> list[int]:
    """The papers with no arXiv id whose title is `title` (title_form), by row id.

    SQL first keeps the titles holding the longest ASCII word of it, and every
    title with other characters, which lower() does not fold: Python compares those.
    """
    form = title_form(title)
    if not form:
        return []
    sql = f"SELECT p.id, p.title FROM papers p {metadata_join()} WHERE {arxiv_sql()} IS NULL"
    params: list[str] = []
    words = [word for word in form.split() if word.isascii()]
    if words:
        sql += " AND (instr(lower(p.title), ?) > 0 OR p.title GLOB '*[^ -~]*')"
        params.append(max(words, key=len))
    return [int(pid) for pid, text in conn.execute(sql + " ORDER BY p.position", params) if title_form(text) == form]


def check_not_owned(conn: sqlite3.Connection, name: str) -> None:
    """An import refuses to replace a user's own list."""
    row = conn.execute("SELECT owner FROM lists WHERE name = ?", (name,)).fetchone()
    if row is not None and row[0] is not None:
        raise ImportFailed(f"{name!r} is {row[0]}'s own list (papers added with `llmreads add`); "
                           "an import cannot replace it: import under another --name")


# ---------------------------------------------------------------- arXiv ids learned later, and enrich


KNOWN_IDS_NAME = "arxiv_ids.tsv"


def known_arxiv_ids() -> list[tuple[str, str]]:
    """(paper key, arXiv id) of the bundled list's papers it links elsewhere (seeds/arxiv_ids.tsv)."""
    from importlib.resources import files
    from pathlib import Path

    resource = files("llmreads").joinpath("seeds", KNOWN_IDS_NAME)
    if resource.is_file():
        text = resource.read_text(encoding="utf-8")
    else:  # an editable install runs from the source tree
        text = (Path(__file__).resolve().parents[3] / "seeds" / KNOWN_IDS_NAME).read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return [(row[0], row[1]) for row in rows[1:]]


def arxiv_sql(table: str = "p") -> str:
    """A paper's arXiv id: from its link, else learned later (metadata), else an `arxiv:` alias of its key."""
    return (
        f"coalesce({table}.arxiv, m.arxiv, (SELECT substr(ka.alias, 7) FROM key_aliases ka"
        f" WHERE ka.key = {table}.key AND ka.alias GLOB 'arxiv:*' ORDER BY ka.alias LIMIT 1))"
    )


def link_arxiv(conn: sqlite3.Connection, paper_id: int, arxiv: str) -> str:
    """Give a paper an arXiv id: the `arxiv:` key becomes an alias of its key, which it keeps; returns that key.

    Inside the caller's transaction. When the id names another paper, one that
    only readers' own lists hold (`add` made it) becomes this paper (merge_added);
    any other is refused.
    """
    from llmreads.store.papers import paper_of_key

    key, short, own = conn.execute("SELECT key, short_id, arxiv FROM papers WHERE id = ?", (paper_id,)).fetchone()
    if own is not None and own != arxiv:
        raise LlmreadsError(f"{short} links to arXiv {own} already; it cannot be arXiv {arxiv} too")
    other = paper_of_key(conn, f"arxiv:{arxiv}")
    if other is not None and other != paper_id:
        other_key, other_short = conn.execute("SELECT key, short_id FROM papers WHERE id = ?", (other,)).fetchone()
        curated = conn.execute("SELECT 1 FROM entries e JOIN lists l ON l.id = e.list_id"
                               " WHERE e.paper_id = ? AND l.owner IS NULL LIMIT 1", (other,)).fetchone()
        if curated is not None or other_key != f"arxiv:{arxiv}":
            raise LlmreadsError(f"arXiv {arxiv} is paper {other_short} already, not {short}")
        merge_added(conn, other, paper_id)
    if f"arxiv:{arxiv}" != key:
        add_alias(conn, f"arxiv:{arxiv}", key)
    conn.execute(
        "INSERT INTO paper_metadata (key, arxiv, source) VALUES (?, ?, 'id')"
        " ON CONFLICT (key) DO UPDATE SET arxiv = excluded.arxiv",
        (key, arxiv),
    )
    return str(key)


def merge_added(conn: sqlite3.Connection, added_id: int, paper_id: int) -> None:
    """The paper `add` made (`added_id`) turns out to be `paper_id`: its key becomes an alias of that paper's.

    Its entries in own lists go to that paper (a list holding both keeps one),
    and its row goes; user data and metadata stay under its key, which the
    alias makes that paper's. Inside the caller's transaction.
    """
    from llmreads.store.index import index_papers, unindex_papers

    added_key = conn.execute("SELECT key FROM papers WHERE id = ?", (added_id,)).fetchone()[0]
    key = conn.execute("SELECT key FROM papers WHERE id = ?", (paper_id,)).fetchone()[0]
    unindex_papers(conn, [added_id, paper_id])
    conn.execute("DELETE FROM entries WHERE paper_id = ?1 AND list_id IN (SELECT list_id FROM entries"
                 " WHERE paper_id = ?2)", (added_id, paper_id))
    conn.execute("UPDATE entries SET paper_id = ? WHERE paper_id = ?", (paper_id, added_id))
    conn.execute("DELETE FROM papers WHERE id = ?", (added_id,))
    add_alias(conn, added_key, key)
    conn.execute(
        "UPDATE papers SET listed = EXISTS (SELECT 1 FROM entries WHERE paper_id = papers.id),"
        f" position = coalesce((SELECT min(list_id * {LIST_STRIDE} + position) FROM entries"
        " WHERE paper_id = papers.id), position) WHERE id = ?",
        (paper_id,),
    )
    index_papers(conn, [paper_id])


def match_titles(conn: sqlite3.Connection, records: Sequence[tuple[str, str, Record]]) -> int:
    """Papers `add` made from an arXiv id alone (offline: no title) whose fetched record has the title of
    exactly one paper here with no arXiv id: each becomes that paper (link_arxiv). How many did.

    `records` holds (paper key, arXiv id, record); one transaction.
    """
    from llmreads.store.papers import paper_of_key

    matched = 0
    with transaction(conn):
        for key, arxiv, record in records:
            added_id = paper_of_key(conn, key) if key == f"arxiv:{arxiv}" else None
            if added_id is None or not record.title or conn.execute(
                "SELECT 1 FROM entries e JOIN lists l ON l.id = e.list_id WHERE e.paper_id = ? AND l.owner IS NULL",
                (added_id,),
            ).fetchone() is not None:
                continue
            titled = papers_titled(conn, record.title)
            if len(titled) == 1:
                link_arxiv(conn, titled[0], arxiv)
                matched += 1
    return matched


def apply_known_ids(conn: sqlite3.Connection) -> int:
    """Give the bundled list's papers their arXiv ids (seeds/arxiv_ids.tsv) where they have none yet."""
    known = known_arxiv_ids()
    count = 0
    with transaction(conn):
        for key, arxiv in known:
            row = conn.execute(f"SELECT p.id, {arxiv_sql()} FROM papers p {metadata_join()} WHERE p.key = ?",
                               (key,)).fetchone()
            if row is None or row[1] is not None:
                continue
            try:
                link_arxiv(conn, row[0], arxiv)
            except LlmreadsError:
                continue  # the id names another paper of this database: left as it is
            count += 1
    return count


@dataclass
class Wanted:
    """A paper `enrich` fetches: its key and the ids a service knows it by."""

    key: str
    arxiv: str | None
    doi: str | None


def wanting_metadata(conn: sqlite3.Connection, list_name: str | None, force: bool) -> list[Wanted]:
    """Listed papers with an arXiv id or a DOI whose metadata was never fetched (all of them with `force`)."""
    from llmreads.store.filters import list_id_by_name

    where, params = "p.listed = 1", []
    if list_name is not None:
        where += " AND p.id IN (SELECT paper_id FROM entries WHERE list_id = ?)"
        params.append(list_id_by_name(conn, list_name))
    if not force:
        where += " AND m.fetched_at IS NULL"
    wanted = []
    for key, arxiv, doi in conn.execute(
        f"SELECT p.key, {arxiv_sql()}, coalesce(m.doi, CASE WHEN p.key GLOB 'doi:*' THEN substr(p.key, 5) END,"
        " CASE WHEN p.key GLOB 'url:doi.org/10.*' THEN substr(p.key, 13) END)"
        f" FROM papers p {metadata_join()} WHERE {where} ORDER BY p.position",
        params,
    ):
        if arxiv or doi:
            wanted.append(Wanted(key, arxiv, None if arxiv else doi))
    return wanted


def save_records(conn: sqlite3.Connection, records: Sequence[tuple[str, Record]]) -> None:
    """Keep fetched records, by paper key, in one transaction.

    `enrich` commits each batch so: an interrupted run keeps what it fetched.
    """
    with transaction(conn):
        store_records(conn, records, now())


def store_records(conn: sqlite3.Connection, records: Sequence[tuple[str, Record]], stamp: str) -> None:
    """Keep fetched records, inside the caller's transaction, and index their abstracts.

    The index is contentless: the papers' rows are removed with the text they
    hold now, and written again once the records are in.
    """
    from llmreads.aliases import same_paper_sql
    from llmreads.store.index import index_papers, unindex_papers

    if not records:
        return
    ids = sorted({r[0] for key, _ in records
                  for r in conn.execute(f"SELECT id FROM papers WHERE key IN {same_paper_sql('?1')}", (key,))})
    removed = unindex_papers(conn, ids)
    for key, record in records:
        save_record(conn, key, record, stamp)
    index_papers(conn, removed)
