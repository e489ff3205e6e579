"""A list exported as Markdown and imported again is the same list; an import writes user data only when asked."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from helpers import json_out, ok, user_data

LORA = "2106.09685"
GPT3 = "2005.14165"


def db_file() -> Path:
    return Path(os.environ["LLMREADS_DB"])


def shown(path: Path) -> list[tuple[object, ...]]:
    """What a reader sees of every entry: its section, paper, title, stars, introduction, year and links."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT s.number, p.key, coalesce(nullif(e.title, ''), p.title), e.stars, e.intro, e.year,"
            " (SELECT group_concat(l.text || ' ' || l.url, ' | ') FROM"
            "   (SELECT text, url FROM links WHERE entry_id = e.id ORDER BY position) l)"
            " FROM entries e JOIN sections s ON s.id = e.section_id JOIN papers p ON p.id = e.paper_id"
            " ORDER BY e.position"
        ).fetchall()
    finally:
        conn.close()


@pytest.fixture
def exported(cli, tmp_path, seeded):  # type: ignore[no-untyped-def]
    """The bundled list with alice's marks, exported whole as Markdown."""
    ok(cli("mark-read", LORA))
    ok(cli("mark-reading", GPT3))
    ok(cli("note", "add", LORA, "low *rank*\n\n- a second paragraph"))
    ok(cli("note", "add", LORA, "another note"))
    path = tmp_path / "export.md"
    ok(cli("export", "--format", "markdown", "-o", str(path)))
    return path


def test_reimporting_an_unfiltered_export_over_its_list_changes_nothing(seeded, cli, exported):
    before, users_before = shown(db_file()), user_data(db_file())
    report = json_out(cli("import", str(exported), "--json"))
    assert (report["added"], report["removed"], report["updated"], report["unchanged"]) == ([], [], [], 118)
    assert (report["retitled"], report["moved"], report["rerated"], report["link_changes"]) == ([], [], [], [])
    assert report["introductions_emptied"] == 0
    assert shown(db_file()) == before
    assert sum(1 for row in before if row[4]) == 110  # every introduction of the bundled list is kept
    assert user_data(db_file()) == users_before
    # And the bundled list over its export: nothing either.
    assert json_out(cli("import", "--json"))["unchanged"] == 118


def test_an_export_imported_elsewhere_gives_back_the_same_list(cli, exported, tmp_path):
    other = tmp_path / "other.db"
    ok(cli("--db", str(other), "import", str(exported)))
    assert shown(other) == shown(db_file())
    sections = [(s["number"], s["title"]) for s in json_out(cli("sections", "--json"))]
    assert [(s["number"], s["title"]) for s in json_out(cli("--db", str(other), "sections", "--json"))] == sections
    # By default the marks of whoever wrote the file are not taken for the reader's.
    assert user_data(other) == ([], [])


def test_with_user_data_reads_marks_and_notes_back_only_where_there_are_none(cli, exported, tmp_path):
    other = tmp_path / "other.db"
    ok(cli("--db", str(other), "--user", "bob", "import", str(exported)))
    ok(cli("--db", str(other), "--user", "bob", "mark-unread", GPT3))  # bob has a status of his own there
    result = cli("--db", str(other), "--user", "bob", "import", str(exported), "--with-user-data")
    assert "  read as yours: 1 status, 2 notes\n" in ok(result)
    statuses, notes = user_data(other)
    # The status read back is an event of the history, as any status set is.
    history = sqlite3.connect(other).execute("SELECT user, paper_key, status FROM status_history").fetchall()
    assert sorted(history) == [("bob", f"arxiv:{GPT3}", "unread"), ("bob", f"arxiv:{LORA}", "read")]
    assert statuses == [("bob", f"arxiv:{GPT3}", "unread"), ("bob", f"arxiv:{LORA}", "read")]
    assert notes == [
        ("bob", f"arxiv:{LORA}", "another note"),
        ("bob", f"arxiv:{LORA}", "low *rank*\n\n- a second paragraph"),
    ]
    # A status read back is an event of bob's history, as any status set is.
    history = json_out(cli("--db", str(other), "--user", "bob", "history", "--json"))
    assert [(e["key"], e["status"]) for e in history] == [(f"arxiv:{LORA}", "read"), (f"arxiv:{GPT3}", "unread")]
    # Once they are there, a second read adds nothing.
    again = cli("--db", str(other), "--user", "bob", "import", str(exported), "--with-user-data", "--json")
    assert (json_out(again)["statuses_read"], json_out(again)["notes_read"]) == (0, 0)
    assert user_data(other) == (statuses, notes)
    found = json_out(cli("--db", str(other), "--user", "bob", "search", "another", "--json"))
    assert [r["arxiv"] for r in found] == [LORA]


def test_a_dry_run_with_user_data_writes_none(cli, exported, tmp_path):
    other = tmp_path / "other.db"
    ok(cli("--db", str(other), "import", str(exported)))
    dry = ok(cli("--db", str(other), "import", str(exported), "--with-user-data", "--dry-run"))
    assert "  read as yours: 2 statuses, 2 notes\n" in dry
    assert user_data(other) == ([], [])


def test_an_update_that_empties_most_introductions_says_so(cli, exported, tmp_path):
    # An export from before introductions were written: the item lines alone.
    bare = tmp_path / "bare.md"
    bare.write_text(
        "\n".join(line for line in exported.read_text(encoding="utf-8").split("\n") if not line.startswith("  ")),
        encoding="utf-8",
    )
    dry = cli("import", str(bare), "--dry-run")
    assert "  warning: introductions emptied: 108 of the list's 118 papers had one and have none now\n" in ok(dry)
    report = json_out(cli("import", str(bare), "--json"))
    assert report["introductions_emptied"] == 108
    # A change to a few introductions is no warning.
    text = exported.read_text(encoding="utf-8")
    lora_intro = next(line for line in text.split("\n") if line.startswith("  LoRa"))
    ok(cli("import", str(exported)))
    few = tmp_path / "few.md"
    few.write_text(text.replace(lora_intro + "\n", ""), encoding="utf-8")
    out = ok(cli("import", str(few), "--dry-run"))
    assert "introductions emptied" not in out
    # An introduction that went is a change, however the rest of the list is written.
    report = json_out(cli("import", str(few), "--json"))
    lora = "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"
    assert (report["updated"], report["introductions_emptied"]) == ([lora], 1)
    assert json_out(cli("import", str(exported), "--json"))["introductions_emptied"] == 0
