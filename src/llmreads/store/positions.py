"""Store layer, list order part: the positions an import gives a list's entries.

A position is an entry's place in its list's order, not its rank: positions
increase down the list, with room between them (`gap_for`). A re-import
that keeps the rows it finds again (importer._Writer, in place) keeps their
positions too, and gives rows new in the list positions in the room between
their neighbours (`plan`): a row removed or added near the top no longer
moves every later entry, nor every later paper (papers.position is its
list's id times LIST_STRIDE plus its first entry's position). Only where a
run of new rows finds no room is the whole list numbered again.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import pairwise

from llmreads.store.base import LIST_STRIDE

GAP = 32  # room after each position a full import gives: a row added between two is placed without moving them


def gap_for(rows: int) -> int:
    """The room a full import leaves after each of about `rows` entries: GAP, less for a list so long that its
    positions would not stay under LIST_STRIDE."""
    return max(1, min(GAP, (LIST_STRIDE - 1) // (rows + 2)))


def numbered(index: int, gap: int) -> int:
    """The position a full import gives the entry at `index` in the list's order (the first gets `gap`: room
    before it too)."""
    return (index + 1) * gap


def kept_in_order(old: array[int]) -> bytearray:
    """Which rows keep their old position: a longest run (not necessarily adjacent) of rows whose old positions
    increase in the list's new order. `old[i]` is -1 for a row that had none (new in the list).

    A list whose kept rows are all still in their order (the usual update: rows changed, added, removed)
    costs one pass; rows moved about cost a longest-increasing-subsequence search, O(n log n).
    """
    flags = bytearray(len(old))
    last = -1
    in_order = True
    for i, position in enumerate(old):
        if position >= 0:
            if position <= last:
                in_order = False
                break
            last = position
            flags[i] = 1
    if in_order:
        return flags
    flags = bytearray(len(old))
    tails: list[int] = []  # the smallest last position of an increasing run of each length
    ends: list[int] = []  # the index of that run's last row
    before = array("q", [-1]) * len(old)  # each row's predecessor in the best run ending at it
    for i, position in enumerate(old):
        if position < 0:
            continue
        length = bisect_left(tails, position)
        if length == len(tails):
            tails.append(position)
            ends.append(i)
        else:
            tails[length], ends[length] = position, i
        before[i] = ends[length - 1] if length else -1
    i = ends[-1] if ends else -1
    while i >= 0:
        flags[i] = 1
        i = before[i]
    return flags


def plan(old: array[int], gap: int, freed: Sequence[int] = ()) -> array[int] | None:
    """The new position of each row of a list kept in place, in its new order (`old`: each row's position before
    this import, -1 for a row new in the list; `freed`: the positions of the rows it no longer holds, sorted).

    Rows in order keep theirs. A run of the others between two such rows takes, in order, the positions of
    rows removed between them when there are enough (a row changed, read again, takes its old row's place:
    a list imported again unchanged keeps every position), else those a full import would give them when
    they fit, else positions spread over the room. None when some run finds no room: the list is then
    numbered again.
    """
    keep = kept_in_order(old)
    final = array("q", old)
    count = len(old)
    previous = -1  # positions are 0 or more: the first row may take 0
    i = 0
    while i < count:
        if keep[i]:
            previous = old[i]
            i += 1
            continue
        j = i
        while j < count and not keep[j]:
            j += 1
        run = j - i
        upper = old[j] if j < count else LIST_STRIDE
        first = bisect_right(freed, previous)
        places = freed[first:first + run]
        if len(places) == run and places[-1] < upper and all(a < b for a, b in pairwise(places)):
            final[i:j] = array("q", places)
        elif previous < numbered(i, gap) and numbered(j - 1, gap) < upper:
            for t in range(i, j):
                final[t] = numbered(t, gap)
        else:
            # Spread over the room; after the last row kept, `gap` apart at most, as a full import leaves them.
            step = (upper - previous) // (run + 1) if j < count else min(gap, (upper - 1 - previous) // (run + 1))
            if step < 1:
                return None
            for t in range(run):
                final[i + t] = previous + step * (t + 1)
        previous = final[j - 1]
        i = j
    return final
