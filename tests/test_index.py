"""The search index is contentless: it must hold exactly what the papers say, after any change.

FTS5 removes a row of a contentless table only when given the text it indexed,
so every import and list removal rebuilds the old text. If one of them got it
wrong, stale words would stay in the index (and FTS5 may call the file
damaged); these tests compare the index, token by token, with one built afresh.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import SEED_PATH, copy_database, examples, import_text
from llmreads.db import open_db
from llmreads.migrations import FTS_TOKENIZER
from llmreads.store.base import LIST_STRIDE
from llmreads.store.filters import not_read_filter, section_filter, stars_filter
from llmreads.store.importer import import_document
from llmreads.store.index import index_form_of_lines, index_texts
from llmreads.store.papers import list_papers, paper_detail, paper_summary, remove_list, resolve_ref
from llmreads.store.search import search
from llmreads.store.tracking import set_status
from llmreads.text import index_form

LORA = "2106.09685"


def index_instances(conn: sqlite3.Connection, table: str, schema: str = "main") -> list[tuple[object, ...]]:
    conn.execute(f"DROP TABLE IF EXISTS temp.{table}_instances")
    conn.execute(f"CREATE VIRTUAL TABLE temp.{table}_instances USING fts5vocab({schema}, {table}, 'instance')")
    return conn.execute(f"SELECT term, doc, col, offset FROM temp.{table}_instances ORDER BY 1, 2, 3, 4").fetchall()


def assert_index_is_current(conn: sqlite3.Connection) -> None:
    # What papers derive from their entries is current too: stars, order, listed.
    stale = conn.execute(
        "SELECT id, stars, position, listed FROM papers p WHERE listed != EXISTS"
        " (SELECT 1 FROM entries WHERE paper_id = p.id) OR (listed AND (stars, position) IS NOT"
        f" (SELECT max(stars), min(list_id * {LIST_STRIDE} + position) FROM entries WHERE paper_id = p.id))"
    ).fetchall()
    assert stale == []
    conn.execute("INSERT INTO papers_fts (papers_fts) VALUES ('integrity-check')")
    conn.execute("DROP TABLE IF EXISTS temp.fresh")
    conn.execute("CREATE VIRTUAL TABLE temp.fresh USING"
                 f" fts5(title, body, abstract, content='', tokenize='{FTS_TOKENIZER}')")
    listed = [r[0] for r in conn.execute("SELECT id FROM papers WHERE listed = 1")]
    conn.executemany(
        "INSERT INTO temp.fresh (rowid, title, body, abstract) VALUES (?, ?, ?, ?)",
        [(pid, index_form(title), body, abstract)
         for pid, (title, body, abstract) in index_texts(conn, listed).items()],
    )
    assert index_instances(conn, "papers_fts") == index_instances(conn, "fresh", "temp")


@pytest.fixture
def conn(tmp_path, seed_template):  # type: ignore[no-untyped-def]
    conn = open_db(copy_database(seed_template, tmp_path / "index.db"))
    yield conn
    conn.close()


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.split("\n") if needle in line]


def test_fresh_import_indexes_every_listed_paper(conn, tmp_path):
    assert_index_is_current(conn)
    assert conn.execute("SELECT count(*) FROM papers WHERE listed = 1").fetchone()[0] == 118
    # The first import builds the table indexes after the rows: they are all back, as made.
    blank = open_db(tmp_path / "blank.db")
    schema = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    assert conn.execute(schema).fetchall() == blank.execute(schema).fetchall()
    blank.close()


def test_reimport_with_changes_keeps_the_index_exact(conn, seed_text):
    lora_line = lines_with(seed_text, LORA)[0]
    changed = seed_text.replace(lora_line, lora_line.replace("LORA", "LoRA Revised").replace("微调", "调优"))
    changed = "\n".join(line for line in changed.split("\n") if "1706.03762" not in line)  # attention leaves
    import_text(conn, changed)
    assert_index_is_current(conn)
    assert [p.title for p in search(conn, "alice", "revised").papers] == [
        "LoRA Revised: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"
    ]
    assert "Attention Is All You Need" not in {p.title for p in search(conn, "alice", "attention").papers}
    import_text(conn, seed_text)  # and back
    assert_index_is_current(conn)
    assert search(conn, "alice", "revised").total == 0


def test_a_second_list_renaming_shared_papers_and_its_removal(conn, seed_text):
    header = "| 序号 | 论文 | 简介 |\n| --- | --- | --- |\n"
    other = (
        "# Other\n\n## 1. Picks\n\n" + header
        + f"| 1 | [LoRA, second list's title](https://arxiv.org/abs/{LORA}) | 低秩 quokka [code](https://x.org/c) |\n"
        + "| 2 | [Brand New Paper](https://example.org/new) | 新的 paper |\n"
    )
    import_text(conn, other, name="Other")
    assert_index_is_current(conn)
    assert [p.title for p in search(conn, "alice", "quokka").papers] == ["LoRA, second list's title"]
    assert search(conn, "alice", "code").total >= 1
    import_text(conn, seed_text.replace("微调", "精调"))  # the seed renames LoRA back and changes text
    assert_index_is_current(conn)
    import_text(conn, other.replace("quokka", "wombat"), name="Other")
    assert_index_is_current(conn)
    assert search(conn, "alice", "quokka").total == 0
    assert paper_summary(conn, "alice", resolve_ref(conn, LORA)).title == "LoRA, second list's title"
    remove_list(conn, "Other")
    assert_index_is_current(conn)
    # The paper takes its name back from the list that still holds it.
    lora = paper_detail(conn, "alice", resolve_ref(conn, LORA))
    assert lora.title == "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"
    assert [e.title for e in lora.entries] == ["LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"]
    assert [p.title for p in search(conn, "alice", "title:second").papers] == []
    assert search(conn, "alice", "wombat").total == 0
    assert search(conn, "alice", "brand new").total == 0
    assert search(conn, "alice", "lora").total == 2


def test_a_paper_twice_in_one_list_and_moved(conn, seed_text):
    lora_line = lines_with(seed_text, LORA)[0]
    # The same paper again at the end of the list, with another introduction.
    doubled = seed_text.rstrip("\n") + "\n\n## 9. Again\n\n| 序号 | 论文 | 简介 |\n| --- | --- | --- |\n"
    doubled += re.sub(r"\|[^|]*\|\s*$", "| 再读一遍 platypus |", lora_line) + "\n"
    import_text(conn, doubled)
    assert_index_is_current(conn)
    assert search(conn, "alice", "platypus").total == 1
    import_text(conn, seed_text)
    assert_index_is_current(conn)
    assert search(conn, "alice", "platypus").total == 0


def test_dry_run_and_failed_import_leave_the_index_alone(conn, seed_text):
    before = index_instances(conn, "papers_fts")
    from llmreads.parse import parse

    import_document(conn, parse(seed_text.replace("微调", "x")), name="LLM_Paper_Reading", source="t",
                          sha256="other", dry_run=True)
    assert index_instances(conn, "papers_fts") == before
    assert_index_is_current(conn)


def test_stars_and_order_follow_the_entries(conn, seed_text):
    lora_line = lines_with(seed_text, LORA)[0]
    header = "| 序号 | 论文 | 简介 |\n| --- | --- | --- |\n"
    # A new paper at the top moves every other; LoRA again at the end, with more stars.
    top = "# LLM_Paper_Reading\n\n## 0. First\n\n" + header + "| 🌟 | [Newest](https://example.org/n) | x |\n\n"
    again = "\n## 9. Again\n\n" + header + re.sub(r"^\|[^|]*\|", "| 🌟🌟🌟🌟🌟 |", lora_line) + "\n"
    body = seed_text.split("\n", 1)[1]
    import_text(conn, top + body + again)
    assert_index_is_current(conn)
    assert paper_summary(conn, "alice", resolve_ref(conn, LORA)).stars == 5
    assert list_papers(conn, "alice")[0].title == "Newest"
    import_text(conn, seed_text)
    assert_index_is_current(conn)
    import_text(conn, "# Other\n\n## 1. A\n\n" + header + re.sub(r"^\|[^|]*\|", "| 🌟 |", lora_line) + "\n",
                name="Other")
    assert_index_is_current(conn)
    remove_list(conn, "LLM_Paper_Reading")
    assert_index_is_current(conn)
    assert [p.title for p in list_papers(conn, "alice")] == ["LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"]
    assert list_papers(conn, "alice")[0].stars == 1


def test_a_paper_that_leaves_the_list_that_named_it_takes_the_other_lists_title(conn, seed_text):
    header = "| 序号 | 论文 | 简介 |\n| --- | --- | --- |\n"
    other = "# Other\n\n## 1. Picks\n\n" + header
    other += f"| 1 | [LoRA, as Other calls it](https://arxiv.org/abs/{LORA}) | x |\n"
    other += "| 2 | [Kept](https://example.org/kept) | y |\n"
    import_text(conn, other, name="Other")
    assert paper_summary(conn, "alice", resolve_ref(conn, LORA)).title == "LoRA, as Other calls it"
    import_text(conn, other.split("| 1 |")[0] + "| 2 |" + other.split("| 2 |")[1], name="Other")  # LoRA leaves Other
    assert_index_is_current(conn)
    assert paper_summary(conn, "alice", resolve_ref(conn, LORA)).title == (
        "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"
    )
    assert search(conn, "alice", "calls").total == 0


@pytest.mark.parametrize("limit", [1, 3, 7, 40, 500])
def test_next_read_down_the_index_is_the_sorted_order(conn, limit):
    # `next` with a limit walks the stars index after the papers being read;
    # without one it is a plain ORDER BY. Both must give the same papers in the same order.
    ids = [p.id for p in list_papers(conn, "alice")]
    set_status(conn, "alice", [resolve_ref(conn, i) for i in ids[5:9]], "reading")
    set_status(conn, "alice", [resolve_ref(conn, i) for i in ids[0:3] + ids[20:30]], "read")
    set_status(conn, "bob", [resolve_ref(conn, i) for i in ids[40:50]], "reading")
    for filters in ([not_read_filter()], [not_read_filter(), section_filter(conn, "2")],
                    [stars_filter(3)]):
        everything = [p.id for p in list_papers(conn, "alice", filters, sort="next")]
        assert [p.id for p in list_papers(conn, "alice", filters, sort="next", limit=limit)] == (
            everything[:limit]
        )


def _stale(path) -> None:  # type: ignore[no-untyped-def]
    """Empty both indexes and mark them as built by an older llmreads."""
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO papers_fts (papers_fts) VALUES ('delete-all')")
    raw.execute("DELETE FROM notes_fts")
    raw.execute("PRAGMA user_version = 0")
    raw.commit()
    raw.close()


def test_an_index_built_by_an_older_llmreads_is_rebuilt_on_open(db_path, seed_text):
    from llmreads.migrations import INDEX_VERSION
    from llmreads.store.notes import add_note

    conn = open_db(db_path)
    import_text(conn, seed_text)
    add_note(conn, "me", resolve_ref(conn, LORA), "zebra crossing")
    conn.close()
    _stale(db_path)

    conn = open_db(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == INDEX_VERSION
    assert_index_is_current(conn)
    assert [p.key for p in search(conn, "me", "zebra").papers] == [f"arxiv:{LORA}"]
    assert search(conn, "me", "LoRA").total >= 1
    conn.close()


def test_a_current_index_is_left_alone(db_path, seed_text):
    conn = open_db(db_path)
    import_text(conn, seed_text)
    conn.close()
    raw = sqlite3.connect(db_path)
    raw.execute("INSERT INTO papers_fts (papers_fts) VALUES ('delete-all')")  # version unchanged: not rebuilt
    raw.commit()
    raw.close()
    conn = open_db(db_path)
    assert search(conn, "me", "LoRA").total == 0
    conn.close()


def test_extra_columns_are_indexed_and_their_old_text_removed(conn):
    table = "# Kw\n\n## Papers\n\n| Title | Keywords | Institute | Link |\n| --- | --- | --- | --- |\n"
    row = "| Heron Feedback Study | {kw} | Ocelot Lab | https://arxiv.org/abs/2203.00155 |\n"
    import_text(conn, table + row.format(kw="Zephyrine, RLHF"), name="Kw")
    assert_index_is_current(conn)
    assert [p.title for p in search(conn, "alice", "zephyrine").papers] == ["Heron Feedback Study"]
    assert [p.title for p in search(conn, "alice", "ocelot").papers] == ["Heron Feedback Study"]
    import_text(conn, table + row.format(kw="Marmoset rewards"), name="Kw")
    assert_index_is_current(conn)
    assert search(conn, "alice", "zephyrine").total == 0
    assert [p.title for p in search(conn, "alice", "marmoset").papers] == ["Heron Feedback Study"]
    remove_list(conn, "Kw")
    assert_index_is_current(conn)
    assert search(conn, "alice", "marmoset").total == 0


def test_a_renamed_section_is_reindexed_and_the_index_stays_exact(conn, seed_text):
    renamed = seed_text.replace("1. ## ICL", "1. ## Demonstrations", 1)
    assert renamed != seed_text
    import_text(conn, renamed)
    assert_index_is_current(conn)
    assert "demonstrations" in " ".join(r[0] for r in index_instances(conn, "papers_fts"))
    # and then the papers of that section change: their old rows are removed with the old section title
    changed = renamed.replace("A Survey on In-context Learning", "A Survey on In-context Learning, revised")
    import_text(conn, changed)
    assert_index_is_current(conn)
    import_text(conn, seed_text)
    assert_index_is_current(conn)


def test_removing_a_list_removes_its_section_titles_from_the_index(conn, seed_text):
    other = seed_text.replace("1. ## ICL", "1. ## Quokkasection", 1).replace("# LLM_Paper_Reading", "# Other", 1)
    import_text(conn, other, name="Other")
    assert_index_is_current(conn)
    remove_list(conn, "Other")
    assert_index_is_current(conn)
    assert "quokkasection" not in {r[0] for r in index_instances(conn, "papers_fts")}


def _big_list(papers: int, changed: int = -1) -> str:
    rows = "\n".join(
        f"| {i}✡ | [Scaling study number {i}{' revised' if i == changed else ''}](https://arxiv.org/abs/2401.{i:05d})"
        f" | 第{i}篇 about sparse attention |"
        for i in range(1, papers + 1)
    )
    return f"# Big list\n\n## 1 Papers\n\n| ID | Paper | Introduction |\n| --- | --- | --- |\n{rows}\n"


def test_the_refresh_plans_with_statistics_of_the_tables_as_written(conn, monkeypatch):
    """The seed's import leaves statistics of a 120-paper table. With them, the planner answered
    each batch of the refresh (`id IN (500 ids)`) with a scan of the whole table, which made an
    import into a non-empty database quadratic: the refresh must see statistics of the rows written."""
    import llmreads.store.importer as importer

    seen: list[tuple[int, int, int, int]] = []
    real = importer.refresh_papers

    def checked(db: sqlite3.Connection, *args, **kwargs):  # type: ignore[no-untyped-def]
        stats = dict(db.execute("SELECT tbl, stat FROM sqlite_stat1 WHERE tbl IN ('papers', 'entries')"))
        seen.append((
            int(stats["papers"].split()[0]), db.execute("SELECT count(*) FROM papers").fetchone()[0],
            int(stats["entries"].split()[0]), db.execute("SELECT count(*) FROM entries").fetchone()[0],
        ))
        return real(db, *args, **kwargs)

    monkeypatch.setattr(importer, "refresh_papers", checked)
    assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] < 200
    import_text(conn, _big_list(1200), name="big")
    import_text(conn, _big_list(1200, changed=7), name="big")  # a re-import
    assert len(seen) == 2
    for papers_in_stats, papers, entries_in_stats, entries in seen:
        assert papers > 1200
        assert papers / 2 <= papers_in_stats <= papers * 2
        assert entries / 2 <= entries_in_stats <= entries * 2
    assert_index_is_current(conn)


def _indexes(db: sqlite3.Connection) -> list[tuple[str, str]]:
    return db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").fetchall()


def test_a_list_larger_than_the_database_is_written_with_its_indexes_built_after(conn):
    """A list with more rows than the database holds is written with the indexes of papers, entries
    and links dropped and made again once the rows are in; they come back whole, and so does
    everything when the import fails."""
    from llmreads.errors import ImportFailed
    from llmreads.parse import parse

    before = _indexes(conn)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    import_text(conn, _big_list(300), name="big")
    conn.set_trace_callback(None)
    dropped = [sql for sql in statements if sql.startswith("DROP INDEX")]
    assert dropped and not any('"entries_paper"' in sql for sql in dropped)  # the writer renames papers by it
    assert _indexes(conn) == before
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert_index_is_current(conn)
    broken = parse(_big_list(400) + "| 401 | | a row without a title |\n")  # --strict fails on its last row
    with pytest.raises(ImportFailed, match="line 407"):
        import_document(conn, broken, name="big", source="test", sha256="0" * 64, strict=True)
    assert _indexes(conn) == before
    assert conn.execute("SELECT count(*) FROM entries e JOIN lists l ON l.id = e.list_id WHERE l.name = 'big'"
                        ).fetchone()[0] == 300


def test_papers_new_in_an_import_are_indexed_as_a_rebuild_would(conn):
    """Papers first listed by an import get index rows made from the entries as written (not read
    back): several entries, sections, extra columns, link labels and bare URLs, and the abstract
    of metadata fetched before the paper was listed, all as a rebuild indexes them."""
    conn.execute(
        "INSERT INTO paper_metadata (key, abstract, source) VALUES ('arxiv:2203.00155', 'Quokkas rank answers', 'test')"
    )
    text = (
        "# New\n\n## Feedback\n\n| Title | Keywords | Link |\n| --- | --- | --- |\n"
        "| Heron Feedback Study | Zephyrine |"
        " [Paper](https://arxiv.org/abs/2203.00155), [Code](https://github.com/h/h) |\n"
        "| ZorbleNet Tuning Notes | | https://arxiv.org/abs/2203.00156 |\n\n"
        "## Again\n\n| Title | Keywords | Link |\n| --- | --- | --- |\n"
        "| Heron Feedback Study | Marmoset | [PDF](https://arxiv.org/pdf/2203.00155) |\n"
    )
    import_text(conn, text, name="New")
    assert_index_is_current(conn)
    for word, title in [("quokkas", "Heron Feedback Study"), ("marmoset", "Heron Feedback Study"),
                        ("again", "Heron Feedback Study"), ("zorble", "ZorbleNet Tuning Notes")]:
        assert [p.title for p in search(conn, "alice", word).papers] == [title], word


# Texts of every kind index_form treats apart: ASCII, glued words, look-alikes, full-width
# forms, Traditional Chinese, a combining accent and Hangul jamo after a line break, astral ideographs.
_INDEX_TEXTS = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("微調调a B-9・ー가ㄱ⻔⼤𠀀 \u3000ｌｏｒａ\u0301\u1100\u1161\nİßSpanBERTgpt4"),
            max_size=40),
)


@settings(max_examples=examples(500), deadline=None)
@given(st.lists(_INDEX_TEXTS, max_size=6))
def test_index_form_of_lines_is_the_index_form_of_the_lines_joined(texts):
    known: dict[str, tuple[str, str]] = {}
    assert index_form_of_lines(texts, known) == index_form("\n".join(texts))
    # Again and in another order, from the forms it kept.
    assert index_form_of_lines(texts, known) == index_form("\n".join(texts))
    assert index_form_of_lines(texts[::-1], known) == index_form("\n".join(texts[::-1]))


def test_index_form_of_lines_of_the_seed_cells_is_the_index_form_of_the_cells_joined():
    cells = [cell.strip() for line in SEED_PATH.read_text(encoding="utf-8").splitlines() for cell in line.split("|")]
    known: dict[str, tuple[str, str]] = {}
    for i in range(0, len(cells), 5):
        assert index_form_of_lines(cells[i:i + 5], known) == index_form("\n".join(cells[i:i + 5]))
