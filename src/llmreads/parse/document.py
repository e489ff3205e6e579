"""Parse layer: the walk over a document, chunk by chunk, and its sections.

`iter_document` cuts the lines into chunks (lines.py), has mistune parse each
one (its table bodies cut out first by the fast path, fastpath.py) and walks
the nodes: headings become numbered sections, tables and list items go to
tables.py and lists.py, a paragraph may state the update date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from llmreads.models import (
    EXPORT_MARK,
    Document,
    DocumentTitle,
    DocumentUpdated,
    Entry,
    Event,
    KnownRows,
    NonPaper,
    Problem,
    ReaderMarks,
    ReusedRows,
    Section,
    SkippedTable,
    TableColumns,
    UnreadItem,
)
from llmreads.parse import fastpath
from llmreads.parse.inline import Node, plain_text
from llmreads.parse.lines import chunks, list_item_lines, table_spans, text_lines
from llmreads.parse.lists import read_export_item, read_html, read_list_item, read_paragraph
from llmreads.parse.state import State
from llmreads.parse.tables import read_table
from llmreads.text import clean

_SECTION_NUMBER = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)*)(?P<sep>[.、)]?)\s*(?P<rest>.*)$", re.S)
_UPDATED = re.compile(
    r"(?:更新时间|更新于|更新日期|最后更新|last updated?|updated)\s*(?:on|at)?\s*[:：]?\s*"
    r"(?P<y>\d{4})[/.\-年](?P<m>\d{1,2})[/.\-月](?P<d>\d{1,2})",
    re.IGNORECASE,
)


def parse(text: str) -> Document:
    """Parse a curated paper list. Never raises on any input string."""
    title = ""
    updated: str | None = None
    sections: list[Section] = []
    entries: list[Entry] = []
    problems: list[Problem] = []
    skipped: list[SkippedTable | UnreadItem | NonPaper] = []
    marks: list[ReaderMarks] = []
    for event in iter_document(text):
        if isinstance(event, DocumentTitle):
            title = event.title
        elif isinstance(event, DocumentUpdated):
            updated = event.date
        elif isinstance(event, Section):
            sections.append(event)
        elif isinstance(event, Entry):
            entries.append(event)
        elif isinstance(event, Problem):
            problems.append(event)
        elif isinstance(event, ReaderMarks):
            marks.append(event)
        elif not isinstance(event, ReusedRows | TableColumns):  # none without `reuse`
            skipped.append(event)
    return Document(title, updated, tuple(sections), tuple(entries), tuple(problems), tuple(skipped), tuple(marks))


def iter_document(
    text: str | Iterable[str], on_chunk: Callable[[int], None] | None = None, reuse: KnownRows | None = None
) -> Iterator[Event]:
    """The document's title, sections, entries, problems and update date, in document order.

    `text` is the whole document or its lines (without line ends), read as
    they are needed; `on_chunk`, if given, is called with the first line
    number of each chunk parsed (for a progress bar). `reuse` (an import's):
    table rows get digests (Entry.source), and a row whose digest it holds is
    not read again but given in a ReusedRows with the rows found again next
    to it (parse.reuse); it may be filled while the events are read.
    """
    import mistune

    markdown = mistune.create_markdown(renderer=None, plugins=["table"])
    state = State(reuse=reuse)
    lines = text_lines(text) if isinstance(text, str) else iter(text)
    for first_line, chunk in chunks(lines):
        if on_chunk is not None:
            on_chunk(first_line)
        chunk_lines = chunk.split("\n")
        spans = table_spans(chunk_lines)
        state.rows = [list(range(first_line + body, first_line + end)) for _, body, end in spans]
        state.items = list_item_lines(chunk, chunk_lines, first_line)
        state.line = first_line
        state.runs = {}
        state.chunk_lines = chunk_lines
        state.cursor = 0
        nodes: list[Node] | None = None
        if fastpath.FAST_TABLES:
            nodes = fastpath.parse_fast(markdown, chunk, chunk_lines, spans, state)
        if nodes is None:
            state.runs = {}
            parsed = markdown(chunk)
            assert isinstance(parsed, list)
            nodes = parsed
        _walk(nodes, state)
        yield from state.drain()
    state.resolve_title()
    if state.updated:
        state.out.append(DocumentUpdated(state.updated))
    yield from state.drain()


def _walk(nodes: list[Node], state: State, in_list: bool = False) -> None:
    for node in nodes:
        kind = node.get("type")
        if kind == "heading":
            _heading(node, state, in_list)
        elif kind == "table":
            lines = state.rows.pop(0) if state.rows else []
            read_table(node, state, lines)
        elif kind == "paragraph":
            _updated(node, state)
            read_paragraph(node, state, state.line_of)
        elif kind == "list":
            _list(node, state)
        elif kind == "block_quote":
            _walk(node.get("children", []), state)
        elif kind == "block_html":
            raw = str(node.get("raw", ""))
            if EXPORT_MARK in raw:
                state.every_item = True
            else:
                read_html(raw, state, state.line_of)


def _list(node: Node, state: State, nested: bool = False) -> None:
    for item in node.get("children", []):
        # Items come in document order (nested ones after their parent), as do their lines.
        line = state.items.pop(0) if state.items else state.line
        children = item.get("children", [])
        if any(child.get("type") in ("heading", "table") for child in children):
            _walk(children, state, in_list=True)  # `1. # Title`: a list used for numbering headings
            continue
        if state.every_item and not nested:
            read_export_item(children, state, line)
            continue
        text_nodes = [c for c in children if c.get("type") in ("block_text", "paragraph")]
        if text_nodes:
            read_list_item(text_nodes, state, line, nested)
        for child in children:
            if child.get("type") == "list":
                _list(child, state, nested=True)
            elif child.get("type") == "block_html" and not text_nodes:
                read_html(str(child.get("raw", "")), state, _at(line))


def _at(line: int) -> Callable[[str], int]:
    """A `where` for a piece of an item that begins at `line` (the item's line names all of it)."""
    return lambda _anchor: line


def _updated(node: Node, state: State) -> None:
    if state.updated is not None:
        return
    match = _UPDATED.search(plain_text(node))
    if match:
        y, m, d = (int(match.group(g)) for g in "ymd")
        if 1 <= m <= 12 and 1 <= d <= 31:
            state.updated = f"{y:04d}-{m:02d}-{d:02d}"


def _heading(node: Node, state: State, in_list: bool = False) -> None:
    level = int(node["attrs"]["level"])
    raw = plain_text(node).strip()
    # `1. # Alpha` numbers a section; only a plain `# Title` names the document.
    if state.title is None and level == 1 and not in_list and not state.stack and not state.title_sent:
        state.title = clean(raw)
        return
    if not raw:
        return
    while state.stack and state.stack[-1][0] >= level:
        state.stack.pop()
    parent = state.section()
    parent_number = parent.number if parent else ""
    number, title = _number_and_title(raw, parent_number)
    if number is None or number in state.numbers:
        if number is not None:
            state.emit(Problem(state.line, f"section number {number} used twice; numbered in order instead"))
        part = state.children.get(parent_number, 0) + 1
        while _child_number(parent_number, part) in state.numbers:
            part += 1
        number = _child_number(parent_number, part)
    state.children[parent_number] = int(number.rsplit(".", 1)[-1])
    state.numbers.add(number)
    section = Section(number=number, title=title or raw, title_raw=raw, line=state.line)
    state.emit(section)
    state.stack.append((level, section))


def _child_number(parent_number: str, part: int) -> str:
    """The number of a parent's `part`-th subsection: "2.3" under "2", "3" at the top."""
    return f"{parent_number}.{part}" if parent_number else str(part)


def _number_and_title(raw: str, parent_number: str) -> tuple[str | None, str]:
    """Split `2.2CoT` into ("2.2", "CoT"); keep numbers that do not fit the tree in the title."""
    title = clean(raw).rstrip(":： ").strip()
    match = _SECTION_NUMBER.match(title)
    if match:
        num, sep, rest = match.group("num"), match.group("sep"), match.group("rest").strip()
        parts = num.split(".")
        fits_child = parent_number and len(parts) >= 2 and ".".join(parts[:-1]) == parent_number
        spaced = title[len(num) :][:1].isspace()
        fits_top = not parent_number and len(parts) == 1 and int(parts[0]) < 100 and bool(sep or spaced)
        if (fits_child or fits_top) and rest:
            return num, rest.rstrip(":： ").strip()
    return None, title
