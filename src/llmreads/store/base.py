"""Store layer, shared part: the clock, write transactions, batches for SQL variables, and constants.

Every module of the store takes its write transactions (`transaction`) and
its batches of row ids or keys (`chunks`, `rows_in`) from here, and so
does llmreads.aliases. Standard library only at the top: shell completion
loads this module (through llmreads.aliases) on a Tab press.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import sqlite3

T = TypeVar("T")

STATUSES = ("unread", "reading", "read")  # the values of models.Status, without loading models
LIST_STRIDE = 10_000_000  # a paper's position: its list's id times this, plus its place in the list
# Values bound to one statement: far below SQLite's limit on variables, which
# was 999 before SQLite 3.32 and still is where a build sets it so.
SQL_BATCH = 500


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken with the write lock up front (no upgrade deadlocks).

    A write that finds another process writing (an import) waits for it: see db.begin_write.
    """
    from llmreads.db import begin_write, rollback

    begin_write(conn)
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)  # never a second error in place of the first (a full disk)
        raise


def chunks(items: Iterable[T], size: int = SQL_BATCH) -> Iterator[list[T]]:
    """`items` in lists of at most `size`, in order; reads an iterator lazily, one list at a time."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def marks(values: Sized) -> str:
    """One `?` per value, for `IN (...)`."""
    return ",".join("?" * len(values))


def rows_in(
    conn: sqlite3.Connection, sql: str, values: Iterable[object], params: Sequence[object] = ()
) -> Iterator[Any]:  # what the connection's row factory makes, as sqlite3's own cursors give
    """The rows of `sql` for all `values`, which stand in for `{marks}` a batch at a time (`params` follow them).

    Each batch is a statement of its own: rows come in `sql`'s order within a
    batch, batch after batch.
    """
    for chunk in chunks(values):
        yield from conn.execute(sql.replace("{marks}", marks(chunk)), [*chunk, *params])
