"""Command layer, shared part: the Typer app, its global options, error handling and common options.

Commands live in llmreads.commands, one module per group; cli.py joins them.
"""


import functools
import inspect
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo, TyperInfo

from llmreads import __version__, completion
from llmreads.errors import Ambiguous, LlmreadsError

if TYPE_CHECKING:
    import sqlite3


class Group(TyperGroup):
    """Turns every LlmreadsError, in any command, into one line on stderr and exit 1."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except Ambiguous as exc:
            more = [f"  … and {len(exc.candidates) - 10} more"] if len(exc.candidates) > 10 else []
            _fail(str(exc), *[f"  {candidate}" for candidate in exc.candidates[:10]], *more)
        except LlmreadsError as exc:
            _fail(str(exc))
        except UnicodeEncodeError as exc:
            # Text that is not UTF-8 (lone surrogates from undecodable arguments).
            _fail(f"text that is not UTF-8 cannot be used: {exc.object[exc.start:exc.end]!r}")
        except BrokenPipeError:
            # The reader (head, less) went away: not an error worth a word, or a
            # failing status (Click would exit 1).
            sys.stderr.close()
            raise typer.Exit(0) from None
        except Exception as exc:
            # sqlite3 is imported only by commands that open the database.
            sqlite3 = sys.modules.get("sqlite3")
            if sqlite3 is None or not isinstance(exc, sqlite3.Error):
                raise
            obj = ctx.find_root().obj
            if getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL":
                # The write was rolled back as a whole (a store transaction, the import, a migration).
                holding = f" holding {obj.db_path}" if isinstance(obj, State) else ""
                _fail(f"the disk{holding} is full ({exc}); nothing was changed")
            where = f" in {obj.db_path}" if isinstance(obj, State) else ""
            hint = "; restore a backup with `llmreads db restore FILE`" if "malformed" in str(exc) else ""
            _fail(f"database error{where}: {exc}{hint}")

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, Placeholder):  # to be run or completed: build it
            command = self.commands[name] = command.load()
        return name, command, rest

    def _main_shell_completion(self, ctx_args: MutableMapping[str, Any], prog_name: str,
                               complete_var: str | None = None) -> None:
        completion.register_shells()
        super()._main_shell_completion(ctx_args, prog_name, complete_var)


class Placeholder(TyperCommand):
    """A registered command's name and help, standing in for its Click command until it runs.

    Typer builds every command when the app starts, mostly by evaluating
    parameter annotations: ~4.5 ms for llmreads' 25 commands, while `--help`
    and completing a command name only list names and one-line helps. The
    help comes from the command's registration as Typer takes it (the
    `help=` given, else the docstring); Group.resolve_command swaps in the
    real command when one is named.
    """

    def __init__(self, info: CommandInfo | TyperInfo, app: typer.Typer) -> None:
        if isinstance(info, TyperInfo):
            solved = typer.main.solve_typer_info_defaults(info)
            name, help_text, short_help = solved.name, solved.help, solved.short_help
            hidden, deprecated, panel = solved.hidden, solved.deprecated, solved.rich_help_panel
        else:
            assert info.callback is not None
            name = info.name or typer.main.get_command_name(info.callback.__name__)
            help_text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
            short_help, hidden, deprecated, panel = info.short_help, info.hidden, info.deprecated, info.rich_help_panel
        super().__init__(name, help=help_text, short_help=short_help, hidden=hidden, deprecated=deprecated,
                         rich_markup_mode=app.rich_markup_mode, rich_help_panel=panel)
        self.info = info
        self.app = app

    def load(self) -> click.Command:
        """The Click command Typer builds for this registration."""
        if isinstance(self.info, TyperInfo):
            return typer.main.get_group_from_info(
                self.info,
                pretty_exceptions_short=self.app.pretty_exceptions_short,
                suggest_commands=self.app.suggest_commands,
                rich_markup_mode=self.app.rich_markup_mode,
            )
        return typer.main.get_command_from_info(
            self.info,
            pretty_exceptions_short=self.app.pretty_exceptions_short,
            rich_markup_mode=self.app.rich_markup_mode,
        )


def _fail(message: str, *details: str) -> NoReturn:
    """`Error: message` and any detail lines on stderr, then exit 1.

    Rendering (and the text layer under it, ~2.5 ms) is loaded only here: a
    command that succeeds may never need it, and `COMMAND --help` runs this
    group's invoke too.
    """
    from llmreads import render

    render.error(message)
    for line in details:
        render.info(line)
    raise typer.Exit(1) from None


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
        from llmreads.config import (
            check_user_name,
            config_path,
            default_db_path,
            default_user,
            expand_user,
            read_config,
            resolve,
        )

        config_file = config_path()
        config = read_config(config_file)
        self.db = resolve(str(db) if db is not None else None, "LLMREADS_DB", "db", config)
        self.user_setting = resolve(user, "LLMREADS_USER", "user", config)
        self.list_setting = resolve(list_name, "LLMREADS_LIST", "list", config)
        where = {"option": "--db", "environment": "LLMREADS_DB"}.get(self.db.source, f"db in {config_file}")
        self.db_path = expand_user(self.db.value, where) if self.db.value else default_db_path()
        where = {"option": "--user", "environment": "LLMREADS_USER", "config file": f"config file {config_file}",
                 "default": "the login name"}[self.user_setting.source]
        value = self.user_setting.value
        self.user = check_user_name(default_user() if value is None else value, where)
        self.default_list = self.list_setting.value
        self._conn: sqlite3.Connection | None = None

    def conn(self, autoimport: bool = True) -> "sqlite3.Connection":
        if self._conn is None:
            from llmreads.db import open_db

            self._conn = open_db(self.db_path)
            self._conn.on_wait = _say_waiting
            if autoimport:
                from llmreads.store.papers import list_count

                if list_count(self._conn) == 0:
                    from llmreads.sources import import_path

                    report = import_path(self._conn, None, name=None)
                    if not report.skipped:  # another process may have imported it a moment ago
                        from llmreads import render

                        render.info(
                            f"llmreads: imported the bundled list ({report.papers} papers) into {self.db_path}"
                        )
        return self._conn


def _say_waiting() -> None:
    from llmreads import render

    render.info("llmreads: waiting for another llmreads process to finish writing (an import, most likely)...")


def state(ctx: typer.Context) -> State:
    """The State of this run, made on first use.

    Not in the callback: it reads the config file and may import platformdirs,
    which `COMMAND --help` (the callback runs before a command parses its
    options) never needs; and a broken config file then fails only the
    commands that need the settings, so `config path` still finds it.
    """
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        make_state = root.obj  # set by the callback
        assert isinstance(make_state, functools.partial)
        root.obj = make_state()
    return root.obj


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
    ctx.obj = functools.partial(State, db, user)  # see state()


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
    from llmreads.store.filters import list_filter, section_filter, stars_filter, status_filter

    filters = []
    if list_name is not None:
        filters.append(list_filter(conn, list_name))
    if section is not None:
        filters.append(section_filter(conn, section))
    if stars is not None:
        filters.append(stars_filter(stars))
    if status is not None:
        filters.append(status_filter(status))
    return filters


def check_limit(limit: int | None, option: str = "--limit") -> None:
    if limit is not None and limit < 1:
        from llmreads.errors import InvalidQuery

        raise InvalidQuery(f"{option} must be 1 or more, not {limit}")


