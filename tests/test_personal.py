"""Your own reading: the status history, tags, your star ratings, through every command."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import assert_one_error, json_out, ok, settle

LORA_ID = "50f228"  # arXiv 2106.09685
ATTENTION_ID = "f77a8b"  # 1706.03762
GPT3_ID = "09794a"


@pytest.fixture
def db() -> Path:
    return Path(os.environ["LLMREADS_DB"])


@pytest.fixture
def utc8(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC+8 (a POSIX TZ rule: no time zone data needed)."""
    monkeypatch.setenv("TZ", "XST-8")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def events(db: Path, user: str = "alice") -> list[tuple[str, str, str]]:
    settle(db)
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT paper_key, status, at FROM status_history WHERE user = ? ORDER BY at, rowid", (user,)
        ).fetchall()
    finally:
        conn.close()


def status_at(cli, ref: str) -> str | None:  # type: ignore[no-untyped-def]
    return json_out(cli("show", ref, "--json"))["status_at"]


# ---------------------------------------------------------------- the status history


def test_every_status_change_is_an_event_and_marking_again_changes_nothing(cli, seeded):
    ok(cli("mark-read", LORA_ID))
    first = status_at(cli, LORA_ID)
    ok(cli("mark-read", LORA_ID))  # already read: not a change
    assert status_at(cli, LORA_ID) == first
    ok(cli("mark-unread", LORA_ID))
    ok(cli("mark-reading", LORA_ID))
    found = events(seeded)
    assert [(key, status) for key, status, _ in found] == [
        ("arxiv:2106.09685", "read"), ("arxiv:2106.09685", "unread"), ("arxiv:2106.09685", "reading"),
    ]
    assert found[0][2] == first
    assert all(at.endswith("+00:00") for _, _, at in found)
    ok(cli("mark-reading", LORA_ID))  # reading already: no event
    assert len(events(seeded)) == 3
    ok(cli("mark-unread", ATTENTION_ID))  # never marked: its first status, an event
    assert events(seeded)[-1][:2] == ("arxiv:1706.03762", "unread")


def test_mark_read_date_backfills_at_local_midnight(cli, seeded, utc8):
    detail = json_out(cli("mark-read", LORA_ID, "--date", "2024-03-01", "--json"))
    assert detail[0]["status"] == "read"
    assert events(seeded) == [("arxiv:2106.09685", "read", "2024-02-29T16:00:00+00:00")]
    assert status_at(cli, LORA_ID) == "2024-02-29T16:00:00+00:00"
    ok(cli("mark-read", LORA_ID, "--date", "2024-05-02T08:30:00+02:00"))
    assert events(seeded)[-1] == ("arxiv:2106.09685", "read", "2024-05-02T06:30:00+00:00")


@pytest.mark.parametrize("value", ["2024-13-01", "yesterday", "2024-03-01T25:00", "", "2999-01-01"])
def test_a_bad_date_is_a_usage_error_naming_the_option(cli, seeded, value):
    result = cli("mark-read", LORA_ID, "--date", value)
    assert result.exit_code == 2, result.stdout
    assert "--date" in result.stderr and "Traceback" not in result.stderr
    assert events(seeded) == []


# ---------------------------------------------------------------- tags


def test_tags_are_normalised_counted_listed_searched_and_shown(cli, seeded):
    assert json_out(cli("tag", LORA_ID, " PEFT ", "Must-Read", "微调", "peft", "--json"))["tags"] == [
        "must-read", "peft", "微调"
    ]
    ok(cli("tag", ATTENTION_ID, "MUST-READ"))
    ok(cli("tag", "1706.03762", "must-read"))  # already so: one tag, not two
    assert json_out(cli("tags", "--json")) == [
        {"tag": "must-read", "papers": 2}, {"tag": "peft", "papers": 1}, {"tag": "微调", "papers": 1},
    ]
    assert [r["id"] for r in json_out(cli("list", "--tag", "Must-Read", "--json"))] == [ATTENTION_ID, LORA_ID]
    assert [r["id"] for r in json_out(cli("list", "--tag", "must-read", "--tag", "peft", "--json"))] == [LORA_ID]
    rows = json_out(cli("list", "--json"))
    assert next(r for r in rows if r["id"] == GPT3_ID)["tags"] == []
    assert json_out(cli("show", LORA_ID, "--json"))["tags"] == ["must-read", "peft", "微调"]
    assert [r["id"] for r in json_out(cli("search", "tag:peft", "--json"))] == [LORA_ID]
    assert [r["id"] for r in json_out(cli("search", "tag:must-read attention", "--json"))] == [ATTENTION_ID]
    hits = {r["id"] for r in json_out(cli("search", "lora -tag:must-read", "--json"))}
    assert LORA_ID not in hits and hits
    other = json_out(cli("--user", "bob", "list", "--tag", "must-read", "--json"))
    assert other == []  # tags are per user
    assert json_out(cli("untag", LORA_ID, "PEFT", "--json"))["tags"] == ["must-read", "微调"]
    assert json_out(cli("tags", "--json"))[1:] == [{"tag": "微调", "papers": 1}]


@pytest.mark.parametrize("tag", ["two words", "", "_x", "#x", "a,b", "x" * 51, '"q"'])
def test_a_bad_tag_is_one_error_naming_it_and_changes_nothing(cli, seeded, tag):
    error = assert_one_error(cli("tag", LORA_ID, "fine", tag))
    assert repr(tag) in error
    assert json_out(cli("show", LORA_ID, "--json"))["tags"] == []


def test_untag_of_a_tag_the_paper_lacks_names_it_and_changes_nothing(cli, seeded):
    ok(cli("tag", LORA_ID, "peft"))
    error = assert_one_error(cli("untag", LORA_ID, "peft", "nope"))
    assert "'nope'" in error and LORA_ID in error
    assert json_out(cli("show", LORA_ID, "--json"))["tags"] == ["peft"]


def test_tags_and_ratings_follow_a_paper_whose_key_changed(conn):
    # Written under an old key (an alias), read through the paper's current key, as statuses are.
    from llmreads import aliases
    from llmreads.store.base import transaction
    from llmreads.store.papers import list_papers, paper_summary, resolve_ref
    from llmreads.store.personal import add_tags, remove_tags, set_rating, tag_counts

    pid = resolve_ref(conn, LORA_ID)
    add_tags(conn, "alice", pid, ["peft"])
    set_rating(conn, "alice", pid, 3)
    with transaction(conn):
        aliases.add_alias(conn, "arxiv:2106.09685", "url:example.org/lora")
        conn.execute("UPDATE papers SET key = 'url:example.org/lora' WHERE id = ?", (pid,))
    assert add_tags(conn, "alice", pid, ["peft", "lora"]) == ["lora", "peft"]
    assert conn.execute("SELECT count(*) FROM tags WHERE tag = 'peft'").fetchone()[0] == 1
    assert [t.papers for t in tag_counts(conn, "alice")] == [1, 1]
    paper = paper_summary(conn, "alice", pid)
    assert (paper.tags, paper.my_stars) == (["lora", "peft"], 3)
    set_rating(conn, "alice", pid, 5)
    assert paper_summary(conn, "alice", pid).my_stars == 5
    from llmreads.store.filters import my_stars_filter, tag_filter

    assert [p.id for p in list_papers(conn, "alice", [tag_filter("peft"), my_stars_filter(5)])] == [LORA_ID]
    assert remove_tags(conn, "alice", pid, ["peft"]) == ["lora"]
    set_rating(conn, "alice", pid, 0)
    assert conn.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0


# ---------------------------------------------------------------- ratings


def test_rate_shows_beside_the_lists_stars_filters_and_sorts(cli, seeded):
    assert json_out(cli("rate", GPT3_ID, "2", "--json"))["my_stars"] == 2
    ok(cli("rate", LORA_ID, "5"))
    ok(cli("rate", ATTENTION_ID, "4"))
    assert [r["id"] for r in json_out(cli("list", "--sort", "my-stars", "--limit", "3", "--json"))] == [
        LORA_ID, ATTENTION_ID, GPT3_ID
    ]
    assert [r["id"] for r in json_out(cli("list", "--my-stars", "4", "--json"))] == [ATTENTION_ID, LORA_ID]
    detail = json_out(cli("show", LORA_ID, "--json"))
    assert (detail["stars"], detail["my_stars"]) == (5, 5)
    ok(cli("rate", LORA_ID, "0"))
    assert json_out(cli("show", LORA_ID, "--json"))["my_stars"] is None
    assert json_out(cli("--user", "bob", "show", ATTENTION_ID, "--json"))["my_stars"] is None


def test_your_stars_are_shown_beside_the_lists_on_a_terminal(cli, seeded):
    ok(cli("rate", LORA_ID, "3"))
    env = {"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "120"}
    table = ok(cli("list", "--section", "2.4", env=env))
    line = next(line for line in table.splitlines() if LORA_ID in line)
    assert "★★★★★  ★★★ " in line
    shown = ok(cli("show", LORA_ID, env=env))
    assert "yours  ★★★\n" in shown


@pytest.mark.parametrize("args", [("7",), ("-1",), ("x",)])
def test_a_rating_out_of_range_is_a_usage_error(cli, seeded, args):
    result = cli("rate", LORA_ID, *args)
    assert result.exit_code == 2
    assert "STARS" in result.stderr.upper() and "Traceback" not in result.stderr


def test_my_stars_option_takes_1_to_5(cli, seeded):
    result = cli("list", "--my-stars", "6")
    assert result.exit_code == 2 and "--my-stars" in result.stderr


# ---------------------------------------------------------------- history and progress by month


def test_history_lists_every_change_newest_first_in_local_time(cli, seeded, utc8):
    ok(cli("mark-reading", LORA_ID, "--date", "2024-10-31T23:30"))
    ok(cli("mark-read", LORA_ID, "--date", "2024-11-02"))
    ok(cli("mark-read", ATTENTION_ID, "--date", "2024-11-20T10:00"))
    ok(cli("mark-unread", ATTENTION_ID, "--date", "2024-12-01"))
    found = json_out(cli("history", "--json"))
    assert [(e["id"], e["status"], e["at"]) for e in found] == [
        (ATTENTION_ID, "unread", "2024-12-01T00:00:00+08:00"),
        (ATTENTION_ID, "read", "2024-11-20T10:00:00+08:00"),
        (LORA_ID, "read", "2024-11-02T00:00:00+08:00"),
        (LORA_ID, "reading", "2024-10-31T23:30:00+08:00"),
    ]
    assert set(found[0]) >= {"event_id", "id", "key", "title", "status", "at"}
    assert found[2]["key"] == "arxiv:2106.09685" and found[1]["title"] == "Attention Is All You Need"
    assert len({e["event_id"] for e in found}) == 4
    # --month and --since take local dates (the boundary case is the next test).
    assert [e["status"] for e in json_out(cli("history", "--month", "2024-11", "--json"))] == ["read", "read"]
    assert [e["status"] for e in json_out(cli("history", "--month", "2024-10", "--json"))] == ["reading"]
    assert [e["at"][:10] for e in json_out(cli("history", "--since", "2024-11-20", "--json"))] == [
        "2024-12-01", "2024-11-20"
    ]
    assert json_out(cli("--user", "bob", "history", "--json")) == []


def test_history_month_is_local_at_a_boundary(cli, seeded, utc8):
    # 2024-11-01T03:00 at UTC+8 is still October in UTC: --month goes by the local calendar.
    ok(cli("mark-read", LORA_ID, "--date", "2024-11-01T03:00"))
    assert events(seeded)[0][2] == "2024-10-31T19:00:00+00:00"
    assert len(json_out(cli("history", "--month", "2024-11", "--json"))) == 1
    assert json_out(cli("history", "--month", "2024-10", "--json")) == []


@pytest.mark.parametrize(("option", "value"), [("--month", "2026-13"), ("--month", "11-2026"),
                                               ("--month", "2026"), ("--since", "last week")])
def test_history_bad_dates_are_usage_errors_naming_the_option(cli, seeded, option, value):
    result = cli("history", option, value)
    assert result.exit_code == 2 and option in result.stderr and "Traceback" not in result.stderr


def test_list_sort_read_puts_the_most_recently_first_read_first(cli, seeded):
    ok(cli("mark-read", GPT3_ID, "--date", "2024-01-05"))
    ok(cli("mark-read", LORA_ID, "--date", "2024-03-01"))
    ok(cli("mark-read", ATTENTION_ID, "--date", "2024-02-01"))
    # Read again later: when it was first read still counts.
    ok(cli("mark-unread", GPT3_ID, "--date", "2024-06-01"))
    ok(cli("mark-read", GPT3_ID, "--date", "2024-07-01"))
    rows = json_out(cli("list", "--sort", "read", "--limit", "4", "--json"))
    assert [r["id"] for r in rows[:3]] == [LORA_ID, ATTENTION_ID, GPT3_ID]
    assert rows[3]["status"] == "unread"


def test_progress_by_month_counts_papers_by_the_month_first_read(cli, seeded):
    ok(cli("mark-read", GPT3_ID, "--date", "2024-01-05"))
    ok(cli("mark-read", GPT3_ID, "--date", "2024-04-05"))  # the same paper again: counted once, in January
    ok(cli("mark-read", LORA_ID, "--date", "2024-03-01"))
    ok(cli("mark-read", ATTENTION_ID, "--date", "2024-03-20"))
    ok(cli("mark-reading", "ChatGLM", "--date", "2024-03-21"))  # not read: not counted
    assert json_out(cli("progress", "--by", "month", "--json")) == [
        {"month": "2024-01", "read": 1}, {"month": "2024-02", "read": 0}, {"month": "2024-03", "read": 2},
    ]
    bars = ok(cli("progress", "--by", "month", env={"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "100"}))
    lines = {line.split()[0]: line for line in bars.splitlines() if line.startswith("2024-")}
    assert lines["2024-03"].count("█") == 2 * lines["2024-01"].count("█") > 0
    assert "█" not in lines["2024-02"]


def test_progress_by_month_runs_on_across_a_new_year(cli, seeded):
    ok(cli("mark-read", GPT3_ID, "--date", "2024-11-15"))
    ok(cli("mark-read", LORA_ID, "--date", "2025-02-15"))
    assert json_out(cli("progress", "--by", "month", "--json")) == [
        {"month": "2024-11", "read": 1}, {"month": "2024-12", "read": 0},
        {"month": "2025-01", "read": 0}, {"month": "2025-02", "read": 1},
    ]


def test_progress_by_month_folds_a_long_run_of_empty_months_into_one_row(cli, seeded):
    ok(cli("mark-read", GPT3_ID, "--date", "2024-01-05"))
    ok(cli("mark-read", LORA_ID, "--date", "2024-06-01"))
    assert len(json_out(cli("progress", "--by", "month", "--json"))) == 6  # JSON has every month
    bars = ok(cli("progress", "--by", "month", env={"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "100"}))
    rows = [line.split()[0] for line in bars.splitlines() if line.startswith("2024-")]
    assert rows == ["2024-01", "2024-02", "2024-06"]
    assert "2024-02 … 2024-05" in bars and "(4 months)" in bars


def test_progress_by_month_honours_the_list(cli, seeded, tmp_path, one_error):
    doc = tmp_path / "club.md"
    doc.write_text("# Club\n\n1. [Language Models are Few-Shot Learners](https://arxiv.org/abs/2005.14165)\n"
                   "2. [A Club Paper](https://example.org/club-paper)\n", encoding="utf-8")
    ok(cli("import", str(doc)))
    ok(cli("mark-read", GPT3_ID, "--date", "2024-01-05"))  # in both lists
    ok(cli("mark-read", "A Club Paper", "--date", "2024-02-10"))  # in the club's list only
    ok(cli("mark-read", LORA_ID, "--date", "2024-03-01"))  # in the bundled list only
    assert json_out(cli("progress", "--by", "month", "--list", "Club", "--json")) == [
        {"month": "2024-01", "read": 1}, {"month": "2024-02", "read": 1}]
    assert json_out(cli("progress", "--by", "month", "--list", "LLM_Paper_Reading", "--json")) == [
        {"month": "2024-01", "read": 1}, {"month": "2024-02", "read": 0}, {"month": "2024-03", "read": 1}]
    assert json_out(cli("progress", "--by", "month", "--json")) == [
        {"month": "2024-01", "read": 1}, {"month": "2024-02", "read": 1}, {"month": "2024-03", "read": 1}]
    # The default list of the environment (or the config file) is honoured as --list is.
    assert json_out(cli("progress", "--by", "month", "--json", env={"LLMREADS_LIST": "Club"})) == [
        {"month": "2024-01", "read": 1}, {"month": "2024-02", "read": 1}]
    bars = ok(cli("progress", "--by", "month", "--list", "Club",
                  env={"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "100"}))
    assert "list Club" in bars.splitlines()[0] and "2024-03" not in bars
    assert "'Nope'" in one_error(cli("progress", "--by", "month", "--list", "Nope"))


@pytest.mark.parametrize("args", [("tag", LORA_ID, "peft"), ("rate", LORA_ID, "3"), ("history",)])
def test_on_first_use_these_commands_import_the_bundled_list_as_every_paper_command_does(cli, db, args):
    result = cli(*args)
    ok(result)
    assert result.stderr == f"llmreads: imported the bundled list (118 papers) into {db}\n"


def test_a_user_who_only_tagged_or_rated_is_known(cli, seeded):
    result = cli("--user", "carol", "tag", LORA_ID, "peft")
    assert "recorded nothing" not in ok(result) + result.stderr
    ok(cli("--user", "dave", "rate", LORA_ID, "2"))
    again = cli("--user", "dave", "list", "--limit", "1")
    assert "recorded nothing" not in ok(again) + again.stderr
    unknown = cli("--user", "erin", "list", "--limit", "1")
    assert "user 'erin' has recorded nothing" in unknown.stderr


# ---------------------------------------------------------------- users


def test_users_shows_each_users_tag_count_and_rated_count(cli, seeded):
    ok(cli("mark-read", LORA_ID))
    ok(cli("tag", LORA_ID, "peft", "must-read"))
    ok(cli("tag", ATTENTION_ID, "must-read", "classic"))
    ok(cli("rate", LORA_ID, "4"))
    ok(cli("rate", "2106.09685", "5"))  # the same paper again
    ok(cli("rate", ATTENTION_ID, "3"))
    ok(cli("--user", "bob", "tag", GPT3_ID, "later"))  # bob has only a tag
    ok(cli("--user", "carol", "rate", GPT3_ID, "2"))  # carol only a rating
    rows = json_out(cli("users", "--json"))
    assert [(r["user"], r["read"], r["notes"], r["tags"], r["rated"]) for r in rows] == [
        ("alice", 1, 0, 3, 2), ("bob", 0, 0, 1, 0), ("carol", 0, 0, 0, 1)]
    assert all(r["last_active"] for r in rows)
    plain = [line.split("\t") for line in ok(cli("users")).splitlines()]
    assert [line[:6] for line in plain] == [
        ["alice", "1/118", "0", "0", "3", "2"], ["bob", "0/118", "0", "0", "1", "0"],
        ["carol", "0/118", "0", "0", "0", "1"]]
    table = ok(cli("users", env={"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "100"}))
    header = table.splitlines()[0].split()
    assert header[:6] == ["user", "read", "reading", "notes", "tags", "rated"]


# ---------------------------------------------------------------- the import report


def test_the_import_report_counts_tags_ratings_and_history_kept_on_papers_no_list_holds(cli, seeded, tmp_path):
    doc = tmp_path / "club.md"
    first = ("# Club\n\n1. [Tagged Only](https://example.org/tagged)\n2. [Rated And Read](https://example.org/rated)\n"
             "3. [Stays](https://example.org/stays)\n")
    doc.write_text(first, encoding="utf-8")
    ok(cli("import", str(doc)))
    ok(cli("tag", "Tagged Only", "later", "club"))
    ok(cli("--user", "bob", "rate", "Rated And Read", "3"))
    ok(cli("mark-read", "Rated And Read", "--date", "2024-01-02"))
    ok(cli("mark-read", "Rated And Read", "--date", "2024-02-03"))  # a second event of the same status
    tagged, rated = (json_out(cli("show", title, "--json"))["id"] for title in ("Tagged Only", "Rated And Read"))
    doc.write_text("# Club\n\n1. [Stays](https://example.org/stays)\n", encoding="utf-8")
    report = json_out(cli("import", str(doc), "--dry-run", "--json"))
    assert report["left_with_user_data"] == [
        {"id": tagged, "key": "url:example.org/tagged", "title": "Tagged Only", "statuses": 0, "notes": 0,
         "tags": 2, "ratings": 0, "history": 0},
        {"id": rated, "key": "url:example.org/rated", "title": "Rated And Read", "statuses": 1, "notes": 0,
         "tags": 0, "ratings": 1, "history": 2},
    ]
    out = ok(cli("import", str(doc)))
    assert f"  kept on a paper no list holds: {tagged}  Tagged Only (2 tags)\n" in out
    assert f"  kept on a paper no list holds: {rated}  Rated And Read (1 status, 1 rating, 2 history events)\n" in out
    assert "statuses, notes, tags or ratings" in out
