"""Parse layer: markdown text in, a Document and its problems out.

Pure: no files, no SQL, no printing. The document is cut into chunks at its
headings and each chunk is parsed with mistune's AST (table plugin), so memory
stays bounded by the largest section; `iter_document` yields the pieces as it
goes, for an import that streams. Table rows, the bulk of a long list, are
split and read here rather than by mistune wherever that gives the very same
result, which is several times faster.

Papers are read from tables whose header names a title column (in English or
Chinese, in any order), from bullet or numbered lists whose items link a paper
(a linked or bold title, perhaps after a nickname; a bare arXiv link or id) and
from paragraphs that start with a bold or linked title. The events yielded
(`DocumentTitle`, `Section`, `Entry`, `Problem`, `DocumentUpdated`, and what was
left out: `NonPaper`, `UnreadItem`, `SkippedTable`) are defined in models.py, so
the store reads them without importing the parser.

The modules, each owning one thing (a module imports only those listed
before it):

    inline.py    inline text: plain text, links, bare URLs, emphasis, ratings
    links.py     what a link points at: a paper, code, a model, data, a video, a post
    titles.py    a title without quotes, trailing period, marks, numbers or emoji
    lines.py     lines and chunks, before mistune: where headings, tables and
                 list items are
    state.py     what the walk carries (sections, line numbers, events) and
                 `emit_entry`, where a row or list item becomes an Entry
    entries.py   entry detection: is an item a paper, and which link is it
    fastpath.py  table rows split and read without mistune when that gives
                 the same result (FAST_TABLES = False turns it off)
    tables.py    tables of papers: column roles, header names, rows, cells
    lists.py     papers in bullet and numbered lists, and in paragraphs
    document.py  `parse` and `iter_document`: the walk, headings and sections
"""

from __future__ import annotations

from llmreads.models import DocumentTitle, DocumentUpdated, Event
from llmreads.parse.document import iter_document, parse

__all__ = ["DocumentTitle", "DocumentUpdated", "Event", "iter_document", "parse"]
