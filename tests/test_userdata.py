"""`llmreads user-data export/import`: statuses and notes moved between databases and merged."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from helpers import FIXTURES, assert_one_error, snapshot
from llmreads.cli import app
from llmreads.text import index_form

LORA = "arxiv:2106.09685"
ATTENTION = "arxiv:1706.03762"
GPT3 = "arxiv:2005.14165"
ELSEWHERE = "url:example.com/a-paper-no-list-here-holds"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input)


def ok(*args: str, input: str | None = None) -> Result:
    result = run(*args, input=input)
    assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    return result


def db_path() -> Path:
    import os

    return Path(os.environ["LLMREADS_DB"])


def query(sql: str, params: tuple[object, ...] = (), path: Path | None = None) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path or db_path())
    try:
        return [tuple(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def import_file(data: object, tmp_path: Path, *args: str, name: str = "in.json") -> dict[str, object]:
    """Import a user-data document; the --json report."""
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = json.loads(ok("user-data", "import", str(path), "--json", *args).stdout)
    assert isinstance(report, dict)
    return report


def user_file(users: dict[str, dict[str, list[dict[str, str]]]]) -> dict[str, object]:
    return {"format": "llmreads-user-data", "version": 1, "exported_at": "2024-06-01T00:00:00+00:00", "users": users}


def counts(report: dict[str, object], user: str = "alice") -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    users = report["users"]
    assert isinstance(users, dict)
    s, n = users[user]["statuses"], users[user]["notes"]
    return (s["added"], s["updated"], s["kept"]), (n["added"], n["updated"], n["kept"])


def statuses(user: str = "alice", path: Path | None = None) -> dict[str, tuple[object, object]]:
    rows = query("SELECT paper_key, status, updated_at FROM statuses WHERE user = ?", (user,), path)
    return {str(key): (status, at) for key, status, at in rows}


def notes(user: str = "alice", path: Path | None = None) -> list[tuple[object, ...]]:
    return query(
        "SELECT paper_key, text, created_at, updated_at FROM notes WHERE user = ? ORDER BY paper_key, created_at, text",
        (user,),
        path,
    )


def uuids(user: str = "alice", path: Path | None = None) -> list[str]:
    return [str(r[0]) for r in query("SELECT uuid FROM notes WHERE user = ? ORDER BY id", (user,), path)]


def uuid_of(text: str, path: Path | None = None) -> str:
    (found,) = query("SELECT uuid FROM notes WHERE text = ?", (text,), path)
    return str(found[0])


def assert_notes_indexed(path: Path | None = None) -> None:
    """notes_fts holds exactly one row per note, with the note's text as notes.add_note indexes it."""
    indexed = dict(query("SELECT rowid, body FROM notes_fts", path=path))
    stored = dict(query("SELECT id, text FROM notes", path=path))
    assert indexed == {note_id: index_form(str(text)) for note_id, text in stored.items()}


@pytest.fixture
def marked(seeded: Path, prepared: Callable[[str, Callable[[], object]], Path]) -> None:
    """The bundled list; alice read two papers and is reading one, with notes; bob has one of each."""

    def build() -> None:
        ok("mark-read", LORA, ATTENTION)
        ok("mark-reading", GPT3)
        ok("note", "add", LORA, "低秩适配：only the adapters train")
        ok("note", "add", LORA, "second note on LoRA")
        ok("note", "add", ATTENTION, "scaled dot-product attention")
        ok("--user", "bob", "mark-read", GPT3)
        ok("--user", "bob", "note", "add", GPT3, "bob's note")

    prepared("userdata.marked", build)


def set_times(table: str, at: str, user: str = "alice") -> None:
    """Give every row of a user a fixed time, so that newer and older are known."""
    conn = sqlite3.connect(db_path())
    columns = "updated_at = ?" + (", created_at = ?" if table == "notes" else "")
    conn.execute(f"UPDATE {table} SET {columns} WHERE user = ?", (at, at, user) if table == "notes" else (at, user))
    conn.commit()
    conn.close()


# ---------------------------------------------------------------- export and round trip


def test_export_holds_the_current_user_only_keyed_by_paper_key(marked: None) -> None:
    data = json.loads(ok("user-data", "export").stdout)
    assert data["format"] == "llmreads-user-data" and data["version"] == 1 and data["exported_at"]
    assert list(data["users"]) == ["alice"]
    alice = data["users"]["alice"]
    assert {s["key"]: s["status"] for s in alice["statuses"]} == {LORA: "read", ATTENTION: "read", GPT3: "reading"}
    assert sorted(n["text"] for n in alice["notes"]) == sorted(
        ["低秩适配：only the adapters train", "second note on LoRA", "scaled dot-product attention"]
    )
    lora = next(s for s in alice["statuses"] if s["key"] == LORA)
    assert lora["title"] == "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"  # for people reading the file
    assert set(alice["notes"][0]) == {"key", "title", "uuid", "text", "created_at", "updated_at"}
    assert sorted(n["uuid"] for n in alice["notes"]) == sorted(uuids())
    bob = json.loads(ok("--user", "bob", "user-data", "export").stdout)["users"]
    assert list(bob) == ["bob"] and [n["text"] for n in bob["bob"]["notes"]] == ["bob's note"]


def test_round_trip_into_an_empty_database(marked: None, tmp_path: Path) -> None:
    exported = tmp_path / "mine.json"
    result = ok("user-data", "export", "--all-users", "-o", str(exported))
    assert result.stdout == "" and str(exported) in result.stderr
    assert exported.stat().st_mode & 0o077 == 0  # notes are personal: owner-only
    other = tmp_path / "other.db"
    report = json.loads(ok("--db", str(other), "user-data", "import", str(exported), "--json").stdout)
    assert counts(report) == ((3, 0, 0), (3, 0, 0))
    assert counts(report, "bob") == ((1, 0, 0), (1, 0, 0))
    for user in ("alice", "bob"):
        assert statuses(user, other) == statuses(user)
        assert notes(user, other) == notes(user)
    assert_notes_indexed(other)
    # The other database holds no list yet; once one arrives, the data shows on its papers.
    ok("--db", str(other), "import")
    shown = json.loads(ok("--db", str(other), "show", "2106.09685", "--json").stdout)
    assert shown["status"] == "read"
    assert sorted(n["text"] for n in shown["notes"]) == ["second note on LoRA", "低秩适配：only the adapters train"]
    found = json.loads(ok("--db", str(other), "search", "低秩适配", "--exact", "--json").stdout)
    assert [p["key"] for p in found] == [LORA]
    # And exported again, the same data comes out.
    again = json.loads(ok("--db", str(other), "user-data", "export", "--all-users").stdout)
    first = json.loads(exported.read_text(encoding="utf-8"))
    assert again["users"] == first["users"]


def test_importing_the_same_file_twice_changes_nothing(marked: None, tmp_path: Path) -> None:
    exported = tmp_path / "mine.json"
    ok("user-data", "export", "-o", str(exported))
    before = snapshot(db_path())
    report = json.loads(ok("user-data", "import", str(exported), "--json").stdout)
    assert counts(report) == ((0, 0, 3), (0, 0, 3))
    assert snapshot(db_path()) == before


# ---------------------------------------------------------------- merging


def test_a_newer_status_wins_and_an_older_one_does_not(marked: None, tmp_path: Path) -> None:
    set_times("statuses", "2024-03-01T00:00:00+00:00")
    data = user_file({"alice": {"statuses": [
        {"key": LORA, "status": "reading", "updated_at": "2024-04-01T00:00:00+00:00"},  # newer: wins
        {"key": ATTENTION, "status": "unread", "updated_at": "2024-02-01T00:00:00+00:00"},  # older: kept
        {"key": GPT3, "status": "reading", "updated_at": "2024-05-01T00:00:00Z"},  # same status, later
        {"key": ELSEWHERE, "status": "read", "updated_at": "2024-01-01T08:00:00+08:00"},  # a paper not here
    ]}})
    report = import_file(data, tmp_path)
    assert counts(report)[0] == (1, 1, 2)
    assert statuses() == {
        LORA: ("reading", "2024-04-01T00:00:00+00:00"),
        ATTENTION: ("read", "2024-03-01T00:00:00+00:00"),
        GPT3: ("reading", "2024-05-01T00:00:00+00:00"),
        ELSEWHERE: ("read", "2024-01-01T00:00:00+00:00"),  # stored in UTC, as the store writes times
    }
    assert statuses("bob") == {GPT3: ("read", statuses("bob")[GPT3][1])}  # bob is not in the file


def test_a_status_as_old_as_the_one_here_does_not_replace_it(marked: None, tmp_path: Path) -> None:
    # Only a newer status wins: at the same instant the database's own is the data of record.
    set_times("statuses", "2024-03-01T00:00:00+00:00")
    before = statuses()
    data = user_file({"alice": {"statuses": [
        {"key": LORA, "status": "unread", "updated_at": "2024-03-01T00:00:00+00:00"},
        {"key": ATTENTION, "status": "reading", "updated_at": "2024-03-01T08:00:00+08:00"},  # the same instant
        {"key": GPT3, "status": "read", "updated_at": "2024-03-01T00:00:00Z"},
    ]}})
    assert counts(import_file(data, tmp_path, "--dry-run"))[0] == (0, 0, 3)
    assert counts(import_file(data, tmp_path))[0] == (0, 0, 3)
    assert statuses() == before
    assert [before[key][0] for key in (LORA, ATTENTION, GPT3)] == ["read", "read", "reading"]


def test_notes_merge_without_duplicates(marked: None, tmp_path: Path) -> None:
    set_times("notes", "2024-03-01T00:00:00+00:00")
    (lora_1, lora_2) = [row for row in notes() if row[0] == LORA]
    attention = next(row for row in notes() if row[0] == ATTENTION)
    t = "2024-03-01T00:00:00+00:00"
    data = user_file({"alice": {"notes": [
        # the same note: kept, however often it appears, with its UUID or (as an older file has it) without
        {"key": LORA, "uuid": uuid_of(str(lora_1[1])), "text": str(lora_1[1]), "created_at": t, "updated_at": t},
        {"key": LORA, "text": str(lora_1[1]), "created_at": "2024-03-01T00:00:00Z", "updated_at": t},
        {"key": LORA, "uuid": uuid_of(str(lora_2[1])).upper(), "text": str(lora_2[1]), "created_at": t,
         "updated_at": t},
        # an edit of the attention note made later elsewhere: the text is updated
        {"key": ATTENTION, "uuid": uuid_of(str(attention[1])), "text": "rewritten: zebrafish attention, √d",
         "created_at": t, "updated_at": "2024-04-01T00:00:00+00:00"},
        # a note written elsewhere: added, also on a paper no list holds
        {"key": GPT3, "text": "in-context learning", "created_at": "2024-05-01T00:00:00+00:00",
         "updated_at": "2024-05-01T00:00:00+00:00"},
        {"key": ELSEWHERE, "text": "read later", "created_at": t, "updated_at": t},
    ]}})
    report = import_file(data, tmp_path)
    assert counts(report)[1] == (2, 1, 3)
    assert notes() == sorted([
        lora_1, lora_2,
        (ATTENTION, "rewritten: zebrafish attention, √d", t, "2024-04-01T00:00:00+00:00"),
        (GPT3, "in-context learning", "2024-05-01T00:00:00+00:00", "2024-05-01T00:00:00+00:00"),
        (ELSEWHERE, "read later", t, t),
    ], key=lambda row: (row[0], row[2], row[1]))
    assert attention not in notes()
    assert_notes_indexed()
    found = json.loads(ok("search", "zebrafish", "--json").stdout)
    assert [p["key"] for p in found] == [ATTENTION]
    # Imported again: nothing more to do.
    again = import_file(data, tmp_path, name="again.json")
    assert counts(again)[1] == (0, 0, 6)


def test_an_older_edit_does_not_replace_a_newer_note(marked: None, tmp_path: Path) -> None:
    set_times("notes", "2024-03-01T00:00:00+00:00")
    before = notes()
    data = user_file({"alice": {"notes": [
        {"key": ATTENTION, "uuid": uuid_of("scaled dot-product attention"), "text": "an old draft",
         "created_at": "2024-01-01T00:00:00+00:00", "updated_at": "2024-02-01T00:00:00+00:00"},
    ]}})
    assert counts(import_file(data, tmp_path))[1] == (0, 0, 1)
    assert notes() == before


def test_two_notes_written_in_the_same_second_both_survive(tmp_path: Path) -> None:
    ok("import")
    t = "2024-03-01T00:00:00+00:00"
    data = user_file({"alice": {"notes": [
        {"key": LORA, "text": "first thought", "created_at": t, "updated_at": t},
        {"key": LORA, "text": "second thought", "created_at": t, "updated_at": t},
    ]}})
    assert counts(import_file(data, tmp_path))[1] == (2, 0, 0)
    assert counts(import_file(data, tmp_path, name="again.json"))[1] == (0, 0, 2)
    assert [row[1] for row in notes()] == ["first thought", "second thought"]
    assert_notes_indexed()


def test_dry_run_reports_and_writes_nothing(marked: None, tmp_path: Path) -> None:
    data = user_file({"alice": {
        "statuses": [{"key": ELSEWHERE, "status": "read", "updated_at": "2024-01-01T00:00:00+00:00"}],
        "notes": [{"key": LORA, "text": "new", "created_at": "2024-01-01T00:00:00+00:00",
                   "updated_at": "2024-01-01T00:00:00+00:00"}],
    }})
    before = snapshot(db_path())
    report = import_file(data, tmp_path, "--dry-run")
    assert report["dry_run"] is True
    assert counts(report) == ((1, 0, 0), (1, 0, 0))
    assert snapshot(db_path()) == before
    path = tmp_path / "in.json"
    text = ok("user-data", "import", str(path), "--dry-run").stdout
    assert "Dry run: nothing was written." in text
    assert snapshot(db_path()) == before


def test_a_file_of_another_user_is_imported_as_that_user(marked: None, tmp_path: Path) -> None:
    exported = tmp_path / "alice.json"
    ok("user-data", "export", "-o", str(exported))
    other = tmp_path / "other.db"
    result = ok("--db", str(other), "--user", "carol", "user-data", "import", str(exported))
    assert "alice: statuses 3 added" in result.stdout
    assert "not as carol" in result.stderr
    assert statuses("carol", other) == {}
    assert len(statuses("alice", other)) == 3


def test_import_from_stdin(marked: None, tmp_path: Path) -> None:
    text = ok("user-data", "export").stdout
    other = tmp_path / "other.db"
    report = json.loads(ok("--db", str(other), "user-data", "import", "-", "--json", input=text).stdout)
    assert counts(report) == ((3, 0, 0), (3, 0, 0))


# ---------------------------------------------------------------- bad files


GOOD_NOTE = {"key": LORA, "text": "fine", "created_at": "2024-01-01T00:00:00+00:00",
             "updated_at": "2024-01-01T00:00:00+00:00"}
GOOD_STATUS = {"key": LORA, "status": "read", "updated_at": "2024-01-01T00:00:00+00:00"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "is not JSON"),
        ("", "is not JSON"),
        ("[1, 2]", "not an llmreads user-data file"),
        (json.dumps({"format": "something-else", "version": 1, "users": {}}), "not an llmreads user-data file"),
        (json.dumps({"format": "llmreads-user-data", "version": 2, "users": {}}), "newer"),
        (json.dumps({"format": "llmreads-user-data", "version": "1", "users": {}}), "version"),
        (json.dumps({"format": "llmreads-user-data", "version": 1, "users": []}), '"users" must be an object'),
        (json.dumps(user_file({"alice": []})), "users.alice must be an object"),  # type: ignore[dict-item]
        (json.dumps(user_file({"alice": {"statuses": {}}})), "statuses must be a list"),  # type: ignore[dict-item]
        (json.dumps(user_file({"alice": {"notes": ["x"]}})), "notes[0] must be an object"),  # type: ignore[list-item]
        (json.dumps(user_file({"alice": {"statuses": [GOOD_STATUS | {"status": "done"}]}})),
         "must be unread, reading or read"),
        (json.dumps(user_file({"alice": {"statuses": [{"key": LORA, "status": "read"}]}})), "has no updated_at"),
        (json.dumps(user_file({"alice": {"statuses": [GOOD_STATUS | {"updated_at": "yesterday"}]}})),
         "ISO 8601"),
        (json.dumps(user_file({"alice": {"notes": [GOOD_NOTE | {"text": 3}]}})), "must be a string, not a number"),
        (json.dumps(user_file({"alice": {"notes": [GOOD_NOTE | {"text": "  "}]}})), "text must not be empty"),
        (json.dumps(user_file({"alice": {"notes": [GOOD_NOTE | {"key": ""}]}})), "key must not be empty"),
    ],
)
def test_a_bad_file_is_one_error_and_writes_nothing(
    marked: None, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    before = snapshot(db_path())
    error = assert_one_error(run("user-data", "import", str(path)))
    assert message in error, error
    assert snapshot(db_path()) == before


def test_a_file_bad_only_at_its_end_writes_nothing(marked: None, tmp_path: Path) -> None:
    data = user_file({
        "alice": {"statuses": [GOOD_STATUS | {"key": ELSEWHERE}], "notes": [GOOD_NOTE]},
        "bob": {"notes": [GOOD_NOTE, GOOD_NOTE | {"created_at": 12}]},
    })
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = snapshot(db_path())
    assert "users.bob.notes[1].created_at must be a string" in assert_one_error(run("user-data", "import", str(path)))
    assert snapshot(db_path()) == before


def test_unreadable_files_are_assert_one_error(marked: None, tmp_path: Path) -> None:
    assert "does not exist" in assert_one_error(run("user-data", "import", str(tmp_path / "missing.json")))
    assert "is a directory" in assert_one_error(run("user-data", "import", str(tmp_path)))
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00\x81 not utf-8")
    assert "not UTF-8" in assert_one_error(run("user-data", "import", str(binary)))


# ---------------------------------------------------------------- note identity


def set_note_times(at: str, path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE notes SET created_at = ?, updated_at = ?", (at, at))
    conn.commit()
    conn.close()


def sync(source: Path, target: Path, tmp_path: Path) -> tuple[int, int, int]:
    """Export every user of `source`, import into `target`; alice's note counts."""
    exported = tmp_path / "sync.json"
    exported.unlink(missing_ok=True)
    ok("--db", str(source), "user-data", "export", "--all-users", "-o", str(exported))
    report = json.loads(ok("--db", str(target), "user-data", "import", str(exported), "--json").stdout)
    return counts(report)[1]


def test_different_notes_of_the_same_second_on_two_databases_are_both_kept(tmp_path: Path) -> None:
    desktop, laptop = db_path(), tmp_path / "laptop.db"
    for path, text in ((desktop, "written on the desktop"), (laptop, "written on the laptop")):
        ok("--db", str(path), "import")
        ok("--db", str(path), "note", "add", LORA, text)
        set_note_times("2024-03-01T00:00:00+00:00", path)
    assert sync(desktop, laptop, tmp_path) == (1, 0, 0)
    assert sync(laptop, desktop, tmp_path) == (1, 0, 1)
    both = ["written on the desktop", "written on the laptop"]
    assert [row[1] for row in notes(path=desktop)] == both == [row[1] for row in notes(path=laptop)]
    assert sorted(uuids(path=desktop)) == sorted(uuids(path=laptop))
    # A later edit on one side reaches its own note on the other, and only that one.
    ok("--db", str(desktop), "note", "edit", "1", "written on the desktop, then edited")
    assert sync(desktop, laptop, tmp_path) == (0, 1, 1)
    assert [row[1] for row in notes(path=laptop)] == ["written on the desktop, then edited", "written on the laptop"]
    assert_notes_indexed(laptop)
    assert sync(laptop, desktop, tmp_path) == (0, 0, 2)


def test_a_file_of_an_older_llmreads_without_uuids_still_imports(marked: None, tmp_path: Path) -> None:
    # tests/fixtures/user-data-without-uuids.json was written by `user-data export` before notes had UUIDs.
    old = FIXTURES / "user-data-without-uuids.json"
    assert '"uuid"' not in old.read_text(encoding="utf-8")
    report = json.loads(ok("user-data", "import", str(old), "--json").stdout)
    # Two of alice's notes are already here (synced before): the same text on the same paper is the same note.
    assert counts(report) == ((0, 0, 2), (2, 0, 2))
    assert counts(report, "bob") == ((0, 0, 0), (1, 0, 0))
    texts = [str(row[1]) for row in notes()]
    assert texts.count("scaled dot-product attention") == 1 and texts.count("低秩适配：only the adapters train") == 1
    # A note whose text changed and that has no UUID to say it is the same note: both are kept.
    assert "scaled dot-product attention, revised on the old laptop" in texts
    assert "from the old laptop: in-context learning" in texts
    assert len(set(uuids())) == len(texts) == 5
    assert_notes_indexed()
    again = json.loads(ok("user-data", "import", str(old), "--json").stdout)
    assert counts(again) == ((0, 0, 2), (0, 0, 4)) and counts(again, "bob") == ((0, 0, 0), (0, 0, 1))


def test_one_note_given_two_uuids_by_two_upgrades_becomes_one_note_again(marked: None, tmp_path: Path) -> None:
    # Before UUIDs, the desktop's notes were copied to the laptop; each database's upgrade
    # then gave them UUIDs of its own. A sync matches them by text and settles on one UUID.
    desktop, laptop = db_path(), tmp_path / "laptop.db"
    exported = json.loads(ok("user-data", "export").stdout)
    for note in exported["users"]["alice"]["notes"]:
        del note["uuid"]
    old_file = tmp_path / "old.json"
    old_file.write_text(json.dumps(exported), encoding="utf-8")
    ok("--db", str(laptop), "user-data", "import", str(old_file))
    assert not set(uuids(path=desktop)) & set(uuids(path=laptop))
    assert sync(laptop, desktop, tmp_path) == (0, 0, 3)
    assert sync(desktop, laptop, tmp_path) == (0, 0, 3)
    assert sorted(uuids(path=desktop)) == sorted(uuids(path=laptop))
    assert notes(path=desktop) == notes(path=laptop)
    # From then on an edit is an edit, not a second note.
    laptop_id = query("SELECT id FROM notes WHERE text = ?", ("second note on LoRA",), laptop)[0][0]
    ok("--db", str(laptop), "note", "edit", str(laptop_id), "second note on LoRA, edited on the laptop")
    conn = sqlite3.connect(laptop)
    conn.execute("UPDATE notes SET updated_at = '2999-01-01T00:00:00+00:00' WHERE id = ?", (laptop_id,))
    conn.commit()
    conn.close()
    assert sync(laptop, desktop, tmp_path) == (0, 1, 2)
    assert sorted(str(row[1]) for row in notes() if row[0] == LORA) == [
        "second note on LoRA, edited on the laptop", "低秩适配：only the adapters train"
    ]


def test_a_uuid_another_user_holds_is_not_that_users_note(marked: None, tmp_path: Path) -> None:
    alices = uuid_of("scaled dot-product attention")
    data = user_file({"bob": {"notes": [
        {"key": ATTENTION, "uuid": alices, "text": "bob's own", "created_at": "2024-01-01T00:00:00+00:00",
         "updated_at": "2999-01-01T00:00:00+00:00"},
    ]}})
    assert counts(import_file(data, tmp_path), "bob")[1] == (1, 0, 0)
    assert uuid_of("scaled dot-product attention") == alices
    assert uuid_of("bob's own") != alices
    assert counts(import_file(data, tmp_path, name="again.json"), "bob")[1] == (0, 0, 1)


def test_a_note_over_the_length_limit_is_skipped_and_named(
    marked: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmreads.store import notes as notes_module

    monkeypatch.setattr(notes_module, "MAX_NOTE_CHARS", 30)
    long_text = "   " + "L" * 31 + "\n"
    data = user_file({"alice": {"notes": [GOOD_NOTE, GOOD_NOTE | {"key": GPT3, "text": long_text}]}})
    report = import_file(data, tmp_path)
    assert counts(report)[1] == (1, 0, 0)
    assert report["users"]["alice"]["notes_skipped"] == [  # type: ignore[index]
        f"users.alice.notes[1] on {GPT3}: 31 characters, over the limit of 30"
    ]
    assert not [row for row in notes() if str(row[1]).startswith("L")]  # refused, not cut
    text = ok("user-data", "import", str(tmp_path / "in.json")).stdout
    assert f"note skipped: users.alice.notes[1] on {GPT3}: 31 characters" in text


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        (json.dumps(user_file({"alice": {"notes": [GOOD_NOTE | {"created_at": "@"}]}})).replace('"@"', "1" * 5000),
         "users.alice.notes[0].created_at", "must be a string, not a number"),
        (json.dumps(user_file({})).replace('"version": 1', '"version": 1' + "0" * 5000),
         "version", "must be a whole number, not a number of 5,001 digits"),
        (json.dumps(user_file({"alice": {"statuses": [GOOD_STATUS | {"updated_at": "9999-12-31T23:59:59-01:00"}]}})),
         "users.alice.statuses[0].updated_at", "out of range"),
        (json.dumps(user_file({"alice": {"notes": [GOOD_NOTE | {"created_at": "0001-01-01T00:30:00+01:00"}]}})),
         "users.alice.notes[0].created_at", "out of range"),
        (json.dumps(user_file({"alice": {"notes": [GOOD_NOTE | {"uuid": "not-a-uuid"}]}})),
         "users.alice.notes[0].uuid", "must be a UUID"),
        (json.dumps(user_file({"alice": {"notes": [GOOD_NOTE | {"uuid": 7}]}})),
         "users.alice.notes[0].uuid", "must be a string"),
    ],
)
def test_numbers_and_times_out_of_range_are_one_error_naming_the_file_and_field(
    marked: None, tmp_path: Path, content: str, field: str, message: str
) -> None:
    path = tmp_path / "odd.json"
    path.write_text(content, encoding="utf-8")
    before = snapshot(db_path())
    error = assert_one_error(run("user-data", "import", str(path)))
    assert f"{path}: {field}" in error and message in error, error
    assert len(error) < 300
    assert snapshot(db_path()) == before


def test_two_edits_of_one_note_in_the_same_second_are_both_kept(marked: None, tmp_path: Path) -> None:
    desktop, laptop = db_path(), tmp_path / "laptop.db"
    ok("--db", str(laptop), "import")
    sync(desktop, laptop, tmp_path)
    stamp = "2024-06-01T12:00:00+00:00"
    for path, text in ((desktop, "edited on the desktop"), (laptop, "edited on the laptop")):
        conn = sqlite3.connect(path)
        conn.execute("UPDATE notes SET text = ?, updated_at = ? WHERE text = 'second note on LoRA'", (text, stamp))
        conn.commit()
        conn.close()
    assert sync(desktop, laptop, tmp_path) == (1, 0, 2)
    assert sync(laptop, desktop, tmp_path) == (1, 0, 3)
    for path in (desktop, laptop):
        texts = sorted(str(row[1]) for row in notes(path=path))
        assert texts == sorted([
            "edited on the desktop", "edited on the laptop", "scaled dot-product attention",
            "低秩适配：only the adapters train",
        ])
    assert sync(desktop, laptop, tmp_path) == (0, 0, 4)
    assert sync(laptop, desktop, tmp_path) == (0, 0, 4)


# ---------------------------------------------------------------- tags, ratings and the status history


def personal(user: str = "alice", path: Path | None = None) -> tuple[list[tuple[object, ...]], ...]:
    return (
        query("SELECT paper_key, tag FROM tags WHERE user = ? ORDER BY 1, 2", (user,), path),
        query("SELECT paper_key, stars, updated_at FROM ratings WHERE user = ? ORDER BY 1", (user,), path),
        query("SELECT event_id, paper_key, status, at FROM status_history WHERE user = ? ORDER BY 4, 1", (user,), path),
    )


def report_counts(report: dict[str, object], part: str, user: str = "alice") -> tuple[int, int, int]:
    c = report["users"][user][part]  # type: ignore[index]
    return (c["added"], c["updated"], c["kept"])


def test_tags_ratings_and_history_round_trip_and_merge_without_duplicates(marked: None, tmp_path: Path) -> None:
    ok("tag", LORA, "peft", "Must-Read")
    ok("rate", LORA, "4")
    ok("mark-read", GPT3, "--date", "2024-03-01")
    ok("--user", "bob", "tag", GPT3, "gpt")
    exported = tmp_path / "mine.json"
    ok("user-data", "export", "--all-users", "-o", str(exported))
    alice = json.loads(exported.read_text(encoding="utf-8"))["users"]["alice"]
    assert {(t["key"], t["tag"]) for t in alice["tags"]} == {(LORA, "peft"), (LORA, "must-read")}
    assert [(r["key"], r["stars"]) for r in alice["ratings"]] == [(LORA, 4)]
    assert [(e["key"], e["status"]) for e in alice["history"]] == [
        (GPT3, "read"), (LORA, "read"), (ATTENTION, "read"), (GPT3, "reading")
    ]
    assert all(set(e) >= {"key", "event_id", "status", "at"} for e in alice["history"])

    other = tmp_path / "other.db"
    report = json.loads(ok("--db", str(other), "user-data", "import", str(exported), "--json").stdout)
    assert (report_counts(report, "tags"), report_counts(report, "ratings"), report_counts(report, "history")) == (
        (2, 0, 0), (1, 0, 0), (4, 0, 0)
    )
    assert report_counts(report, "tags", "bob") == (1, 0, 0)
    for user in ("alice", "bob"):
        assert personal(user, other) == personal(user)  # the same events, by their UUIDs
    # Again: nothing new, nothing doubled.
    again = json.loads(ok("--db", str(other), "user-data", "import", str(exported), "--json").stdout)
    assert (report_counts(again, "tags"), report_counts(again, "ratings"), report_counts(again, "history")) == (
        (0, 0, 2), (0, 0, 1), (0, 0, 4)
    )
    assert personal("alice", other) == personal("alice")
    ok("--db", str(other), "import")
    shown = json.loads(ok("--db", str(other), "show", "2106.09685", "--json").stdout)
    assert (shown["tags"], shown["my_stars"]) == (["must-read", "peft"], 4)
    assert [e["at"][:4] for e in json.loads(ok("--db", str(other), "history", "--json").stdout)][-1] == "2024"
    first = json.loads(exported.read_text(encoding="utf-8"))
    assert json.loads(ok("--db", str(other), "user-data", "export", "--all-users").stdout)["users"] == first["users"]


def test_history_events_match_by_uuid_else_by_paper_status_and_time(marked: None, tmp_path: Path) -> None:
    (event_id, key, status, at), *_ = personal()[2]
    data = user_file({"alice": {"history": [
        {"key": key, "event_id": event_id, "status": status, "at": at},  # the same event
        {"key": key, "event_id": "00000000-0000-4000-8000-000000000001", "status": status, "at": at},  # same change
        {"key": LORA, "status": "reading", "at": "2020-01-01T00:00:00Z"},  # new, with no UUID
        {"key": ATTENTION, "event_id": "00000000-0000-4000-8000-000000000002", "status": "unread",
         "at": "2020-01-02T00:00:00+00:00"},  # new
    ]}})
    before = personal()[2]
    report = import_file(data, tmp_path)
    assert report_counts(report, "history") == (2, 0, 2)
    after = personal()[2]
    assert len(after) == len(before) + 2
    assert ("00000000-0000-4000-8000-000000000002", ATTENTION, "unread", "2020-01-02T00:00:00+00:00") in after
    # Statuses are the data of record: old events do not change them.
    assert statuses()[ATTENTION][0] == "read"


def test_a_newer_rating_wins_an_older_one_does_not_and_tags_only_add(marked: None, tmp_path: Path) -> None:
    ok("rate", LORA, "4")
    ok("rate", ATTENTION, "2")
    ok("tag", LORA, "peft")
    data = user_file({"alice": {
        "ratings": [
            {"key": LORA, "stars": 5, "updated_at": "2999-01-01T00:00:00+00:00"},  # newer: wins
            {"key": ATTENTION, "stars": 1, "updated_at": "2000-01-01T00:00:00+00:00"},  # older: kept
            {"key": GPT3, "stars": 3, "updated_at": "2000-01-01T00:00:00+00:00"},  # none here: added
        ],
        "tags": [
            {"key": LORA, "tag": "PEFT", "tagged_at": "2000-01-01T00:00:00+00:00"},  # one tag, however written
            {"key": LORA, "tag": "lora", "tagged_at": "2000-01-01T00:00:00+00:00"},
        ],
    }})
    report = import_file(data, tmp_path)
    assert report_counts(report, "ratings") == (1, 1, 1)
    assert report_counts(report, "tags") == (1, 0, 1)
    tags, ratings, _ = personal()
    assert tags == [(LORA, "lora"), (LORA, "peft")]
    assert {(k, s) for k, s, _ in ratings} == {(LORA, 5), (ATTENTION, 2), (GPT3, 3)}


def test_a_status_from_a_file_without_history_becomes_an_event(marked: None, tmp_path: Path) -> None:
    data = user_file({"alice": {"statuses": [
        {"key": ELSEWHERE, "status": "read", "updated_at": "2024-01-01T08:00:00+08:00"},
    ]}})
    import_file(data, tmp_path)
    assert [(k, s, at) for _, k, s, at in personal()[2] if k == ELSEWHERE] == [
        (ELSEWHERE, "read", "2024-01-01T00:00:00+00:00")
    ]
    import_file(data, tmp_path)  # again: no second event
    assert len([e for e in personal()[2] if e[1] == ELSEWHERE]) == 1


@pytest.mark.parametrize(
    ("part", "item", "message"),
    [
        ("ratings", {"key": LORA, "stars": 6, "updated_at": "2024-01-01T00:00:00Z"}, "ratings[0].stars must be"),
        ("ratings", {"key": LORA, "stars": True, "updated_at": "2024-01-01T00:00:00Z"}, "ratings[0].stars must be"),
        ("tags", {"key": LORA, "tag": "two words", "tagged_at": "2024-01-01T00:00:00Z"}, "tags[0].tag: a tag is"),
        ("tags", {"key": LORA, "tag": "x"}, "tags[0] has no tagged_at"),
        ("history", {"key": LORA, "status": "done", "at": "2024-01-01T00:00:00Z"}, "history[0].status must be"),
        ("history", {"key": LORA, "status": "read", "at": "2024-01-01T00:00:00Z", "event_id": "x"},
         "history[0].event_id must be a UUID"),
        ("history", {"key": LORA, "status": "read", "at": "soon"}, "history[0].at must be an ISO 8601"),
    ],
)
def test_bad_tags_ratings_or_events_are_one_error_naming_the_field(
    marked: None, tmp_path: Path, part: str, item: dict[str, object], message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(user_file({"alice": {part: [item]}})), encoding="utf-8")  # type: ignore[dict-item]
    before = snapshot(db_path())
    error = assert_one_error(run("user-data", "import", str(path)))
    assert message in error, error
    assert snapshot(db_path()) == before
