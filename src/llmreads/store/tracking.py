"""Store layer, tracking part: reading statuses, the users, and progress by section and by stars.

A status is user data, one per user and paper key, read through every key of
the paper (llmreads.aliases); an import never touches it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from llmreads.aliases import canonical_sql, same_paper_sql, status_join, status_key_sql
from llmreads.errors import InvalidQuery
from llmreads.store.base import STATUSES, transaction
from llmreads.store.filters import combine, list_filter, list_id_by_name
from llmreads.store.papers import PAPER_JOIN, PaperRow, paper_summary

if TYPE_CHECKING:
    from llmreads.store.reports import Progress, SectionProgress, UserProgress


def set_status(
    conn: sqlite3.Connection, user: str, paper_ids: Sequence[int], status: str, at: str | None = None
) -> list[PaperRow]:
    """Set this user's status of papers (one of STATUSES; a models.Status is one too), keeping each change.

    Every change is an event of the status history (store.personal.record_status);
    a status a paper already has is left as it was, unless `at` backfills it.
    """
    from llmreads.store.personal import record_status

    if status not in STATUSES:
        raise InvalidQuery(f"a status is one of {', '.join(STATUSES)}, not {status!r}")
    with transaction(conn):
        for pid in paper_ids:
            record_status(conn, user, pid, str(status), at)
    return [paper_summary(conn, user, pid) for pid in paper_ids]


def users(conn: sqlite3.Connection) -> list[UserProgress]:
    """Every user with any status, note, tag or rating, their progress on the papers the lists hold,
    and how many tags they use and papers they rated."""
    from llmreads.store.reports import UserProgress

    listed = int(conn.execute("SELECT count(*) FROM papers WHERE listed = 1").fetchone()[0])

    def counted(status: str) -> str:
        # From each user's statuses: those that are the newest of their paper's keys, on the listed papers they name.
        return (
            f"(SELECT count(*) FROM statuses s JOIN papers p ON p.key IN {same_paper_sql('s.paper_key')}"
            f" WHERE s.user = u.user AND s.status = '{status}' AND p.listed = 1"
            f" AND s.paper_key = {status_key_sql('s.paper_key', 'u.user')})"
        )

    rows = conn.execute(
        "WITH u AS (SELECT user FROM statuses UNION SELECT user FROM notes UNION SELECT user FROM tags"
        "   UNION SELECT user FROM ratings)"
        f" SELECT u.user, {counted('read')} AS read, {counted('reading')} AS reading,"
        " (SELECT count(*) FROM notes n WHERE n.user = u.user) AS notes,"
        " (SELECT count(DISTINCT tag) FROM tags WHERE user = u.user) AS tags,"
        # A paper rated under two of its keys is one paper rated.
        f" (SELECT count(DISTINCT {canonical_sql('paper_key')}) FROM ratings WHERE user = u.user) AS rated,"
        " (SELECT max(t) FROM (SELECT max(updated_at) AS t FROM statuses WHERE user = u.user"
        "   UNION ALL SELECT max(updated_at) FROM notes WHERE user = u.user"
        "   UNION ALL SELECT max(tagged_at) FROM tags WHERE user = u.user"
        "   UNION ALL SELECT max(updated_at) FROM ratings WHERE user = u.user)) AS last_active"
        " FROM u ORDER BY u.user"
    )
    return [
        UserProgress(
            user=r["user"], read=r["read"], reading=r["reading"], notes=r["notes"], tags=r["tags"],
            rated=r["rated"], last_active=r["last_active"], papers=listed,
        )
        for r in rows
    ]


def sections_tree(conn: sqlite3.Connection, user: str, list_name: str | None = None) -> list[SectionProgress]:
    """Every section with its papers (subsections included) and this user's read count."""
    from llmreads.store.reports import SectionProgress

    list_id = list_id_by_name(conn, list_name) if list_name is not None else None
    rows = conn.execute(
        "SELECT sec.id, sec.number, sec.title, l.name AS list, l.id AS list_id FROM sections sec"
        " JOIN lists l ON l.id = sec.list_id WHERE ? IS NULL OR l.id = ? ORDER BY l.id, sec.position",
        (list_id, list_id),
    ).fetchall()
    # Each paper counts in its section and in every section above it (2.1.3 in 2.1 and 2).
    found: dict[tuple[int, str], dict[int, str]] = {}
    for section_list, number, paper_id, status in conn.execute(
        "SELECT sec.list_id, sec.number, e.paper_id, coalesce(s.status, 'unread') FROM entries e"
        f" JOIN sections sec ON sec.id = e.section_id JOIN papers p ON p.id = e.paper_id {status_join('?1')}",
        (user,),
    ):
        parts = number.split(".")
        for depth in range(1, len(parts) + 1):
            found.setdefault((section_list, ".".join(parts[:depth])), {})[paper_id] = status
    result = []
    for r in rows:
        papers = found.get((r["list_id"], r["number"]), {})
        result.append(
            SectionProgress(
                list=r["list"], number=r["number"], title=r["title"],
                depth=r["number"].count("."), papers=len(papers),
                read=sum(1 for s in papers.values() if s == "read"),
                reading=sum(1 for s in papers.values() if s == "reading"),
            )
        )
    return result


def progress(conn: sqlite3.Connection, user: str, list_name: str | None = None) -> Progress:
    from llmreads.store.reports import Counts, Progress, StarsProgress

    where, params = combine([list_filter(conn, list_name)] if list_name is not None else [])
    by_stars = [
        StarsProgress(stars=row["stars"], papers=row["papers"], read=row["read"] or 0, reading=row["reading"] or 0)
        for row in conn.execute(
            "SELECT p.stars, count(*) AS papers, sum(s.status = 'read') AS read, sum(s.status = 'reading') AS reading"
            f" FROM {PAPER_JOIN} WHERE p.listed = 1 AND {where} GROUP BY p.stars ORDER BY p.stars DESC",
            (user, *params),
        )
    ]
    total = Counts(
        papers=sum(s.papers for s in by_stars),
        read=sum(s.read for s in by_stars),
        reading=sum(s.reading for s in by_stars),
    )
    return Progress(user=user, total=total, sections=sections_tree(conn, user, list_name), stars=by_stars)
