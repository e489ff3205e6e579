"""Parse layer: the document's lines, before mistune sees them.

The lines of a text (`text_lines`), the chunks they are parsed in (`chunks`: cut
at headings outside fenced code and comments, and inside a long table), and,
in each chunk, the lines its tables and list items start on, so that every
entry and problem carries its line number.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

_HEADING_LINE = re.compile(r"^ {0,3}(?:\d+[.)] +|[-*+] +)?#{1,6}(?: |$)|^\s*<h[1-6][\s>]", re.I)
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_HTML_HEADING = re.compile(r"^\s*<h(?P<level>[1-6])[^>]*>(?P<text>.*?)</h[1-6]>\s*$", re.I)
_HTML_WRAPPER = re.compile(
    r"^\s*(</?details[^>]*>|<summary>.*?</summary>|</?summary>|</?div[^>]*>|</?p[^>]*>)+\s*$", re.I
)
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_LIST_ITEM_LINE = re.compile(r"^\s*(?:>\s*)*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_NUMBERED_ITEM_LINE = re.compile(r"^ {0,3}\d{1,9}[.)](?:[ \t]|$)")
CHUNK_LINES = 2_000  # a longer section is cut inside its tables, so memory stays bounded


def _opens_comment(line: str) -> bool:
    """Whether an HTML comment opens on the line and is still open at its end."""
    return "<!--" in line and "-->" not in line[line.index("<!--") :]


def _starts_table(header: str, line: str) -> bool:
    """Whether `line` is the delimiter row (`| --- | --- |`) of a table headed by `header`."""
    return "|" in header and "-" in line and _TABLE_DELIMITER.match(line) is not None


def _row_cells(line: str) -> list[str]:
    """A table row's cells (not stripped) between its outer pipes, split at pipes no backslash escapes."""
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not _escaped(text, len(text) - 1):
        text = text[:-1]
    if "\\" not in text:
        return text.split("|")
    cells: list[str] = []
    start = 0
    for pos, char in enumerate(text):
        if char == "|" and not _escaped(text, pos):
            cells.append(text[start:pos])
            start = pos + 1
    cells.append(text[start:])
    return cells


def _escaped(text: str, pos: int) -> bool:
    backslashes = 0
    while pos - backslashes - 1 >= 0 and text[pos - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def table_row(line: str, width: int) -> str:
    """A table row as GitHub reads it, written so that mistune reads it the same way.

    GitHub takes a row without its leading or trailing pipe, pads a row with
    fewer cells than the header with empty ones and drops the cells past the
    header's; mistune's table plugin ends the table or makes it a paragraph
    instead. A row that needs none of that is returned as it is.
    """
    text = line.rstrip()
    if text[:1] == "|" and text[-1:] == "|" and "\\" not in text and text.count("|") == width + 1:
        return line
    cells = _row_cells(line)
    if len(cells) < width:
        cells += [" "] * (width - len(cells))
    indent = line[: len(line) - len(line.lstrip())]
    return indent + "|" + "|".join(cells[:width]) + "|"


def _starts_block(line: str) -> bool:
    """Whether a line opens a block (a list item, a quote, HTML) and so ends a table before it."""
    return line.lstrip()[:1] in (">", "<") or _LIST_ITEM_LINE.match(line) is not None


def _header_width(header: str, delimiter: str) -> int | None:
    """The column count of a table whose header and delimiter rows agree on it (GitHub's rule), else None."""
    width = len(_row_cells(header))
    return width if len(_row_cells(delimiter)) == width else None


def text_lines(text: str) -> Iterator[str]:
    """A text's lines without their ends; \r\n and \r end lines as \n does (as in markdown)."""
    for line in io.StringIO(text, newline=None):
        yield line.rstrip("\n")


def chunks(lines: Iterator[str], max_lines: int | None = None) -> Iterator[tuple[int, str]]:
    """Cut the document before each heading outside fenced code and comments; yield (first line, text).

    A section longer than `max_lines` is also cut between the rows of a table,
    the next chunk starting with the table's header again, so that one huge
    table never has to be parsed whole. HTML wrappers that would hide markdown
    from the parser (`<details>`, `<summary>`) become blank lines, and HTML
    headings become markdown ones.
    """
    max_lines = max_lines or CHUNK_LINES
    buf: list[str] = []
    start = 1  # the line number of buf[0]
    fence: str | None = None
    in_comment = False
    table_head: tuple[str, str] | None = None  # header and delimiter of the table being read
    width = 0  # its column count
    previous = ""
    numbered = False  # the line before is in the first paragraph of a numbered item
    for number, line in enumerate(lines, 1):
        if number == 1:
            line = line.removeprefix("\ufeff")
        if in_comment or fence is not None:
            if in_comment:
                in_comment = "-->" not in line
            elif (closing := _FENCE.match(line)) and closing.group(1) == fence:
                fence = None
            buf.append(line)
            continue
        # A table row (the bulk of a list) opens no fence, heading or HTML
        # wrapper, and is no blank line or list item: it skips those tests.
        row = line[:1] == "|"
        if row and table_head is not None and "<!--" not in line:
            # The usual row of a table being read, as `table_row` keeps it.
            text = line.rstrip()
            if not (text[-1:] == "|" and "\\" not in text and text.count("|") == width + 1):
                line = table_row(line, width)
            if len(buf) >= max_lines:
                yield start, "\n".join(buf) + "\n"
                buf, start = [*table_head], number - 2
            buf.append(line)
            previous = line
            continue
        if not row:
            fence_match = _FENCE.match(line)
            if fence_match:
                fence = fence_match.group(1)
                table_head = None
                buf.append(line)
                continue
            if line[:2] == "*\t" and numbered:
                # `15. **Title**.` then `*<TAB>*Authors*. [pdf](...)`: GitHub shows the line as
                # part of item 15, not as a new list; so does the importer.
                line = "  " + line[2:]
            elif not line.strip():
                # A line of spaces ends a paragraph, but mistune reads one of five or more
                # spaces as part of it, gluing two papers' paragraphs into one.
                line, numbered = "", False
            elif line[:1] in "-*+#":
                numbered = False
            elif line[:1].isdigit() or line[:1] == " ":
                numbered = numbered or _NUMBERED_ITEM_LINE.match(line) is not None
        if _opens_comment(line):
            in_comment = True  # an HTML comment: nothing in it is a heading
        if not row:
            heading = _HTML_HEADING.match(line)
            if heading:
                line = "#" * int(heading.group("level")) + " " + re.sub(r"<[^>]+>", "", heading.group("text"))
            elif _HTML_WRAPPER.match(line):
                line = ""
            if buf and _HEADING_LINE.match(line):
                yield start, "\n".join(buf) + "\n"
                buf, start, table_head = [line], number, None
                previous = line
                continue
        if table_head is not None:
            if "|" not in line or not line.strip() or _starts_block(line):
                table_head = None
            else:
                line = table_row(line, width)
                if len(buf) >= max_lines:
                    yield start, "\n".join(buf) + "\n"
                    buf, start = [*table_head], number - 2  # the header stands on the two lines before
        elif _starts_table(previous, line) and (found := _header_width(previous, line)) and buf:
            width = found
            buf[-1] = table_row(previous, width)
            line = table_row(line, width)
            table_head = (buf[-1], line)
        buf.append(line)
        previous = line
    yield start, "\n".join(buf) + "\n"


def table_spans(lines: list[str]) -> list[tuple[int, int, int]]:
    """Each table's header index and body rows' index range in a chunk's lines, tables in document order."""
    tables: list[tuple[int, int, int]] = []
    last = len(lines) - 1
    i = 0
    while i < last:
        if _starts_table(lines[i], lines[i + 1]):
            j = i + 2
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                j += 1
            tables.append((i, i + 2, j))
            i = j
        else:
            i += 1
    return tables


def list_item_lines(chunk: str, lines: list[str], first_line: int) -> list[int]:
    """Line numbers of the list items in a chunk, outside fenced code and HTML comments."""
    if "```" not in chunk and "~~~" not in chunk and "<!--" not in chunk:
        # Neither fences nor comments: every line counts (a table row never starts a list item).
        match = _LIST_ITEM_LINE.match
        return [first_line + i for i, line in enumerate(lines) if line[:1] != "|" and match(line)]
    found: list[int] = []
    fence: str | None = None
    in_comment = False
    for i, line in enumerate(lines):
        if in_comment:
            in_comment = "-->" not in line
            continue
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            fence = None if fence == marker else (fence or marker)
            continue
        if fence is None:
            if _opens_comment(line):
                in_comment = True
            elif _LIST_ITEM_LINE.match(line):
                found.append(first_line + i)
    return found
