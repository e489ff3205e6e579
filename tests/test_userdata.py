"""`llmreads user-data export/import`: statuses and notes moved between databases and merged."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conftest import assert_one_error
from llmreads.cli import app
from llmreads.text import segment

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


def snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    tables = [str(r[0]) for r in query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", path=path)]
    return {name: sorted(query(f'SELECT * FROM "{name}"', path=path), key=repr) for name in tables}


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


def assert_notes_indexed(path: Path | None = None) -> None:
    """notes_fts holds exactly one row per note, with the note's text as store.add_note indexes it."""
    indexed = dict(query("SELECT rowid, body FROM notes_fts", path=path))
    stored = dict(query("SELECT id, text FROM notes", path=path))
    assert indexed == {note_id: segment(str(text)) for note_id, text in stored.items()}


@pytest.fixture
def seeded() -> None:
    """The bundled list; alice read two papers and is reading one, with notes; bob has one of each."""
    ok("import")
    ok("mark-read", LORA, ATTENTION)
    ok("mark-reading", GPT3)
    ok("note", "add", LORA, "低秩适配：only the adapters train")
    ok("note", "add", LORA, "second note on LoRA")
    ok("note", "add", ATTENTION, "scaled dot-product attention")
    ok("--user", "bob", "mark-read", GPT3)
    ok("--user", "bob", "note", "add", GPT3, "bob's note")


def set_times(table: str, at: str, user: str = "alice") -> None:
    """Give every row of a user a fixed time, so that newer and older are known."""
    conn = sqlite3.connect(db_path())
    columns = "updated_at = ?" + (", created_at = ?" if table == "notes" else "")
    conn.execute(f"UPDATE {table} SET {columns} WHERE user = ?", (at, at, user) if table == "notes" else (at, user))
    conn.commit()
    conn.close()


# ---------------------------------------------------------------- export and round trip


def test_export_holds_the_current_user_only_keyed_by_paper_key(seeded: None) -> None:
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
    assert set(alice["notes"][0]) == {"key", "title", "text", "created_at", "updated_at"}
    bob = json.loads(ok("--user", "bob", "user-data", "export").stdout)["users"]
    assert list(bob) == ["bob"] and [n["text"] for n in bob["bob"]["notes"]] == ["bob's note"]


def test_round_trip_into_an_empty_database(seeded: None, tmp_path: Path) -> None:
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
    found = json.loads(ok("--db", str(other), "search", "低秩适配", "--json").stdout)
    assert [p["key"] for p in found] == [LORA]
    # And exported again, the same data comes out.
    again = json.loads(ok("--db", str(other), "user-data", "export", "--all-users").stdout)
    first = json.loads(exported.read_text(encoding="utf-8"))
    assert again["users"] == first["users"]


def test_importing_the_same_file_twice_changes_nothing(seeded: None, tmp_path: Path) -> None:
    exported = tmp_path / "mine.json"
    ok("user-data", "export", "-o", str(exported))
    before = snapshot(db_path())
    report = json.loads(ok("user-data", "import", str(exported), "--json").stdout)
    assert counts(report) == ((0, 0, 3), (0, 0, 3))
    assert snapshot(db_path()) == before


# ---------------------------------------------------------------- merging


def test_a_newer_status_wins_and_an_older_one_does_not(seeded: None, tmp_path: Path) -> None:
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


def test_notes_merge_without_duplicates(seeded: None, tmp_path: Path) -> None:
    set_times("notes", "2024-03-01T00:00:00+00:00")
    (lora_1, lora_2) = [row for row in notes() if row[0] == LORA]
    attention = next(row for row in notes() if row[0] == ATTENTION)
    t = "2024-03-01T00:00:00+00:00"
    data = user_file({"alice": {"notes": [
        # the same note: kept, however often it appears
        {"key": LORA, "text": str(lora_1[1]), "created_at": t, "updated_at": t},
        {"key": LORA, "text": str(lora_1[1]), "created_at": "2024-03-01T00:00:00Z", "updated_at": t},
        {"key": LORA, "text": str(lora_2[1]), "created_at": t, "updated_at": t},
        # an edit of the attention note made later elsewhere: the text is updated
        {"key": ATTENTION, "text": "rewritten: zebrafish attention, √d", "created_at": t,
         "updated_at": "2024-04-01T00:00:00+00:00"},
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


def test_an_older_edit_does_not_replace_a_newer_note(seeded: None, tmp_path: Path) -> None:
    set_times("notes", "2024-03-01T00:00:00+00:00")
    before = notes()
    data = user_file({"alice": {"notes": [
        {"key": ATTENTION, "text": "an old draft", "created_at": "2024-03-01T00:00:00+00:00",
         "updated_at": "2024-03-01T00:00:00+00:00"},
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


def test_dry_run_reports_and_writes_nothing(seeded: None, tmp_path: Path) -> None:
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


def test_a_file_of_another_user_is_imported_as_that_user(seeded: None, tmp_path: Path) -> None:
    exported = tmp_path / "alice.json"
    ok("user-data", "export", "-o", str(exported))
    other = tmp_path / "other.db"
    result = ok("--db", str(other), "--user", "carol", "user-data", "import", str(exported))
    assert "alice: statuses 3 added" in result.stdout
    assert "not as carol" in result.stderr
    assert statuses("carol", other) == {}
    assert len(statuses("alice", other)) == 3


def test_import_from_stdin(seeded: None, tmp_path: Path) -> None:
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
    seeded: None, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    before = snapshot(db_path())
    error = assert_one_error(run("user-data", "import", str(path)))
    assert message in error, error
    assert snapshot(db_path()) == before


def test_a_file_bad_only_at_its_end_writes_nothing(seeded: None, tmp_path: Path) -> None:
    data = user_file({
        "alice": {"statuses": [GOOD_STATUS | {"key": ELSEWHERE}], "notes": [GOOD_NOTE]},
        "bob": {"notes": [GOOD_NOTE, GOOD_NOTE | {"created_at": 12}]},
    })
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = snapshot(db_path())
    assert "users.bob.notes[1].created_at must be a string" in assert_one_error(run("user-data", "import", str(path)))
    assert snapshot(db_path()) == before


def test_unreadable_files_are_assert_one_error(seeded: None, tmp_path: Path) -> None:
    assert "does not exist" in assert_one_error(run("user-data", "import", str(tmp_path / "missing.json")))
    assert "is a directory" in assert_one_error(run("user-data", "import", str(tmp_path)))
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00\x81 not utf-8")
    assert "not UTF-8" in assert_one_error(run("user-data", "import", str(binary)))
