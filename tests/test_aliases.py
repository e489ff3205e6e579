"""A paper whose link changes keeps its reader's data: the old key becomes an alias of the new one."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, SEED_PATH, copy_database, examples, json_out, ok
from llmreads import aliases
from llmreads.db import open_db
from llmreads.keys import short_id

FORMATS = FIXTURES / "formats"
SAM = "Segment Anything"
SAM_OLD = (  # an expiring CDN link, as the bundled list has it
    "url:scontent-hkg4-1.xx.fbcdn.net/v/t39.2365-6/10000000_900554171201033_1602411987825904100_n.pdf"
    "?_nc_cat=100&ccb=1-7&_nc_sid=3c67a6&_nc_ohc=mmvtlZMA04wAX-RwgTa&_nc_ht=scontent-hkg4-1.xx"
    "&oh=00_AfBuHxlkg_suWaHlbfcxnHKk3OlAF2H70izO36Hx3wlHhg&oe=64E10CA7"
)
SAM_NEW_URL = "https://ai.meta.com/research/publications/segment-anything/"
SAM_NEW = "url:ai.meta.com/research/publications/segment-anything"
SAM_THIRD_URL = "https://segment-anything.com/paper.pdf"
SAM_THIRD = "url:segment-anything.com/paper.pdf"
OLD_ID = short_id(SAM_OLD)  # e881c7, as the tour shows it
NEW_ID = short_id(SAM_NEW)


def db_file() -> Path:
    return Path(os.environ["LLMREADS_DB"])


def seed() -> str:
    return SEED_PATH.read_text(encoding="utf-8")


def relinked(url: str, title: str = SAM) -> str:
    """The bundled list with Segment Anything's link (and maybe its title) changed."""
    text = seed()
    (row,) = [line for line in text.split("\n") if f"[{SAM}](" in line]
    start = row.index(f"[{SAM}](")
    end = row.index(")", start)
    return text.replace(row, row[:start] + f"[{title}]({url}" + row[end:])


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def user_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the user-data tables, rowid included, exactly as stored."""
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall()
            for table in ("statuses", "notes")
        }
    finally:
        conn.close()


def alias_rows(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute("SELECT alias, key FROM key_aliases ORDER BY alias")]
    finally:
        conn.close()


@pytest.fixture
def read_sam(cli, seeded, prepared):  # type: ignore[no-untyped-def]
    """The bundled list, with alice's status and note on Segment Anything (keyed by its CDN link)."""

    def build() -> None:
        assert json_out(cli("show", OLD_ID, "--json"))["key"] == SAM_OLD
        ok(cli("mark-read", OLD_ID))
        ok(cli("note", "add", OLD_ID, "promptable masks"))

    prepared("aliases.read_sam", build)


# ---------------------------------------------------------------- a list update changes a link


def test_status_and_note_follow_a_paper_whose_link_changed(cli, tmp_path, read_sam):
    before = user_rows(db_file())
    report = json_out(cli("import", write(tmp_path, "new.md", relinked(SAM_NEW_URL)), "--json"))

    assert report["link_changes"] == [{"old_key": SAM_OLD, "new_key": SAM_NEW, "title": SAM}]
    assert (report["added"], report["removed"], report["left_with_user_data"]) == ([], [], [])
    paper = json_out(cli("show", SAM, "--json"))
    assert (paper["id"], paper["key"], paper["url"], paper["status"]) == (NEW_ID, SAM_NEW, SAM_NEW_URL, "read")
    assert [n["text"] for n in paper["notes"]] == ["promptable masks"]
    # The old short id still names the paper; so does the old key.
    assert json_out(cli("show", OLD_ID, "--json"))["id"] == NEW_ID
    assert json_out(cli("show", SAM_OLD, "--json"))["id"] == NEW_ID
    # Every view of user data sees it on the paper the list holds now.
    assert [r["id"] for r in json_out(cli("list", "--status", "read", "--json"))] == [NEW_ID]
    assert NEW_ID not in [r["id"] for r in json_out(cli("list", "--status", "unread", "--json"))]
    assert [r["id"] for r in json_out(cli("search", "promptable", "--json"))] == [NEW_ID]
    assert [(n["paper"], n["title"], n["listed"]) for n in json_out(cli("note", "list", "--json"))] == [
        (NEW_ID, SAM, True)
    ]
    exported = json_out(cli("export", "--format", "json", "--status", "read"))
    assert [(e["id"], [n["text"] for n in e["notes"]]) for e in exported] == [(NEW_ID, ["promptable masks"])]
    assert json_out(cli("progress", "--json"))["total"]["read"] == 1
    assert [(u["user"], u["read"], u["notes"]) for u in json_out(cli("users", "--json"))] == [("alice", 1, 1)]
    listed = [r["id"] for r in json_out(cli("list", "--all", "--json"))]
    assert NEW_ID in listed and OLD_ID not in listed  # one paper, not two
    # Nothing of the user's data was written: the rows are the very same.
    assert user_rows(db_file()) == before
    assert alias_rows(db_file()) == [(SAM_OLD, SAM_NEW)]


def test_the_report_says_link_changed(cli, tmp_path, read_sam):
    path = write(tmp_path, "new.md", relinked(SAM_NEW_URL))
    dry = ok(cli("import", path, "--dry-run"))
    assert f"  link changed: {SAM}: {SAM_OLD} → {SAM_NEW}\n" in dry
    assert "  added 0, updated 1, unchanged 117, removed 0\n" in dry
    assert alias_rows(db_file()) == []  # a dry run records nothing
    assert f"  link changed: {SAM}: {SAM_OLD} → {SAM_NEW}\n" in ok(cli("import", path))


def test_a_paper_being_read_stays_first_in_next_after_its_link_changed(seeded, cli, tmp_path):
    ok(cli("import"))
    ok(cli("mark-reading", OLD_ID))
    ok(cli("import", write(tmp_path, "new.md", relinked(SAM_NEW_URL))))
    rows = json_out(cli("next", "--json"))
    assert (rows[0]["id"], rows[0]["status"]) == (NEW_ID, "reading")
    assert [r["id"] for r in json_out(cli("list", "--status", "reading", "--json"))] == [NEW_ID]
    # A later change of status goes to the row the status is kept in: still one status for the paper.
    ok(cli("mark-unread", NEW_ID))
    assert json_out(cli("show", NEW_ID, "--json"))["status"] == "unread"
    conn = sqlite3.connect(db_file())
    assert conn.execute("SELECT paper_key, status FROM statuses").fetchall() == [(SAM_OLD, "unread")]
    conn.close()


def test_two_link_changes_make_a_chain_that_resolves_in_one_step(seeded, cli, tmp_path, read_sam):
    ok(cli("import", write(tmp_path, "second.md", relinked(SAM_NEW_URL))))
    report = json_out(cli("import", write(tmp_path, "third.md", relinked(SAM_THIRD_URL)), "--json"))
    assert report["link_changes"] == [{"old_key": SAM_NEW, "new_key": SAM_THIRD, "title": SAM}]
    assert alias_rows(db_file()) == sorted([(SAM_OLD, SAM_THIRD), (SAM_NEW, SAM_THIRD)])
    third = short_id(SAM_THIRD)
    paper = json_out(cli("show", third, "--json"))
    assert (paper["status"], [n["text"] for n in paper["notes"]]) == ("read", ["promptable masks"])
    assert json_out(cli("show", OLD_ID, "--json"))["id"] == third
    assert json_out(cli("show", NEW_ID, "--json"))["id"] == third
    # The link changing back makes no cycle: the first key names the paper again.
    ok(cli("import"))
    assert alias_rows(db_file()) == sorted([(SAM_NEW, SAM_OLD), (SAM_THIRD, SAM_OLD)])
    assert json_out(cli("show", third, "--json"))["id"] == OLD_ID
    assert json_out(cli("show", OLD_ID, "--json"))["status"] == "read"


def test_a_new_title_with_a_new_link_is_another_paper(cli, tmp_path, read_sam):
    text = relinked(SAM_NEW_URL, "Segment Anything Model 2")
    report = json_out(cli("import", write(tmp_path, "new.md", text), "--json"))
    assert report["link_changes"] == []
    assert (report["added"], report["removed"]) == (["Segment Anything Model 2"], [SAM])
    assert report["left_with_user_data"] == [
        {"id": OLD_ID, "key": SAM_OLD, "title": SAM, "statuses": 1, "notes": 1, "tags": 0, "ratings": 0, "history": 1}
    ]
    assert alias_rows(db_file()) == []
    assert json_out(cli("show", NEW_ID, "--json"))["status"] == "unread"
    # The old paper keeps its data, and stays in reach.
    hidden = [r for r in json_out(cli("list", "--all", "--json")) if r["id"] == OLD_ID]
    assert [(r["title"], r["status"], r["sections"]) for r in hidden] == [(SAM, "read", [])]
    assert [(n["paper"], n["title"], n["listed"]) for n in json_out(cli("note", "list", "--json"))] == [
        (OLD_ID, SAM, False)
    ]


def test_the_report_names_user_data_left_on_papers_no_list_holds(cli, tmp_path, read_sam):
    text = relinked(SAM_NEW_URL, "Segment Anything Model 2")
    out = ok(cli("import", write(tmp_path, "new.md", text)))
    assert f"  kept on a paper no list holds: {OLD_ID}  {SAM} (1 status, 1 note, 1 history event)\n" in out
    assert "`llmreads list --all`" in out


def test_note_list_names_the_paper_of_a_note_no_list_shows(cli, tmp_path, read_sam):
    ok(cli("import", write(tmp_path, "new.md", relinked(SAM_NEW_URL, "Segment Anything Model 2"))))
    out = ok(cli("note", "list", env={"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "100"}))
    assert f"{SAM} (no list holds it)" in out
    assert "promptable masks" in out


def test_list_all_shows_only_unlisted_papers_that_keep_this_users_data(seeded, cli, tmp_path):
    ok(cli("import"))
    ok(cli("--user", "bob", "mark-read", OLD_ID))
    text = relinked(SAM_NEW_URL, "Segment Anything Model 2").replace("[Emergent Abilities", "[Emergent Capacities")
    ok(cli("import", write(tmp_path, "new.md", text)))
    listed = {r["id"] for r in json_out(cli("list", "--json"))}
    assert len(listed) == 118
    assert {r["id"] for r in json_out(cli("list", "--all", "--json"))} == listed  # alice has nothing unlisted
    bobs = {r["id"] for r in json_out(cli("--user", "bob", "list", "--all", "--json"))}
    assert bobs - listed == {OLD_ID}


GROUP = """\
# Twins

## One

- [Same Title](https://a.example/one) first
- [Same Title](https://b.example/two) second
- [Other](https://c.example/other) third
"""


def test_a_title_that_another_paper_of_the_list_keeps_is_not_a_link_change(cli, tmp_path):
    ok(cli("import", write(tmp_path, "v1.md", GROUP)))
    ok(cli("mark-read", "url:a.example/one"))
    ok(cli("note", "add", "url:a.example/one", "the first twin"))
    # The first twin's link changes while the second stays: which one moved is unsure.
    moved = GROUP.replace("a.example/one", "d.example/new")
    report = json_out(cli("import", write(tmp_path, "v2.md", moved), "--json"))
    assert report["link_changes"] == []
    assert (report["added"], report["removed"]) == (["Same Title"], ["Same Title"])
    assert alias_rows(db_file()) == []
    assert [r["key"] for r in json_out(cli("list", "--status", "read", "--json"))] == []
    # A paper that stays while another one comes with its title: nothing left, nothing aliased.
    added = GROUP.replace("third\n", "third\n- [Same Title](https://e.example/three) a third twin\n")
    report = json_out(cli("import", write(tmp_path, "v3.md", added), "--json"))
    assert report["link_changes"] == []
    assert alias_rows(db_file()) == []
    assert [r["key"] for r in json_out(cli("list", "--status", "read", "--json"))] == ["url:a.example/one"]


def test_an_alias_survives_the_removal_of_its_list(cli, tmp_path, read_sam):
    ok(cli("import", write(tmp_path, "new.md", relinked(SAM_NEW_URL))))
    ok(cli("import", str(FORMATS / "reading_group.md")))  # a list stays: no import of the bundled one
    ok(cli("remove-list", "LLM_Paper_Reading"))
    assert alias_rows(db_file()) == [(SAM_OLD, SAM_NEW)]
    shown = [r for r in json_out(cli("list", "--all", "--json")) if not r["sections"]]
    assert [(r["id"], r["status"]) for r in shown] == [(NEW_ID, "read")]  # one paper for its two keys
    assert json_out(cli("show", OLD_ID, "--json"))["id"] == NEW_ID
    assert [n["text"] for n in json_out(cli("show", SAM, "--json"))["notes"]] == ["promptable masks"]
    # The list coming back brings the paper back whole.
    ok(cli("import", write(tmp_path, "new.md", relinked(SAM_NEW_URL))))
    assert json_out(cli("show", NEW_ID, "--json"))["status"] == "read"


# ---------------------------------------------------------------- user-data files


def test_user_data_moves_to_a_database_that_only_knows_the_new_link(cli, tmp_path, read_sam):
    new_list = write(tmp_path, "new.md", relinked(SAM_NEW_URL))
    ok(cli("import", new_list))
    exported = tmp_path / "alice.json"
    ok(cli("user-data", "export", "-o", str(exported)))
    part = json.loads(exported.read_text(encoding="utf-8"))["users"]["alice"]
    assert [(s["key"], s["title"]) for s in part["statuses"]] == [(SAM_OLD, SAM)]  # as stored
    assert part["aliases"] == [{"alias": SAM_OLD, "key": SAM_NEW}]

    other = {"LLMREADS_DB": str(tmp_path / "other.db")}
    ok(cli("import", new_list, env=other))  # never saw the old link
    report = json_out(cli("user-data", "import", str(exported), "--json", env=other))
    assert report["users"]["alice"]["statuses"]["added"] == 1
    paper = json_out(cli("show", NEW_ID, "--json", env=other))
    assert (paper["status"], [n["text"] for n in paper["notes"]]) == ("read", ["promptable masks"])
    # Importing it again changes nothing.
    again = json_out(cli("user-data", "import", str(exported), "--json", env=other))
    assert again["users"]["alice"]["statuses"] == {"added": 0, "updated": 0, "kept": 1}
    assert again["users"]["alice"]["notes"] == {"added": 0, "updated": 0, "kept": 1}


def test_user_data_merges_by_paper_whatever_key_each_side_keeps_it_under(cli, tmp_path, read_sam):
    ok(cli("import", write(tmp_path, "new.md", relinked(SAM_NEW_URL))))
    conn = sqlite3.connect(db_file())
    (created,) = conn.execute("SELECT created_at FROM notes").fetchone()
    conn.close()
    # A file from a database that knows the paper by its new key only: the same note, a newer status.
    late = {"format": "llmreads-user-data", "version": 1, "users": {"alice": {
        "statuses": [{"key": SAM_NEW, "status": "reading", "updated_at": "2100-01-01T00:00:00+00:00"}],
        "notes": [{"key": SAM_NEW, "text": "promptable masks", "created_at": created, "updated_at": created}],
    }}}
    report = json_out(cli("user-data", "import", write(tmp_path, "late.json", json.dumps(late)), "--json"))
    assert report["users"]["alice"]["notes"] == {"added": 0, "updated": 0, "kept": 1}
    assert report["users"]["alice"]["statuses"] == {"added": 0, "updated": 1, "kept": 0}
    paper = json_out(cli("show", NEW_ID, "--json"))
    assert (paper["status"], [n["text"] for n in paper["notes"]]) == ("reading", ["promptable masks"])
    conn = sqlite3.connect(db_file())
    assert conn.execute("SELECT paper_key, status FROM statuses").fetchall() == [(SAM_OLD, "reading")]
    conn.close()


def test_a_dry_run_of_a_user_data_file_adds_no_alias(seeded, cli, tmp_path, read_sam):
    ok(cli("import", write(tmp_path, "new.md", relinked(SAM_NEW_URL))))
    exported = tmp_path / "alice.json"
    ok(cli("user-data", "export", "-o", str(exported)))
    other = {"LLMREADS_DB": str(tmp_path / "other.db")}
    ok(cli("import", env=other))
    ok(cli("user-data", "import", str(exported), "--dry-run", env=other))
    assert alias_rows(tmp_path / "other.db") == []


def test_a_user_data_file_with_an_empty_alias_is_refused(cli, tmp_path, one_error):
    data = {"format": "llmreads-user-data", "version": 1,
            "users": {"alice": {"statuses": [], "notes": [], "aliases": [{"alias": " ", "key": SAM_NEW}]}}}
    path = write(tmp_path, "bad.json", json.dumps(data))
    assert one_error(cli("user-data", "import", path)) == (
        f"Error: {path}: users.alice.aliases[0].alias must not be empty"
    )


# ---------------------------------------------------------------- the store functions


@pytest.fixture
def blank(tmp_path):  # type: ignore[no-untyped-def]
    conn = open_db(tmp_path / "aliases.db")
    yield conn
    conn.close()


def test_add_alias_resolves_chains_and_never_makes_a_cycle(blank):
    aliases.add_alias(blank, "a", "b")
    aliases.add_alias(blank, "b", "c")
    assert aliases.canonical_key(blank, "a") == aliases.canonical_key(blank, "b") == "c"
    assert aliases.same_keys(blank, "a") == ["c", "a", "b"]
    aliases.add_alias(blank, "c", "a")  # back to the first key
    assert sorted(tuple(r) for r in blank.execute("SELECT alias, key FROM key_aliases")) == [("b", "a"), ("c", "a")]
    aliases.add_alias(blank, "a", "a")
    aliases.add_alias(blank, "b", "a")  # already so
    assert aliases.canonical_keys(blank, ["a", "b", "c", "z"]) == {"a": "a", "b": "a", "c": "a", "z": "z"}
    with pytest.raises(ValueError, match="must not be empty"):
        aliases.add_alias(blank, "", "a")


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.sampled_from("abcdef")), max_size=12))
def test_any_sequence_of_aliases_keeps_one_current_key_per_paper(tmp_path_factory, blank_template, pairs):
    # A copy of a migrated blank database: migrating one for each of the examples took most of the test's time.
    conn = open_db(copy_database(blank_template, tmp_path_factory.mktemp("aliases") / "p.db"))
    try:
        groups = {key: {key} for key in "abcdef"}  # which keys name one paper, by union
        for old, new in pairs:
            aliases.add_alias(conn, old, new)
            merged = groups[old] | groups[new]
            for key in merged:
                groups[key] = merged
            if old != new:
                assert aliases.canonical_key(conn, old) == new  # the newest link names the paper
        rows = dict(conn.execute("SELECT alias, key FROM key_aliases").fetchall())
        assert not set(rows.values()) & set(rows)  # a current key is never an alias: no chain, no cycle
        for key in "abcdef":
            current = aliases.canonical_key(conn, key)
            assert {k for k in "abcdef" if aliases.canonical_key(conn, k) == current} == groups[key]
            assert sorted(aliases.same_keys(conn, key)) == sorted(groups[key])
    finally:
        conn.close()


def test_reading_a_status_through_aliases_uses_the_indexes(conn):
    from llmreads.store.papers import PAPER_JOIN

    aliases.add_alias(conn, SAM_OLD, SAM_NEW)
    sql = f"SELECT count(*) FROM {PAPER_JOIN} WHERE p.listed = 1 AND coalesce(s.status, 'unread') = ?"
    plan = " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", ("alice", "read")))
    assert "SEARCH s USING" in plan and "SCAN s" not in plan and "SCAN st" not in plan, plan
    reading = (
        f"SELECT p.id FROM statuses s JOIN papers p ON p.key IN {aliases.same_paper_sql('s.paper_key')}"
        f" WHERE s.user = ?1 AND s.status = 'reading' AND s.paper_key = {aliases.status_key_sql('s.paper_key', '?1')}"
    )
    plan = " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {reading}", ("alice",)))
    assert "SCAN p" not in plan and "SCAN s" not in plan, plan


def test_tags_ratings_and_history_follow_a_paper_whose_link_changed(cli, tmp_path, read_sam):
    ok(cli("tag", OLD_ID, "vision"))
    ok(cli("rate", OLD_ID, "4"))
    report = json_out(cli("import", write(tmp_path, "new.md", relinked(SAM_NEW_URL)), "--json"))
    assert report["link_changes"] == [{"old_key": SAM_OLD, "new_key": SAM_NEW, "title": SAM}]
    paper = json_out(cli("show", NEW_ID, "--json"))
    assert (paper["tags"], paper["my_stars"]) == (["vision"], 4)
    assert [r["id"] for r in json_out(cli("list", "--tag", "vision", "--json"))] == [NEW_ID]
    assert [e["id"] for e in json_out(cli("history", "--json"))] == [NEW_ID]
    assert json_out(cli("tags", "--json")) == [{"tag": "vision", "papers": 1}]
    # Tagged again under the new key: still one tag, and untag takes it off under every key.
    ok(cli("tag", NEW_ID, "Vision"))
    assert json_out(cli("untag", NEW_ID, "vision", "--json"))["tags"] == []
    ok(cli("rate", NEW_ID, "2"))
    assert json_out(cli("show", OLD_ID, "--json"))["my_stars"] == 2


def test_list_all_shows_an_unlisted_paper_that_keeps_only_a_tag_or_a_rating(seeded, cli, tmp_path):
    ok(cli("import"))
    ok(cli("--user", "carol", "tag", OLD_ID, "vision"))
    ok(cli("--user", "dave", "rate", OLD_ID, "3"))
    text = relinked(SAM_NEW_URL, "Segment Anything Model 2")
    ok(cli("import", write(tmp_path, "new.md", text)))
    for user in ("carol", "dave"):
        shown = [r for r in json_out(cli("--user", user, "list", "--all", "--json")) if r["id"] == OLD_ID]
        assert len(shown) == 1, user
    assert not [r for r in json_out(cli("list", "--all", "--json")) if r["id"] == OLD_ID]


def test_reading_papers_probes_the_alias_index_and_builds_no_set_of_keys(tmp_path):
    # `key IN aliased_keys` (a view, a UNION) made SQLite build a temporary b-tree of every key
    # with an alias, once for each of the six uses in a statement that reads papers; an index
    # probe of key_aliases costs nothing whether there are none or thousands.
    from llmreads.store.papers import PAPER_COLUMNS, PAPER_JOIN

    conn = open_db(tmp_path / "plan.db")
    try:
        plan = [row[3] for row in conn.execute(
            f"EXPLAIN QUERY PLAN SELECT {PAPER_COLUMNS} FROM {PAPER_JOIN} WHERE p.id = ?2", ("alice", 1)
        )]
    finally:
        conn.close()
    assert not [step for step in plan if "aliased_keys" in step or "UNION USING TEMP B-TREE" in step], plan
    assert any("key_aliases" in step and "INDEX" in step for step in plan), plan
