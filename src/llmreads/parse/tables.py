"""Parse layer: tables of papers, their columns, rows and cells.

A table is a list of papers when its header names a title column (in English
or Chinese, in any order): `_column_roles` gives each column its role from its
header (`_header_name`), and `_row` reads a row into an entry, columns without
a role kept as extra fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llmreads.models import Problem
from llmreads.parse.fastpath import body_rows
from llmreads.parse.inline import (
    EMPHASIS_MARKS,
    STAR_GLYPHS,
    Cell,
    Node,
    count_stars,
    find_year,
    plain_text,
    rating,
    strip_emphasis,
)
from llmreads.parse.state import MAX_TITLE, State, emit_entry
from llmreads.text import clean

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
    text = strip_emphasis(plain_text(cell)).replace("\ufe0f", "").strip()
    if text and all(ch in STAR_GLYPHS for ch in text):
        return "stars"  # a column headed ⭐ holds the rating
    return re.sub(r"[^\w#;./ ]+", "", text.casefold()).strip()


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


def read_table(node: Node, state: State, lines: list[int]) -> None:
    head = next((c for c in node["children"] if c["type"] == "table_head"), None)
    body = next((c for c in node["children"] if c["type"] == "table_body"), None)
    if head is None or body is None:
        return
    headers = [_header_name(cell) for cell in head["children"]]
    roles = _column_roles(headers)
    if "title" not in roles:
        return  # badges, licences, timelines: not a table of papers
    names = [clean(strip_emphasis(plain_text(cell))) or f"column {i + 1}" for i, cell in enumerate(head["children"])]
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
    for index, cells in enumerate(body_rows(body["children"], state)):
        _row(cells, columns, lines[index] if index < len(lines) else state.line, state)


def _row(cells: list[Cell], columns: _Columns, line: int, state: State) -> None:
    count = len(cells)

    def cell(i: int | None) -> Cell | None:
        return cells[i] if i is not None and i < count else None

    # strip_emphasis of each cell, inline for speed; each is stripped.
    texts = [(EMPHASIS_MARKS.sub("", p) if "**" in p or "__" in p else p).strip() for p, _ in cells]
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
    stars = rating(stars_cell[0]) if stars_cell else None
    if stars is None:
        stars = count_stars(id_text) if id_text else 0
    year_cell = cell(columns.year)
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
    emit_entry(
        state,
        title_raw=title_raw,
        urls=urls,
        intro_raw=intro_raw,
        links=tuple(intro_cell[1]) if intro_cell else (),
        stars=stars,
        number=int(number_match.group(1)) if number_match else None,
        year=find_year(year_cell[0]) if year_cell else None,
        extra=extra,
        line=line,
    )


_ID_NUMBER = re.compile(r"\s*(\d+)")


def _cell_value(cell: Cell, text: str) -> str:
    """An unknown column's value: its text, or its link when the text is only the link's label."""
    links = cell[1]
    if len(links) == 1 and clean(text) in ("", links[0].text):
        return links[0].url
    return clean(text)
