"""Parse layer: markdown text in, a Document and its problems out.

Pure: no files, no SQL, no printing. The document is cut into chunks at its
headings and each chunk is parsed with mistune's AST (table plugin), so memory
stays bounded by the largest section; `iter_document` yields the pieces as it
goes, for an import that streams.

Papers are read from tables whose header names a title column (in English or
Chinese, in any order) and from bullet or numbered lists whose items start
with a link or a bold title.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from llmreads.keys import arxiv_from_url, paper_key
from llmreads.models import Document, Entry, Link, Problem, Section
from llmreads.text import clean

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
        nodes = markdown(chunk)
        assert isinstance(nodes, list)
        state.rows = _table_row_lines(chunk, first_line)
        state.items = _list_item_lines(chunk, first_line)
        state.line = first_line
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


def _table_row_lines(chunk: str, first_line: int) -> list[list[int]]:
    """Line numbers of each table's body rows, tables in document order."""
    lines = chunk.split("\n")
    tables: list[list[int]] = []
    i = 0
    while i < len(lines) - 1:
        if "|" in lines[i] and "-" in lines[i + 1] and _TABLE_DELIMITER.match(lines[i + 1]):
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


_LIST_ITEM_LINE = re.compile(r"^\s*(?:>\s*)*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")


def _list_item_lines(chunk: str, first_line: int) -> list[int]:
    """Line numbers of the list items in a chunk, outside fenced code and HTML comments."""
    found: list[int] = []
    fence: str | None = None
    in_comment = False
    for i, line in enumerate(chunk.split("\n")):
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
    for index, row in enumerate(body["children"]):
        line = lines[index] if index < len(lines) else state.line
        _row(row["children"], names, roles, line, state)


def _row(cells: list[Node], headers: list[str], roles: dict[str, int], line: int, state: _State) -> None:
    def cell(role: str) -> Node | None:
        i = roles.get(role)
        return cells[i] if i is not None and i < len(cells) else None

    texts = [_strip_emphasis(_plain(c)) for c in cells]
    if not any(t.strip() for t in texts) and not any(_links(c) for c in cells):
        return  # an empty row
    id_text = _plain(cell("id")).strip() if cell("id") else ""
    title_cell = cell("title")
    title_raw = _strip_emphasis(_plain(title_cell)) if title_cell else ""
    title_links = _links(title_cell) if title_cell else []
    if not title_raw and title_links:
        title_raw = title_links[0].text
    if not title_raw:
        state.emit(Problem(line, "row has no paper title"))
        return
    if len(title_raw) > MAX_TITLE:
        state.emit(Problem(line, f"title is {len(title_raw)} characters long; row skipped"))
        return
    link_cell = cell("link")
    link_links = _links(link_cell) if link_cell else []
    urls = [link.url for link in title_links + link_links]
    stars_cell = cell("stars")
    stars = _rating(_plain(stars_cell)) if stars_cell else None
    if stars is None:
        stars = min(len(_STAR.findall(id_text)), 5)
    year_cell = cell("year")
    year_match = _YEAR.search(_plain(year_cell)) if year_cell else None
    intro_cell = cell("intro")
    intro_raw = _strip_emphasis(_plain(intro_cell)) if intro_cell else ""
    known = set(roles.values())
    extra = tuple(
        (headers[i], _cell_value(cells[i], texts[i]))
        for i in range(min(len(cells), len(headers)))
        if i not in known and (texts[i].strip() or _links(cells[i]))
    )
    number_match = re.match(r"\s*(\d+)", id_text)
    _emit_entry(
        state,
        title_raw=title_raw,
        urls=urls,
        intro_raw=intro_raw,
        links=tuple(_links(intro_cell)) if intro_cell else (),
        stars=stars,
        number=int(number_match.group(1)) if number_match else None,
        year=year_match.group("year") if year_match else None,
        extra=extra,
        line=line,
    )


def _cell_value(cell: Node, text: str) -> str:
    """An unknown column's value: its text, or its link when the text is only the link's label."""
    links = _links(cell)
    if len(links) == 1 and clean(text) in ("", links[0].text):
        return links[0].url
    return clean(text)


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
    section = state.section() or state.implicit_section()
    urls = [u for u in urls if u and not u.startswith("#")]
    url = urls[0] if urls else ""
    arxiv = next((a for a in (arxiv_from_url(u) for u in urls) if a), None)
    if arxiv and not arxiv_from_url(url):
        url = next(u for u in urls if arxiv_from_url(u))
    title = clean(title_raw)
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


def _strip_emphasis(text: str) -> str:
    # Bold that the author opened in one inline span and closed in another
    # (`**Open** **AI**`, `ChatGPT****的`) survives mistune as literal stars.
    return re.sub(r"\*{2,}|__+", "", text).strip()


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
            for match in _BARE_URL.finditer(raw):
                url = match.group(0).rstrip(".,;:!?")
                found.append(Link(text=url, url=url))
            return
        if kind == "image":
            return
        for child in n.get("children", []):
            visit(child)

    visit(node)
    return found
