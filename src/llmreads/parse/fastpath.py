"""Parse layer: the fast path, table rows read without mistune where that gives the same result.

Nearly all of a long list is table rows, and mistune spends most of its time
splitting and inline-parsing them. So each table body is cut out of the chunk
before mistune sees it, one placeholder row standing in its place: mistune
still decides what is a table (inside a list, a fence or an HTML block a
table is no table), and the rows are split here as its table plugin splits
them. Each cell is then read by `_simple_cell` when its text is simple enough to
know what mistune would make of it, and by mistune's inline parser otherwise.
Whenever a placeholder does not come back as a row of a table body, the
chunk is parsed again whole, the slow way. tests/test_parse_fast.py holds
both ways to the same results.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from llmreads.models import Link
from llmreads.parse.inline import (
    Cell,
    Node,
    bare_links,
    clean_label,
    new_link,
    node_links,
    plain_text,
    strip_emphasis,
)
from llmreads.parse.state import State

if TYPE_CHECKING:
    from mistune import Markdown

FAST_TABLES = True  # False: every table row goes through mistune (for tests and comparisons)
_PLACEHOLDER = "\ue000"  # private use; a chunk holding it is parsed the slow way


def _pipe_row(line: str) -> str | None:
    """A pipe table row's text between its outer pipes, or None: mistune's `_strip_pipe_table_row`."""
    text = line.rstrip(" \t")
    if not text.startswith("|") and text.startswith((" ", "\t")):
        text = text.lstrip(" ")
    if not text.startswith("|") or not text.endswith("|"):
        return None
    return text[1:-1]


def _split_cells(text: str) -> list[str]:
    """A row's cells, stripped, split at pipes not escaped by a backslash (as mistune's table plugin)."""
    if "\\" not in text:
        return [cell.strip() for cell in text.split("|")]
    cells: list[str] = []
    start = 0
    for pos, char in enumerate(text):
        if char == "|":
            backslashes = 0
            back = pos - 1
            while back >= 0 and text[back] == "\\":
                backslashes += 1
                back -= 1
            if backslashes % 2 == 0:
                cells.append(text[start:pos].strip())
                start = pos + 1
    cells.append(text[start:].strip())
    return cells


def _cell_count(text: str) -> int:
    """How many cells `_split_cells` makes of a row's text, without making them."""
    return text.count("|") + 1 if "\\" not in text else len(_split_cells(text))


def parse_fast(
    markdown: Markdown, chunk: str, lines: list[str], spans: list[tuple[int, int, int]], state: State
) -> list[Node] | None:
    """Parse a chunk with its table bodies cut out (placeholder rows); None when that cannot stand for the chunk."""
    if not spans or _PLACEHOLDER in chunk or "\r" in chunk:
        return None
    # Each table body's rows, as the text between their outer pipes: split into cells only when read (a row
    # a re-import finds again never is, parse.reuse).
    runs: dict[str, list[str]] = {}
    pieces: list[str] = []
    done = 0  # lines[:done] are in pieces
    for header, body, end in spans:
        head = _pipe_row(lines[header])
        delimiter = _pipe_row(lines[header + 1])
        if head is None or delimiter is None:
            continue
        width = len(_split_cells(head))
        if len(_split_cells(delimiter)) != width:
            continue
        rows: list[str] = []
        for line in lines[body:end]:
            text = _pipe_row(line)
            if text is None:
                break  # mistune's table ends here
            if _cell_count(text) != width:
                rows = []  # mistune makes the whole table a paragraph
                break
            rows.append(text)
        if not rows:
            continue
        marker = f"{_PLACEHOLDER}{len(runs)}"
        runs[marker] = rows
        pieces.extend(lines[done:body])
        pieces.append("|" + marker + "|" * width)
        done = body + len(rows)
    if not runs:
        return None
    pieces.extend(lines[done:])
    nodes, block_state = markdown.parse("\n".join(pieces))
    assert isinstance(nodes, list)
    # Every placeholder must be back, in order, as the first cell of a table body row.
    found = [
        placed
        for node in nodes
        if node.get("type") == "table"
        for part in node["children"]
        if part["type"] == "table_body"
        for row in part["children"]
        if (placed := _placeholder(row)) is not None
    ]
    if found != list(runs):
        return None
    env = block_state.env
    state.runs = runs
    state.refs = bool(env.get("ref_links"))
    state.inline = lambda text: markdown.inline(text, env)
    return nodes


def _placeholder(row: Node) -> str | None:
    cells = row["children"]
    if cells:
        children = cells[0].get("children")
        if children and len(children) == 1 and children[0].get("type") == "text":
            raw = children[0].get("raw", "")
            if isinstance(raw, str) and raw.startswith(_PLACEHOLDER):
                return raw
    return None


def body_rows(rows: list[Node], state: State) -> Iterator[list[Cell]]:
    """The cells of a table body's rows, in order: each placeholder row gives the rows it stands for."""
    for row in rows:
        run = state.runs.get(_placeholder(row) or "") if state.runs else None
        if run is None:
            yield [(plain_text(c), node_links(c)) for c in row["children"]]
            continue
        refs = state.refs
        for row_text in run:
            yield [_simple_cell(text, refs) or _mistune_cell(text, state) for text in _split_cells(row_text)]


# Characters at which one of mistune's inline rules may start (escapes, code,
# emphasis, images, links, autolinks and HTML, line breaks); those of them that
# `_simple_cell` leaves to mistune; and the object character that stands for
# a link in the text mistune weighs emphasis on.
_INLINE_SYNTAX = re.compile(r"[\\`*_!\[\]<\n\r]")
_UNREAD_SYNTAX = re.compile(r"[\\`!<\n\r\ufffc]")
_OBJECT = "\ufffc"
# A link destination that mistune takes as it is: no spaces, brackets, angle
# brackets, escapes, controls or title. Anything else goes to mistune.
_DESTINATION = r"\(([^\s()<>\[\]\\\x00-\x1f\x7f]*)\)"
_PLAIN_DESTINATION = re.compile(_DESTINATION)
# `[label](destination)` with no brackets in the label, split out of a cell's text.
_PLAIN_LINK = re.compile(r"\[([^\[\]]*)\]" + _DESTINATION)
_BRACKET = re.compile(r"[\[\]]")
_EMPHASIS_RUN = re.compile(r"\*+|_+")
# Destinations that mistune's escape_url leaves as they are (its safe characters, `&` aside).
_URL_AS_IS = re.compile(r"[A-Za-z0-9_.\-~:/?#@!$()*+,;=%]*")
# A cell that is one link and nothing else, its label free of markup, its destination as is.
_ONE_LINK = re.compile(r"\[([^\\`*_!\[\]<\n\r\ufffc]*)\]\(([A-Za-z0-9_.\-~:/?#@!$*+,;=%]*)\)")


def _mistune_cell(text: str, state: State) -> Cell:
    """A table cell's text and links, from mistune's inline parse of it."""
    assert state.inline is not None
    node = {"type": "table_cell", "children": state.inline(text)}
    return plain_text(node), node_links(node)


def _simple_cell(text: str, refs: bool = False) -> Cell | None:
    """A cell's text and links as `plain_text` and `node_links` read mistune's parse of it, read without mistune.

    Only plain text, bare URLs, `[label](destination)` links and the
    simplest emphasis are read here; None for a cell with any other markup.
    `refs`: the document defines link references (then `[label]` alone may
    be a link).
    """
    if "&" in text:  # a character reference, perhaps: mistune's tree and plain_text read those
        return None
    link = _ONE_LINK.fullmatch(text) if text[:1] == "[" else None
    if link is not None:  # the usual paper cell: `[title](url)` and nothing else
        label, url = link.groups()
        return label, [new_link(clean_label(label.strip()) or url, url)] if url else []
    if _INLINE_SYNTAX.search(text) is None:
        return text, bare_links(text, []) if "://" in text else []
    if _UNREAD_SYNTAX.search(text):
        return None
    if "[" in text or "]" in text:
        if refs:
            return None
        pieces = _link_pieces(text)
        if pieces is None:
            return None
        runs, labels, destinations = pieces
    else:
        runs, labels, destinations = [text], [], []
    shown, label_texts = runs, labels
    if "*" in text or "_" in text:
        # Emphasis drops its markers from the text a reader sees, and cuts the
        # text where bare URLs are looked for.
        source = _OBJECT.join(runs)
        if "*" in source or "_" in source:
            emphasis = _emphasis_text(source)
            if emphasis is None or (emphasis[1] and "://" in source):
                return None
            shown = emphasis[0].split(_OBJECT)
        if any("*" in label or "_" in label for label in labels):
            label_texts = []
            for label in labels:
                emphasis = _emphasis_text(label)
                if emphasis is None:
                    return None
                label_texts.append(emphasis[0])
    plain: list[str] = []
    links: list[Link] = []
    for run, shown_run, label, destination in zip(runs, shown, label_texts, destinations, strict=False):
        plain += (shown_run, label)
        bare_links(run, links)
        _append_link(links, label, destination)
    plain.append(shown[-1])
    bare_links(runs[-1], links)
    return "".join(plain), links


def _link_pieces(text: str) -> tuple[list[str], list[str], list[str]] | None:
    """A cell's text cut at its links: the text runs around them, their labels and destinations.

    None when a `](` may make a link whose destination this reader does not
    know. mistune's brackets, without link references: `[` opens; a `]` closes
    the latest opener, and makes a link when `(destination)` follows and no
    link was made since that opener was opened; otherwise both stay text.
    """
    parts = _PLAIN_LINK.split(text)  # text, label, destination, text, ...
    links = len(parts) // 3
    if text.count("[") == links and text.count("]") == links:
        return parts[::3], parts[1::3], parts[2::3]  # no bracket outside the links
    runs: list[str] = []
    labels: list[str] = []
    destinations: list[str] = []
    openers: list[int] = []
    inactive = 0  # openers[:inactive] came before a link, so they cannot make one
    start = 0  # where the current text run began
    bracket = _BRACKET.search(text)
    while bracket is not None:
        pos = bracket.start()
        if text[pos] == "[":
            openers.append(pos)
            pos += 1
        else:
            end = pos
            while end < len(text) and text[end] == "]":
                end += 1
            then_paren = text.startswith("(", end)
            unclosed = end - pos - then_paren  # `]` that only close openers
            if unclosed:
                del openers[max(0, len(openers) - unclosed) :]
                inactive = min(inactive, len(openers))
            pos = end
            if then_paren and openers:
                opener = openers.pop()
                active = len(openers) >= inactive
                inactive = min(inactive, len(openers))
                if active:
                    destination = _PLAIN_DESTINATION.match(text, end)
                    if destination is None:
                        return None
                    runs.append(text[start:opener])
                    labels.append(text[opener + 1 : end - 1])
                    destinations.append(destination.group(1))
                    inactive = len(openers)
                    start = pos = destination.end()
        bracket = _BRACKET.search(text, pos)
    runs.append(text[start:])
    return runs, labels, destinations


def _emphasis_text(source: str) -> tuple[str, bool] | None:
    """Inline text (a link in it as one `_OBJECT`) without the emphasis markers mistune takes as such.

    Also whether any were taken. None unless the only markers that can open
    or close are `**`, or no marker can close one opened before it.
    """
    delimiters: list[tuple[int, int, bool, bool]] = []  # start, end, can open, can close
    markers = ""
    for run in _EMPHASIS_RUN.finditer(source):
        start, end = run.span()
        before = source[start - 1] if start else "\n"
        after = source[end] if end < len(source) else "\n"
        marker = source[start]
        if marker == "_" and before.isalnum() and after.isalnum():
            continue  # inside a word: never emphasis
        can_open = not after.isspace() and (
            before.isspace() or not _is_punctuation(after) or _is_punctuation(before)
        )
        can_close = not before.isspace() and (
            after.isspace() or not _is_punctuation(before) or _is_punctuation(after)
        )
        if can_open or can_close:
            delimiters.append((start, end, can_open, can_close))
            markers += marker if end - start == 2 and marker == "*" else "?"
    if not delimiters:
        return source, False
    if "?" in markers:
        # Markers other than `**`: fine as long as none can close an earlier one.
        opened: set[str] = set()
        for start, _, can_open, can_close in delimiters:
            if can_close and source[start] in opened:
                return None
            if can_open:
                opened.add(source[start])
        return source, False
    # Only `**`: each closer takes the latest opener still open.
    openers: list[tuple[int, int]] = []
    taken: list[tuple[int, int]] = []
    for start, end, can_open, can_close in delimiters:
        if can_close and openers:
            taken += (openers.pop(), (start, end))
        elif can_open:
            openers.append((start, end))
            if len(openers) > 8:
                return None  # nesting deep enough for mistune's depth limit to matter
    if not taken:
        return source, False
    kept: list[str] = []
    pos = 0
    for start, end in sorted(taken):
        kept.append(source[pos:start])
        pos = end
    kept.append(source[pos:])
    return "".join(kept), True


def _is_punctuation(char: str) -> bool:
    return not char.isspace() and not char.isalnum()


def _append_link(links: list[Link], label: str, destination: str) -> None:
    """A `[label](destination)` link as `node_links` reads it (mistune escapes the destination)."""
    if _URL_AS_IS.fullmatch(destination):
        url = destination
    else:
        from mistune.util import escape_url

        url = escape_url(destination).strip()
    if url:
        links.append(new_link(clean_label(strip_emphasis(label)) or url, url))
