"""Parse layer: tables of papers, their columns, rows and cells.

Each column gets its role from its header (`_column_roles`, English or
Chinese, any order) and then from what its cells hold (`_roles_by_content`):
the title column is the one whose cells are titles linking to papers, a
column of `[pdf]` links gives the paper's URL, a column of star glyphs the
rating. `_row` reads a row into an entry, columns without a role kept as
extra fields and their code, model or post links as the entry's links. What
is not read says so: a table with no title column, or whose links go to
talks, code or posts and never to a paper, is a `SkippedTable`; a row whose
only links are code, models, data, videos or posts a `NonPaper`; a row with a
paper link or an arXiv id but no title an `UnreadItem`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from llmreads.keys import arxiv_from_url
from llmreads.models import Link, NonPaper, Problem, ReusedRows, SkippedTable, TableColumns, UnreadItem
from llmreads.parse.entries import is_label
from llmreads.parse.fastpath import body_rows
from llmreads.parse.inline import (
    EMPHASIS_MARKS,
    STAR_GLYPHS,
    Cell,
    Node,
    count_stars,
    find_year,
    has_star,
    plain_text,
    rating,
    strip_emphasis,
)
from llmreads.parse.links import LinkKind, cached_link_kind
from llmreads.parse.reuse import (
    BodyRows,
    pack_digests,
    row_bytes,
    row_digest,
    row_digests,
    table_context,
    table_key,
    unpack_digests,
)
from llmreads.parse.state import MAX_TITLE, State, emit_entry
from llmreads.text import clean

# Column roles by header name (folded to lower case, markup and emoji removed).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "#", "no", "no.", "序号", "编号", "index"),
    "title": (
        "paper", "title", "论文", "name", "名称", "标题", "题目", "paper title", "论文名称", "文章", "paper name",
        "名字", "work", "works", "model", "models", "模型", "方法", "method",
    ),
    "link": ("link", "url", "pdf", "链接", "地址", "paper link", "论文链接", "arxiv"),
    "stars": (
        "stars", "star", "rating", "推荐", "推荐指数", "推荐度", "重要程度", "重要性", "星级", "importance", "评分",
        "recom", "recommend", "recommended", "recommendation",
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
    names = [clean(strip_emphasis(plain_text(cell))) or f"column {i + 1}" for i, cell in enumerate(head["children"])]
    if state.reuse is not None:  # an import: see parse.reuse
        _read_rows_again(BodyRows(body["children"], state), headers, names, head, state, lines)
        return
    rows = list(body_rows(body["children"], state))
    columns = _table_columns(rows, headers, names, head, state, lines)
    if columns is not None:
        for index, cells in enumerate(rows):
            _row(cells, columns, lines[index] if index < len(lines) else state.line, state)


def _table_columns(
    rows: Sequence[list[Cell]], headers: list[str], names: list[str], head: Node, state: State, lines: list[int],
    roles: dict[str, int] | None = None,
) -> _Columns | None:
    """The columns of a table of papers, None (and a SkippedTable) for another table. `roles`: when known."""
    if roles is None:
        roles = _column_roles(headers)
        _roles_by_content(roles, rows, len(names))
    if "title" not in roles or not _holds_papers(rows):
        # badges, licences, timelines, talks and videos: not a table of papers
        header_line = lines[0] - 2 if lines else state.line
        state.emit(SkippedTable(header_line, tuple(clean(plain_text(cell)) for cell in head["children"])))
        return None
    known = set(roles.values())
    return _Columns(
        names=names,
        id=roles.get("id"),
        title=roles["title"],
        link=roles.get("link"),
        stars=roles.get("stars"),
        year=roles.get("year"),
        intro=roles.get("intro"),
        others=[i for i in range(len(names)) if i not in known],
    )


def _read_rows_again(
    rows: BodyRows, headers: list[str], names: list[str], head: Node, state: State, lines: list[int]
) -> None:
    """A table read for an import: each row gets a digest, and a row the database holds is not read again.

    The columns' roles, which the table's header and first rows decide, are
    worked out from the counts the import held for the table (KnownRows.tables)
    and the first rows that changed since, when those decide them (`_roles_within`);
    otherwise from every first row. The counts go to the next import (TableColumns).
    """
    assert state.reuse is not None
    width = len(names)
    sample = rows.texts[:_SAMPLE_ROWS]
    key = None
    hashes: list[int] = []  # the first rows' row_digest, which their sources share
    if not state.refs and all(text is not None for text in sample):
        key = table_key(state, headers, names)
        hashes = row_digests([text or "" for text in sample])
    held = state.reuse.tables.get(key) if key is not None else None
    roles = None
    if held is not None:
        counts, stored = held
        before = json.loads(counts)
        remaining = Counter(unpack_digests(stored))
        added = []
        for index, digest in enumerate(hashes):
            if remaining[digest] > 0:
                remaining[digest] -= 1
            else:
                added.append(index)
        gone = sum(remaining.values())
        more = _votes([rows[i] for i in added], width)[:3]
        if all(len(counts) == width for counts in [*before["low"], *before["high"]]):
            low = [[max(0, a + b - gone) for a, b in zip(was, new, strict=True)]
                   for was, new in zip(before["low"], more, strict=True)]
            high = [[min(len(sample), a + b) for a, b in zip(was, new, strict=True)]
                    for was, new in zip(before["high"], more, strict=True)]
            roles = _roles_within(_column_roles(headers), (low[0], high[0]), (low[1], high[1]), (low[2], high[2]),
                                  len(rows), width)
    if roles is None:
        votes = _votes(rows[:_SAMPLE_ROWS], width)
        low = high = list(votes[:3])
        roles = _column_roles(headers)
        _roles_by_content(roles, rows, width, votes)
    found = _table_columns(rows, headers, names, head, state, lines, roles)
    if found is None:
        return
    columns = found
    if key is not None:
        state.emit(TableColumns(key, json.dumps({"low": low, "high": high}), pack_digests(hashes)))
    context = None if state.refs else table_context(state, columns)
    known = state.reuse.rows
    texts = rows.texts
    digests = None  # every row's digest, made at once (the sample's among them), when the fast path cut out every row
    if context is not None and None not in texts:
        digests = [*hashes, *row_digests(cast("list[str]", texts)[len(hashes):])]
    numbered = len(lines)
    section = None  # the number of the section of the rows found again: the table's, looked up once
    run: ReusedRows | None = None  # the rows found again since the last row read
    for index, text in enumerate(texts):
        line = lines[index] if index < numbered else state.line
        if context is not None and text is not None:
            source = (digests[index] if digests is not None else row_digest(row_bytes(text))) ^ context
            if source in known:
                if run is None:
                    if section is None:
                        section = (state.section() or state.implicit_section()).number
                    run = ReusedRows(section, [], [])
                    state.emit(run)
                run.lines.append(line)
                run.sources.append(source)
                continue
            state.source = source
        run = None
        _row(rows.cells(index), columns, line, state)
        state.source = None


_link_kind = cached_link_kind
_NOT_PAPERS = frozenset((LinkKind.code, LinkKind.model, LinkKind.data, LinkKind.video, LinkKind.post, LinkKind.anchor))


def is_paper_link(link: Link) -> bool:
    return _link_kind(link.url, link.text) is LinkKind.paper


def _only_non_paper_links(links: list[Link]) -> bool:
    """Every link is code, a model, data, a video, a post or an anchor, and not every one an anchor."""
    anchors_only = True
    for link in links:  # the first paper link settles it: usually the title's, the first one
        kind = _link_kind(link.url, link.text)
        if kind not in _NOT_PAPERS:
            return False
        anchors_only = anchors_only and kind is LinkKind.anchor
    return not (links and anchors_only)


def _is_title_link(link: Link) -> bool:
    """A link whose label is a paper's title (or name), not a label such as `[pdf]`, `Paper` or `[report]`.

    A label written in brackets inside the link (`[[zenodo]](...)`) is a label whatever its word.
    """
    return is_paper_link(link) and _names_paper(link)


def _names_paper(link: Link) -> bool:
    """`_is_title_link` once the link is known to be a paper's: its label is a title, not a label."""
    text = link.text.strip()
    return (
        text != link.url and not _LABEL.match(text) and not is_label(text)
        and not (text.startswith("[") and text.endswith("]") and "]" not in text[1:-1])
    )


_LABEL = re.compile(
    r"^\W*(paper|pdf|arxiv|link|论文|文章|doi|html|abs|download|下载|链接|report|tech(?:nical)? report|docs?)?\W*$",
    re.I,
)
# Text that names a paper without a link: an arXiv id or a DOI.
_PAPER_TEXT = re.compile(r"arxiv[:\s]*\d{4}\.\d{4,5}|\b10\.\d{4,9}/[^\s|]+", re.I)


def _roles_by_content(
    roles: dict[str, int], rows: Sequence[list[Cell]], width: int,
    votes: tuple[list[int], list[int], list[int], list[int]] | None = None,
) -> None:
    """Complete the header's column roles from what the cells hold.

    The title column is the one whose cells are titles linking to papers,
    whatever its header says (a `Name` column of nicknames loses to a `Paper`
    column of linked titles); without such a column, the header's title column
    stays, or, with no header word for it, the column of the longest texts
    beside a column of paper links. A column of paper links (`[pdf](...)`)
    becomes the link column, a column of star glyphs the stars. `votes`: _votes of the first rows, when known.
    """
    titles, papers, stars, lengths = votes or _votes(rows[:_SAMPLE_ROWS], width)
    best = max(range(width), key=lambda i: (titles[i], i == roles.get("title")), default=None)
    # A column its header names for titles gives way only to a column of linked titles, not to a
    # stray `[Project](arxiv)` in a column of labels.
    needed = (titles[roles["title"]], min(len(rows), _SAMPLE_ROWS) // 2) if "title" in roles else (0,)
    if best is not None and titles[best] > max(needed):
        _assign(roles, "title", best)
    if "link" not in roles:
        candidates = [i for i in range(width) if papers[i] and i not in roles.values()]
        if candidates:
            roles["link"] = max(candidates, key=lambda i: papers[i])
    if "title" not in roles and "link" in roles:
        free = [i for i in range(width) if i not in roles.values() and lengths[i] and not stars[i]]
        if free:
            roles["title"] = max(free, key=lambda i: lengths[i])
    if "stars" not in roles:
        glyphs = [i for i in range(width) if stars[i] and i not in roles.values()]
        if glyphs:
            roles["stars"] = max(glyphs, key=lambda i: stars[i])


_SAMPLE_ROWS = 200  # a table's columns keep their roles: its first rows say which is which


def _votes(rows: Sequence[list[Cell]], width: int) -> tuple[list[int], list[int], list[int], list[int]]:
    """Per column, how many of these rows' cells link a title first, link a paper, give stars; and the
    length of their texts: what _roles_by_content weighs."""
    titles = [0] * width
    papers = [0] * width
    stars = [0] * width
    lengths = [0] * width
    paper = LinkKind.paper
    for cells in rows:
        for i, (text, links) in enumerate(cells if len(cells) <= width else cells[:width]):
            if links:
                first = links[0]
                if _link_kind(first.url, first.text) is paper:
                    papers[i] += 1
                    if _names_paper(first):
                        titles[i] += 1
                elif any(_link_kind(link.url, link.text) is paper for link in links[1:]):  # the first is none
                    papers[i] += 1
            if text:
                lengths[i] += len(text)
                # rating(text) of a text holding a star glyph is its count of them, at least one: no need to read it
                if has_star(text):
                    stars[i] += 1
    return titles, papers, stars, lengths


Bounds = tuple[list[int], list[int]]  # per column, the least and the most a count may be


def _roles_within(roles: dict[str, int], titles: Bounds, papers: Bounds, stars: Bounds, count: int,
                  width: int) -> dict[str, int] | None:
    """The roles _roles_by_content gives for every count within the bounds, or None when the bounds do not
    decide them (then the rows must be weighed again). `count`: the table's rows.

    A re-import knows the counts of the first rows as they were, and which of those
    rows changed: each changed row moves a count by at most one (parse.reuse).
    """
    roles = dict(roles)
    header_title = roles.get("title")

    def first_max(candidates: Sequence[int], bounds: Bounds, key_bonus: int | None = None) -> int | None:
        low, high = bounds
        for b in candidates:  # max() keeps the first of equal keys
            if all((low[b], b == key_bonus) > (high[j], j == key_bonus)
                   or ((low[b], b == key_bonus) == (high[j], j == key_bonus) and b < j)
                   for j in candidates if j != b):
                return b
        return None

    if width == 0:
        return None
    best = first_max(range(width), titles, header_title)
    if best is None:
        return None
    low, high = titles
    half = min(count, _SAMPLE_ROWS) // 2
    if header_title is not None:
        if best == header_title or high[best] <= max(low[header_title], half):
            assign = False
        elif low[best] > max(high[header_title], half):
            assign = True
        else:
            return None
    elif low[best] > 0 or high[best] == 0:
        assign = low[best] > 0
    else:
        return None
    if assign:
        _assign(roles, "title", best)
    for role, bounds in (("link", papers), ("stars", stars)):
        if role == "stars" and "title" not in roles and "link" in roles:
            return None  # the title column would be the longest texts': lengths are not bounded
        if role in roles:
            continue
        free = [i for i in range(width) if i not in roles.values()]
        if any(bounds[0][i] == 0 < bounds[1][i] for i in free):
            return None
        candidates = [i for i in free if bounds[0][i] > 0]
        if candidates:
            pick = first_max(candidates, bounds)
            if pick is None:
                return None
            roles[role] = pick
    return roles


def _assign(roles: dict[str, int], role: str, column: int) -> None:
    """Give `column` the role, taking it from the role it had (that role then has no column)."""
    for other, index in list(roles.items()):
        if index == column:
            del roles[other]
    roles[role] = column


def _holds_papers(rows: Sequence[list[Cell]]) -> bool:
    """Whether a table may hold papers: some link is a paper's, or some text an arXiv id or DOI.

    A table without either is still read as papers when its links are mostly
    pages of unknown kind (a reading list linking to its own site) or when it
    has no links at all (a list of titles); one whose links go mostly to
    videos, code, models or posts is a table of talks or resources.
    """
    known = unknown = 0
    for cells in rows:
        for text, links in cells:
            for link in links:
                kind = _link_kind(link.url, link.text)
                if kind is LinkKind.paper:
                    return True
                if kind is LinkKind.other or kind is LinkKind.anchor:
                    unknown += 1  # a page no rule knows, or one of the list's own
                else:
                    known += 1
            if ("10." in text or "rxiv" in text) and _PAPER_TEXT.search(text):
                return True
    return known <= unknown


def _cell(cells: list[Cell], index: int | None) -> Cell | None:
    """A row's cell in a column of a role, None when the table has no such column or the row is short."""
    return cells[index] if index is not None and index < len(cells) else None


def _row(cells: list[Cell], columns: _Columns, line: int, state: State) -> None:
    count = len(cells)
    # strip_emphasis of each cell, inline for speed; each is stripped.
    texts = [(EMPHASIS_MARKS.sub("", p) if "**" in p or "__" in p else p).strip() for p, _ in cells]
    all_links = [link for _, links in cells for link in links]
    if not all_links and not any(texts):
        return  # an empty row
    id_cell = _cell(cells, columns.id)
    id_text = id_cell[0].strip() if id_cell else ""
    if columns.title < count:
        title_raw, title_links = texts[columns.title], cells[columns.title][1]
    else:
        title_raw, title_links = "", []
    link_cell = _cell(cells, columns.link)
    link_links = link_cell[1] if link_cell else []
    intro_cell = _cell(cells, columns.intro)
    intro_raw = texts[columns.intro] if intro_cell and columns.intro is not None else ""
    if not title_raw and title_links:
        title_raw = title_links[0].text
    if not title_raw:
        named = next((link for link in link_links if _is_title_link(link)), None)
        title_raw = named.text if named else ""
    if not title_raw:
        if any(is_paper_link(link) for link in all_links) or _PAPER_TEXT.search(" ".join(texts)):
            state.emit(UnreadItem(line, _row_text(texts)))
        else:
            state.emit(Problem(line, "row has no paper title"))
        return
    if (
        all_links
        and _only_non_paper_links(all_links)
        and not _titled_post(title_links)
        and not _PAPER_TEXT.search(" ".join(texts))
    ):
        state.emit(NonPaper(line, clean(title_raw), all_links[0].url))
        return
    if len(title_raw) > MAX_TITLE or (")" in title_raw and _NUMBERED_SUMMARY.match(title_raw)):
        title_raw, summary = _split_summary(title_raw, title_links)
        if summary:
            intro_raw = f"{summary}\n{intro_raw}" if intro_raw else summary
    if len(title_raw) > MAX_TITLE:
        state.emit(Problem(line, f"title is {len(title_raw)} characters long; row skipped"))
        return
    urls = [link.url for link in title_links]
    if link_links:
        if title_links and not any(is_paper_link(link) for link in title_links):
            urls = []  # the title's link is not the paper's: the link column's paper link comes first
        urls += [link.url for link in link_links if is_paper_link(link)]
        urls += [link.url for link in title_links if link.url not in urls]
        urls += [link.url for link in link_links if link.url not in urls]
    stars_cell = _cell(cells, columns.stars)
    stars = rating(stars_cell[0]) if stars_cell else None
    if stars is None:
        stars = count_stars(id_text) if id_text else 0
    year_cell = _cell(cells, columns.year)
    extra = (
        tuple(
            (columns.names[i], _cell_value(cells[i], texts[i]))
            for i in columns.others
            if i < count and (texts[i] or cells[i][1])
        )
        if columns.others
        else ()
    )
    links = tuple(intro_cell[1]) if intro_cell else ()
    if columns.others or link_links:
        url = next((u for u in urls if arxiv_from_url(u)), None) or next((u for u in urls if u[:1] != "#"), "")
        # Code, models, data and posts linked beside the paper stay with it as links.
        links += tuple(
            link
            for i in (columns.link, *columns.others)
            if i is not None and i < count
            for link in cells[i][1]
            if not is_paper_link(link) and link.url != url
        )
    number_match = _ID_NUMBER.match(id_text)
    emit_entry(
        state,
        title_raw=title_raw,
        urls=urls,
        intro_raw=intro_raw,
        links=links,
        stars=stars,
        number=int(number_match.group(1)) if number_match else None,
        year=find_year(year_cell[0]) if year_cell else None,
        extra=extra,
        line=line,
    )


def _titled_post(links: list[Link]) -> bool:
    """A title cell linking a post under its own title: a reading list's blog post, kept as it always was."""
    return any(_link_kind(link.url, link.text) is LinkKind.post and len(link.text.split()) >= 4 for link in links)


def _row_text(texts: list[str]) -> str:
    text = clean(" | ".join(t for t in texts if t))
    return text if len(text) <= 200 else text[:199] + "…"


# `3) Title - what it does` or `3) Title  what it does`: a numbered title cell that holds the summary too.
# The dash may lose a space (`**Title**- what`, `**Title** -what`: bold markers were spaced so).
_DASH_BREAK = r" - |(?<=\S)- (?=[a-z])| -(?=[a-z])"
_NUMBERED_SUMMARY = re.compile(rf"^\s*\d{{1,4}}\)\s+\S.*?(?:{_DASH_BREAK}| {{2,}})\S")
_ITEM_NUMBER = re.compile(r"^\s*\d{1,4}\)\s+")
_SUMMARY_BREAK = re.compile(rf"{_DASH_BREAK}| {{2,}}|(?<=[a-z\u4e00-\u9fff)])[.。!?](?:\s|$)")


def _split_summary(text: str, links: list[Link]) -> tuple[str, str]:
    """A title cell that holds a summary as well: (the title, the rest).

    The title is the cell's first title link if it starts the cell, else the
    text before the first ` - `, double space or end of sentence.
    """
    text = _ITEM_NUMBER.sub("", text, count=1)
    for link in links:
        if _is_title_link(link) and text.startswith(link.text):
            return link.text, text[len(link.text) :].strip(" -:.")
    cut = _SUMMARY_BREAK.search(text)
    if cut is None:
        return text, ""
    return text[: cut.start()].strip(), text[cut.end() :].strip()


_ID_NUMBER = re.compile(r"\s*(\d+)")


def _cell_value(cell: Cell, text: str) -> str:
    """An unknown column's value: its text, or its link when the text is only the link's label."""
    links = cell[1]
    if len(links) == 1 and clean(text) in ("", links[0].text):
        return links[0].url
    return clean(text)
