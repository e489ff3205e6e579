"""Store layer, import part: one document written as a list, in one transaction.

The document's events are parsed and staged before the write lock is taken;
papers, entries and links are written in batches (`_Writer`); what papers
derive from their entries and their search-index rows are then refreshed
(index.refresh_papers), and the changes since the list's previous version
reported (changes.py).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, NamedTuple

from llmreads.aliases import add_alias
from llmreads.db import rollback
from llmreads.errors import ImportFailed
from llmreads.models import Entry
from llmreads.store.base import LIST_STRIDE, chunks, now, rows_in
from llmreads.store.base import marks as placeholders
from llmreads.store.changes import (
    Seen,
    compare,
    left_with_user_data,
    link_changes,
    previous_version,
    read_alike,
    summary_of,
)
from llmreads.store.index import IndexedText, refresh_papers
from llmreads.store.library import check_not_owned
from llmreads.store.positions import numbered

if TYPE_CHECKING:
    from llmreads.models import Clash, Document, Event, ImportReport, KnownRows, ReaderMarks, ReusedRows

IMPORT_CACHE_KIB = -32768  # negative: KiB, so 32 MiB


def import_document(
    conn: sqlite3.Connection,
    doc: Document | Iterable[Event],
    *,
    name: str | None,
    fallback_name: str = "list",
    source: str,
    sha256: str,
    dry_run: bool = False,
    strict: bool = False,
    reader: str | None = None,
    reuse: KnownRows | None = None,
    again: Callable[[], Iterable[Event]] | None = None,
) -> ImportReport:
    """Write one document as a list, all in one transaction (rolled back for a dry run).

    With `reader`, the statuses and notes an llmreads export carries
    (models.ReaderMarks) become that user's, on papers where they have none;
    without it an import writes no user data.

    The list is `name`, else the document's title, else `fallback_name`; an
    earlier import of the same list is replaced and the differences reported.
    `doc` may be a parsed Document or the events of parse.iter_document, which
    keeps memory flat for large documents. Those events are parsed and staged
    before the write lock is taken, so other processes' writes wait only for
    the writing (see _Staged). `reuse`: the set that parse.iter_document was
    given as its `reuse`; the import fills it with the digests of the rows the
    list holds, so that rows found again are not read again (_Reusable);
    `again` (required with `reuse`) gives the document's events parsed anew
    without it, for when another process writes to the database between the
    read and the write lock.
    """
    if reuse is not None and again is None:
        raise ValueError("an import that reuses rows needs a way to parse the document again")
    import gc

    thresholds = gc.get_threshold()
    # An import makes some ten objects a paper that live until it ends: with the
    # default thresholds, the collector walked them over and over (a tenth of a
    # large import), finding nothing to free.
    gc.set_threshold(max(thresholds[0], IMPORT_GC_THRESHOLD), *thresholds[1:])
    try:
        return _import_document(conn, doc, name, fallback_name, source, sha256, dry_run, strict, reader, reuse,
                                again)
    finally:
        gc.set_threshold(*thresholds)


IMPORT_GC_THRESHOLD = 10_000  # allocations between collections of the youngest generation (Python's default: 700)


def _import_document(
    conn: sqlite3.Connection, doc: Document | Iterable[Event], name: str | None, fallback_name: str, source: str,
    sha256: str, dry_run: bool, strict: bool, reader: str | None, reuse: KnownRows | None = None,
    again: Callable[[], Iterable[Event]] | None = None,
) -> ImportReport:
    from llmreads.db import begin_write
    from llmreads.models import Document

    staged = None
    reusable = None
    if isinstance(doc, Document):
        events: Iterator[Event] = _document_events(doc)
    else:
        parsed = iter(doc)
        first = next(parsed, None)
        if first is not None:
            parsed = itertools.chain([first], parsed)
        events = parsed
        if not _unchanged(conn, first, name, fallback_name, sha256, strict or reader is not None):
            if reuse is not None:
                reusable = _Reusable(conn, _list_name(first, name, fallback_name), reuse)
            try:
                staged = _Staged(conn, parsed)
            except BaseException:
                if reusable is not None:
                    reusable.close()
                raise
            events = iter(staged)
    # The indexes of 100,000 papers outgrow SQLite's default 2 MiB page cache:
    # each insert then re-reads pages from the OS (a third of a large import).
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}")
    # What the writing makes (rows, the writer's summaries and index texts)
    # lives until the import ends and forms no cycles: the collector walked it
    # some 80 times at 100,000 papers (0.3 s) and freed nothing. Off while the
    # import writes; parsing (above) keeps it, with import_document's threshold.
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        begin_write(conn)
        if reusable is not None and staged is not None and staged.reused and not reusable.still_held():
            # Another process wrote since the list was read aside: the rows found again may not be as read, nor
            # their texts there to copy. The document is parsed anew, every row read (outside the write lock,
            # as the first parse); rare, two imports of one list at once.
            rollback(conn)
            assert again is not None  # import_document requires it with `reuse`
            staged.close()
            reusable.close()
            reusable = None
            if collecting:
                gc.enable()
            staged = _Staged(conn, iter(again()))
            gc.disable()
            events = iter(staged)
            begin_write(conn)
        try:
            if reusable is not None:
                reusable.fill()
            # Rows to write: a Document's entries, or about as many as the staged events.
            expected = len(doc.entries) if isinstance(doc, Document) else staged.events if staged else 0
            take = reusable.take if reusable is not None else None
            in_place = (staged is not None and staged.reused > staged.read and reusable is not None
                        and reusable.still_held())
            if reusable is not None and staged is not None and staged.reused:
                reusable.texts(copy=not in_place)  # before a list not kept in place is deleted
            report = _import(conn, events, name, fallback_name, source, sha256, strict, reader, expected, take,
                             in_place, reusable.untaken if reusable is not None else None)
            report.dry_run = dry_run
            conn.execute("ROLLBACK" if dry_run else "COMMIT")
        except BaseException:
            rollback(conn)  # never a second error in place of the first (a full disk)
            raise
    finally:
        if collecting:
            gc.enable()
        conn.execute(f"PRAGMA cache_size = {int(cache)}")
        if staged is not None:
            staged.close()
        # The entries read aside stay in their TEMP table until the connection closes, which discards the
        # temporary database whole (a command's ends with it), or the next re-import on it drops them first:
        # dropping 100,000 rows freed page by page took some 0.05 s.
    return report


def _unchanged(conn: sqlite3.Connection, first: Event | None, name: str | None, fallback_name: str,
               sha256: str, strict: bool) -> bool:
    """Whether the list a document names (by its first event, the title) was last imported from these bytes.

    Then the import only records the new import time and the document need
    not be parsed: it is not staged. _import decides again under the write
    lock, parsing as it goes should the list have changed in between.
    """
    if strict:
        return False
    row = conn.execute(
        "SELECT source_sha256 FROM lists WHERE name = ?", (_list_name(first, name, fallback_name),)
    ).fetchone()
    return row is not None and row[0] == sha256


def import_unchanged(
    conn: sqlite3.Connection, *, name: str | None, fallback_name: str, source: str, sha256: str,
    dry_run: bool = False, strict: bool = False, reader: str | None = None,
) -> ImportReport | None:
    """The report of a document whose list was last imported from these very bytes, known before the document
    is parsed; None when that cannot be known so (the import then goes on as ever: parse, then _import).

    The list is `name`; without it, the list holding these bytes that was named by the document's title (the
    same bytes give the same title) or by a file stem equal to `fallback_name` (lists.named_by). A list named
    by --name says nothing of the name the document's title gives, nor one imported before named_by was
    recorded: those are parsed. The decision is made under the write lock, as _import makes it.
    """
    from llmreads.db import begin_write
    from llmreads.models import ImportReport

    if strict or reader is not None:
        return None
    if name:
        list_name: str | None = name.strip()
    else:
        found = conn.execute(
            "SELECT name FROM lists WHERE source_sha256 = ? AND (named_by = 'title' OR named_by = 'stem' AND name = ?)",
            (sha256, fallback_name.strip()),
        ).fetchall()
        list_name = found[0][0] if len(found) == 1 else None
    if list_name is None:
        return None
    begin_write(conn)
    try:
        row = conn.execute(
            "SELECT id, title FROM lists WHERE name = ? AND source_sha256 = ? AND owner IS NULL", (list_name, sha256)
        ).fetchone()
        if row is None:  # another import came first: the list holds other bytes now
            rollback(conn)
            return None
        report = ImportReport(list_name=list_name, title=row["title"], source=source)
        _skip(conn, report, row["id"])
        report.dry_run = dry_run
        conn.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return report


def _skip(conn: sqlite3.Connection, report: ImportReport, list_id: int, named_by: str | None = None) -> None:
    """Report the list as it is, unchanged, and record the new import's source and time (and how it was named,
    when the document was parsed)."""
    counts = conn.execute(
        "SELECT (SELECT count(*) FROM sections WHERE list_id = :id) AS sections,"
        " (SELECT count(*) FROM entries WHERE list_id = :id) AS entries,"
        " (SELECT count(DISTINCT paper_id) FROM entries WHERE list_id = :id) AS papers",
        {"id": list_id},
    ).fetchone()
    report.sections, report.entries, report.papers = counts
    report.unchanged = report.papers
    report.skipped = True
    conn.execute("UPDATE lists SET source = ?, imported_at = ?, named_by = coalesce(?, named_by) WHERE id = ?",
                 (report.source, now(), named_by, list_id))


def _named_by(name: str | None, title: str, fallback_name: str) -> str:
    """What gave a list its name (lists.named_by): --name, unless it is the name the document gives without it."""
    if name and name.strip() != (title or fallback_name).strip():
        return "option"
    return "title" if title else "stem"


def _list_name(first: Event | None, name: str | None, fallback_name: str) -> str:
    """The name of the list a document is imported as, by its first event (the title)."""
    from llmreads.models import DocumentTitle

    title = first.title if isinstance(first, DocumentTitle) else ""
    return (name or title or fallback_name).strip()


@dataclass(frozen=True)
class _StoredEntry(Entry):
    """An entry taken from the database for a row found again (models.ReusedRows), with the digest of its
    content as stored (its raw introduction is not kept).

    Only what names its paper is read (and its stars): the rest of its row
    (number, introduction, year, extra columns) and its links stay in the
    entry's row, or are copied by the writer from the TEMP tables (`held`).
    """

    digest: int = 0
    ident: int = 0
    held: _Held | None = None


class _Held(NamedTuple):
    """A stored entry a re-import may take for a row it finds again, as the TEMP table holds it: a tuple, for
    the 100,000 of a large list are made in a fraction of the time entries take (`entry` makes one)."""

    held_id: int  # temp.reusable's id: the entry's rank in the list's order
    stars: int
    digest: int
    key: str
    arxiv: str | None
    url: str
    title: str
    title_raw: str  # '' when the title's own text (papers.title_raw)
    ident: int
    row_id: int  # the entry's row (entries.id), with what it holds that a re-import may change
    section_id: int
    paper_id: int
    position: int
    paper_stars: int  # the paper's row (papers.stars, position, listed): _Writer.found
    paper_position: int
    listed: int

    def entry(self, section: str, line: int, source: int) -> _StoredEntry:
        """The entry for the row found again at `line`, in `section` (its number), read from `source`."""
        return _StoredEntry(
            section=section, number=None, stars=self.stars, title=self.title,
            title_raw=self.title_raw or self.title, url=self.url, intro="", intro_raw="", links=(), line=line,
            key=self.key, arxiv=self.arxiv, paper_url=bool(self.ident & 1), source=source, digest=self.digest,
            ident=self.ident, held=self,
        )


HELD_COLUMNS = (
    "id, stars, digest, key, arxiv, url, title, title_raw, ident, entry, section_id, paper_id, position,"
    " paper_stars, paper_position, listed"
)
# A stored entry as temp.reusable gives it (HELD_COLUMNS): the writer's usual row unpacks it, others make a _Held.
_HeldRow = tuple[int, int, int, str, "str | None", str, str, str, int, int, int, int, int, int, int, int]
_ROW_ID: Final = 9
assert _Held._fields[_ROW_ID] == "row_id" and len(_Held._fields) == HELD_COLUMNS.count(",") + 1
# What _Writer.stored holds instead of the hash of a paper's names when its key is in _Writer.seen: its names
# are compared only for a key not yet seen (_seen, found), so that hash is never read.
_NAMES_SEEN = 0


class _Reusable:
    """The entries of the list as stored that a re-import may take for rows it finds again (parse.reuse).

    Read before the document is parsed, in one read transaction, into a TEMP
    table, so that what the import takes is what was checked, whatever other
    processes write meanwhile. An entry is taken only when its paper's row
    gives back exactly the key, arXiv id, URL and titles the parser gave it
    (`identity_digest`): a paper another list renamed, or an entry joined to
    another URL's paper, is read again.

    The entries' texts (number, introduction, year, extra columns) and links,
    which only a row written anew copies, stay in their rows: read from there
    under the write lock (`texts`), and only while the database is as it was
    read (still_held). Otherwise the import parses the document again.
    """

    def __init__(self, conn: sqlite3.Connection, list_name: str, known: KnownRows) -> None:
        self.conn = conn
        # Entry.source -> temp.reusable id of the first stored entry read from that row that passes the check.
        self.first: dict[int, int] = {}
        self.window: dict[int, _HeldRow] = {}  # temp.reusable id -> stored entry, read ahead in the list's order
        self.read_to = 0  # the entries of ids below this are read into the window
        self.version: int | None = None  # PRAGMA data_version as the entries were read (still_held)
        self.named: dict[int, int] = {}  # paper id -> identity digest of its names, where papers.ident is NULL
        row = conn.execute("SELECT id FROM lists WHERE name = ?", (list_name,)).fetchone()
        if row is None:
            return
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")
        try:
            self.close()
            self.version = conn.execute("PRAGMA data_version").fetchone()[0]
            conn.execute(
                "CREATE TEMP TABLE reusable (id INTEGER PRIMARY KEY, source INTEGER, ident INTEGER, stars INTEGER,"
                " digest INTEGER, key TEXT, arxiv TEXT, url TEXT, title TEXT, title_raw TEXT, entry INTEGER,"
                " section_id INTEGER, paper_id INTEGER, position INTEGER, paper_stars INTEGER, paper_position INTEGER,"
                " listed INTEGER, paper_ident INTEGER)"
            )
            # Numbered in the list's order (its entries' index, ids given in the order inserted): the order
            # take() reads them in. A re-import keeps the rows it finds again, so row ids are not in that order.
            conn.execute(
                "INSERT INTO temp.reusable SELECT NULL, e.source, e.ident, e.stars, e.digest, p.key, p.arxiv,"
                " p.url, p.title, p.title_raw,"
                " e.id, e.section_id, e.paper_id, e.position, p.stars, p.position, p.listed, p.ident"
                " FROM entries e JOIN papers p ON p.id = e.paper_id"
                " WHERE e.list_id = ? AND e.source IS NOT NULL AND e.title = ''"
                " ORDER BY e.position",
                (row[0],),
            )
            known.tables.update((key, (counts, sample)) for key, counts, sample in conn.execute(
                "SELECT key, counts, sample FROM table_columns WHERE list_id = ?", (row[0],)))
        finally:
            if own:
                conn.execute("COMMIT")
        from llmreads.digests import digest64

        # Entries read from one row in one context are alike: the first that passes the check stands for them.
        # A paper's identity digest (papers.ident) is compared in SQL. Where it is NULL (renamed by other code,
        # or written before it was kept), what identity_digest digests is made by SQLite (IDENTITY_BYTES, faster
        # than making it here from the five texts), digested here, and kept for `fill`.
        first = self.first
        cursor = conn.cursor()
        cursor.row_factory = None  # plain tuples: a Row each costs as much as the rest of the loop
        # The first of each source: read from the last id down, an earlier entry overwrites a later one (no sort
        # by source, which GROUP BY needs: half the time).
        first.update(cursor.execute(
            "SELECT source, id FROM temp.reusable WHERE paper_ident = ident & -2 ORDER BY id DESC"))
        for source, held_id, ident, paper_id, data in cursor.execute(
            f"SELECT source, id, ident, paper_id, {IDENTITY_BYTES} FROM temp.reusable WHERE paper_ident IS NULL"
            " ORDER BY id"
        ):
            if data is None:
                continue
            digest = self.named[paper_id] = digest64(data) & ~1
            if digest == ident & ~1 and held_id < first.get(source, held_id + 1):
                first[source] = held_id
        known.rows = first

    def fill(self) -> None:
        """Write the identity digests the check made (of papers whose papers.ident is NULL), under the import's
        write lock while the database is as it was read (still_held), before the import renames any paper."""
        if self.named and self.still_held():
            self.conn.executemany("UPDATE papers SET ident = ? WHERE id = ? AND ident IS NULL",
                                  [(digest, paper_id) for paper_id, digest in self.named.items()])

    def still_held(self) -> bool:
        """Whether the database is as it was when the entries were read (under the import's write lock).

        Any commit by another process since then (another import of this list,
        one that renamed its papers' entries, a status set) may have changed
        the rows the parse found again: they are then written anew from the
        copies read, not kept in place.
        """
        return self.version is not None and self.conn.execute("PRAGMA data_version").fetchone()[0] == self.version

    WINDOW = 1000

    def take(self, source: int) -> _HeldRow:
        """The stored entry for a row the parse found again (one of ReusedRows.sources).

        Rows come back mostly in the order they were stored: the entries are
        read ahead in that order, a batch at a time, and each let go once
        taken. Holding all of them from the start, their names and URLs, took
        some 40 MiB at 100,000 papers; a lookup per batch of rows found cost
        a tenth of a large re-import. A row the list repeats, taken already,
        is read by its id.
        """
        held_id = self.first[source]
        if held_id >= self.read_to:
            cursor = self.conn.cursor()
            cursor.row_factory = None
            while held_id >= self.read_to:
                rows = cursor.execute(
                    f"SELECT {HELD_COLUMNS} FROM temp.reusable WHERE id >= ? ORDER BY id LIMIT ?",
                    (self.read_to, self.WINDOW),
                ).fetchall()
                self.window.update((row[0], row) for row in rows)
                self.read_to = rows[-1][0] + 1
        held = self.window.pop(held_id, None)
        if held is None:
            cursor = self.conn.cursor()
            cursor.row_factory = None
            held = cursor.execute(f"SELECT {HELD_COLUMNS} FROM temp.reusable WHERE id = ?", (held_id,)).fetchone()
        return held

    def untaken(self) -> list[int]:
        """The rows (entries.id) of the entries read aside that no row found again took."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return [held[_ROW_ID] for held in self.window.values()] + [row[0] for row in cursor.execute(
            "SELECT entry FROM temp.reusable WHERE id >= ?", (self.read_to,))]

    def texts(self, copy: bool) -> None:
        """The texts and links of the entries read aside, as `reusable_texts` and `reusable_links` by the
        entries' temp.reusable ids: under the write lock, while the database is as it was read (still_held).

        Views of the entries' rows while they stay (a list kept in place deletes the rows it does not keep
        only once every row is written); copies (`copy`) when the list's rows are deleted first.
        """
        kind = "TABLE" if copy else "VIEW"
        self.conn.execute(
            f"CREATE TEMP {kind} reusable_texts AS SELECT r.id, e.number, e.intro, e.year, e.extra"
            " FROM temp.reusable r JOIN main.entries e ON e.id = r.entry"
        )
        self.conn.execute(
            f"CREATE TEMP {kind} reusable_links AS SELECT r.id AS entry_id, l.position, l.text, l.url"
            " FROM temp.reusable r JOIN main.links l ON l.entry_id = r.entry"
        )
        if copy:
            self.conn.execute("CREATE UNIQUE INDEX temp.reusable_texts_id ON reusable_texts(id)")
            self.conn.execute("CREATE INDEX temp.reusable_links_entry ON reusable_links(entry_id, position)")

    def close(self) -> None:
        """Drop what an earlier re-import on this connection read aside (import_document leaves it)."""
        for name, kind in self.conn.execute(
            "SELECT name, type FROM sqlite_temp_master WHERE name IN ('reusable', 'reusable_texts', 'reusable_links')"
        ).fetchall():
            self.conn.execute(f"DROP {kind.upper()} temp.{name}")


def identity_digest(key: str, arxiv: str | None, url: str, title_raw: str, title: str, paper_url: bool) -> int:
    """64 bits of a digest of what the parser made an entry's identity, the lowest bit saying `paper_url`."""
    from llmreads.digests import digest64

    # The lengths first make the texts one string that no other five texts give (faster than repr).
    data = f"{len(key)},{len(url)},{len(title_raw)},{len(title)},{arxiv}\n{key}{url}{title_raw}{title}".encode(
        "utf-8", "surrogatepass"
    )
    return (digest64(data) & ~1) | int(paper_url)


# identity_digest's bytes of a paper's row as temp.reusable holds it, made by SQLite (one printf a row:
# a third faster than `||`): length() counts characters as len() does, and a text cast to a BLOB is its
# UTF-8. A text holding a NUL (length() stops there) gives other bytes: that entry fails the check and its
# row is read again, never taken wrongly.
IDENTITY_BYTES = (
    "CAST(printf('%d,%d,%d,%d,%s' || char(10) || '%s%s%s%s', length(key), length(url),"
    " length(coalesce(nullif(title_raw, ''), title)), length(title), coalesce(arxiv, 'None'),"
    " key, url, coalesce(nullif(title_raw, ''), title), title) AS BLOB)"
)


class _Staged:
    """A document's events, parsed in full before the import takes the write lock.

    Parsing 150,000 papers takes longer than the write itself; while the
    import held the write lock through both, other processes' writes ran into
    the busy timeout. The first `HELD` events are kept as they are, and let go
    batch by batch as they are written: 100,000 papers' events take some
    115 MiB, less than the write itself takes at its end, so the import's peak
    hardly moves, and pickling them cost a tenth of the import. Events past
    those are pickled in batches into a TEMP table (the temporary database
    spills to a file), so memory stays bounded whatever the document's
    length. All are replayed in order.
    """

    BATCH = 1000
    HELD = 150_000

    def __init__(self, conn: sqlite3.Connection, events: Iterator[Event]) -> None:
        import pickle

        self.conn = conn
        self.held: list[list[Event]] = []
        self.batches = 0  # pickled into the TEMP table, after the held ones
        # How many (each row of a ReusedRows counted): the import weighs its writing against the rows already held.
        self.events = 0
        # How many are rows found again (ReusedRows), how many entries read: the import keeps the rows found
        # again in place when they outnumber those it writes.
        self.reused = self.read = 0
        from collections import Counter

        from llmreads.models import ReusedRows

        try:
            for batch in chunks(events, self.BATCH):
                kinds = Counter(map(type, batch))
                found = sum(len(event) for event in batch if type(event) is ReusedRows)
                self.reused += found
                self.read += kinds[Entry]
                if self.events < self.HELD:
                    self.held.append(batch)
                else:
                    if not self.batches:
                        conn.execute("DROP TABLE IF EXISTS temp.staged_events")
                        conn.execute(
                            "CREATE TEMP TABLE staged_events (batch INTEGER PRIMARY KEY, events BLOB NOT NULL)"
                        )
                    conn.execute("INSERT INTO temp.staged_events VALUES (?, ?)",
                                 (self.batches, pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)))
                    self.batches += 1
                self.events += len(batch) + found - kinds[ReusedRows]
        except BaseException:
            self.close()
            raise

    def __iter__(self) -> Iterator[Event]:
        import pickle

        held, self.held = self.held, []
        held.reverse()
        while held:
            yield from held.pop()  # each batch let go once written
        for number in range(self.batches):
            # One finished statement per batch: no cursor stays open while the import writes.
            rows = self.conn.execute("SELECT events FROM temp.staged_events WHERE batch = ?", (number,)).fetchall()
            yield from pickle.loads(rows[0][0])

    def close(self) -> None:
        self.held = []
        self.conn.execute("DROP TABLE IF EXISTS temp.staged_events")


def _document_events(doc: Document) -> Iterator[Event]:
    from llmreads.models import DocumentTitle, DocumentUpdated

    yield DocumentTitle(doc.title)
    yield from doc.sections
    yield from doc.entries
    yield from doc.problems
    yield from doc.skipped
    yield from doc.marks
    if doc.updated:
        yield DocumentUpdated(doc.updated)


def _import(
    conn: sqlite3.Connection,
    events: Iterator[Event],
    name: str | None,
    fallback_name: str,
    source: str,
    sha256: str,
    strict: bool,
    reader: str | None = None,
    expected: int = 0,
    take: Callable[[int], _HeldRow] | None = None,
    in_place: bool = False,
    untaken: Callable[[], list[int]] | None = None,
) -> ImportReport:
    """The import under the write lock. `take`: the stored entry a re-import takes for a row the parse found
    again (ReusedRows), by its source (_Reusable.take); `in_place`: whether the rows found again outnumber
    those read, and stay where they are (_Writer._place)."""
    from llmreads.models import (
        DocumentTitle,
        DocumentUpdated,
        ImportReport,
        NonPaper,
        Problem,
        ReaderMarks,
        ReusedRows,
        Section,
        SkippedTable,
        TableColumns,
        UnreadItem,
    )

    first = next(events, None)
    title = first.title if isinstance(first, DocumentTitle) else ""
    if first is not None and not isinstance(first, DocumentTitle):
        events = itertools.chain([first], events)  # a stream without a title event loses nothing
    named_by = _named_by(name, title, fallback_name)
    name = (name or title or fallback_name).strip()
    report = ImportReport(list_name=name, title=title or name, source=source)
    check_not_owned(conn, name)
    row = conn.execute("SELECT id, source_sha256 FROM lists WHERE name = ?", (name,)).fetchone()
    if row is not None and row["source_sha256"] == sha256 and not strict and reader is None:
        _skip(conn, report, row["id"], named_by)
        return report
    # In place, only the papers the writer touched may have changed: their previous version is read once the
    # rows are written, from the copy IndexedText keeps (the others' summaries are not computed at all).
    in_place = take is not None and in_place
    old = previous_version(conn, row["id"]) if row is not None and not in_place else {}
    if row is None:
        list_id = conn.execute(
            "INSERT INTO lists (name, title, source, source_sha256, imported_at, named_by) VALUES (?, ?, ?, ?, ?, ?)",
            (name, report.title, source, sha256, now(), named_by),
        ).lastrowid
    else:
        list_id = row["id"]
        conn.execute(
            "UPDATE lists SET title = ?, source = ?, source_sha256 = ?, updated = NULL, imported_at = ?, named_by = ?"
            " WHERE id = ?",
            (report.title, source, sha256, now(), named_by, list_id),
        )
    assert list_id is not None
    # Before the list's entries go; kept in place, only the entries of the papers it touched are copied aside,
    # at `finish`, before any of them changes.
    index = IndexedText(conn, list_id, copy=not in_place)
    # Sections stay by number: updated where they changed, deleted at the end when gone.
    old_sections = {number: (section_id, parent, title, title_raw, position) for section_id, number, parent, title,
                    title_raw, position in conn.execute("SELECT id, number, parent, title, title_raw, position"
                                                        " FROM sections WHERE list_id = ?", (list_id,))}
    # When most of the list's rows are found again (a re-import of an updated list), they stay where they
    # are (_Writer._place); else the list's entries are deleted first and every row written anew.
    writer = _Writer(conn, list_id, index, in_place, expected)
    writer.untaken = untaken
    writer.old_sections = {held[0]: (held[2], number) for number, held in old_sections.items()}
    if not writer.in_place:
        conn.execute("DELETE FROM entries WHERE list_id = ?", (list_id,))
    section_ids: dict[str, int] = {}
    # When the rows to write outnumber those held (an empty database, one that
    # holds the bundled list, a large list imported again), indexes are built
    # once the rows are in: a sort instead of a random insert per row, and full
    # pages. entries_paper stays while papers are held: the writer renames them.
    deferred: list[tuple[str, str]] = []
    if writer.in_place:
        pass
    elif not writer.stored:
        deferred = _drop_indexes(conn)
    elif expected >= conn.execute("SELECT count(*) FROM entries").fetchone()[0]:
        deferred = _drop_indexes(conn, keep=("entries_paper",))
    seen = writer.seen
    marks: list[ReaderMarks] = []
    conn.execute("DELETE FROM table_columns WHERE list_id = ?", (list_id,))
    for event in events:
        if isinstance(event, Section):
            placed = (event.parent, event.title, event.title_raw, len(section_ids))
            held = old_sections.get(event.number)
            if held is None:
                section_id = conn.execute(
                    "INSERT INTO sections (list_id, number, parent, title, title_raw, position)"
                    " VALUES (?, ?, ?, ?, ?, ?)", (list_id, event.number, *placed),
                ).lastrowid
                assert section_id is not None
            else:
                section_id = held[0]
                if held[1:] != placed:
                    conn.execute("UPDATE sections SET parent = ?, title = ?, title_raw = ?, position = ? WHERE id = ?",
                                 (*placed, section_id))
            section_ids[event.number] = section_id
            writer.section_titles[section_id] = event.title
        elif isinstance(event, ReusedRows):
            assert take is not None  # only a re-import's parse finds rows again
            writer.found_rows(section_ids[event.section], report.entries, event, take)
            report.entries += len(event)
        elif isinstance(event, Entry):
            writer.entry(section_ids[event.section], report.entries, event)
            report.entries += 1
        elif isinstance(event, Problem):
            report.problems.append(f"line {event.line}: {event.message}")
            if strict:
                raise ImportFailed(f"{source}: line {event.line}: {event.message} (--strict)")
        elif isinstance(event, DocumentUpdated):
            conn.execute("UPDATE lists SET updated = ? WHERE id = ?", (event.date, list_id))
        elif isinstance(event, SkippedTable):
            report.skipped_tables.append(event)
        elif isinstance(event, UnreadItem):
            report.unread_items.append(event)
            if strict:
                raise ImportFailed(f"{source}: line {event.line}: looks like a paper but was not read (--strict)")
        elif isinstance(event, NonPaper):
            report.non_papers.append(event)
        elif isinstance(event, ReaderMarks):
            marks.append(event)
        elif isinstance(event, TableColumns):
            conn.execute("INSERT OR REPLACE INTO table_columns VALUES (?, ?, ?, ?)",
                         (list_id, event.key, event.counts, event.sample))
    if not report.entries:
        raise ImportFailed(f"{source} holds no papers (no table with a title column, no list of paper links)")
    writer.finish()
    writer.close()
    # The indexes of papers come back after the refresh, which may move every
    # paper of the list (a full import's positions, or a list kept in place numbered again: positions.plan).
    for sql in [sql for table, sql in deferred if table != "papers"]:
        conn.execute(sql)
    gone_sections = [held[0] for number, held in old_sections.items() if number not in section_ids]
    for chunk in chunks(gone_sections):  # no entry is in them now
        conn.execute(f"DELETE FROM sections WHERE id IN ({placeholders(chunk)})", chunk)
    if not writer.in_place:  # kept in place, the statistics already count the list (see the end)
        _analyze_written(conn)
    report.sections = len(section_ids)
    report.papers = len(seen)
    report.clashes = writer.clashes()
    # In place, papers not touched are in `seen` and were in the old version, with the same summary.
    touched = writer.touched if writer.in_place else None
    if touched is not None:
        old = previous_version(conn, list_id, among=touched, renamed=index.old_titles)
    moved = link_changes(old, seen, touched)
    # The papers that may have changed: every one, or in place those the writer touched.
    maybe = seen if touched is None else {key: info for key, info in seen.items() if info.paper_id in touched}
    # Each paper the old version held (or held under another key) summed up once, and only those that differ
    # kept (read_alike, compare, touched): holding every paper's summary took some 20 MiB at 100,000 papers.
    summaries = {key: summary for key, info in maybe.items()
                 if (key in old or key in moved) and (summary := summary_of(info)) != old.get(key)}
    compare(report, old, seen, moved, writer.joined, read_alike(conn, list_id, old, seen, summaries), summaries,
            touched)
    for new_key, old_key in moved.items():  # the paper's user data follows it to its new key
        add_alias(conn, old_key, new_key)
    for old_key, new_key in writer.joined.items():  # a second URL of a paper: its user data joins the paper
        add_alias(conn, old_key, new_key)
    # In place, a paper whose entries say what they said (its summary) has the introductions it had: the parser
    # is the one that read them (rows are found again only so).
    report.introductions_emptied = _introductions_emptied(
        conn, list_id, [seen[key].paper_id for key in summaries] if writer.in_place else None
    )
    report.marked = len(marks)
    if reader is not None:
        report.statuses_read, report.notes_read = _read_back(conn, reader, marks, writer.joined)
    changed = [info.paper_id for key, info in maybe.items() if key not in old or key in summaries]
    removed = [key for key in old if key not in seen]
    retitled = [r[0] for r in rows_in(
        conn, "SELECT DISTINCT paper_id FROM entries WHERE section_id IN ({marks})", writer.renamed_sections())]
    settled = writer.settled()
    if writer.in_place and 2 * len(settled) > conn.execute("SELECT count(*) FROM papers").fetchone()[0]:
        # Most papers move (a list kept in place numbered again, where new rows found no room): the
        # papers' indexes are built again after the refresh, as when every row is written.
        deferred += _drop_indexes(conn, tables=("papers",))
    refresh_papers(conn, list_id, [*changed, *index.old_titles, *retitled], removed, index, settled,
                   {info.paper_id for info in seen.values()})
    for sql in [sql for table, sql in deferred if table == "papers"]:
        conn.execute(sql)
    gone = set(moved.values()) | set(writer.joined)
    report.left_with_user_data = left_with_user_data(conn, [key for key in removed if key not in gone])
    # Fresh statistics let the planner walk the position index for `list
    # --stars 4 --limit 50` (0.1 ms at 100k papers) instead of sorting (20 ms).
    # A list kept in place changed little: its statistics are taken again only when its rows' count moved.
    if not writer.in_place or _statistics_stale(conn):
        conn.execute("ANALYZE")
    return report


STATISTICS_DRIFT = 0.1  # a share of the entries' count the statistics may be off by, after a list kept in place


def _statistics_stale(conn: sqlite3.Connection) -> bool:
    """Whether the planner's statistics count the entries more than STATISTICS_DRIFT away from their count."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone() is None:
        return True
    row = conn.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'entries' AND idx = 'entries_list'").fetchone()
    if row is None:
        return True
    counted = int(str(row[0]).split()[0])
    rows = int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])
    return abs(rows - counted) > STATISTICS_DRIFT * max(rows, counted)


ANALYSIS_LIMIT = 1000  # rows of each index ANALYZE reads for the statistics taken mid-import


def _analyze_written(conn: sqlite3.Connection) -> None:
    """Statistics of papers, entries and links as they are now that the list's rows are written.

    The statistics of a database that held only the bundled list say that
    papers has some 120 rows: the planner then answers each batch of the
    refresh (`id IN (500 ids)`, `paper_id IN (...)`) with a scan of the whole
    table, which made an import into a non-empty database quadratic. Sampled
    (analysis_limit), so it costs a few milliseconds at any size.
    """
    limit = conn.execute("PRAGMA analysis_limit").fetchone()[0]
    conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    try:
        for table in ("papers", "entries", "links"):
            conn.execute(f"ANALYZE {table}")
    finally:
        conn.execute(f"PRAGMA analysis_limit = {int(limit)}")


def _introductions_emptied(conn: sqlite3.Connection, list_id: int, among: Sequence[int] | None = None) -> int:
    """Papers the list still holds that had an introduction in it and now have none (IndexedText's copy of
    the entries as they were); of the papers `among` when given."""
    # The list's papers without an introduction now, grouped in one pass, each then looked up in the old copy
    # (two lookups in entries for each old entry with an introduction took twice as long).
    query = (
        "SELECT count(*) FROM (SELECT paper_id FROM entries WHERE {among}list_id = ? GROUP BY paper_id"
        " HAVING max(intro != '') = 0) n"
        " WHERE EXISTS (SELECT 1 FROM temp.old_entries o WHERE o.paper_id = n.paper_id AND o.intro != '')"
    )
    if among is None:
        return int(conn.execute(query.format(among=""), (list_id,)).fetchone()[0])
    return sum(int(row[0]) for row in rows_in(conn, query.format(among="paper_id IN ({marks}) AND "), among, [list_id]))


def _read_back(
    conn: sqlite3.Connection, user: str, marks: Sequence[ReaderMarks], joined: dict[str, str]
) -> tuple[int, int]:
    """Write an export's statuses and notes as `user`'s, on papers where `user` has none (under any key).

    Returns how many statuses and notes were written.
    """
    from llmreads.aliases import canonical_key, same_paper_sql
    from llmreads.store.index import index_note
    from llmreads.store.notes import new_note_uuid
    from llmreads.store.personal import new_event_id

    statuses = notes = 0
    stamp = now()
    for mark in marks:
        key = canonical_key(conn, joined.get(mark.key, mark.key))
        if mark.status and conn.execute(
            f"SELECT 1 FROM statuses WHERE user = ? AND paper_key IN {same_paper_sql('?2')}", (user, key)
        ).fetchone() is None:
            conn.execute(
                "INSERT INTO statuses (user, paper_key, status, updated_at) VALUES (?, ?, ?, ?)",
                (user, key, mark.status, stamp),
            )
            conn.execute(  # a status set is an event of the history (store.personal.record_status)
                "INSERT OR IGNORE INTO status_history (event_id, user, paper_key, status, at) VALUES (?, ?, ?, ?, ?)",
                (new_event_id(), user, key, mark.status, stamp),
            )
            statuses += 1
        if mark.notes and conn.execute(
            f"SELECT 1 FROM notes WHERE user = ? AND paper_key IN {same_paper_sql('?2')}", (user, key)
        ).fetchone() is None:
            for text in mark.notes:
                note_id = conn.execute(
                    "INSERT INTO notes (user, paper_key, text, created_at, updated_at, uuid) VALUES (?, ?, ?, ?, ?, ?)",
                    (user, key, text, stamp, stamp, new_note_uuid()),
                ).lastrowid
                assert note_id is not None
                index_note(conn, note_id, text)
                notes += 1
    return statuses, notes


def _drop_indexes(conn: sqlite3.Connection, keep: Sequence[str] = (),
                  tables: Sequence[str] = ("papers", "entries", "links")) -> list[tuple[str, str]]:
    """Drop the indexes of these tables (not their keys, nor `keep`); return (table, the SQL that makes each
    again)."""
    found = [row for row in conn.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({placeholders(tables)})", tuple(tables),
    ).fetchall() if row[0] not in keep]
    for name, _table, _sql in found:
        conn.execute(f'DROP INDEX "{name}"')
    return [(table, sql) for _name, table, sql in found]


class _PapersByKey(dict[str, "tuple[int, int, int, int, int] | None"]):
    """The papers' rows as _Writer.stored holds them, each read when first asked for (None: no such paper)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__()
        self.conn = conn

    def __missing__(self, key: str) -> tuple[int, int, int, int, int] | None:
        row = self.conn.execute(
            "SELECT id, title, title_raw, url, arxiv, stars, position, listed FROM papers WHERE key = ?", (key,)
        ).fetchone()
        found = None if row is None else (row[0], hash((row[1], row[2], row[3], row[4])), row[5], row[6], row[7])
        self[key] = found
        return found

    def get(self, key: str, default: object = None) -> tuple[int, int, int, int, int] | None:  # type: ignore[override]
        return self[key]


class _Writer:
    """Writes one list's papers, entries and links, in batches.

    The papers already in the database are read once, up front, so that an
    entry costs no lookup; row ids are handed out here (the import holds the
    write lock), so entries and their links can be inserted many at a time.
    """

    BATCH = 1000

    def __init__(self, conn: sqlite3.Connection, list_id: int, index: IndexedText, in_place: bool = False,
                 expected: int = 0) -> None:
        from llmreads.store.positions import gap_for

        self.conn, self.list_id, self.index = conn, list_id, index
        # Entries are written at numbered(index, gap) (positions.py); in place, the rows kept keep theirs and the
        # others' are planned at `finish`.
        self.gap = gap_for(expected)
        self.titles: dict[str, list[str]] = {}  # arXiv id -> the titles its entries give, when more than one
        # key -> (id, hash of (title, title_raw, url, arxiv), stars, position, listed) of the papers stored
        # before: the texts themselves are read again only for a paper whose hash differs (memory: a large
        # list's titles and URLs held twice took some 40 MiB). In place, the papers of rows found again are
        # known from those rows (found), the few others read when asked for (_PapersByKey).
        cursor = conn.cursor()
        cursor.row_factory = None  # plain tuples: a Row each cost as much as the rest
        self.stored: dict[str, tuple[int, int, int, int, int] | None]
        self.short_ids: set[str] = set()  # short ids taken (all of them, or, in place, those this import gave)
        if in_place:
            self.stored = _PapersByKey(conn)
        else:
            self.stored = {
                key: (paper_id, hash((title, title_raw, url, arxiv)), stars, position, listed)
                for key, paper_id, title, title_raw, url, arxiv, stars, position, listed in cursor.execute(
                    "SELECT key, id, title, title_raw, url, arxiv, stars, position, listed FROM papers"
                )
            }
            self.short_ids = {short_id for (short_id,) in cursor.execute("SELECT short_id FROM papers")}
        self.next_paper = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM papers").fetchone()[0])
        self.next_entry = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM entries").fetchone()[0])
        self.seen: dict[str, Seen] = {}  # this import's papers, by key
        self.section_titles: dict[int, str] = {}  # section id -> title (the search index holds it)
        self.by_title: dict[str, str] = {}  # normalised specific title -> key, of papers linked without an arXiv id
        self.joined: dict[str, str] = {}  # key of an entry joined to an earlier paper by its title -> that paper's key
        self.papers: list[tuple[object, ...]] = []
        self.entries: list[tuple[object, ...]] = []
        self.links: list[tuple[int, int, str, str]] = []
        self.reused: list[tuple[object, ...]] = []  # entries found again (stored_entry), written at flush
        self.reused_table = False
        # In place: entries found again keep their rows (_place); the list's other rows are deleted at `finish`.
        self.in_place = in_place
        self.first_new = self.next_entry
        self.kept: set[int] = set()  # ids of the rows kept
        # Each entry in the list's new order: its row id and its line (store.lines, written at `finish`). In
        # place, also its position before (-1: a row written by this import, at numbered(index)) and whether
        # the row moved to another section, paper or title (`moved`): `finish` plans the positions and writes
        # what changed.
        self.order_ids = array("q")
        self.order_lines = array("q")
        self.order_old = array("q")
        self.order_moved = bytearray()
        self.moved: dict[int, tuple[int, int, str]] = {}  # index -> (section_id, paper_id, title) of a row kept
        self.new_sources: dict[int, int] = {}  # index -> source of a row written by this import, read from the text
        # In place, the papers whose summary (changes.summary_of) may differ from the one the list gave them
        # before: those of rows written by this import, of rows kept that changed section, paper or title or
        # place in the list's order, and of rows not found again. The others' entries are the same rows, in
        # the same order, with the same content: the report need not look at them.
        self.touched: set[int] = set()
        self.final: array[int] | None = None  # in place, once finished: each entry's position (positions.plan)
        # The list's sections as they were (id -> (title, number)): what the entries copied aside at `finish`
        # need in place (IndexedText.copy_aside), and what tells the sections renamed (renamed_sections).
        self.old_sections: dict[int, tuple[str, str]] = {}
        self.untaken: Callable[[], list[int]] | None = None  # in place: _Reusable.untaken

    def clashes(self) -> list[Clash]:
        """arXiv papers the list gives different titles: not the same words with a typo, but another title.

        `SELF-INSTRUCT: ... Models with Self-Generated Instructions` and `Self-Instruct:
        ... Model with Self Generated Instruction` are one title written twice; a title
        that shares less than four fifths of its letters with the first is another paper's,
        a link copied onto the wrong row.
        """
        from difflib import SequenceMatcher

        from llmreads.keys import normalise_title
        from llmreads.models import Clash

        found = []
        for arxiv, titles in self.titles.items():
            first = normalise_title(titles[0])
            if any(SequenceMatcher(None, first, normalise_title(t)).ratio() < 0.8 for t in titles[1:]):
                found.append(Clash(arxiv, tuple(titles)))
        return found

    def identity(self, entry: Entry) -> Entry:
        """The entry, under the key of the paper it names in this list.

        Without an arXiv id, an entry whose paper link is another URL of an
        earlier entry's paper (an ACL Anthology page and its DOI, a title
        listed again under a second URL) joins that paper when the two give
        one specific title (four words or twenty characters); its own key
        becomes an alias (`joined`). Entries that only share a link that is no
        paper's (a lab's homepage) are one paper only when their titles are one:
        another title gets a key of its own, from the title.
        """
        if entry.arxiv is not None or not entry.key.startswith("url:"):
            return entry
        key = self.identity_key(entry.key, entry.title, entry.paper_url)
        if key == entry.key:
            return entry
        from dataclasses import replace

        return replace(entry, key=key)

    def identity_key(self, key: str, title: str, paper_url: bool) -> str:
        """The key `identity` gives an entry linked by URL (`key` is `url:...`, no arXiv id)."""
        from llmreads.keys import normalise_title

        if not paper_url:
            info = self.seen.get(key)
            if info is None or info.title == title:
                return key
            normalised = normalise_title(title)
            if not normalised or normalised == normalise_title(info.title):
                return key
            return f"title:{normalised}"
        if key in self.seen:
            return key
        if key in self.joined:  # that URL again
            return self.joined[key]
        normalised = normalise_title(title)
        if len(normalised) < 20 and normalised.count(" ") < 3:
            return key
        first = self.by_title.setdefault(normalised, key)
        if first == key:
            return key
        self.joined[key] = first
        return first

    def entry(self, section_id: int, index: int, entry: Entry) -> None:
        source = entry.source
        ident = None if source is None else identity_digest(
            entry.key, entry.arxiv, entry.url, entry.title_raw, entry.title, entry.paper_url
        )
        read = entry
        if entry.arxiv is None and entry.key.startswith("url:"):  # only those may take another key (identity)
            entry = self.identity(entry)
        # The identity of the paper this entry names, when this import names it from the entry (_seen).
        info = self._seen(entry, index, None if ident is None or entry is not read else ident & ~1)
        entry_id = self.next_entry
        self.next_entry += 1
        self._order(entry_id, source, entry.line)
        if self.in_place:
            self.touched.add(info.paper_id)
        extra = entry.extra
        links = [(link.text, link.url) for link in entry.links]
        digest = content_digest(entry.number, entry.title_raw, entry.url, entry.intro_raw, entry.year, extra, links)
        if links:
            self.links += [(entry_id, i, text, url) for i, (text, url) in enumerate(links)]
        self.entries.append((
            entry_id, self.list_id, section_id, info.paper_id, numbered(index, self.gap), entry.number, entry.stars,
            "" if entry.title == info.title else entry.title, entry.intro, entry.year,
            json.dumps(extra, ensure_ascii=False) if extra else "[]", digest, source, ident,
        ))
        if info.written_stars is not None:  # a paper new in this import: only this list's entries index it
            self.index.write(info.paper_id, info.title, self.section_titles[section_id], entry.intro, extra,
                             [text for text, _url in links])
        self._tally(info, entry.stars, entry.section, digest)

    def _tally(self, info: Seen, stars: int, section: str, digest: int) -> None:
        """What one more entry of a paper says of it: its stars, its section, its content; a batch written when full."""
        if stars > info.stars:
            info.stars = stars
        if section not in info.sections:
            info.sections.append(section)
        info.content.append(digest)
        if len(self.entries) + len(self.reused) >= self.BATCH:
            self.flush()

    def _names_stored(self, stored: tuple[int, int, int, int, int], title: str, title_raw: str, url: str,
                      arxiv: str | None) -> bool:
        """Whether a stored paper's row holds these names (`self.stored` keeps a hash of them)."""
        return stored[1] == hash((title, raw_unless_same(title_raw, title), url, arxiv))

    def _seen(self, entry: Entry, index: int, ident: int | None = None) -> Seen:
        """What this import has seen of an entry's paper: its first entry in the list names it. `ident`: the
        identity digest of the entry's names (identity_digest, lowest bit 0), when known: the paper's."""
        info = self.seen.get(entry.key)
        if info is not None:
            self._clash(entry.arxiv, entry.title, info.title)
            return info
        stored = self.stored.get(entry.key)
        if stored is None:
            info = Seen(self._new_paper(entry, index, ident), entry.title, index, entry.stars)
        else:
            info = Seen(self._paper(entry, stored, ident), entry.title, index)
        self.seen[entry.key] = info
        return info

    def _clash(self, arxiv: str | None, title: str, first: str) -> None:
        """Two titles given to one arXiv id in this list: the summary names them."""
        if arxiv and title != first:
            titles = self.titles.setdefault(arxiv, [first])
            if title not in titles:
                titles.append(title)

    def found_rows(self, section_id: int, index: int, rows: ReusedRows, take: Callable[[int], _HeldRow]) -> None:
        """Rows a re-import found again, one after another from `index` on (`found` for each, its usual case
        here: a row that stays in place, the first entry of its paper, taken as it is)."""
        section = rows.section
        if not self.in_place:
            for offset, (line, source) in enumerate(zip(rows.lines, rows.sources, strict=True)):
                self.found(section_id, index + offset, section, line, source, _Held._make(take(source)))
            return
        seen, stored, kept, moved, touched = self.seen, self.stored, self.kept, self.moved, self.touched
        order_ids, order_old, order_lines, order_moved = (
            self.order_ids, self.order_old, self.order_lines, self.order_moved)
        for offset, (line, source) in enumerate(zip(rows.lines, rows.sources, strict=True)):
            row = take(source)
            (_held_id, stars, digest, key, arxiv, _url, title, _title_raw, _ident, row_id, held_section, paper_id,
             position, paper_stars, paper_position, listed) = row
            if arxiv is None and key.startswith("url:") or key in seen or key in stored or row_id in kept:
                self.found(section_id, index + offset, section, line, source, _Held._make(row))
                continue
            # What `found`, `_place` and `_tally` do for such a row: its paper's row is as it was read with
            # the entry (in place: no other process has written since), which names it as the entry does.
            stored[key] = (paper_id, _NAMES_SEEN, paper_stars, paper_position, listed)
            seen[key] = Seen(paper_id, title, index + offset, None, stars, [section], [digest])
            kept.add(row_id)
            order_ids.append(row_id)
            order_old.append(position)
            order_lines.append(line)
            if section_id != held_section:
                moved[index + offset] = (section_id, paper_id, "")
                order_moved.append(1)
                touched.add(paper_id)
            else:
                order_moved.append(0)

    def found(self, section_id: int, index: int, section: str, line: int, source: int, held: _Held) -> None:
        """An entry a re-import found again (`held`, for the row at `line` of `section`, read from `source`):
        `stored_entry` in short when the entry keeps its key (identity) and names its stored paper as the
        paper's row does (_paper would change nothing)."""
        key = held.key
        title = held.title
        if held.arxiv is None and key.startswith("url:") and self.identity_key(key, title, bool(held.ident & 1)) != key:
            return self.stored_entry(section_id, index, held.entry(section, line, source))
        info = self.seen.get(key)
        if info is None:
            if self.in_place:
                # The paper's row as it was read with the entry: no other process has written since (still_held),
                # and this import changes a paper's row only once it has seen it.
                if key not in self.stored:
                    self.stored[key] = (held.paper_id, hash((title, held.title_raw, held.url, held.arxiv)),
                                        held.paper_stars, held.paper_position, held.listed)
                stored = self.stored[key]
            else:
                stored = self.stored.get(key)
            if stored is None or not self._names_stored(stored, title, held.title_raw or title, held.url, held.arxiv):
                return self.stored_entry(section_id, index, held.entry(section, line, source))
            info = self.seen[key] = Seen(stored[0], title, index, None)
        else:
            self._clash(held.arxiv, title, info.title)
        self._place(held, section_id, info.paper_id, index, "" if title == info.title else title, line, source)
        self._tally(info, held.stars, section, held.digest)
        return None

    def stored_entry(self, section_id: int, index: int, stored: _StoredEntry) -> None:
        """An entry a re-import found again (what `entry` does, less the texts): its row stays, or is copied
        (_place)."""
        held = stored.held
        assert held is not None
        entry = self.identity(stored)
        info = self._seen(entry, index, stored.ident & ~1 if entry is stored else None)
        if self.in_place:
            self.touched.add(info.paper_id)  # its names differ from its paper's row (which this may rename)
        self._place(held, section_id, info.paper_id, index, "" if entry.title == info.title else entry.title,
                    entry.line, stored.source)
        if info.written_stars is not None:  # a paper new in this import (joined by its title): index the texts
            intro, extra = self.conn.execute(
                "SELECT intro, extra FROM temp.reusable_texts WHERE id = ?", (held.held_id,)
            ).fetchone()
            texts = [r[0] for r in self.conn.execute(
                "SELECT text FROM temp.reusable_links WHERE entry_id = ? ORDER BY position", (held.held_id,)
            )]
            self.index.write(info.paper_id, info.title, self.section_titles[section_id], intro, json.loads(extra),
                             texts)
        self._tally(info, entry.stars, entry.section, stored.digest)

    def _place(self, held: _Held, section_id: int, paper_id: int, index: int, title: str, line: int,
               source: int | None) -> None:
        """Where an entry found again goes. In place (`in_place`), its row stays with its links, and its
        position where the list's order allows; what changed is written at `finish`. A row the list gives
        twice is copied the second time, as every row is when the list's rows were deleted first: under the
        next row id, with its links, at `flush`."""
        row_id = held.row_id
        if self.in_place and row_id not in self.kept:
            self.kept.add(row_id)
            self.order_ids.append(row_id)
            self.order_old.append(held.position)
            self.order_lines.append(line)
            # Its source and identity are the row's (it was found by them); its title is '' (_Reusable).
            moved = section_id != held.section_id or paper_id != held.paper_id or bool(title)
            if moved:
                self.moved[index] = (section_id, paper_id, title)
                self.touched.update((paper_id, held.paper_id))
            self.order_moved.append(moved)
            return
        entry_id = self.next_entry
        self.next_entry += 1
        self._order(entry_id, source, line)
        if self.in_place:
            self.touched.add(paper_id)
        self.reused.append((entry_id, held.held_id, section_id, paper_id, numbered(index, self.gap), title, source,
                            held.ident))

    def _order(self, entry_id: int, source: int | None, line: int) -> None:
        """The next entry of the list's order is a row this import writes (at numbered(index)), read from `line`,
        from a row of the document whose digest is `source`."""
        if self.in_place:
            if source is not None:
                self.new_sources[len(self.order_ids)] = source
            self.order_old.append(-1)
            self.order_moved.append(0)
        self.order_ids.append(entry_id)
        self.order_lines.append(line)

    def _flush_reused(self) -> None:
        """Write the entries found again, and with them every link of the batch in order (the links' row ids
        follow their entries', as a full import gives them)."""
        conn = self.conn
        if not self.reused_table:
            conn.execute("DROP TABLE IF EXISTS temp.reused")
            conn.execute("DROP TABLE IF EXISTS temp.written_links")
            conn.execute(
                "CREATE TEMP TABLE reused (id INTEGER PRIMARY KEY, stored INTEGER, section_id INTEGER,"
                " paper_id INTEGER, position INTEGER, title TEXT, source INTEGER, ident INTEGER)"
            )
            conn.execute("CREATE TEMP TABLE written_links (entry_id INTEGER, position INTEGER, text TEXT, url TEXT)")
            self.reused_table = True
        conn.executemany("INSERT INTO temp.reused VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self.reused)
        conn.execute(
            "INSERT INTO entries (id, list_id, section_id, paper_id, position, number, stars, title, intro,"
            " year, extra, digest, source, ident)"
            " SELECT m.id, ?, m.section_id, m.paper_id, m.position, t.number, r.stars, m.title, t.intro,"
            " t.year, t.extra, r.digest, m.source, m.ident FROM temp.reused m JOIN temp.reusable r ON r.id = m.stored"
            " JOIN temp.reusable_texts t ON t.id = m.stored"
            " ORDER BY m.id",
            (self.list_id,),
        )
        if self.links:
            conn.executemany("INSERT INTO temp.written_links VALUES (?, ?, ?, ?)", self.links)
        conn.execute(
            "INSERT INTO links (entry_id, position, text, url) SELECT entry_id, position, text, url FROM ("
            " SELECT entry_id, position, text, url FROM temp.written_links UNION ALL"
            " SELECT m.id, l.position, l.text, l.url FROM temp.reused m JOIN temp.reusable_links l"
            " ON l.entry_id = m.stored) ORDER BY entry_id, position"
        )
        conn.execute("DELETE FROM temp.reused")
        conn.execute("DELETE FROM temp.written_links")
        self.reused, self.links = [], []

    def close(self) -> None:
        if self.reused_table:
            self.conn.execute("DROP TABLE IF EXISTS temp.reused")
            self.conn.execute("DROP TABLE IF EXISTS temp.written_links")
            self.reused_table = False
        self.conn.execute("DROP TABLE IF EXISTS temp.placed")

    def _paper(self, entry: Entry, stored: tuple[int, int, int, int, int], ident: int | None = None) -> int:
        """The id of a stored paper, seen first in this import (`stored`: its row, as `self.stored` holds it);
        the latest import names it (`ident`: the digest of those names, papers.ident; None: NULL)."""
        paper_id = stored[0]
        if self._names_stored(stored, entry.title, entry.title_raw, entry.url, entry.arxiv):
            return paper_id
        title_raw = raw_unless_same(entry.title_raw, entry.title)
        title, old_raw, url, arxiv = self.conn.execute(
            "SELECT title, title_raw, url, arxiv FROM papers WHERE id = ?", (paper_id,)
        ).fetchone()
        if title != entry.title:
            self.index.old_titles.setdefault(paper_id, title)
            # An entry's title '' stands for its paper's: entries of other lists keep theirs. This list's rows
            # are written with the title they now need (those kept in place at finish).
            self.conn.execute("UPDATE entries SET title = ? WHERE paper_id = ? AND title = '' AND list_id != ?",
                              (title, paper_id, self.list_id))
        if (title, old_raw, url, arxiv) != (entry.title, title_raw, entry.url, entry.arxiv):
            self.conn.execute(
                "UPDATE papers SET title = ?, title_raw = ?, url = ?, arxiv = ?, ident = ? WHERE id = ?",
                (entry.title, title_raw, entry.url, entry.arxiv, ident, paper_id),
            )
        return paper_id

    def _new_paper(self, entry: Entry, index: int, ident: int | None = None) -> int:
        """The id of a paper new in the database, its row written at the next flush (`ident`: papers.ident)."""
        from llmreads.keys import short_id

        key = entry.key
        length = 6
        while (short := short_id(key, length)) in self.short_ids or self.in_place and self.conn.execute(
            "SELECT 1 FROM papers WHERE short_id = ?", (short,)
        ).fetchone():
            length += 2  # another key shares the short id's first characters
        self.short_ids.add(short)
        paper_id = self.next_paper
        self.next_paper += 1
        # Written with the stars and position refresh_papers will most often
        # find (rows written whole are not split by an update later).
        self.index.new_ids.add(paper_id)
        title = entry.title
        self.papers.append((paper_id, key, short, title, "" if entry.title_raw == title else entry.title_raw, entry.url,
                            entry.arxiv, entry.stars, self.list_id * LIST_STRIDE + numbered(index, self.gap), ident))
        return paper_id

    def flush(self) -> None:
        if self.papers:
            self.conn.executemany(
                "INSERT INTO papers (id, key, short_id, title, title_raw, url, arxiv, stars, position, ident, listed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                self.papers,
            )
        if self.entries:
            self.conn.executemany(
                "INSERT INTO entries (id, list_id, section_id, paper_id, position, number, stars, title, intro,"
                " year, extra, digest, source, ident) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.entries,
            )
        if self.reused:
            self._flush_reused()
        elif self.links:
            self.conn.executemany("INSERT INTO links (entry_id, position, text, url) VALUES (?, ?, ?, ?)", self.links)
        self.papers, self.entries, self.links = [], [], []

    def finish(self) -> None:
        """Write what changed in the rows kept in place, then delete the list's rows not found again (their
        links go with them); and the lines of the list's entries. Entries written by this import have ids from
        `first_new` on."""
        from llmreads.store.lines import write_lines

        conn = self.conn
        self.flush()
        write_lines(conn, self.list_id, self.order_ids, self.order_lines)
        if self.in_place:
            assert self.untaken is not None  # rows are kept in place only by a re-import that takes them
            # The list's rows not kept: those a re-import could not take (read again: another title than their
            # paper's, or no digest), and those it could but did not (each row taken is kept, the first time).
            cursor = conn.cursor()
            cursor.row_factory = None
            where = "id < ? AND (source IS NULL OR title != '') AND list_id = ?"
            found = [*cursor.execute(f"SELECT id, position, source, paper_id FROM entries WHERE {where}",
                                     (self.first_new, self.list_id)),
                     *rows_in(conn, "SELECT id, position, source, paper_id FROM entries WHERE id IN ({marks})",
                              self.untaken())]
            gone: list[int] = []
            freed: dict[int | None, list[int]] = {}  # their positions by source: new rows may take them
            for row_id, position, source, paper_id in found:
                gone.append(row_id)
                freed.setdefault(source, []).append(position)
                self.touched.add(paper_id)
            self._write_places(freed)
            for chunk in chunks(gone):
                conn.execute(f"DELETE FROM entries WHERE id IN ({placeholders(chunk)})", chunk)

    def _write_places(self, freed: dict[int | None, list[int]]) -> None:
        """In place: plan every entry's position (positions.plan; the list numbered again when that finds no
        room), then write the rows kept whose position, section, paper or title changed and the rows
        written whose planned position is not the one they were written at: one UPDATE ... FROM a TEMP table.

        `freed`: the positions of the rows not kept, by their source. A row written by this import from the same
        text as one of them (read again: the first section, before the import knew the list, or a row repeated)
        stands where that row stood, as if kept; the other positions are free for rows new in the list.
        """
        from llmreads.store.positions import plan

        old, ids, gap = self.order_old, self.order_ids, self.gap
        claimed = array("q", old)
        for positions in freed.values():
            positions.sort(reverse=True)  # each source's first row written takes the first position
        for i, source in self.new_sources.items():  # in the list's order
            held = freed.get(source)
            if held:
                claimed[i] = held.pop()
        final = plan(claimed, gap, sorted(position for held in freed.values() for position in held))
        if final is None:
            final = array("q", range(gap, (len(old) + 1) * gap, gap))
        self.final = final
        moved = self.moved
        placed: list[tuple[int, int]] = []  # (id, position): a row given another position
        changes: list[tuple[int, int, int, str, int]] = []  # a row kept that changed section, paper or title
        reordered: list[int] = []
        for i, (was, place, row_id, moves) in enumerate(zip(old, final, ids, self.order_moved, strict=True)):
            if was == place and not moves:  # the usual row kept
                continue
            if was < 0:  # written by this import
                if place != numbered(i, gap):
                    placed.append((row_id, place))
            elif moves:
                changes.append((row_id, *moved[i], place))
            else:  # out of the list's order: its paper's entries may be in another order now
                placed.append((row_id, place))
                reordered.append(row_id)
        self.touched.update(row[0] for row in rows_in(
            self.conn, "SELECT paper_id FROM entries WHERE id IN ({marks})", reordered))
        # The entries of the papers touched, and of those in renamed sections, as they were: nothing of the
        # list's old rows has changed yet.
        retitled = {row[0] for row in rows_in(
            self.conn, "SELECT paper_id FROM entries WHERE section_id IN ({marks}) AND id < ?", self.renamed_sections(),
            [self.first_new])}
        self.index.copy_aside(self.touched | retitled, self.first_new, self.old_sections)
        # Set-based, rows looked up by id (UPDATE FROM, SQLite 3.33); each sets only what it changes, so that no
        # index of a column left as it was is written.
        self._update("position INTEGER", placed, "position = t.position")
        self._update("section_id INTEGER, paper_id INTEGER, title TEXT, position INTEGER", changes,
                     "section_id = t.section_id, paper_id = t.paper_id, title = t.title, position = t.position")

    def _update(self, columns: str, rows: Sequence[tuple[object, ...]], assignments: str) -> None:
        """UPDATE entries SET `assignments` from `rows`, each (id, *columns), through a TEMP table `t`."""
        if not rows:
            return
        conn = self.conn
        conn.execute("DROP TABLE IF EXISTS temp.placed")
        conn.execute(f"CREATE TEMP TABLE placed (id INTEGER PRIMARY KEY, {columns})")
        conn.executemany(f"INSERT INTO temp.placed VALUES ({placeholders(rows[0])})", rows)
        conn.execute(f"UPDATE entries SET {assignments} FROM temp.placed t WHERE entries.id = t.id")
        conn.execute("DROP TABLE temp.placed")

    def renamed_sections(self) -> list[int]:
        """The list's sections (ids) that this import gave another title: their papers' index rows change."""
        return [section_id for section_id, (title, _number) in self.old_sections.items()
                if section_id in self.section_titles and self.section_titles[section_id] != title]

    def position_of(self, index: int) -> int:
        """The position of the entry at `index` in the list's order, once `finish` has written them."""
        return self.final[index] if self.final is not None else numbered(index, self.gap)

    def settled(self) -> dict[int, tuple[int, int]]:
        """(stars, position) of this list's papers as its entries say, where the row does not hold that yet
        (every paper's: another tool may have written its row)."""
        found = {}
        for key, info in self.seen.items():
            want = (info.stars, self.list_id * LIST_STRIDE + self.position_of(info.position))
            if info.written_stars is not None:
                written = self.list_id * LIST_STRIDE + numbered(info.position, self.gap)
                placed: tuple[int, int] | None = (info.written_stars, written)
            else:
                stored = self.stored[key]
                assert stored is not None  # a paper seen that this import did not write is stored
                stars, position, listed = stored[2:5]
                placed = (stars, position) if listed else None
            if placed != want:
                found[info.paper_id] = want
        return found


def content_digest(
    number: int | None, title_raw: str, url: str, intro_raw: str, year: str | None,
    extra: Sequence[Sequence[str]], links: Sequence[Sequence[str]],
) -> int:
    """64 bits of a hash of everything an entry says, as written: a re-import compares these.

    What is hashed is the repr of the tuple (number, title_raw, url, intro_raw,
    year, extra, links), extra and links as tuples of tuples: the digests
    stored by every earlier import depend on it. It is written field by field,
    which spares making the tuples (most entries have no extra columns and no links).
    """
    from llmreads.digests import digest64

    extra_repr = repr(tuple(map(tuple, extra))) if extra else "()"
    links_repr = repr(tuple(map(tuple, links))) if links else "()"
    data = f"({number!r}, {title_raw!r}, {url!r}, {intro_raw!r}, {year!r}, {extra_repr}, {links_repr})"
    return digest64(data.encode("utf-8", "surrogatepass"))


def raw_unless_same(raw: str, shown: str) -> str:
    """What a *_raw column stores: the original text, or '' when it equals the display form."""
    return "" if raw == shown else raw
