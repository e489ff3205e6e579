"""Parse layer: table rows an import already holds, found by a digest of their text and context.

A re-import of a long list finds nearly all of its rows unchanged. Each row
of a table the fast path cut out (fastpath.py) gets a digest of its text as
written (between its outer pipes) and of everything else that decides what it
reads as: the parser's own code, the section it is in (number and heading
path) and the table's column names and roles: the row's own digest
(`row_digest`, which the table's sample of first rows keeps too) XOR the
digest of its table's context (`table_context`). An import hands
the parser the digests its stored entries were read from
(`iter_document(reuse=...)`); a row whose digest is among them is not read
again, nor split into cells: it is given, with the rows next to it found
again, in a `ReusedRows` event, and the store takes the entry it holds. Rows
read by mistune (a chunk the fast path could not split) and chunks that define link references (`[label]` may
then be a link defined anywhere in the chunk) get no digest and are always read.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, overload

from llmreads.digests import digest64, text_digests64
from llmreads.parse.fastpath import _mistune_cell, _placeholder, _simple_cell, _split_cells
from llmreads.parse.inline import Cell, Node, node_links, plain_text

if TYPE_CHECKING:
    from llmreads.parse.state import State

# The modules whose code decides what a row reads as: a change to any of them makes every digest new.
_PARSER_FILES = ("models.py", "keys.py", "text.py", "digests.py")


@functools.cache
def parser_fingerprint() -> bytes:
    """A digest of the parser's source (this package and the modules it reads rows with)."""
    root = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=16)
    for path in [*sorted(root.glob("*.py")), *(root.parent / name for name in _PARSER_FILES)]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.digest()


def table_context(state: State, columns: object) -> int:
    """64 bits of a digest of a table's context: the parser, the section's number and heading path, the columns
    (signed). A row's Entry.source is its row_digest XOR this: one digest a row, which its sample shares."""
    path = [(section.number, section.title_raw) for _level, section in state.stack]
    data = repr((path, repr(columns))).encode("utf-8", "surrogatepass")
    return digest64(data, key=parser_fingerprint())


def table_key(state: State, headers: Sequence[str], names: Sequence[str]) -> int:
    """64 bits of a digest naming a table: the parser, its section's number and heading path, its header, and
    how many tables of that header the section held before it."""
    path = [(section.number, section.title_raw) for _level, section in state.stack]
    data = repr((path, list(headers), list(names))).encode("utf-8", "surrogatepass")
    base = hashlib.blake2b(data, digest_size=16, key=parser_fingerprint()).digest()
    ordinal = state.tables.get(base, 0)
    state.tables[base] = ordinal + 1
    return digest64(str(ordinal).encode(), key=base)


def row_bytes(text: str) -> bytes:
    """A row as written (its text between its outer pipes), as its digest reads it (row_digest)."""
    return text.encode("utf-8", "surrogatepass")


def row_digest(data: bytes) -> int:
    """64 bits of a digest of a row as written (`row_bytes`, signed: an SQLite integer). A table's first rows'
    say which of them changed (TableColumns.sample); XOR the table's context (table_context), a row's is its
    Entry.source."""
    return digest64(data)


def row_digests(texts: Sequence[str]) -> list[int]:
    """row_digest of each row's text (row_bytes), made in one pass: a table's rows at once."""
    return text_digests64(texts)


def pack_digests(digests: Sequence[int]) -> bytes:
    """Digests as TableColumns.sample holds them: 8 bytes each, big-endian, signed."""
    packed = array("q", digests)
    if sys.byteorder == "little":
        packed.byteswap()
    return packed.tobytes()


def unpack_digests(data: bytes) -> list[int]:
    """The digests `pack_digests` packed."""
    packed = array("q")
    packed.frombytes(data[: len(data) // 8 * 8])
    if sys.byteorder == "little":
        packed.byteswap()
    return packed.tolist()


class BodyRows(Sequence[list[Cell]]):
    """A table body's rows, their cells read only when asked for: a row found again is never read.

    `texts[i]` holds row i's text as written (between its outer pipes) when the fast path cut it out, else None.
    """

    def __init__(self, rows: list[Node], state: State) -> None:
        self.state = state
        self.texts: list[str | None] = []
        self._cells: list[list[Cell] | None] = []
        for row in rows:
            run = state.runs.get(_placeholder(row) or "") if state.runs else None
            if run is None:
                self.texts.append(None)
                self._cells.append([(plain_text(c), node_links(c)) for c in row["children"]])
            else:
                self.texts += run
                self._cells += [None] * len(run)

    def __len__(self) -> int:
        return len(self._cells)

    @overload
    def __getitem__(self, index: int) -> list[Cell]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[Cell]]: ...

    def __getitem__(self, index: int | slice) -> list[Cell] | list[list[Cell]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self.cells(index)

    def cells(self, index: int) -> list[Cell]:
        """Row `index`'s cells (`self[index]`, without the slice test: a table's rows are read through here)."""
        cells = self._cells[index]
        if cells is None:
            row_text = self.texts[index]
            assert row_text is not None
            refs = self.state.refs
            cells = self._cells[index] = [_simple_cell(text, refs) or _mistune_cell(text, self.state)
                                          for text in _split_cells(row_text)]
        return cells

    def __iter__(self) -> Iterator[list[Cell]]:
        return (self[i] for i in range(len(self)))
