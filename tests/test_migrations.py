"""Opening database files: the schema of a new one, and refusing files that are not ours."""

from __future__ import annotations

import re
import sqlite3
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from helpers import import_text, snapshot
from llmreads import migrations
from llmreads.db import open_db
from llmreads.errors import DatabaseError
from llmreads.store.base import transaction
from llmreads.store.notes import add_note, delete_note
from llmreads.store.papers import paper_detail, resolve_ref
from llmreads.store.search import search

EXPECTED_TABLES = {
    "lists",
    "sections",
    "papers",
    "entries",
    "links",
    "statuses",
    "notes",
    "papers_fts",
    "notes_fts",
    "key_aliases",
    "paper_metadata",
    "tags",
    "ratings",
    "status_history",
}
EXPECTED_INDEXES = {
    "papers_listed_position",
    "papers_listed_stars",
    "entries_paper",
    "entries_section",
    "entries_list",
    "links_entry",
    "statuses_paper",
    "notes_user_paper",
    "key_aliases_key",
    "notes_paper",
    "paper_metadata_doi",
    "paper_metadata_arxiv",
    "tags_user_tag",
    "tags_paper",
    "ratings_paper",
    "status_history_user_at",
    "status_history_paper",
}
EXPECTED_VIEWS = {"aliased_keys", "key_peers"}


def names(conn: sqlite3.Connection, kind: str) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))}


def applied(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT migration_set, name FROM _sqlite_migrations ORDER BY rowid").fetchall()
    finally:
        conn.close()


def test_every_step_function_is_registered_once_in_order():
    # Both ways: a step function left without @migration, or a name with no
    # function, or NAMES computed before the last step registered, fails here.
    functions = {
        name: value for name, value in vars(migrations).items() if re.fullmatch(r"m\d+_.*", name) and callable(value)
    }
    registered = [step.__name__ for step in migrations.STEPS]
    assert sorted(functions) == sorted(registered)
    assert all(functions[step.__name__] is step for step in migrations.STEPS)
    assert migrations.NAMES == tuple(registered)
    assert len(set(migrations.NAMES)) == len(migrations.NAMES)
    # Numbered from m001 up, each number once, and registered in the order they are written. (A number
    # may be skipped: steps are numbered when work on them starts, and m009 was written before m008 landed.)
    assert all(re.fullmatch(r"m\d{3}_[a-z0-9_]+", name) for name in migrations.NAMES), migrations.NAMES
    numbers = [int(name[1:4]) for name in migrations.NAMES]
    assert numbers[0] == 1 and numbers == sorted(set(numbers)), numbers
    lines = [step.__code__.co_firstlineno for step in migrations.STEPS]
    assert lines == sorted(lines)
    assert migrations.NAMES[0] == "m001_initial"
    assert migrations.MIGRATION_SET == "llmreads"


def test_migrations_run_no_live_store_code():
    # A shipped step keeps a frozen copy of what it runs, so a later change to the store cannot change it.
    # text.segment is the one form of every index row and query: a change to it needs a step of its own.
    import ast

    tree = ast.parse(Path(migrations.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    ours = {name for name in imported if name and name.split(".")[0] == "llmreads"}
    assert ours == {"llmreads.text"}


def test_names_are_known_without_sqlite_utils():
    # db.py decides whether a migration is pending from NAMES alone, so an
    # ordinary start never imports sqlite-utils.
    code = "import sys, llmreads.migrations as m; assert m.NAMES; print('sqlite_utils' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "False\n"), done.stderr


def test_blank_database_gets_the_schema(db_path):
    conn = open_db(db_path)
    tables = names(conn, "table")
    assert EXPECTED_TABLES <= tables
    assert "_sqlite_migrations" in tables
    indexes = {name for name in names(conn, "index") if not name.startswith("sqlite_autoindex")}
    assert EXPECTED_INDEXES <= indexes
    virtual = {
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        )
    }
    assert {"papers_fts", "notes_fts"} <= virtual
    assert EXPECTED_VIEWS <= names(conn, "view")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    tables = ("lists", "papers", "entries", "statuses", "notes", "key_aliases", "tags", "ratings", "status_history")
    for table in tables:
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    conn.close()
    assert applied(db_path) == [("llmreads", name) for name in migrations.NAMES]


def _schema_script():  # type: ignore[no-untyped-def]
    import importlib.util

    from helpers import ROOT

    spec = importlib.util.spec_from_file_location("schema_script", ROOT / "scripts" / "schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def everything_in(path: Path) -> dict[str, object]:
    """A database file's objects, every row of every table (full-text shadow tables too), the steps recorded as
    applied (not when) and the index version: what must be the same however the file was made."""
    conn = sqlite3.connect(path)
    try:
        objects = sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(), key=repr)
        tables = [name for kind, name, _table, sql in objects if kind == "table" and "VIRTUAL" not in (sql or "")]
        found: dict[str, object] = {"objects": objects, "user_version": conn.execute("PRAGMA user_version").fetchone()}
        for name in tables:
            columns = "migration_set, name" if name == "_sqlite_migrations" else "*"
            found[name] = sorted(conn.execute(f'SELECT {columns} FROM "{name}"').fetchall(), key=repr)
        found["steps in order"] = conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id").fetchall()
        return found
    finally:
        conn.close()


def test_a_new_database_is_what_every_step_makes_of_an_empty_file(tmp_path):
    script = _schema_script()
    script.migrated_step_by_step(tmp_path / "steps.db").close()
    open_db(tmp_path / "new.db").close()
    made, stepped = everything_in(tmp_path / "new.db"), everything_in(tmp_path / "steps.db")
    assert made.keys() == stepped.keys()
    for part in made:
        assert made[part] == stepped[part], part
    assert made["steps in order"] == [(name,) for name in migrations.NAMES]


def test_schema_py_is_what_the_steps_make_now():
    from helpers import ROOT

    current = (ROOT / "src" / "llmreads" / "schema.py").read_text(encoding="utf-8")
    assert current == _schema_script().render(), "run python scripts/schema.py after adding a step"


def test_a_step_newer_than_schema_py_is_applied_after_it(tmp_path, monkeypatch):
    from llmreads import db

    def m999_later(database):  # type: ignore[no-untyped-def]
        database.execute("CREATE TABLE later (id INTEGER PRIMARY KEY)")

    monkeypatch.setattr(migrations, "STEPS", [*migrations.STEPS, m999_later])
    monkeypatch.setattr(db, "NAMES", (*migrations.NAMES, "m999_later"))
    conn = open_db(tmp_path / "new.db")
    assert "later" in names(conn, "table") and EXPECTED_TABLES <= names(conn, "table")
    conn.close()
    assert applied(tmp_path / "new.db") == [("llmreads", name) for name in (*migrations.NAMES, "m999_later")]


def test_a_schema_py_that_is_not_the_first_steps_is_not_used(tmp_path, monkeypatch):
    from llmreads import db, schema

    monkeypatch.setattr(schema, "STATEMENTS", ("CREATE TABLE wrong (id INTEGER)",))
    monkeypatch.setattr(schema, "STEPS", ("m001_other", *schema.STEPS[1:]))
    conn = open_db(tmp_path / "new.db")
    assert "wrong" not in names(conn, "table") and EXPECTED_TABLES <= names(conn, "table")
    conn.close()
    assert applied(tmp_path / "new.db") == [("llmreads", name) for name in migrations.NAMES]
    assert db.NAMES == migrations.NAMES


def test_missing_parent_directories_are_created(tmp_path):
    path = tmp_path / "a" / "b" / "llmreads.db"
    open_db(path).close()
    assert path.is_file()


def test_new_database_file_is_private(db_path):
    open_db(db_path).close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_opening_twice_is_harmless(db_path, seed_text):
    conn = open_db(db_path)
    import_text(conn, seed_text)
    conn.close()
    before = snapshot(db_path)
    again = open_db(db_path)
    assert again.execute("SELECT count(*) FROM papers").fetchone()[0] == 118
    again.close()
    third = open_db(db_path)
    third.close()
    assert snapshot(db_path) == before
    assert applied(db_path) == [("llmreads", name) for name in migrations.NAMES]


def test_two_connections_at_once(db_path, seed_text):
    first = open_db(db_path)
    second = open_db(db_path)
    import_text(first, seed_text)
    assert second.execute("SELECT count(*) FROM papers").fetchone()[0] == 118
    first.close()
    second.close()


def test_unknown_newer_migration_is_refused_and_file_untouched(db_path):
    open_db(db_path).close()
    raw = sqlite3.connect(db_path)
    raw.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('llmreads', 'm999_future', 'x')"
    )
    raw.commit()
    raw.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseError, match="m999_future"):
        open_db(db_path)
    assert db_path.read_bytes() == before


def test_text_file_is_refused_and_untouched(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a database\n")
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="not an SQLite database"):
        open_db(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_directory_is_refused(tmp_path):
    with pytest.raises(DatabaseError, match="directory"):
        open_db(tmp_path)


def test_other_sqlite_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    raw.execute("INSERT INTO customers (name) VALUES ('x')")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="not an llmreads"):
        open_db(path)
    assert path.read_bytes() == before


def test_other_apps_sqlite_utils_migrations_are_not_ours(tmp_path):
    # Another tool that also uses sqlite-utils migrations has a _sqlite_migrations
    # table, but none of its rows belong to the llmreads migration set.
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute(
        "CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set TEXT, name TEXT, applied_at TEXT)"
    )
    raw.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('otherapp', 'm001', 'x')")
    raw.execute("CREATE TABLE stuff (a)")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError):
        open_db(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("size", [100, 1000, 4096, 8192, 20000])
def test_truncated_database_is_refused_and_untouched(db_path, seed_text, tmp_path, size):
    conn = open_db(db_path)
    import_text(conn, seed_text)
    conn.close()
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(db_path.read_bytes()[:size])
    before = truncated.read_bytes()
    with pytest.raises(DatabaseError):
        open_db(truncated)
    assert truncated.read_bytes() == before


def test_empty_file_becomes_a_database(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    conn = open_db(path)
    assert EXPECTED_TABLES <= names(conn, "table")
    conn.close()


def test_first_schema_database_is_upgraded_intact(tmp_path):
    # tests/fixtures/schema-v1.db was written by the m001-only code: alice read two papers and is
    # reading one, with notes on two; bob read one, with a note.
    original = Path(__file__).parent / "fixtures" / "schema-v1.db"
    pristine = original.read_bytes()
    path = tmp_path / "v1.db"
    path.write_bytes(pristine)
    before = sqlite3.connect(path)
    statuses = sorted(before.execute("SELECT user, paper_key, status FROM statuses").fetchall())
    notes = sorted(before.execute("SELECT user, paper_key, text FROM notes").fetchall())
    before.close()
    assert len(statuses) == 4 and len(notes) == 3

    conn = open_db(path)
    assert sorted(tuple(r) for r in conn.execute("SELECT user, paper_key, status FROM statuses")) == statuses
    assert sorted(tuple(r) for r in conn.execute("SELECT user, paper_key, text FROM notes")) == notes
    assert conn.execute("SELECT count(*) FROM papers WHERE listed = 1").fetchone()[0] == 118
    # m005 rebuilt the search index without its copy of the text; it finds what it found.
    assert "papers_fts_content" not in names(conn, "table")
    assert {p.title for p in search(conn, "alice", "lora").papers} == {
        "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS",
        "Scaling Down to Scale Up: A Guide to Parameter-Efficient Fine-Tuning",
    }
    assert search(conn, "alice", "微调", exact=True).total == 11
    assert paper_detail(conn, "alice", resolve_ref(conn, "2106.09685")).id == "50f228"
    conn.close()
    assert applied(path) == [("llmreads", name) for name in migrations.NAMES]
    assert original.read_bytes() == pristine


def test_database_of_schema_v4_upgrades_and_sees_the_same_list_as_unchanged(tmp_path, seed_text):
    # tests/fixtures/schema-v4.db was written by the m001-m004 code from the seed,
    # with alice's status and note on LoRA. m005 turned what entries said into
    # digests: the import that follows must find every paper unchanged.
    path = tmp_path / "v4.db"
    path.write_bytes((Path(__file__).parent / "fixtures" / "schema-v4.db").read_bytes())
    conn = open_db(path)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(entries)")}
    assert {"digest", "title", "intro"} <= columns and not {"title_raw", "intro_raw", "url"} & columns
    assert [p.title for p in search(conn, "alice", "quokka").papers] == [LORA_TITLE]
    report = import_text(conn, seed_text.replace("\n", "\n\n", 1))  # other bytes, same papers
    assert not report.skipped
    assert (report.unchanged, report.added, report.updated, report.removed) == (118, [], [], [])
    lora = paper_detail(conn, "alice", resolve_ref(conn, "lora"))
    assert [e.title for e in lora.entries] == [LORA_TITLE]
    assert lora.status == "read"
    conn.close()


LORA_TITLE = "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"


def test_notes_keep_their_numbers_get_uuids_and_numbers_are_never_given_again(tmp_path, seed_text):
    # A database as m001-m005 left it, with a gap where a note was deleted (numbers 3 and 4).
    from sqlite_utils import Database

    from llmreads.text import segment

    path = tmp_path / "v5.db"
    db = Database(path)
    migrations.migrations().apply(db, stop_before="m006_note_ids")
    db.conn.close()
    conn = sqlite3.connect(path)
    written = [
        (1, "alice", "arxiv:2106.09685", "quokka adapters", "2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00"),
        (2, "bob", "arxiv:2106.09685", "quokka for bob", "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00"),
        (5, "alice", "url:example.com/gone", "on a paper no list holds", "2024-01-03T00:00:00+00:00",
         "2024-01-03T00:00:00+00:00"),
    ]
    conn.executemany(
        "INSERT INTO notes (id, user, paper_key, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", written
    )
    conn.executemany(
        "INSERT INTO notes_fts (rowid, title, body) VALUES (?, '', ?)", [(r[0], segment(r[3])) for r in written]
    )
    conn.commit()
    conn.close()

    conn = open_db(path)
    assert ("llmreads", "m006_note_ids") in applied(path)
    rows = conn.execute(
        "SELECT id, user, paper_key, text, created_at, updated_at, uuid FROM notes ORDER BY id"
    ).fetchall()
    assert [tuple(r)[:6] for r in rows] == written
    uuids = [r["uuid"] for r in rows]
    assert len(set(uuids)) == 3 and all(str(uuid.UUID(u)) == u and uuid.UUID(u).version == 4 for u in uuids)
    assert dict(conn.execute("SELECT rowid, body FROM notes_fts").fetchall()) == {r[0]: segment(r[3]) for r in written}
    assert "notes_user_paper" in names(conn, "index")
    import_text(conn, seed_text)
    assert [p.key for p in search(conn, "alice", "quokka").papers] == ["arxiv:2106.09685"]
    lora = resolve_ref(conn, "lora")
    assert add_note(conn, "alice", lora, "after the upgrade") == 6
    delete_note(conn, "alice", 6)
    assert add_note(conn, "alice", lora, "and again") == 7
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO notes (user, paper_key, text, created_at, updated_at, uuid) VALUES ('x', 'k', 't', '', '', ?)",
            (uuids[0],),
        )
    conn.close()


def test_a_first_schema_database_upgrades_its_notes_with_their_numbers(tmp_path):
    path = tmp_path / "v1.db"
    path.write_bytes((Path(__file__).parent / "fixtures" / "schema-v1.db").read_bytes())
    before = sqlite3.connect(path)
    notes = sorted(before.execute("SELECT id, user, paper_key, text, created_at, updated_at FROM notes").fetchall())
    before.close()
    conn = open_db(path)
    after = conn.execute("SELECT id, user, paper_key, text, created_at, updated_at, uuid FROM notes ORDER BY id")
    rows = [tuple(r) for r in after]
    assert [r[:6] for r in rows] == notes and len({r[6] for r in rows}) == len(notes) == 3
    sequence = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'notes'").fetchone()[0]
    assert sequence == max(n[0] for n in notes)
    conn.close()


def test_a_note_written_without_a_uuid_gets_a_random_one(db_path):
    # As code written before the column does (another process of an older llmreads, a script).
    open_db(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.executemany(
        "INSERT INTO notes (user, paper_key, text, created_at, updated_at) VALUES ('a', 'k', ?, '', '')",
        [(str(i),) for i in range(200)],
    )
    values = [row[0] for row in conn.execute("SELECT uuid FROM notes")]
    conn.close()
    assert len(set(values)) == 200
    assert all(str(uuid.UUID(v)) == v and uuid.UUID(v).version == 4 for v in values)
    assert {uuid.UUID(v).variant for v in values} == {uuid.RFC_4122}


def test_key_aliases_step_on_a_database_with_user_data(tmp_path):
    # m007 adds the alias table to a database that has a list, statuses and notes, and
    # changes none of them; reading through an alias works at once; opening again is harmless.
    path = tmp_path / "v4.db"
    path.write_bytes((Path(__file__).parent / "fixtures" / "schema-v4.db").read_bytes())
    raw = sqlite3.connect(path)
    statuses = raw.execute("SELECT rowid, * FROM statuses ORDER BY rowid").fetchall()
    notes = raw.execute("SELECT rowid, * FROM notes ORDER BY rowid").fetchall()
    raw.close()
    conn = open_db(path)
    assert "key_aliases" in names(conn, "table") and EXPECTED_VIEWS <= names(conn, "view")
    assert conn.execute("SELECT count(*) FROM key_aliases").fetchone()[0] == 0
    assert [tuple(r) for r in conn.execute("SELECT rowid, * FROM statuses ORDER BY rowid")] == statuses
    columns = "rowid, id, user, paper_key, text, created_at, updated_at"  # m006 (before m007) adds uuid
    assert [tuple(r) for r in conn.execute(f"SELECT {columns} FROM notes ORDER BY rowid")] == notes
    from llmreads import aliases

    with transaction(conn):
        aliases.add_alias(conn, "arxiv:2106.09685", "url:example.org/lora")
    assert conn.execute("SELECT count(*) FROM papers WHERE key = 'url:example.org/lora'").fetchone()[0] == 0
    lora = paper_detail(conn, "alice", resolve_ref(conn, "url:example.org/lora"))
    assert (lora.id, lora.status) == ("50f228", "read")
    conn.close()
    before = snapshot(path)
    open_db(path).close()
    assert snapshot(path) == before
    assert applied(path) == [("llmreads", name) for name in migrations.NAMES]


def test_library_step_on_a_database_with_user_data(tmp_path):
    # m008 adds the metadata table and the lists' owner to a database with a list, statuses and
    # notes; the list it had is nobody's own (a curated list), and nothing else changes.
    path = tmp_path / "v4.db"
    path.write_bytes((Path(__file__).parent / "fixtures" / "schema-v4.db").read_bytes())
    raw = sqlite3.connect(path)
    statuses = raw.execute("SELECT rowid, * FROM statuses ORDER BY rowid").fetchall()
    lists = raw.execute("SELECT * FROM lists ORDER BY id").fetchall()
    raw.close()
    conn = open_db(path)
    assert "paper_metadata" in names(conn, "table")
    assert conn.execute("SELECT count(*) FROM paper_metadata").fetchone()[0] == 0
    assert [tuple(r) for r in conn.execute("SELECT * FROM lists ORDER BY id")] == [(*row, None, None) for row in lists]
    assert [tuple(r) for r in conn.execute("SELECT rowid, * FROM statuses ORDER BY rowid")] == statuses
    columns = [r[1] for r in conn.execute("PRAGMA table_info(paper_metadata)")]
    assert columns == ["key", "title", "authors", "year", "published", "abstract", "primary_category", "doi",
                       "journal_ref", "arxiv", "source", "fetched_at"]
def test_named_by_step_leaves_older_lists_to_be_parsed_once(tmp_path, monkeypatch):
    # m011 records how a list was named; a list imported before it has NULL, so the import of the same
    # bytes without --name parses the document (to learn its title) as before, and records it.
    import llmreads.parse
    from llmreads.sources import import_path

    path = tmp_path / "v4.db"
    path.write_bytes((Path(__file__).parent / "fixtures" / "schema-v4.db").read_bytes())
    conn = open_db(path)
    assert [tuple(r) for r in conn.execute("SELECT name, named_by FROM lists")] == [("LLM_Paper_Reading", None)]
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE lists SET named_by = 'stdin'")
    parses = []
    parse = llmreads.parse.iter_document
    monkeypatch.setattr(llmreads.parse, "iter_document", lambda *a, **k: parses.append(1) or parse(*a, **k))
    assert import_path(conn, None, name=None).skipped  # the bundled list is the seed the fixture was made from
    assert len(parses) == 1
    assert [tuple(r) for r in conn.execute("SELECT name, named_by FROM lists")] == [("LLM_Paper_Reading", "title")]
    report = import_path(conn, None, name=None)
    assert len(parses) == 1
    assert (report.skipped, report.list_name, report.title, report.papers) == (
        True, "LLM_Paper_Reading", "LLM_Paper_Reading", 118)
    conn.close()


def test_history_step_seeds_one_event_per_status_at_its_time(tmp_path):
    # m009 adds tags, ratings and the status history to a database with user data; each status
    # becomes one event at the time it was recorded, with a UUID of its own; opening again adds none.
    path = tmp_path / "v4.db"
    path.write_bytes((Path(__file__).parent / "fixtures" / "schema-v4.db").read_bytes())
    raw = sqlite3.connect(path)
    statuses = sorted(raw.execute("SELECT user, paper_key, status, updated_at FROM statuses").fetchall())
    raw.close()
    assert statuses
    conn = open_db(path)
    events = conn.execute("SELECT event_id, user, paper_key, status, at FROM status_history").fetchall()
    assert sorted(tuple(r)[1:] for r in events) == statuses
    assert all(uuid.UUID(r[0]).version == 4 for r in events)
    assert len({r[0] for r in events}) == len(events)
    assert conn.execute("SELECT count(*) FROM tags").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0
    conn.close()
    before = snapshot(path)
    open_db(path).close()
    assert snapshot(path) == before


def test_history_events_keep_one_of_each_change_and_ratings_their_range(db_path):
    conn = open_db(db_path)
    conn.execute("INSERT INTO status_history (user, paper_key, status, at) VALUES ('a', 'k', 'read', 't')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO status_history (user, paper_key, status, at) VALUES ('a', 'k', 'read', 't')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO ratings (user, paper_key, stars, updated_at) VALUES ('a', 'k', 6, 't')")
    conn.close()


def test_entry_lines_step_keeps_every_entry_line(tmp_path):
    # m013 moves each entry's line out of its row into one packed row per list (store.lines): every entry of
    # the fixture keeps the line it was read from, `show` gives it, and the column is gone.
    from llmreads.store.lines import lines_of

    path = tmp_path / "v4.db"
    path.write_bytes((Path(__file__).parent / "fixtures" / "schema-v4.db").read_bytes())
    before = sqlite3.connect(path)
    lines = {(list_id, entry_id): line for entry_id, list_id, line in before.execute(
        "SELECT id, list_id, line FROM entries")}
    before.close()
    assert len(lines) == 120 and len(set(lines.values())) == 120
    conn = open_db(path)
    assert "line" not in {r[1] for r in conn.execute("PRAGMA table_info(entries)")}
    assert lines_of(conn, list(lines)) == {entry_id: line for (_list, entry_id), line in lines.items()}
    lora = paper_detail(conn, "alice", resolve_ref(conn, "lora"))
    assert [e.line for e in lora.entries] == [87]
    conn.close()


def test_metadata_rows_step_keeps_every_row_in_a_table_with_rowids(tmp_path, monkeypatch):
    # m014 moves fetched metadata out of a WITHOUT ROWID table, where an abstract overflowed to a page of its
    # own: every row and both indexes stay, and a search finds a paper by its abstract as before.
    from llmreads import db
    from llmreads.fetch import Record
    from llmreads.store.library import save_records

    path = tmp_path / "v4.db"
    path.write_bytes((Path(__file__).parent / "fixtures" / "schema-v4.db").read_bytes())
    before_step = [step for step in migrations.STEPS if step.__name__ < "m014"]
    monkeypatch.setattr(migrations, "STEPS", before_step)
    monkeypatch.setattr(db, "NAMES", tuple(step.__name__ for step in before_step))
    conn = open_db(path)
    assert "WITHOUT ROWID" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'paper_metadata'").fetchone()[0]
    keys = [r[0] for r in conn.execute("SELECT key FROM papers ORDER BY position LIMIT 3")]
    save_records(conn, [
        (keys[0], Record(source="arxiv", title="One", authors=("A. Author", "B. Author"), published="2021-06-17",
                         abstract="zebrafish " * 300, primary_category="cs.CL", arxiv="2106.09685")),
        (keys[1], Record(source="crossref", title="Two", doi="10.1000/XYZ", journal_ref="J. 1 (2020)")),
    ])
    conn.execute("INSERT INTO paper_metadata (key, year, arxiv, source) VALUES (?, 2020, '2001.00001', 'id')",
                 (keys[2],))
    rows = [tuple(r) for r in conn.execute("SELECT * FROM paper_metadata ORDER BY key")]
    conn.close()
    monkeypatch.undo()
    conn = open_db(path)
    assert [tuple(r) for r in conn.execute("SELECT * FROM paper_metadata ORDER BY key")] == rows and len(rows) == 3
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'paper_metadata'").fetchone()[0]
    assert "WITHOUT ROWID" not in sql
    assert {"paper_metadata_doi", "paper_metadata_arxiv"} <= names(conn, "index")
    assert conn.execute("SELECT key FROM paper_metadata WHERE lower(doi) = '10.1000/xyz'").fetchone()[0] == keys[1]
    assert [p.key for p in search(conn, "alice", "zebrafish").papers] == [keys[0]]
    conn.close()
    assert applied(path) == [("llmreads", name) for name in migrations.NAMES]
