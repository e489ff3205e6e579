"""Parse layer: papers in bullet and numbered lists, an item that starts with a link or a bold title."""

from __future__ import annotations

import re

from llmreads.parse.inline import STAR, Node, count_stars, find_year, node_links, plain_text, strip_emphasis
from llmreads.parse.state import MAX_TITLE, State, emit_entry

_PAPER_LINK_WORDS = ("paper", "pdf", "arxiv", "论文", "abs", "openreview")


def read_list_item(blocks: list[Node], state: State, line: int) -> None:
    inline = [n for block in blocks for n in block.get("children", [])]
    first = next((n for n in inline if not (n.get("type") == "text" and not str(n.get("raw", "")).strip())), None)
    if first is None:
        return
    links = [link for block in blocks for link in node_links(block)]
    if first.get("type") == "link":
        title_raw = strip_emphasis(plain_text(first))
        url = str(first.get("attrs", {}).get("url", ""))
        if url.startswith("#") or not title_raw:
            return  # a table of contents
        rest_links = links[1:]
        urls = [url]
    elif first.get("type") == "strong":
        title_raw = strip_emphasis(plain_text(first))
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
    whole = strip_emphasis("".join(plain_text(n) for n in inline))
    intro_raw = whole.replace(title_raw, "", 1).strip(" -–—:：|,，") if title_raw in whole else whole
    for link in links:  # `[[paper](url)]` leaves `[paper]` in the text
        intro_raw = intro_raw.replace(f"[{link.text}]", "")
    intro_raw = re.sub(r"\s{2,}", " ", intro_raw).strip()
    year = find_year(intro_raw)
    stars = count_stars(whole)
    intro_raw = STAR.sub("", intro_raw).strip()
    emit_entry(
        state,
        title_raw=title_raw,
        urls=urls,
        intro_raw=intro_raw,
        links=tuple(rest_links),
        stars=stars,
        number=None,
        year=year,
        extra=(),
        line=line,
    )
