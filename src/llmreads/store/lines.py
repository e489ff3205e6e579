"""Store layer, source lines part: the line of the document each entry of an imported list was read from.

Lines are kept apart from the entries (migration m013), one row per list:
its entries' ids and their lines, in the list's order, each as the steps
from the one before, compressed. A row added or removed near the top of a
long list moves the line of every row below it: kept in each entry's row,
a re-import that keeps its rows in place rewrote nearly every row of the
list (a tenth of such a re-import at 100,000 papers, most of it in the
commit). Kept here, an import writes two small values. Only `show` reads
lines, a paper's few entries at a time. An entry of no imported list (a
user's own list: `add`) has no line: 0.
"""

from __future__ import annotations

import sqlite3
import sys
import zlib
from array import array
from collections.abc import Collection, Sequence
from itertools import accumulate, islice
from operator import indexOf, sub


def pack(values: Sequence[int]) -> bytes:
    """Integers as the steps between them (the first from 0), 8 bytes each little-endian, compressed. For row
    ids and line numbers: never negative, so every step fits in 64 bits."""
    steps = array("q", values[:1])
    steps.extend(map(sub, values[1:], values[:-1]))
    if sys.byteorder != "little":
        steps.byteswap()
    return zlib.compress(steps.tobytes(), 1)


def unpack(data: bytes) -> list[int]:
    """The integers `pack` packed."""
    return list(accumulate(_steps(data)))


def _steps(data: bytes) -> array[int]:
    steps = array("q")
    steps.frombytes(zlib.decompress(data))
    if sys.byteorder != "little":
        steps.byteswap()
    return steps


def write_lines(conn: sqlite3.Connection, list_id: int, entry_ids: Sequence[int], lines: Sequence[int]) -> None:
    """The lines of a list's entries, as its import leaves them: `entry_ids[i]` was read from `lines[i]`."""
    conn.execute("INSERT OR REPLACE INTO list_lines (list_id, entries, lines) VALUES (?, ?, ?)",
                 (list_id, pack(entry_ids), pack(lines)))


def lines_of(conn: sqlite3.Connection, entries: Collection[tuple[int, int]]) -> dict[int, int]:
    """The lines of entries given as (list id, entry id), by entry id; an entry no import wrote has none."""
    wanted: dict[int, set[int]] = {}
    for list_id, entry_id in entries:
        wanted.setdefault(list_id, set()).add(entry_id)
    found: dict[int, int] = {}
    for list_id, ids in wanted.items():
        row = conn.execute("SELECT entries, lines FROM list_lines WHERE list_id = ?", (list_id,)).fetchone()
        if row is None:
            continue
        # Found in the running sums, no list of 100,000 ints made: 4.8 ms for the last entry at 100k, not 18.
        entry_steps, line_steps = _steps(row[0]), _steps(row[1])
        for entry_id in ids:
            try:
                at = indexOf(accumulate(entry_steps), entry_id)
            except ValueError:
                continue
            found[entry_id] = sum(islice(line_steps, at + 1))
    return found
