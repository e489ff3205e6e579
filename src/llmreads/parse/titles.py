"""Parse layer, titles: a paper's title without the decoration lists put around it.

Lists dress titles up: quotes inside the bold (`**"Title"**`), a trailing
period (`**Title.**`), a must-read mark (`*Title`), a footnote reference
(`Title [^note]`), an item number (`3) Title`), the lab behind it
(`Title(@SomeLab)`), emoji runs (`🔥🔥 Title`), a bracketed nickname
or tag before it (`[YOCO] You Only Cache Once`, `[crane]CRANE: An Engine for Birds`). `clean_title` takes them off;
a title without any of them is returned as it is, and quickly.
"""

from __future__ import annotations

import re
import unicodedata

_QUOTES = {'"': '"', "“": "”", "”": "”", "'": "'", "‘": "’", "「": "」", "《": "》"}
_FOOTNOTE = re.compile(r"\s*\[\^[^\]\s]*\]")
_ORG = re.compile(r"\s*\(@[^()]*\)\s*$")
_NUMBER = re.compile(r"^\(?\d{1,4}[.)]\s+(?=\S)")
_MUST_READ = re.compile(r"^\*+\s*(?=\S)")
_NICK = re.compile(r"^[\[【](?P<nick>[^\]】]{1,40})[\]】]\s+")
# A one-word tag glued to a title that starts with a capital (`[crane]CRANE: An Engine`, `[TEE]Confidential
# Computing on GPUs`); `[bold]x`, and a tag followed by more brackets, is not one.
_GLUED_NICK = re.compile(r"^[\[【](?P<nick>[^\]】\s]{2,40})[\]】](?=[A-Z0-9])")
# Characters that open or close a title only when something is wrong with it.
_SUSPECT_EDGE = frozenset("\"“”'‘’「《*.([【0123456789")
_SUSPECT_END = _SUSPECT_EDGE | frozenset(_QUOTES.values()) | {")"}


def _is_decoration(ch: str) -> bool:
    """An emoji, a symbol or a joiner/variation selector (`🔥`, `⭐️`, `✅`)."""
    return ch in "\ufe0f\ufe0e\u200d" or unicodedata.category(ch) == "So"


def _strip_decorations(title: str) -> str:
    start, end = 0, len(title)
    while start < end and (_is_decoration(title[start]) or title[start].isspace()):
        start += 1
    while end > start and (_is_decoration(title[end - 1]) or title[end - 1].isspace()):
        end -= 1
    return title[start:end]


def _strip_period(title: str) -> str:
    """`Title.` -> `Title`, `Why?.` -> `Why?`; an ellipsis and `et al.` stay."""
    if title.endswith(".") and not title.endswith("..") and not title.endswith(" al."):
        return title[:-1].rstrip()
    return title


def _strip_quotes(title: str) -> str:
    first, last = title[:1], title[-1:]
    curly = first in "“”" and last in "“”"  # `”Title“` is written too
    if len(title) > 2 and first in _QUOTES and (last == _QUOTES[first] or curly):
        inner = title[1:-1]
        if first not in inner and last not in inner:  # `"A" and "B"` is not quoted as a whole
            return inner.strip()
    return title


def clean_title(title: str) -> str:
    """The title without quotes, trailing period, must-read mark, footnotes, number, `(@org)` or emoji."""
    if not title:
        return title
    first, last = title[0], title[-1]
    if (
        first not in _SUSPECT_EDGE
        and last not in _SUSPECT_END
        and (first < "\x80" or not _is_decoration(first))  # no ASCII character is a symbol (`So`)
        and (last < "\x80" or not _is_decoration(last))
        and "[^" not in title
    ):
        return title
    original, before = title, None
    while before != title:  # the marks nest in any order: `*"Title."* [^1]`
        before = title
        title = _FOOTNOTE.sub("", title).strip()
        title = _ORG.sub("", title)
        title = _strip_decorations(title)
        title = _NUMBER.sub("", title)
        marked = _MUST_READ.match(title)
        if marked:
            title = title[marked.end() :]
            if title.endswith("*") and not title.endswith("**"):
                title = title[:-1].rstrip()  # `*Title*`: emphasis that lost its other half
        nick = _NICK.match(title)
        if nick and len(title[nick.end() :].split()) >= 2:
            title = title[nick.end() :]  # `[Egret] Egret: Cache Eviction`, `[YOCO] You Only Cache Once`: a tag
        nick = _GLUED_NICK.match(title)
        rest = title[nick.end() :] if nick else ""
        if nick and len(rest.split()) >= 3 and "[" not in rest and "]" not in rest:
            title = rest  # (`[bold]Bold[/] Paper [link=...]` is markup, not a tag)
        title = _strip_period(title)
        title = _strip_quotes(title)
    return title or original  # all decoration: better than no title
