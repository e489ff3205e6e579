"""The command line as people type it, through the installed `llmreads` run as a process.

Free text without quotes, `-word` as query text, `--` ending the options,
root options after the command, help with no arguments, and a note written
in $EDITOR or read from stdin.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from processes import run


def ids(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return [row["id"] for row in json.loads(result.stdout)]


def test_search_words_need_no_quotes(seeded):
    assert ids(run("search", "low", "rank", "--json")) == ids(run("search", "low rank", "--json"))
    assert "50f228" in ids(run("search", "low", "rank", "--json"))


def test_a_dash_word_is_query_text_not_an_option(seeded):
    with_flash = set(ids(run("search", "attention", "--json")))
    without = set(ids(run("search", "attention", "-flash", "--json")))
    assert without == set(ids(run("search", "attention -flash", "--json")))
    assert without < with_flash  # the papers that say "flash" are left out, not an error about -f


def test_a_word_that_starts_like_a_short_option_is_text(seeded):
    # -n is --limit: -nlp is still a word of the query (NOT nlp), never "-n lp".
    result = run("search", "language", "-nlp", "--json")
    assert ids(result) == ids(run("search", "language -nlp", "--json"))


def test_double_dash_ends_the_options(seeded):
    assert ids(run("search", "--json", "--", "lora", "-peft")) == ids(run("search", "lora -peft", "--json"))
    # after --, an option's name is text too
    result = run("search", "--", "lora", "--json")
    assert result.returncode == 0
    assert not result.stdout.lstrip().startswith("[")


def test_options_between_the_words_are_still_options(seeded):
    result = run("search", "low", "--limit", "1", "rank", "--json")
    assert ids(result) == ["50f228"]


def test_an_unknown_double_dash_option_is_still_a_usage_error_naming_it(seeded):
    result = run("search", "lora", "--stras", "4")
    assert result.returncode == 2
    assert "No such option: --stras" in result.stderr
    assert "--stars" in result.stderr  # the suggestion


def test_a_command_without_free_text_reports_an_unknown_short_option(seeded):
    result = run("list", "-x")
    assert result.returncode == 2
    assert "No such option: -x" in result.stderr


def test_an_empty_query_is_a_usage_error_naming_the_query(seeded):
    for query in ("", "   "):
        result = run("search", query)
        assert result.returncode == 2, result.stdout
        assert "QUERY" in result.stderr and "empty" in result.stderr
        assert "No papers match" not in result.stderr + result.stdout


def test_no_arguments_prints_the_help_and_succeeds():
    result = run()
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: llmreads")
    assert "search" in result.stdout
    group = run("note")
    assert group.returncode == 0 and "add" in group.stdout


@pytest.mark.parametrize("args", [
    ["progress", "--user", "bob", "--json"],
    ["progress", "--json", "--user=bob"],
    ["--user", "carol", "progress", "--json", "--user", "bob"],  # the last one wins, as for any option
])
def test_user_after_the_command(seeded, args):
    run("--user", "bob", "mark-read", "lora")
    result = run(*args)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"]["read"] == 1


def test_db_and_colour_after_the_command(seeded, tmp_path):
    other = tmp_path / "other.db"
    shutil.copyfile(seeded, other)
    run("--db", str(other), "mark-read", "lora")
    result = run("list", "--status", "read", "--json", "--db", str(other), "--no-color")
    assert ids(result) == ["50f228"]
    assert ids(run("list", "--status", "read", "--json")) == []
    coloured = run("list", "--stars", "5", "--color")
    assert coloured.returncode == 0 and "\x1b[" in coloured.stdout


def test_global_options_after_a_subcommand_of_a_group(seeded):
    added = run("note", "add", "lora", "rank", "8", "--user", "bob")
    assert added.returncode == 0, added.stderr
    listed = run("note", "list", "--json", "--user", "bob")
    assert [n["text"] for n in json.loads(listed.stdout)] == ["rank 8"]
    assert json.loads(run("note", "list", "--json").stdout) == []


def test_note_add_joins_the_words(seeded):
    result = run("note", "add", "lora", "this", "is", "-great", "--", "--json")
    assert result.returncode == 0, result.stderr
    notes = json.loads(run("note", "list", "--json").stdout)
    assert [n["text"] for n in notes] == ["this is -great --json"]


def test_note_add_dash_reads_stdin(seeded):
    result = run("note", "add", "lora", "-", input="line one\nline two\n")
    assert result.returncode == 0, result.stderr
    notes = json.loads(run("note", "list", "--json").stdout)
    assert notes[0]["text"].splitlines() == ["line one", "line two"]


def test_note_add_without_text_opens_the_editor(seeded, tmp_path):
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "written in the editor\\nsecond line\\n" > "$1"\n')
    editor.chmod(0o755)
    result = run("note", "add", "lora", env={"EDITOR": str(editor)})
    assert result.returncode == 0, result.stderr
    notes = json.loads(run("note", "list", "--json").stdout)
    assert [n["text"].splitlines() for n in notes] == [["written in the editor", "second line"]]


def test_note_add_with_an_editor_left_empty_adds_nothing(seeded):
    result = run("note", "add", "lora", env={"EDITOR": "true"})
    assert result.returncode == 0, result.stderr
    assert "no note added" in result.stderr
    assert json.loads(run("note", "list", "--json").stdout) == []


def test_note_add_names_an_unknown_paper_before_opening_the_editor(seeded, tmp_path):
    marker = tmp_path / "opened"
    result = run("note", "add", "no-such-paper-xyz", env={"EDITOR": f"touch {marker}"})
    assert result.returncode == 1
    assert "no-such-paper-xyz" in result.stderr
    assert not marker.exists()


def test_note_edit_joins_the_words(seeded):
    run("note", "add", "lora", "first")
    result = run("note", "edit", "1", "second", "-version")
    assert result.returncode == 0, result.stderr
    assert [n["text"] for n in json.loads(run("note", "list", "--json").stdout)] == ["second -version"]


def test_mark_read_takes_a_ref_that_starts_with_a_dash_as_a_ref(seeded):
    result = run("mark-read", "-zzz-no-such")
    assert result.returncode == 1
    assert "-zzz-no-such" in result.stderr
