"""Schema layer: one function per schema step, applied by sqlite-utils' Migrations.

A shipped step is never edited; a change to the schema is a new step at the end,
decorated with `@migration`, which registers it (as llm does). `NAMES`, derived
from the registered steps, lets the store check whether a database is current
without importing sqlite-utils (see db.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from sqlite_utils import Database, Migrations

MIGRATION_SET = "llmreads"

# Every step, in the order it is applied: filled by @migration as this module runs.
STEPS: list[Callable[[Database], None]] = []


def migration(step: Callable[[Database], None]) -> Callable[[Database], None]:
    """Register a schema step; steps are applied in the order they are defined."""
    STEPS.append(step)
    return step


# unicode61 splits on punctuation; the text is folded and its CJK characters
# spaced apart before it is indexed (text.segment), so every ideograph is a token.
FTS_TOKENIZER = "unicode61 remove_diacritics 2"

# What the full-text index holds for a paper or a note (store.index.index_texts,
# text.segment), as a number kept in the file's `PRAGMA user_version`. The index
# is derived data: a change to what goes into it bumps this number, and the next
# open rebuilds papers_fts and notes_fts from the tables (store.index.rebuild),
# in the same write transaction as any pending step. No step of its own needed.
# 2: an entry's extra columns are indexed.
# 3: Traditional Chinese indexed as Simplified (text.segment).
# 4: section titles, and the parts of glued words (SpanBERT: span, bert).
# 5: a third column, the abstract of fetched metadata (store.metadata); rebuild makes the table anew.
INDEX_VERSION = 5


@migration
def m001_initial(db: Database) -> None:
    db.executescript(
        f"""
        CREATE TABLE lists (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            source TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            updated TEXT,
            imported_at TEXT NOT NULL
        );
        CREATE TABLE sections (
            id INTEGER PRIMARY KEY,
            list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
            number TEXT NOT NULL,
            parent TEXT,
            title TEXT NOT NULL,
            title_raw TEXT NOT NULL,
            position INTEGER NOT NULL,
            UNIQUE (list_id, number)
        );
        CREATE TABLE papers (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            short_id TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            title_raw TEXT NOT NULL,
            url TEXT NOT NULL,
            arxiv TEXT,
            stars INTEGER NOT NULL DEFAULT 0,
            position INTEGER NOT NULL DEFAULT 0,
            listed INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX papers_arxiv ON papers(arxiv);
        CREATE INDEX papers_listed_position ON papers(listed, position);
        CREATE INDEX papers_listed_stars ON papers(listed, stars, position);
        CREATE TABLE entries (
            id INTEGER PRIMARY KEY,
            list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
            section_id INTEGER NOT NULL REFERENCES sections(id) ON DELETE CASCADE,
            paper_id INTEGER NOT NULL REFERENCES papers(id),
            position INTEGER NOT NULL,
            number INTEGER,
            stars INTEGER NOT NULL,
            title TEXT NOT NULL,
            title_raw TEXT NOT NULL,
            url TEXT NOT NULL,
            intro TEXT NOT NULL,
            intro_raw TEXT NOT NULL,
            line INTEGER NOT NULL
        );
        CREATE INDEX entries_paper ON entries(paper_id);
        CREATE INDEX entries_section ON entries(section_id, paper_id);
        CREATE INDEX entries_list ON entries(list_id, position);
        CREATE TABLE links (
            id INTEGER PRIMARY KEY,
            entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            text TEXT NOT NULL,
            url TEXT NOT NULL
        );
        CREATE INDEX links_entry ON links(entry_id);
        CREATE TABLE statuses (
            user TEXT NOT NULL,
            paper_key TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('unread', 'reading', 'read')),
            updated_at TEXT NOT NULL,
            PRIMARY KEY (user, paper_key)
        );
        CREATE INDEX statuses_paper ON statuses(paper_key, user);
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            user TEXT NOT NULL,
            paper_key TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX notes_user_paper ON notes(user, paper_key);
        CREATE VIRTUAL TABLE papers_fts USING fts5(title, body, tokenize='{FTS_TOKENIZER}');
        CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, tokenize='{FTS_TOKENIZER}');
        CREATE VIRTUAL TABLE papers_vocab USING fts5vocab(papers_fts, 'row');
        """
    )


@migration
def m002_entry_fields(db: Database) -> None:
    # Fields from lists other than the seed: a year column, and the columns
    # the parser has no role for, kept as a JSON array of [header, value].
    db.execute("ALTER TABLE entries ADD COLUMN year TEXT")
    db.execute("ALTER TABLE entries ADD COLUMN extra TEXT NOT NULL DEFAULT '[]'")


@migration
def m003_compact_raw_text(db: Database) -> None:
    # The *_raw columns keep a document's original text; most of it equals the
    # display form, so '' now stands for "the same as the display column".
    db.execute("UPDATE entries SET title_raw = '' WHERE title_raw = title")
    db.execute("UPDATE entries SET intro_raw = '' WHERE intro_raw = intro")
    db.execute("UPDATE papers SET title_raw = '' WHERE title_raw = title")
    db.execute("CREATE INDEX papers_listed_title ON papers(listed, title COLLATE NOCASE, position)")


@migration
def m004_index_listed_only(db: Database) -> None:
    # A paper no list holds any more is never a search hit, so it keeps no
    # index row; then a search's total is FTS5's own (fast) count.
    db.execute("DELETE FROM papers_fts WHERE rowid IN (SELECT id FROM papers WHERE listed = 0)")


@migration
def m005_contentless_index(db: Database) -> None:
    import json  # only this step reads JSON, and every process imports this module

    # The index keeps no copy of the text (store.index.IndexedText supplies the old
    # text when a row changes): a fifth of the database. Search reads pages in
    # (stars DESC, position) order from an index; an arXiv id is found by key.
    for statement in (  # one by one: executescript would commit the migration's transaction
        "DROP TABLE papers_vocab",
        "DROP TABLE papers_fts",
        f"CREATE VIRTUAL TABLE papers_fts USING fts5(title, body, content='', tokenize='{FTS_TOKENIZER}')",
        "CREATE VIRTUAL TABLE papers_vocab USING fts5vocab(papers_fts, 'row')",
        "DROP INDEX papers_listed_stars",
        "CREATE INDEX papers_listed_stars ON papers(listed, stars DESC, position)",
        "DROP INDEX papers_arxiv",
    ):
        db.execute(statement)
    _m005_index_papers(db.conn, [r[0] for r in db.execute("SELECT id FROM papers WHERE listed = 1")])
    # Entries keep what is shown of them; what they said as written (for the
    # changes a re-import reports) becomes a 64-bit digest, and a title equal to
    # the paper's is '' (the import keeps that true).
    db.execute("ALTER TABLE entries ADD COLUMN digest INTEGER NOT NULL DEFAULT 0")
    links: dict[int, list[tuple[str, str]]] = {}
    for entry_id, text, url in db.execute("SELECT entry_id, text, url FROM links ORDER BY entry_id, position"):
        links.setdefault(entry_id, []).append((text, url))
    digests = [
        (_m005_content_digest(number, title, url, intro, year, json.loads(extra or "[]"), links.get(entry_id, [])),
         entry_id)
        for entry_id, number, title, url, intro, year, extra in db.execute(
            "SELECT id, number, coalesce(nullif(title_raw, ''), title), url, coalesce(nullif(intro_raw, ''), intro),"
            " year, extra FROM entries"
        ).fetchall()
    ]
    db.conn.executemany("UPDATE entries SET digest = ? WHERE id = ?", digests)
    db.execute("UPDATE entries SET title = '' WHERE title = (SELECT title FROM papers WHERE id = entries.paper_id)")
    for column in ("title_raw", "intro_raw", "url"):
        db.execute(f"ALTER TABLE entries DROP COLUMN {column}")


@migration
def m006_note_ids(db: Database) -> None:
    # A note number is never given again once deleted (AUTOINCREMENT), so that
    # `note edit 3` cannot reach a newer note; and every note gets a random UUID
    # that stays with it from one database to another, which user-data merges by.
    # The table is rebuilt with the same ids, so notes_fts (rowid = note id) stays as it is.
    for statement in (  # one by one: executescript would commit the migration's transaction
        f"""CREATE TABLE notes_new (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user TEXT NOT NULL,
            paper_key TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            uuid TEXT NOT NULL UNIQUE DEFAULT ({_UUID4_SQL})
        )""",
        # Each existing note gets its UUID from the default, row by row.
        "INSERT INTO notes_new (id, user, paper_key, text, created_at, updated_at)"
        " SELECT id, user, paper_key, text, created_at, updated_at FROM notes ORDER BY id",
        "DROP TABLE notes",
        "ALTER TABLE notes_new RENAME TO notes",
        "CREATE INDEX notes_user_paper ON notes(user, paper_key)",
        # Numbers already handed out, as far as they can still be known: the notes and their index rows.
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'notes', 0"
        " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'notes')",
        "UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT max(id) FROM notes), 0),"
        " coalesce((SELECT max(rowid) FROM notes_fts), 0)) WHERE name = 'notes'",
    ):
        db.execute(statement)


@migration
def m007_key_aliases(db: Database) -> None:
    # A paper whose key changed (a new link in a list update, later an arXiv id
    # learned or two URLs found to be one paper) keeps its old key as an alias:
    # user data stays under the key it was written with and is read through
    # every key of the paper (llmreads.aliases). Each alias points straight at
    # the paper's current key, which is never an alias itself: no chains, no cycles.
    for statement in (  # one by one: executescript would commit the migration's transaction
        "CREATE TABLE key_aliases (alias TEXT PRIMARY KEY, key TEXT NOT NULL, CHECK (alias != key)) WITHOUT ROWID",
        "CREATE INDEX key_aliases_key ON key_aliases(key, alias)",
        # Every key that shares its paper with another key: a lookup in it is
        # all an unaliased key costs a query.
        "CREATE VIEW aliased_keys(key) AS SELECT alias FROM key_aliases UNION SELECT key FROM key_aliases",
        # Every other key of the same paper, for each key that has any.
        "CREATE VIEW key_peers(key, peer) AS"
        " SELECT key, alias FROM key_aliases"
        " UNION ALL SELECT alias, key FROM key_aliases"
        " UNION ALL SELECT a.alias, b.alias FROM key_aliases a"
        " JOIN key_aliases b ON b.key = a.key AND b.alias != a.alias",
        # An import names the user data left on papers no list holds; found by paper, not by user.
        "CREATE INDEX notes_paper ON notes(paper_key)",
    ):
        db.execute(statement)


@migration
def m008_library(db: Database) -> None:
    # The reader's own library. Metadata fetched from arXiv or Crossref lives
    # apart from the curated fields, keyed by paper key, so that an import
    # (which rewrites papers and entries) never erases it; `arxiv` there is an
    # arXiv id learned later (edit --arxiv, a DOI's preprint), which `open` prefers.
    # A list with an owner is a user's own (llmreads add): an import never
    # replaces it, and remove-list asks for --force.
    for statement in (  # one by one: executescript would commit the migration's transaction
        """CREATE TABLE paper_metadata (
            key TEXT PRIMARY KEY,
            title TEXT,
            authors TEXT NOT NULL DEFAULT '[]',
            year INTEGER,
            published TEXT,
            abstract TEXT,
            primary_category TEXT,
            doi TEXT,
            journal_ref TEXT,
            arxiv TEXT,
            source TEXT NOT NULL,
            fetched_at TEXT
        ) WITHOUT ROWID""",
        "CREATE INDEX paper_metadata_doi ON paper_metadata(lower(doi))",
        "CREATE INDEX paper_metadata_arxiv ON paper_metadata(arxiv)",
        "ALTER TABLE lists ADD COLUMN owner TEXT",
    ):
        db.execute(statement)


@migration
def m009_tags_ratings_history(db: Database) -> None:
    # A user's own tags, star ratings and the history of their status changes:
    # user data like statuses and notes, kept under the paper key it was written
    # with and read through every key of the paper (llmreads.aliases). A history
    # event has a random UUID that stays with it from one database to another
    # (user-data merges by it). Each existing status seeds the history with one
    # event, at the time it was recorded.
    for statement in (  # one by one: executescript would commit the migration's transaction
        "CREATE TABLE tags (user TEXT NOT NULL, paper_key TEXT NOT NULL, tag TEXT NOT NULL,"
        " tagged_at TEXT NOT NULL, PRIMARY KEY (user, paper_key, tag)) WITHOUT ROWID",
        "CREATE INDEX tags_user_tag ON tags(user, tag, paper_key)",
        "CREATE INDEX tags_paper ON tags(paper_key)",
        "CREATE TABLE ratings (user TEXT NOT NULL, paper_key TEXT NOT NULL,"
        " stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5), updated_at TEXT NOT NULL,"
        " PRIMARY KEY (user, paper_key))",
        "CREATE INDEX ratings_paper ON ratings(paper_key)",
        f"""CREATE TABLE status_history (
            event_id TEXT PRIMARY KEY NOT NULL DEFAULT ({_M009_UUID4_SQL}),
            user TEXT NOT NULL,
            paper_key TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('unread', 'reading', 'read')),
            at TEXT NOT NULL,
            UNIQUE (user, paper_key, status, at)
        )""",
        "CREATE INDEX status_history_user_at ON status_history(user, at)",
        "CREATE INDEX status_history_paper ON status_history(paper_key, user)",
        # Each event gets its UUID from the default, row by row.
        "INSERT INTO status_history (user, paper_key, status, at)"
        " SELECT user, paper_key, status, updated_at FROM statuses ORDER BY updated_at, rowid",
    ):
        db.execute(statement)


# m009's copy of the random UUID in SQL (m006's _UUID4_SQL, frozen for this step).
_M009_UUID4_SQL = (
    "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'"
    " || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
)

# A random (version 4) UUID in SQL, so that a note written without one (by any
# code that predates the column) still gets one. randomblob is SQLite's CSPRNG.
_UUID4_SQL = (
    "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'"
    " || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
)


@migration
def m010_entry_sources(db: Database) -> None:
    # Per entry, a digest of the table row it was read from in its context (parse.reuse) and one of the
    # identity the parser gave it (key, arXiv id, URL, raw title, title; its lowest bit: a paper URL):
    # a re-import takes the entry of a row found again instead of reading it. NULL: read again.
    db.execute("ALTER TABLE entries ADD COLUMN source INTEGER")
    db.execute("ALTER TABLE entries ADD COLUMN ident INTEGER")
    # What decided the columns of each table of a list (the counts of its first rows' cells, those rows'
    # digests), by a digest of its section and header: a re-import weighs only the rows that changed.
    db.execute(
        "CREATE TABLE table_columns (list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,"
        " key INTEGER NOT NULL, counts TEXT NOT NULL, sample BLOB NOT NULL, PRIMARY KEY (list_id, key))"
    )


@migration
def m011_list_named_by(db: Database) -> None:
    # What gave a list its name: 'option' (--name), 'title' (the document's title) or 'stem' (the file's stem,
    # for a document without a title); an import whose --name is what the document would give records that.
    # A re-import of the same bytes then knows the list without parsing the document for its title (the
    # same bytes give the same title). NULL: imported before this step, decided by parsing as before.
    db.execute("ALTER TABLE lists ADD COLUMN named_by TEXT CHECK (named_by IN ('option', 'title', 'stem'))")


@migration
def m012_paper_identity(db: Database) -> None:
    # Per paper, 64 bits of a digest of its names as a re-import checks an entry's identity against them (key,
    # arXiv id, URL, raw title, title; the lowest bit 0), written by the import that names the paper: the
    # entries a re-import may take are then checked in SQL. Any other change to those names (another tool,
    # code that predates the column, a paper renamed from another list) makes it NULL through the trigger,
    # and NULL is checked the slow way, from the names themselves.
    db.execute("ALTER TABLE papers ADD COLUMN ident INTEGER")
    db.execute(
        "CREATE TRIGGER papers_names_changed AFTER UPDATE OF key, title, title_raw, url, arxiv ON papers"
        " WHEN new.ident IS old.ident BEGIN UPDATE papers SET ident = NULL WHERE id = new.id; END"
    )


@migration
def m013_entry_lines(db: Database) -> None:
    # The line each entry was read from moves out of the entries into one row per list (store.lines): the
    # entries' ids and lines in the list's order, each as steps from the one before, compressed. A re-import
    # that kept its rows in place rewrote every row below a row added or removed, only for its line.
    db.execute(
        "CREATE TABLE list_lines (list_id INTEGER PRIMARY KEY REFERENCES lists(id) ON DELETE CASCADE,"
        " entries BLOB NOT NULL, lines BLOB NOT NULL)"
    )
    lists = [row[0] for row in db.execute("SELECT id FROM lists WHERE owner IS NULL ORDER BY id").fetchall()]
    for list_id in lists:
        rows = db.execute("SELECT id, line FROM entries WHERE list_id = ? ORDER BY position, id", [list_id]).fetchall()
        if rows:
            db.execute("INSERT INTO list_lines VALUES (?, ?, ?)",
                       [list_id, _m013_pack([row[0] for row in rows]), _m013_pack([row[1] for row in rows])])
    db.execute("ALTER TABLE entries DROP COLUMN line")


@migration
def m014_metadata_rows(db: Database) -> None:
    # Fetched metadata moves to a table with rowids. WITHOUT ROWID keeps a row in its key's b-tree, whose
    # cells hold at most ~1 KB of a 4 KB page: an abstract (1 to 2 KB) put the rest of each row on an
    # overflow page of its own. With an abstract for each of 100,000 papers that was 88,700 overflow pages,
    # 400 MB of the file's 531, and a page of search hits read ~15 pages a paper for its snippet; in a table
    # with rowids a row fits its page: the file is 294 MB.
    for statement in (  # one by one: executescript would commit the migration's transaction
        """CREATE TABLE paper_metadata_rows (
            key TEXT PRIMARY KEY,
            title TEXT,
            authors TEXT NOT NULL DEFAULT '[]',
            year INTEGER,
            published TEXT,
            abstract TEXT,
            primary_category TEXT,
            doi TEXT,
            journal_ref TEXT,
            arxiv TEXT,
            source TEXT NOT NULL,
            fetched_at TEXT
        )""",
        "INSERT INTO paper_metadata_rows SELECT key, title, authors, year, published, abstract, primary_category,"
        " doi, journal_ref, arxiv, source, fetched_at FROM paper_metadata ORDER BY key",
        "DROP TABLE paper_metadata",
        "ALTER TABLE paper_metadata_rows RENAME TO paper_metadata",
        "CREATE INDEX paper_metadata_doi ON paper_metadata(lower(doi))",
        "CREATE INDEX paper_metadata_arxiv ON paper_metadata(arxiv)",
    ):
        db.execute(statement)


# ---------------------------------------------------------------- frozen code of shipped steps
# What a step ran of the store, copied as it was when the step shipped: the
# store may change, a shipped step must go on doing what it did. Never edit
# these; a later step that needs such code copies its own.
#
# m005's copies, from store.index and store.importer. Their text goes through
# text.segment, the one form in which every index row is written and every
# query matched: a change to it changes every row, and needs a step of its own
# that rebuilds papers_fts and notes_fts.

_M005_LINK_TEXTS = (
    "SELECT e.paper_id, e.list_id, e.position, l.position AS link_position, l.text"
    " FROM links l JOIN entries e ON e.id = l.entry_id"
)


def _m005_index_texts(
    conn: sqlite3.Connection,
    paper_ids: Sequence[int],
    entries: str = "entries",
    links: str = f"({_M005_LINK_TEXTS})",
    params: dict[str, object] | None = None,
) -> dict[int, tuple[str, str]]:
    from llmreads.text import segment

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


def _m005_index_papers(conn: sqlite3.Connection, paper_ids: Sequence[int]) -> None:
    from llmreads.text import segment

    ids = list(paper_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        listed = [r[0] for r in conn.execute(f"SELECT id FROM papers WHERE id IN ({marks}) AND +listed = 1", chunk)]
        conn.executemany(
            "INSERT INTO papers_fts (rowid, title, body) VALUES (?, ?, ?)",
            [(pid, segment(title), body) for pid, (title, body) in _m005_index_texts(conn, listed).items()],
        )


def _m005_content_digest(
    number: int | None, title_raw: str, url: str, intro_raw: str, year: str | None,
    extra: Sequence[Sequence[str]], links: Sequence[Sequence[str]],
) -> int:
    import hashlib

    data = repr((number, title_raw, url, intro_raw, year, tuple(map(tuple, extra)), tuple(map(tuple, links))))
    return int.from_bytes(
        hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big", signed=True
    )


# m013's copy, from store.lines.


def _m013_pack(values: Sequence[int]) -> bytes:
    import sys
    import zlib
    from array import array
    from operator import sub

    steps = array("q", values[:1])
    steps.extend(map(sub, values[1:], values[:-1]))
    if sys.byteorder != "little":
        steps.byteswap()
    return zlib.compress(steps.tobytes(), 1)


def migrations() -> Migrations:
    from sqlite_utils import Migrations

    steps = Migrations(MIGRATION_SET)
    for step in STEPS:
        steps()(step)
    return steps


# Last, once every step above has registered itself.
NAMES = tuple(step.__name__ for step in STEPS)

