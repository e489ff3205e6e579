"""Store layer, notes part: a user's notes on papers, added, read, edited and deleted.

A note is user data: kept under the paper's key it was written on and read
through every key of that paper (llmreads.aliases); an import never touches it.
"""

# No `from __future__ import annotations`: typing.NamedTuple would compile each field's
# annotation from its string (~25 µs a field, every process that loads these results).

import sqlite3
from typing import NamedTuple

from llmreads.aliases import paper_id_sql, same_paper_sql
from llmreads.errors import Conflict, InvalidQuery, NotFound
from llmreads.store.base import now, transaction
from llmreads.store.index import index_note

MAX_NOTE_CHARS = 4_000_000  # a long essay is fine; a runaway paste is not


class Note(NamedTuple):
    """A user's note, with the paper its key names now (paper and title are None when no paper has that key).

    A NamedTuple, as store.detail's results are: `show` loads it, and a frozen dataclass costs ~1 ms to create.
    """

    id: int
    paper: str | None  # the paper's short id
    title: str | None
    key: str
    listed: bool  # whether a list holds the paper (`list` shows it)
    text: str
    created_at: str
    updated_at: str
    uuid: str


def add_note(conn: sqlite3.Connection, user: str, paper_id: int, text: str) -> int:
    text = text.strip()
    if not text:
        raise InvalidQuery("a note needs some text")
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidQuery(f"a note of {len(text):,} characters is too long; the limit is {MAX_NOTE_CHARS:,}")
    with transaction(conn):
        key = conn.execute("SELECT key FROM papers WHERE id = ?", (paper_id,)).fetchone()[0]
        stamp = now()
        note_id = conn.execute(
            "INSERT INTO notes (user, paper_key, text, created_at, updated_at, uuid) VALUES (?, ?, ?, ?, ?, ?)",
            (user, key, text, stamp, stamp, new_note_uuid()),
        ).lastrowid
        assert note_id is not None
        index_note(conn, note_id, text)
    return note_id


def new_note_uuid() -> str:
    """A note's identity across databases (user-data merges by it): random, never derived from the note."""
    import uuid

    return str(uuid.uuid4())


def get_note(conn: sqlite3.Connection, user: str, note_id: int) -> Note:
    row = conn.execute(f"{_NOTE_SELECT} WHERE n.id = ? AND n.user = ?", (note_id, user)).fetchone()
    if row is None:
        raise NotFound(f"no note {note_id} for user {user}")
    return _note(row)


# A note shows the paper its key names (through the paper's other keys: a link that changed).
_NOTE_SELECT = (
    "SELECT n.id, n.uuid, n.text, n.created_at, n.updated_at, coalesce(p.key, n.paper_key) AS paper_key, p.short_id,"
    f" p.title, p.listed FROM notes n LEFT JOIN papers p ON p.id = {paper_id_sql('n.paper_key')}"
)


def _note(row: sqlite3.Row) -> Note:
    return Note(
        id=row["id"], paper=row["short_id"], title=row["title"], key=row["paper_key"],
        listed=bool(row["listed"]), text=row["text"], created_at=row["created_at"],
        updated_at=row["updated_at"], uuid=row["uuid"],
    )


def list_notes(conn: sqlite3.Connection, user: str, paper_key: str | None = None) -> list[Note]:
    """This user's notes, on all papers or on the paper `paper_key` names (under any of its keys)."""
    sql = f"{_NOTE_SELECT} WHERE n.user = :user"
    if paper_key is not None:
        sql += f" AND n.paper_key IN {same_paper_sql(':key')}"
    return [_note(r) for r in conn.execute(sql + " ORDER BY n.created_at, n.id", {"user": user, "key": paper_key})]


def update_note(
    conn: sqlite3.Connection, user: str, note_id: int, text: str, opened: Note | None = None
) -> None:
    """Replace a note's text; with `opened` (get_note's answer when the edit began), only if it is still that note."""
    text = text.strip()
    if not text:
        raise InvalidQuery("a note needs some text; use `note delete` to remove it")
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidQuery(f"a note of {len(text):,} characters is too long; the limit is {MAX_NOTE_CHARS:,}")
    with transaction(conn):
        try:
            current = get_note(conn, user, note_id)
        except NotFound:
            if opened is None:
                raise
            raise NotFound(f"note {note_id} was deleted while it was being edited") from None
        if opened is not None and (current.uuid, current.text, current.updated_at) != (
            opened.uuid, opened.text, opened.updated_at
        ):
            raise Conflict(f"note {note_id} changed while it was being edited (saved at {current.updated_at})")
        conn.execute("UPDATE notes SET text = ?, updated_at = ? WHERE id = ?", (text, now(), note_id))
        index_note(conn, note_id, text)


def delete_note(conn: sqlite3.Connection, user: str, note_id: int) -> Note:
    with transaction(conn):
        note = get_note(conn, user, note_id)
        conn.execute("DELETE FROM notes WHERE id = ?", (note_id,))
        index_note(conn, note_id, None)
    return note
