"""Terminal UI layer, the selected paper: store.papers.paper_detail as Textual content.

Everything a list or a user wrote is shown literally: it goes into Content as
plain text (Rich or Textual markup in a note stays brackets), and control
characters become their visible pictures (an ANSI escape shows as ␛[31m) so
nothing reaches the terminal as a command.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from textual.content import Content

from llmreads.text import clean, clean_block

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


def paper_content(detail: Mapping[str, object], history: Sequence[str] = ()) -> Content:
    """The paper: title, id and status, each section it is in with its introduction and links, notes, history."""
    parts: list[str | tuple[str, str]] = [(literal(str(detail["title"])), "bold"), "\n"]
    status = str(detail["status"])
    facts = [str(detail["id"])]
    if detail.get("stars"):
        facts.append(stars(int(str(detail["stars"]))))
    facts.append(status if status != "unread" else "unread")
    if detail.get("arxiv"):
        facts.append(f"arXiv {detail['arxiv']}")
    parts += [(" · ".join(facts), "dim"), "\n"]
    entries = detail.get("entries") or []
    assert isinstance(entries, list)
    for entry in entries:
        head = f"§ {literal(str(entry['section']))}"
        if entry.get("number") is not None:
            head += f"  #{entry['number']}"
        if len(_lists(entries)) > 1:
            head += f"  ({literal(str(entry['list']))})"
        parts += ["\n", (head, "bold"), "\n"]
        known = ([f"year {entry['year']}"] if entry.get("year") else []) + [
            f"{name}: {value}" for name, value in (entry.get("fields") or {}).items()
        ]
        if known:
            parts += [(literal(clean(" · ".join(known))), "dim"), "\n"]
        if entry.get("introduction"):
            parts += [literal(str(entry["introduction"])), "\n"]
        for link in entry.get("links") or []:
            text, url = literal(clean(link["text"])), literal(clean(link["url"]))
            parts += [("→ ", "dim"), text if text == url else f"{text}  ", (url if text != url else "", "underline"),
                      "\n"]
    notes = detail.get("notes") or []
    assert isinstance(notes, list)
    if notes:
        parts += ["\n", ("Your notes", "bold"), "\n"]
        for note in notes:
            parts += [(f"[{note['id']}] {str(note['updated_at'])[:10]}", "dim"), "\n", literal(str(note["text"])), "\n"]
    if history:
        parts += ["\n", ("History", "bold"), "\n"]
        for line in history:
            parts += [(literal(line), "dim"), "\n"]
    return Content.assemble(*parts)


def _lists(entries: Sequence[Mapping[str, object]]) -> set[str]:
    return {str(entry["list"]) for entry in entries}


def gone(title: str) -> Content:
    """What the pane shows for a paper that was removed while it was shown."""
    return Content.assemble(
        (literal(title), "bold"), "\n",
        ("No list holds this paper any more (removed by another llmreads process).", "italic"),
    )
