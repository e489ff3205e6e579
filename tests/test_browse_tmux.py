"""`llmreads browse` end to end in a real terminal: tmux runs it, keys are sent, the pane and the database are read.

.ci/run installs tmux; where it cannot be had the test is skipped.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

WAIT_S = 60.0  # a slow, loaded machine; the test takes a few seconds when all is well


class Terminal:
    """One tmux server of our own (its own socket), with one 80x24 window."""

    def __init__(self, tmp_path: Path) -> None:
        self.socket = f"llmreads-test-{os.getpid()}-{tmp_path.name}"

    def tmux(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, "-f", os.devnull, *args],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-x", "80", "-y", "24", command)

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", *(["-l"] if literal else []), *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


def wait_for(what: str, check: Callable[[], object], describe: Callable[[], str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"waited for {what}; found:\n{describe()}")
        time.sleep(0.1)


def test_browse_in_tmux_searches_marks_writes_a_note_in_the_editor_and_quits(tmp_path, cli):
    from helpers import json_out

    db = os.environ["LLMREADS_DB"]
    json_out(cli("list", "--limit", "1", "--json"))  # the database, with the bundled list
    done = tmp_path / "exit-status"
    command = (f"{shlex.quote(sys.executable)} -m llmreads browse; echo $? > {shlex.quote(str(done))}")
    terminal = Terminal(tmp_path)
    try:
        editor = shlex.quote("""sh -c 'printf "written in the editor" > "$1"' sh""")
        terminal.start(f"env LLMREADS_DB={shlex.quote(db)} LLMREADS_USER=alice EDITOR={editor} {command}")
        wait_for("the screen", lambda: "118 papers" in terminal.screen(), terminal.screen)
        screen = terminal.screen()
        assert "All lists  118 · 0✓" in screen and "LLM_Paper_Reading" in screen
        assert len(screen.splitlines()[0]) <= 80

        terminal.keys("/")
        terminal.keys("lora", literal=True)
        wait_for("the search", lambda: "2 matches for “lora”" in terminal.screen(), terminal.screen)
        terminal.keys("Enter")
        terminal.keys("r")
        wait_for("the status written", lambda: json_out(cli("list", "--status", "read", "--json")), terminal.screen)
        assert [paper["id"] for paper in json_out(cli("list", "--status", "read", "--json"))] == ["50f228"]
        wait_for("the read count", lambda: "All lists  118 · 1✓" in terminal.screen(), terminal.screen)

        # The paper another process marks is brought on screen first (a search), so that what is on the
        # list's first screen does not matter; the mark then shows without a key pressed.
        terminal.keys("Escape")
        wait_for("the search cleared", lambda: "118 papers" in terminal.screen(), terminal.screen)
        terminal.keys("/")
        terminal.keys("attention is all you need", literal=True)
        wait_for("the second search", lambda: "for “attention is all you need”" in terminal.screen()
                 and "Attention Is All You Need" in terminal.screen(), terminal.screen)
        terminal.keys("Enter")
        assert "▸  Attention Is All You Need" not in terminal.screen()
        cli("mark-reading", "1706.03762")  # another process; the screen picks it up by itself
        wait_for("the change made elsewhere", lambda: "▸  Attention Is All You Need" in terminal.screen(),
                 terminal.screen)

        terminal.keys("n")
        wait_for("the note screen", lambda: "Note on" in terminal.screen(), terminal.screen)
        terminal.keys("C-e")  # the editor (here a script) runs in the terminal, the screen put aside
        wait_for("the editor's text", lambda: "written in the editor" in terminal.screen(), terminal.screen)
        terminal.keys("C-s")
        wait_for("the note written", lambda: json_out(cli("note", "list", "--json")), terminal.screen)
        assert [note["text"] for note in json_out(cli("note", "list", "--json"))] == ["written in the editor"]

        terminal.keys("q")
        wait_for("the exit", done.exists, terminal.screen)
        assert done.read_text().strip() == "0"
    finally:
        terminal.close()
