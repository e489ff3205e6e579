"""Command layer: thin Typer commands that wire the parser, the store and the renderer together."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from llmreads import __version__
from llmreads.errors import Ambiguous, LlmreadsError
from llmreads.models import Status

SEED_NAME = "llm_paper_reading.md"


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
            raise typer.Exit(1) from None
        except LlmreadsError as exc:
            render.error(str(exc))
            raise typer.Exit(1) from None
        except sqlite3.Error as exc:
            render.error(f"database error: {exc}")
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
note_app = typer.Typer(cls=Group, help="Add, list, edit and delete your notes on papers.", no_args_is_help=True)
app.add_typer(note_app, name="note")


class State:
    def __init__(self, db: Path | None, user: str | None) -> None:
        self.db_path = db or default_db_path()
        self.user = user or default_user()
        self._conn: sqlite3.Connection | None = None

    def conn(self, autoimport: bool = True) -> sqlite3.Connection:
        if self._conn is None:
            from llmreads.db import open_db

            self._conn = open_db(self.db_path)
            if autoimport:
                from llmreads import store

                if store.list_count(self._conn) == 0:
                    report = import_path(self._conn, None, name=None)
                    from llmreads import render

                    render.info(
                        f"llmreads: imported the bundled list ({report.papers} papers) into {self.db_path}"
                    )
        return self._conn


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("llmreads", appauthor=False)) / "llmreads.db"


def default_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name (containers without a passwd entry)
        return "default"


def bundled_seed() -> tuple[str, str]:
    """The bundled list's text and a source name for it."""
    from importlib.resources import files

    resource = files("llmreads").joinpath("seeds", SEED_NAME)
    if resource.is_file():
        return resource.read_text(encoding="utf-8"), f"bundled:{SEED_NAME}"
    # An editable install runs from the source tree, where the seed is at the top.
    path = Path(__file__).resolve().parents[2] / "seeds" / SEED_NAME
    return path.read_text(encoding="utf-8"), f"bundled:{SEED_NAME}"


def read_document(path: str) -> tuple[str, str]:
    """Text and source name of a document path, `-` for stdin."""
    from llmreads.errors import ImportFailed

    if path == "-":
        data = sys.stdin.buffer.read()
        source = "<stdin>"
    else:
        file = Path(path)
        if file.is_dir():
            raise ImportFailed(f"{path} is a directory, not a markdown file")
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            raise ImportFailed(f"{path} does not exist") from None
        except OSError as exc:
            raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None
        source = str(file.resolve())
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFailed(f"{path} is a binary file, not a markdown document")
    for encoding in ("utf-8-sig", "utf-16"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return data.decode(encoding), source
        except UnicodeDecodeError:
            pass
    raise ImportFailed(f"{path} is not UTF-8 text")


def import_path(conn: sqlite3.Connection, path: str | None, *, name: str | None) -> Any:
    from llmreads import store
    from llmreads.parse import parse

    text, source = read_document(path) if path else bundled_seed()
    doc = parse(text)
    if not name:
        stem = Path(source.split(":", 1)[-1]).stem if path != "-" else "stdin"
        name = doc.title or stem
    return store.import_document(conn, doc, name=name, source=source, sha256=store.document_sha256(text))


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
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
        Path | None, typer.Option("--db", envvar="LLMREADS_DB", help="Database file.", show_default=False)
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", envvar="LLMREADS_USER", help="Whose reading status and notes.")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Work through the key papers of large language models."""
    if user is not None and not user.strip():
        from llmreads import render

        render.error("--user must not be empty")
        raise typer.Exit(1)
    ctx.obj = State(db, user.strip() if user else None)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
SectionOpt = Annotated[
    str | None, typer.Option("--section", "-s", help="Section number (2 includes 2.1...) or title fragment.")
]
StarsOpt = Annotated[int | None, typer.Option("--stars", help="At least this many stars (0-5).")]
StatusOpt = Annotated[str | None, typer.Option("--status", help="unread, reading or read.")]
LimitOpt = Annotated[int | None, typer.Option("--limit", "-n", help="Show at most this many.")]
ListOpt = Annotated[str | None, typer.Option("--list", help="Only papers of this list.")]


def _filters(conn: sqlite3.Connection, section: str | None, stars: int | None, status: str | None,
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


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        from llmreads.errors import InvalidQuery

        raise InvalidQuery(f"--limit must be 1 or more, not {limit}")


@app.command("import")
def import_command(
    ctx: typer.Context,
    path: Annotated[str | None, typer.Argument(help="Markdown file, - for stdin; default the bundled list.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="List name (default: the document's title).")] = None,
) -> None:
    """Import a markdown paper list (re-importing updates it, keeping your statuses and notes)."""
    from llmreads import render

    report = import_path(state(ctx).conn(autoimport=False), path, name=name)
    render.import_report(report)


@app.command("list")
def list_command(
    ctx: typer.Context,
    section: SectionOpt = None,
    stars: StarsOpt = None,
    status: StatusOpt = None,
    list_name: ListOpt = None,
    sort: Annotated[str, typer.Option("--sort", help="list, stars or title.")] = "list",
    limit: LimitOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List papers, filtered by section, stars and reading status."""
    from llmreads import render, store
    from llmreads.errors import InvalidQuery

    _check_limit(limit)
    if sort not in store.SORTS:
        raise InvalidQuery(f"--sort must be one of {', '.join(store.SORTS)}, not {sort!r}")
    st = state(ctx)
    conn = st.conn()
    filters = _filters(conn, section, stars, status, list_name)
    rows = store.list_papers(conn, st.user, filters, sort=sort, limit=limit)
    if json_:
        render.emit_json(render.to_json(rows))
        return
    total = len(rows) if limit is None else store.count_papers(conn, st.user, filters)
    render.papers(rows, total=total, description=" · ".join(f.description for f in filters))


@app.command("search")
def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words to find.")],
    section: SectionOpt = None,
    stars: StarsOpt = None,
    status: StatusOpt = None,
    list_name: ListOpt = None,
    sort: Annotated[str, typer.Option("--sort", help="relevance, stars or list.")] = "relevance",
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="Show at most this many (default 20).")] = None,
    no_notes: Annotated[bool, typer.Option("--no-notes", help="Do not search your notes.")] = False,
    raw: Annotated[bool, typer.Option("--raw", help="Pass the query to SQLite FTS5 as it is.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Search titles, introductions, link texts and your notes, in English or Chinese.

    Words are ANDed: `lora 微调`. "an exact phrase" in quotes. a OR b.
    -word or NOT word leaves papers out. title:word looks in titles only.
    Short words match as prefixes: `transform` finds Transformers.
    Anything else is literal text; --raw passes FTS5 syntax through.
    """
    from llmreads import render, store
    from llmreads.errors import InvalidQuery

    _check_limit(limit)
    if sort not in ("relevance", "stars", "list"):
        raise InvalidQuery(f"--sort must be one of relevance, stars, list, not {sort!r}")
    st = state(ctx)
    conn = st.conn()
    filters = _filters(conn, section, stars, status, list_name)
    shown = limit if limit is not None or json_ else 20
    result = store.search(conn, st.user, query, filters, sort=sort, limit=shown, notes=not no_notes, raw=raw)
    if json_:
        render.emit_json(render.to_json(result.papers))
        return
    render.search_results(result, query=query)


@app.command("sections")
def sections_command(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the section tree with paper counts and your read counts."""
    from llmreads import render, store

    st = state(ctx)
    tree = store.sections_tree(st.conn(), st.user)
    if json_:
        render.emit_json(tree)
    else:
        render.sections(tree)


@app.command("show")
def show_command(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Paper id, arXiv id or a title fragment.")],
    json_: JsonOpt = False,
) -> None:
    """Show everything about one paper: sections, introductions, links, your status and notes."""
    from llmreads import render, store

    st = state(ctx)
    conn = st.conn()
    detail = store.paper_detail(conn, st.user, store.resolve_ref(conn, ref))
    if json_:
        render.emit_json(detail)
    else:
        render.paper(detail)


def _mark(ctx: typer.Context, refs: list[str], status: Status, json_: bool) -> None:
    from llmreads import render, store

    st = state(ctx)
    conn = st.conn()
    ids = list(dict.fromkeys(store.resolve_ref(conn, ref) for ref in refs))
    rows = store.set_status(conn, st.user, ids, status)
    if json_:
        render.emit_json(render.to_json(rows))
    else:
        render.status_changes(rows, status.value)


RefsArg = Annotated[list[str], typer.Argument(help="Paper ids, arXiv ids or title fragments.")]


@app.command("mark-read")
def mark_read(ctx: typer.Context, refs: RefsArg, json_: JsonOpt = False) -> None:
    """Mark papers as read."""
    _mark(ctx, refs, Status.read, json_)


@app.command("mark-reading")
def mark_reading(ctx: typer.Context, refs: RefsArg, json_: JsonOpt = False) -> None:
    """Mark papers as being read."""
    _mark(ctx, refs, Status.reading, json_)


@app.command("mark-unread")
def mark_unread(ctx: typer.Context, refs: RefsArg, json_: JsonOpt = False) -> None:
    """Mark papers as unread."""
    _mark(ctx, refs, Status.unread, json_)


@app.command("progress")
def progress_command(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show your reading progress per section and per star level."""
    from llmreads import render, store

    st = state(ctx)
    data = store.progress(st.conn(), st.user)
    if json_:
        render.emit_json(data)
    else:
        render.progress(data)


@app.command("lists")
def lists_command(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the imported lists."""
    from llmreads import render, store

    rows = store.lists(state(ctx).conn())
    if json_:
        render.emit_json(rows)
        return
    for row in rows:
        print(f"{row['name']}\t{row['papers']} papers\tupdated {row['updated'] or '-'}\t"
              f"imported {row['imported_at']}\t{row['source']}")


@note_app.command("add")
def note_add(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Paper id, arXiv id or a title fragment.")],
    text: Annotated[str, typer.Argument(help="The note.")],
) -> None:
    """Add a note to a paper."""
    from llmreads import store
    from llmreads.text import clean

    st = state(ctx)
    conn = st.conn()
    pid = store.resolve_ref(conn, ref)
    note_id = store.add_note(conn, st.user, pid, text)
    paper = store.paper_summary(conn, st.user, pid)
    print(f"Added note {note_id} to {paper.id}  {clean(paper.title)}")


@note_app.command("list")
def note_list(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="Only the notes on this paper.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List your notes, on one paper or on all."""
    from llmreads import render, store

    st = state(ctx)
    conn = st.conn()
    key = None
    if ref is not None:
        key = store.paper_summary(conn, st.user, store.resolve_ref(conn, ref)).key
    items = store.list_notes(conn, st.user, key)
    if json_:
        render.emit_json(items)
    else:
        render.notes(items)


@note_app.command("edit")
def note_edit(
    ctx: typer.Context,
    note_id: Annotated[int, typer.Argument(help="The note's number (see `note list`).")],
    text: Annotated[str | None, typer.Argument(help="New text; without it $EDITOR opens.")] = None,
) -> None:
    """Edit a note in $EDITOR (or give the new text)."""
    from llmreads import store

    st = state(ctx)
    conn = st.conn()
    note = store.get_note(conn, st.user, note_id)
    if text is None:
        edited = edit_in_editor(str(note["text"]))
        if edited.strip() == str(note["text"]).strip():
            print(f"Note {note_id} unchanged.")
            return
        text = edited
    store.update_note(conn, st.user, note_id, text)
    print(f"Updated note {note_id}.")


def edit_in_editor(text: str) -> str:
    """Let the user edit `text` in $VISUAL or $EDITOR; the edited text comes back."""
    import shlex
    import subprocess
    import tempfile

    from llmreads.errors import LlmreadsError

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "note.md"
        path.write_text(text + "\n", encoding="utf-8")
        try:
            code = subprocess.call([*shlex.split(editor), str(path)])
        except OSError as exc:
            raise LlmreadsError(f"cannot start editor {editor!r}: {exc.strerror}") from None
        if code != 0:
            raise LlmreadsError(f"editor {editor!r} exited with status {code}; note left as it was")
        return path.read_text(encoding="utf-8")


@note_app.command("delete")
def note_delete(
    ctx: typer.Context,
    note_id: Annotated[int, typer.Argument(help="The note's number (see `note list`).")],
) -> None:
    """Delete a note."""
    from llmreads import store

    st = state(ctx)
    store.delete_note(st.conn(), st.user, note_id)
    print(f"Deleted note {note_id}.")


def run() -> None:
    """Console-script entry point."""
    app()
