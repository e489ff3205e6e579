"""The store: imports and re-imports, references, statuses, notes, filters and progress."""

from __future__ import annotations

import sqlite3

import pytest

from helpers import import_text, read_fixture, snapshot
from llmreads.errors import Ambiguous, ImportFailed, InvalidQuery, NotFound
from llmreads.models import Status
from llmreads.parse import parse
from llmreads.store.base import STATUSES
from llmreads.store.filters import section_filter, stars_filter, status_filter
from llmreads.store.importer import import_document
from llmreads.store.notes import add_note, delete_note, get_note, list_notes, update_note
from llmreads.store.papers import list_papers, lists, paper_detail, resolve_ref
from llmreads.store.reports import Counts
from llmreads.store.search import search
from llmreads.store.tracking import progress, sections_tree, set_status

LORA = "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"
CODEX = "Evaluating Large Language Models Trained on Code"
GPT4 = "GPT-4 Technical Report"
OFFSITE = "Offsite-Tuning: Transfer Learning without Full Model"
QLORA = "QLoRA: Efficient Finetuning of Quantized LLMs"
EMERGENT = "Emergent Abilities of Large Language Models"

SECTION_PAPERS = {
    "1": 8,
    "2": 57,
    "2.1": 10,
    "2.2": 4,
    "2.3": 10,
    "2.4": 6,
    "2.5": 18,
    "2.6": 9,
    "3": 30,
    "4": 23,
}


def titles(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.title for row in rows]


def user_data(conn: sqlite3.Connection) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    statuses = [tuple(r) for r in conn.execute("SELECT * FROM statuses ORDER BY user, paper_key")]
    notes = [tuple(r) for r in conn.execute("SELECT * FROM notes ORDER BY id")]
    return statuses, notes


def modified_seed(seed_text: str) -> str:
    """The seed with Codex given two stars, GPT-4 removed, Offsite-Tuning moved to 2.4, QLoRA added
    there, and the introduction of Emergent Abilities reworded."""
    lines = seed_text.split("\n")
    emergent, codex, gpt4, offsite, last_peft = 16, 19, 21, 50, 90  # 0-based line indexes
    assert "Emergent Abilities" in lines[emergent] and "探讨" in lines[emergent]
    assert "Evaluating Large Language Models" in lines[codex] and lines[codex].startswith("| 6      |")
    assert "GPT-4 Technical Report" in lines[gpt4]
    assert "Offsite-Tuning" in lines[offsite] and lines[offsite].startswith("| 9✡ ")
    assert "The Power of Scale" in lines[last_peft]
    out = []
    for i, line in enumerate(lines):
        if i == codex:
            line = line.replace("| 6      |", "| 6✡✡    |")
        if i == emergent:
            line = line.replace("探讨", "讨论")
        if i in (gpt4, offsite):
            continue
        out.append(line)
        if i == last_peft:
            out.append(lines[offsite].replace("| 9✡ ", "| 7✡ "))
            out.append(f"| 8✡✡    | [{QLORA}](https://arxiv.org/abs/2305.14314) | 量化微调 |")
    return "\n".join(out)


# ---------------------------------------------------------------- import


def test_first_import_report(db_path, seed_text):
    from llmreads.db import open_db

    conn = open_db(db_path)
    report = import_text(conn, seed_text)
    assert (report.list_name, report.title) == ("LLM_Paper_Reading", "LLM_Paper_Reading")
    assert (report.sections, report.entries, report.papers) == (10, 120, 118)
    assert len(report.added) == len(set(report.added)) == 118
    assert LORA in report.added
    assert (report.updated, report.removed, report.skipped) == ([], [], False)
    assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 118
    assert conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 120
    assert conn.execute("SELECT count(*) FROM sections").fetchone()[0] == 10
    row = conn.execute("SELECT name, title, updated FROM lists").fetchone()
    assert tuple(row) == ("LLM_Paper_Reading", "LLM_Paper_Reading", "2023-08-20")
    conn.close()


def test_second_import_of_same_text_is_skipped(conn, db_path, seed_text):
    before = snapshot(db_path)
    report = import_text(conn, seed_text)
    assert report.skipped is True
    assert report.unchanged == 118
    assert (report.added, report.updated, report.removed) == ([], [], [])
    after = snapshot(db_path)
    del before["lists"], after["lists"]  # the import time is refreshed
    assert after == before


def test_reimport_of_modified_seed_keeps_user_data_and_reports_changes(conn, seed_text):
    refs = ["2107.03374", "2303.08774", "2302.04870", "2106.09685"]  # Codex, GPT-4, Offsite, LoRA
    ids = [resolve_ref(conn, ref) for ref in refs]
    set_status(conn, "alice", ids[:2], Status.read)
    set_status(conn, "alice", ids[2:], Status.reading)
    set_status(conn, "bob", ids[1:2], Status.reading)
    for pid in ids:
        add_note(conn, "alice", pid, f"alice on {pid}")
    add_note(conn, "bob", ids[1], "bob on gpt-4")
    before = user_data(conn)

    report = import_text(conn, modified_seed(seed_text))
    assert report.skipped is False
    assert report.added == [QLORA]
    assert report.removed == [GPT4]
    assert report.updated == [EMERGENT]  # only its introduction changed
    assert [item.startswith(CODEX) for item in report.rerated] == [True]
    assert [item.startswith(OFFSITE) for item in report.moved] == [True]
    assert report.retitled == []
    assert (report.entries, report.papers, report.unchanged, report.changed) == (120, 118, 114, 3)
    assert user_data(conn) == before

    listed = titles(list_papers(conn, "alice"))
    assert len(listed) == 118
    assert GPT4 not in listed and QLORA in listed
    codex = paper_detail(conn, "alice", ids[0])
    assert (codex.stars, codex.status) == (2, "read")
    offsite = paper_detail(conn, "alice", ids[2])
    assert offsite.sections == ["2.4 PEFT"]
    assert [e.number for e in offsite.entries] == [7]
    peft = titles(list_papers(conn, "alice", [section_filter(conn, "2.4")]))
    assert peft[-2:] == [OFFSITE, QLORA]
    assert OFFSITE not in titles(list_papers(conn, "alice", [section_filter(conn, "2.1")]))
    # The removed paper keeps its status and notes, but is not listed or found.
    gpt4 = paper_detail(conn, "alice", resolve_ref(conn, "2303.08774"))
    assert gpt4.status == "read"
    assert [n.text for n in gpt4.notes] == [f"alice on {ids[1]}"]
    assert search(conn, "alice", "Technical Report").papers == []
    assert GPT4 not in titles(list_papers(conn, "alice", [status_filter("read")]))

    # Importing the original again brings GPT-4 back with its status.
    report = import_text(conn, seed_text)
    assert report.added == [GPT4]
    assert report.removed == [QLORA]
    assert report.updated == [EMERGENT]
    assert [item.startswith(CODEX) for item in report.rerated] == [True]
    assert [item.startswith(OFFSITE) for item in report.moved] == [True]
    assert user_data(conn) == before
    assert titles(list_papers(conn, "alice", [status_filter("read")])) == [CODEX, GPT4]
    assert titles(list_papers(conn, "bob", [status_filter("reading")])) == [GPT4]


def test_failed_import_leaves_database_as_it_was(conn, db_path):
    before = snapshot(db_path)
    doc = parse(read_fixture("no_tables.md"))
    with pytest.raises(ImportFailed):
        import_document(conn, doc, name="LLM_Paper_Reading", source="no_tables.md", sha256="0" * 64)
    with pytest.raises(ImportFailed):
        import_document(conn, doc, name="other", source="no_tables.md", sha256="0" * 64)
    assert snapshot(db_path) == before


def test_import_under_another_name_is_a_second_list(conn):
    report = import_text(conn, read_fixture("duplicates.md"), name="dups")
    assert report.added == ["LoRA: Low-Rank Adaptation", "Other"]  # new to this list
    assert (report.sections, report.entries, report.papers) == (2, 5, 2)
    assert [row.name for row in lists(conn)] == ["LLM_Paper_Reading", "dups"]
    lora = paper_detail(conn, "alice", resolve_ref(conn, "2106.09685"))
    assert [e.list for e in lora.entries] == ["LLM_Paper_Reading"] + ["dups"] * 4
    assert lora.stars == 5


def test_paper_stars_are_the_max_over_entries(conn):
    rlhf = paper_detail(conn, "alice", resolve_ref(conn, "1909.08593"))
    assert [e.stars for e in rlhf.entries] == [5, 1]
    assert rlhf.stars == 5
    assert rlhf.sections == ["2.3 RLHF"]
    self_instruct = paper_detail(conn, "alice", resolve_ref(conn, "2212.10560"))
    assert [(e.section, e.stars, e.number) for e in self_instruct.entries] == [
        ("2.1 ICL", 2, 8),
        ("2.3 RLHF", 0, None),
    ]
    assert self_instruct.stars == 2
    assert self_instruct.sections == ["2.1 ICL", "2.3 RLHF"]
    mismatched = conn.execute(
        "SELECT p.key FROM papers p JOIN entries e ON e.paper_id = p.id GROUP BY p.id HAVING p.stars != max(e.stars)"
    ).fetchall()
    assert mismatched == []


def test_fixture_duplicates_are_one_paper(tmp_path):
    from llmreads.db import open_db

    conn = open_db(tmp_path / "dups.db")
    import_text(conn, read_fixture("duplicates.md"), name="dups")
    rows = list_papers(conn, "alice")
    assert [(r.title, r.arxiv, r.stars, r.sections) for r in rows] == [
        ("LoRA: Low-Rank Adaptation", "2106.09685", 3, ["1 Methods", "2 Again"]),
        ("Other", "2101.00190", 2, ["1 Methods"]),
    ]
    conn.close()


# ---------------------------------------------------------------- references


@pytest.mark.parametrize(
    "ref",
    [
        "50f228",
        "50F228",
        "arxiv:2106.09685",
        "2106.09685",
        "2106.09685v2",
        "arXiv:2106.09685",
        "https://arxiv.org/abs/2106.09685",
        "lora",
        "LoRA",
        "low-rank adaptation",
        LORA,
        "  lora  ",
    ],
)
def test_resolve_ref_finds_lora(conn, ref):
    pid = resolve_ref(conn, ref)
    assert conn.execute("SELECT title FROM papers WHERE id = ?", (pid,)).fetchone()[0] == LORA


def test_resolve_ref_prefers_whole_title(conn):
    # "Segment Anything" is also inside three longer titles.
    pid = resolve_ref(conn, "segment anything")
    assert conn.execute("SELECT title FROM papers WHERE id = ?", (pid,)).fetchone()[0] == "Segment Anything"


def test_resolve_ref_ambiguous(conn):
    # The first tier that holds the text decides the candidates: the titles that start with it.
    with pytest.raises(Ambiguous) as info:
        resolve_ref(conn, "language")
    assert len(info.value.candidates) >= 2
    assert all(c.split("  ", 1)[1].lower().startswith("language") for c in info.value.candidates)
    assert any("Language Models are Few-Shot Learners" in c for c in info.value.candidates)
    with pytest.raises(Ambiguous) as info:
        resolve_ref(conn, "transformers")  # no title starts with it; several hold the word
    assert len(info.value.candidates) == 7


@pytest.mark.parametrize("ref", ["no such paper at all", "9999.99999", "arXiv:1234.56789", "", "   "])
def test_resolve_ref_not_found(conn, ref):
    with pytest.raises(NotFound):
        resolve_ref(conn, ref)


# ---------------------------------------------------------------- statuses and notes


def test_users_have_independent_statuses(conn):
    lora = resolve_ref(conn, "lora")
    attention = resolve_ref(conn, "1706.03762")
    rows = set_status(conn, "alice", [lora, attention], Status.read)
    assert [(r.title, r.status) for r in rows] == [(LORA, "read"), ("Attention Is All You Need", "read")]
    set_status(conn, "bob", [lora], Status.reading)
    assert titles(list_papers(conn, "alice", [status_filter("read")])) == [
        "Attention Is All You Need",
        LORA,
    ]
    assert titles(list_papers(conn, "bob", [status_filter("read")])) == []
    assert titles(list_papers(conn, "bob", [status_filter("reading")])) == [LORA]
    assert paper_detail(conn, "carol", lora).status == "unread"
    assert len(list_papers(conn, "alice", [status_filter("unread")])) == 116
    set_status(conn, "alice", [lora], Status.unread)
    assert titles(list_papers(conn, "alice", [status_filter("READ")])) == ["Attention Is All You Need"]
    assert paper_detail(conn, "bob", lora).status == "reading"


def test_notes_are_per_user(conn):
    lora = resolve_ref(conn, "lora")
    first = add_note(conn, "alice", lora, "  low-rank updates  ")
    second = add_note(conn, "bob", lora, "bob's own note")
    assert first != second
    alice_notes = list_notes(conn, "alice")
    assert [(n.id, n.text, n.paper, n.key) for n in alice_notes] == [
        (first, "low-rank updates", "50f228", "arxiv:2106.09685"),
    ]
    assert [n.text for n in list_notes(conn, "bob", "arxiv:2106.09685")] == ["bob's own note"]
    assert list_notes(conn, "alice", "arxiv:1706.03762") == []
    with pytest.raises(NotFound):
        update_note(conn, "bob", first, "hijack")
    with pytest.raises(NotFound):
        delete_note(conn, "bob", first)
    update_note(conn, "alice", first, "rank decomposition")
    assert get_note(conn, "alice", first).text == "rank decomposition"
    deleted = delete_note(conn, "alice", first)
    assert deleted.text == "rank decomposition"
    assert list_notes(conn, "alice") == []
    assert [n.text for n in list_notes(conn, "bob")] == ["bob's own note"]
    with pytest.raises(NotFound):
        get_note(conn, "alice", first)


def test_empty_note_is_refused(conn):
    lora = resolve_ref(conn, "lora")
    with pytest.raises(InvalidQuery):
        add_note(conn, "alice", lora, "   ")
    note = add_note(conn, "alice", lora, "x")
    with pytest.raises(InvalidQuery):
        update_note(conn, "alice", note, "\n")
    assert get_note(conn, "alice", note).text == "x"


# ---------------------------------------------------------------- filters, sections, progress


@pytest.mark.parametrize(
    ("spec", "count", "sections"),
    [
        ("2", 57, {"2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}),
        ("2.", 57, {"2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}),
        ("2.3", 10, {"2.3"}),
        ("rlhf", 10, {"2.3"}),
        ("RLHF", 10, {"2.3"}),
        ("多模态", 30, {"3"}),
        ("icl", 10, {"2.1"}),
        ("关键技术", 57, {"2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}),
        ("1", 8, {"1"}),
    ],
)
def test_section_filter(conn, spec, count, sections):
    rows = list_papers(conn, "alice", [section_filter(conn, spec)])
    assert len(rows) == count
    assert {label.split(" ", 1)[0] for row in rows for label in row.sections} >= sections
    for row in rows:
        assert any(label.split(" ", 1)[0] in sections for label in row.sections), row


@pytest.mark.parametrize("spec", ["9", "2.9", "no such section", "5.1"])
def test_section_filter_unknown(conn, spec):
    with pytest.raises(NotFound):
        section_filter(conn, spec)


@pytest.mark.parametrize("stars", [-1, 6, 9])
def test_stars_filter_range(stars):
    with pytest.raises(InvalidQuery):
        stars_filter(stars)


def test_stars_filter(conn):
    assert len(list_papers(conn, "alice", [stars_filter(5)])) == 5
    assert len(list_papers(conn, "alice", [stars_filter(4)])) == 11
    assert len(list_papers(conn, "alice", [stars_filter(0)])) == 118


def test_status_filter_rejects_unknown():
    with pytest.raises(InvalidQuery):
        status_filter("done")


def test_list_sorts_and_limit(conn):
    by_list = list_papers(conn, "alice")
    assert by_list[0].title == "Improving Language Understanding by Generative Pre-Training"
    assert by_list[-1].title == "Pythia: A Suite for Analyzing Large Language Models Across Training and Scaling"
    by_stars = list_papers(conn, "alice", sort="stars")
    assert [r.stars for r in by_stars] == sorted((r.stars for r in by_list), reverse=True)
    by_title = list_papers(conn, "alice", sort="title")
    assert [r.title.casefold() for r in by_title] == sorted(r.title.casefold() for r in by_list)
    assert titles(list_papers(conn, "alice", limit=3)) == titles(by_list[:3])


def test_sections_tree_counts(conn):
    tree = sections_tree(conn, "alice")
    assert {s.number: s.papers for s in tree} == SECTION_PAPERS
    assert [s.number for s in tree] == list(SECTION_PAPERS)
    assert [s.depth for s in tree] == [0, 0, 1, 1, 1, 1, 1, 1, 0, 0]


def test_progress_per_user(conn):
    set_status(
        conn, "alice", [resolve_ref(conn, "lora"), resolve_ref(conn, "1706.03762")], Status.read
    )
    set_status(conn, "alice", [resolve_ref(conn, "2212.10560")], Status.reading)
    data = progress(conn, "alice")
    assert data.user == "alice"
    assert data.total == Counts(papers=118, read=2, reading=1)
    assert [(s.stars, s.papers, s.read, s.reading) for s in data.stars] == [
        (5, 5, 2, 0),
        (4, 6, 0, 0),
        (3, 17, 0, 0),
        (2, 30, 0, 1),
        (1, 56, 0, 0),
        (0, 4, 0, 0),
    ]
    sections = {s.number: (s.read, s.reading) for s in data.sections}
    assert sections["2"] == (2, 1)
    assert sections["2.4"] == (1, 0)
    assert sections["2.1"] == (0, 1)
    assert sections["2.3"] == (0, 1)
    assert sections["1"] == (0, 0)
    assert progress(conn, "bob").total == Counts(papers=118, read=0, reading=0)


def test_store_statuses_are_the_status_enum():
    # store keeps the statuses as plain strings so that commands need not load models.
    from llmreads.models import Status

    assert STATUSES == tuple(s.value for s in Status)
    with pytest.raises(InvalidQuery):
        status_filter("maybe")


def test_chunks_cuts_any_iterable_in_order_and_reads_it_lazily():
    from llmreads.store.base import chunks

    assert list(chunks(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunks([], 3)) == []
    pulled: list[int] = []

    def numbers():
        for n in range(10):
            pulled.append(n)
            yield n

    first = next(chunks(numbers(), 4))
    assert first == [0, 1, 2, 3] and pulled == [0, 1, 2, 3]


def test_queries_over_many_values_stay_under_sqlites_variable_limit(conn):
    # Builds before SQLite 3.32 (and some distributions' since) allow 999 variables in a statement.
    from llmreads.aliases import aliases_of, canonical_keys
    from llmreads.store.base import rows_in
    from llmreads.store.changes import left_with_user_data
    from llmreads.store.papers import section_labels

    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    many = 2500
    with pytest.raises(sqlite3.OperationalError, match="too many SQL variables"):
        conn.execute(f"SELECT id FROM papers WHERE id IN ({','.join('?' * many)})", list(range(many)))
    ids = [r[0] for r in conn.execute("SELECT id FROM papers ORDER BY id")]
    padded = [*range(-many, 0), *ids]
    assert sorted(r[0] for r in rows_in(conn, "SELECT id FROM papers WHERE id IN ({marks})", padded)) == ids
    assert set(section_labels(conn, padded)) == set(ids)
    keys = [f"nowhere:{n}" for n in range(many)]
    assert canonical_keys(conn, keys) == {key: key for key in keys}
    assert aliases_of(conn, keys) == []
    assert left_with_user_data(conn, keys) == []


def test_the_collector_is_off_while_an_import_writes_and_on_again_after(tmp_path, seed_text):
    """Written rows and what the writer keeps of them live until the import ends and make no cycles:
    the collector, which found nothing to free there, is off while the import writes (a parsed
    document or a stream of events), and on again after it, failed or not; a collector the caller turned off
    stays off."""
    import gc

    from llmreads.db import open_db

    conn = open_db(tmp_path / "gc.db")
    enabled: list[bool] = []

    def traced(sql: str) -> None:
        if sql.startswith(("INSERT INTO entries", "INSERT INTO papers_fts")):
            enabled.append(gc.isenabled())

    conn.set_trace_callback(traced)
    assert gc.isenabled()
    try:
        import_text(conn, seed_text)
        assert enabled and set(enabled) == {False}
        assert gc.isenabled()
        from llmreads.parse import iter_document

        enabled.clear()
        streamed = iter_document(seed_text)  # staged, then written
        import_document(conn, streamed, name="streamed", source="seed.md", sha256="streamed")
        assert enabled and set(enabled) == {False}
        assert gc.isenabled()
        with pytest.raises(ImportFailed):
            import_text(conn, "# Nothing\n\nno papers here\n", name="empty")
        assert gc.isenabled()
        gc.disable()
        import_text(conn, seed_text, name="again")
        assert not gc.isenabled()
    finally:
        gc.enable()
        conn.close()


def test_an_import_collects_garbage_less_often_and_restores_the_thresholds(tmp_path, seed_text):
    """The objects an import makes live until it ends: the youngest generation is collected every
    10,000 allocations while it writes, not every 700, and the thresholds are as they were after
    it, failed or not."""
    import gc

    from llmreads.db import open_db

    conn = open_db(tmp_path / "gc.db")
    seen: list[int] = []

    def traced(sql: str) -> None:
        if sql.startswith("INSERT INTO entries"):
            seen.append(gc.get_threshold()[0])

    conn.set_trace_callback(traced)
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    try:
        import_text(conn, seed_text)
        assert seen and set(seen) == {10_000}
        assert gc.get_threshold() == (700, *before[1:])
        with pytest.raises(ImportFailed):
            import_text(conn, "# Nothing\n\nno papers here\n", name="empty")
        assert gc.get_threshold() == (700, *before[1:])
    finally:
        gc.set_threshold(*before)
        conn.close()
