"""Store layer: the import and every query, on a connection opened by db.open_db.

Curated data (lists, sections, entries, papers, links) is rewritten by each
import; user data (statuses, notes) is keyed by user and paper key and is
changed only by the user's own commands.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from llmreads.aliases import add_alias, paper_id_sql, same_paper_sql, status_join, status_key_sql, user_data_sql
from llmreads.db import rollback
from llmreads.errors import Ambiguous, Conflict, ImportFailed, InvalidQuery, NotFound
from llmreads.text import clean, fold_for_search, segment

# keys (urllib.parse) and query (its regexes) load with the functions that use
# them, so `list` and `mark-read` start without them.
if TYPE_CHECKING:
    from llmreads.models import Document, Entry, ImportReport, LeftWithUserData
    from llmreads.parse import Event
    from llmreads.query import Query

STATUSES = ("unread", "reading", "read")  # the values of models.Status, without loading models
MAX_NOTE_CHARS = 4_000_000  # a long essay is fine; a runaway paste is not
TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken with the write lock up front (no upgrade deadlocks).

    A write that finds another process writing (an import) waits for it: see db.begin_write.
    """
    from llmreads.db import begin_write

    begin_write(conn)
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)  # never a second error in place of the first (a full disk)
        raise


# ---------------------------------------------------------------- import


class _Seen:
    """What one import learns of a paper: enough to compare with the list's previous version."""

    __slots__ = ("paper_id", "title", "position", "written_stars", "stars", "sections", "content")

    def __init__(self, paper_id: int, title: str, position: int = 0, written_stars: int | None = None) -> None:
        self.paper_id = paper_id
        self.title = title
        self.position = position  # of the paper's first entry in the list
        self.written_stars = written_stars  # a paper new in this import: the stars its row was written with
        self.stars = 0
        self.sections: list[str] = []
        self.content: list[int] = []


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
) -> ImportReport:
    """Write one document as a list, all in one transaction (rolled back for a dry run).

    The list is `name`, else the document's title, else `fallback_name`; an
    earlier import of the same list is replaced and the differences reported.
    `doc` may be a parsed Document or the events of parse.iter_document, which
    keeps memory flat for large documents. Those events are parsed and staged
    before the write lock is taken, so other processes' writes wait only for
    the writing (see _Staged).
    """
    from llmreads.db import begin_write
    from llmreads.models import Document

    staged = None
    if isinstance(doc, Document):
        events: Iterator[Event] = _document_events(doc)
    else:
        events = iter(doc)
        first = next(events, None)
        if first is not None:
            events = itertools.chain([first], events)
        if not _unchanged(conn, first, name, fallback_name, sha256, strict):
            staged = _Staged(conn, events)
            events = iter(staged)
    # The indexes of 100,000 papers outgrow SQLite's default 2 MiB page cache:
    # each insert then re-reads pages from the OS (a third of a large import).
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}")
    try:
        begin_write(conn)
        try:
            report = _import(conn, events, name, fallback_name, source, sha256, strict)
            report.dry_run = dry_run
            conn.execute("ROLLBACK" if dry_run else "COMMIT")
        except BaseException:
            rollback(conn)  # never a second error in place of the first (a full disk)
            raise
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")
        if staged is not None:
            staged.close()
    return report


def _unchanged(conn: sqlite3.Connection, first: Event | None, name: str | None, fallback_name: str,
               sha256: str, strict: bool) -> bool:
    """Whether the list a document names (by its first event, the title) was last imported from these bytes.

    Then the import only records the new import time and the document need
    not be parsed: it is not staged. _import decides again under the write
    lock, parsing as it goes should the list have changed in between.
    """
    from llmreads.parse import DocumentTitle

    if strict:
        return False
    title = first.title if isinstance(first, DocumentTitle) else ""
    list_name = (name or title or fallback_name).strip()
    row = conn.execute("SELECT source_sha256 FROM lists WHERE name = ?", (list_name,)).fetchone()
    return row is not None and row[0] == sha256


class _Staged:
    """A document's events, parsed in full into a TEMP table before the import takes the write lock.

    Parsing 150,000 papers takes longer than the write itself; while the
    import held the write lock through both, other processes' writes ran into
    the busy timeout. The events are pickled in batches (the temporary
    database spills to a file, so memory stays flat) and replayed in order.
    """

    BATCH = 1000

    def __init__(self, conn: sqlite3.Connection, events: Iterator[Event]) -> None:
        import pickle

        self.conn = conn
        self.batches = 0
        conn.execute("DROP TABLE IF EXISTS temp.staged_events")
        conn.execute("CREATE TEMP TABLE staged_events (batch INTEGER PRIMARY KEY, events BLOB NOT NULL)")
        try:
            for batch in _batched(events, self.BATCH):
                conn.execute("INSERT INTO temp.staged_events VALUES (?, ?)",
                             (self.batches, pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)))
                self.batches += 1
        except BaseException:
            self.close()
            raise

    def __iter__(self) -> Iterator[Event]:
        import pickle

        for number in range(self.batches):
            # One finished statement per batch: no cursor stays open while the import writes.
            rows = self.conn.execute("SELECT events FROM temp.staged_events WHERE batch = ?", (number,)).fetchall()
            yield from pickle.loads(rows[0][0])

    def close(self) -> None:
        self.conn.execute("DROP TABLE IF EXISTS temp.staged_events")


def _batched(events: Iterator[Event], size: int) -> Iterator[list[Event]]:
    while batch := list(itertools.islice(events, size)):
        yield batch


IMPORT_CACHE_KIB = -32768  # negative: KiB, so 32 MiB


def _document_events(doc: Document) -> Iterator[Event]:
    from llmreads.parse import DocumentTitle, DocumentUpdated

    yield DocumentTitle(doc.title)
    yield from doc.sections
    yield from doc.entries
    yield from doc.problems
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
) -> ImportReport:
    from llmreads.models import Entry, ImportReport, Problem, Section
    from llmreads.parse import DocumentTitle, DocumentUpdated

    first = next(events, None)
    title = first.title if isinstance(first, DocumentTitle) else ""
    if first is not None and not isinstance(first, DocumentTitle):
        events = itertools.chain([first], events)  # a stream without a title event loses nothing
    name = (name or title or fallback_name).strip()
    report = ImportReport(list_name=name, title=title or name, source=source)
    row = conn.execute("SELECT id, source_sha256 FROM lists WHERE name = ?", (name,)).fetchone()
    if row is not None and row["source_sha256"] == sha256 and not strict:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM sections WHERE list_id = :id) AS sections,"
            " (SELECT count(*) FROM entries WHERE list_id = :id) AS entries,"
            " (SELECT count(DISTINCT paper_id) FROM entries WHERE list_id = :id) AS papers",
            {"id": row["id"]},
        ).fetchone()
        report.sections, report.entries, report.papers = counts
        report.unchanged = report.papers
        report.skipped = True
        conn.execute("UPDATE lists SET source = ?, imported_at = ? WHERE id = ?", (source, now(), row["id"]))
        return report
    old = _previous_version(conn, row["id"]) if row is not None else {}
    if row is None:
        list_id = conn.execute(
            "INSERT INTO lists (name, title, source, source_sha256, imported_at) VALUES (?, ?, ?, ?, ?)",
            (name, report.title, source, sha256, now()),
        ).lastrowid
    else:
        list_id = row["id"]
        conn.execute(
            "UPDATE lists SET title = ?, source = ?, source_sha256 = ?, updated = NULL, imported_at = ? WHERE id = ?",
            (report.title, source, sha256, now(), list_id),
        )
    assert list_id is not None
    index = _IndexedText(conn, list_id)  # before the list's entries go
    conn.execute("DELETE FROM entries WHERE list_id = ?", (list_id,))
    conn.execute("DELETE FROM sections WHERE list_id = ?", (list_id,))
    section_ids: dict[str, int] = {}
    writer = _Writer(conn, list_id, index)
    # Into an empty database, indexes are built once the rows are in: a sort
    # instead of a random insert per row, and full pages.
    deferred = _drop_indexes(conn) if not writer.stored else []
    seen = writer.seen
    for event in events:
        if isinstance(event, Section):
            section_id = conn.execute(
                "INSERT INTO sections (list_id, number, parent, title, title_raw, position) VALUES (?, ?, ?, ?, ?, ?)",
                (list_id, event.number, event.parent, event.title, event.title_raw, len(section_ids)),
            ).lastrowid
            assert section_id is not None
            section_ids[event.number] = section_id
        elif isinstance(event, Entry):
            writer.entry(section_ids[event.section], report.entries, event)
            report.entries += 1
        elif isinstance(event, Problem):
            report.problems.append(f"line {event.line}: {event.message}")
            if strict:
                raise ImportFailed(f"{source}: line {event.line}: {event.message} (--strict)")
        elif isinstance(event, DocumentUpdated):
            conn.execute("UPDATE lists SET updated = ? WHERE id = ?", (event.date, list_id))
    if not report.entries:
        raise ImportFailed(f"{source} holds no papers (no table with a title column, no list of paper links)")
    writer.flush()
    for sql in deferred:
        conn.execute(sql)
    report.sections = len(section_ids)
    report.papers = len(seen)
    moved = _link_changes(old, seen)
    _compare(report, old, seen, moved)
    for new_key, old_key in moved.items():  # the paper's user data follows it to its new key
        add_alias(conn, old_key, new_key)
    touched = [s.paper_id for key, s in seen.items() if key not in old or old[key] != _summary(s)]
    removed = [key for key in old if key not in seen]
    _refresh_papers(conn, list_id, [*touched, *index.old_titles], removed, index, writer.settled())
    gone = set(moved.values())
    report.left_with_user_data = left_with_user_data(conn, [key for key in removed if key not in gone])
    # Fresh statistics let the planner walk the position index for `list
    # --stars 4 --limit 50` (0.1 ms at 100k papers) instead of sorting (20 ms).
    conn.execute("ANALYZE")
    return report


def _drop_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the indexes of papers, entries and links (not their keys); return the SQL that makes them again."""
    found = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('papers', 'entries', 'links')"
    ).fetchall()
    for name, _sql in found:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


class _Writer:
    """Writes one list's papers, entries and links, in batches.

    The papers already in the database are read once, up front, so that an
    entry costs no lookup; row ids are handed out here (the import holds the
    write lock), so entries and their links can be inserted many at a time.
    """

    BATCH = 1000

    def __init__(self, conn: sqlite3.Connection, list_id: int, index: _IndexedText) -> None:
        self.conn, self.list_id, self.index = conn, list_id, index
        # key -> (id, title, title_raw, url, arxiv, stars, position, listed) of the papers stored before
        self.stored: dict[str, tuple[int, str, str, str, str | None, int, int, int]] = {
            row[0]: row[1:]
            for row in conn.execute("SELECT key, id, title, title_raw, url, arxiv, stars, position, listed FROM papers")
        }
        self.short_ids = {row[0] for row in conn.execute("SELECT short_id FROM papers")}
        self.next_paper = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM papers").fetchone()[0])
        self.next_entry = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM entries").fetchone()[0])
        self.seen: dict[str, _Seen] = {}  # this import's papers, by key
        self.papers: list[tuple[object, ...]] = []
        self.entries: list[tuple[object, ...]] = []
        self.links: list[tuple[int, int, str, str]] = []

    def entry(self, section_id: int, position: int, entry: Entry) -> None:
        info = self.seen.get(entry.key)
        if info is None:  # the paper's first entry in this list names it
            paper_id = self._paper(entry, position)
            written = None if entry.key in self.stored else entry.stars
            info = self.seen[entry.key] = _Seen(paper_id, entry.title, position, written)
        links = [(link.text, link.url) for link in entry.links]
        digest = content_digest(entry.number, entry.title_raw, entry.url, entry.intro_raw, entry.year, entry.extra,
                                links)
        entry_id = self.next_entry
        self.next_entry += 1
        self.entries.append((
            entry_id, self.list_id, section_id, info.paper_id, position, entry.number, entry.stars,
            "" if entry.title == info.title else entry.title, entry.intro, entry.line, entry.year,
            json.dumps(entry.extra, ensure_ascii=False) if entry.extra else "[]", digest,
        ))
        self.links += [(entry_id, i, text, url) for i, (text, url) in enumerate(links)]
        info.stars = max(info.stars, entry.stars)
        if entry.section not in info.sections:
            info.sections.append(entry.section)
        info.content.append(digest)
        if len(self.entries) >= self.BATCH:
            self.flush()

    def _paper(self, entry: Entry, position: int) -> int:
        """The id of an entry's paper, seen first in this import; the latest import names it."""
        title_raw = raw_unless_same(entry.title_raw, entry.title)
        stored = self.stored.get(entry.key)
        if stored is not None:
            paper_id, title, old_raw, url, arxiv = stored[:5]
            if title != entry.title:
                self.index.old_titles.setdefault(paper_id, title)
                # An entry's title '' stands for its paper's: entries of other lists keep theirs.
                self.conn.execute("UPDATE entries SET title = ? WHERE paper_id = ? AND title = ''", (title, paper_id))
            if (title, old_raw, url, arxiv) != (entry.title, title_raw, entry.url, entry.arxiv):
                self.conn.execute(
                    "UPDATE papers SET title = ?, title_raw = ?, url = ?, arxiv = ? WHERE id = ?",
                    (entry.title, title_raw, entry.url, entry.arxiv, paper_id),
                )
            return paper_id
        from llmreads.keys import short_id

        length = 6
        while (short := short_id(entry.key, length)) in self.short_ids:
            length += 2  # another key shares the short id's first characters
        self.short_ids.add(short)
        paper_id = self.next_paper
        self.next_paper += 1
        # Written with the stars and position _refresh_papers will most often
        # find (rows written whole are not split by an update later).
        self.index.new_ids.add(paper_id)
        self.papers.append((paper_id, entry.key, short, entry.title, title_raw, entry.url, entry.arxiv, entry.stars,
                            self.list_id * LIST_STRIDE + position))
        return paper_id

    def flush(self) -> None:
        if self.papers:
            self.conn.executemany(
                "INSERT INTO papers (id, key, short_id, title, title_raw, url, arxiv, stars, position, listed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                self.papers,
            )
        if self.entries:
            self.conn.executemany(
                "INSERT INTO entries (id, list_id, section_id, paper_id, position, number, stars, title, intro, line,"
                " year, extra, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.entries,
            )
        if self.links:
            self.conn.executemany("INSERT INTO links (entry_id, position, text, url) VALUES (?, ?, ?, ?)", self.links)
        self.papers, self.entries, self.links = [], [], []

    def settled(self) -> dict[int, tuple[int, int]]:
        """(stars, position) of this list's papers as its entries say, where the row does not hold that yet."""
        found = {}
        for key, info in self.seen.items():
            want = (info.stars, self.list_id * LIST_STRIDE + info.position)
            if info.written_stars is not None:
                placed: tuple[int, int] | None = (info.written_stars, want[1])
            else:
                stars, position, listed = self.stored[key][5:8]
                placed = (stars, position) if listed else None
            if placed != want:
                found[info.paper_id] = want
        return found


LIST_STRIDE = 10_000_000  # a paper's position: its list's id times this, plus its place in the list


def content_digest(
    number: int | None, title_raw: str, url: str, intro_raw: str, year: str | None,
    extra: Sequence[Sequence[str]], links: Sequence[Sequence[str]],
) -> int:
    """64 bits of a hash of everything an entry says, as written: a re-import compares these."""
    import hashlib

    data = repr((number, title_raw, url, intro_raw, year, tuple(map(tuple, extra)), tuple(map(tuple, links))))
    return int.from_bytes(
        hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big", signed=True
    )


_Summary = tuple[str, int, tuple[str, ...], tuple[int, ...]]


def _summary(seen: _Seen) -> _Summary:
    return (seen.title, seen.stars, tuple(seen.sections), tuple(seen.content))


def _previous_version(conn: sqlite3.Connection, list_id: int) -> dict[str, _Summary]:
    """Per paper key, what the list said of it before this import."""
    seen: dict[str, _Seen] = {}
    for key, paper_id, section, stars, title, digest in conn.execute(
        "SELECT p.key, e.paper_id, s.number, e.stars, coalesce(nullif(e.title, ''), p.title), e.digest"
        " FROM entries e JOIN sections s ON s.id = e.section_id"
        " JOIN papers p ON p.id = e.paper_id WHERE e.list_id = ? ORDER BY e.position",
        (list_id,),
    ):
        info = seen.get(key)
        if info is None:
            info = seen[key] = _Seen(paper_id=paper_id, title=title)
        info.stars = max(info.stars, stars)
        if section not in info.sections:
            info.sections.append(section)
        info.content.append(digest)
    return {key: _summary(info) for key, info in seen.items()}


def _link_changes(old: dict[str, _Summary], seen: dict[str, _Seen]) -> dict[str, str]:
    """The papers of the list that changed key, new key -> old key: a paper left the list and one came
    with the same normalised title, which no other paper of the list, old or new, has."""
    from llmreads.keys import normalise_title

    left: dict[str, list[str]] = {}
    for key, summary in old.items():
        if key not in seen:
            left.setdefault(normalise_title(summary[0]), []).append(key)
    came: dict[str, list[str]] = {}
    if left:
        for key, info in seen.items():
            if key not in old:
                came.setdefault(normalise_title(info.title), []).append(key)
    candidates = {title for title, keys in came.items() if title and len(keys) == 1 and len(left.get(title, ())) == 1}
    if not candidates:
        return {}
    # A paper that stays in the list under that title makes the match unsure: then the two are left apart.
    # Only titles whose folded form holds a candidate's longest word are normalised: for a link changed
    # among 100,000 English titles, a fifth of the time of normalising every title.
    longest = re.compile("|".join(re.escape(max(title.split(), key=len)) for title in candidates))
    for key, info in seen.items():
        if key in old:
            for title in (info.title, old[key][0]):
                if longest.search(fold_for_search(title)):
                    candidates.discard(normalise_title(title))
    return {came[title][0]: left[title][0] for title in candidates}


def left_with_user_data(conn: sqlite3.Connection, keys: Sequence[str]) -> list[LeftWithUserData]:
    """Of the papers these keys name, those no list holds that keep statuses or notes (of any user)
    under any of their keys, and whose data no listed paper shows."""
    from llmreads.models import LeftWithUserData

    found = []
    for chunk in _chunks(list(keys), 500):
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT p.short_id, p.key, p.title,"
            f" (SELECT count(*) FROM statuses WHERE paper_key IN {same_paper_sql('p.key')}) AS statuses,"
            f" (SELECT count(*) FROM notes WHERE paper_key IN {same_paper_sql('p.key')}) AS notes"
            f" FROM papers p WHERE p.key IN ({marks}) AND p.listed = 0 AND p.id = {paper_id_sql('p.key')}"
            " ORDER BY p.position",
            chunk,
        ):
            if row["statuses"] or row["notes"]:
                found.append(LeftWithUserData(row["short_id"], row["key"], row["title"], row["statuses"], row["notes"]))
    return found


def _compare(report: ImportReport, old: dict[str, _Summary], seen: dict[str, _Seen], moved: dict[str, str]) -> None:
    """What changed between the list's two versions; `moved` maps a paper's new key to its old one."""
    from llmreads.models import LinkChange

    for key, info in seen.items():
        old_key = moved.get(key, key)
        if old_key not in old:
            report.added.append(info.title)
            continue
        before = old[old_key]
        now_ = _summary(info)
        if before == now_:
            report.unchanged += 1
            continue
        old_title, old_stars, old_sections, old_content = before
        if old_key != key:
            report.link_changes.append(LinkChange(old_key, key, info.title))
        if old_title != info.title:
            report.retitled.append(f"{old_title} → {info.title}")
        if old_stars != info.stars:
            report.rerated.append(f"{info.title}: {old_stars} → {info.stars} stars")
        if set(old_sections) != set(info.sections):
            report.moved.append(f"{info.title}: {', '.join(old_sections)} → {', '.join(info.sections)}")
        if old_key == key and old_title == info.title and old_stars == info.stars and set(old_sections) == set(
            info.sections
        ):
            report.updated.append(info.title)
    gone = set(moved.values())
    report.removed = [summary[0] for key, summary in old.items() if key not in seen and key not in gone]


def raw_unless_same(raw: str, shown: str) -> str:
    """What a *_raw column stores: the original text, or '' when it equals the display form."""
    return "" if raw == shown else raw


def _chunks(items: Sequence[str] | Sequence[int], size: int) -> Iterator[list]:  # type: ignore[type-arg]
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


# The link texts a paper's index row holds, with what orders them.
_LINK_TEXTS = (
    "SELECT e.paper_id, e.list_id, e.position, l.position AS link_position, l.text"
    " FROM links l JOIN entries e ON e.id = l.entry_id"
)


class _IndexedText:
    """What the search index holds for papers, before and after a change to one list.

    The index is contentless (it keeps no copy of the text, which would add a
    fifth to the database), so FTS5 removes a row only when told the exact
    text it indexed. That text is rebuilt from the database as it was: the
    list's entries and link texts are copied aside before they are replaced,
    and papers renamed by the import keep their old title here.
    """

    def __init__(self, conn: sqlite3.Connection, list_id: int) -> None:
        self.conn = conn
        self.list_id = list_id
        self.old_titles: dict[int, str] = {}
        self.new_ids: set[int] = set()  # papers added by this change: not in the index yet
        conn.execute("DROP TABLE IF EXISTS temp.old_entries")
        conn.execute("DROP TABLE IF EXISTS temp.old_links")
        conn.execute(
            "CREATE TEMP TABLE old_entries AS SELECT paper_id, list_id, position, intro FROM entries WHERE list_id = ?",
            (list_id,),
        )
        conn.execute(
            f"CREATE TEMP TABLE old_links AS {_LINK_TEXTS} WHERE e.list_id = ?",
            (list_id,),
        )

    def close(self) -> None:
        self.conn.execute("DROP TABLE temp.old_entries")
        self.conn.execute("DROP TABLE temp.old_links")

    def before(self, paper_ids: list[int]) -> dict[int, tuple[str, str]]:
        """The indexed (title, body) of these papers before the change."""
        entries = (
            "(SELECT paper_id, list_id, position, intro FROM entries WHERE list_id != :list"
            " UNION ALL SELECT paper_id, list_id, position, intro FROM temp.old_entries)"
        )
        links = (
            f"({_LINK_TEXTS} WHERE e.list_id != :list"
            " UNION ALL SELECT paper_id, list_id, position, link_position, text FROM temp.old_links)"
        )
        texts = index_texts(self.conn, paper_ids, entries, links, {"list": self.list_id})
        return {pid: (segment(self.old_titles.get(pid, title)), body) for pid, (title, body) in texts.items()}


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


def index_texts(
    conn: sqlite3.Connection,
    paper_ids: Sequence[int],
    entries: str = "entries",
    links: str = f"({_LINK_TEXTS})",
    params: dict[str, object] | None = None,
) -> dict[int, tuple[str, str]]:
    """Per paper: its title, and the segmented text of its introductions and link labels, as indexed.

    `entries` and `links` may name other row sources of the same shape (the
    text as it was before an import).
    """
    marks = ",".join(f":p{i}" for i in range(len(paper_ids)))
    args: dict[str, object] = {f"p{i}": pid for i, pid in enumerate(paper_ids)} | (params or {})
    titles = dict(conn.execute(f"SELECT id, title FROM papers WHERE id IN ({marks})", args).fetchall())
    bodies: dict[int, list[str]] = {pid: [] for pid in titles}
    for pid, intro in conn.execute(
        f"SELECT paper_id, intro FROM {entries} WHERE paper_id IN ({marks}) ORDER BY list_id, position", args
    ):
        bodies[pid].append(intro)
    for pid, text in conn.execute(
        f"SELECT paper_id, text FROM {links} WHERE paper_id IN ({marks}) ORDER BY list_id, position, link_position",
        args,
    ):
        if not text.startswith(("http://", "https://")):
            bodies[pid].append(text)
    return {pid: (title, segment("\n".join(bodies[pid]))) for pid, title in titles.items()}


def index_papers(conn: sqlite3.Connection, paper_ids: Sequence[int]) -> None:
    """Add the index rows of these papers (listed ones only: a paper no list holds is not searched)."""
    for chunk in _chunks(list(paper_ids), 500):
        marks = ",".join("?" * len(chunk))
        listed = [r[0] for r in conn.execute(f"SELECT id FROM papers WHERE id IN ({marks}) AND +listed = 1", chunk)]
        conn.executemany(
            "INSERT INTO papers_fts (rowid, title, body) VALUES (?, ?, ?)",
            [(pid, segment(title), body) for pid, (title, body) in index_texts(conn, listed).items()],
        )


def _refresh_papers(
    conn: sqlite3.Connection, list_id: int, paper_ids: Iterable[int], removed_keys: Iterable[str],
    index: _IndexedText, settled: dict[int, tuple[int, int]] | None = None,
) -> None:
    """Recompute what papers derive from their entries (stars, order, listed) and their index rows.

    `settled` holds the (stars, position) the list alone gives its papers
    where the rows differ; papers that other lists hold too, and papers that
    left the list, are worked out from every entry.
    """
    left: list[int] = []  # papers that left the list
    for chunk in _chunks(list(removed_keys), 500):
        marks = ",".join("?" * len(chunk))
        left += [r[0] for r in conn.execute(f"SELECT id FROM papers WHERE key IN ({marks})", chunk)]
    ids = list(dict.fromkeys([*paper_ids, *left]))
    # Out of the index first, with the text it was indexed with (the rows of
    # papers that were listed before this change).
    for chunk in _chunks(ids, 500):
        marks = ",".join("?" * len(chunk))
        indexed = [
            r[0] for r in conn.execute(f"SELECT id FROM papers WHERE id IN ({marks}) AND +listed = 1", chunk)
            if r[0] not in index.new_ids
        ]
        conn.executemany(
            "INSERT INTO papers_fts (papers_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)",
            [(pid, title, body) for pid, (title, body) in index.before(indexed).items()],
        )
    _rename_from_other_lists(conn, left)
    shared = {r[0] for r in conn.execute("SELECT DISTINCT paper_id FROM entries WHERE list_id != ?", (list_id,))}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS refreshed (id INTEGER PRIMARY KEY)")
    in_list = {r[0] for r in conn.execute("SELECT DISTINCT paper_id FROM entries WHERE list_id = ?", (list_id,))}
    # From every entry: papers other lists hold too, papers that left the list,
    # and any paper of the list when the list alone does not say (`settled`).
    from_entries = [pid for pid in in_list if pid in shared or settled is None]
    from_entries += [pid for pid in ids if pid not in in_list]
    for chunk in _chunks(from_entries, 500):
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
    index_papers(conn, ids)
    index.close()


def lists(conn: sqlite3.Connection) -> list[dict[str, object]]:
    rows = conn.execute(
        "SELECT l.name, l.title, l.source, l.updated, l.imported_at,"
        " (SELECT count(DISTINCT paper_id) FROM entries e WHERE e.list_id = l.id) AS papers"
        " FROM lists l ORDER BY l.id"
    )
    return [dict(row) for row in rows]


def remove_list(conn: sqlite3.Connection, name: str) -> dict[str, object]:
    with transaction(conn):
        row = conn.execute("SELECT id, name FROM lists WHERE id = ?", (list_id_by_name(conn, name),)).fetchone()
        keys = [r[0] for r in conn.execute(
            "SELECT DISTINCT p.key FROM entries e JOIN papers p ON p.id = e.paper_id WHERE e.list_id = ?", (row["id"],)
        )]
        index = _IndexedText(conn, row["id"])  # before the list's entries go
        conn.execute("DELETE FROM lists WHERE id = ?", (row["id"],))
        _refresh_papers(conn, row["id"], [], keys, index)
    return {"name": row["name"], "papers": len(keys)}


def users(conn: sqlite3.Connection) -> list[dict[str, object]]:
    """Every user with any status or note, and their progress on the papers the lists hold."""
    listed = int(conn.execute("SELECT count(*) FROM papers WHERE listed = 1").fetchone()[0])

    def counted(status: str) -> str:
        # From each user's statuses: those that are the newest of their paper's keys, on the listed papers they name.
        return (
            f"(SELECT count(*) FROM statuses s JOIN papers p ON p.key IN {same_paper_sql('s.paper_key')}"
            f" WHERE s.user = u.user AND s.status = '{status}' AND p.listed = 1"
            f" AND s.paper_key = {status_key_sql('s.paper_key', 'u.user')})"
        )

    rows = conn.execute(
        "WITH u AS (SELECT user FROM statuses UNION SELECT user FROM notes)"
        f" SELECT u.user, {counted('read')} AS read, {counted('reading')} AS reading,"
        " (SELECT count(*) FROM notes n WHERE n.user = u.user) AS notes,"
        " (SELECT max(t) FROM (SELECT max(updated_at) AS t FROM statuses WHERE user = u.user"
        "   UNION ALL SELECT max(updated_at) FROM notes WHERE user = u.user)) AS last_active"
        " FROM u ORDER BY u.user"
    )
    return [dict(row) | {"papers": listed} for row in rows]


def list_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM lists").fetchone()[0])


# ---------------------------------------------------------------- filters


class Filter(NamedTuple):
    """A piece of a WHERE clause over `papers p` and `statuses s`, with its parameters."""

    where: str
    params: tuple[object, ...]
    description: str
    order: str | None = None  # the "list order" this filter implies, when it names one list


def combine(filters: Sequence[Filter]) -> tuple[str, list[object]]:
    where = " AND ".join(f"({f.where})" for f in filters) or "1"
    params: list[object] = [param for f in filters for param in f.params]
    return where, params


def not_read_filter() -> Filter:
    return Filter("coalesce(s.status, 'unread') != 'read'", (), "not read yet")


def stars_filter(stars: int) -> Filter:
    if not 0 <= stars <= 5:
        raise InvalidQuery(f"--stars must be between 0 and 5, not {stars}")
    return Filter("p.stars >= ?", (stars,), f"{stars}+ stars")


def status_filter(status: str) -> Filter:
    try:
        value = STATUSES[STATUSES.index(status.strip().lower())]
    except ValueError:
        raise InvalidQuery(f"--status must be one of unread, reading, read, not {status!r}") from None
    return Filter("coalesce(s.status, 'unread') = ?", (value,), value)


def section_filter(conn: sqlite3.Connection, spec: str) -> Filter:
    """A section number (`2` includes 2.1 ...) or a case-insensitive fragment of section titles."""
    spec = spec.strip()
    rows = conn.execute("SELECT id, number, title FROM sections ORDER BY list_id, position").fetchall()
    if re.fullmatch(r"\d+(\.\d+)*\.?", spec):
        number = spec.rstrip(".")
        chosen = [r for r in rows if r["number"] == number or r["number"].startswith(number + ".")]
    else:
        needle = fold_for_search(spec)
        chosen = [r for r in rows if needle and needle in fold_for_search(r["title"])]
        # A matching section brings its subsections along, as a number does.
        numbers = {r["number"] for r in chosen}
        chosen += [r for r in rows if r not in chosen and any(r["number"].startswith(n + ".") for n in numbers)]
    if not chosen:
        raise NotFound(f"no section matches {spec!r} (see `llmreads sections`)")
    ids = tuple(r["id"] for r in chosen)
    marks = ",".join("?" * len(ids))
    labels = ", ".join(dict.fromkeys(f"{r['number']} {r['title']}" for r in chosen))
    return Filter(f"p.id IN (SELECT paper_id FROM entries WHERE section_id IN ({marks}))", ids, labels)


def list_id_by_name(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT id FROM lists WHERE name = ? OR title = ? ORDER BY name = ? DESC", (name, name, name))
    found = row.fetchone()
    if found is None:
        raise NotFound(f"no list named {name!r} (see `llmreads lists`)")
    return int(found[0])


def list_filter(conn: sqlite3.Connection, name: str) -> Filter:
    list_id = list_id_by_name(conn, name)
    # list_id is an integer from the database, so it can stand in the ORDER BY text.
    order = f"(SELECT min(e.position) FROM entries e WHERE e.paper_id = p.id AND e.list_id = {int(list_id)})"
    return Filter("p.id IN (SELECT paper_id FROM entries WHERE list_id = ?)", (list_id,), f"list {name}", order)


# ---------------------------------------------------------------- papers


class PaperRow:
    """One paper as listings show it, with this user's status (a search adds snippet and score).

    A plain class rather than a dataclass: it is on every command's path, and
    creating a dataclass costs half a millisecond of start-up.
    """

    __slots__ = ("id", "key", "title", "url", "arxiv", "stars", "sections", "status", "status_at", "snippet", "score")

    def __init__(
        self, id: str, key: str, title: str, url: str, arxiv: str | None, stars: int, sections: list[str],
        status: str, status_at: str | None = None,
    ) -> None:
        self.id, self.key, self.title, self.url, self.arxiv = id, key, title, url, arxiv
        self.stars, self.sections, self.status, self.status_at = stars, sections, status, status_at
        self.snippet: str | None = None
        self.score: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}


_PAPER_COLUMNS = (
    "p.id AS pid, p.short_id, p.key, p.title, p.url, p.arxiv, p.stars, p.position,"
    " coalesce(s.status, 'unread') AS status, s.updated_at AS status_at"
)
# The user is the statement's first parameter, ?1: a status is read through every key of its paper.
_PAPER_JOIN = f"papers p {status_join('?1')}"
# `list --all`: papers no list holds that keep some of the user's data; one paper for all its keys.
_SHOWN_UNLISTED = f"(p.listed = 1 OR ({user_data_sql('p.key', '?1')} AND p.id = {paper_id_sql('p.key')}))"

SORTS = {
    "next": "coalesce(s.status, 'unread') = 'reading' DESC, p.stars DESC, p.position",
    "list": "p.position",
    "stars": "p.stars DESC, p.position",
    "title": "p.title COLLATE NOCASE, p.position",
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
        return _paper_rows(conn, _next_rows(conn, user, where, params, limit))
    sql = f"SELECT {_PAPER_COLUMNS} FROM {_PAPER_JOIN} WHERE {listed} AND {where} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = conn.execute(sql, [user, *params]).fetchall()
    return _paper_rows(conn, rows)


def _next_rows(
    conn: sqlite3.Connection, user: str, where: str, params: list[object], limit: int
) -> list[sqlite3.Row]:
    """What to read next, in SORTS["next"] order, without sorting every paper.

    The papers being read come first (a user reads few at once), then the
    rest down the (listed, stars DESC, position) index, stopping at `limit`:
    at 100,000 papers 54 ms of sorting became a fraction of a millisecond.
    """
    reading = conn.execute(  # from the user's statuses: each one that is its paper's newest
        f"SELECT {_PAPER_COLUMNS} FROM statuses s JOIN papers p ON p.key IN {same_paper_sql('s.paper_key')}"
        f" WHERE s.user = ?1 AND s.status = 'reading' AND s.paper_key = {status_key_sql('s.paper_key', '?1')}"
        f" AND p.listed = 1 AND {where} ORDER BY p.stars DESC, p.position LIMIT {int(limit)}",
        [user, *params],
    ).fetchall()
    rest = conn.execute(
        f"SELECT {_PAPER_COLUMNS} FROM papers p INDEXED BY papers_listed_stars {status_join('?1')}"
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
    sql = f"SELECT count(*) FROM {_PAPER_JOIN} WHERE {listed} AND {where}"
    return int(conn.execute(sql, [user, *params]).fetchone()[0])


def _paper_rows(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[PaperRow]:
    labels = section_labels(conn, [r["pid"] for r in rows])
    return [
        PaperRow(
            id=r["short_id"], key=r["key"], title=r["title"], url=r["url"], arxiv=r["arxiv"],
            stars=r["stars"], sections=labels.get(r["pid"], []), status=r["status"], status_at=r["status_at"],
        )
        for r in rows
    ]


def section_labels(conn: sqlite3.Connection, paper_ids: Sequence[int]) -> dict[int, list[str]]:
    labels: dict[int, list[str]] = {}
    for chunk in _chunks(list(paper_ids), 500):
        marks = ",".join("?" * len(chunk))
        for pid, label in conn.execute(
            f"SELECT e.paper_id, sec.number || ' ' || sec.title FROM entries e JOIN sections sec"
            f" ON sec.id = e.section_id WHERE e.paper_id IN ({marks}) ORDER BY e.list_id, e.position",
            chunk,
        ):
            if label not in labels.setdefault(pid, []):
                labels[pid].append(label)
    return labels


def resolve_ref(conn: sqlite3.Connection, ref: str) -> int:
    """A paper's row id from a short id, key, arXiv id or a title fragment matching exactly one paper."""
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
    needle = fold_for_search(text)
    words = re.findall(r"[^\W_]+", needle)
    # Listed papers first, each group in list order: two walks of the position index, no sort.
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: 100,000 Row objects cost a third of the lookup
    rows: list[tuple[int, str, str, int]] = [
        row
        for listed in (1, 0)
        for row in cursor.execute(
            "SELECT id, short_id, title, listed FROM papers WHERE listed = ? ORDER BY position", (listed,)
        )
    ]
    folded = [(r, fold_for_search(r[2])) for r in rows]
    # Most exact first: the whole title, the words at word starts, then anywhere.
    word_pattern = re.compile(r"(?<![^\W_])" + r"[\W_]*".join(re.escape(w) for w in words)) if words else None
    first = words[0] if words else ""
    stages = [
        [r for r, title in folded if title == needle],
        [r for r, title in folded if word_pattern and first in title and word_pattern.search(title)],
        [r for r, title in folded if needle in title],
    ]
    for matches in stages:
        listed = [r for r in matches if r[3]] or matches
        if not listed:
            continue
        papers = _one_per_paper(conn, listed)  # the keys of one paper (old and new links) are one match
        if len(papers) == 1:
            return next(iter(papers))
        candidates = [f"{short}  {title}" for _id, short, title, _listed in papers.values()]
        raise Ambiguous(f"{ref!r} matches {len(papers)} papers; use an id", candidates)
    raise NotFound(f"no paper matches {ref!r}")


def paper_of_key(conn: sqlite3.Connection, key: str) -> int | None:
    """The row id of the paper that shows what is kept under `key`, through all its keys (a listed one first)."""
    row = conn.execute(f"SELECT {paper_id_sql('?1')}", (key,)).fetchone()
    return int(row[0]) if row[0] is not None else None


def _one_per_paper(
    conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str, int]]
) -> dict[int, tuple[int, str, str, int]]:
    """The papers these rows show, by row id (a row under an old key counts as the paper it names)."""
    shown: dict[int, int] = {}
    for chunk in _chunks([r[0] for r in rows], 500):
        marks = ",".join("?" * len(chunk))
        shown.update(conn.execute(
            f"SELECT pp.id, coalesce({paper_id_sql('pp.key')}, pp.id) FROM papers pp"
            f" WHERE pp.id IN ({marks}) AND pp.key IN aliased_keys",
            chunk,
        ).fetchall())
    papers: dict[int, tuple[int, str, str, int]] = {}
    for r in rows:
        papers.setdefault(shown.get(r[0], r[0]), r)
    return papers


def paper_detail(conn: sqlite3.Connection, user: str, paper_id: int) -> dict[str, object]:
    row = conn.execute(f"SELECT {_PAPER_COLUMNS} FROM {_PAPER_JOIN} WHERE p.id = ?", (user, paper_id)).fetchone()
    if row is None:
        raise NotFound(f"no paper with row id {paper_id}")
    paper = _paper_rows(conn, [row])[0]
    entries = []
    for e in conn.execute(
        "SELECT e.id, e.number, e.stars, coalesce(nullif(e.title, ''), p.title) AS title, e.intro, e.line, e.year,"
        " e.extra, sec.number AS section, sec.title AS section_title, l.name AS list FROM entries e"
        " JOIN sections sec ON sec.id = e.section_id JOIN lists l ON l.id = e.list_id"
        " JOIN papers p ON p.id = e.paper_id"
        " WHERE e.paper_id = ? ORDER BY e.list_id, e.position",
        (paper_id,),
    ):
        links = [
            {"text": text, "url": url}
            for text, url in conn.execute(
                "SELECT text, url FROM links WHERE entry_id = ? ORDER BY position", (e["id"],)
            )
        ]
        entries.append(
            {
                "list": e["list"], "section": f"{e['section']} {e['section_title']}", "number": e["number"],
                "stars": e["stars"], "title": e["title"], "introduction": e["intro"], "line": e["line"],
                "year": e["year"], "fields": dict(json.loads(e["extra"] or "[]")), "links": links,
            }
        )
    detail: dict[str, object] = paper.as_dict()
    del detail["snippet"], detail["score"]
    detail["entries"] = entries
    detail["links"] = [link for entry in entries for link in entry["links"]]  # type: ignore[attr-defined]
    detail["notes"] = list_notes(conn, user, paper.key)
    return detail


def paper_summary(conn: sqlite3.Connection, user: str, paper_id: int) -> PaperRow:
    row = conn.execute(f"SELECT {_PAPER_COLUMNS} FROM {_PAPER_JOIN} WHERE p.id = ?", (user, paper_id)).fetchone()
    return _paper_rows(conn, [row])[0]


# ---------------------------------------------------------------- user data


def set_status(conn: sqlite3.Connection, user: str, paper_ids: Sequence[int], status: str) -> list[PaperRow]:
    """Set this user's status of papers (one of STATUSES; a models.Status is one too)."""
    if status not in STATUSES:
        raise InvalidQuery(f"a status is one of {', '.join(STATUSES)}, not {status!r}")
    with transaction(conn):
        stamp = now()
        for pid in paper_ids:
            # Under the paper's key, or the other key of the paper where its status is kept.
            conn.execute(
                "INSERT INTO statuses (user, paper_key, status, updated_at)"
                f" SELECT ?1, {status_key_sql('p.key', '?1')}, ?2, ?3 FROM papers p WHERE p.id = ?4"
                " ON CONFLICT (user, paper_key)"
                " DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                (user, str(status), stamp, pid),
            )
    return [paper_summary(conn, user, pid) for pid in paper_ids]


def add_note(conn: sqlite3.Connection, user: str, paper_id: int, text: str) -> int:
    text = text.strip()
    if not text:
        raise InvalidQuery("a note needs some text")
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidQuery(f"a note of {len(text):,} characters is too long; the limit is {MAX_NOTE_CHARS:,}")
    with transaction(conn):
        key = conn.execute("SELECT key FROM papers WHERE id = ?", (paper_id,)).fetchone()[0]
        stamp = now()
        note_id = conn.execute(
            "INSERT INTO notes (user, paper_key, text, created_at, updated_at, uuid) VALUES (?, ?, ?, ?, ?, ?)",
            (user, key, text, stamp, stamp, new_note_uuid()),
        ).lastrowid
        assert note_id is not None
        index_note(conn, note_id, text)
    return note_id


def new_note_uuid() -> str:
    """A note's identity across databases (user-data merges by it): random, never derived from the note."""
    import uuid

    return str(uuid.uuid4())


def index_note(conn: sqlite3.Connection, note_id: int, text: str | None) -> None:
    conn.execute("DELETE FROM notes_fts WHERE rowid = ?", (note_id,))
    if text is not None:
        conn.execute("INSERT INTO notes_fts (rowid, title, body) VALUES (?, '', ?)", (note_id, segment(text)))


def get_note(conn: sqlite3.Connection, user: str, note_id: int) -> dict[str, object]:
    row = conn.execute(f"{_NOTE_SELECT} WHERE n.id = ? AND n.user = ?", (note_id, user)).fetchone()
    if row is None:
        raise NotFound(f"no note {note_id} for user {user}")
    return _note_dict(row)


# A note shows the paper its key names (through the paper's other keys: a link that changed).
_NOTE_SELECT = (
    "SELECT n.id, n.uuid, n.text, n.created_at, n.updated_at, coalesce(p.key, n.paper_key) AS paper_key, p.short_id,"
    f" p.title, p.listed FROM notes n LEFT JOIN papers p ON p.id = {paper_id_sql('n.paper_key')}"
)


def _note_dict(row: sqlite3.Row) -> dict[str, object]:
    return {
        "id": row["id"], "paper": row["short_id"], "title": row["title"], "key": row["paper_key"],
        "listed": bool(row["listed"]), "text": row["text"], "created_at": row["created_at"],
        "updated_at": row["updated_at"], "uuid": row["uuid"],
    }


def list_notes(conn: sqlite3.Connection, user: str, paper_key: str | None = None) -> list[dict[str, object]]:
    """This user's notes, on all papers or on the paper `paper_key` names (under any of its keys)."""
    sql = f"{_NOTE_SELECT} WHERE n.user = :user"
    if paper_key is not None:
        sql += f" AND n.paper_key IN {same_paper_sql(':key')}"
    return [_note_dict(r) for r in conn.execute(sql + " ORDER BY n.created_at, n.id", {"user": user, "key": paper_key})]


def update_note(
    conn: sqlite3.Connection, user: str, note_id: int, text: str, opened: dict[str, object] | None = None
) -> None:
    """Replace a note's text; with `opened` (get_note's answer when the edit began), only if it is still that note."""
    text = text.strip()
    if not text:
        raise InvalidQuery("a note needs some text; use `note delete` to remove it")
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidQuery(f"a note of {len(text):,} characters is too long; the limit is {MAX_NOTE_CHARS:,}")
    with transaction(conn):
        try:
            current = get_note(conn, user, note_id)
        except NotFound:
            if opened is None:
                raise
            raise NotFound(f"note {note_id} was deleted while it was being edited") from None
        if opened is not None and any(current[k] != opened[k] for k in ("uuid", "text", "updated_at")):
            raise Conflict(f"note {note_id} changed while it was being edited (saved at {current['updated_at']})")
        conn.execute("UPDATE notes SET text = ?, updated_at = ? WHERE id = ?", (text, now(), note_id))
        index_note(conn, note_id, text)


def delete_note(conn: sqlite3.Connection, user: str, note_id: int) -> dict[str, object]:
    with transaction(conn):
        note = get_note(conn, user, note_id)
        conn.execute("DELETE FROM notes WHERE id = ?", (note_id,))
        index_note(conn, note_id, None)
    return note


# ---------------------------------------------------------------- sections and progress


def sections_tree(conn: sqlite3.Connection, user: str, list_name: str | None = None) -> list[dict[str, object]]:
    """Every section with its papers (subsections included) and this user's read count."""
    list_id = list_id_by_name(conn, list_name) if list_name is not None else None
    rows = conn.execute(
        "SELECT sec.id, sec.number, sec.title, l.name AS list, l.id AS list_id FROM sections sec"
        " JOIN lists l ON l.id = sec.list_id WHERE ? IS NULL OR l.id = ? ORDER BY l.id, sec.position",
        (list_id, list_id),
    ).fetchall()
    # Each paper counts in its section and in every section above it (2.1.3 in 2.1 and 2).
    found: dict[tuple[int, str], dict[int, str]] = {}
    for section_list, number, paper_id, status in conn.execute(
        "SELECT sec.list_id, sec.number, e.paper_id, coalesce(s.status, 'unread') FROM entries e"
        f" JOIN sections sec ON sec.id = e.section_id JOIN papers p ON p.id = e.paper_id {status_join('?1')}",
        (user,),
    ):
        parts = number.split(".")
        for depth in range(1, len(parts) + 1):
            found.setdefault((section_list, ".".join(parts[:depth])), {})[paper_id] = status
    result = []
    for r in rows:
        papers = found.get((r["list_id"], r["number"]), {})
        result.append(
            {
                "list": r["list"], "number": r["number"], "title": r["title"],
                "depth": r["number"].count("."), "papers": len(papers),
                "read": sum(1 for s in papers.values() if s == "read"),
                "reading": sum(1 for s in papers.values() if s == "reading"),
            }
        )
    return result


def progress(conn: sqlite3.Connection, user: str, list_name: str | None = None) -> dict[str, object]:
    where, params = combine([list_filter(conn, list_name)] if list_name is not None else [])
    by_stars = []
    for row in conn.execute(
        "SELECT p.stars, count(*) AS papers, sum(s.status = 'read') AS read, sum(s.status = 'reading') AS reading"
        f" FROM {_PAPER_JOIN} WHERE p.listed = 1 AND {where} GROUP BY p.stars ORDER BY p.stars DESC",
        (user, *params),
    ):
        by_stars.append(
            {"stars": row["stars"], "papers": row["papers"], "read": row["read"] or 0, "reading": row["reading"] or 0}
        )
    total = {
        "papers": sum(int(str(s["papers"])) for s in by_stars),
        "read": sum(int(str(s["read"])) for s in by_stars),
        "reading": sum(int(str(s["reading"])) for s in by_stars),
    }
    return {"user": user, "total": total, "sections": sections_tree(conn, user, list_name), "stars": by_stars}


# ---------------------------------------------------------------- search


class SearchResult(NamedTuple):
    total: int
    papers: list[PaperRow]
    patterns: list[str]
    suggestions: list[str]


def search(
    conn: sqlite3.Connection,
    user: str,
    text: str,
    filters: Sequence[Filter] = (),
    *,
    sort: str = "relevance",
    limit: int | None = None,
    notes: bool = True,
    raw: bool = False,
    scores: bool = False,
) -> SearchResult:
    """Papers matching a query, ranked, with the total number of hits.

    Relevance is where the words are: papers with them in the title first,
    then by stars, then in list order. `scores` adds each paper's bm25 score
    (title weighted over text), which costs a second pass over the hits.
    """
    from llmreads.query import compile_query, raw_query

    query: Query | None = None
    if raw:
        match = raw_query(text)
        title_match: str | None = f"title : ({match})"
        patterns: list[str] = []
        if not match:
            return SearchResult(0, [], [], [])
    else:
        query = compile_query(text)
        if query.empty:
            return SearchResult(0, [], [], [])
        match, title_match = query.fts(), query.fts_in_titles()
        patterns = query.patterns()
    # One read transaction: the hits and the page come from the same snapshot.
    own_transaction = not conn.in_transaction
    if own_transaction:
        conn.execute("BEGIN")
    try:
        try:
            rows, total = _search_rows(conn, user, match, title_match, filters, sort, limit, notes, raw)
            papers = _paper_rows(conn, rows)
            if scores:
                found = _scores(conn, user, match, [r["pid"] for r in rows], notes)
                for paper, row in zip(papers, rows, strict=True):
                    paper.score = found.get(row["pid"])
        except sqlite3.OperationalError as exc:
            raise InvalidQuery(f"cannot search for {text!r}: {exc}") from None
        for paper, row in zip(papers, rows, strict=True):
            paper.snippet = _snippet(conn, user, row["pid"], paper.key, patterns, notes)
    finally:
        if own_transaction:
            conn.execute("COMMIT")
    suggestions = suggest(conn, query) if query is not None and not rows else []
    return SearchResult(total, papers, patterns, suggestions)


# Hits are gathered in temporary tables (connection-private, in memory):
# inserting them counts them, and a page is then read in index order.
_HITS = "temp.search_hits"
_TITLE_HITS = "temp.search_title_hits"


def _search_rows(
    conn: sqlite3.Connection,
    user: str,
    match: str,
    title_match: str | None,
    filters: Sequence[Filter],
    sort: str,
    limit: int | None,
    notes: bool,
    raw: bool,
) -> tuple[list[sqlite3.Row], int]:
    """The ranked hits (at most `limit`) and how many there are in all."""
    for table in (_HITS, _TITLE_HITS, _FILTERED):
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (pid INTEGER PRIMARY KEY)")
        conn.execute(f"DELETE FROM {table}")
    hits = conn.execute(f"INSERT INTO {_HITS} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (match,)).rowcount
    with_notes = notes and conn.execute(
        f"INSERT OR IGNORE INTO {_HITS} SELECT p.id FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid"
        f" JOIN papers p ON p.key IN {same_paper_sql('n.paper_key')} WHERE notes_fts MATCH ?1 AND n.user = ?2",
        (match, user),
    ).rowcount > 0
    found = _HITS
    if filters or with_notes:
        # Filtered once, and counted by the insert; notes may bring unlisted papers.
        where, params = combine(filters)
        hits = conn.execute(
            f"INSERT INTO {_FILTERED} SELECT p.id FROM {_PAPER_JOIN}"
            f" WHERE p.id IN {_HITS} AND p.listed = 1 AND {where}",
            [user, *params],
        ).rowcount
        found = _FILTERED
    title_hits = 0
    if title_match is not None and sort != "list":
        try:
            title_hits = conn.execute(
                f"INSERT INTO {_TITLE_HITS} SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (title_match,)
            ).rowcount
        except sqlite3.OperationalError:
            if not raw:
                raise
            conn.execute(f"DELETE FROM {_TITLE_HITS}")  # FTS5 syntax that a column filter cannot wrap
    list_order = next((f.order for f in filters if f.order), None)
    if sort == "relevance":
        # Title hits, then the rest: each bucket in stars order.
        buckets = [
            (_TITLE_HITS, f"p.id IN {found}", min(title_hits, hits)),
            (found, f"p.id NOT IN {_TITLE_HITS}", hits),
        ]
        rows: list[sqlite3.Row] = []
        for table, condition, size in buckets[0 if title_hits else 1 :]:
            want = None if limit is None else limit - len(rows)
            if want == 0:
                break
            rows += _hit_page(conn, user, table, condition, "p.stars DESC, p.position", "papers_listed_stars",
                              size, want, list_order)
    else:
        order = f"p.stars DESC, p.id IN {_TITLE_HITS} DESC, p.position" if sort == "stars" else "p.position"
        index = None if sort == "stars" else "papers_listed_position"
        rows = _hit_page(conn, user, found, "1", order, index, hits, limit, list_order)
    return rows, hits  # every indexed paper is listed (m004); _FILTERED holds listed ones only


_FILTERED = "temp.search_filtered_hits"


def _hit_page(
    conn: sqlite3.Connection,
    user: str,
    table: str,
    condition: str,
    order: str,
    index: str | None,
    size: int,
    limit: int | None,
    list_order: str | None,
) -> list[sqlite3.Row]:
    """One page of the papers in `table` meeting `condition`, in `order`.

    When they are dense among the papers, walking `index` in order and
    stopping at `limit` reads far fewer rows than sorting them all (for a
    phrase in 14,000 of 100,000 titles: ~150 index rows against 14,000
    lookups); when they are sparse, sorting them is cheaper.
    """
    if list_order is not None:
        order, index = order.replace("p.position", list_order), None
    if index is not None and limit is not None:
        papers = conn.execute("SELECT max(rowid) FROM papers").fetchone()[0] or 1
        if size * size < 4 * limit * papers:
            index = None
    else:
        index = None
    # Sparse, SQLite looks the set's papers up and sorts them (a join from the
    # temporary table made it first build a Bloom filter over every paper).
    source = f"papers p INDEXED BY {index}" if index is not None else "papers p"
    sql = (
        f"SELECT {_PAPER_COLUMNS} FROM {source} {status_join('?1')}"
        f" WHERE p.id IN {table} AND p.listed = 1 AND {condition} ORDER BY {order}"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return conn.execute(sql, [user]).fetchall()


def _scores(
    conn: sqlite3.Connection, user: str, match: str, paper_ids: Sequence[int], notes: bool
) -> dict[int, float]:
    """bm25 of each paper's best match (its own text or one of the user's notes); lower is better."""
    if not paper_ids:
        return {}
    weights = f"{TITLE_WEIGHT}, {BODY_WEIGHT}"
    wanted = set(paper_ids)
    # For a page, only its papers are scored; bm25 runs in the scan, so a
    # filter on rowid (kept out of the FTS5 index with `+`) spares the rest.
    only = f" AND +rowid IN ({','.join(map(str, wanted))})" if len(wanted) <= 200 else ""
    found: dict[int, float] = {}
    for pid, score in conn.execute(
        f"SELECT rowid, bm25(papers_fts, {weights}) FROM papers_fts WHERE papers_fts MATCH ?{only}", (match,)
    ):
        if pid in wanted:
            found[pid] = round(float(score), 4)
    if notes:
        for pid, score in conn.execute(
            f"WITH h AS MATERIALIZED (SELECT rowid AS note_id, bm25(notes_fts, {weights}) AS score"
            " FROM notes_fts WHERE notes_fts MATCH ?1)"
            " SELECT p.id, h.score FROM h JOIN notes n ON n.id = h.note_id"
            f" JOIN papers p ON p.key IN {same_paper_sql('n.paper_key')} WHERE n.user = ?2",
            (match, user),
        ):
            if pid in wanted:
                found[pid] = min(found.get(pid, 0.0), round(float(score), 4))
    return found


def _snippet(
    conn: sqlite3.Connection, user: str, paper_id: int, key: str, patterns: list[str], notes: bool
) -> str:
    texts = [
        r[0]
        for r in conn.execute("SELECT intro FROM entries WHERE paper_id = ? ORDER BY list_id, position", (paper_id,))
    ]
    texts += [r[0] for r in conn.execute(
        "SELECT l.text FROM links l JOIN entries e ON e.id = l.entry_id WHERE e.paper_id = ?", (paper_id,)
    )]
    if notes:
        texts += [clean(r[0]) for r in conn.execute(
            f"SELECT text FROM notes WHERE user = ?1 AND paper_key IN {same_paper_sql('?2')} ORDER BY id", (user, key)
        )]
    for text in texts:
        for pattern in patterns:
            found = re.search(pattern, text, re.IGNORECASE)
            if found:
                return _window(text, found.start(), found.end())
    return _window(texts[0], 0, 0) if texts and texts[0] else ""


def _window(text: str, start: int, end: int, width: int = 70) -> str:
    left = max(0, start - width // 3)
    right = min(len(text), max(end, left + width))
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


def suggest(conn: sqlite3.Connection, query: Query, limit: int = 3) -> list[str]:
    """Close words from the index for the query's words, for a search that found nothing."""
    import difflib

    out: list[str] = []
    for word in query.words():
        if " " in word or len(word) < 3:
            continue
        rows = conn.execute(
            "SELECT term FROM papers_vocab WHERE term BETWEEN ? AND ? AND length(term) BETWEEN ? AND ?",
            (word[0], word[0] + "\U0010ffff", len(word) - 2, len(word) + 2),
        ).fetchall()
        for candidate in difflib.get_close_matches(word, [r[0] for r in rows], n=limit, cutoff=0.75):
            if candidate not in out and candidate != word:
                out.append(candidate)
    return out[:limit]
