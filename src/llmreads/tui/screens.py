"""Terminal UI layer, the screens over the main one: the keys (?), a note (n), the filters (f)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Select, Static, TextArea

from llmreads.tui.detail import literal

# The keys of the main screen, as the help screen and the README list them.
KEYS: list[tuple[str, str]] = [
    ("/", "search, as `llmreads search` does"),
    ("enter", "from the search: to the best hit"),
    ("escape", "clear the search"),
    ("↑ ↓ tab", "move; tab goes to the next pane"),
    ("r g u", "mark read, reading, unread"),
    ("1-5 0", "your stars for the paper; 0 clears them"),
    ("t", "your tags (words, space between)"),
    ("n", "a note (ctrl+s saves, ctrl+e: $EDITOR)"),
    ("o", "open the paper's link"),
    ("s", "sort: list, stars, title, yours, read;"),
    ("", "a search: relevance, stars, list"),
    ("f", "filter by stars, status and tag"),
    ("ctrl+r", "read everything again now"),
    ("ctrl+p", "commands, the theme (light, dark)"),
    ("?", "this help"),
    ("q", "quit"),
]


class HelpScreen(ModalScreen[None]):
    """Every key of the main screen."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        width = max(len(key) for key, _ in KEYS)
        lines = [Content.assemble((f"{key:<{width}}  ", "bold"), what) for key, what in KEYS]
        with VerticalScroll(id="help"):
            yield Static(Content("llmreads browse: keys"), classes="title")
            yield Static(Content("\n").join(lines))
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)


class NoteScreen(ModalScreen[str | None]):
    """A note on one paper: dismissed with its text on ctrl+s, with None when given up."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+e", "editor", "$EDITOR", priority=True),  # before the text area (its line end)
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, text: str = "", problem: str = "") -> None:
        super().__init__()
        self.paper_title = title
        self.text = text
        self.problem = problem
        self._warned = False

    def compose(self) -> ComposeResult:
        with Vertical(id="note"):
            yield Label(Content.assemble(("Note on ", "dim"), (literal(self.paper_title), "bold")))
            if self.problem:
                yield Label(Content(literal(self.problem)), id="note-problem")
            yield TextArea(self.text, id="note-text", soft_wrap=True)
        yield Footer()

    @property
    def area(self) -> TextArea:
        return self.query_one("#note-text", TextArea)

    def action_save(self) -> None:
        text = self.area.text
        if not text.strip():
            self.notify("A note needs some text; escape leaves without one.", severity="warning")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        # Text typed is not thrown away by one stray key.
        if self.area.text.strip() and not self._warned:
            self._warned = True
            self.notify("Escape again to leave without saving; ctrl+s saves.", severity="warning")
            return
        self.dismiss(None)

    def action_editor(self) -> None:
        """Edit the text in $VISUAL or $EDITOR, the screen put aside meanwhile."""
        variable, value = next(
            ((v, os.environ[v]) for v in ("VISUAL", "EDITOR") if os.environ.get(v)), ("EDITOR", "vi")
        )
        try:
            command = shlex.split(value)
        except ValueError:
            command = []
        if not command:
            self.notify(f"{variable} names no editor: {value!r}", severity="error")
            return
        folder = Path(tempfile.mkdtemp(prefix="llmreads-note-"))  # private (0700)
        path = folder / "note.md"
        path.write_text(self.area.text, encoding="utf-8")
        try:
            with self.app.suspend():
                code = subprocess.call([*command, str(path)])
        except Exception as exc:  # SuspendNotSupported (no terminal), an editor that cannot start
            self.notify(f"cannot run {variable} ({value}): {exc}", severity="error")
            return
        if code != 0:
            self.notify(f"{variable} ({value}) exited with status {code}; the text is kept in {path}", severity="error")
            return
        try:
            self.area.text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(f"cannot read {path}: {exc}", severity="error")
            return
        path.unlink()
        folder.rmdir()


STAR_CHOICES = [("any stars", 0), *((f"{n}+ ★", n) for n in range(1, 6))]
STATUS_CHOICES = [("any status", ""), ("unread", "unread"), ("reading", "reading"), ("read", "read")]


class FilterScreen(ModalScreen[tuple[int, str, str] | None]):
    """The filters over the tree's list or section: at least N stars, one status, one of your tags.

    Dismissed with (stars, status, tag); 0 and "" for none.
    """

    BINDINGS = [Binding("ctrl+s", "apply", "Apply"), Binding("escape", "cancel", "Cancel")]

    def __init__(self, stars: int, status: str, tag: str, tags: list[str]) -> None:
        super().__init__()
        self.stars, self.status, self.tag = stars, status, tag
        self.tags = tags if not tag or tag in tags else [tag, *tags]

    def compose(self) -> ComposeResult:
        with Vertical(id="filters"):
            yield Label("Filters (ctrl+s applies)")
            yield Select(STAR_CHOICES, value=self.stars, allow_blank=False, id="filter-stars")
            yield Select(STATUS_CHOICES, value=self.status, allow_blank=False, id="filter-status")
            yield Select([("any tag", ""), *((f"#{literal(tag)}", tag) for tag in self.tags)], value=self.tag,
                         allow_blank=False, id="filter-tag")
        yield Footer()

    def action_apply(self) -> None:
        stars = self.query_one("#filter-stars", Select).value
        status = self.query_one("#filter-status", Select).value
        tag = self.query_one("#filter-tag", Select).value
        self.dismiss((int(str(stars)), str(status), str(tag)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class TagScreen(ModalScreen[list[str] | None]):
    """Your tags of one paper, as words: dismissed with the tags (in their stored form) on enter, None on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, text: str, problem: str = "") -> None:
        super().__init__()
        self.paper_title, self.text, self.problem = title, text, problem

    def compose(self) -> ComposeResult:
        with Vertical(id="tags"):
            yield Label(Content.assemble(("Tags of ", "dim"), (literal(self.paper_title), "bold")))
            yield Label(Content("Words, a space between; enter saves."), classes="hint")
            yield Label(Content(literal(self.problem)), id="tags-problem")
            yield Input(self.text, id="tags-text")
        yield Footer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from llmreads.errors import InvalidQuery
        from llmreads.store.personal import normal_tag

        try:
            tags = list(dict.fromkeys(normal_tag(word) for word in event.value.split()))
        except InvalidQuery as exc:  # said here, the words kept
            self.query_one("#tags-problem", Label).update(Content(literal(str(exc))))
            return
        self.dismiss(tags)

    def action_cancel(self) -> None:
        self.dismiss(None)
