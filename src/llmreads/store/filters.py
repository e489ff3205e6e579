"""Store layer, filters part: pieces of a WHERE clause that `list`, `next`, `search` and exports share.

A filter is a `(where, params, description)` over `papers p` and `statuses s`;
`combine` joins several.
"""

# No `from __future__ import annotations`: typing.NamedTuple would compile each field's
# annotation from its string (~25 µs a field, in every command).

import re
import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

from llmreads.errors import InvalidQuery, NotFound
from llmreads.store.base import STATUSES
from llmreads.text import fold_for_matching


class Filter(NamedTuple):
    """A piece of a WHERE clause over `papers p` and `statuses s`, with its parameters."""

    where: str
    params: tuple[object, ...]
    description: str
    order: str | None = None  # the "list order" this filter implies, when it names one list


def combine(filters: Sequence[Filter]) -> tuple[str, list[object]]:
    where = " AND ".join(f"({f.where})" for f in filters) or "1"
    params: list[object] = [param for f in filters for param in f.params]
    return where, params


def not_read_filter() -> Filter:
    return Filter("coalesce(s.status, 'unread') != 'read'", (), "not read yet")


def stars_filter(stars: int) -> Filter:
    if not 0 <= stars <= 5:
        raise InvalidQuery(f"--stars must be between 0 and 5, not {stars}")
    return Filter("p.stars >= ?", (stars,), f"{stars}+ stars")


def status_filter(status: str) -> Filter:
    try:
        value = STATUSES[STATUSES.index(status.strip().lower())]
    except ValueError:
        raise InvalidQuery(f"--status must be one of unread, reading, read, not {status!r}") from None
    return Filter("coalesce(s.status, 'unread') = ?", (value,), value)


def section_filter(conn: sqlite3.Connection, spec: str) -> Filter:
    """A section number (`2` includes 2.1 ...) or a case-insensitive fragment of section titles."""
    spec = spec.strip()
    rows = conn.execute("SELECT id, number, title FROM sections ORDER BY list_id, position").fetchall()
    if re.fullmatch(r"\d+(\.\d+)*\.?", spec):
        number = spec.rstrip(".")
        chosen = [r for r in rows if r["number"] == number or r["number"].startswith(number + ".")]
    else:
        needle = fold_for_matching(spec)  # 綜述 finds 综述, as search does
        chosen = [r for r in rows if needle and needle in fold_for_matching(r["title"])]
        # A matching section brings its subsections along, as a number does.
        numbers = {r["number"] for r in chosen}
        chosen += [r for r in rows if r not in chosen and any(r["number"].startswith(n + ".") for n in numbers)]
    if not chosen:
        raise NotFound(f"no section matches {spec!r} (see `llmreads sections`)")
    ids = tuple(r["id"] for r in chosen)
    marks = ",".join("?" * len(ids))
    labels = ", ".join(dict.fromkeys(f"{r['number']} {r['title']}" for r in chosen))
    return Filter(f"p.id IN (SELECT paper_id FROM entries WHERE section_id IN ({marks}))", ids, labels)


def list_id_by_name(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT id FROM lists WHERE name = ? OR title = ? ORDER BY name = ? DESC", (name, name, name))
    found = row.fetchone()
    if found is None:
        raise NotFound(f"no list named {name!r} (see `llmreads lists`)")
    return int(found[0])


def list_filter(conn: sqlite3.Connection, name: str) -> Filter:
    list_id = list_id_by_name(conn, name)
    # list_id is an integer from the database, so it can stand in the ORDER BY text.
    order = f"(SELECT min(e.position) FROM entries e WHERE e.paper_id = p.id AND e.list_id = {int(list_id)})"
    return Filter("p.id IN (SELECT paper_id FROM entries WHERE list_id = ?)", (list_id,), f"list {name}", order)


def tag_filter(tag: str) -> Filter:
    """Papers this user (the statement's ?1) tagged `tag`, under any of their keys."""
    from llmreads.store.personal import normal_tag

    value = normal_tag(tag)
    return Filter(
        "p.key IN (SELECT tg.paper_key FROM tags tg WHERE tg.user = ?1 AND tg.tag = ?"
        " UNION ALL SELECT kp.peer FROM tags tg JOIN key_peers kp ON kp.key = tg.paper_key"
        " WHERE tg.user = ?1 AND tg.tag = ?)",
        (value, value),
        f"tag {value}",
    )


def qualifier_filter(name: str, value: str, negated: bool = False) -> Filter:
    """The filter of a query's `name:value` (query.QUALIFIERS); `-name:value` keeps the other papers."""
    builders = {"tag": tag_filter, "author": author_filter, "year": year_qualifier}
    found = builders[name](value)
    if negated:
        return Filter(f"NOT ({found.where})", found.params, f"not {found.description}")
    return found


def my_stars_filter(stars: int) -> Filter:
    """Papers this user (the statement's ?1) gave at least `stars` stars."""
    from llmreads.aliases import rating_sql

    if not 1 <= stars <= 5:
        raise InvalidQuery(f"--my-stars must be between 1 and 5, not {stars}")
    return Filter(f"{rating_sql('p.key', '?1')} >= ?", (stars,), f"rated {stars}+ by you")


def year_filter(low: int, high: int) -> Filter:
    """Papers of a year or a range of years (fetched, else the year of a new-style arXiv id)."""
    from llmreads.store.metadata import year_sql

    described = f"year {low}" if low == high else f"years {low}–{high}"
    return Filter(f"{year_sql()} BETWEEN ? AND ?", (low, high), described)


def author_filter(name: str) -> Filter:
    """Papers with an author whose name holds `name` (any case), from fetched metadata."""
    from llmreads.store.metadata import metadata_sql

    escaped = name.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Filter(f"{metadata_sql('authors')} LIKE ? ESCAPE '\\'", (f"%{escaped}%",), f"author {name.strip()}")


def year_qualifier(value: str) -> Filter:
    """`year:2023` or `year:2022..2023` in a query."""
    from llmreads.query import parse_years

    return year_filter(*parse_years(value, f"year:{value}"))
