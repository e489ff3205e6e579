"""Notes kept safe: numbers never reused, edits that cannot be saved kept in a file, limits never cut."""

from __future__ import annotations

import shlex
import sqlite3
import sys
import tempfile
from pathlib import Path

import pytest

from helpers import assert_one_error, json_out, ok, snapshot
from llmreads.store import notes as notes_module

LORA = "lora"
ATTENTION = "1706.03762"


@pytest.fixture(autouse=True)
def _private_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Editor files go to a temporary folder of the test's own, so what is left there can be checked."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def leftovers(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "tmp").rglob("*") if p.is_file())


def editor(tmp_path: Path, body: str, name: str = "editor.py") -> str:
    """An EDITOR command running this Python body, with `path` the file to edit."""
    script = tmp_path / name
    prelude = "import os, subprocess, sys, pathlib\npath = pathlib.Path(sys.argv[1])\n"
    script.write_text(prelude + body, encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def llmreads_call(*args: str) -> str:
    """Python source that runs llmreads in a child process (the environment says which database)."""
    command = [sys.executable, "-m", "llmreads", *args]
    return f"subprocess.run({command!r}, check=True)\n"


def note_texts(cli) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return {n["id"]: n["text"] for n in json_out(cli("note", "list", "--json"))}


def kept_path(error: str) -> Path:
    """The file an error line says the edited text is kept in."""
    assert "kept in " in error, error
    return Path(error.split("kept in ", 1)[1].split()[0].rstrip(";,."))


@pytest.fixture
def listed(seeded):  # type: ignore[no-untyped-def]
    return seeded


# ---------------------------------------------------------------- numbers


def test_a_deleted_notes_number_is_never_given_again(cli, listed):
    ok(cli("note", "add", LORA, "first"))
    ok(cli("note", "add", LORA, "second"))
    assert ok(cli("note", "delete", "2")) == "Deleted note 2.\n"
    assert ok(cli("note", "add", ATTENTION, "third")).startswith("Added note 3 to ")
    ok(cli("note", "delete", "3"))
    ok(cli("note", "delete", "1"))
    assert ok(cli("note", "add", ATTENTION, "fourth")).startswith("Added note 4 to ")
    assert note_texts(cli) == {4: "fourth"}


def test_every_note_has_its_own_uuid(cli, listed, tmp_path):
    ok(cli("note", "add", LORA, "same text"))
    ok(cli("note", "add", LORA, "same text"))
    notes = json_out(cli("note", "list", "--json"))
    uuids = [n["uuid"] for n in notes]
    assert len(set(uuids)) == 2 and all(len(u) == 36 and u[14] == "4" for u in uuids)  # random (version 4)


@pytest.mark.parametrize("command", ["edit", "delete"])
def test_a_note_number_beyond_64_bits_is_a_usage_error(cli, listed, command):
    ok(cli("note", "add", LORA, "keep"))
    args = ["note", command, "99999999999999999999"] + (["text"] if command == "edit" else [])
    result = cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.exception is None or isinstance(result.exception, SystemExit)
    assert "note_id" in result.stderr.lower() and "99999999999999999999 is not in the range" in result.stderr
    assert note_texts(cli) == {1: "keep"}


# ---------------------------------------------------------------- edits that cannot be saved


def test_an_edit_saved_while_another_was_open_is_refused_and_kept(cli, listed, tmp_path, one_error):
    # The first editor stays open while a second `note edit` of the same note runs and saves.
    ok(cli("note", "add", LORA, "the original"))
    second = editor(tmp_path, "path.write_text('the second edit\\n', encoding='utf-8')\n", name="second.py")
    first = editor(
        tmp_path,
        "path.write_text('the first edit, saved last\\n', encoding='utf-8')\n"
        f"os.environ['EDITOR'] = {second!r}\n" + llmreads_call("note", "edit", "1"),
        name="first.py",
    )
    error = one_error(cli("note", "edit", "1", env={"EDITOR": first}))
    assert "note 1" in error and "changed" in error
    assert note_texts(cli) == {1: "the second edit"}  # the save that came first stays
    kept = kept_path(error)
    assert kept.read_text(encoding="utf-8") == "the first edit, saved last\n"  # the other is not lost
    assert leftovers(tmp_path) == [kept]


def test_an_edit_of_a_note_deleted_meanwhile_is_refused_and_kept(cli, listed, tmp_path, one_error):
    # What used to overwrite another paper's note: the number is freed and taken again while editing.
    ok(cli("note", "add", LORA, "the original"))
    body = (
        "path.write_text('a slow edit\\n', encoding='utf-8')\n"
        + llmreads_call("note", "delete", "1")
        + llmreads_call("note", "add", ATTENTION, "a newer note on another paper")
    )
    error = one_error(cli("note", "edit", "1", env={"EDITOR": editor(tmp_path, body)}))
    assert "note 1" in error and "deleted" in error
    assert note_texts(cli) == {2: "a newer note on another paper"}
    assert kept_path(error).read_text(encoding="utf-8") == "a slow edit\n"


def test_an_edit_of_a_note_changed_by_a_user_data_import_is_refused(cli, listed, tmp_path, one_error):
    ok(cli("note", "add", LORA, "the original"))
    note = json_out(cli("note", "list", "--json"))[0]
    import json

    data = {"format": "llmreads-user-data", "version": 1, "users": {"alice": {"notes": [
        {"key": note["key"], "uuid": note["uuid"], "text": "edited on the laptop",
         "created_at": note["created_at"], "updated_at": "2999-01-01T00:00:00+00:00"},
    ]}}}
    incoming = tmp_path / "laptop.json"
    incoming.write_text(json.dumps(data), encoding="utf-8")
    body = "path.write_text('edited here\\n', encoding='utf-8')\n" + llmreads_call("user-data", "import", str(incoming))
    error = one_error(cli("note", "edit", "1", env={"EDITOR": editor(tmp_path, body)}))
    assert "note 1" in error and "changed" in error
    assert note_texts(cli) == {1: "edited on the laptop"}
    assert kept_path(error).read_text(encoding="utf-8") == "edited here\n"


def test_a_successful_edit_leaves_no_file_behind(cli, listed, tmp_path):
    ok(cli("note", "add", LORA, "before"))
    assert ok(cli("note", "edit", "1", env={"EDITOR": editor(tmp_path, "path.write_text('after')\n")})) == (
        "Updated note 1.\n"
    )
    assert note_texts(cli) == {1: "after"}
    assert leftovers(tmp_path) == []


def test_an_editor_saving_bytes_that_are_not_utf8_keeps_the_file(cli, listed, tmp_path, one_error):
    ok(cli("note", "add", LORA, "before"))
    body = "path.write_bytes('café in Latin-1\\n'.encode('latin-1'))\n"
    error = one_error(cli("note", "edit", "1", env={"EDITOR": editor(tmp_path, body)}))
    assert "not UTF-8" in error and "note 1" in error
    assert kept_path(error).read_bytes() == "café in Latin-1\n".encode("latin-1")
    assert note_texts(cli) == {1: "before"}


def test_an_edit_over_the_length_limit_is_refused_and_kept(cli, listed, tmp_path, one_error, monkeypatch):
    monkeypatch.setattr(notes_module, "MAX_NOTE_CHARS", 50)
    ok(cli("note", "add", LORA, "before"))
    body = "path.write_text('x' * 51, encoding='utf-8')\n"
    error = one_error(cli("note", "edit", "1", env={"EDITOR": editor(tmp_path, body)}))
    assert "too long" in error and "50" in error
    assert kept_path(error).read_text(encoding="utf-8") == "x" * 51
    assert note_texts(cli) == {1: "before"}
    # At the limit: stored whole.
    ok(cli("note", "edit", "1", env={"EDITOR": editor(tmp_path, "path.write_text('y' * 50, encoding='utf-8')\n")}))
    assert note_texts(cli) == {1: "y" * 50}


@pytest.mark.parametrize(("variable", "value"), [("EDITOR", "vim '"), ("VISUAL", 'code "--wait'), ("EDITOR", "   ")])
def test_an_editor_command_that_cannot_be_parsed_is_one_error(cli, listed, tmp_path, one_error, variable, value):
    ok(cli("note", "add", LORA, "before"))
    before = snapshot(tmp_path / "llmreads.db")
    error = one_error(cli("note", "edit", "1", env={variable: value}))
    assert variable in error
    assert snapshot(tmp_path / "llmreads.db") == before
    assert leftovers(tmp_path) == []


def test_an_editor_that_cannot_be_found_or_fails_changes_nothing(cli, listed, tmp_path, one_error):
    ok(cli("note", "add", LORA, "before"))
    before = snapshot(tmp_path / "llmreads.db")
    missing = one_error(cli("note", "edit", "1", env={"EDITOR": str(tmp_path / "no-such-editor")}))
    assert "no-such-editor" in missing and "EDITOR" in missing
    aborted = one_error(cli("note", "edit", "1", env={"EDITOR": editor(tmp_path, "sys.exit(1)\n")}))
    assert "status 1" in aborted and "note 1" in aborted
    assert snapshot(tmp_path / "llmreads.db") == before
    assert leftovers(tmp_path) == []  # nothing was typed: nothing to keep
    # An editor that failed after the text was changed: the text is kept, the note is not changed.
    crashing = editor(tmp_path, "path.write_text('typed')\nsys.exit(2)\n")
    crashed = one_error(cli("note", "edit", "1", env={"EDITOR": crashing}))
    assert kept_path(crashed).read_text(encoding="utf-8") == "typed"
    assert snapshot(tmp_path / "llmreads.db") == before


# ---------------------------------------------------------------- the length limit


def test_a_note_from_stdin_over_the_limit_is_refused_after_leading_whitespace(cli, listed, one_error, monkeypatch):
    monkeypatch.setattr(notes_module, "MAX_NOTE_CHARS", 50)
    error = one_error(cli("note", "add", LORA, "-", input="\n   " + "y" * 55 + "\n"))
    assert "too long" in error and "50" in error
    assert note_texts(cli) == {}
    # At the limit, with whitespace all around: accepted whole.
    ok(cli("note", "add", LORA, "-", input=" \n" * 40 + "z" * 50 + "\n" * 40))
    assert note_texts(cli) == {1: "z" * 50}


@pytest.mark.parametrize("text", ["w" * 50, "  " + "w" * 49, "\t" * 50 + "v" * 50, "a" + " " * 48 + "b\n\n", "x" * 51])
def test_a_note_from_stdin_is_stored_whole_or_refused(cli, listed, monkeypatch, text):
    monkeypatch.setattr(notes_module, "MAX_NOTE_CHARS", 50)
    result = cli("note", "add", LORA, "-", input=text)
    if len(text.strip()) <= 50:
        ok(result)
        assert note_texts(cli) == {1: text.strip()}
    else:
        assert "too long" in assert_one_error(result)
        assert note_texts(cli) == {}


def test_ids_in_the_index_are_the_note_ids(cli, listed, tmp_path):
    for i in range(4):
        ok(cli("note", "add", LORA, f"quokka {i}"))
    ok(cli("note", "delete", "4"))
    ok(cli("note", "add", LORA, "quokka again"))
    conn = sqlite3.connect(tmp_path / "llmreads.db")
    try:
        assert dict(conn.execute("SELECT rowid, body FROM notes_fts")) == {
            1: "quokka 0", 2: "quokka 1", 3: "quokka 2", 5: "quokka again"
        }
    finally:
        conn.close()


def test_an_edit_interrupted_while_saving_keeps_the_text(cli, listed, tmp_path, monkeypatch):
    ok(cli("note", "add", LORA, "before"))

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(notes_module, "update_note", interrupted)
    result = cli("note", "edit", "1", env={"EDITOR": editor(tmp_path, "path.write_text('typed, then Ctrl-C')\n")})
    assert result.exit_code != 0
    (kept,) = leftovers(tmp_path)
    assert kept.read_text(encoding="utf-8") == "typed, then Ctrl-C"
    assert f"note 1 not saved: your text is kept in {kept}" in result.stderr
    assert note_texts(cli) == {1: "before"}
