"""Store layer, import changes part: what a re-import finds changed since the list's previous version.

Each paper is summed up (title, stars, sections, digests of its entries) as
the new version says it (`Seen`) and as the database held it before
(`previous_version`); a paper that left the list and one that came with the
same title is a link that changed (`link_changes`).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from llmreads.aliases import paper_id_sql, same_paper_sql
from llmreads.store.base import rows_in
from llmreads.text import fold_for_search

if TYPE_CHECKING:
    from llmreads.models import ImportReport, LeftWithUserData


class Seen:
    """What one import learns of a paper: enough to compare with the list's previous version."""

    __slots__ = ("paper_id", "title", "position", "written_stars", "stars", "sections", "content")

    def __init__(self, paper_id: int, title: str, position: int = 0, written_stars: int | None = None,
                 stars: int = 0, sections: list[str] | None = None, content: list[int] | None = None) -> None:
        self.paper_id = paper_id
        self.title = title
        self.position = position  # the index of the paper's first entry in the list's order (not its position)
        self.written_stars = written_stars  # a paper new in this import: the stars its row was written with
        self.stars = stars
        self.sections: list[str] = [] if sections is None else sections
        self.content: list[int] = [] if content is None else content


Summary = tuple[str, int, tuple[str, ...], tuple[int, ...]]


def summary_of(seen: Seen) -> Summary:
    return (seen.title, seen.stars, tuple(seen.sections), tuple(seen.content))


def previous_version(conn: sqlite3.Connection, list_id: int, among: Collection[int] | None = None,
                     renamed: dict[int, str] | None = None) -> dict[str, Summary]:
    """Per paper key, what the list said of it before this import, in the order of the papers' first entries.

    Read in the list's order (its entries' index), a paper summed up as its entries come: only the
    summaries are held, not a Seen each, and they come in the order wanted without a sort.
    With `among` (paper ids), only those papers', once the import has written the list: from the copy of
    its entries as they were (index.IndexedText), a paper's title as it was (`renamed`: those this import
    renamed, by id) where an entry gives none of its own.
    """
    rows: Iterable[tuple[str, str, int, str, int]]
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: 100,000 Row objects cost as much as the rest of the loop
    if among is None:
        rows = cursor.execute(
            "SELECT p.key, s.number, e.stars, coalesce(nullif(e.title, ''), p.title), e.digest"
            " FROM entries e JOIN sections s ON s.id = e.section_id"
            " JOIN papers p ON p.id = e.paper_id WHERE e.list_id = ? ORDER BY e.position",
            (list_id,),
        )
    else:
        renamed = renamed or {}
        rows = [(key, number, stars, title or renamed.get(pid, paper_title), digest)
                for _position, key, number, stars, title, pid, paper_title, digest in sorted(rows_in(
                    conn, "SELECT o.position, p.key, o.section_number, o.stars, o.title, p.id, p.title, o.digest"
                    " FROM temp.old_entries o JOIN papers p ON p.id = o.paper_id WHERE o.paper_id IN ({marks})",
                    among), key=lambda row: row[0])]
    found: dict[str, Summary] = {}
    for key, section, stars, title, digest in rows:
        summary = found.get(key)
        if summary is None:
            found[key] = (title, stars, (section,), (digest,))
        else:  # a paper the list gives again (seldom more than a few times)
            first, most, sections, content = summary
            found[key] = (first, max(most, stars), sections if section in sections else (*sections, section),
                          (*content, digest))
    return found


def link_changes(old: dict[str, Summary], seen: dict[str, Seen], touched: Collection[int] | None = None
                 ) -> dict[str, str]:
    """The papers of the list that changed key, new key -> old key: a paper left the list and one came
    with the same normalised title, which no other paper of the list, old or new, has.

    `touched`: when `old` holds only those papers (ids) of the old version; the others of `seen` were in it,
    under the same title.
    """
    from llmreads.keys import normalise_title

    left: dict[str, list[str]] = {}
    for key, summary in old.items():
        if key not in seen:
            left.setdefault(normalise_title(summary[0]), []).append(key)
    came: dict[str, list[str]] = {}
    if left:
        for key, info in seen.items():
            if key not in old and (touched is None or info.paper_id in touched):
                came.setdefault(normalise_title(info.title), []).append(key)
    candidates = {title for title, keys in came.items() if title and len(keys) == 1 and len(left.get(title, ())) == 1}
    if not candidates:
        return {}
    # A paper that stays in the list under that title makes the match unsure: then the two are left apart.
    # Only titles whose folded form holds a candidate's longest word are normalised: for a link changed
    # among 100,000 English titles, a fifth of the time of normalising every title.
    longest = re.compile("|".join(re.escape(max(title.split(), key=len)) for title in candidates))
    for key, info in seen.items():
        was = old.get(key)
        if was is not None or touched is not None and info.paper_id not in touched:
            for title in (info.title, info.title if was is None else was[0]):
                if longest.search(fold_for_search(title)):
                    candidates.discard(normalise_title(title))
    return {came[title][0]: left[title][0] for title in candidates}


def read_alike(
    conn: sqlite3.Connection, list_id: int, old: dict[str, Summary], seen: dict[str, Seen], now: dict[str, Summary]
) -> set[str]:
    """Papers written differently but shown the same: their entries' titles, stars, introductions, years,
    fields and links are as they were (a list imported again from its own Markdown export).

    Only papers whose digests differ and whose title, stars and sections do not are looked at; the
    entries as they were are the copy the search index keeps aside (index.IndexedText's temp tables).
    `now`: summary_of each paper of `seen` whose summary is not the same in `old`.
    """
    ids = {
        seen[key].paper_id: key for key, summary in now.items()
        if key in old and old[key][3] != summary[3] and old[key][:3] == summary[:3]
    }
    if not ids:
        return set()

    def rows(entries: str, links: str, where: str) -> dict[int, list[tuple[object, ...]]]:
        found: dict[int, list[tuple[object, ...]]] = {}
        link_rows: dict[tuple[int, int], list[tuple[str, str]]] = {}
        for pid, position, text, url in rows_in(
            conn, f"SELECT paper_id, position, text, url FROM {links} WHERE paper_id IN ({{marks}}) {where}"
            " ORDER BY link_position", list(ids), [list_id] if where else [],
        ):
            link_rows.setdefault((pid, position), []).append((text, url))
        for pid, position, title, stars, intro, year, extra in rows_in(
            conn, f"SELECT paper_id, position, title, stars, intro, year, extra FROM {entries}"
            f" WHERE paper_id IN ({{marks}}) {where} ORDER BY position", list(ids), [list_id] if where else [],
        ):
            found.setdefault(pid, []).append(
                (title, stars, intro, year, extra, tuple(link_rows.get((pid, position), ())))
            )
        return found

    from llmreads.store.index import LINK_TEXTS

    before = rows("temp.old_entries", "temp.old_links", "")
    after = rows("entries", f"({LINK_TEXTS})", "AND list_id = ?")
    return {key for pid, key in ids.items() if before.get(pid) == after.get(pid)}


def compare(
    report: ImportReport, old: dict[str, Summary], seen: dict[str, Seen], moved: dict[str, str],
    joined: Collection[str] = (), alike: Collection[str] = (), now: dict[str, Summary] | None = None,
    touched: Collection[int] | None = None,
) -> None:
    """What changed between the list's two versions; `moved` maps a paper's new key to its old one.

    `joined` are keys of papers this version lists as another URL of a paper: they are not removed;
    `alike` are papers written differently but shown the same (`read_alike`): they are unchanged.
    `now`, when the caller has it: summary_of each paper of `seen` whose summary differs from its `old` one
    (the others are the same), at least of those in `old` or in `moved`.
    `touched`: when `old` holds only those papers (ids) of the old version: the others of `seen` are unchanged.
    """
    from llmreads.models import LinkChange

    for key, info in seen.items():
        if touched is not None and info.paper_id not in touched:
            report.unchanged += 1
            continue
        old_key = moved.get(key, key)
        if old_key not in old:
            report.added.append(info.title)
            continue
        before = old[old_key]
        now_ = summary_of(info) if now is None else now.get(key, before)
        if before == now_ or key in alike:
            report.unchanged += 1
            continue
        old_title, old_stars, old_sections, old_content = before
        if old_key != key:
            report.link_changes.append(LinkChange(old_key, key, info.title))
        if old_title != info.title:
            report.retitled.append(f"{old_title} → {info.title}")
        if old_stars != info.stars:
            report.rerated.append(f"{info.title}: {old_stars} → {info.stars} stars")
        if set(old_sections) != set(info.sections):
            report.moved.append(f"{info.title}: {', '.join(old_sections)} → {', '.join(info.sections)}")
        if old_key == key and old_title == info.title and old_stars == info.stars and set(old_sections) == set(
            info.sections
        ):
            report.updated.append(info.title)
    gone = set(moved.values()) | set(joined)
    report.removed = [summary[0] for key, summary in old.items() if key not in seen and key not in gone]


def left_with_user_data(conn: sqlite3.Connection, keys: Sequence[str]) -> list[LeftWithUserData]:
    """Of the papers these keys name, those no list holds that keep statuses, notes, tags, ratings or
    history (of any user) under any of their keys, and whose data no listed paper shows."""
    from llmreads.models import LeftWithUserData

    kinds = {"statuses": "statuses", "notes": "notes", "tags": "tags", "ratings": "ratings",
             "history": "status_history"}
    counts = ", ".join(f"(SELECT count(*) FROM {table} WHERE paper_key IN {same_paper_sql('p.key')}) AS {name}"
                       for name, table in kinds.items())
    found = []
    for row in rows_in(
        conn,
        f"SELECT p.short_id, p.key, p.title, {counts}"
        " FROM papers p WHERE p.key IN ({marks}) AND p.listed = 0"
        f" AND p.id = {paper_id_sql('p.key')} ORDER BY p.position",
        keys,
    ):
        if any(row[name] for name in kinds):
            found.append(LeftWithUserData(row["short_id"], row["key"], row["title"], row["statuses"], row["notes"],
                                          row["tags"], row["ratings"], row["history"]))
    return found
