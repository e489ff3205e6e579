"""Parse layer: inline text, what a reader sees in a cell or a list item.

The text of a mistune node with its markup dropped (`plain_text`), its links
(markdown links, `<a href>` and bare URLs, `node_links`), bold markers left over
(`strip_emphasis`), and ratings (`rating`: stars, `4/5`, a run of emoji).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from llmreads.models import Link
from llmreads.text import clean

Node = dict[str, Any]  # a node of mistune's AST


STAR_GLYPHS = "✡⭐🌟★✪✯"
EMPTY_STAR = "☆✩"
STAR = re.compile(f"[{STAR_GLYPHS}]")
# A bare URL ends at white space, brackets, CJK text (look-alike radicals
# included) or where a second URL is glued on.
_URL_STOP = r"\s<>\[\]()（）\u2e80-\u2fdf\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_BARE_URL = re.compile(rf"https?://[^{_URL_STOP}]+?(?=https?://|[{_URL_STOP}]|$)")
_HREF = re.compile(r"""<a\s[^>]*href\s*=\s*["']?(?P<url>[^"'\s>]+)""", re.I)
_YEAR = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)(?!\d)")
_CHECKBOX = re.compile(r"^\s*(\[[ xX]?\]|[✅❌✔✓✗✘☑☐⬜✖️]+)\s*$")
EMPHASIS_MARKS = re.compile(r"\*{2,}|__+")


def new_link(text: str, url: str) -> Link:
    """`Link(text=text, url=url)`, built as unpickling builds it: a third of the time of a frozen
    dataclass's `__init__`, for the links of every row of a long list."""
    link = _new(Link)
    fields = link.__dict__
    fields["text"] = text
    fields["url"] = url
    return link


_new = object.__new__


# A table cell as the rows are read: the text a reader sees (`plain_text`) and its links (`node_links`).
Cell = tuple[str, list[Link]]


# A paper's link label is cleaned twice, as the link's text and as the title
# (once a table's cells are all read: up to 2,000 rows a chunk): a cache saves the second time.
clean_label = functools.lru_cache(maxsize=4096)(clean)


def strip_emphasis(text: str) -> str:
    # Bold that the author opened in one inline span and closed in another
    # (`**Open** **AI**`, `ChatGPT****的`) survives mistune as literal stars.
    if "**" in text or "__" in text:
        text = EMPHASIS_MARKS.sub("", text)
    return text.strip()


def plain_text(node: Node | None) -> str:
    """The text a reader sees in a node: link texts included, markup dropped."""
    if node is None:
        return ""
    kind = node.get("type")
    if kind in ("text", "codespan") and "raw" in node:
        raw = str(node["raw"])
        return entities(raw) if kind == "text" and "&" in raw else raw
    if kind == "inline_html":
        return " " if re.match(r"<br\s*/?>", str(node.get("raw", "")), re.I) else ""
    if kind in ("softbreak", "linebreak"):
        return " "
    if kind == "image":
        return ""
    return "".join(plain_text(child) for child in node.get("children", []))


# An entity or numeric character reference, as CommonMark reads one (`&amp;`, `&nbsp;`, `&#8212;`, `&#x2014;`):
# mistune's syntax tree keeps them as written in text, where a page shows the character.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def entities(text: str) -> str:
    """`text` with its character references read (`Q&amp;A` -> `Q&A`; a name HTML does not know is left)."""
    if "&" not in text:
        return text
    import html

    return _ENTITY.sub(lambda match: html.unescape(match.group()), text)


def node_links(node: Node | None) -> list[Link]:
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
                found.append(new_link(clean(strip_emphasis(plain_text(n))) or url, url))
            return
        if kind == "inline_html":
            raw = str(n.get("raw", ""))
            href = _HREF.match(raw)
            if href:
                anchor[:] = [href.group("url")]
            elif raw.lower().startswith("</a") and anchor:
                url, text = anchor[0], clean("".join(anchor[1:]))
                found.append(new_link(text or url, url))
                anchor.clear()
            return
        if kind == "text":
            raw = entities(str(n.get("raw", "")))
            if anchor:
                anchor.append(raw)
                return
            bare_links(raw, found)
            return
        if kind == "image":
            return
        for child in n.get("children", []):
            visit(child)

    visit(node)
    return found


def bare_links(text: str, found: list[Link]) -> list[Link]:
    """`found` with the bare URLs in a text run added."""
    if "://" in text:
        for match in _BARE_URL.finditer(text):
            url = match.group(0).rstrip(".,;:!?")
            found.append(new_link(url, url))
    return found


def count_stars(text: str) -> int:
    """The star glyphs in a text, at most 5."""
    return min(len(STAR.findall(text)), 5)


def has_star(text: str) -> bool:
    """Whether a text holds a star glyph: `STAR.search`, in a sixth of its time."""
    return "✡" in text or "⭐" in text or "🌟" in text or "★" in text or "✪" in text or "✯" in text


def find_year(text: str) -> str | None:
    """The first year from 1900 to 2099 a text names, not part of a longer number."""
    match = _YEAR.search(text)
    return match.group("year") if match else None


def rating(text: str) -> int | None:
    """Stars from a rating cell: ★★★☆☆, ⭐⭐⭐, 4/5, 4, 🔥🔥🔥; None for checkboxes or other text."""
    text = text.replace("\ufe0f", "").strip()
    if not text or _CHECKBOX.match(text):
        return None
    stars = count_stars(text)
    if stars or any(ch in EMPTY_STAR for ch in text):
        return stars
    fraction = re.fullmatch(r"(\d+(?:\.\d+)?)\s*/\s*(\d+)", text)
    if fraction:
        value, scale = float(fraction.group(1)), int(fraction.group(2))
        return max(0, min(5, round(value * 5 / scale))) if scale else None
    if re.fullmatch(r"\d(?:\.\d+)?", text):
        return max(0, min(5, round(float(text))))
    if len(set(text)) == 1 and not text[0].isalnum() and ord(text[0]) > 0x2000:
        return min(len(text), 5)  # a run of one emoji
    return None
