"""Command layer, shared part: the Typer app, its global options, error handling and common options.

Commands live in llmreads.commands, one module per group, and register
themselves with `app`; CommandLoaderGroup imports a command's module when the
command is named.
"""


import functools
import importlib
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, NoReturn

import typer
from typer import _click as click
from typer._click.shell_completion import CompletionItem
from typer._click.utils import make_default_short_help
from typer.core import TyperArgument, TyperGroup

from llmreads import __version__, completion
from llmreads.errors import Ambiguous, LlmreadsError

if TYPE_CHECKING:
    import sqlite3


class Group(TyperGroup):
    """Turns every LlmreadsError, in any command, into one line on stderr and exit 1.

    Reads the command line as llmreads.arguments says (free text without
    quotes, root options after the command); a group named with nothing
    after it prints its help and succeeds.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        if parent is None:  # Click never wraps help narrower than 50 columns: a 40-column terminal gets its own
            import shutil

            columns = shutil.get_terminal_size().columns
            if columns < 52:  # Click's own width otherwise
                extra.setdefault("terminal_width", max(columns - 2, 30))
        return super().make_context(info_name, args, parent, **extra)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        name_placeholders(self)
        return super().get_params(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            name_placeholders(command)
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:  # completion parses half-typed lines: leave them to Click
            if not args and self.no_args_is_help:
                click.echo(ctx.get_help(), color=ctx.color)
                ctx.exit(0)
            if ctx.parent is None:
                from llmreads.arguments import arrange

                args = arrange(self, ctx, args)
        return super().parse_args(ctx, args)

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


class Listing(NamedTuple):
    """A command as `--help` lists it, before its module is loaded."""

    module: str  # the module of llmreads.commands that registers it
    help: str  # the first paragraph of its help text (tests check it against the command's)


# The headings of `llmreads --help`, in order, with their commands; a command not named is under "Other".
SECTIONS = {
    "Reading": ("list", "search", "sections", "show", "progress", "next", "open", "browse"),
    "Tracking": (
        "mark-read", "mark-reading", "mark-unread", "note", "tag", "untag", "tags", "rate", "history", "users"
    ),
    "Lists": ("import", "lists", "remove-list", "add", "enrich", "edit"),
    "Data": ("export", "user-data", "db", "config"),
}


class CommandLoaderGroup(Group):
    """The llmreads command: loads a command's module and builds its Click command only when it is named.

    Typer builds every registered command when the app starts, mostly by
    evaluating parameter annotations (~0.2 ms each), and every command module
    must be imported first so that its commands are registered. Here the
    commands' modules are imported only as needed: `--help`, completing a
    command name and usage errors list the names and one-line helps of
    COMMANDS; running or completing a command (get_command) imports its
    module alone and has Typer build that one command. A command registered
    before this group was built (tests import them all, see llmreads.cli) is
    taken as Typer built it. (The app's help is Click's, rich_markup_mode=None:
    Typer's Rich help would build every command to list them.)
    """

    # In the order Typer lists them: the commands, then the command groups, each as registered.
    COMMANDS: dict[str, Listing] = {
        "list": Listing("browse", "List papers, filtered by section, stars and reading status."),
        "search": Listing(
            "browse", "Search titles, introductions, sections, link texts and your notes, in English or Chinese."
        ),
        "sections": Listing("browse", "Show the section tree with paper counts and your read counts."),
        "show": Listing(
            "browse", "Show everything about one paper: sections, introductions, links, your status and notes."
        ),
        "progress": Listing("browse", "Show your reading progress per section and per star level."),
        "next": Listing(
            "browse", "What to read next: papers you are reading, then unread ones, most stars first, in list order."
        ),
        "open": Listing("browse", "Open a paper's link in the browser."),
        "export": Listing(
            "export", "Export papers with your status, notes, tags and stars as JSON, CSV, Markdown or BibTeX."
        ),
        "add": Listing(
            "library", "Add papers by arXiv id, DOI or URL to a list of your own, with metadata from arXiv or Crossref."
        ),
        "enrich": Listing(
            "library", "Fetch authors, year and abstract from arXiv and Crossref for papers that lack them."
        ),
        "edit": Listing(
            "library", "Give a paper its arXiv id: it keeps its id, gains metadata and opens on arxiv.org."
        ),
        "import": Listing(
            "lists", "Import a markdown paper list; re-importing updates it and keeps your statuses and notes."
        ),
        "lists": Listing("lists", "Show the imported lists: source, title, stated update date, papers, import time."),
        "remove-list": Listing("lists", "Remove a list's papers and sections; your statuses and notes are kept."),
        "tag": Listing("personal", "Tag a paper with words of your own."),
        "untag": Listing("personal", "Take tags off a paper."),
        "tags": Listing("personal", "Your tags, each with the number of papers it is on."),
        "rate": Listing("personal", "Give a paper your own stars, 1 to 5 (0 clears them)."),
        "history": Listing("personal", "Every change of your reading statuses, newest first."),
        "mark-read": Listing("track", "Mark papers as read."),
        "mark-reading": Listing("track", "Mark papers as being read."),
        "mark-unread": Listing("track", "Mark papers as unread."),
        "users": Listing("track", "The users in this database and each one's progress."),
        "browse": Listing("tui", "Browse, search and track your reading on one keyboard-driven screen."),
        "config": Listing("config", "Show where the settings come from."),
        "db": Listing("db", "Where the database is and what it holds; back it up and restore it."),
        "user-data": Listing(
            "export", "Carry your statuses, notes, tags, ratings and history elsewhere, as JSON keyed by paper key."
        ),
        "note": Listing("track", "Add, list, edit and delete your notes on papers."),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.COMMANDS, *(name for name in self.commands if name not in self.COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in self.COMMANDS:
            command = self.commands[cmd_name] = self._load(cmd_name)
        if command is not None:
            name_placeholders(command)
        return command

    def _load(self, name: str) -> click.Command:
        """Import the command's module (which registers it with `app`) and have Typer build that command alone."""
        module = f"llmreads.commands.{self.COMMANDS[name].module}"
        importlib.import_module(module)
        for info in app.registered_commands:
            assert info.callback is not None
            if (info.name or typer.main.get_command_name(info.callback.__name__)) == name:
                return typer.main.get_command_from_info(
                    info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode
                )
        for group_info in app.registered_groups:
            if group_info.name == name:
                return typer.main.get_group_from_info(
                    group_info,
                    pretty_exceptions_short=app.pretty_exceptions_short,
                    suggest_commands=app.suggest_commands,
                    rich_markup_mode=app.rich_markup_mode,
                )
        raise LookupError(f"{module} registers no command {name!r}")

    def _short_help(self, name: str, limit: int = 45) -> str:
        """What Click shows for `name` in a list of commands, without building the command."""
        built = self.commands.get(name)
        if built is not None:
            return built.get_short_help_str(limit)
        return make_default_short_help(self.COMMANDS[name].help, limit)

    def _listed(self, ctx: click.Context) -> list[str]:
        """The names `--help` and completion offer; as Click does, not those of hidden commands."""
        return [name for name in self.list_commands(ctx) if not getattr(self.commands.get(name), "hidden", False)]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands of `--help`, under the headings of SECTIONS, each with its whole one-line help (wrapped)."""
        names = self._listed(ctx)
        grouped = {name for section in SECTIONS.values() for name in section}
        headings = [*SECTIONS.items(), ("Other", tuple(name for name in names if name not in grouped))]
        for heading, members in headings:
            listed = [name for name in members if name in names]
            if listed:
                with formatter.section(f"{heading} commands"):
                    formatter.write_dl([(name, self._short_help(name, 1000)) for name in listed], col_max=16)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Command names (from the listings) and the global options, as Click completes them."""
        names = [CompletionItem(name, help=self._short_help(name))
                 for name in self._listed(ctx) if name.startswith(incomplete)]
        return names + super(TyperGroup, self).shell_complete(ctx, incomplete)  # the options, not the commands

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # Typer suggests a close name ("Did you mean 'show'?") from the commands
        # built so far, usually none: suggest from all of them instead.
        suggest, self.suggest_commands = self.suggest_commands, False
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.UsageError as error:
            from difflib import get_close_matches  # only for a mistyped command name

            matches = get_close_matches(args[0], self.list_commands(ctx)) if suggest and args else []
            if matches:
                error.message = f"{error.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise
        finally:
            self.suggest_commands = suggest

    def _main_shell_completion(self, ctx_args: MutableMapping[str, Any], prog_name: str,
                               complete_var: str | None = None) -> None:
        completion.register_shells()  # after Typer registered its own, when it built this group
        super()._main_shell_completion(ctx_args, prog_name, complete_var)


class _Argument(TyperArgument):
    """An argument whose usage form is its help form: Typer writes a required one in braces."""

    def make_metavar(self, ctx: click.Context, *, usage: bool = False) -> str:
        return super().make_metavar(ctx)


def name_placeholders(command: click.Command) -> None:
    """Name what each parameter takes in `--help`: `QUERY...`, `--section SECTION`, `--status [unread|reading|read]`.

    Typer names them `{query}` and `<str>`; a placeholder a command sets
    itself is kept. Commands of a group get theirs when the group is named.
    """
    for param in command.params:
        if isinstance(param, TyperArgument):
            param.__class__ = _Argument  # the usage line as Click writes it: `QUERY...`, not `{QUERY...}`
        if param.metavar is not None or getattr(param, "is_flag", False) or getattr(param, "count", False):
            continue
        if param.param_type_name == "argument":
            name = (param.name or "").upper()
            param.metavar = name + ("..." if param.nargs == -1 else "")
            if not param.required:
                param.metavar = f"[{name}]" + ("..." if param.nargs == -1 else "")
            continue
        choices = getattr(param.type, "choices", None)
        if choices:
            param.metavar = "[" + "|".join(str(getattr(c, "value", c)) for c in choices) + "]"
        elif param.type.name in ("path", "filename", "file"):
            param.metavar = "FILE" if param.param_type_name == "option" and "--db" not in param.opts else "PATH"
        else:
            longest = max(param.opts, key=len)
            param.metavar = "FILE" if longest == "--output" else longest.lstrip("-").replace("-", "_").upper()


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
    cls=CommandLoaderGroup,
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

    def conn(self) -> "sqlite3.Connection":
        """The database connection, opened on first use; closed when the command ends (see state()).

        Opening checks the file and brings its schema up to date (db.open_db),
        nothing more: the commands that show or track papers then take the
        step ensure_bundled_list themselves.
        """
        if self._conn is None:
            from llmreads.db import open_db

            self._conn = open_db(self.db_path)
            self._conn.on_wait = _say_waiting
            if sys.stdin.isatty() and sys.stderr.isatty():  # a person can pick among papers a reference matches
                from llmreads import render
                from llmreads.store import papers

                papers.choose_paper = render.choose
        return self._conn

    def ensure_bundled_list(self, conn: "sqlite3.Connection") -> None:
        """First use: import the bundled list into a database that holds no list yet, and say so on stderr.

        Every command that shows or tracks papers calls it right after opening
        the database; the commands that manage lists or user data (import,
        remove-list, user-data) do not.
        """
        from llmreads.store.papers import list_count

        if list_count(conn) > 0:
            return
        if not _just_created(conn):  # its lists were removed, or it holds only imported user data: left so
            from llmreads import render

            render.info("llmreads: this database holds no list; `llmreads import` imports the bundled list"
                        " back, `llmreads import FILE` another one")
            return
        from llmreads.sources import import_path

        report = import_path(conn, None, name=None)
        if not report.skipped:  # another process may have imported it a moment ago
            from llmreads import render

            render.info(f"llmreads: imported the bundled list ({report.papers} papers) into {self.db_path}")

    def close(self) -> None:
        """Close the database connection, if one was opened; the command has ended."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                if self.user_setting.source == "option" and sys.exc_info()[0] is None:
                    _say_if_unknown_user(conn, self.user)
            finally:
                conn.close()


def _just_created(conn: "sqlite3.Connection") -> bool:
    """Whether the database has never held anything: no paper (a removed list leaves its papers, unlisted),
    status or note."""
    held = "SELECT 1 FROM papers UNION ALL SELECT 1 FROM statuses UNION ALL SELECT 1 FROM notes LIMIT 1"
    return conn.execute(held).fetchone() is None


def _say_if_unknown_user(conn: "sqlite3.Connection", user: str) -> None:
    """After a command that recorded nothing for `--user NAME`: one line if that user never recorded anything.

    A misspelt name would otherwise show an empty reading record as if it were
    someone's; a command that writes (mark-read, note add, tag, rate) has made the user known.
    """
    known = " UNION ".join(f"SELECT user FROM {table}" for table in ("statuses", "notes", "tags", "ratings"))
    if conn.execute(f"SELECT 1 FROM ({known}) WHERE user = ?", (user,)).fetchone():
        return
    from llmreads import render

    users = [row[0] for row in conn.execute(f"{known} ORDER BY 1 LIMIT 11")]
    named = ", ".join(map(repr, users[:10])) + (", …" if len(users) > 10 else "")
    render.info(f"llmreads: user {user!r} has recorded nothing in this database"
                + (f"; known users: {named}" if users else "; no user has recorded anything yet"))


def _say_waiting() -> None:
    from llmreads import render

    render.info("llmreads: waiting for another llmreads process to finish writing (an import, most likely)...")


def state(ctx: typer.Context) -> State:
    """The State of this run, made on first use; its connection is closed when the command ends.

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
        root.call_on_close(root.obj.close)
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
    ascii_: Annotated[
        bool,
        typer.Option("--ascii", help="Stars, bars and marks in ASCII (* # x >), where ★ and █ are double width"
                     " [env LLMREADS_ASCII=1]."),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Work through the key papers of large language models."""
    if color is not None:
        os.environ["LLMREADS_COLOR"] = "1" if color else "0"
    if ascii_:
        os.environ["LLMREADS_ASCII"] = "1"
    ctx.obj = functools.partial(State, db, user)  # see state()


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
SectionOpt = Annotated[
    str | None,
    typer.Option(
        "--section", "-s", help="Section number (2 includes 2.1...) or title fragment.",
        autocompletion=completion.sections,
    ),
]
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


