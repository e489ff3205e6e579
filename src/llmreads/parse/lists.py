"""Parse layer: papers in bullet and numbered lists, and in paragraphs that name one.

A list item is a paper when it starts with a link to it (`[Title](arxiv)`),
with a bold title (`**Title**`, perhaps after a nickname or a mark:
`FLAN: **Title**`, `<u>T5</u>: **"Title"**`, `🌟 **Title**`), or when it
links a paper after some text (`Title https://arxiv.org/abs/...`,
`DPO: [paper](...)`, a bare URL, `arXiv:2305.14314`). An item whose links
all go to code, models, data, videos or posts is a `NonPaper`; an item that
holds a paper but could not be read is an `UnreadItem`. A paragraph outside a
list is read the same way, but only when it starts with a bold title or a
paper link, since paragraphs are mostly prose.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from llmreads.keys import arxiv_from_url
from llmreads.models import Entry, Link, NonPaper, ReaderMarks, UnreadItem
from llmreads.parse.entries import (
    MAX_PREFIX,
    choose_paper_link,
    id_links,
    is_label,
    is_non_paper,
    is_paper,
    paper_evidence,
    resource_section,
)
from llmreads.parse.inline import (
    STAR,
    Node,
    bare_links,
    count_stars,
    find_year,
    node_links,
    plain_text,
    strip_emphasis,
)
from llmreads.parse.state import MAX_TITLE, State, emit_entry
from llmreads.text import clean

_PREFIX_TAIL = " \t:：-–—|,，(（[【"
MAX_NAMED = 60  # characters before the first link of an item that names a resource: `Stork: [Source](...)`


def read_list_item(blocks: list[Node], state: State, line: int, nested: bool = False) -> None:
    """A list item; a `nested` one (`  - Code: [Official](github)` under a paper) is never named a non-paper."""
    inline = [n for block in blocks for n in block.get("children", [])]
    links = [link for block in blocks for link in node_links(block)]
    read_inline(inline, links, state, line, paragraph=False, nested=nested)


def read_export_item(blocks: list[Node], state: State, line: int) -> None:
    """An item of llmreads' own Markdown export (export.md_paper_line), read by its layout.

    Its first line is `[Title](url)`, the entry's other links, its year, its
    stars and the reader's mark (✅, `(reading)`); the lines under it are the
    introduction, as written; each quote after them is one note. An item not
    in that shape (a hand edit) is read as any list item.
    """
    texts = [b for b in blocks if b.get("type") in ("block_text", "paragraph")]
    inline = texts[0].get("children", []) if texts else []
    start = next((i for i, n in enumerate(inline) if not _blank(n)), None)
    if start is None or inline[start].get("type") != "link":
        if texts:
            read_list_item(texts, state, line)
        return
    first = inline[start]
    url = str(first.get("attrs", {}).get("url", "")).strip()
    head: list[Node] = []
    rest: list[Node] = []
    for node in inline[start + 1 :]:
        if rest or node.get("type") in ("softbreak", "linebreak"):
            rest.append(node)
        else:
            head.append(node)
    links = tuple(
        Link(text=plain_text(n), url=str(n.get("attrs", {}).get("url", "")).strip())
        for n in head if n.get("type") == "link"
    )
    tail = "".join(plain_text(n) for n in head if n.get("type") != "link")
    status = "read" if "✅" in tail else "reading" if "(reading)" in tail else None
    paragraphs = ["".join("\n" if n.get("type") in ("softbreak", "linebreak") else plain_text(n) for n in rest)]
    paragraphs += [_lines_text(b) for b in texts[1:]]
    intro_raw = "\n\n".join(p.strip("\n") for p in paragraphs if p.strip())
    title_raw = plain_text(first) or (url and _id_title(url))
    if not title_raw.strip():
        return
    emit_entry(
        state, title_raw=title_raw, urls=[url], intro_raw=intro_raw, links=links, stars=count_stars(tail),
        number=None, year=find_year(tail), extra=(), line=line,
    )
    notes = tuple(
        text for text in ("\n\n".join(_lines_text(p) for p in q.get("children", []) if p.get("children")).strip()
                          for q in blocks if q.get("type") == "block_quote") if text
    )
    entry = state.out[-1]
    if (status or notes) and isinstance(entry, Entry):
        state.emit(ReaderMarks(line, entry.key, status, notes))


def _lines_text(block: Node) -> str:
    """A paragraph's text, its line breaks kept."""
    return "".join(
        "\n" if n.get("type") in ("softbreak", "linebreak") else plain_text(n) for n in block.get("children", [])
    )


def read_paragraph(node: Node, state: State, line_of: Callable[[str], int]) -> None:
    """A paragraph outside a list: a paper when it starts with a bold title or a paper link."""
    inline = node.get("children", [])
    links = node_links(node)
    whole = plain_text(node)
    if not links and not paper_evidence(whole, links):
        return
    read_inline(inline, links, state, None, paragraph=True, line_of=line_of)


_ANCHOR = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*["']?([^"'\s>]+)[^>]*>(.*?)</a\s*>""", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)


def read_html(raw: str, state: State, where: Callable[[str], int]) -> None:
    """An HTML block: not read, as a page shows it as HTML and not as Markdown, but said (UnreadItem) when it
    holds a paper: one for each anchor to a paper (`<a href="https://arxiv.org/abs/...">Title</a>`), else one
    for the block when its text holds a paper's link, arXiv id or DOI (an item whose first line is a tag alone,
    `- <br>`, is an HTML block whole). `where`: the line of a piece of the block's source (a URL)."""
    import html

    def text_of(fragment: str) -> str:
        return clean(html.unescape(_TAG.sub(" ", fragment)))

    raw = _COMMENT.sub(" ", raw)  # what the page hides
    anchors = [(m, Link(text=text_of(m.group(2)), url=html.unescape(m.group(1)).strip()))
               for m in _ANCHOR.finditer(raw)]
    papers = [(m, link) for m, link in anchors if is_paper(link)]
    for m, link in papers:
        text = link.text
        if is_label(text, link.url):  # `<td><a href="...">Paper</a></td>`: the row names the paper
            start, end = raw.rfind("<tr", 0, m.start()), raw.find("</tr", m.end())
            text = text_of(raw[start:end]) if 0 <= start and m.end() <= end else text
        state.emit(UnreadItem(where(m.group(1)), text or link.url))
    text = text_of(raw)
    if not papers and paper_evidence(text, [link for _m, link in anchors]):
        urls = bare_links(raw, [])  # found in the source as written (tags and spaces kept), unlike the text
        state.emit(UnreadItem(where(urls[0].url if urls else text[:30]), text))


def _blank(node: Node) -> bool:
    return node.get("type") in ("softbreak", "linebreak") or (
        node.get("type") in ("text", "inline_html") and not str(node.get("raw", "")).strip()
    )


def _bold_after_prefix(inline: list[Node], start: int) -> int | None:
    """The index of a bold title after a short nickname, tag or mark (`FLAN:`, `<u>T5</u>:`, `🌟`)."""
    prefix = 0
    for i in range(start, len(inline)):
        node = inline[i]
        kind = node.get("type")
        if kind == "strong":
            return i
        if kind not in ("text", "inline_html", "emphasis", "codespan"):
            return None
        prefix += len(plain_text(node)) if kind != "inline_html" else 0
        if prefix > MAX_PREFIX:
            return None
    return None


def _text_before(inline: list[Node], target: Link) -> str:
    """The item's text before a link (a markdown link, a bare URL or an id written out)."""
    parts: list[str] = []
    for node in inline:
        kind = node.get("type")
        if kind == "link" and str(node.get("attrs", {}).get("url", "")).strip() == target.url:
            break
        text = plain_text(node)
        if kind == "text" and target.text in text:
            parts.append(text[: text.index(target.text)])
            break
        parts.append(text)
    return strip_emphasis("".join(parts))


def _id_title(url: str) -> str:
    arxiv = arxiv_from_url(url)
    return f"arXiv:{arxiv}" if arxiv else url


def read_inline(
    inline: list[Node],
    links: list[Link],
    state: State,
    line: int | None,
    *,
    paragraph: bool,
    nested: bool = False,
    line_of: Callable[[str], int] | None = None,
) -> None:
    """Read a list item's (or a paragraph's) inline nodes: an Entry, a NonPaper, an UnreadItem or nothing."""
    start = next((i for i, n in enumerate(inline) if not _blank(n)), None)
    if start is None:
        return
    first = inline[start]
    whole = strip_emphasis("".join(plain_text(n) for n in inline))
    known = {link.url for link in links}
    written = [lk for lk in id_links(whole) if lk.url not in known and not any(lk.url in u for u in known)]
    if written:
        written = [lk for lk in written if not any(arxiv_from_url(lk.url) == arxiv_from_url(u) for u in known)]
    candidates = links + written

    def where(anchor: str) -> int:
        if line is not None:
            return line
        assert line_of is not None
        return line_of(anchor)

    def unread() -> None:
        if paper_evidence(whole, candidates):
            # a written id (`doi:10...`) is found by its text, a link by its URL
            anchor = next((lk.url if lk in links else lk.text for lk in candidates if is_paper(lk)), whole[:30])
            state.emit(UnreadItem(where(anchor), clean(whole) or anchor))  # a badge (`[![arXiv](svg)](url)`): its link

    def non_paper(url: str) -> None:
        if paragraph or nested:
            return unread()  # prose linking a repository, or a paper's own code under it: not an entry left out
        state.emit(NonPaper(where(url), clean(whole), url))

    title_raw = ""
    chosen: Link | None = None
    kind = first.get("type")
    bold = start if kind == "strong" else None
    if kind == "link":
        url = str(first.get("attrs", {}).get("url", "")).strip()
        title_raw = strip_emphasis(plain_text(first))
        if url.startswith("#"):
            return unread()  # a table of contents
        head = Link(text=title_raw, url=url)
        if paragraph and not (is_paper(head) and (_has_strong(first) or len(whole) - len(title_raw) <= MAX_PREFIX)):
            return unread()  # prose that starts with a link
        if is_non_paper(head) and not state.every_item:
            # `[Skua](github) ... [paper](arxiv)`: the paper is the item's; a paper named in its
            # description (`explained in [a thread](arxiv)`) is not.
            chosen = next((lk for lk in candidates if is_paper(lk) and is_label(lk.text, lk.url)), None)
            if chosen is None:
                return unread() if paper_evidence(whole, candidates) else non_paper(url)
        else:
            chosen = next((lk for lk in links if lk.url == url), head)
        if not title_raw or title_raw == url or title_raw.startswith(("http://", "https://")):
            title_raw = _id_title(chosen.url)
    elif not paragraph or kind == "strong":
        if bold is None and not paragraph:
            bold = _bold_after_prefix(inline, start)
        if bold is not None:
            title_raw = strip_emphasis(plain_text(inline[bold]))
            chosen = choose_paper_link(links if paragraph else candidates)  # prose may cite an id
            if chosen is None:
                if links and not paper_evidence(whole, candidates):
                    return non_paper(links[0].url)
                return unread()  # bold text without any paper link is prose
            if paragraph and not is_paper(chosen):
                return unread()
        else:
            chosen = next((lk for lk in candidates if is_paper(lk)), None)
            if chosen is None:
                if all(link.url.startswith("#") for link in links):
                    return None  # `📖[Topics](#topics)`: a table of contents
                if links and len(_text_before(inline, links[0])) <= MAX_NAMED:
                    return non_paper(links[0].url)
                return unread()
            before = _text_before(inline, chosen).rstrip(_PREFIX_TAIL).strip()
            if not is_label(chosen.text, chosen.url):
                title_raw = chosen.text  # `Paper: [Title](arxiv)`, `Nick: [Title](arxiv)`
            elif before and not is_label(before):
                title_raw = before  # `Title https://arxiv.org/...`, `DPO: [paper](...)`
            else:
                title_raw = _id_title(chosen.url)
            if len(before) > MAX_TITLE:
                return unread()
    else:
        return unread()
    if not title_raw.strip() or len(title_raw) > MAX_TITLE:
        return unread()
    assert chosen is not None
    if not is_paper(chosen) and not state.every_item and resource_section([s.title for _, s in state.stack]):
        return non_paper(chosen.url)  # `## Leaderboards`: `- [Bird Arena](https://birds.example/arena)`
    rest_links = list(links)
    if chosen in rest_links:
        rest_links.remove(chosen)
    intro_raw = whole.replace(title_raw, "", 1).strip(" -–—:：|,，") if title_raw in whole else whole
    for link in links:  # `[[paper](url)]` leaves `[paper]` in the text
        intro_raw = intro_raw.replace(f"[{link.text}]", "")
        if link.text == link.url and link is chosen:
            intro_raw = intro_raw.replace(link.url, "")  # a bare URL or an autolink is the paper, not its summary
    intro_raw = re.sub(r"\s{2,}", " ", intro_raw).strip()
    year = find_year(intro_raw)
    stars = count_stars(whole)
    intro_raw = STAR.sub("", intro_raw).strip()
    emit_entry(
        state,
        title_raw=title_raw,
        urls=[chosen.url],
        intro_raw=intro_raw,
        links=tuple(rest_links),
        stars=stars,
        number=None,
        year=year,
        extra=(),
        line=where(chosen.url if kind != "strong" else title_raw[:30]),
    )


def _has_strong(node: Node) -> bool:
    return any(child.get("type") == "strong" for child in node.get("children", []))
