"""Shell completion: section numbers, paper ids and list names read from the database, and the shells' output.

Completion runs on every Tab press, so this opens the database read-only
(db.connect_readonly, the one place that builds SQLite's read-only URI),
creates nothing and never raises.
"""


import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from typer import _completion_classes as typer_shells
from typer._click.shell_completion import CompletionItem, ShellComplete, add_completion_class

if TYPE_CHECKING:
    import sqlite3

PROG_NAME = "llmreads"
COMPLETE_VAR = "_LLMREADS_COMPLETE"  # what Click derives from the program name


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

        from llmreads.sqlite_uri import readonly_uri

        return sqlite3.connect(readonly_uri(path), uri=True)
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
    # A paper found by an arXiv id prefix is offered as its arXiv id: shells keep
    # only candidates that start with what was typed.
    listed = _query(
        ctx,
        "SELECT CASE WHEN short_id LIKE ? || '%' THEN short_id ELSE arxiv END, title FROM papers"
        " WHERE listed = 1 AND (short_id LIKE ? || '%' OR arxiv LIKE ? || '%') ORDER BY position LIMIT 200",
        (incomplete, incomplete, incomplete),
    )
    if len(listed) >= 200:
        return listed
    # Then the papers no list holds that keep the user's statuses or notes (`list --all`), one for all
    # the keys of a paper whose link changed; a database not migrated yet (no alias table) offers none.
    from llmreads.aliases import paper_id_sql, user_data_sql

    kept = _query(
        ctx,
        "SELECT CASE WHEN p.short_id LIKE ?1 || '%' THEN p.short_id ELSE p.arxiv END, p.title FROM papers p"
        " WHERE p.listed = 0 AND (p.short_id LIKE ?1 || '%' OR p.arxiv LIKE ?1 || '%')"
        f" AND {user_data_sql('p.key', '?2')} AND p.id = {paper_id_sql('p.key')} ORDER BY p.position LIMIT 200",
        (incomplete, _user(ctx)),
    )
    return listed + kept[: 200 - len(listed)]


def _user(ctx: typer.Context) -> str:
    from llmreads.config import default_user, read_config, resolve

    try:
        setting = resolve(ctx.find_root().params.get("user"), "LLMREADS_USER", "user", read_config())
        return setting.value or default_user()
    except Exception:  # completion must never print a traceback into the shell
        return default_user()


def lists(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _query(ctx, "SELECT name, title FROM lists WHERE name LIKE ? || '%' ORDER BY id", (incomplete,))


def tags(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """The user's tags that start with what was typed, with how many papers each is on."""
    found = _query(
        ctx,
        "SELECT tag, count(*) FROM tags WHERE user = ? AND tag LIKE ? || '%' GROUP BY tag ORDER BY tag LIMIT 200",
        (_user(ctx), incomplete.casefold()),
    )
    return [(tag, f"{count} {'paper' if count == '1' else 'papers'}") for tag, count in found]


def statuses(incomplete: str) -> list[str]:
    return [s for s in ("unread", "reading", "read") if s.startswith(incomplete)]


# ---------------------------------------------------------------- the shells


# Typer's zsh, fish and PowerShell classes pass every help text through Rich
# markup: that imports Rich (~60 ms on each Tab press), drops bracketed words
# (`[env LLMREADS_DB]`), wraps a long title onto a second line (a bogus
# candidate in fish) and fails on a title holding `[/]`. llmreads' help texts
# and titles are plain text (the app has rich_markup_mode=None), so these
# subclasses print them as they are; otherwise the output is Typer's.


class ZshComplete(typer_shells.ZshComplete):
    def format_completion(self, item: CompletionItem) -> str:
        def escape(s: str) -> str:
            return (
                s.replace('"', '""')
                .replace("'", "''")
                .replace("$", "\\$")
                .replace("`", "\\`")
                .replace(":", r"\\:")
            )

        if item.help:
            return f'"{escape(item.value)}":"{escape(item.help)}"'
        return f'"{escape(item.value)}"'


class FishComplete(typer_shells.FishComplete):
    def format_completion(self, item: CompletionItem) -> str:
        if item.help:
            one_line = re.sub(r"\s", " ", item.help)
            return f"{item.value}\t{one_line}"
        return f"{item.value}"


class PowerShellComplete(typer_shells.PowerShellComplete):
    def format_completion(self, item: CompletionItem) -> str:
        return f"{item.value}:::{item.help if item.help else ' '}"


SHELLS: dict[str, type[ShellComplete]] = {
    "bash": typer_shells.BashComplete,
    "zsh": ZshComplete,
    "fish": FishComplete,
    "powershell": PowerShellComplete,
    "pwsh": PowerShellComplete,
}


def register_shells() -> None:
    """Use SHELLS for completion; Typer registers its own classes each time it builds the app."""
    for name, shell_class in SHELLS.items():
        add_completion_class(shell_class, name)

