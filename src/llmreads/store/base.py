"""Store layer, shared part: the clock, write transactions, batching for SQL variables, and constants.

Every module of the store takes its write transactions (`transaction`) and
its batches of row ids or keys (`chunks`) from here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from llmreads.db import rollback

STATUSES = ("unread", "reading", "read")  # the values of models.Status, without loading models
LIST_STRIDE = 10_000_000  # a paper's position: its list's id times this, plus its place in the list


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken with the write lock up front (no upgrade deadlocks).

    A write that finds another process writing (an import) waits for it: see db.begin_write.
    """
    from llmreads.db import begin_write

    begin_write(conn)
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)  # never a second error in place of the first (a full disk)
        raise


def chunks(items: Sequence[str] | Sequence[int], size: int) -> Iterator[list]:  # type: ignore[type-arg]
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
