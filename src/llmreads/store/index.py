"""Store layer, full-text index part: the rows of `papers_fts` and `notes_fts`, kept by hand.

The paper index is contentless (migration m005): FTS5 removes a row only when
told the exact text it indexed. This module alone writes those rows, so that
invariant is kept in one place: a paper's row holds its title and the index
form (text.index_form) of its entries' section titles, introductions, extra
columns and link labels (`index_texts`);
a change to a list goes through `refresh_papers`, which removes the rows with
the text as it was (`IndexedText`, made before the change) and adds them
again as they are now. A note's row is written by `index_note`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Sequence

from llmreads.store.base import LIST_STRIDE, chunks, marks, rows_in
from llmreads.store.metadata import metadata_sql
from llmreads.text import index_form, segment, word_parts

# An entry as the index reads it: with the title of its section.
ENTRIES = (
    "(SELECT e.paper_id, e.list_id, e.position, e.intro, e.extra, s.title AS section"
    " FROM entries e JOIN sections s ON s.id = e.section_id)"
)

# The columns of papers_fts: a fetched abstract apart, so that search ranks a hit there last.
PAPER_COLUMNS = ("title", "body", "abstract")

# The link texts a paper's index row holds, with what orders them.
LINK_TEXTS = (
    "SELECT e.paper_id, e.list_id, e.position, l.position AS link_position, l.text, l.url"
    " FROM links l JOIN entries e ON e.id = l.entry_id"
)

# Paper id -> (title, texts of the body, link labels) of papers new in an import (IndexedText.write).
Written = dict[int, tuple[str, list[str], list[str]]]


class IndexedText:
    """What the search index holds for papers, before and after a change to one list.

    The index is contentless (it keeps no copy of the text, which would add a
    fifth to the database), so FTS5 removes a row only when told the exact
    text it indexed. That text is rebuilt from the database as it was: the
    list's entries and link texts are copied aside before they are replaced,
    and papers renamed by the import keep their old title here.
    """

    def __init__(self, conn: sqlite3.Connection, list_id: int, copy: bool = True) -> None:
        """`copy`: copy the list's entries aside now; else the caller does, with `copy_aside`, before it
        changes any of them."""
        self.conn = conn
        self.list_id = list_id
        self.old_titles: dict[int, str] = {}
        self.new_ids: set[int] = set()  # papers added by this change: not in the index yet
        # Papers new in this change, whose entries all come from it: (title, texts of the
        # body, link labels) as written, so their index rows need not be read back.
        self.written: Written = {}
        if copy:
            self.copy_aside()

    def copy_aside(self, papers: Collection[int] | None = None, below: int | None = None,
                   sections: dict[int, tuple[str, str]] | None = None) -> None:
        """Copy the list's entries and link texts aside, as they are (temp.old_entries, temp.old_links).

        Only those of `papers` when given, of row ids below `below` (rows written since are not the list's
        old ones), with the titles and numbers of their sections as `sections` gives them (section id ->
        (title, number): a re-import that keeps the list's rows renames its sections as it goes).
        """
        conn = self.conn
        conn.execute("DROP TABLE IF EXISTS temp.old_entries")
        conn.execute("DROP TABLE IF EXISTS temp.old_links")
        conn.execute("DROP TABLE IF EXISTS temp.copied")
        where, params = "e.list_id = ?", [self.list_id]
        if papers is not None:
            conn.execute("CREATE TEMP TABLE copied (id INTEGER PRIMARY KEY)")
            conn.executemany("INSERT INTO temp.copied VALUES (?)", [(pid,) for pid in papers])
            where += " AND e.paper_id IN temp.copied"
        if below is not None:
            where += " AND e.id < ?"
            params.append(below)
        section_rows = "sections"
        if sections is not None:
            conn.execute("DROP TABLE IF EXISTS temp.old_sections")
            conn.execute("CREATE TEMP TABLE old_sections (id INTEGER PRIMARY KEY, title TEXT, number TEXT)")
            conn.executemany("INSERT INTO temp.old_sections VALUES (?, ?, ?)",
                             [(sid, title, number) for sid, (title, number) in sections.items()])
            section_rows = "temp.old_sections"
        conn.execute(
            "CREATE TEMP TABLE old_entries AS"
            " SELECT e.paper_id, e.list_id, e.position, e.intro, e.extra, e.title, e.stars, e.year,"
            " s.title AS section, s.number AS section_number, e.digest"
            f" FROM entries e JOIN {section_rows} s ON s.id = e.section_id WHERE {where}",
            params,
        )
        conn.execute(f"CREATE TEMP TABLE old_links AS {LINK_TEXTS} WHERE {where}", params)
        for table in ("copied", "old_sections"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
        # Looked up by paper a batch at a time (before): without these, each batch is a scan.
        conn.execute("CREATE INDEX temp.old_entries_paper ON old_entries(paper_id)")
        conn.execute("CREATE INDEX temp.old_links_paper ON old_links(paper_id)")

    def write(self, paper_id: int, title: str, section: str, intro: str, extra: Sequence[Sequence[str]],
              link_texts: Sequence[str]) -> None:
        """One entry of a paper new in this change, as index_texts would read it back: its section's title,
        introduction, extra columns and link labels (not bare URLs), in the list's order."""
        texts = self.written.get(paper_id)
        if texts is None:
            texts = self.written[paper_id] = (title, [], [])
        body = texts[1]
        body += (section, intro)
        if extra:
            body += [text for _header, text in extra]
        if link_texts:
            texts[2].extend(text for text in link_texts if not text.startswith(("http://", "https://")))

    def close(self) -> None:
        self.conn.execute("DROP TABLE temp.old_entries")
        self.conn.execute("DROP TABLE temp.old_links")

    def before(self, paper_ids: list[int]) -> dict[int, tuple[str, str, str]]:
        """The indexed (title, body, abstract) of these papers before the change."""
        entries = (
            f"(SELECT * FROM {ENTRIES} WHERE list_id != :list"
            " UNION ALL SELECT paper_id, list_id, position, intro, extra, section FROM temp.old_entries)"
        )
        links = (
            f"({LINK_TEXTS} WHERE e.list_id != :list"
            " UNION ALL SELECT paper_id, list_id, position, link_position, text, url FROM temp.old_links)"
        )
        texts = index_texts(self.conn, paper_ids, entries, links, {"list": self.list_id})
        return {pid: (index_form(self.old_titles.get(pid, title)), body, abstract)
                for pid, (title, body, abstract) in texts.items()}


def index_texts(
    conn: sqlite3.Connection,
    paper_ids: Sequence[int],
    entries: str = ENTRIES,
    links: str = f"({LINK_TEXTS})",
    params: dict[str, object] | None = None,
) -> dict[int, tuple[str, str, str]]:
    """Per paper: its title, the index form of its introductions, extra columns, section titles and link
    labels, and the index form of the abstract of its fetched metadata (store.metadata).

    A paper is found by the title of the section it is in (`icl`).
    An entry's extra columns (keywords, institute, venue: `Entry.extra`) are
    indexed by their text, not their headers. `entries` and `links` may name other row sources of the same shape (the
    text as it was before an import).
    """
    import json  # here, not at import: a command that reads papers needs no JSON (~0.5 ms a process)

    marks = ",".join(f":p{i}" for i in range(len(paper_ids)))
    args: dict[str, object] = {f"p{i}": pid for i, pid in enumerate(paper_ids)} | (params or {})
    titles = dict(conn.execute(f"SELECT id, title FROM papers WHERE id IN ({marks})", args).fetchall())
    bodies: dict[int, list[str]] = {pid: [] for pid in titles}
    for pid, intro, extra, section in conn.execute(
        f"SELECT paper_id, intro, extra, section FROM {entries} WHERE paper_id IN ({marks}) ORDER BY list_id, position",
        args,
    ):
        bodies[pid] += [section, intro]
        if extra and extra != "[]":
            bodies[pid] += [text for _header, text in json.loads(extra)]
    for pid, text in conn.execute(
        f"SELECT paper_id, text FROM {links} WHERE paper_id IN ({marks}) ORDER BY list_id, position, link_position",
        args,
    ):
        if not text.startswith(("http://", "https://")):
            bodies[pid].append(text)
    abstracts = dict(conn.execute(
        f"SELECT p.id, {metadata_sql('abstract')} FROM papers p WHERE p.id IN ({marks})", args
    ).fetchall())
    known: dict[str, tuple[str, str]] = {}  # a section's title comes back in many rows
    return {pid: (title, index_form_of_lines(bodies[pid], known), _abstract_form(abstracts.get(pid)))
            for pid, title in titles.items()}


def _forms(text: str) -> tuple[str, str]:
    """(segment form, word parts) of `text`: the two halves of its index_form."""
    if text.isascii():  # segment is lower() there: its checks for other scripts are spared
        return text.lower(), word_parts(text)
    return segment(text), word_parts(text)


def index_form_of_lines(texts: Iterable[str], known: dict[str, tuple[str, str]]) -> str:
    """`index_form("\n".join(texts))`, made line by line; `known` keeps the forms of texts seen before.

    No step of index_form reaches across a line break (NFKC composes nothing
    with one, runs of ideographs and glued words stop at it), so the form of
    the lines joined is their forms joined, their word parts after them. An
    index row repeats texts (its section's title, the paper's title as its
    link's label): those are folded once.
    """
    bodies: list[str] = []
    parts: list[str] = []
    for text in texts:
        forms = known.get(text)
        if forms is None:
            forms = known[text] = _forms(text)
        bodies.append(forms[0])
        if forms[1]:
            parts.append(forms[1])
    body = "\n".join(bodies)
    return f"{body}\n{' '.join(parts)}" if parts else body


def _abstract_form(abstract: str | None) -> str:
    return index_form(abstract) if abstract else ""  # most papers have none


def index_papers(
    conn: sqlite3.Connection, paper_ids: Sequence[int], written: Written | None = None
) -> None:
    """Add the index rows of these papers (listed ones only: a paper no list holds is not searched).

    `written`: the texts of papers new in an import, as IndexedText.write took
    them; their rows are made from these instead of read back.
    """
    written = written or {}
    # A paper's abstract is its fetched metadata's; most databases hold none.
    any_abstract = bool(written) and conn.execute(
        "SELECT EXISTS (SELECT 1 FROM paper_metadata WHERE abstract != '')"
    ).fetchone()[0]
    for chunk in chunks(paper_ids):
        # A paper new in this import is listed: this list's entries name it.
        fresh = [pid for pid in chunk if pid in written]
        rest = [pid for pid in chunk if pid not in written]
        listed = [r[0] for r in conn.execute(
            f"SELECT id FROM papers WHERE id IN ({marks(rest)}) AND +listed = 1", rest
        )] if rest else []
        texts = index_texts(conn, listed) if listed else {}
        abstracts: dict[int, str | None] = {}
        if fresh and any_abstract:
            abstracts = dict(rows_in(conn, f"SELECT p.id, {metadata_sql('abstract')} FROM papers p"
                                           " WHERE p.id IN ({marks})", fresh))
        # Forms of the texts of this chunk's rows: a paper's title is most often its link's label too.
        known: dict[str, tuple[str, str]] = {}
        for pid in fresh:
            title, body, link_texts = written[pid]
            texts[pid] = (title, index_form_of_lines(body + link_texts, known), _abstract_form(abstracts.get(pid)))
        conn.executemany(
            "INSERT INTO papers_fts (rowid, title, body, abstract) VALUES (?, ?, ?, ?)",
            [(pid, _title_form(title, known), body, abstract)
             for pid, (title, body, abstract) in sorted(texts.items())],
        )


def _title_form(title: str, known: dict[str, tuple[str, str]]) -> str:
    """index_form_of_lines((title,), known), less its loop: titles come one to a row, and are not kept in `known`
    (a title seldom comes back in other rows; the link label that repeats it is kept)."""
    body, parts = known.get(title) or _forms(title)
    return f"{body}\n{parts}" if parts else body


def rebuild(conn: sqlite3.Connection) -> None:
    """Write every row of papers_fts and notes_fts anew, from the tables (inside the caller's transaction).

    papers_fts is made anew when it lacks a column the index now has (INDEX_VERSION
    5 added `abstract`): the index is derived data, its table as much as its rows.
    """
    columns = [r[1] for r in conn.execute("PRAGMA table_info(papers_fts)")]
    if columns != list(PAPER_COLUMNS):
        from llmreads.migrations import FTS_TOKENIZER

        conn.execute("DROP TABLE IF EXISTS papers_vocab")
        conn.execute("DROP TABLE papers_fts")
        conn.execute(f"CREATE VIRTUAL TABLE papers_fts USING fts5({', '.join(PAPER_COLUMNS)}, content='',"
                     f" tokenize='{FTS_TOKENIZER}')")
        conn.execute("CREATE VIRTUAL TABLE papers_vocab USING fts5vocab(papers_fts, 'row')")
    conn.execute("INSERT INTO papers_fts (papers_fts) VALUES ('delete-all')")  # contentless: no rows to delete
    conn.execute("DELETE FROM notes_fts")
    index_papers(conn, [r[0] for r in conn.execute("SELECT id FROM papers WHERE listed = 1")])
    conn.executemany(
        "INSERT INTO notes_fts (rowid, title, body) VALUES (?, '', ?)",
        ((note_id, index_form(text)) for note_id, text in conn.execute("SELECT id, text FROM notes").fetchall()),
    )


def index_note(conn: sqlite3.Connection, note_id: int, text: str | None) -> None:
    conn.execute("DELETE FROM notes_fts WHERE rowid = ?", (note_id,))
    if text is not None:
        conn.execute("INSERT INTO notes_fts (rowid, title, body) VALUES (?, '', ?)", (note_id, index_form(text)))


def refresh_papers(
    conn: sqlite3.Connection, list_id: int, paper_ids: Iterable[int], removed_keys: Iterable[str],
    index: IndexedText, settled: dict[int, tuple[int, int]] | None = None, in_list: set[int] | None = None,
) -> None:
    """Recompute what papers derive from their entries (stars, order, listed) and their index rows.

    `settled` holds the (stars, position) the list alone gives its papers
    where the rows differ; papers that other lists hold too, and papers that
    left the list, are worked out from every entry. `in_list`: the papers the
    list's entries name, when the caller knows them (an import wrote them all),
    else read from the entries.
    """
    left = [r[0] for r in rows_in(conn, "SELECT id FROM papers WHERE key IN ({marks})", removed_keys)]  # left the list
    ids = list(dict.fromkeys([*paper_ids, *left]))
    # Out of the index first, with the text it was indexed with (the rows of
    # papers that were listed before this change; those it added have none).
    for chunk in chunks([pid for pid in ids if pid not in index.new_ids]):
        indexed = [
            r[0] for r in conn.execute(f"SELECT id FROM papers WHERE id IN ({marks(chunk)}) AND +listed = 1", chunk)
        ]
        conn.executemany(
            "INSERT INTO papers_fts (papers_fts, rowid, title, body, abstract) VALUES ('delete', ?, ?, ?, ?)",
            [(pid, *texts) for pid, texts in index.before(indexed).items()],
        )
    _rename_from_other_lists(conn, left)
    shared = {r[0] for r in conn.execute("SELECT DISTINCT paper_id FROM entries WHERE list_id != ?", (list_id,))}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS refreshed (id INTEGER PRIMARY KEY)")
    if in_list is None:
        in_list = {r[0] for r in conn.execute("SELECT DISTINCT paper_id FROM entries WHERE list_id = ?", (list_id,))}
    # From every entry: papers other lists hold too, papers that left the list,
    # and any paper of the list when the list alone does not say (`settled`).
    from_entries = [pid for pid in in_list if pid in shared or settled is None]
    from_entries += [pid for pid in ids if pid not in in_list]
    for chunk in chunks(from_entries):
        conn.executemany("INSERT OR IGNORE INTO temp.refreshed VALUES (?)", [(pid,) for pid in chunk])
    conn.execute(
        "UPDATE papers SET"
        " stars = coalesce((SELECT max(stars) FROM entries WHERE paper_id = papers.id), stars),"
        f" position = coalesce((SELECT min(list_id * {LIST_STRIDE} + position) FROM entries"
        "   WHERE paper_id = papers.id), position),"
        " listed = EXISTS (SELECT 1 FROM entries WHERE paper_id = papers.id)"
        " WHERE id IN temp.refreshed"
    )
    conn.execute("DROP TABLE temp.refreshed")
    if settled is not None:
        conn.executemany(
            "UPDATE papers SET stars = ?, position = ?, listed = 1 WHERE id = ?",
            [(stars, position, pid) for pid, (stars, position) in settled.items() if pid not in shared],
        )
    index_papers(conn, sorted(ids), index.written)
    index.close()


def _rename_from_other_lists(conn: sqlite3.Connection, paper_ids: Sequence[int]) -> None:
    """Papers that left a list take their title from the list imported most recently of those still holding them.

    An entry's title '' stands for its paper's, so those are written out
    before the paper is renamed, and made '' again where they match.
    """
    if not paper_ids:
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS renamed (id INTEGER PRIMARY KEY)")
    conn.executemany("INSERT OR IGNORE INTO temp.renamed VALUES (?)", [(pid,) for pid in paper_ids])
    conn.execute(
        "UPDATE entries SET title = (SELECT title FROM papers WHERE id = entries.paper_id)"
        " WHERE title = '' AND paper_id IN temp.renamed"
    )
    conn.execute(
        "UPDATE papers SET title = (SELECT e.title FROM entries e JOIN lists l ON l.id = e.list_id"
        "   WHERE e.paper_id = papers.id ORDER BY l.imported_at DESC, l.id DESC, e.position LIMIT 1), title_raw = ''"
        " WHERE id IN temp.renamed AND EXISTS (SELECT 1 FROM entries WHERE paper_id = papers.id)"
    )
    conn.execute(
        "UPDATE entries SET title = '' WHERE paper_id IN temp.renamed"
        " AND title = (SELECT title FROM papers WHERE id = entries.paper_id)"
    )
    conn.execute("DROP TABLE temp.renamed")


def unindex_papers(conn: sqlite3.Connection, paper_ids: Sequence[int]) -> list[int]:
    """Remove the index rows of these papers as they are now (before their metadata changes); the ids it removed.

    Pair with index_papers once the change is written: the row holds the abstract.
    """
    removed: list[int] = []
    for chunk in chunks(paper_ids):
        listed = [r[0] for r in conn.execute(
            f"SELECT id FROM papers WHERE id IN ({marks(chunk)}) AND +listed = 1", chunk
        )]
        conn.executemany(
            "INSERT INTO papers_fts (papers_fts, rowid, title, body, abstract) VALUES ('delete', ?, ?, ?, ?)",
            [(pid, index_form(title), body, abstract)
             for pid, (title, body, abstract) in index_texts(conn, listed).items()],
        )
        removed += listed
    return removed
