"""Parse layer: markdown text in, a Document and its problems out.

Pure: no files, no SQL, no printing. The document is cut into chunks at its
headings and each chunk is parsed with mistune's AST (table plugin), so memory
stays bounded by the largest section rather than the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from llmreads.keys import arxiv_from_url, paper_key
from llmreads.models import Document, Entry, Link, Problem, Section
from llmreads.text import clean

Node = dict[str, Any]

STAR_GLYPHS = "✡⭐🌟★"
_STAR_RUN = re.compile(f"[{STAR_GLYPHS}]")
_HEADING_LINE = re.compile(r"^ {0,3}(?:\d+[.)] +|[-*+] +)?#{1,6}(?: |$)")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_SECTION_NUMBER = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)*)(?P<sep>[.、)]?)\s*(?P<rest>.*)$", re.S)
_BARE_URL = re.compile(r"https?://[^\s<>\[\]()（）\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
_UPDATED = re.compile(
    r"(?:更新时间|更新于|更新日期|last updated?|updated)\s*(?:on|at)?\s*[:：]?\s*"
    r"(?P<y>\d{4})[/.\-年](?P<m>\d{1,2})[/.\-月](?P<d>\d{1,2})",
    re.IGNORECASE,
)

# Header names of the columns this parser understands (lower-cased, folded).
_ID_COLUMNS = {"id", "#", "no", "no.", "序号", "编号"}
_TITLE_COLUMNS = {"paper", "title", "论文", "name", "paper title", "标题", "题目", "论文名称"}
_INTRO_COLUMNS = {"introduction", "intro", "notes", "note", "简介", "说明", "介绍", "备注", "description"}


@dataclass
class _State:
    title: str | None = None
    updated: str | None = None
    sections: list[Section] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # heading stack of (heading level, Section); children counts per parent number
    stack: list[tuple[int, Section]] = field(default_factory=list)
    children: dict[str, int] = field(default_factory=dict)
    seen_table: bool = False


def parse(text: str) -> Document:
    """Parse a curated paper list. Never raises on any input string."""
    import mistune

    markdown = mistune.create_markdown(renderer=None, plugins=["table"])
    state = _State()
    for first_line, chunk in _chunks(text):
        nodes = markdown(chunk)
        assert isinstance(nodes, list)
        rows = _table_row_lines(chunk, first_line)
        _walk(nodes, state, first_line, rows)
    return Document(
        title=state.title or "",
        updated=state.updated,
        sections=tuple(state.sections),
        entries=tuple(state.entries),
        problems=tuple(state.problems),
    )


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Cut the text before each heading line outside fenced code; yield (first line, text)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    start = 0
    fence: str | None = None
    for i, line in enumerate(lines):
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            fence = None if fence == marker else (fence or marker)
            continue
        if fence is None and i > start and _HEADING_LINE.match(line):
            yield start + 1, "\n".join(lines[start:i]) + "\n"
            start = i
    yield start + 1, "\n".join(lines[start:]) + "\n"


def _table_row_lines(chunk: str, first_line: int) -> list[list[int]]:
    """Line numbers of each table's body rows, tables in document order."""
    lines = chunk.split("\n")
    tables: list[list[int]] = []
    i = 0
    while i < len(lines) - 1:
        if "|" in lines[i] and _TABLE_DELIMITER.match(lines[i + 1]) and "-" in lines[i + 1]:
            body: list[int] = []
            j = i + 2
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                body.append(first_line + j)
                j += 1
            tables.append(body)
            i = j
        else:
            i += 1
    return tables


def _walk(nodes: list[Node], state: _State, first_line: int, rows: list[list[int]]) -> None:
    for node in nodes:
        kind = node.get("type")
        if kind == "heading":
            _heading(node, state, first_line)
        elif kind == "table":
            lines = rows.pop(0) if rows else []
            _table(node, state, lines, first_line)
        elif kind == "paragraph" and state.updated is None:
            match = _UPDATED.search(_plain(node))
            if match:
                y, m, d = (int(match.group(g)) for g in "ymd")
                state.updated = f"{y:04d}-{m:02d}-{d:02d}"
        elif kind in ("list", "list_item", "block_quote"):
            _walk(node.get("children", []), state, first_line, rows)


def _heading(node: Node, state: _State, line: int) -> None:
    level = int(node["attrs"]["level"])
    raw = _plain(node).strip()
    if state.title is None and level == 1 and not state.sections and not state.seen_table:
        state.title = clean(raw)
        return
    if not raw:
        return
    while state.stack and state.stack[-1][0] >= level:
        state.stack.pop()
    parent = state.stack[-1][1] if state.stack else None
    parent_number = parent.number if parent else ""
    number, title = _number_and_title(raw, parent_number)
    if number is None:
        number_part = state.children.get(parent_number, 0) + 1
        number = f"{parent_number}.{number_part}" if parent_number else str(number_part)
    else:
        number_part = int(number.rsplit(".", 1)[-1])
    state.children[parent_number] = number_part
    if any(s.number == number for s in state.sections):
        state.problems.append(Problem(line, f"section number {number} used twice"))
        number_part = state.children[parent_number] = max(
            int(s.number.rsplit(".", 1)[-1]) for s in state.sections if s.parent == (parent_number or None)
        ) + 1
        number = f"{parent_number}.{number_part}" if parent_number else str(number_part)
    section = Section(number=number, title=title or raw, title_raw=raw, line=line)
    state.sections.append(section)
    state.stack.append((level, section))


def _number_and_title(raw: str, parent_number: str) -> tuple[str | None, str]:
    """Split `2.2CoT` into ("2.2", "CoT"); keep numbers that do not fit the tree in the title."""
    title = clean(raw).rstrip(":： ").strip()
    match = _SECTION_NUMBER.match(title)
    if match:
        num, sep, rest = match.group("num"), match.group("sep"), match.group("rest").strip()
        parts = num.split(".")
        fits_child = parent_number and len(parts) >= 2 and ".".join(parts[:-1]) == parent_number
        spaced = raw[len(num) :][:1].isspace()
        fits_top = not parent_number and len(parts) == 1 and int(parts[0]) < 100 and bool(sep or spaced)
        if (fits_child or fits_top) and rest:
            return num, rest.rstrip(":： ").strip()
    return None, title


def _table(node: Node, state: _State, lines: list[int], first_line: int) -> None:
    state.seen_table = True
    head = next((c for c in node["children"] if c["type"] == "table_head"), None)
    body = next((c for c in node["children"] if c["type"] == "table_body"), None)
    if head is None or body is None:
        return
    columns = [_plain(cell).strip().strip("*").strip().casefold() for cell in head["children"]]
    id_col = _find(columns, _ID_COLUMNS)
    title_col = _find(columns, _TITLE_COLUMNS)
    intro_col = _find(columns, _INTRO_COLUMNS)
    if title_col is None:
        return  # not a table of papers
    section = state.stack[-1][1].number if state.stack else ""
    if not section:
        state.problems.append(Problem(lines[0] if lines else first_line, "table of papers before any section heading"))
        return
    for index, row in enumerate(body["children"]):
        line = lines[index] if index < len(lines) else first_line
        cells = row["children"]
        _row(cells, id_col, title_col, intro_col, section, line, state)


def _find(columns: list[str], names: set[str]) -> int | None:
    for i, name in enumerate(columns):
        if name in names:
            return i
    return None


def _row(
    cells: list[Node],
    id_col: int | None,
    title_col: int,
    intro_col: int | None,
    section: str,
    line: int,
    state: _State,
) -> None:
    def cell(i: int | None) -> Node | None:
        return cells[i] if i is not None and i < len(cells) else None

    id_text = _plain(cell(id_col)).strip() if cell(id_col) else ""
    title_cell = cell(title_col)
    intro_cell = cell(intro_col)
    title_raw = _strip_emphasis(_plain(title_cell)) if title_cell else ""
    intro_raw = _strip_emphasis(_plain(intro_cell)) if intro_cell else ""
    if not (id_text or title_raw or intro_raw):
        return  # an empty row
    if not title_raw:
        state.problems.append(Problem(line, "row has no paper title"))
        return
    links = _links(title_cell) if title_cell else []
    url = links[0].url if links else ""
    intro_links = tuple(_links(intro_cell)) if intro_cell else ()
    number_match = re.match(r"\s*(\d+)", id_text)
    stars = len(_STAR_RUN.findall(id_text))
    arxiv = arxiv_from_url(url)
    title = clean(title_raw)
    if not arxiv:  # a bare link in the title cell may still name the arXiv paper
        arxiv = next((a for a in (arxiv_from_url(link.url) for link in links) if a), None)
    key = f"arxiv:{arxiv}" if arxiv else paper_key(title, url)
    state.entries.append(
        Entry(
            section=section,
            number=int(number_match.group(1)) if number_match else None,
            stars=min(stars, 5),
            title=title,
            title_raw=title_raw,
            url=url,
            intro=clean(intro_raw),
            intro_raw=intro_raw,
            links=intro_links,
            line=line,
            key=key,
            arxiv=arxiv,
        )
    )


def _strip_emphasis(text: str) -> str:
    # Bold that the author opened in one inline span and closed in another
    # (`**Open** **AI**`, `ChatGPT****的`) survives mistune as literal stars.
    return re.sub(r"\*{2,}|__+", "", text).strip()


def _plain(node: Node | None) -> str:
    """The text a reader sees in a node: link texts included, markup dropped."""
    if node is None:
        return ""
    kind = node.get("type")
    if kind in ("text", "codespan", "inline_html") and "raw" in node:
        raw = str(node["raw"])
        if kind == "inline_html":
            return " " if re.match(r"<br\s*/?>", raw, re.I) else ""
        return raw
    if kind in ("softbreak", "linebreak"):
        return " "
    return "".join(_plain(child) for child in node.get("children", []))


def _links(node: Node) -> list[Link]:
    """Every link in a cell, markdown links and bare URLs, in reading order."""
    found: list[Link] = []

    def visit(n: Node) -> None:
        kind = n.get("type")
        if kind == "link":
            url = str(n.get("attrs", {}).get("url", "")).strip()
            if url:
                found.append(Link(text=clean(_strip_emphasis(_plain(n))) or url, url=url))
            return
        if kind == "text":
            for match in _BARE_URL.finditer(str(n.get("raw", ""))):
                url = match.group(0).rstrip(".,;:!?")
                found.append(Link(text=url, url=url))
            return
        for child in n.get("children", []):
            visit(child)

    visit(node)
    return found
