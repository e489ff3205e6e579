"""One paper under two URLs is one paper; two items that only share a homepage stay two."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from helpers import import_text, read_fixture
from llmreads.aliases import canonical_key
from llmreads.db import open_db

ACL = "url:aclanthology.org/2021.acl-long.7"
DOI = "url:doi.org/10.18653/v1/2021.acl-long.7"
EGRET = "url:openreview.net/forum?id=egret1"
EGRET_PMLR = "url:proceedings.mlr.press/v9/egret.html"


def papers(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    """(key, title, entries) of every paper, in list order."""
    return [tuple(r) for r in conn.execute(
        "SELECT p.key, p.title, count(e.id) FROM papers p JOIN entries e ON e.paper_id = p.id"
        " GROUP BY p.id ORDER BY p.position"
    )]


def test_one_paper_under_two_urls_is_one_paper(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "db.sqlite")
    report = import_text(conn, read_fixture("identity.md"), name="identity")
    assert papers(conn) == [
        (ACL, "Gradual Heron Alignment for Small Models", 3),  # ACL Anthology page and its DOI (twice)
        ("arxiv:2305.18290", "Sparse Otter Transformers", 2),  # arXiv pdf and abs
        (EGRET, "Egret Scaling Laws for Birds", 2),  # the title again under a second URL
        ("url:openreview.net/forum?id=ibis1", "Short Ibis", 1),  # too short a title to say
        ("url:openreview.net/forum?id=ibis2", "Short Ibis", 1),
        ("url:openreview.net/forum?id=kestrel", "Kestrel Memory Networks for Agents", 1),
        ("url:kestrel.example.org", "Kestrel Memory Networks for Agents", 1),  # a site is not a paper link
        ("url:crane-lab.example.org", "Crane Planner", 2),  # one homepage, two planners
        ("title:stork planner", "Stork Planner", 1),
    ]
    assert (report.entries, report.papers) == (14, 9)
    # The second URL names the first-listed paper from now on.
    assert [canonical_key(conn, key) for key in (DOI, EGRET_PMLR)] == [ACL, EGRET]
    conn.close()


def test_user_data_on_the_second_url_follows_when_the_two_are_joined(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "db.sqlite")
    text = read_fixture("identity.md")
    doi_line = next(line for line in text.split("\n") if "doi.org" in line)
    # An earlier version of the list had the DOI under another title: two papers, the DOI one read.
    earlier = "- **Heron Alignment, the DOI** [doi](https://doi.org/10.18653/v1/2021.acl-long.7)"
    import_text(conn, text.replace(doi_line, earlier), name="identity")
    assert canonical_key(conn, DOI) == DOI
    conn.execute(
        "INSERT INTO statuses (user, paper_key, status, updated_at) VALUES ('alice', ?, 'read', '2026-01-01')", (DOI,)
    )
    conn.commit()
    report = import_text(conn, text, name="identity")
    assert canonical_key(conn, DOI) == ACL
    assert (report.removed, report.left_with_user_data) == ([], [])
    from llmreads.store.papers import paper_summary, resolve_ref

    assert paper_summary(conn, "alice", resolve_ref(conn, ACL)).status == "read"
    conn.close()


def test_a_ref_is_a_whole_word_of_one_title_before_the_start_of_a_word_of_another(tmp_path: Path) -> None:
    from llmreads.errors import NotFound
    from llmreads.store.papers import resolve_ref

    conn = open_db(tmp_path / "refs.db")
    try:
        import_text(conn, "# Refs\n\n| Paper | Link |\n| --- | --- |\n"
                    "| Lora Adapters for Birds | [page](https://example.com/paper/1) |\n"
                    "| Loras Everywhere in Trees | [page](https://example.com/paper/2) |\n", name="refs")
        found = resolve_ref(conn, "lora")
        title = conn.execute("SELECT title FROM papers WHERE id = ?", (found,)).fetchone()[0]
        assert title == "Lora Adapters for Birds"
        # A URL no paper links is named as a link, not searched for in titles.
        with pytest.raises(NotFound, match="no paper has the link 'https://example.com/nothing'"):
            resolve_ref(conn, "https://example.com/nothing")
    finally:
        conn.close()
