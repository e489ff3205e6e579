"""Terminal UI layer, writes: the screen's changes, written one at a time on a thread of their own.

A write takes the database's write lock, and while another process holds it
(an import of a long list) the store waits for it, up to db.WRITE_WAIT_S. On
the screen's own thread that wait would freeze it; here the screen goes on
and the change lands when the lock is free. One thread, so changes land in
the order they were made; its own connection, since an sqlite3 connection
stays on the thread that opened it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class Writer:
    """Runs write jobs, each given the writer's connection, in order on one thread."""

    def __init__(self, path: Path, on_wait: Callable[[], None] | None = None) -> None:
        self.path = path
        self.on_wait = on_wait
        self._conn: sqlite3.Connection | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmreads-writer")

    def submit(self, job: Callable[[sqlite3.Connection], T]) -> Future[T]:
        return self._executor.submit(self._run, job)

    def _run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            from llmreads.db import connect

            conn = connect(self.path)  # the screen opened (and migrated) the file already
            conn.on_wait = self.on_wait
            self._conn = conn
        return job(self._conn)

    def close(self) -> None:
        """Wait for every change made so far to be written, then close the connection."""
        self._executor.submit(self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
