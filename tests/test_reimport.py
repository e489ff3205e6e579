"""A re-import reads again only the table rows it does not hold, and stores what reading every row stores.

Each entry keeps a digest of the row it was read from in its context (the
parser's code, the section, the table's columns; parse.reuse); a re-import
takes the stored entry of a row it finds again. These tests import a list,
then a new version of it, once that way and once reading every row (the
store's import of a plain event stream), and compare every row of every
table and the search index, term by term; they count the rows the parser read.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpers import ENTRY_RANK, PAPER_RANK, examples, snapshot
from llmreads.db import open_db
from llmreads.errors import ImportFailed
from llmreads.models import Entry, ImportReport, KnownRows, TableColumns
from llmreads.parse import iter_document
from llmreads.sources import import_path, read_document
from llmreads.store.base import LIST_STRIDE, marks
from llmreads.store.importer import import_document
from llmreads.store.lines import lines_of, unpack
from llmreads.store.positions import GAP, numbered
from llmreads.store.tracking import set_status

LIST = "L"
USER_TABLES = ("statuses", "status_history", "notes", "tags", "ratings")


def section(name: str, first: int, count: int, header: str = "| # | Paper | Intro | Stars |") -> list[str]:
    lines = ["", f"## {name}", "", header, "|---|---|---|---|"]
    for n in range(first, first + count):
        lines.append(f"| {n} | [Paper number {n} on reading](https://arxiv.org/abs/2401.{n:05d}) | about {n} | ⭐⭐ |")
    return lines


def document(*sections: list[str]) -> str:
    return "\n".join(["# A reading list", *[line for part in sections for line in part], ""])


V1 = document(section("Alpha", 1, 5), section("Beta", 10, 8), section("Gamma", 30, 8))


def changed(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


# Beta: one row's introduction and one row's stars changed, one row removed, one added.
V2 = changed(changed(changed(changed(
    V1, "about 11 |", "about eleven |"), "about 12 | ⭐⭐ |", "about 12 | ⭐⭐⭐ |"),
    "| 13 | [Paper number 13 on reading](https://arxiv.org/abs/2401.00013) | about 13 | ⭐⭐ |\n", ""),
    "| 14 |", "| 99 | [A paper added](https://arxiv.org/abs/2402.00001) | new | ⭐ |\n| 14 |")


class Reads:
    """How many table rows the parser read (tables._row), as the import of a file runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from llmreads.parse import tables

        self.count = 0
        read = tables._row

        def counted(*args: object, **kwargs: object) -> None:
            self.count += 1
            read(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(tables, "_row", counted)

    def during(self, action: Callable[[], object]) -> int:
        before = self.count
        action()
        return self.count - before


def import_reusing(db: Path, path: Path) -> ImportReport:
    conn = open_db(db)
    try:
        return import_path(conn, str(path), name=LIST)
    finally:
        conn.close()


def import_reading_all(db: Path, path: Path) -> ImportReport:
    """The same import, every row read (the parser still gives rows their digests, which the store keeps)."""
    source = read_document(str(path), None)
    conn = open_db(db)
    try:
        return import_document(conn, iter_document(source.lines(), reuse=KnownRows()), name=LIST,
                               fallback_name=source.fallback_name, source=source.name, sha256=source.sha256)
    finally:
        conn.close()


# Sections, entries and links by their place (list, section number, position, link position), not by row id:
# a re-import keeps the rows it finds again, where a first import numbers every row anew. Per table: its
# alias, and what stands for the ids it holds.
PLACED = {
    "sections": ("s", ""),
    "entries": ("e", ", (SELECT number FROM sections s WHERE s.id = e.section_id)"),
    "links": ("l", f", (SELECT e.list_id || ':' || {ENTRY_RANK.format(e='e')} FROM entries e WHERE e.id = l.entry_id)"),
}
RANKED = {
    ("entries", "position"): ENTRY_RANK.format(e="e"),
    ("papers", "position"): PAPER_RANK.format(p="p"),
}


def rank_and_line(conn: sqlite3.Connection, entry_id: int) -> tuple[int, int]:
    """An entry's place in its list's order (0 first) and its line."""
    rank, list_id = conn.execute(f"SELECT {ENTRY_RANK.format(e='e')}, list_id FROM entries e WHERE id = ?",
                                 (entry_id,)).fetchone()
    return rank, lines_of(conn, [(list_id, entry_id)])[entry_id]


def list_lines(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    """Each list's lines (store.lines) as (list id, rank, line), once checked to name the list's entries in its
    order."""
    found: list[tuple[object, ...]] = []
    for list_id, entries, lines in conn.execute("SELECT list_id, entries, lines FROM list_lines ORDER BY list_id"):
        ids = unpack(entries)
        assert ids == [r[0] for r in conn.execute("SELECT id FROM entries WHERE list_id = ? ORDER BY position",
                                                  (list_id,))]
        found += [(list_id, rank, line) for rank, line in enumerate(unpack(lines))]
    return found


def placed_rows(conn: sqlite3.Connection, name: str) -> list[tuple[object, ...]]:
    """Every row of a table, in a sorted list; those of PLACED without their row ids and the ids they hold;
    positions as ranks (RANKED)."""
    if name == "list_lines":
        return list_lines(conn)
    alias, ids = PLACED.get(name, ("p" if name == "papers" else "t", ""))
    names = [row[0] for row in conn.execute(f"SELECT name FROM pragma_table_info('{name}')")]
    if name in PLACED:
        names = [column for column in names if column not in ("id", "section_id", "entry_id")]
    if name == "papers":  # a digest of its names kept for re-imports, which one writes where it is NULL
        names.remove("ident")
    columns = ", ".join(RANKED.get((name, column), f'{alias}."{column}"') for column in names)
    return sorted(conn.execute(f'SELECT {columns}{ids} FROM "{name}" {alias}').fetchall(), key=repr)


def stored(db: Path, with_user_data: bool = False) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (the import's time left out) and the search index's terms."""
    conn = sqlite3.connect(db)
    try:
        found = {}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            if name.startswith(("papers_fts", "notes_fts", "papers_vocab", "_sqlite_migrations", "sqlite_stat")):
                continue  # the index's own storage (compared by its terms below), times, the planner's statistics
            if name in USER_TABLES and not with_user_data:
                continue  # times and random ids: test_a_reimport_that_reuses_rows_leaves_user_data_as_it_was
            found[name] = placed_rows(conn, name)
        columns = [row[0] for row in conn.execute("SELECT name FROM pragma_table_info('lists')")]
        assert "imported_at" in columns
        kept = ", ".join(c for c in columns if c != "imported_at")
        found["lists"] = conn.execute(f"SELECT {kept} FROM lists ORDER BY id").fetchall()
        for table in ("papers_fts", "notes_fts"):
            conn.execute(f"CREATE VIRTUAL TABLE temp.{table}_terms USING fts5vocab(main, {table}, 'instance')")
            found[table] = conn.execute(f"SELECT * FROM temp.{table}_terms ORDER BY 1, 2, 3, 4").fetchall()
        return found
    finally:
        conn.close()


def reimport_both_ways(tmp_path: Path, first: str, second: str, reads: Reads, before: Callable[[Path], None]
                       = lambda db: None) -> int:
    """Import `first` then `second` both ways; assert the databases hold the same; return the rows read the
    second time when reusing."""
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text(first, encoding="utf-8")
    two.write_text(second, encoding="utf-8")
    reusing, reading = tmp_path / "reusing.db", tmp_path / "reading.db"
    for db, do in ((reusing, import_reusing), (reading, import_reading_all)):
        do(db, one)
        before(db)
    reports = []
    count = reads.during(lambda: reports.append(import_reusing(reusing, two)))
    reports.append(import_reading_all(reading, two))
    assert [replace(report, source="") for report in reports[:1]] == [replace(reports[1], source="")]
    a, b = stored(reusing), stored(reading)
    assert a.keys() == b.keys()
    for table in a:
        assert a[table] == b[table], table
    return count


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    return Reads(monkeypatch)


def test_a_reimport_reads_only_the_rows_it_does_not_hold(tmp_path: Path, reads: Reads) -> None:
    count = reimport_both_ways(tmp_path, V1, V2, reads)
    # The first section is read before the import knows the list (it comes with the document's title);
    # of the others only the two changed rows and the added one.
    assert count == 5 + 3


def test_rows_found_again_next_to_each_other_come_as_one_event_and_are_not_split_into_cells(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmreads.models import ReusedRows
    from llmreads.parse import fastpath, reuse

    # Every row of V1 is known: what a first import of V1 leaves the next one.
    first = list(iter_document(V1, reuse=KnownRows()))
    known = KnownRows()
    known.rows = {event.source for event in first if isinstance(event, Entry) and event.source is not None}
    known.tables = {event.key: (event.counts, event.sample) for event in first if isinstance(event, TableColumns)}
    split: list[str] = []
    real = fastpath._split_cells

    def counted(text: str) -> list[str]:
        split.append(text)
        return real(text)

    monkeypatch.setattr(reuse, "_split_cells", counted)
    monkeypatch.setattr(fastpath, "_split_cells", counted)
    events = list(iter_document(changed(V1, "about 13 |", "about thirteen |"), reuse=known))
    runs = [(event.section, len(event)) for event in events if isinstance(event, ReusedRows)]
    # Beta's 8 rows: 3 found again, row 13 read, 4 found again; Gamma's 8 in one run. Alpha comes first, before
    # the import would know the list: here it is known too.
    assert runs == [("1", 5), ("2", 3), ("2", 4), ("3", 8)]
    assert [event.title for event in events if isinstance(event, Entry)] == ["Paper number 13 on reading"]
    # Rows found again are not split into cells, but for each table's first (which says the table holds papers).
    assert sorted(text.split("|")[0].strip() for text in split if "about" in text and "thirteen" not in text) == [
        "1", "10", "30"]
    run = next(event for event in events if isinstance(event, ReusedRows))
    assert [entry.line for entry in run] == run.lines and [entry.source for entry in run] == run.sources


def test_an_unchanged_table_in_a_changed_list_is_not_read_again(tmp_path: Path, reads: Reads) -> None:
    assert reimport_both_ways(tmp_path, V1, changed(V1, "about 31 |", "about thirty-one |"), reads) == 5 + 1


def row_of(text: str, n: int) -> str:
    return next(line for line in text.split("\n") if line.startswith(f"| {n} |")) + "\n"


@pytest.mark.parametrize("window", [1, 3, 1000])
def test_rows_found_again_out_of_order_or_twice_take_their_stored_entries(
    tmp_path: Path, reads: Reads, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    from llmreads.store import importer

    # The stored entries are read ahead in the list's order, `window` at a time: a row moved up takes one
    # read ahead of it, one moved down one read already, and a row the list now gives twice (same text,
    # same table: one digest) takes the same stored entry twice, the second time read by its id.
    monkeypatch.setattr(importer._Reusable, "WINDOW", window)
    second = changed(V1, row_of(V1, 30), row_of(V1, 37) + row_of(V1, 30))  # 37 moved up to the table's top
    second = changed(second, row_of(V1, 36) + row_of(V1, 37), row_of(V1, 36))
    second = changed(second, row_of(V1, 16), row_of(V1, 16) + row_of(V1, 10))  # 10 moved down
    second = changed(second, row_of(V1, 10) + row_of(V1, 11), row_of(V1, 11))
    second = changed(second, row_of(V1, 33), row_of(V1, 33) + row_of(V1, 33))  # 33 twice
    assert second.count(row_of(V1, 37)) == 1 and second.count(row_of(V1, 33)) == 2
    assert reimport_both_ways(tmp_path, V1, second, reads) == 5


def test_a_changed_table_header_reads_that_table_again(tmp_path: Path, reads: Reads) -> None:
    header = "| # | Paper | Summary | Stars |"
    lines = V1.split("\n")
    at = lines.index("## Gamma") + 2
    second = "\n".join([*lines[:at], header, *lines[at + 1:]])
    assert reimport_both_ways(tmp_path, V1, second, reads) == 5 + 8


def test_a_renamed_section_reads_its_rows_again(tmp_path: Path, reads: Reads) -> None:
    assert reimport_both_ways(tmp_path, V1, changed(V1, "## Beta", "## Beta, renamed"), reads) == 5 + 8


def test_a_changed_parser_reads_every_row_again(tmp_path: Path, reads: Reads, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmreads.parse import reuse

    one = tmp_path / "one.md"
    one.write_text(V1, encoding="utf-8")
    db = tmp_path / "x.db"
    import_reusing(db, one)
    two = tmp_path / "two.md"
    two.write_text(V2, encoding="utf-8")
    monkeypatch.setattr(reuse, "parser_fingerprint", lambda: hashlib.blake2b(b"another parser").digest())
    assert reads.during(lambda: import_reusing(db, two)) == 5 + 8 + 8


def test_reused_rows_and_read_rows_get_their_links_in_a_full_import_order(tmp_path: Path, reads: Reads) -> None:
    # Rows of several links each, read and reused by turns in one batch: the links' row ids follow the
    # entries' whichever way their rows came.
    lines = ["", "## Code", "", "| # | Paper | Intro | Stars | Code |", "|---|---|---|---|---|"]
    for n in range(50, 60):
        lines.append(f"| {n} | [Paper number {n} with code](https://arxiv.org/abs/2403.{n:05d}) | about {n} | ⭐ |"
                     f" [Code](https://github.com/lab/p{n}) [Demo](https://lab.example/d{n}) |")
    first = document(section("Alpha", 1, 5), lines)
    second = changed(changed(first, "about 52 |", "about fifty-two |"), "about 55 |", "about fifty-five |")
    assert reimport_both_ways(tmp_path, first, second, reads) == 5 + 2
    conn = sqlite3.connect(tmp_path / "reusing.db")
    try:
        assert conn.execute("SELECT count(*) FROM links").fetchone()[0] == 20
    finally:
        conn.close()


def test_a_reused_row_joined_by_its_title_to_a_new_paper_indexes_its_texts(tmp_path: Path, reads: Reads) -> None:
    # A row found again whose paper link is another URL of a paper new in this version, with the same
    # long title: it joins that paper, and its introduction and link labels go into that paper's index row.
    title = "A specific title that two pages give"
    kept = f"| 40 | [{title}](https://aclanthology.org/2023.acl-long.1/) | about anthology | ⭐⭐ |"
    first = document(section("Alpha", 1, 5), section("Beta", 10, 3), [*section("Gamma", 30, 2), kept])
    added = f"| 98 | [{title}](https://doi.org/10.18653/v1/2023.acl-long.1) | about doi | ⭐ |\n| 11 |"
    second = changed(first, "| 11 |", added)
    assert reimport_both_ways(tmp_path, first, second, reads) == 5 + 1
    conn = sqlite3.connect(tmp_path / "reusing.db")
    try:
        assert conn.execute("SELECT count(*) FROM papers p JOIN entries e ON e.paper_id = p.id"
                            " WHERE p.title = ? AND p.listed = 1", (title,)).fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'anthology'").fetchone()[0] == 1
    finally:
        conn.close()


@pytest.mark.parametrize(("old", "new"), [
    ("Paper number 31 on reading", "Another name for 31"),  # the paper's title
    ("https://arxiv.org/abs/2401.00031", "https://arxiv.org/pdf/2401.00031"),  # its URL, same title
])
def test_a_row_whose_paper_another_list_renamed_is_read_again(tmp_path: Path, reads: Reads, old: str, new: str) -> None:
    other = tmp_path / "other.md"
    row = next(line for line in V1.split("\n") if "2401.00031" in line)
    other.write_text(document(["", "## Elsewhere", "", *V1.split("\n")[4:6], row.replace(old, new)]),
                     encoding="utf-8")

    def changed_elsewhere(db: Path) -> None:
        conn = open_db(db)
        try:
            import_path(conn, str(other), name="other")
            title, url = conn.execute("SELECT title, url FROM papers WHERE key = 'arxiv:2401.00031'").fetchone()
            assert new in (title, url)
        finally:
            conn.close()

    # Paper 31 of Gamma now bears the other list's title or URL: its row is read again, so the
    # re-import names it as the list does, as reading every row does.
    count = reimport_both_ways(tmp_path, V1, V2, reads, changed_elsewhere)
    assert count == 5 + 3 + 1


def test_a_paper_renamed_by_plain_sql_loses_its_identity_digest_and_its_row_is_read_again(
    tmp_path: Path, reads: Reads
) -> None:
    # Another tool renames paper 31 (its title, then separately its URL): the trigger makes papers.ident NULL,
    # and the re-import checks that paper's entries from its names: row 31 is read again.
    def renamed(db: Path) -> None:
        assert plain_sql(db, "SELECT count(*) FROM papers WHERE ident IS NULL") == [(0,)]
        plain_sql(db, "UPDATE papers SET title = 'Renamed by another tool' WHERE key = 'arxiv:2401.00031'",
                  "UPDATE papers SET url = 'https://example.org/31' WHERE key = 'arxiv:2401.00032'",
                  "UPDATE papers SET stars = 5 WHERE key = 'arxiv:2401.00033'")  # not a name: kept
        assert plain_sql(db, "SELECT key FROM papers WHERE ident IS NULL ORDER BY key") == [
            ("arxiv:2401.00031",), ("arxiv:2401.00032",)]

    assert reimport_both_ways(tmp_path, V1, V2, reads, renamed) == 5 + 3 + 2


def plain_sql(db: Path, *statements: str) -> list[tuple[object, ...]]:
    """Run statements on a database file as another tool would (committed); the last one's rows."""
    conn = sqlite3.connect(db)
    try:
        rows = [conn.execute(statement).fetchall() for statement in statements]
        conn.commit()
        return rows[-1]
    finally:
        conn.close()


def test_a_database_without_identity_digests_is_checked_from_the_names_and_then_has_them(
    tmp_path: Path, reads: Reads
) -> None:
    # As a database written before papers.ident: every digest NULL. The re-import checks each entry from its
    # paper's names (nothing taken wrongly: it stores what reading every row stores), and writes the digests.
    nulled = reimport_both_ways(tmp_path, V1, V2, reads, lambda db: plain_sql(db, "UPDATE papers SET ident = NULL"))
    assert nulled == 5 + 3
    assert plain_sql(tmp_path / "reusing.db", "SELECT count(*) FROM papers WHERE listed AND ident IS NULL") == [(0,)]
    # The next re-import checks them in SQL: the same rows read as when the digests were written at first.
    third = tmp_path / "three.md"
    third.write_text(V1, encoding="utf-8")
    assert reads.during(lambda: import_reusing(tmp_path / "reusing.db", third)) == 5 + 3


def test_a_reimport_that_reuses_rows_leaves_user_data_as_it_was(tmp_path: Path, reads: Reads) -> None:
    def mark(db: Path) -> None:
        conn = open_db(db)
        try:
            ids = dict(conn.execute("SELECT key, id FROM papers").fetchall())
            set_status(conn, "ann", [ids["arxiv:2401.00011"]], "read")
            set_status(conn, "ann", [ids["arxiv:2401.00013"]], "reading")  # a paper the new version removes
            conn.execute("INSERT INTO notes (user, paper_key, text, created_at, updated_at, uuid)"
                         " VALUES ('ann', 'arxiv:2401.00031', 'kept', 'x', 'x', 'u-1')")
            conn.commit()
        finally:
            conn.close()

    held: dict[str, list[tuple[object, ...]]] = {}

    def mark_and_keep(db: Path) -> None:
        mark(db)
        if db.name == "reusing.db":
            held.update({table: stored(db, with_user_data=True)[table] for table in USER_TABLES})

    reimport_both_ways(tmp_path, V1, V2, reads, mark_and_keep)
    after = {table: stored(tmp_path / "reusing.db", with_user_data=True)[table] for table in USER_TABLES}
    assert after == held
    conn = sqlite3.connect(tmp_path / "reusing.db")
    try:
        assert sorted(conn.execute("SELECT user, paper_key, status FROM statuses")) == [
            ("ann", "arxiv:2401.00011", "read"), ("ann", "arxiv:2401.00013", "reading")]
        assert conn.execute("SELECT user, paper_key, text FROM notes").fetchall() == [
            ("ann", "arxiv:2401.00031", "kept")]
    finally:
        conn.close()


def test_a_reimport_sums_up_each_paper_once_a_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmreads.store import changes, importer

    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text(V1, encoding="utf-8")
    two.write_text(V2, encoding="utf-8")
    db = tmp_path / "x.db"
    import_reusing(db, one)
    calls: list[object] = []
    summary_of = changes.summary_of

    def counted(seen: changes.Seen) -> changes.Summary:
        calls.append(seen)
        return summary_of(seen)

    for module in (changes, importer):
        monkeypatch.setattr(module, "summary_of", counted)
    import_reusing(db, two)
    # The list is kept in place: only the papers whose rows it wrote or changed are summed up, each once: the
    # five of the first section (read before the import knew the list), the two changed (the added paper
    # needs no summary, and the old version is summed up from its rows). The 13 others are the same rows.
    assert sorted(seen.title for seen in calls) == sorted(
        f"Paper number {n} on reading" for n in (1, 2, 3, 4, 5, 11, 12))
    report = import_reusing(db, one)  # back to the first version: kept in place again
    assert report.unchanged == 18 and report.added == ["Paper number 13 on reading"]
    assert report.removed == ["A paper added"]


@pytest.mark.parametrize("header", [{"title": 1}, {}, {"title": 0, "link": 2}, {"stars": 1}])
def test_roles_within_bounds_are_those_every_count_within_them_gives(header: dict[str, int]) -> None:
    from itertools import product

    from llmreads.parse.tables import _roles_by_content, _roles_within

    bounds = [(0, 0), (0, 1), (1, 1), (2, 3), (4, 4)]
    # What _roles_by_content gives for each counts and lengths: the same counts lie within many bounds,
    # and the reference is worked out once for each (it depends on the counts, lengths and header only).
    by_content: dict[tuple[tuple[int, ...], tuple[int, ...]], dict[str, int]] = {}
    decided = 0
    for titles_b, papers_b, stars_b in product(product(bounds, repeat=3), product(bounds[:3], repeat=3),
                                                product(bounds[1:3], repeat=3)):
        def low_high(b: tuple[tuple[int, int], ...]) -> tuple[list[int], list[int]]:
            return [pair[0] for pair in b], [pair[1] for pair in b]

        found = _roles_within(header, low_high(titles_b), low_high(papers_b), low_high(stars_b), 6, 3)
        if found is None:
            continue
        decided += 1
        for counts in product(*[range(a, b + 1) for a, b in (*titles_b, *papers_b, *stars_b)]):
            for lengths in ((0, 0, 0), (5, 1, 9), (1, 9, 5)):
                roles = by_content.get((counts, lengths))
                if roles is None:
                    roles = by_content[counts, lengths] = dict(header)
                    votes = (list(counts[0:3]), list(counts[3:6]), list(counts[6:9]), list(lengths))
                    _roles_by_content(roles, [[]] * 6, 3, votes)
                assert found == roles, (titles_b, papers_b, stars_b, counts, lengths)
    assert decided > 100  # most bounds decide


def _random_row(rng: random.Random, n: int) -> str:
    """A row whose cells vote variously: a linked or plain title, the paper link in the note, stars or none."""
    title = f"Paper number {n} on reading"
    link = f"https://arxiv.org/abs/2404.{n:05d}"
    shape = rng.randrange(4)
    first = f"[{title}]({link})" if shape in (0, 1) else title
    note = f"[pdf]({link})" if shape == 2 else f"about {n}" if shape != 3 else f"see [code](https://github.com/l/p{n})"
    stars = rng.choice(["⭐", "⭐⭐", "", "-"])
    return f"| {n} | {first} | {note} | {stars} |"


def test_held_counts_of_a_table_stay_bounds_around_what_reading_every_row_counts(tmp_path: Path, reads: Reads) -> None:
    """A table weighed from the counts held for it and its changed rows alone keeps a low and a high count
    for each column's votes; those must hold what reading every row counts, and the entries must be the same."""
    rng = random.Random(12)
    loose = 0  # cases where the held counts are bounds, not the counts themselves: the held counts were used
    header = "| x | y | z | w |"  # no header word known: the columns are told by what their cells hold
    for case in range(8):
        rows = [_random_row(rng, n) for n in range(1, 15)]
        edited = list(rows)
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(len(edited))
            action = rng.randrange(3)
            if action == 0:
                del edited[at]
            elif action == 1:
                edited.insert(at, _random_row(rng, 100 + rng.randrange(900)))
            else:
                edited[at] = _random_row(rng, int(edited[at].split("|")[1]))
        lines = ["", "## Alpha", "", header, "|---|---|---|---|"]
        first, second = document(section("Intro", 1, 2), lines + rows), document(section("Intro", 1, 2), lines + edited)
        where = tmp_path / str(case)
        where.mkdir()
        one, two = where / "one.md", where / "two.md"
        one.write_text(first, encoding="utf-8")
        two.write_text(second, encoding="utf-8")
        reusing, reading = where / "reusing.db", where / "reading.db"
        import_reusing(reusing, one)
        import_reading_all(reading, one)
        import_reusing(reusing, two)
        import_reading_all(reading, two)
        a, b = stored(reusing), stored(reading)
        held, counted = a.pop("table_columns"), b.pop("table_columns")
        assert a == b, case
        assert [(r[0], r[1], r[3]) for r in held] == [(r[0], r[1], r[3]) for r in counted]
        for kept, full in zip(held, counted, strict=True):
            bounds, exact = json.loads(kept[2]), json.loads(full[2])
            assert exact["low"] == exact["high"]
            loose += bounds != exact
            for low, count, high in zip(bounds["low"], exact["low"], bounds["high"], strict=True):
                assert all(lo <= c <= hi for lo, c, hi in zip(low, count, high, strict=True)), (case, bounds, exact)
    assert loose > 0


_field = st.text(st.characters(exclude_categories=()), max_size=12)  # lone surrogates too (surrogatepass)


@given(
    number=st.none() | st.integers(),
    title_raw=_field, url=_field, intro_raw=_field, year=st.none() | _field,
    extra=st.lists(st.tuples(_field, _field), max_size=3),
    links=st.lists(st.tuples(_field, _field), max_size=3),
)
@example(number=None, title_raw="it's \"quoted\"", url="", intro_raw="\ud800 微调\n", year=None,
         extra=[("Venue", "ACL")], links=[("解读", "https://example.org/a'b")])
@settings(max_examples=examples(300), deadline=None)
def test_an_entry_digest_is_that_of_its_fields_written_as_one_tuple(
    number: int | None, title_raw: str, url: str, intro_raw: str, year: str | None,
    extra: list[tuple[str, str]], links: list[tuple[str, str]],
) -> None:
    """The digests earlier imports stored are compared by every re-import: an entry's is the digest of
    the repr of its fields as one tuple, extra columns and links as tuples of pairs (one pair: a 1-tuple)."""
    from llmreads.store.importer import content_digest

    data = repr((number, title_raw, url, intro_raw, year, tuple(map(tuple, extra)), tuple(map(tuple, links))))
    expected = int.from_bytes(
        hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big", signed=True
    )
    assert content_digest(number, title_raw, url, intro_raw, year, extra, links) == expected
    assert content_digest(number, title_raw, url, intro_raw, year, tuple(extra), tuple(links)) == expected


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


@given(key=_TEXT, arxiv=st.none() | _TEXT, url=_TEXT, title=_TEXT, title_raw=_TEXT, paper_url=st.booleans())
@example(key="arxiv:2401.00001", arxiv="2401.00001", url="https://arxiv.org/abs/2401.00001", title="Ünïcode 大模型 🌟",
         title_raw="", paper_url=True)
@example(key="url:https://x.org", arxiv="None", url="", title="", title_raw="", paper_url=False)
@settings(max_examples=examples(300), deadline=None)
def test_the_identity_check_digests_in_sqlite_what_identity_digest_digests(
    key: str, arxiv: str | None, url: str, title: str, title_raw: str, paper_url: bool
) -> None:
    """A re-import checks each stored entry against its paper's row with bytes SQLite makes (IDENTITY_BYTES):
    they must be identity_digest's, or every entry would be read again; a NUL makes them differ, and that
    entry is read again, never taken wrongly."""
    from llmreads.digests import digest64
    from llmreads.store.importer import IDENTITY_BYTES, identity_digest

    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE TABLE reusable (key TEXT, arxiv TEXT, url TEXT, title TEXT, title_raw TEXT)")
        rows = [(key, arxiv, url, title, title_raw), (key + "\x00", arxiv, url, title, title_raw)]
        conn.executemany("INSERT INTO reusable VALUES (?, ?, ?, ?, ?)", rows)
        made = [data for (data,) in conn.execute(f"SELECT {IDENTITY_BYTES} FROM reusable ORDER BY rowid")]
    finally:
        conn.close()
    for (k, *_rest), data in zip(rows, made, strict=True):
        ident = identity_digest(k, arxiv, url, title_raw or title, title, paper_url)
        assert (digest64(data) & ~1 == ident & ~1) is ("\x00" not in k)


@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=300))
@settings(max_examples=examples(100), deadline=None)
def test_a_tables_sample_digests_are_packed_as_earlier_imports_packed_them(digests: list[int]) -> None:
    """TableColumns.sample: each first row's digest, 8 bytes big-endian signed, as `int.to_bytes` made them."""
    from llmreads.parse.reuse import pack_digests, unpack_digests

    packed = pack_digests(digests)
    assert packed == b"".join(digest.to_bytes(8, "big", signed=True) for digest in digests)
    assert unpack_digests(packed) == digests


@given(st.lists(st.text(max_size=200), max_size=20))
@settings(max_examples=examples(100), deadline=None)
def test_a_tables_rows_digested_at_once_get_the_digest_each_gets_alone(texts: list[str]) -> None:
    from llmreads.parse.reuse import row_bytes, row_digest, row_digests

    assert row_digests(texts) == [row_digest(row_bytes(text)) for text in texts]


def test_a_rows_source_is_its_digest_in_its_tables_context() -> None:
    """One digest a row (row_digest, which the table's sample shares), XOR its table's context: the same rows
    get other sources in another section, and each is a signed 64-bit integer."""
    from llmreads.parse.reuse import row_bytes, row_digest

    def sources(text: str) -> list[int]:
        found = [e.source for e in iter_document(text, reuse=KnownRows()) if isinstance(e, Entry)]
        assert all(source is not None and -(2**63) <= source < 2**63 for source in found)
        return found  # type: ignore[return-value]

    alpha, beta = document(section("Alpha", 1, 2)), document(section("Alpha", 1, 2)).replace("Alpha", "Beta")
    first, second = sources(alpha), sources(beta)
    assert len(first) == 2 and first[0] != first[1] and set(first).isdisjoint(second)
    rows = [line.strip()[1:-1] for line in alpha.split("\n") if line.startswith("| 1 ") or line.startswith("| 2 ")]
    assert first[0] ^ first[1] == row_digest(row_bytes(rows[0])) ^ row_digest(row_bytes(rows[1]))


# ------------------------------------------------------------- rows kept in place


def rows_by_paper(db: Path) -> dict[str, tuple[int, int, list[tuple[object, ...]]]]:
    """Per paper key: its entry's row id, section row id and links (id, position, text, url) in the list."""
    conn = sqlite3.connect(db)
    try:
        return {key: (entry_id, section_id, [tuple(r) for r in conn.execute(
            "SELECT id, position, text, url FROM links WHERE entry_id = ? ORDER BY position", (entry_id,))])
            for key, entry_id, section_id in conn.execute(
                "SELECT p.key, e.id, e.section_id FROM entries e JOIN papers p ON p.id = e.paper_id")}
    finally:
        conn.close()


def code_section(first: int, count: int) -> list[str]:
    lines = ["", "## Code", "", "| # | Paper | Intro | Stars | Code |", "|---|---|---|---|---|"]
    for n in range(first, first + count):
        lines.append(f"| {n} | [Paper number {n} with code](https://arxiv.org/abs/2403.{n:05d}) | about {n} | ⭐ |"
                     f" [Code](https://github.com/lab/p{n}) [Demo](https://lab.example/d{n}) |")
    return lines


def test_entries_found_again_keep_their_rows_and_links_and_removed_ones_lose_theirs(
    tmp_path: Path, reads: Reads
) -> None:
    first = document(section("Alpha", 1, 5), code_section(50, 10), section("Gamma", 30, 8))
    # Near the top of Code: row 50 removed, a row added before 51, row 52 changed; Gamma's first row removed.
    second = changed(first, row_of(first, 50), "")
    second = changed(second, "| 51 |", "| 97 | [Added with code](https://arxiv.org/abs/2404.00097) | new | ⭐ |"
                                       " [Code](https://github.com/lab/added) |\n| 51 |")
    second = changed(second, "about 52 |", "about fifty-two |")
    second = changed(second, row_of(first, 30), "")
    assert reimport_both_ways(tmp_path, first, second, reads, before=lambda db: held.update(
        rows_by_paper(db)) if db.name == "reusing.db" else None) == 5 + 2
    after = rows_by_paper(tmp_path / "reusing.db")
    kept = [f"arxiv:2403.{n:05d}" for n in (51, *range(53, 60))] + [f"arxiv:2401.{n:05d}" for n in range(31, 38)]
    for key in kept:
        assert after[key] == held[key], key  # the same entry row, in the same section row, with the same links
    assert after["arxiv:2403.00052"][0] not in {entry_id for entry_id, _section, _links in held.values()}
    conn = sqlite3.connect(tmp_path / "reusing.db")
    try:
        gone = [held[f"arxiv:2403.{50:05d}"][0], held["arxiv:2401.00030"][0]]
        assert conn.execute(f"SELECT count(*) FROM entries WHERE id IN ({marks(gone)})", gone).fetchone()[0] == 0
        assert conn.execute(f"SELECT count(*) FROM links WHERE entry_id IN ({marks(gone)})", gone).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM links").fetchone()[0] == 2 * 9 + 1
        # Each kept row now says where the new version has it (reimport_both_ways compared every row).
        assert rank_and_line(conn, held["arxiv:2403.00051"][0]) == (6, second.split("\n").index(
                                row_of(second, 51).rstrip("\n")) + 1)
    finally:
        conn.close()


held: dict[str, tuple[int, int, list[tuple[object, ...]]]] = {}


@pytest.fixture(autouse=True)
def _no_held_rows() -> Iterator[None]:
    held.clear()
    yield
    held.clear()


def section_rows(db: Path) -> dict[str, tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return {row[1]: row for row in conn.execute("SELECT id, number, title, position FROM sections")}
    finally:
        conn.close()


@pytest.mark.parametrize("more", [False, True])
def test_sections_stay_by_number_renamed_in_place_removed_and_added(tmp_path: Path, reads: Reads, more: bool) -> None:
    # Sections are numbered in order: Beta renamed, Gamma removed (Delta takes its number and title), and
    # the fourth number gone, or taken by a new section.
    first = document(section("Alpha", 1, 5), section("Beta", 10, 8), section("Gamma", 30, 8), section("Delta", 60, 3))
    second = document(section("Alpha", 1, 5), section("Beta, renamed", 10, 8), section("Delta", 60, 3),
                      *([section("Epsilon", 70, 2)] if more else []))
    seen: dict[str, dict[str, tuple[object, ...]]] = {}
    reimport_both_ways(tmp_path, first, second, reads, before=lambda db: seen.update({db.name: section_rows(db)}))
    before, after = seen["reusing.db"], section_rows(tmp_path / "reusing.db")
    numbers = sorted(before)
    assert [after[n][2] for n in sorted(after)] == ["Alpha", "Beta, renamed", "Delta", *(["Epsilon"] if more else [])]
    assert after[numbers[0]] == before[numbers[0]]
    assert [after[n][0] for n in numbers[1:3]] == [before[n][0] for n in numbers[1:3]]  # renamed in place
    if more:
        assert after[numbers[3]][0] == before[numbers[3]][0]
    else:
        assert numbers[3] not in after
    conn = sqlite3.connect(tmp_path / "reusing.db")
    try:
        assert conn.execute("SELECT count(*) FROM entries e LEFT JOIN sections s ON s.id = e.section_id"
                            " WHERE s.id IS NULL OR s.list_id != e.list_id").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM sections").fetchone()[0] == 3 + more
    finally:
        conn.close()


def test_rows_moved_between_sections_keep_their_rows_only_when_their_context_is_the_same(
    tmp_path: Path, reads: Reads
) -> None:
    # Two sections of one title and header: a row moved from the first to the second is another row
    # (its section's number is in its digest) and is read again; the rows around it stay.
    first = document(section("Alpha", 1, 5), section("Beta", 10, 8), section("Gamma", 30, 8))
    second = changed(changed(first, row_of(first, 12), ""), row_of(first, 33), row_of(first, 33) + row_of(first, 12))
    reimport_both_ways(tmp_path, first, second, reads, before=lambda db: held.update(
        rows_by_paper(db)) if db.name == "reusing.db" else None)
    after = rows_by_paper(tmp_path / "reusing.db")
    assert after["arxiv:2401.00034"][0] == held["arxiv:2401.00034"][0]
    assert after["arxiv:2401.00013"][0] == held["arxiv:2401.00013"][0]
    assert after["arxiv:2401.00012"][1] != held["arxiv:2401.00012"][1]


def test_a_dry_run_or_a_failed_reimport_leaves_the_database_exactly_as_it_was(tmp_path: Path) -> None:
    first = document(section("Alpha", 1, 5), code_section(50, 10), section("Gamma", 30, 8))
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text(first, encoding="utf-8")
    second = changed(changed(changed(first, row_of(first, 50), ""), "about 52 |", "about fifty-two |"),
                     "about 31 |", "about thirty-one |")
    db = tmp_path / "x.db"
    import_reusing(db, one)
    before = snapshot(db)
    two.write_text(second, encoding="utf-8")
    conn = open_db(db)
    try:
        report = import_path(conn, str(two), name=LIST, dry_run=True)
        assert report.dry_run and report.removed == ["Paper number 50 with code"]
        # A problem at the end, under --strict: every other row has been written (in place) when it fails.
        two.write_text(changed(second, row_of(second, 37), row_of(second, 37) + "| 99 | | no title | ⭐ |\n"),
                       encoding="utf-8")
        with pytest.raises(ImportFailed, match=r"two\.md: line \d+: row has no paper title \(--strict\)"):
            import_path(conn, str(two), name=LIST, strict=True)
    finally:
        conn.close()
    assert snapshot(db) == before


def test_a_reimport_killed_once_its_rows_are_written_in_place_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    first = document(section("Alpha", 1, 5), code_section(50, 10), section("Gamma", 30, 8))
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text(first, encoding="utf-8")
    two.write_text(changed(changed(first, row_of(first, 50), ""), "about 31 |", "about thirty-one |"), encoding="utf-8")
    db = tmp_path / "x.db"
    import_reusing(db, one)
    before = snapshot(db)
    # Killed right after the kept rows are updated and the others deleted, before the commit.
    script = (
        "import os, sys\n"
        "from llmreads.store import importer\n"
        "finish = importer._Writer.finish\n"
        "def finish_and_die(self):\n"
        "    finish(self)\n"
        "    assert self.in_place and self.kept\n"
        "    os._exit(9)\n"
        "importer._Writer.finish = finish_and_die\n"
        "from llmreads.db import open_db\n"
        "from pathlib import Path\n"
        "from llmreads.sources import import_path\n"
        f"import_path(open_db(Path({str(db)!r})), {str(two)!r}, name={LIST!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    assert snapshot(db) == before
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_a_commit_between_reading_the_stored_rows_and_writing_makes_the_import_write_every_row(
    tmp_path: Path, reads: Reads, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmreads.store import importer

    # Another process imports a list that renames a paper of this one (writing out this list's entry
    # title) after this import read its stored rows and before it takes the write lock.
    other = tmp_path / "other.md"
    row = row_of(V1, 31).replace("Paper number 31 on reading", "Another name for 31")
    other.write_text(document(["", "## Elsewhere", "", *V1.split("\n")[4:6], row]), encoding="utf-8")
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text(V1, encoding="utf-8")
    two.write_text(V2, encoding="utf-8")
    reusing, reading = tmp_path / "reusing.db", tmp_path / "reading.db"
    for db in (reusing, reading):
        import_reusing(db, one)
    conn = open_db(reading)
    try:
        import_path(conn, str(other), name="other")
    finally:
        conn.close()
    import_reading_all(reading, two)

    staged = importer._Staged.__init__
    placed: list[bool] = []

    def staged_then_other_import(self: importer._Staged, *args: object) -> None:
        staged(self, *args)  # type: ignore[arg-type]
        monkeypatch.setattr(importer._Staged, "__init__", staged)  # the other import stages its own events
        elsewhere = open_db(reusing)
        try:
            import_path(elsewhere, str(other), name="other")
        finally:
            elsewhere.close()

    finish = importer._Writer.finish

    def finish_noting(self: importer._Writer) -> None:
        placed.append(self.in_place)
        finish(self)

    monkeypatch.setattr(importer._Staged, "__init__", staged_then_other_import)
    monkeypatch.setattr(importer._Writer, "finish", finish_noting)
    read = reads.during(lambda: import_reusing(reusing, two))
    assert placed == [False, False]  # the other list's import, and this one: every row written
    # The rows found again may not be as they were read, nor their texts there to copy: the document was parsed
    # again and every row read (on top of the few the first parse read, and the other list's).
    every = reads.during(lambda: import_reading_all(tmp_path / "fresh.db", two))
    assert read > every > 20
    a, b = stored(reusing), stored(reading)
    for table in a:
        assert a[table] == b[table], table


# ---------------------------------------------------------------- an unchanged list known before parsing

UNTITLED = V1.replace("# A reading list\n", "")


class Parses:
    """How many times the import parsed a document (parse.iter_document, which import_path calls)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import llmreads.parse

        self.count = 0
        parse = llmreads.parse.iter_document

        def counted(*args: object, **kwargs: object) -> object:
            self.count += 1
            return parse(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(llmreads.parse, "iter_document", counted)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Parses:
    return Parses(monkeypatch)


@pytest.fixture
def lists_db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = open_db(tmp_path / "lists.db")
    yield conn
    conn.close()


def written(tmp_path: Path, file: str, text: str) -> Path:
    path = tmp_path / file
    path.write_text(text, encoding="utf-8")
    return path


def unchanged_report(name: str, title: str, source: str, dry_run: bool = False) -> dict[str, object]:
    """What an import of V1 (or UNTITLED) says when the list holds the very same bytes: as ever."""
    from dataclasses import asdict

    return asdict(ImportReport(list_name=name, title=title, source=source, sections=3, entries=21, papers=21,
                               unchanged=21, skipped=True, dry_run=dry_run))


def named_by(conn: sqlite3.Connection) -> dict[str, str | None]:
    return dict(conn.execute("SELECT name, named_by FROM lists ORDER BY id").fetchall())


def test_an_unchanged_list_named_by_name_is_known_without_parsing(
    tmp_path: Path, lists_db: sqlite3.Connection, parses: Parses
) -> None:
    from dataclasses import asdict

    path = written(tmp_path, "v1.md", V1)
    import_path(lists_db, str(path), name="Mine")
    before = "2000-01-01T00:00:00+00:00"
    lists_db.execute("UPDATE lists SET source = 'elsewhere', imported_at = ?", (before,))
    parsed = parses.count
    report = import_path(lists_db, str(path), name=" Mine ")  # --name is stripped, as ever
    assert parses.count == parsed
    assert asdict(report) == unchanged_report("Mine", "A reading list", str(path.resolve()))
    assert tuple(lists_db.execute("SELECT source, imported_at > ? FROM lists", (before,)).fetchone()) == (
        str(path.resolve()), 1)
    # A dry run says the same and writes nothing.
    report = import_path(lists_db, str(written(tmp_path, "copy.md", V1)), name="Mine", dry_run=True)
    assert parses.count == parsed
    assert asdict(report) == unchanged_report("Mine", "A reading list", str((tmp_path / "copy.md").resolve()), True)
    assert lists_db.execute("SELECT source FROM lists").fetchone()[0] == str(path.resolve())


def test_a_changed_list_or_another_name_is_parsed_and_imported(
    tmp_path: Path, lists_db: sqlite3.Connection, parses: Parses
) -> None:
    v1, v2 = written(tmp_path, "v1.md", V1), written(tmp_path, "v2.md", V2)
    import_path(lists_db, str(v1), name="Mine")
    parsed = parses.count
    report = import_path(lists_db, str(v2), name="Mine")
    assert parses.count == parsed + 1
    assert not report.skipped and (report.list_name, len(report.added), len(report.removed)) == ("Mine", 1, 1)
    # The bytes of another list: parsed, and a list of their own.
    report = import_path(lists_db, str(v2), name="Yours")
    assert parses.count == parsed + 2
    assert not report.skipped and report.list_name == "Yours"


@pytest.mark.parametrize("option", ["strict", "reader"])
def test_strict_or_with_user_data_never_skips(
    tmp_path: Path, lists_db: sqlite3.Connection, parses: Parses, option: str
) -> None:
    path = written(tmp_path, "v1.md", V1)
    import_path(lists_db, str(path), name="Mine")
    parsed = parses.count
    report = import_path(lists_db, str(path), name="Mine", **{option: True if option == "strict" else "alice"})
    assert parses.count == parsed + 1
    assert not report.skipped and report.unchanged == 21


def test_an_unchanged_list_that_changes_before_the_write_lock_is_imported(
    tmp_path: Path, lists_db: sqlite3.Connection, parses: Parses, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list is looked up before the write lock, and decided under it: another process may import other
    bytes as the list in between."""
    import llmreads.db

    path = written(tmp_path, "v1.md", V1)
    import_path(lists_db, str(path), name="Mine")
    begin_write = llmreads.db.begin_write
    other = tmp_path / "lists.db"

    def another_import_first(conn: sqlite3.Connection, wait_s: float | None = None) -> None:
        monkeypatch.setattr(llmreads.db, "begin_write", begin_write)
        writer = sqlite3.connect(other)
        writer.execute("UPDATE lists SET source_sha256 = 'other bytes'")
        writer.commit()
        writer.close()
        begin_write(conn, wait_s)

    monkeypatch.setattr(llmreads.db, "begin_write", another_import_first)
    parsed = parses.count
    report = import_path(lists_db, str(path), name="Mine")
    assert parses.count == parsed + 1
    assert not report.skipped and report.unchanged == 21
    assert lists_db.execute("SELECT source_sha256 FROM lists").fetchone()[0] == read_document(str(path)).sha256


def test_without_name_a_list_named_by_its_title_is_known_without_parsing(
    tmp_path: Path, lists_db: sqlite3.Connection, parses: Parses
) -> None:
    from dataclasses import asdict

    import_path(lists_db, str(written(tmp_path, "v1.md", V1)), name=None)
    assert named_by(lists_db) == {"A reading list": "title"}
    parsed = parses.count
    other = written(tmp_path, "other-name.md", V1)  # the same bytes under another file name: the same title
    report = import_path(lists_db, str(other), name=None)
    assert parses.count == parsed
    assert asdict(report) == unchanged_report("A reading list", "A reading list", str(other.resolve()))
    # Named by --name afterwards, still the title's name: the same.
    assert import_path(lists_db, str(other), name="A reading list").skipped
    assert parses.count == parsed and named_by(lists_db) == {"A reading list": "title"}


def test_a_name_given_as_the_title_counts_as_the_title(
    tmp_path: Path, lists_db: sqlite3.Connection, parses: Parses
) -> None:
    path = written(tmp_path, "v1.md", V1)
    import_path(lists_db, str(path), name="A reading list")
    assert named_by(lists_db) == {"A reading list": "title"}
    parsed = parses.count
    assert import_path(lists_db, str(path), name=None).skipped
    assert parses.count == parsed


def test_without_name_the_same_bytes_under_other_names_are_parsed(
    tmp_path: Path, lists_db: sqlite3.Connection, parses: Parses
) -> None:
    """A list named by --name other than the title says nothing of the name the title gives: parsed."""
    from dataclasses import asdict

    path = written(tmp_path, "v1.md", V1)
    import_path(lists_db, str(path), name="One")
    import_path(lists_db, str(path), name="Two")
    assert named_by(lists_db) == {"One": "option", "Two": "option"}
    parsed = parses.count
    report = import_path(lists_db, str(path), name=None)
    assert parses.count == parsed + 1
    assert not report.skipped and report.list_name == "A reading list" and len(report.added) == 21
    report = import_path(lists_db, str(path), name=None)  # now the title's list holds these bytes
    assert parses.count == parsed + 1
    assert asdict(report) == unchanged_report("A reading list", "A reading list", str(path.resolve()))
    assert named_by(lists_db) == {"One": "option", "Two": "option", "A reading list": "title"}
    assert import_path(lists_db, str(path), name="Two").skipped  # by --name, each its own
    assert parses.count == parsed + 1


def test_a_document_without_a_title_is_known_by_its_file_stem(
    tmp_path: Path, lists_db: sqlite3.Connection, parses: Parses
) -> None:
    from dataclasses import asdict

    a = written(tmp_path, "a.md", UNTITLED)
    import_path(lists_db, str(a), name=None)
    assert named_by(lists_db) == {"a": "stem"}
    parsed = parses.count
    report = import_path(lists_db, str(a), name=None)
    assert parses.count == parsed
    assert asdict(report) == unchanged_report("a", "a", str(a.resolve()))
    # The same bytes from b.md name list b: parsed, and imported as a list of its own.
    b = written(tmp_path, "b.md", UNTITLED)
    report = import_path(lists_db, str(b), name=None)
    assert parses.count == parsed + 1
    assert not report.skipped and report.list_name == "b"
    assert import_path(lists_db, str(b), name=None).skipped and import_path(lists_db, str(a), name=None).skipped
    assert parses.count == parsed + 1
    # --name other than the file's stem: parsed, as a list named by --name may hold a titled document; the
    # unchanged import of c.md then says the list is what its stem gives.
    import_path(lists_db, str(a), name="c")
    assert named_by(lists_db) == {"a": "stem", "b": "stem", "c": "option"}
    c = written(tmp_path, "c.md", UNTITLED)
    assert import_path(lists_db, str(c), name=None).skipped
    assert parses.count == parsed + 3
    assert named_by(lists_db) == {"a": "stem", "b": "stem", "c": "stem"}
    assert import_path(lists_db, str(c), name=None).skipped
    assert parses.count == parsed + 3


def test_stdin_is_known_by_the_stem_it_is_given(
    tmp_path: Path, lists_db: sqlite3.Connection, parses: Parses, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    from llmreads.sources import read_document as read

    def piped(text: str) -> ImportReport:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
        return import_path(lists_db, "-", name=None)

    assert read(str(written(tmp_path, "stdin.md", UNTITLED))).fallback_name == "stdin"
    import_path(lists_db, str(tmp_path / "stdin.md"), name=None)  # a file named as stdin's stem
    parsed = parses.count
    report = piped(UNTITLED)
    assert parses.count == parsed
    assert (report.skipped, report.list_name, report.source) == (True, "stdin", "<stdin>")
    report = piped(UNTITLED.replace("about 1 |", "about one |"))  # other bytes on stdin: parsed
    assert parses.count == parsed + 1 and not report.skipped
    assert piped(UNTITLED.replace("about 1 |", "about one |")).skipped
    assert parses.count == parsed + 1


def test_the_bundled_list_is_known_again_without_parsing(cli, parses: Parses) -> None:  # type: ignore[no-untyped-def]
    from helpers import json_out, ok

    ok(cli("sections"))  # first use: the bundled list imported
    assert parses.count == 1
    conn = sqlite3.connect(os.environ["LLMREADS_DB"])
    assert named_by(conn) == {"LLM_Paper_Reading": "title"}
    conn.close()
    report = json_out(cli("import", "--json"))  # the bundled list again
    assert parses.count == 1
    assert (report["skipped"], report["list_name"], report["title"], report["papers"], report["sections"]) == (
        True, "LLM_Paper_Reading", "LLM_Paper_Reading", 118, 10)


def test_a_list_imported_before_named_by_is_parsed_then_known(
    tmp_path: Path, lists_db: sqlite3.Connection, parses: Parses
) -> None:
    path = written(tmp_path, "v1.md", V1)
    import_path(lists_db, str(path), name=None)
    lists_db.execute("UPDATE lists SET named_by = NULL")  # as m011 leaves a list imported before it
    parsed = parses.count
    assert import_path(lists_db, str(path), name=None).skipped
    assert parses.count == parsed + 1
    assert named_by(lists_db) == {"A reading list": "title"}  # the unchanged import says how it was named
    assert import_path(lists_db, str(path), name=None).skipped
    assert parses.count == parsed + 1


def test_two_lists_that_could_hold_the_bytes_are_left_to_the_parse(
    tmp_path: Path, lists_db: sqlite3.Connection, parses: Parses
) -> None:
    """The same bytes give one name, so at most one list named by title or by this stem holds them; should
    two (a parser that came to read a title), the parse decides."""
    path = written(tmp_path, "v1.md", V1)
    import_path(lists_db, str(path), name=None)
    import_path(lists_db, str(path), name="v1")
    lists_db.execute("UPDATE lists SET named_by = 'stem' WHERE name = 'v1'")
    parsed = parses.count
    report = import_path(lists_db, str(path), name=None)
    assert parses.count == parsed + 1
    assert (report.skipped, report.list_name) == (True, "A reading list")


def test_an_introduction_emptied_in_a_list_kept_in_place_is_reported(tmp_path: Path, reads: Reads) -> None:
    second = changed(changed(V2, "about 31 |", " |"), "about 16 |", "about sixteen |")
    reimport_both_ways(tmp_path, V1, second, reads)  # the reports too
    conn = open_db(tmp_path / "reusing.db")
    try:
        two = tmp_path / "three.md"
        two.write_text(changed(second, "about 33 |", " |"), encoding="utf-8")
        assert import_path(conn, str(two), name=LIST).introductions_emptied == 1
    finally:
        conn.close()


def test_random_edits_across_sections_kept_in_place_store_what_reading_every_row_stores(
    tmp_path: Path, reads: Reads, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows removed, added, changed, duplicated and moved, sections renamed, removed and added, at random:
    the rows kept in place, those written and the report are what a re-import reading every row gives."""
    from llmreads.store import importer

    placed: list[bool] = []
    finish = importer._Writer.finish

    def finish_noting(self: importer._Writer) -> None:
        placed.append(self.in_place)
        finish(self)

    monkeypatch.setattr(importer._Writer, "finish", finish_noting)
    rng = random.Random(7)
    for case in range(6):
        names = ["Alpha", "Beta", "Gamma", "Delta"]
        tables = [[row_of(document(section(name, 20 * i, 8)), n) for n in range(20 * i, 20 * i + 8)]
                  for i, name in enumerate(names)]
        first = document(*[["", f"## {name}", "", "| # | Paper | Intro | Stars |", "|---|---|---|---|",
                            *[row.rstrip("\n") for row in rows]] for name, rows in zip(names, tables, strict=True)])
        for _ in range(rng.randrange(2, 6)):
            at = rng.randrange(len(tables))
            rows = tables[at]
            action = rng.randrange(7)
            if action == 0 and rows:
                del rows[rng.randrange(len(rows))]
            elif action == 1:
                n = 500 + rng.randrange(400)
                rows.insert(rng.randrange(len(rows) + 1), row_of(document(section("x", n, 1)), n))
            elif action == 2 and rows:
                i = rng.randrange(len(rows))
                rows[i] = rows[i].replace("| about", "| now about")
            elif action == 3 and rows:
                rows.insert(rng.randrange(len(rows) + 1), rng.choice(rows))  # a row given twice
            elif action == 4 and rows:
                tables[rng.randrange(len(tables))].append(rows.pop(rng.randrange(len(rows))))  # moved
            elif action == 5:
                names[at] += " renamed"
            elif len(names) > 1:
                del names[at], tables[at]
        if rng.randrange(2):
            names.append("Epsilon")
            tables.append([row_of(document(section("x", 700, 3)), n) for n in range(700, 703)])
        second = document(*[["", f"## {name}", "", "| # | Paper | Intro | Stars |", "|---|---|---|---|",
                             *[row.rstrip("\n") for row in rows]] for name, rows in zip(names, tables, strict=True)])
        where = tmp_path / str(case)
        where.mkdir()
        reimport_both_ways(where, first, second, reads)
    assert True in placed  # some of the cases were kept in place


def test_a_kept_row_takes_the_title_and_line_a_full_read_gives_it(tmp_path: Path, reads: Reads) -> None:
    # A new row above gives paper 31 another title (its first entry names it): the row of 31 kept in
    # place now differs from its paper's title and holds its own; a paragraph added above Gamma moves the
    # line of its first row, not its position.
    other = "| 98 | [Paper 31 under another title](https://arxiv.org/abs/2401.00031) | elsewhere | ⭐ |\n"
    second = changed(changed(V1, row_of(V1, 30), row_of(V1, 30) + other), "## Gamma\n", "## Gamma\n\nSome words.\n")
    reimport_both_ways(tmp_path, V1, second, reads,
                       before=lambda db: held.update(rows_by_paper(db)) if db.name == "reusing.db" else None)
    conn = sqlite3.connect(tmp_path / "reusing.db")
    try:
        assert conn.execute("SELECT title FROM entries WHERE id = ?", (held["arxiv:2401.00031"][0],)).fetchone() == (
            "Paper number 31 on reading",)
        assert conn.execute("SELECT title FROM papers WHERE key = 'arxiv:2401.00031'").fetchone() == (
            "Paper 31 under another title",)
        first_of_gamma = held["arxiv:2401.00030"][0]
        assert rank_and_line(conn, first_of_gamma) == (
            13, second.split("\n").index(row_of(V1, 30).rstrip("\n")) + 1)
    finally:
        conn.close()


def positions_by_key(db: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Each entry's position (by its paper's key: V1's papers are listed once) and each listed paper's."""
    conn = sqlite3.connect(db)
    try:
        entries = dict(conn.execute("SELECT p.key, e.position FROM entries e JOIN papers p ON p.id = e.paper_id"))
        papers = dict(conn.execute("SELECT key, position FROM papers WHERE listed"))
        return entries, papers
    finally:
        conn.close()


def test_a_row_removed_or_added_near_the_top_moves_no_other_entry_nor_paper(tmp_path: Path, reads: Reads) -> None:
    # Paper 2 removed near the top, paper 98 added further down, paper 11 changed (read again: a new row, which
    # takes its old row's place). A list numbered again would move every entry between 2 and 98.
    added = "| 98 | [A paper added further down](https://arxiv.org/abs/2402.00098) | new | ⭐ |\n"
    second = changed(changed(changed(V1, row_of(V1, 2), ""), row_of(V1, 33), row_of(V1, 33) + added),
                     "about 11 |", "about eleven |")
    before: dict[str, tuple[dict[str, int], dict[str, int]]] = {}
    reimport_both_ways(tmp_path, V1, second, reads, before=lambda db: before.update({db.name: positions_by_key(db)}))
    was_entries, was_papers = before["reusing.db"]
    entries, papers = positions_by_key(tmp_path / "reusing.db")
    assert set(entries) == set(was_entries) - {"arxiv:2401.00002"} | {"arxiv:2402.00098"}
    for key, position in entries.items():
        if key != "arxiv:2402.00098":
            assert position == was_entries[key], key
            assert papers[key] == was_papers[key], key
    assert was_entries["arxiv:2401.00033"] < entries["arxiv:2402.00098"] < was_entries["arxiv:2401.00034"]


def test_a_list_without_room_between_its_positions_is_numbered_again(tmp_path: Path, reads: Reads) -> None:
    # Positions as an earlier llmreads wrote them (0, 1, 2, ...): a row added between two finds no room, and
    # the list is numbered as a full import numbers it; it then holds what reading every row holds.
    def dense(db: Path) -> None:
        conn = sqlite3.connect(db)
        try:
            conn.execute(f"UPDATE entries SET position = {ENTRY_RANK.format(e='entries')}")
            conn.execute(f"UPDATE papers SET position = coalesce((SELECT min(list_id * {LIST_STRIDE} + position)"
                         " FROM entries WHERE paper_id = papers.id), position)")
            conn.commit()
        finally:
            conn.close()

    added = "| 98 | [A paper added](https://arxiv.org/abs/2402.00098) | new | ⭐ |\n"
    reimport_both_ways(tmp_path, V1, changed(V1, row_of(V1, 12), row_of(V1, 12) + added), reads, before=dense)
    entries, _papers = positions_by_key(tmp_path / "reusing.db")
    ordered = sorted(entries, key=entries.__getitem__)
    assert [entries[key] for key in ordered] == [numbered(i, GAP) for i in range(len(ordered))]
    assert ordered.index("arxiv:2402.00098") == ordered.index("arxiv:2401.00012") + 1


def test_statistics_are_taken_again_only_when_a_list_kept_in_place_grew_or_shrank(tmp_path: Path) -> None:
    db, path = tmp_path / "stats.db", tmp_path / "list.md"

    def more(count: int) -> str:  # V1 with `count` papers added after paper 37
        added = "".join(row_of(V1, 37).replace("00037", f"0009{n}") for n in range(count))
        return changed(V1, row_of(V1, 37), row_of(V1, 37) + added)

    # (the list, the entries the statistics count after importing it, the entries there are)
    for text, statistics, entries in ((V1, 21, 21), (more(1), 21, 22), (more(4), 25, 25), (more(3), 25, 24)):
        path.write_text(text, encoding="utf-8")
        import_reusing(db, path)
        stat = plain_sql(db, "SELECT stat FROM sqlite_stat1 WHERE tbl = 'entries' AND idx = 'entries_list'")
        assert (int(str(stat[0][0]).split()[0]), plain_sql(db, "SELECT count(*) FROM entries")[0][0]) == (
            statistics, entries)


def test_reimports_one_after_another_on_one_connection_store_what_reading_every_row_stores(
    tmp_path: Path, reads: Reads
) -> None:
    """What a re-import reads aside stays until the connection closes or the next re-import on it."""
    one, two = written(tmp_path, "one.md", V1), written(tmp_path, "two.md", V2)
    reusing, reading = tmp_path / "reusing.db", tmp_path / "reading.db"
    conn = open_db(reusing)
    try:
        counts = [reads.during(lambda path=path: import_path(conn, str(path), name=LIST))
                  for path in (one, two, one, two)]
    finally:
        conn.close()
    for path in (one, two, one, two):
        import_reading_all(reading, path)
    assert counts[0] > 20 and all(count < counts[0] // 2 for count in counts[1:])  # rows found again, kept
    a, b = stored(reusing), stored(reading)
    for table in a:
        assert a[table] == b[table], table
