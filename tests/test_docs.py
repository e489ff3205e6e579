"""The README documents every command, as sqlite-utils' test_docs.py checks its docs.

The command tree is walked through Click's own API (list_commands and
get_command), so a command added to the app and left out of the README fails
here, whichever way commands come to be loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
import typer.main

from helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_paths() -> Iterator[tuple[str, ...]]:
    """Every visible command and subcommand of the full app, as the words that name it."""
    from llmreads.cli import app

    root = typer.main.get_command(app) if isinstance(app, typer.Typer) else app

    def walk(group, ctx, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:  # type: ignore[no-untyped-def]
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            if command.hidden:
                continue
            yield (*path, name)
            if hasattr(command, "list_commands"):
                yield from walk(command, command.context_class(command, parent=ctx, info_name=name), (*path, name))

    yield from walk(root, root.context_class(root, info_name="llmreads"), ())


COMMANDS = [" ".join(path) for path in command_paths()]


def documented(command: str) -> bool:
    """`llmreads COMMAND` anywhere (an example or a mention), or COMMAND opening inline code (`note edit ID`)."""
    words = re.escape(command) + r"(?![\w-])"
    return bool(re.search(r"llmreads " + words, README) or re.search(r"`" + words + r"[^`\n]*`", README))


def test_the_walk_finds_commands_and_subcommands():
    assert {"list", "mark-unread", "note", "note add", "db restore", "user-data import"} <= set(COMMANDS)
    assert len(COMMANDS) == len(set(COMMANDS))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command):
    assert documented(command), f"`llmreads {command}` appears nowhere in README.md"


def test_the_check_tells_a_missing_command():
    assert not documented("mark-everything")
    assert not documented("mark")  # `mark-read` does not document a command `mark`


def test_every_command_the_readme_runs_exists():
    # The tour's examples (`<!-- run: llmreads ... -->`, `$ llmreads ...`) name real commands.
    ran = re.findall(r"(?:<!-- run: |^\$ )(?:.*&& )?llmreads ((?:[a-z][\w-]*)(?: [a-z][\w-]*)?)", README, re.M)
    assert ran
    top = {command.split()[0] for command in COMMANDS}
    for words in ran:
        first, *rest = words.split()
        assert first in top, words
        if rest and any(command.startswith(first + " ") for command in COMMANDS):
            assert words in COMMANDS, words
