"""Command layer, shared part: the Typer app, its global options, error handling and common options.

Commands live in llmreads.commands, one module per group; cli.py joins them.
"""


import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from llmreads import __version__, completion
from llmreads.errors import Ambiguous, LlmreadsError

if TYPE_CHECKING:
    import sqlite3


class Group(TyperGroup):
    """Turns every LlmreadsError, in any command, into one line on stderr and exit 1."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        from llmreads import render

        try:
            return super().invoke(ctx)
        except Ambiguous as exc:
            render.error(str(exc))
            for candidate in exc.candidates[:10]:
                render.info(f"  {candidate}")
            if len(exc.candidates) > 10:
                render.info(f"  … and {len(exc.candidates) - 10} more")
            raise typer.Exit(1) from None
        except LlmreadsError as exc:
            render.error(str(exc))
            raise typer.Exit(1) from None
        except UnicodeEncodeError as exc:
            # Text that is not UTF-8 (lone surrogates from undecodable arguments).
            render.error(f"text that is not UTF-8 cannot be used: {exc.object[exc.start:exc.end]!r}")
            raise typer.Exit(1) from None
        except Exception as exc:
            # sqlite3 is imported only by commands that open the database.
            sqlite3 = sys.modules.get("sqlite3")
            if sqlite3 is None or not isinstance(exc, sqlite3.Error):
                raise
            obj = ctx.find_root().obj
            where = f" in {obj.db_path}" if isinstance(obj, State) else ""
            hint = "; restore a backup with `llmreads db restore FILE`" if "malformed" in str(exc) else ""
            render.error(f"database error{where}: {exc}{hint}")
            raise typer.Exit(1) from None
        except BrokenPipeError:
            # The reader (head, less) went away: not an error worth a word.
            sys.stderr.close()
            raise typer.Exit(0) from None


app = typer.Typer(
    cls=Group,
    help="Work through the key papers of large language models: browse, search and track your reading.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class State:
    """What every command needs: the database (opened on first use), the user and the default list."""

    def __init__(self, db: Path | None, user: str | None, list_name: str | None = None) -> None:
        from llmreads.config import default_db_path, default_user, read_config, resolve

        config = read_config()
        self.db = resolve(str(db) if db is not None else None, "LLMREADS_DB", "db", config)
        self.user_setting = resolve(user, "LLMREADS_USER", "user", config)
        self.list_setting = resolve(list_name, "LLMREADS_LIST", "list", config)
        self.db_path = Path(self.db.value).expanduser() if self.db.value else default_db_path()
        value = self.user_setting.value
        self.user = default_user() if value is None else value.strip()
        if not self.user:
            raise LlmreadsError("the user name must not be empty")
        self.default_list = self.list_setting.value
        self._conn: sqlite3.Connection | None = None

    def conn(self, autoimport: bool = True) -> "sqlite3.Connection":
        if self._conn is None:
            from llmreads.db import open_db

            self._conn = open_db(self.db_path)
            if autoimport:
                from llmreads import store

                if store.list_count(self._conn) == 0:
                    from llmreads.sources import import_path

                    report = import_path(self._conn, None, name=None)
                    if not report.skipped:  # another process may have imported it a moment ago
                        from llmreads import render

                        render.info(
                            f"llmreads: imported the bundled list ({report.papers} papers) into {self.db_path}"
                        )
        return self._conn


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if isinstance(obj, LlmreadsError):
        raise obj
    assert isinstance(obj, State)
    return obj


def _version(value: bool) -> None:
    if value:
        print(f"llmreads {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        Path | None, typer.Option("--db", help="Database file [env LLMREADS_DB].", show_default=False)
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Whose reading status and notes [env LLMREADS_USER].")
    ] = None,
    color: Annotated[
        bool | None,
        typer.Option("--color/--no-color", help="Force colour on or off (default: when stdout is a terminal)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Work through the key papers of large language models."""
    if color is not None:
        os.environ["LLMREADS_COLOR"] = "1" if color else "0"
    try:
        ctx.obj = State(db, user)
    except LlmreadsError as exc:
        # Raised when a command asks for the state, so `config path` still
        # works to find a broken config file.
        ctx.obj = exc


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
SectionOpt = Annotated[
    str | None,
    typer.Option(
        "--section", "-s", help="Section number (2 includes 2.1...) or title fragment.",
        autocompletion=completion.sections,
    ),
]
StarsOpt = Annotated[int | None, typer.Option("--stars", help="At least this many stars (0-5).")]
StatusOpt = Annotated[
    str | None, typer.Option("--status", help="unread, reading or read.", autocompletion=completion.statuses)
]
LimitOpt = Annotated[int | None, typer.Option("--limit", "-n", help="Show at most this many.")]
ListOpt = Annotated[
    str | None, typer.Option("--list", help="Only papers of this list.", autocompletion=completion.lists)
]
RefArg = Annotated[
    str, typer.Argument(help="Paper id, arXiv id or a title fragment.", autocompletion=completion.papers)
]
RefsArg = Annotated[
    list[str], typer.Argument(help="Paper ids, arXiv ids or title fragments.", autocompletion=completion.papers)
]


def build_filters(conn: "sqlite3.Connection", section: str | None, stars: int | None, status: str | None,
             list_name: str | None) -> list[Any]:
    from llmreads import store

    filters = []
    if list_name is not None:
        filters.append(store.list_filter(conn, list_name))
    if section is not None:
        filters.append(store.section_filter(conn, section))
    if stars is not None:
        filters.append(store.stars_filter(stars))
    if status is not None:
        filters.append(store.status_filter(status))
    return filters


def check_limit(limit: int | None, option: str = "--limit") -> None:
    if limit is not None and limit < 1:
        from llmreads.errors import InvalidQuery

        raise InvalidQuery(f"{option} must be 1 or more, not {limit}")


