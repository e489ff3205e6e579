"""Store layer, identity part: the keys that name one paper.

A paper's key comes from its link (arXiv id, else URL, else title), so it can
change: a list update gives the paper a new link, an arXiv id is learned
later, two URLs turn out to be one paper. The old key then becomes an alias
of the new one (`add_alias`). User data stays under the key it was written
with, and is read through all the keys of its paper: nothing is copied or
rewritten.

The `key_aliases` table (migration m007) holds each alias pointing straight
at its paper's current key, and a current key is never an alias: `add_alias`
keeps it so (adding B -> C turns an earlier A -> B into A -> C), so a key
resolves in one lookup and there is no chain to follow and no cycle.

The `*_sql` functions give SQL expressions for queries that join user data
to papers; `key` and `user` in them are SQL expressions too (a column, a
parameter). A key with no alias costs two index probes of `key_aliases`
(aliased_sql).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from llmreads.store.base import rows_in

if TYPE_CHECKING:  # the module is also used, for its SQL, by shell completion
    import sqlite3


def canonical_key(conn: sqlite3.Connection, key: str) -> str:
    """The current key of the paper `key` names (the key itself unless it is an alias)."""
    row = conn.execute("SELECT key FROM key_aliases WHERE alias = ?", (key,)).fetchone()
    return str(row[0]) if row is not None else key


def canonical_keys(conn: sqlite3.Connection, keys: Iterable[str]) -> dict[str, str]:
    """`canonical_key` of many keys at once."""
    wanted = list(dict.fromkeys(keys))
    found = {key: key for key in wanted}
    found.update(rows_in(conn, "SELECT alias, key FROM key_aliases WHERE alias IN ({marks})", wanted))
    return found


def same_keys(conn: sqlite3.Connection, key: str) -> list[str]:
    """Every key of the paper `key` names: its current key first, then its aliases."""
    current = canonical_key(conn, key)
    return [current, *(r[0] for r in conn.execute(
        "SELECT alias FROM key_aliases WHERE key = ? ORDER BY alias", (current,)
    ))]


def add_alias(conn: sqlite3.Connection, old_key: str, new_key: str) -> None:
    """Record that `old_key` names the same paper as `new_key`, which names it from now on.

    Every key of either paper then resolves to `new_key`: A -> B then B -> C
    leaves A -> C and B -> C; A -> B then B -> A (a link changed back) leaves
    B -> A. Run inside the caller's transaction.
    """
    if not old_key or not new_key:
        raise ValueError("a paper key must not be empty")
    if old_key == new_key:
        return
    old_current, new_current = canonical_key(conn, old_key), canonical_key(conn, new_key)
    conn.execute("DELETE FROM key_aliases WHERE alias = ?", (new_key,))
    conn.execute("UPDATE key_aliases SET key = ? WHERE key IN (?, ?)", (new_key, old_current, new_current))
    conn.executemany(
        "INSERT OR REPLACE INTO key_aliases (alias, key) VALUES (?, ?)",
        [(key, new_key) for key in dict.fromkeys((old_current, new_current, old_key)) if key != new_key],
    )


def aliases_of(conn: sqlite3.Connection, keys: Iterable[str]) -> list[tuple[str, str]]:
    """The (alias, key) rows that join any of `keys` to other keys."""
    currents = sorted(set(canonical_keys(conn, keys).values()))
    found = rows_in(conn, "SELECT alias, key FROM key_aliases WHERE key IN ({marks}) ORDER BY key, alias", currents)
    return [(str(alias), str(key)) for alias, key in found]


# ---------------------------------------------------------------- SQL


def aliased_sql(key: str) -> str:
    """Whether `key` is an alias or has one: what the `aliased_keys` view holds, read through key_aliases' indexes.

    `key IN aliased_keys` made SQLite build the view's UNION into a temporary
    b-tree at each use (six in a statement that reads papers, ~0.15 ms a
    statement, and a set of every aliased key at 100,000 papers); two probes
    of the table's primary key and its `key` index cost a few microseconds.
    """
    return f"({key} IN (SELECT alias FROM key_aliases) OR {key} IN (SELECT key FROM key_aliases))"


def same_paper_sql(key: str) -> str:
    """A subquery (for `IN`) of every key of the paper `key` names, `key` itself included."""
    return f"(SELECT {key} UNION ALL SELECT peer FROM key_peers WHERE key = {key})"


def canonical_sql(key: str) -> str:
    """The current key of the paper `key` names."""
    return f"coalesce((SELECT ka.key FROM key_aliases ka WHERE ka.alias = {key}), {key})"


def status_key_sql(key: str, user: str) -> str:
    """The key under which `user`'s status of the paper `key` names is kept: of the paper's keys,
    the one with the newest status (`key` itself when none has one).

    A status row is one per (user, key), so `s.user = U AND s.paper_key = status_key_sql(K, U)`
    joins at most one row and uses the statuses primary key.
    """
    newest = (
        f"SELECT st.paper_key FROM statuses st WHERE st.user = {user} AND st.paper_key IN {same_paper_sql(key)}"
        " ORDER BY st.updated_at DESC, st.rowid DESC LIMIT 1"
    )
    return f"CASE WHEN {aliased_sql(key)} THEN coalesce(({newest}), {key}) ELSE {key} END"


def status_join(user: str, table: str = "p") -> str:
    """`LEFT JOIN statuses s` on `user`'s status of each paper of `table`, through all its keys."""
    return f"LEFT JOIN statuses s ON s.user = {user} AND s.paper_key = {status_key_sql(f'{table}.key', user)}"


def paper_id_sql(key: str) -> str:
    """The row id of the paper that shows the data kept under `key`: of the papers its keys name,
    a listed one before an unlisted one, the one with the current key first (NULL when none is stored).
    """
    # The current key is the one of a paper's keys that is not an alias (SQLite's ORDER BY in a
    # subquery cannot name the outer query's columns).
    of_paper = (
        f"SELECT q.id FROM papers q WHERE q.key IN {same_paper_sql(key)}"
        " ORDER BY q.listed DESC, q.key IN (SELECT alias FROM key_aliases), q.position LIMIT 1"
    )
    return f"CASE WHEN {aliased_sql(key)} THEN ({of_paper}) ELSE (SELECT q.id FROM papers q WHERE q.key = {key}) END"


def user_data_sql(key: str, user: str) -> str:
    """True when `user` has a status, a note, a tag or a rating under any key of the paper `key` names."""
    return "(" + " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} ud WHERE ud.user = {user} AND ud.paper_key IN {same_paper_sql(key)})"
        for table in ("statuses", "notes", "tags", "ratings")
    ) + ")"


def tags_sql(key: str, user: str) -> str:
    """`user`'s tags of the paper `key` names, through all its keys: sorted, joined by commas (NULL when none)."""
    every = (
        f"(SELECT group_concat(tag, ',') FROM (SELECT DISTINCT tg.tag FROM tags tg WHERE tg.user = {user}"
        f" AND tg.paper_key IN {same_paper_sql(key)} ORDER BY tg.tag))"
    )
    # A key with no alias: its rows, in primary key order (user, paper_key, tag), are sorted already.
    own = f"(SELECT group_concat(tg.tag, ',') FROM tags tg WHERE tg.user = {user} AND tg.paper_key = {key})"
    return f"CASE WHEN {aliased_sql(key)} THEN {every} ELSE {own} END"


def rating_key_sql(key: str, user: str) -> str:
    """The key under which `user`'s rating of the paper `key` names is kept: the newest of the paper's keys'."""
    newest = (
        f"SELECT rt.paper_key FROM ratings rt WHERE rt.user = {user} AND rt.paper_key IN {same_paper_sql(key)}"
        " ORDER BY rt.updated_at DESC, rt.rowid DESC LIMIT 1"
    )
    return f"CASE WHEN {aliased_sql(key)} THEN coalesce(({newest}), {key}) ELSE {key} END"


def rating_sql(key: str, user: str) -> str:
    """`user`'s stars for the paper `key` names (the newest rating of its keys), NULL when none."""
    newest = (
        f"SELECT rt.stars FROM ratings rt WHERE rt.user = {user} AND rt.paper_key IN {same_paper_sql(key)}"
        " ORDER BY rt.updated_at DESC, rt.rowid DESC LIMIT 1"
    )
    own = f"SELECT rt.stars FROM ratings rt WHERE rt.user = {user} AND rt.paper_key = {key}"
    return f"CASE WHEN {aliased_sql(key)} THEN ({newest}) ELSE ({own}) END"


def first_read_sql(key: str, user: str) -> str:
    """When `user` first marked the paper `key` names read (UTC text), through all its keys; NULL if never."""
    return (
        f"(SELECT min(h.at) FROM status_history h WHERE h.user = {user} AND h.status = 'read'"
        f" AND h.paper_key IN {same_paper_sql(key)})"
    )
