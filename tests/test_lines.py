"""Store layer, source lines: the packed lines of a list's entries (store.lines, migration m013)."""

from __future__ import annotations

import sqlite3
from array import array
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from helpers import import_text
from llmreads.db import open_db
from llmreads.store.lines import lines_of, pack, unpack, write_lines
from llmreads.store.papers import paper_detail, resolve_ref

# What is packed: row ids and line numbers, SQLite integers that are never negative (so every step fits in 64 bits).
ROW_NUMBERS = st.integers(min_value=0, max_value=2**63 - 1)


@given(st.lists(ROW_NUMBERS, max_size=300))
def test_unpack_gives_back_what_pack_packed(values: list[int]) -> None:
    assert unpack(pack(values)) == values
    assert unpack(pack(array("q", values))) == values


def test_a_long_list_packs_small() -> None:
    ids = list(range(1, 100_001))
    lines = list(range(7, 200_007, 2))
    assert len(pack(ids)) + len(pack(lines)) < 10_000  # steps of one: about a byte per thousand entries


def test_lines_of_reads_each_list_once_and_skips_entries_it_does_not_hold(db_path: Path) -> None:
    conn = open_db(db_path)
    conn.execute("INSERT INTO lists (id, name, title, source, source_sha256, imported_at) VALUES"
                 " (1, 'a', 'a', 'a.md', '', ''), (2, 'b', 'b', 'b.md', '', '')")
    write_lines(conn, 1, [10, 11, 30], [5, 6, 9])
    write_lines(conn, 2, [12], [40])
    assert lines_of(conn, [(1, 30), (1, 10), (2, 12), (2, 99), (3, 1)]) == {30: 9, 10: 5, 12: 40}
    write_lines(conn, 1, [11], [8])  # the next import's lines replace the list's
    assert lines_of(conn, [(1, 10), (1, 11)]) == {11: 8}
    conn.execute("DELETE FROM lists WHERE id = 1")  # and go with their list
    assert [row[0] for row in conn.execute("SELECT list_id FROM list_lines")] == [2]
    conn.close()


def test_show_gives_each_entry_the_line_of_its_row(db_path: Path) -> None:
    text = (
        "# L\n\n## 1 One\n\n| Paper | Intro |\n|---|---|\n"
        "| [Alpha Paper](https://arxiv.org/abs/2401.00001) | a |\n"
        "| [Beta Paper](https://arxiv.org/abs/2401.00002) | b |\n\n"
        "## 2 Two\n\n- [Alpha Paper](https://arxiv.org/abs/2401.00001)\n"
    )
    conn = open_db(db_path)
    import_text(conn, text)
    alpha = paper_detail(conn, "u", resolve_ref(conn, "2401.00001"))
    assert [(e.section, e.line) for e in alpha.entries] == [("1 One", 7), ("2 Two", 12)]
    assert [e.line for e in paper_detail(conn, "u", resolve_ref(conn, "2401.00002")).entries] == [8]
    conn.close()
    assert isinstance(sqlite3.connect(db_path).execute("SELECT lines FROM list_lines").fetchone()[0], bytes)
