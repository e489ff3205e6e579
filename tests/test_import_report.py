"""What an import leaves out is said: on stderr after every import, under fixed keys in `import --json`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from llmreads.models import Document, Entry, Link, NonPaper, Section, SkippedTable, UnreadItem


def _entry(title: str, url: str, line: int, arxiv: str | None = None) -> Entry:
    from llmreads.keys import paper_key

    return Entry("1", None, 0, title, title, url, "", "", (Link("paper", url),), line, paper_key(title, url), arxiv)


DOC = Document(
    "Birds", None, (Section("1", "Birds", "Birds", 1),),
    (
        _entry("Egret: Efficient Caches", "https://arxiv.org/abs/2108.00001", 3, "2108.00001"),
        _entry("Ibis: Paged Attention for Birds", "https://arxiv.org/abs/2108.00002", 4, "2108.00002"),
        _entry("Egret, Efficient Cache Eviction Revisited", "https://arxiv.org/abs/2108.00001", 9, "2108.00001"),
    ),
    skipped=(
        SkippedTable(12, ("Date", "Talk", "Video")),
        UnreadItem(20, "- a heron paper 2108.00003 somewhere"),
        NonPaper(21, "- Heron weights", "https://huggingface.co/org/heron"),
    ),
)


def _import(conn: sqlite3.Connection, strict: bool = False):  # type: ignore[no-untyped-def]
    from llmreads.store.importer import import_document

    return import_document(conn, DOC, name="birds", source="birds.md", sha256="x" * 64, strict=strict)


def test_the_report_carries_what_was_left_out_and_clashing_titles(db_path: Path) -> None:
    from llmreads.db import open_db

    conn = open_db(db_path)
    report = _import(conn)
    assert report.papers == 2
    assert [(t.line, t.headers) for t in report.skipped_tables] == [(12, ("Date", "Talk", "Video"))]
    assert [(u.line, u.text) for u in report.unread_items] == [(20, "- a heron paper 2108.00003 somewhere")]
    assert [(n.line, n.url) for n in report.non_papers] == [(21, "https://huggingface.co/org/heron")]
    assert [(c.arxiv, c.titles) for c in report.clashes] == [
        ("2108.00001", ("Egret: Efficient Caches", "Egret, Efficient Cache Eviction Revisited"))
    ]
    conn.close()


def test_strict_fails_on_an_item_that_looks_like_a_paper_and_changes_nothing(db_path: Path) -> None:
    from llmreads.db import open_db
    from llmreads.errors import ImportFailed

    conn = open_db(db_path)
    with pytest.raises(ImportFailed, match=r"birds\.md: line 20: looks like a paper but was not read \(--strict\)"):
        _import(conn, strict=True)
    assert conn.execute("SELECT count(*) FROM lists WHERE name = 'birds'").fetchone()[0] == 0
    conn.close()


def test_the_cli_says_what_was_left_out_on_stderr_and_in_json(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import llmreads.parse

    monkeypatch.setattr(llmreads.parse, "iter_document", lambda *args, **kwargs: _events())
    result = cli("import", "-", "--name", "birds", input="# Birds\n")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "left out: 1 table with no column of paper titles:",
        "  line 12: Date | Talk | Video",
        "left out: 1 item that looks like a paper but was not read (line 20)",
        "left out: 1 item linking only to code, models, data, videos or posts (--verbose lists them)",
        'clash: arXiv 2108.00001 is listed under 2 titles: "Egret: Efficient Caches" /'
        ' "Egret, Efficient Cache Eviction Revisited"; kept the first',
    ]
    verbose = cli("import", "-", "--name", "birds2", "--verbose", "--json", input="# Birds\n")
    assert verbose.exit_code == 0, verbose.stderr
    assert "  line 21: - Heron weights  https://huggingface.co/org/heron" in verbose.stderr.splitlines()
    data = json.loads(verbose.stdout)
    assert data["skipped_tables"] == [{"line": 12, "headers": ["Date", "Talk", "Video"]}]
    assert data["unread_items"] == [{"line": 20, "text": "- a heron paper 2108.00003 somewhere"}]
    assert data["non_papers"] == [{"line": 21, "text": "- Heron weights", "url": "https://huggingface.co/org/heron"}]
    assert data["clashes"] == [
        {"arxiv": "2108.00001", "titles": ["Egret: Efficient Caches", "Egret, Efficient Cache Eviction Revisited"]}
    ]
    assert data["link_changes"] == []


def _events():  # type: ignore[no-untyped-def]
    from llmreads.store.importer import _document_events

    return _document_events(DOC)


@pytest.mark.parametrize(("papers", "sections", "said"), [
    (1, 1, "(1 paper, 1 section)"), (2, 1, "(2 papers, 1 section)"), (1, 3, "(1 paper, 3 sections)"),
])
def test_the_unchanged_line_counts_in_the_singular_for_one(capsys, papers: int, sections: int, said: str) -> None:  # type: ignore[no-untyped-def]
    from llmreads import render
    from llmreads.models import ImportReport

    render.import_report(ImportReport("Birds", "Birds", papers=papers, sections=sections, unchanged=papers,
                                      skipped=True))
    assert capsys.readouterr().out == f"Birds: unchanged since the last import {said}.\n"
