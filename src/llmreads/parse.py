"""Parse layer: markdown text in, a Document and its problems out.

Pure: no files, no SQL, no printing. The document is cut into chunks at its
headings and each chunk is parsed with mistune's AST (table plugin), so memory
stays bounded by the largest section; `iter_document` yields the pieces as it
goes, for an import that streams. Table rows, the bulk of a long list, are
split and read here rather than by mistune wherever that gives the very same
result, which is several times faster (see `_parse_fast`).

Papers are read from tables whose header names a title column (in English or
Chinese, in any order) and from bullet or numbered lists whose items start
with a link or a bold title.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmreads.keys import arxiv_from_url, paper_key
from llmreads.models import Document, Entry, Link, Problem, Section
from llmreads.text import clean

if TYPE_CHECKING:
    from mistune import Markdown

Node = dict[str, Any]

STAR_GLYPHS = "✡⭐🌟★✪✯"
EMPTY_STAR = "☆✩"
_STAR = re.compile(f"[{STAR_GLYPHS}]")
_HEADING_LINE = re.compile(r"^ {0,3}(?:\d+[.)] +|[-*+] +)?#{1,6}(?: |$)|^\s*<h[1-6][\s>]", re.I)
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_HTML_HEADING = re.compile(r"^\s*<h(?P<level>[1-6])[^>]*>(?P<text>.*?)</h[1-6]>\s*$", re.I)
_HTML_WRAPPER = re.compile(
    r"^\s*(</?details[^>]*>|<summary>.*?</summary>|</?summary>|</?div[^>]*>|</?p[^>]*>)+\s*$", re.I
)
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_SECTION_NUMBER = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)*)(?P<sep>[.、)]?)\s*(?P<rest>.*)$", re.S)
# A bare URL ends at white space, brackets, CJK text (look-alike radicals
# included) or where a second URL is glued on.
_URL_STOP = r"\s<>\[\]()（）\u2e80-\u2fdf\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_BARE_URL = re.compile(rf"https?://[^{_URL_STOP}]+?(?=https?://|[{_URL_STOP}]|$)")
_HREF = re.compile(r"""<a\s[^>]*href\s*=\s*["']?(?P<url>[^"'\s>]+)""", re.I)
_YEAR = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)(?!\d)")
_UPDATED = re.compile(
    r"(?:更新时间|更新于|更新日期|最后更新|last updated?|updated)\s*(?:on|at)?\s*[:：]?\s*"
    r"(?P<y>\d{4})[/.\-年](?P<m>\d{1,2})[/.\-月](?P<d>\d{1,2})",
    re.IGNORECASE,
)
_CHECKBOX = re.compile(r"^\s*(\[[ xX]?\]|[✅❌✔✓✗✘☑☐⬜✖️]+)\s*$")
MAX_TITLE = 2_000  # characters; a longer "title" is a broken row, not a paper

# Column roles by header name (folded to lower case, markup and emoji removed).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "#", "no", "no.", "序号", "编号", "index"),
    "title": (
        "paper", "title", "论文", "name", "名称", "标题", "题目", "paper title", "论文名称", "文章", "paper name",
    ),
    "link": ("link", "url", "pdf", "链接", "地址", "paper link", "论文链接", "arxiv"),
    "stars": (
        "stars", "star", "rating", "推荐", "推荐指数", "推荐度", "重要程度", "重要性", "星级", "importance", "评分",
    ),
    "year": ("year", "date", "年份", "时间", "日期", "发表时间", "published", "发布时间"),
    "intro": (
        "introduction", "intro", "notes", "note", "简介", "说明", "介绍", "备注", "description",
        "summary", "摘要", "comment", "comments", "remarks", "tldr", "tl;dr", "内容", "点评",
    ),
}
# A header that merely contains one of these words still names the role.
_COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "title": ("paper", "title", "论文", "标题"),
    "intro": ("intro", "note", "简介", "说明", "介绍", "summary"),
    "stars": ("star", "rating", "推荐", "重要"),
    "link": ("link", "url", "链接"),
}


@dataclass(frozen=True)
class DocumentTitle:
    """Yielded once, before the first section or entry (or at the end when there is none)."""

    title: str


@dataclass(frozen=True)
class DocumentUpdated:
    """The update date the document states, as YYYY-MM-DD; yielded last."""

    date: str


Event = DocumentTitle | DocumentUpdated | Section | Entry | Problem


def parse(text: str) -> Document:
    """Parse a curated paper list. Never raises on any input string."""
    title = ""
    updated: str | None = None
    sections: list[Section] = []
    entries: list[Entry] = []
    problems: list[Problem] = []
    for event in iter_document(text):
        if isinstance(event, DocumentTitle):
            title = event.title
        elif isinstance(event, DocumentUpdated):
            updated = event.date
        elif isinstance(event, Section):
            sections.append(event)
        elif isinstance(event, Entry):
            entries.append(event)
        else:
            problems.append(event)
    return Document(title, updated, tuple(sections), tuple(entries), tuple(problems))


def iter_document(
    text: str | Iterable[str], on_chunk: Callable[[int], None] | None = None
) -> Iterator[Event]:
    """The document's title, sections, entries, problems and update date, in document order.

    `text` is the whole document or its lines (without line ends), read as
    they are needed; `on_chunk`, if given, is called with the first line
    number of each chunk parsed (for a progress bar).
    """
    import mistune

    markdown = mistune.create_markdown(renderer=None, plugins=["table"])
    state = _State()
    lines = _lines(text) if isinstance(text, str) else iter(text)
    for first_line, chunk in _chunks(lines):
        if on_chunk is not None:
            on_chunk(first_line)
        chunk_lines = chunk.split("\n")
        spans = _table_spans(chunk_lines)
        state.rows = [list(range(first_line + body, first_line + end)) for _, body, end in spans]
        state.items = _list_item_lines(chunk, chunk_lines, first_line)
        state.line = first_line
        state.runs = {}
        nodes: list[Node] | None = None
        if FAST_TABLES:
            nodes = _parse_fast(markdown, chunk, chunk_lines, spans, state)
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


def _lines(text: str) -> Iterator[str]:
    """A text's lines without their ends; \r\n and \r end lines as \n does (as in markdown)."""
    for line in io.StringIO(text, newline=None):
        yield line.rstrip("\n")


@dataclass
class _State:
    title: str | None = None
    title_sent: bool = False
    updated: str | None = None
    out: list[Event] = field(default_factory=list)
    # heading stack of (heading level, Section); children counts per parent number
    stack: list[tuple[int, Section]] = field(default_factory=list)
    children: dict[str, int] = field(default_factory=dict)
    numbers: set[str] = field(default_factory=set)
    rows: list[list[int]] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    line: int = 1
    # Table bodies read without mistune: placeholder text -> the rows' cells (see _parse_fast).
    runs: dict[str, list[list[str]]] = field(default_factory=dict)
    refs: bool = False  # the chunk defines link references, so `[label]` may be a link
    inline: Callable[[str], list[Node]] | None = None  # mistune's inline parser, for cells read the slow way

    def resolve_title(self) -> None:
        if not self.title_sent:
            self.title_sent = True
            self.out.append(DocumentTitle(self.title or ""))

    def emit(self, event: Event) -> None:
        self.resolve_title()  # the title always comes first, whatever follows it
        self.out.append(event)

    def drain(self) -> Iterator[Event]:
        out, self.out = self.out, []
        return iter(out)

    def section(self) -> Section | None:
        return self.stack[-1][1] if self.stack else None

    def implicit_section(self) -> Section:
        """Papers before any heading go into a section named after the document."""
        section = Section(number="1", title=self.title or "Papers", title_raw=self.title or "", line=self.line)
        self.children[""] = 1
        self.numbers.add("1")
        self.stack.append((99, section))  # any later heading closes it
        self.emit(section)
        return section


CHUNK_LINES = 2_000  # a longer section is cut inside its tables, so memory stays bounded


def _chunks(lines: Iterator[str], max_lines: int | None = None) -> Iterator[tuple[int, str]]:
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
    previous = ""
    for number, line in enumerate(lines, 1):
        if line[:1] == "|" and not in_comment and fence is None:
            # A table row (the bulk of a list): no heading, fence or HTML wrapper;
            # the same steps as below, with only the tests that can succeed.
            if "<!--" in line and "-->" not in line[line.index("<!--") :]:
                in_comment = True
            if table_head is not None:
                if len(buf) >= max_lines:
                    yield start, "\n".join(buf) + "\n"
                    buf, start = [*table_head], number - 2
            elif "|" in previous and "-" in line and _TABLE_DELIMITER.match(line):
                table_head = (previous, line)
            buf.append(line)
            previous = line
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")
        if in_comment or fence is not None:
            if in_comment:
                in_comment = "-->" not in line
            elif _FENCE.match(line) and _FENCE.match(line).group(1) == fence:  # type: ignore[union-attr]
                fence = None
            buf.append(line)
            continue
        fence_match = _FENCE.match(line)
        if fence_match:
            fence = fence_match.group(1)
            table_head = None
            buf.append(line)
            continue
        if "<!--" in line and "-->" not in line[line.index("<!--") :]:
            in_comment = True  # an HTML comment: nothing in it is a heading
        heading = _HTML_HEADING.match(line)
        if heading:
            line = "#" * int(heading.group("level")) + " " + re.sub(r"<[^>]+>", "", heading.group("text"))
        elif _HTML_WRAPPER.match(line):
            line = ""
        if buf and _HEADING_LINE.match(line):
            yield start, "\n".join(buf) + "\n"
            buf, start, table_head = [], number, None
        elif table_head is not None:
            if "|" not in line or not line.strip():
                table_head = None
            elif len(buf) >= max_lines:
                yield start, "\n".join(buf) + "\n"
                buf, start = [*table_head], number - 2  # the header stands on the two lines before
        elif "|" in previous and "-" in line and _TABLE_DELIMITER.match(line):
            table_head = (previous, line)
        buf.append(line)
        previous = line
    yield start, "\n".join(buf) + "\n"


def _table_spans(lines: list[str]) -> list[tuple[int, int, int]]:
    """Each table's header index and body rows' index range in a chunk's lines, tables in document order."""
    tables: list[tuple[int, int, int]] = []
    last = len(lines) - 1
    i = 0
    while i < last:
        if "|" in lines[i] and "-" in lines[i + 1] and _TABLE_DELIMITER.match(lines[i + 1]):
            j = i + 2
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                j += 1
            tables.append((i, i + 2, j))
            i = j
        else:
            i += 1
    return tables


_LIST_ITEM_LINE = re.compile(r"^\s*(?:>\s*)*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")


def _list_item_lines(chunk: str, lines: list[str], first_line: int) -> list[int]:
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
            if "<!--" in line and "-->" not in line[line.index("<!--") :]:
                in_comment = True
            elif _LIST_ITEM_LINE.match(line):
                found.append(first_line + i)
    return found


# ---------------------------------------------------------------- table rows without mistune
#
# Nearly all of a long list is table rows, and mistune spends most of its time
# splitting and inline-parsing them. So each table body is cut out of the chunk
# before mistune sees it, one placeholder row standing in its place: mistune
# still decides what is a table (inside a list, a fence or an HTML block a
# table is no table), and the rows are split here as its table plugin splits
# them. Each cell is then read by `_simple_cell` when its text is simple enough to
# know what mistune would make of it, and by mistune's inline parser otherwise.
# Whenever a placeholder does not come back as a row of a table body, the
# chunk is parsed again whole, the slow way. tests/test_parse_fast.py holds
# both ways to the same results.

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


def _parse_fast(
    markdown: Markdown, chunk: str, lines: list[str], spans: list[tuple[int, int, int]], state: _State
) -> list[Node] | None:
    """Parse a chunk with its table bodies cut out (see above); None when that cannot stand for the chunk."""
    if not spans or _PLACEHOLDER in chunk or "\r" in chunk:
        return None
    runs: dict[str, list[list[str]]] = {}
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
        rows: list[list[str]] = []
        for line in lines[body:end]:
            text = _pipe_row(line)
            if text is None:
                break  # mistune's table ends here
            cells = _split_cells(text)
            if len(cells) != width:
                rows = []  # mistune makes the whole table a paragraph
                break
            rows.append(cells)
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


def _walk(nodes: list[Node], state: _State, in_list: bool = False) -> None:
    for node in nodes:
        kind = node.get("type")
        if kind == "heading":
            _heading(node, state, in_list)
        elif kind == "table":
            lines = state.rows.pop(0) if state.rows else []
            _table(node, state, lines)
        elif kind == "paragraph":
            _updated(node, state)
        elif kind == "list":
            _list(node, state)
        elif kind == "block_quote":
            _walk(node.get("children", []), state)


def _updated(node: Node, state: _State) -> None:
    if state.updated is not None:
        return
    match = _UPDATED.search(_plain(node))
    if match:
        y, m, d = (int(match.group(g)) for g in "ymd")
        if 1 <= m <= 12 and 1 <= d <= 31:
            state.updated = f"{y:04d}-{m:02d}-{d:02d}"


def _heading(node: Node, state: _State, in_list: bool = False) -> None:
    level = int(node["attrs"]["level"])
    raw = _plain(node).strip()
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
        number = f"{parent_number}.{part}" if parent_number else str(part)
        while number in state.numbers:
            part += 1
            number = f"{parent_number}.{part}" if parent_number else str(part)
    state.children[parent_number] = int(number.rsplit(".", 1)[-1])
    state.numbers.add(number)
    section = Section(number=number, title=title or raw, title_raw=raw, line=state.line)
    state.emit(section)
    state.stack.append((level, section))


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


# ---------------------------------------------------------------- tables


def _column_roles(columns: list[str]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for role, names in _COLUMNS.items():
        for i, name in enumerate(columns):
            if name in names and i not in roles.values():
                roles.setdefault(role, i)
    for role, words in _COLUMN_WORDS.items():
        if role in roles:
            continue
        for i, name in enumerate(columns):
            if i not in roles.values() and any(word in name for word in words):
                roles[role] = i
                break
    return roles


def _header_name(cell: Node) -> str:
    text = _strip_emphasis(_plain(cell)).replace("\ufe0f", "").strip()
    if text and all(ch in STAR_GLYPHS for ch in text):
        return "stars"  # a column headed ⭐ holds the rating
    return re.sub(r"[^\w#;./ ]+", "", text.casefold()).strip()


# A table cell as the rows are read: the text a reader sees (`_plain`) and its links (`_links`).
_Cell = tuple[str, list[Link]]


@dataclass(frozen=True)
class _Columns:
    """A table of papers' column names and the index of each role's column (None: no such column)."""

    names: list[str]
    id: int | None
    title: int
    link: int | None
    stars: int | None
    year: int | None
    intro: int | None
    others: list[int]  # columns without a role, shown as extra fields


def _table(node: Node, state: _State, lines: list[int]) -> None:
    head = next((c for c in node["children"] if c["type"] == "table_head"), None)
    body = next((c for c in node["children"] if c["type"] == "table_body"), None)
    if head is None or body is None:
        return
    headers = [_header_name(cell) for cell in head["children"]]
    roles = _column_roles(headers)
    if "title" not in roles:
        return  # badges, licences, timelines: not a table of papers
    names = [clean(_strip_emphasis(_plain(cell))) or f"column {i + 1}" for i, cell in enumerate(head["children"])]
    known = set(roles.values())
    columns = _Columns(
        names=names,
        id=roles.get("id"),
        title=roles["title"],
        link=roles.get("link"),
        stars=roles.get("stars"),
        year=roles.get("year"),
        intro=roles.get("intro"),
        others=[i for i in range(len(names)) if i not in known],
    )
    index = 0
    for row in body["children"]:
        run = state.runs.get(_placeholder(row) or "") if state.runs else None
        if run is None:
            line = lines[index] if index < len(lines) else state.line
            _row([(_plain(c), _links(c)) for c in row["children"]], columns, line, state)
            index += 1
            continue
        refs = state.refs
        for texts in run:
            line = lines[index] if index < len(lines) else state.line
            _row([_simple_cell(text, refs) or _mistune_cell(text, state) for text in texts], columns, line, state)
            index += 1


def _row(cells: list[_Cell], columns: _Columns, line: int, state: _State) -> None:
    count = len(cells)

    def cell(i: int | None) -> _Cell | None:
        return cells[i] if i is not None and i < count else None

    # _strip_emphasis of each cell, inline for speed; each is stripped.
    texts = [(_EMPHASIS_MARKS.sub("", p) if "**" in p or "__" in p else p).strip() for p, _ in cells]
    if not any(texts) and not any(links for _, links in cells):
        return  # an empty row
    id_cell = cell(columns.id)
    id_text = id_cell[0].strip() if id_cell else ""
    title_cell = cell(columns.title)
    title_raw = texts[columns.title] if title_cell else ""
    title_links = title_cell[1] if title_cell else []
    if not title_raw and title_links:
        title_raw = title_links[0].text
    if not title_raw:
        state.emit(Problem(line, "row has no paper title"))
        return
    if len(title_raw) > MAX_TITLE:
        state.emit(Problem(line, f"title is {len(title_raw)} characters long; row skipped"))
        return
    urls = [link.url for link in title_links]
    link_cell = cell(columns.link)
    if link_cell:
        urls += [link.url for link in link_cell[1]]
    stars_cell = cell(columns.stars)
    stars = _rating(stars_cell[0]) if stars_cell else None
    if stars is None:
        stars = min(len(_STAR.findall(id_text)), 5) if id_text else 0
    year_cell = cell(columns.year)
    year_match = _YEAR.search(year_cell[0]) if year_cell else None
    intro_cell = cell(columns.intro)
    intro_raw = texts[columns.intro] if intro_cell and columns.intro is not None else ""
    extra = (
        tuple(
            (columns.names[i], _cell_value(cells[i], texts[i]))
            for i in columns.others
            if i < count and (texts[i] or cells[i][1])
        )
        if columns.others
        else ()
    )
    number_match = _ID_NUMBER.match(id_text)
    _emit_entry(
        state,
        title_raw=title_raw,
        urls=urls,
        intro_raw=intro_raw,
        links=tuple(intro_cell[1]) if intro_cell else (),
        stars=stars,
        number=int(number_match.group(1)) if number_match else None,
        year=year_match.group("year") if year_match else None,
        extra=extra,
        line=line,
    )


_ID_NUMBER = re.compile(r"\s*(\d+)")


def _cell_value(cell: _Cell, text: str) -> str:
    """An unknown column's value: its text, or its link when the text is only the link's label."""
    links = cell[1]
    if len(links) == 1 and clean(text) in ("", links[0].text):
        return links[0].url
    return clean(text)


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


def _mistune_cell(text: str, state: _State) -> _Cell:
    """A table cell's text and links, from mistune's inline parse of it."""
    assert state.inline is not None
    node = {"type": "table_cell", "children": state.inline(text)}
    return _plain(node), _links(node)


def _simple_cell(text: str, refs: bool = False) -> _Cell | None:
    """A cell's text and links as `_plain` and `_links` read mistune's parse of it, read without mistune.

    Only plain text, bare URLs, `[label](destination)` links and the
    simplest emphasis are read here; None for a cell with any other markup.
    `refs`: the document defines link references (then `[label]` alone may
    be a link).
    """
    syntax = _INLINE_SYNTAX.search(text)
    if syntax is None:
        return text, _bare_links(text, [])
    link = _ONE_LINK.fullmatch(text)
    if link is not None:  # the usual paper cell: `[title](url)` and nothing else
        label, url = link.groups()
        return label, [Link(text=_clean_label(label.strip()) or url, url=url)] if url else []
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
        _bare_links(run, links)
        _append_link(links, label, destination)
    plain.append(shown[-1])
    _bare_links(runs[-1], links)
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
    """A `[label](destination)` link as `_links` reads it (mistune escapes the destination)."""
    if _URL_AS_IS.fullmatch(destination):
        url = destination
    else:
        from mistune.util import escape_url

        url = escape_url(destination).strip()
    if url:
        links.append(Link(text=_clean_label(_strip_emphasis(label)) or url, url=url))


# A paper's link label is cleaned twice, as the link's text and as the title:
# a small cache saves the second time.
_clean_label = functools.lru_cache(maxsize=256)(clean)


def _bare_links(text: str, found: list[Link]) -> list[Link]:
    """`found` with the bare URLs in a text run added."""
    if "://" in text:
        for match in _BARE_URL.finditer(text):
            url = match.group(0).rstrip(".,;:!?")
            found.append(Link(text=url, url=url))
    return found


def _rating(text: str) -> int | None:
    """Stars from a rating cell: ★★★☆☆, ⭐⭐⭐, 4/5, 4, 🔥🔥🔥; None for checkboxes or other text."""
    text = text.replace("\ufe0f", "").strip()
    if not text or _CHECKBOX.match(text):
        return None
    filled = len(_STAR.findall(text))
    if filled or any(ch in EMPTY_STAR for ch in text):
        return min(filled, 5)
    fraction = re.fullmatch(r"(\d+(?:\.\d+)?)\s*/\s*(\d+)", text)
    if fraction:
        value, scale = float(fraction.group(1)), int(fraction.group(2))
        return max(0, min(5, round(value * 5 / scale))) if scale else None
    if re.fullmatch(r"\d(?:\.\d+)?", text):
        return max(0, min(5, round(float(text))))
    if len(set(text)) == 1 and not text[0].isalnum() and ord(text[0]) > 0x2000:
        return min(len(text), 5)  # a run of one emoji
    return None


def _emit_entry(
    state: _State,
    *,
    title_raw: str,
    urls: list[str],
    intro_raw: str,
    links: tuple[Link, ...],
    stars: int,
    number: int | None,
    year: str | None,
    extra: tuple[tuple[str, str], ...],
    line: int,
) -> None:
    section = state.stack[-1][1] if state.stack else state.implicit_section()
    urls = [u for u in urls if u and not u.startswith("#")]
    url = urls[0] if urls else ""
    arxiv = None
    for u in urls:
        arxiv = arxiv_from_url(u)
        if arxiv:
            url = u  # the first URL with an arXiv id
            break
    title = _clean_label(title_raw)
    key = f"arxiv:{arxiv}" if arxiv else paper_key(title, url)
    state.emit(
        Entry(
            section=section.number,
            number=number,
            stars=stars,
            title=title,
            title_raw=title_raw,
            url=url,
            intro=clean(intro_raw),
            intro_raw=intro_raw,
            links=links,
            line=line,
            key=key,
            arxiv=arxiv,
            year=year,
            extra=extra,
        )
    )


# ---------------------------------------------------------------- lists of papers


def _list(node: Node, state: _State) -> None:
    for item in node.get("children", []):
        # Items come in document order (nested ones after their parent), as do their lines.
        line = state.items.pop(0) if state.items else state.line
        children = item.get("children", [])
        if any(child.get("type") in ("heading", "table") for child in children):
            _walk(children, state, in_list=True)  # `1. # Title`: a list used for numbering headings
            continue
        text_nodes = [c for c in children if c.get("type") in ("block_text", "paragraph")]
        if text_nodes:
            _list_item(text_nodes, state, line)
        for child in children:
            if child.get("type") == "list":
                _list(child, state)


_PAPER_LINK_WORDS = ("paper", "pdf", "arxiv", "论文", "abs", "openreview")


def _list_item(blocks: list[Node], state: _State, line: int) -> None:
    inline = [n for block in blocks for n in block.get("children", [])]
    first = next((n for n in inline if not (n.get("type") == "text" and not str(n.get("raw", "")).strip())), None)
    if first is None:
        return
    links = [link for block in blocks for link in _links(block)]
    if first.get("type") == "link":
        title_raw = _strip_emphasis(_plain(first))
        url = str(first.get("attrs", {}).get("url", ""))
        if url.startswith("#") or not title_raw:
            return  # a table of contents
        rest_links = links[1:]
        urls = [url]
    elif first.get("type") == "strong":
        title_raw = _strip_emphasis(_plain(first))
        paper_links = [lk for lk in links if any(w in lk.text.casefold() for w in _PAPER_LINK_WORDS)]
        chosen = paper_links[0] if paper_links else (links[0] if links else None)
        if chosen is None:
            return  # bold text without any link is prose, not a paper
        urls = [chosen.url]
        rest_links = [lk for lk in links if lk is not chosen]
    else:
        return
    if not title_raw.strip() or len(title_raw) > MAX_TITLE:
        return
    whole = _strip_emphasis("".join(_plain(n) for n in inline))
    intro_raw = whole.replace(title_raw, "", 1).strip(" -–—:：|,，") if title_raw in whole else whole
    for link in links:  # `[[paper](url)]` leaves `[paper]` in the text
        intro_raw = intro_raw.replace(f"[{link.text}]", "")
    intro_raw = re.sub(r"\s{2,}", " ", intro_raw).strip()
    year_match = _YEAR.search(intro_raw)
    stars = min(len(_STAR.findall(whole)), 5)
    intro_raw = _STAR.sub("", intro_raw).strip()
    _emit_entry(
        state,
        title_raw=title_raw,
        urls=urls,
        intro_raw=intro_raw,
        links=tuple(rest_links),
        stars=stars,
        number=None,
        year=year_match.group("year") if year_match else None,
        extra=(),
        line=line,
    )


# ---------------------------------------------------------------- inline text


_EMPHASIS_MARKS = re.compile(r"\*{2,}|__+")


def _strip_emphasis(text: str) -> str:
    # Bold that the author opened in one inline span and closed in another
    # (`**Open** **AI**`, `ChatGPT****的`) survives mistune as literal stars.
    if "**" in text or "__" in text:
        text = _EMPHASIS_MARKS.sub("", text)
    return text.strip()


def _plain(node: Node | None) -> str:
    """The text a reader sees in a node: link texts included, markup dropped."""
    if node is None:
        return ""
    kind = node.get("type")
    if kind in ("text", "codespan") and "raw" in node:
        return str(node["raw"])
    if kind == "inline_html":
        return " " if re.match(r"<br\s*/?>", str(node.get("raw", "")), re.I) else ""
    if kind in ("softbreak", "linebreak"):
        return " "
    if kind == "image":
        return ""
    return "".join(_plain(child) for child in node.get("children", []))


def _links(node: Node | None) -> list[Link]:
    """Every link in a node, markdown links, `<a href>` and bare URLs, in reading order."""
    found: list[Link] = []
    if node is None:
        return found
    anchor: list[str] = []  # url of an open <a href>, then its text parts

    def visit(n: Node) -> None:
        kind = n.get("type")
        if kind == "link":
            url = str(n.get("attrs", {}).get("url", "")).strip()
            if url:
                found.append(Link(text=clean(_strip_emphasis(_plain(n))) or url, url=url))
            return
        if kind == "inline_html":
            raw = str(n.get("raw", ""))
            href = _HREF.match(raw)
            if href:
                anchor[:] = [href.group("url")]
            elif raw.lower().startswith("</a") and anchor:
                url, text = anchor[0], clean("".join(anchor[1:]))
                found.append(Link(text=text or url, url=url))
                anchor.clear()
            return
        if kind == "text":
            raw = str(n.get("raw", ""))
            if anchor:
                anchor.append(raw)
                return
            _bare_links(raw, found)
            return
        if kind == "image":
            return
        for child in n.get("children", []):
            visit(child)

    visit(node)
    return found
