"""store/positions.py: where a re-import that keeps a list's rows puts each entry of the new order."""

from __future__ import annotations

from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import examples
from llmreads.store.base import LIST_STRIDE
from llmreads.store.positions import GAP, gap_for, kept_in_order, numbered, plan

NEW = -1  # a row this import writes: it had no position


def positions(*values: int) -> array[int]:
    return array("q", values)


def test_a_full_import_leaves_room_before_and_after_every_entry() -> None:
    assert [numbered(i, GAP) for i in range(3)] == [GAP, 2 * GAP, 3 * GAP]
    assert gap_for(100_000) == GAP
    # A list so long that GAP would pass its stride leaves less room: its last position stays in its stride.
    rows = 1_000_000
    assert gap_for(rows) < GAP and numbered(rows - 1, gap_for(rows)) < LIST_STRIDE
    assert gap_for(20_000_000) == 1


def test_rows_in_their_order_keep_their_positions() -> None:
    assert plan(positions(32, 64, 96), GAP) == positions(32, 64, 96)
    assert list(kept_in_order(positions(32, NEW, 96))) == [1, 0, 1]


def test_a_new_row_takes_the_place_of_the_row_it_replaces() -> None:
    # The row at 64 was read again (changed): the new row between 32 and 96 takes 64, which is free.
    assert plan(positions(32, NEW, 96), GAP, freed=[64]) == positions(32, 64, 96)
    # Free positions outside the run's neighbours are not taken.
    assert plan(positions(32, NEW, 96), GAP, freed=[100]) == positions(32, 64, 96)
    assert plan(positions(32, NEW, 96), GAP, freed=[97]) == positions(32, 64, 96)


def test_new_rows_without_a_free_place_are_spread_between_their_neighbours() -> None:
    assert plan(positions(32, NEW, NEW, NEW, 64), GAP) == positions(32, 40, 48, 56, 64)
    # Before the first row kept, and after the last, as a full import would place them where they fit.
    assert plan(positions(NEW, 64, NEW), GAP) == positions(32, 64, 96)
    assert plan(positions(NEW, NEW, 10, NEW), GAP) == positions(2, 5, 10, numbered(3, GAP))


def test_no_room_means_the_list_is_numbered_again() -> None:
    assert plan(positions(0, NEW, 1), GAP) is None
    assert plan(positions(NEW, 0), GAP) is None
    assert plan(positions(LIST_STRIDE - 1, NEW), GAP) is None


def test_rows_moved_about_keep_the_longest_run_in_order_and_the_rest_move() -> None:
    # 320 moved to the top: the rows after it stay, it goes before them.
    old = positions(320, 32, 64, 96)
    assert list(kept_in_order(old)) == [0, 1, 1, 1]
    final = plan(old, GAP)
    assert final is not None and list(final[1:]) == [32, 64, 96] and final[0] < 32
    # A row moved down: the one row out of order moves, the others stay.
    assert list(kept_in_order(positions(64, 96, 32, 128))) in ([1, 1, 0, 1], [0, 1, 1, 1])


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.one_of(st.just(NEW), st.integers(0, 4000)), max_size=60), st.lists(st.integers(0, 4000)))
def test_every_plan_is_an_order_that_keeps_a_longest_run_of_rows(values: list[int], freed: list[int]) -> None:
    once: list[int] = []  # a position is held by one row: a repeated one stands for a new row
    for value in values:
        once.append(NEW if value in once else value)
    old = positions(*once)
    final = plan(old, 4, sorted(set(freed) - set(old)))
    kept = kept_in_order(old)
    runs = [v for v in old if v >= 0]
    assert sum(kept) == _longest_increasing(runs)
    assert all(old[i] >= 0 for i in range(len(old)) if kept[i])
    if final is None:  # only when some run of rows found no room between its neighbours
        return
    assert all(a < b for a, b in zip(final, final[1:], strict=False)), "positions increase down the list"
    assert all(0 <= p < LIST_STRIDE for p in final)
    assert all(final[i] == old[i] for i in range(len(old)) if kept[i])


def _longest_increasing(values: list[int]) -> int:
    best = [1] * len(values)
    for i in range(len(values)):
        for j in range(i):
            if values[j] < values[i]:
                best[i] = max(best[i], best[j] + 1)
    return max(best, default=0)


@pytest.mark.parametrize("count", [1, 5, 1000])
def test_a_run_of_new_rows_at_the_end_is_placed_a_gap_apart(count: int) -> None:
    final = plan(positions(32, *[NEW] * count), GAP)
    assert final is not None and list(final) == [32 + GAP * i for i in range(count + 1)]
