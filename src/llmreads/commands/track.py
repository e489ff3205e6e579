"""Commands that change the user's reading: mark-read, mark-reading, mark-unread and notes."""


import os
from pathlib import Path
from typing import Annotated

import typer

from llmreads.app import (
    Group,
    JsonOpt,
    RefArg,
    RefsArg,
    app,
    state,
)

note_app = typer.Typer(cls=Group, help="Add, list, edit and delete your notes on papers.", no_args_is_help=True)
app.add_typer(note_app, name="note")


def _mark(ctx: typer.Context, refs: list[str], status: str, json_: bool) -> None:
    from llmreads import render, store

    st = state(ctx)
    conn = st.conn()
    ids = list(dict.fromkeys(store.resolve_ref(conn, ref) for ref in refs))
    rows = store.set_status(conn, st.user, ids, status)
    if json_:
        render.emit_json(render.to_json(rows))
    else:
        render.status_changes(rows, status)


@app.command("mark-read")
def mark_read(ctx: typer.Context, refs: RefsArg, json_: JsonOpt = False) -> None:
    """Mark papers as read."""
    _mark(ctx, refs, "read", json_)


@app.command("mark-reading")
def mark_reading(ctx: typer.Context, refs: RefsArg, json_: JsonOpt = False) -> None:
    """Mark papers as being read."""
    _mark(ctx, refs, "reading", json_)


@app.command("mark-unread")
def mark_unread(ctx: typer.Context, refs: RefsArg, json_: JsonOpt = False) -> None:
    """Mark papers as unread."""
    _mark(ctx, refs, "unread", json_)


@app.command("users")
def users_command(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """The users in this database and each one's progress."""
    from llmreads import render, store

    rows = store.users(state(ctx).conn())
    if json_:
        render.emit_json(rows)
    else:
        render.users(rows)


@note_app.command("add")
def note_add(
    ctx: typer.Context,
    ref: RefArg,
    text: Annotated[str, typer.Argument(help="The note; - reads it from stdin (for long notes).")],
) -> None:
    """Add a note to a paper."""
    import sys

    from llmreads import store
    from llmreads.text import clean

    if text == "-":
        text = sys.stdin.read(store.MAX_NOTE_CHARS + 1)
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


