"""An independent reading of the bundled list, for checking search against it.

It reads seeds/llm_paper_reading.md with nothing but the standard library:
every table row is a paper (the rows that link the same address are one
paper), its text is the title cell and the introduction cell with links
reduced to their text and bare addresses dropped. A concept is named where a
form of it is a substring of that text, after NFKC, casefolding, and spaces,
hyphens and the like between words made one space. Nothing of llmreads is
used, so a bug in its parser, folding or index cannot hide here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import NamedTuple

SEED_PATH = Path(__file__).resolve().parents[1] / "seeds" / "llm_paper_reading.md"

# The CJK Radicals Supplement characters the list holds (PDF copy-paste),
# with their ideographs from Unicode's EquivalentUnifiedIdeograph.txt; NFKC
# leaves these alone. `papers` checks that the list holds no others.
_RADICALS = {"⺠": "民", "⻔": "门", "⻚": "页", "⻢": "马", "⻩": "黄"}

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BARE_URL = re.compile(r"https?://[!-~]+")  # ASCII: the list glues Chinese text to addresses
_BETWEEN_WORDS = re.compile(r"[\W_]+")


class SeedPaper(NamedTuple):
    title: str  # the title cell of its first row, as a reader sees it
    text: str  # title and introductions, folded (see `fold`)
    title_text: str  # the title alone, folded


def fold(text: str) -> str:
    """NFKC, casefold, radicals, and every run of non-word characters made one space."""
    text = "".join(_RADICALS.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKC", text).casefold()
    return " " + _BETWEEN_WORDS.sub(" ", text).strip() + " "


def _plain(cell: str) -> str:
    return " ".join(_BARE_URL.sub(" ", _LINK.sub(r"\1", cell)).replace("**", "").split())


@cache
def papers() -> tuple[SeedPaper, ...]:
    """The list's papers in document order."""
    text = SEED_PATH.read_bytes().decode("utf-8")
    assert not {ch for ch in text if 0x2E80 <= ord(ch) <= 0x2EFF} - set(_RADICALS)
    titles: dict[str, str] = {}
    texts: dict[str, list[str]] = {}
    title_texts: dict[str, list[str]] = {}
    for line in text.split("\n"):
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or re.fullmatch(r":?-+:?", cells[0]) or cells[0] == "**ID**":
            continue
        link = re.search(r"\]\(([^)]*)\)", cells[1])
        title = _plain(cells[1])
        if not title:  # an empty row
            continue
        key = link.group(1).strip() if link else title
        titles.setdefault(key, title)
        texts.setdefault(key, []).extend([title, _plain(cells[2])])
        title_texts.setdefault(key, []).append(title)
    return tuple(
        SeedPaper(titles[key], "\n".join(fold(t) for t in texts[key]), "\n".join(fold(t) for t in title_texts[key]))
        for key in titles
    )


def naming(*forms: str, titles_only: bool = False, words: bool = False) -> set[str]:
    """Titles of the papers whose title or introductions (or title alone) hold any of `forms`.

    With `words`, an English form must start a word, and one of three letters
    or fewer (an acronym: `cot`) must be a whole word or its plural.
    """
    wanted = []
    for form in forms:
        folded = re.escape(fold(form).strip())
        if words and form[:1].isascii() and form[:1].isalnum():
            folded = rf"(?<![a-z0-9]){folded}" + (r"s?(?![a-z0-9])" if len(form) <= 3 else "")
        wanted.append(re.compile(folded))
    return {
        paper.title
        for paper in papers()
        if any(form.search(paper.title_text if titles_only else paper.text) for form in wanted)
    }
