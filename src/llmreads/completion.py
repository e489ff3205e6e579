"""Shell completion of section numbers, paper ids and list names, read from the database.

Completion runs on every Tab press, so this opens the database read-only with
the standard sqlite3 module, creates nothing and never raises.
"""


from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import sqlite3


def _connect(ctx: typer.Context) -> "sqlite3.Connection | None":
    from llmreads.config import default_db_path, read_config, resolve

    try:
        params = ctx.find_root().params
        db = params.get("db")
        setting = resolve(str(db) if db else None, "LLMREADS_DB", "db", read_config())
        path = Path(setting.value).expanduser() if setting.value else default_db_path()
        if not path.is_file():
            return None
        import sqlite3

        return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except Exception:  # completion must never print a traceback into the shell
        return None


def _query(ctx: typer.Context, sql: str, params: tuple[str, ...]) -> list[tuple[str, str]]:
    conn = _connect(ctx)
    if conn is None:
        return []
    import sqlite3

    try:
        return [(str(value), str(help_text)) for value, help_text in conn.execute(sql, params)]
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def sections(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    rows = _query(
        ctx,
        "SELECT number, title FROM sections WHERE number LIKE ? || '%' ORDER BY list_id, position",
        (incomplete,),
    )
    merged: dict[str, list[str]] = {}  # one suggestion per number, even when several lists have it
    for number, title in rows:
        titles = merged.setdefault(number, [])
        if title not in titles:
            titles.append(title)
    return [(number, " / ".join(titles)) for number, titles in merged.items()]


def papers(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _query(
        ctx,
        "SELECT short_id, title FROM papers WHERE listed = 1 AND (short_id LIKE ? || '%' OR arxiv LIKE ? || '%')"
        " ORDER BY position LIMIT 200",
        (incomplete, incomplete),
    )


def lists(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _query(ctx, "SELECT name, title FROM lists WHERE name LIKE ? || '%' ORDER BY id", (incomplete,))


def statuses(incomplete: str) -> list[str]:
    return [s for s in ("unread", "reading", "read") if s.startswith(incomplete)]
