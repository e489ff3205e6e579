"""Parse layer: markdown text in, a Document and its problems out.

Pure: no files, no SQL, no printing. The document is cut into chunks at its
headings and each chunk is parsed with mistune's AST (table plugin), so memory
stays bounded by the largest section; `iter_document` yields the pieces as it
goes, for an import that streams. Table rows, the bulk of a long list, are
split and read here rather than by mistune wherever that gives the very same
result, which is several times faster.

Papers are read from tables whose header names a title column (in English or
Chinese, in any order) and from bullet or numbered lists whose items start
with a link or a bold title. The events yielded (`DocumentTitle`, `Section`,
`Entry`, `Problem`, `DocumentUpdated`) are defined in models.py, so the store
reads them without importing the parser.

The modules, each owning one thing (a module imports only those listed
before it):

    inline.py    inline text: plain text, links, bare URLs, emphasis, ratings
    lines.py     lines and chunks, before mistune: where headings, tables and
                 list items are
    state.py     what the walk carries (sections, line numbers, events) and
                 `emit_entry`, where a row or list item becomes an Entry
    fastpath.py  table rows split and read without mistune when that gives
                 the same result (FAST_TABLES = False turns it off)
    tables.py    tables of papers: column roles, header names, rows, cells
    lists.py     papers in bullet and numbered lists
    document.py  `parse` and `iter_document`: the walk, headings and sections

Growing it: deciding whether a row or a list item is a paper at all (entry
detection) goes in a module of its own that tables.py and lists.py ask before
they emit; cleaning a paper's title (title clean-up) goes in a module of its
own called from `emit_entry` in state.py, where the raw title becomes the
title.
"""

from __future__ import annotations

from llmreads.models import DocumentTitle, DocumentUpdated, Event
from llmreads.parse.document import iter_document, parse

__all__ = ["DocumentTitle", "DocumentUpdated", "Event", "iter_document", "parse"]
