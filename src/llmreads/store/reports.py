"""Store layer: what `lists`, `remove-list`, `users`, `sections` and `progress` report, as dataclasses.

store/papers.py and store/tracking.py build them, importing this module in
the functions that do: `list`, `search` and `mark-read` load those modules and
need none of these, and creating a dataclass costs about half a millisecond
of start-up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListSummary:
    """An imported list: where it came from, the update date it states, when it was imported, how many papers."""

    name: str
    title: str
    source: str
    updated: str | None
    imported_at: str
    papers: int


@dataclass(frozen=True)
class RemovedList:
    name: str
    papers: int  # the papers it held


@dataclass(frozen=True)
class UserProgress:
    """A user with any status, note, tag or rating: how many of the listed papers they have read and are
    reading, their notes, the tags they use and the papers they rated."""

    user: str
    read: int
    reading: int
    notes: int
    tags: int
    rated: int
    last_active: str | None
    papers: int  # the papers the lists hold


@dataclass(frozen=True)
class SectionProgress:
    """A section, its papers (those of its subsections included), and how many of them this user read."""

    list: str
    number: str
    title: str
    depth: int
    papers: int
    read: int
    reading: int


@dataclass(frozen=True)
class StarsProgress:
    stars: int
    papers: int
    read: int
    reading: int


@dataclass(frozen=True)
class Counts:
    papers: int
    read: int
    reading: int


@dataclass(frozen=True)
class Progress:
    """A user's reading progress per section and per star level, and in all."""

    user: str
    total: Counts
    sections: list[SectionProgress]
    stars: list[StarsProgress]
