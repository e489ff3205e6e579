"""Commands that change the user's reading: mark-read, mark-reading, mark-unread and notes."""


import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from llmreads.app import (
    Group,
    JsonOpt,
    RefArg,
    RefsArg,
    app,
    state,
)
from llmreads.dates import DateOpt
from llmreads.errors import LlmreadsError

if TYPE_CHECKING:
    import sqlite3

note_app = typer.Typer(cls=Group, help="Add, list, edit and delete your notes on papers.", no_args_is_help=True)
app.add_typer(note_app, name="note")


def _mark(ctx: typer.Context, refs: list[str], status: str, json_: bool, at: str | None = None) -> None:
    from llmreads import render
    from llmreads.store.tracking import set_status

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    ids = list(dict.fromkeys(resolve_refs(conn, refs, f"marked {status}")))
    rows = set_status(conn, st.user, ids, status, at)
    if json_:
        render.emit_json(render.to_json(rows))
    else:
        render.status_changes(rows, status)


def resolve_refs(conn: "sqlite3.Connection", refs: list[str], done: str) -> list[int]:
    """Every paper `refs` name, or, when any of them names none or several, one error naming each of those.

    All or nothing: a command that takes several papers changes none of them
    unless each is known; `done` says what was not done ("marked read").
    """
    from llmreads.errors import Ambiguous, NotFound
    from llmreads.store.papers import resolve_ref

    ids: list[int] = []
    failed: list[LlmreadsError] = []
    for ref in refs:
        try:
            ids.append(resolve_ref(conn, ref))
        except (NotFound, Ambiguous) as exc:
            failed.append(exc)
    if not failed:
        return ids
    if len(refs) == 1:
        raise failed[0]
    message = "; ".join(map(str, failed)) + f"; none of the {len(refs)} papers was {done}"
    ambiguous = [exc for exc in failed if isinstance(exc, Ambiguous)]
    if ambiguous:
        raise Ambiguous(message, ambiguous[0].candidates)
    raise NotFound(message)


@app.command("mark-read")
def mark_read(ctx: typer.Context, refs: RefsArg, date: DateOpt = None, json_: JsonOpt = False) -> None:
    """Mark papers as read."""
    _mark(ctx, refs, "read", json_, date)


@app.command("mark-reading")
def mark_reading(ctx: typer.Context, refs: RefsArg, date: DateOpt = None, json_: JsonOpt = False) -> None:
    """Mark papers as being read."""
    _mark(ctx, refs, "reading", json_, date)


@app.command("mark-unread")
def mark_unread(ctx: typer.Context, refs: RefsArg, date: DateOpt = None, json_: JsonOpt = False) -> None:
    """Mark papers as unread."""
    _mark(ctx, refs, "unread", json_, date)


@app.command("users")
def users_command(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """The users in this database and each one's progress."""
    from llmreads import render
    from llmreads.store.tracking import users

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    rows = users(conn)
    if json_:
        render.emit_json(rows)
    else:
        render.users(rows)


NoteIdArg = Annotated[
    # A number SQLite can hold: beyond that Click's usage error, not an overflow deep in the store.
    int, typer.Argument(help="The note's number (see `note list`).", min=1, max=2**63 - 1, show_default=False)
]


@note_app.command("add")
def note_add(
    ctx: typer.Context,
    ref: RefArg,
    words: Annotated[
        list[str] | None,
        typer.Argument(
            help="The note, no quotes needed; - reads it from stdin; without it $EDITOR opens.",
            metavar="[TEXT]...", show_default=False,
        ),
    ] = None,
) -> None:
    """Add a note to a paper (the text, - for stdin, or none to write it in $EDITOR)."""
    import sys

    from llmreads import render
    from llmreads.store.notes import MAX_NOTE_CHARS, add_note
    from llmreads.store.papers import paper_summary, resolve_ref

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    pid = resolve_ref(conn, ref)  # an unknown paper is named before any editor opens
    if words == ["-"]:
        note_id = add_note(conn, st.user, pid, read_note(sys.stdin, MAX_NOTE_CHARS))
    elif words:
        note_id = add_note(conn, st.user, pid, " ".join(words))
    else:
        variable, command = editor_command()
        draft = _Draft(None, "", name=f"new-note-{pid}.md")
        try:
            text = draft.edit(variable, command)
            if not text.strip():
                draft.discard()
                render.info("no note added: the note was left empty")
                return
            note_id = add_note(conn, st.user, pid, text)
        except LlmreadsError as exc:
            raise draft.refused(str(exc)) from None
        except BaseException:  # Ctrl-C, or a bug: what was typed is not thrown away
            if draft.keep_if_typed():
                render.info(f"no note added: your text is kept in {draft.path}")
            raise
        draft.discard()
    paper = paper_summary(conn, st.user, pid)
    render.note_added(note_id, paper.id, paper.title)


def read_note(stream: TextIO, limit: int) -> str:
    """A note's text from a stream, whole; past `limit` characters (whitespace around aside) refused, never cut."""
    from llmreads.errors import InvalidQuery

    too_long = f"a note of more than {limit:,} characters is too long; the limit is {limit:,}"
    parts: list[str] = []
    read = size = trailing = 0  # characters read; kept (from the first non-space); of those, trailing spaces
    while chunk := stream.read(1 << 16):
        read += len(chunk)
        if read > 2 * limit + (1 << 20):  # so much whitespace around a note is no note: stop reading
            raise InvalidQuery(too_long)
        if not parts:
            chunk = chunk.lstrip()
            if not chunk:
                continue
        parts.append(chunk)
        size += len(chunk)
        body = chunk.rstrip()
        trailing = trailing + len(chunk) if not body else len(chunk) - len(body)
        if size - trailing > limit:
            raise InvalidQuery(too_long)
    return "".join(parts)


@note_app.command("list")
def note_list(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="Only the notes on this paper.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Every line of each note (else the first three).")] = False,
    json_: JsonOpt = False,
) -> None:
    """List your notes, on one paper or on all."""
    from llmreads import render
    from llmreads.store.notes import list_notes
    from llmreads.store.papers import paper_summary, resolve_ref

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    key = None
    if ref is not None:
        key = paper_summary(conn, st.user, resolve_ref(conn, ref)).key
    items = list_notes(conn, st.user, key)
    if json_:
        render.emit_json(items)
    else:
        render.notes(items, full=full)


@note_app.command("edit")
def note_edit(
    ctx: typer.Context,
    note_id: NoteIdArg,
    words: Annotated[
        list[str] | None,
        typer.Argument(help="New text, no quotes needed; without it $EDITOR opens.", metavar="[TEXT]...",
                       show_default=False),
    ] = None,
) -> None:
    """Edit a note in $EDITOR (or give the new text)."""
    from llmreads import render
    from llmreads.store.notes import get_note, update_note

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    note = get_note(conn, st.user, note_id)
    if words:
        text = " ".join(words)
        update_note(conn, st.user, note_id, text)
        render.note_updated(note_id)
        return
    variable, command = editor_command()
    draft = _Draft(note_id, note.text)
    try:
        edited = draft.edit(variable, command)
        if edited.strip() == note.text.strip():
            draft.discard()
            render.note_unchanged(note_id)
            return
        # Saved only if the note is still the one opened: another edit, a delete or a
        # user-data import meanwhile is not overwritten; the text stays in the file.
        update_note(conn, st.user, note_id, edited, opened=note)
    except LlmreadsError as exc:
        raise draft.refused(str(exc)) from None
    except BaseException:  # Ctrl-C, or a bug: still, what was typed is not thrown away
        if draft.keep_if_typed():
            render.info(f"note {note_id} not saved: your text is kept in {draft.path}")
        raise
    draft.discard()
    render.note_updated(note_id)


def editor_command() -> tuple[str, list[str]]:
    """The editor command in $VISUAL or $EDITOR (vi if neither), split as a shell would, and which variable it is."""
    import shlex

    variable, value = next(((v, os.environ[v]) for v in ("VISUAL", "EDITOR") if os.environ.get(v)), ("EDITOR", "vi"))
    try:
        words = shlex.split(value)
    except ValueError as exc:
        raise LlmreadsError(f"cannot read the editor command in {variable} ({value!r}): {exc}") from None
    if not words:
        raise LlmreadsError(f"{variable} ({value!r}) names no editor")
    return variable, words


class _Draft:
    """The file a note is edited in, in a private temporary folder.

    Removed once the edit is saved or nothing was typed; otherwise kept, and
    the refusal names it, so an edit that cannot be saved is never lost.
    """

    def __init__(self, note_id: int | None, text: str, name: str | None = None) -> None:
        import tempfile

        self.note_id = note_id
        # What an editor that fails leaves: the note as it was, or (a new note) no note.
        self.outcome = "no note added" if note_id is None else f"note {note_id} left as it was"
        self.original = (text + "\n").encode("utf-8") if text else b""
        folder = Path(tempfile.mkdtemp(prefix="llmreads-note-"))  # mkdtemp: mode 0700
        self.path = folder / (name or f"note-{note_id}.md")
        self.path.write_bytes(self.original)

    def edit(self, variable: str, command: list[str]) -> str:
        import subprocess

        try:
            code = subprocess.call([*command, str(self.path)])
        except OSError as exc:
            raise LlmreadsError(
                f"cannot start editor {command[0]!r} ({variable}): {exc.strerror}; {self.outcome}"
            ) from None
        if code != 0:
            raise LlmreadsError(
                f"editor {' '.join(command)!r} ({variable}) exited with status {code};"
                f" {self.outcome}"
            )
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise LlmreadsError(f"cannot read the edited note {self.path}: {exc.strerror}") from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            edited = "new note" if self.note_id is None else f"note {self.note_id}"
            raise LlmreadsError(f"the edited {edited} is not UTF-8 text (byte {exc.start})") from None

    def typed(self) -> bool:
        """Whether the file holds something of the user's: changed, and not emptied."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return False
        return data != self.original and bool(data.strip())

    def keep_if_typed(self) -> bool:
        if self.typed():
            return True
        self.discard()
        return False

    def refused(self, message: str) -> LlmreadsError:
        if self.keep_if_typed():
            message += f"; not saved: your text is kept in {self.path}"
        return LlmreadsError(message)

    def discard(self) -> None:
        import shutil

        shutil.rmtree(self.path.parent, ignore_errors=True)


@note_app.command("delete")
def note_delete(ctx: typer.Context, note_id: NoteIdArg) -> None:
    """Delete a note."""
    from llmreads import render
    from llmreads.store.notes import delete_note

    st = state(ctx)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    delete_note(conn, st.user, note_id)
    render.note_deleted(note_id)


