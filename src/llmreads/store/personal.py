"""Store layer, personal part: a user's tags, star ratings and the history of their status changes.

All of it is user data, like statuses and notes: kept under the paper key it
was written with, read through every key of the paper (llmreads.aliases), and
never touched by an import. A tag is one per (user, key, tag); a rating one
per (user, key), the newest of a paper's keys being the one read; a history
event is one status change at one time, with a UUID that stays with it from
one database to another (user-data merges by it).

Times are stored in UTC (`+00:00`) and shown in local time with its offset;
a date or month a user types is a local one.
"""

# No `from __future__ import annotations`: typing.NamedTuple would compile each field's
# annotation from its string (~25 µs a field, every process that loads these results).

import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from llmreads.aliases import (
    canonical_sql,
    first_read_sql,
    paper_id_sql,
    rating_key_sql,
    same_paper_sql,
    status_key_sql,
)
from llmreads.errors import InvalidQuery, NotFound
from llmreads.store.base import STATUSES, now, transaction

MAX_TAG_CHARS = 50
# A tag is one word a query can hold (`search tag:T`): letters and digits of any
# script, and a few joiners; no spaces, commas or quotes.
_TAG = re.compile(r"[^\W_][\w\-.+/#]*")


def normal_tag(text: str) -> str:
    """A tag in its one stored form: NFKC, trimmed, case-folded; InvalidQuery for what cannot be a tag."""
    tag = unicodedata.normalize("NFKC", text).strip().casefold()
    if not _TAG.fullmatch(tag) or len(tag) > MAX_TAG_CHARS:
        raise InvalidQuery(
            f"a tag is a word of letters and digits (and - _ . + / # after the first), at most {MAX_TAG_CHARS}"
            f" characters, not {text!r}"
        )
    return tag


def _paper_key(conn: sqlite3.Connection, paper_id: int) -> str:
    row = conn.execute("SELECT key FROM papers WHERE id = ?", (paper_id,)).fetchone()
    if row is None:
        raise NotFound(f"no paper with row id {paper_id}")
    return str(row[0])


# ---------------------------------------------------------------- tags


def paper_tags(conn: sqlite3.Connection, user: str, key: str) -> list[str]:
    """This user's tags of the paper `key` names, through all its keys, sorted."""
    return [r[0] for r in conn.execute(
        f"SELECT DISTINCT tag FROM tags WHERE user = ?1 AND paper_key IN {same_paper_sql('?2')} ORDER BY tag",
        (user, key),
    )]


def add_tags(conn: sqlite3.Connection, user: str, paper_id: int, tags: Sequence[str]) -> list[str]:
    """Tag a paper (a tag it has under any of its keys is not added again); its tags after."""
    wanted = list(dict.fromkeys(normal_tag(tag) for tag in tags))
    with transaction(conn):
        key = _paper_key(conn, paper_id)
        put_tags(conn, user, key, wanted, now())
        return paper_tags(conn, user, key)


def put_tags(conn: sqlite3.Connection, user: str, key: str, tags: Sequence[str], stamp: str) -> list[str]:
    """Tag the paper `key` names with tags already normal (normal_tag), inside the caller's transaction.

    A tag it has under any of its keys is not added again; returns the tags that were added, sorted.
    """
    have = set(paper_tags(conn, user, key))
    new = [tag for tag in dict.fromkeys(tags) if tag not in have]
    conn.executemany(
        "INSERT OR IGNORE INTO tags (user, paper_key, tag, tagged_at) VALUES (?, ?, ?, ?)",
        [(user, key, tag, stamp) for tag in new],
    )
    return sorted(new)


def remove_tags(conn: sqlite3.Connection, user: str, paper_id: int, tags: Sequence[str]) -> list[str]:
    """Take tags off a paper, under every key of it; NotFound (nothing changed) for a tag it does not have."""
    wanted = list(dict.fromkeys(normal_tag(tag) for tag in tags))
    with transaction(conn):
        key = _paper_key(conn, paper_id)
        have = set(paper_tags(conn, user, key))
        missing = [tag for tag in wanted if tag not in have]
        if missing:
            short_id = conn.execute("SELECT short_id FROM papers WHERE id = ?", (paper_id,)).fetchone()[0]
            raise NotFound(f"{short_id} has no tag {', '.join(map(repr, missing))}; nothing was untagged")
        conn.executemany(
            f"DELETE FROM tags WHERE user = ?1 AND tag = ?2 AND paper_key IN {same_paper_sql('?3')}",
            [(user, tag, key) for tag in wanted],
        )
        return paper_tags(conn, user, key)


class TagCount(NamedTuple):
    tag: str
    papers: int


def tag_counts(conn: sqlite3.Connection, user: str) -> list[TagCount]:
    """Each of this user's tags with the number of papers it is on (one paper for all its keys), most used first."""
    rows = conn.execute(
        f"SELECT tag, count(DISTINCT {canonical_sql('paper_key')}) AS papers FROM tags WHERE user = ?"
        " GROUP BY tag ORDER BY papers DESC, tag",
        (user,),
    )
    return [TagCount(r[0], int(r[1])) for r in rows]


# ---------------------------------------------------------------- ratings


def set_rating(conn: sqlite3.Connection, user: str, paper_id: int, stars: int) -> None:
    """This user's stars for a paper, 1 to 5; 0 clears them (under every key of the paper)."""
    if not 0 <= stars <= 5:
        raise InvalidQuery(f"a rating is 1 to 5 stars (0 clears it), not {stars}")
    with transaction(conn):
        key = _paper_key(conn, paper_id)
        if stars == 0:
            conn.execute(f"DELETE FROM ratings WHERE user = ?1 AND paper_key IN {same_paper_sql('?2')}", (user, key))
            return
        conn.execute(
            "INSERT INTO ratings (user, paper_key, stars, updated_at)"
            f" SELECT ?1, {rating_key_sql('?2', '?1')}, ?3, ?4"
            " ON CONFLICT (user, paper_key) DO UPDATE SET stars = excluded.stars, updated_at = excluded.updated_at",
            (user, key, stars, now()),
        )


# ---------------------------------------------------------------- status history


def record_status(
    conn: sqlite3.Connection, user: str, paper_id: int, status: str, at: str | None = None
) -> bool:
    """Set a status and keep the change in the history; run inside the caller's transaction.

    Without `at` (now) a status the paper already has is no change: nothing is
    written, so marking a paper read again keeps when it was read. (A paper
    never marked has no status yet: marking it unread records one.) With `at`
    (a backfill) the status is recorded at that time, and so is the event.
    Returns whether anything was written.
    """
    if status not in STATUSES:
        raise InvalidQuery(f"a status is one of {', '.join(STATUSES)}, not {status!r}")
    row = conn.execute(
        f"SELECT {status_key_sql('p.key', '?1')} AS status_key, p.key FROM papers p WHERE p.id = ?2", (user, paper_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"no paper with row id {paper_id}")
    key = str(row[0])
    current = conn.execute("SELECT status FROM statuses WHERE user = ? AND paper_key = ?", (user, key)).fetchone()
    if at is None and current is not None and current[0] == status:
        return False
    stamp = at or now()
    conn.execute(
        "INSERT INTO statuses (user, paper_key, status, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user, paper_key) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
        (user, key, status, stamp),
    )
    conn.execute(
        "INSERT OR IGNORE INTO status_history (event_id, user, paper_key, status, at) VALUES (?, ?, ?, ?, ?)",
        (new_event_id(), user, key, status, stamp),
    )
    return True


def new_event_id() -> str:
    """A history event's identity across databases: random, never derived from the event."""
    import uuid

    return str(uuid.uuid4())


class HistoryEvent(NamedTuple):
    event_id: str
    id: str | None  # the paper's short id; None when no paper has the key
    key: str
    title: str | None
    status: str
    at: str  # local time with its UTC offset

    def as_dict(self) -> dict[str, object]:
        return {"event_id": self.event_id, "id": self.id, "key": self.key, "title": self.title,
                "status": self.status, "at": self.at}


def history(
    conn: sqlite3.Connection, user: str, since: datetime | None = None, until: datetime | None = None
) -> list[HistoryEvent]:
    """Every status change of this user at or after `since` and before `until`, newest first."""
    where, params = ["h.user = ?"], [user]
    if since is not None:
        where.append("h.at >= ?")
        params.append(utc_text(since))
    if until is not None:
        where.append("h.at < ?")
        params.append(utc_text(until))
    rows = conn.execute(
        "SELECT h.event_id, p.short_id, coalesce(p.key, h.paper_key) AS key, p.title, h.status, h.at"
        f" FROM status_history h LEFT JOIN papers p ON p.id = {paper_id_sql('h.paper_key')}"
        f" WHERE {' AND '.join(where)} ORDER BY h.at DESC, h.rowid DESC",
        params,
    )
    return [HistoryEvent(r[0], r[1], r[2], r[3], r[4], local_text(r[5])) for r in rows]


class MonthCount(NamedTuple):
    month: str  # YYYY-MM, local time
    read: int


def read_by_month(conn: sqlite3.Connection, user: str, list_name: str | None = None) -> list[MonthCount]:
    """The papers this user has read (status read), counted in the local month they were first read, month by month.

    With `list_name`, only the papers that list holds (under any of their keys).
    """
    from llmreads.store.filters import list_id_by_name

    where = ""
    params: list[object] = [user]
    if list_name is not None:
        where = (" AND EXISTS (SELECT 1 FROM entries e JOIN papers q ON q.id = e.paper_id"
                 f" WHERE e.list_id = ?2 AND q.key IN {same_paper_sql('s.paper_key')})")
        params.append(list_id_by_name(conn, list_name))
    rows = conn.execute(
        f"SELECT {canonical_sql('s.paper_key')} AS paper, coalesce({first_read_sql('s.paper_key', '?1')},"
        " s.updated_at) AS at FROM statuses s"
        f" WHERE s.user = ?1 AND s.status = 'read' AND s.paper_key = {status_key_sql('s.paper_key', '?1')}{where}",
        params,
    ).fetchall()
    counts: dict[str, int] = {}
    for _paper, at in {r[0]: r[1] for r in rows}.items():
        read_in = local_text(at)[:7]
        counts[read_in] = counts.get(read_in, 0) + 1
    if not counts:
        return []
    # Every month from the first to the last, those with no paper read too: bars in time, not only the busy months.
    first, last = min(counts), max(counts)
    year, month = int(first[:4]), int(first[5:7])
    found = []
    while (text := f"{year:04d}-{month:02d}") <= last:
        found.append(MonthCount(text, counts.get(text, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


# ---------------------------------------------------------------- times


def utc_text(moment: datetime) -> str:
    """A moment in the stored form (UTC, `+00:00`, whole seconds); a naive one is local time."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def local_text(stored: str) -> str:
    """A stored time in local time with its UTC offset (as stored when it cannot be read)."""
    try:
        moment = datetime.fromisoformat(stored)
    except ValueError:
        return stored
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().isoformat(timespec="seconds")
