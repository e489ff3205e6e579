"""Terminal UI layer, the selected paper: store.papers.paper_detail as Textual content.

Everything a list or a user wrote is shown literally: it goes into Content as
plain text (Rich or Textual markup in a note stays brackets), and control
characters become their visible pictures (an ANSI escape shows as ␛[31m) so
nothing reaches the terminal as a command.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.content import Content

from llmreads.text import clean, clean_block

if TYPE_CHECKING:
    from llmreads.store.detail import PaperDetail
    from llmreads.store.papers import PaperRow
    from llmreads.store.personal import HistoryEvent

# C0 controls but line feed and tab, and DEL.
_C0 = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
STATUS_MARK = {"read": "✓", "reading": "▸", "unread": " "}


def literal(text: str) -> str:
    """User text for display: C0 controls as their pictures (U+2400...), other controls and bidi marks as spaces."""
    shown = _C0.sub(lambda m: "␡" if m.group() == "\x7f" else chr(0x2400 + ord(m.group())), text)
    return clean_block(shown)


def stars(n: int, narrow: bool = False) -> str:
    if narrow:
        return f"{n}★" if n else ""
    return "★" * n


def paper_content(detail: PaperDetail, row: PaperRow | None = None, history: Sequence[HistoryEvent] = ()) -> Content:
    """The paper: title, authors and year, ids, your status, stars and tags, each section it is in, notes, history."""
    parts: list[str | tuple[str, str]] = [(literal(detail.title), "bold"), "\n"]
    if row is not None and (row.authors or row.year):
        known = ", ".join(row.authors[:6]) + (" et al." if len(row.authors) > 6 else "")
        parts += [(literal(" · ".join(x for x in (known, str(row.year or "")) if x)), "italic"), "\n"]
    facts = [detail.id]
    if detail.stars:
        facts.append(stars(detail.stars))
    facts.append(detail.status)
    if detail.my_stars:
        facts.append(f"yours {stars(detail.my_stars)}")
    if detail.arxiv:
        facts.append(f"arXiv {detail.arxiv}")
    parts += [(" · ".join(facts), "dim"), "\n"]
    if detail.tags:
        parts += [("tags ", "dim"), literal(" ".join(f"#{tag}" for tag in detail.tags)), "\n"]
    several_lists = len({entry.list for entry in detail.entries}) > 1
    for entry in detail.entries:
        head = f"§ {literal(entry.section)}"
        if entry.number is not None:
            head += f"  #{entry.number}"
        if several_lists:
            head += f"  ({literal(entry.list)})"
        parts += ["\n", (head, "bold"), "\n"]
        known_fields = ([f"year {entry.year}"] if entry.year else []) + [
            f"{name}: {value}" for name, value in entry.fields.items()
        ]
        if known_fields:
            parts += [(literal(clean(" · ".join(known_fields))), "dim"), "\n"]
        if entry.introduction:
            parts += [literal(entry.introduction), "\n"]
        for link in entry.links:
            text, url = literal(clean(link.text)), literal(clean(link.url))
            parts += [("→ ", "dim")] + ([] if text == url else [f"{text}  "]) + [(url, "underline"), "\n"]
    if detail.notes:
        parts += ["\n", ("Your notes", "bold"), "\n"]
        for note in detail.notes:
            parts += [(f"[{note.id}] {note.updated_at[:10]}", "dim"), "\n", literal(note.text), "\n"]
    if history:
        parts += ["\n", ("History", "bold"), "\n"]
        for event in history:
            parts += [(f"{event.at[:16].replace('T', ' ')}  {event.status}", "dim"), "\n"]
    return Content.assemble(*parts)


def gone(title: str) -> Content:
    """What the pane shows for a paper that was removed while it was shown."""
    return Content.assemble(
        (literal(title), "bold"), "\n",
        ("No list holds this paper any more (removed by another llmreads process).", "italic"),
    )
