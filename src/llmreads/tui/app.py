"""Terminal UI layer, the screen: the section tree, the papers of a section or a search, the selected paper.

Reads run on the screen's connection, each through the store function the
matching command calls, so the screen shows what `sections`, `list`,
`search` and `show` print. Changes go to the Writer (one transaction each,
through set_status and add_note). The screen polls `PRAGMA data_version`,
which changes when any other connection commits (the writer's, or another
llmreads process's), and then reads everything again, keeping the selection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text  # Textual's Tree takes its labels as Rich Text (a str would be read as markup)
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Footer, Input, Static, Tree
from textual.widgets.data_table import ColumnKey
from textual.widgets.tree import TreeNode

from llmreads.errors import InvalidQuery, LlmreadsError, NotFound
from llmreads.store.papers import PaperRow
from llmreads.tui.detail import STATUS_MARK, gone, literal, paper_content, stars
from llmreads.tui.screens import FilterScreen, HelpScreen, NoteScreen, TagScreen
from llmreads.tui.writer import Writer

if TYPE_CHECKING:
    from llmreads.store.reports import SectionProgress

ROW_LIMIT = 1000  # rows in the table at once; the count above it says how many match in all
POLL_S = 1.0  # how often the screen looks for changes made elsewhere
LIST_SORTS = ("list", "stars", "title", "my-stars", "read")  # store.papers.SORTS; read: most recently read first
SEARCH_SORTS = ("relevance", "stars", "list")
NARROW = 60  # below this width, stars as "4★" and no id column
# The screen searches as the user types, on one connection: it keeps 32 MiB of the file's pages rather than SQLite's
# 2 MiB, so that a search after the first reads the index from memory (扩散模型 at 100,000 papers with abstracts
# 8.7 ms against 13.5). A command, which searches once, keeps the default (store.search).
BROWSE_CACHE_KIB = 32 * 1024


class PapersTable(DataTable[Any]):
    """The papers; its title column takes the width the table gets, whatever the layout gives it."""

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        app = self.app
        if isinstance(app, BrowseApp):
            app.fit_columns()


@dataclass(frozen=True)
class Scope:
    """What the tree has selected: every paper, one list, or one section of a list."""

    list_name: str | None = None
    section: str | None = None  # a section number, as section_filter takes it
    label: str = "all papers"


class BrowseApp(App[None]):
    """`llmreads browse`."""

    TITLE = "llmreads"
    CSS = """
    Screen { layout: vertical; }
    #search { height: 1; border: none; padding: 0 1; background: $boost; }
    #search:focus { background: $surface-lighten-1; }
    #count { height: 1; padding: 0 1; color: $text-muted; }
    #body { height: 1fr; }
    #sections { width: 28; min-width: 16; overflow-x: hidden; border-right: vkey $border-blurred; }
    #right { width: 1fr; }
    #papers { height: 1fr; }
    #detail { padding: 0 1; }
    /* Wide: three panes side by side. */
    Screen.-wide #body { layout: horizontal; }
    Screen.-wide #right { layout: horizontal; }
    Screen.-wide #papers { width: 3fr; height: 1fr; }
    Screen.-wide #detail { width: 2fr; height: 1fr; border-left: vkey $border-blurred; }
    /* Medium: the tree beside the papers, the paper below them. */
    Screen.-medium #body { layout: horizontal; }
    Screen.-medium #right { layout: vertical; }
    Screen.-medium #papers { height: 1fr; }
    Screen.-medium #detail { height: 1fr; border-top: hkey $border-blurred; }
    /* Narrow: everything stacked. */
    Screen.-narrow #body { layout: vertical; }
    Screen.-narrow #sections { width: 1fr; height: 6; border-right: none; border-bottom: hkey $border-blurred; }
    Screen.-narrow #right { layout: vertical; height: 1fr; }
    Screen.-narrow #papers { height: 1fr; }
    Screen.-narrow #detail { height: 1fr; border-top: hkey $border-blurred; }
    #help, #note, #filters, #tags { width: 80%; max-width: 90; height: 80%; background: $panel; padding: 1 2; }
    ModalScreen { align: center middle; }
    #help .title { text-style: bold; margin-bottom: 1; }
    #note-text { height: 1fr; }
    #note-problem { color: $error; }
    #filters, #tags { height: auto; }
    #tags-problem { color: $error; }
    """
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"), (NARROW, "-medium"), (120, "-wide")
    ]
    # Priority bindings: the app sees each key before the focused widget, so the keys typed
    # right after one that moves the focus (`/lora`, `enter r`, quickly or pasted) go where
    # it moved; check_action passes a key on to the search box or a dialog that takes it.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", priority=True),
        Binding("enter", "submit_search", "Results", show=False, priority=True),
        Binding("escape", "clear_search", "Clear", show=False, priority=True),
        Binding("r", "mark('read')", "Read", priority=True),
        Binding("g", "mark('reading')", "Reading", priority=True),
        Binding("u", "mark('unread')", "Unread", show=False, priority=True),  # the footer is full at 80 columns
        Binding("n", "note", "Note", priority=True),
        Binding("t", "tags", "Tags", priority=True),
        *(Binding(str(n), f"rate({n})", f"{n}★" if n else "no ★", show=False, priority=True) for n in range(6)),
        Binding("o", "open", "Open", priority=True),
        Binding("s", "sort", "Sort", priority=True),
        Binding("f", "filters", "Filter", priority=True),
        Binding("ctrl+r", "refresh", "Refresh", show=False, priority=True),
        Binding("question_mark", "help", "Help", priority=True),
        Binding("q", "quit", "Quit", priority=True),
    ]
    TYPING_ACTIONS = frozenset({"submit_search", "clear_search", "refresh"})  # the keys the search box leaves to us
    OWN_ACTIONS = frozenset({
        "focus_search", "submit_search", "clear_search", "mark", "note", "tags", "rate", "open", "sort", "filters",
        "refresh", "help", "quit",
    })

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in self.OWN_ACTIONS:
            return True
        if len(self.screen_stack) > 1:
            return False  # a dialog is open: its keys are its own
        typing = isinstance(self.focused, Input)
        if action == "submit_search":
            return typing
        return not typing or action in self.TYPING_ACTIONS

    def __init__(
        self,
        conn: sqlite3.Connection,
        user: str,
        db_path: Path,
        *,
        list_name: str | None = None,
        section: str | None = None,
        stars: int | None = None,
        status: str | None = None,
        tag: str | None = None,
        query: str = "",
        glossary_terms: Sequence[Sequence[str]] = (),
        poll: bool = True,
    ) -> None:
        super().__init__()
        self.conn = conn
        conn.execute(f"PRAGMA cache_size = {-BROWSE_CACHE_KIB}")
        self.user = user
        self.writer = Writer(db_path, on_wait=self._waiting)
        self.start_list = list_name
        self.start_section = section
        self.min_stars = stars or 0
        self.status_filter = status or ""
        self.tag = tag or ""
        self.glossary_terms = glossary_terms
        self.query_text = query
        self.poll = poll
        self.scope = Scope(list_name, None, f"list {list_name}" if list_name else "all papers")
        self.sorts = {"list": 0, "search": 0}
        self.rows: list[PaperRow] = []
        self.total = 0
        self.exact = True  # False: `total` is a lower bound (a search counts its hits up to a cap)
        self.problem = ""
        self.current_key: str | None = None
        self._data_version: int | None = None
        self._tree_shape: list[tuple[str, str, str]] = []
        self._section_nodes: dict[tuple[str | None, str | None], TreeNode[Scope]] = {}
        self._narrow = False

    # The screen

    def compose(self) -> ComposeResult:
        yield Input(self.query_text, placeholder="/ search: words, \"a phrase\", -word, title:word", id="search")
        yield Static(id="count")
        with Horizontal(id="body"):
            yield Tree[Scope]("All lists", data=Scope(), id="sections")
            with Vertical(id="right"):
                yield PapersTable(id="papers", cursor_type="row")
                with VerticalScroll(id="detail"):
                    yield Static(id="detail-body")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._narrow = self.size.width < NARROW
        self.sections.guide_depth = 2
        self.reload()
        if self.start_section is not None:
            self._select_section(self.start_section)
        elif self.start_list is not None:
            node = self._section_nodes.get((self.start_list, None))
            if node is not None:
                self.sections.move_cursor(node)
        self.call_after_refresh(self.sections.scroll_to_line, self.sections.cursor_line, animate=False)
        self.table.focus()
        if self.poll:
            self.set_interval(POLL_S, self.check_for_changes)

    @property
    def sections(self) -> Tree[Scope]:
        return self.query_one("#sections", Tree)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#papers", DataTable)

    def on_resize(self) -> None:
        narrow = self.size.width < NARROW
        if narrow != self._narrow:
            self._narrow = narrow
            self.fill_table()

    # Reading

    def reload(self) -> None:
        """Read everything again: the tree's counts, the papers, the selected paper. Keeps the selection."""
        self._data_version = self._version()
        self.fill_tree()
        self.load_papers()

    def _version(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def check_for_changes(self) -> None:
        """Called every POLL_S: another connection committed since the last read, so read again."""
        if self._version() != self._data_version:
            self.reload()

    def fill_tree(self) -> None:
        from llmreads.store.filters import status_filter
        from llmreads.store.papers import count_papers, lists
        from llmreads.store.tracking import sections_tree

        tree = self.sections
        sections = sections_tree(self.conn, self.user)
        known = lists(self.conn)
        shape = [("", row.name, "") for row in known] + [(s.list, s.number, s.title) for s in sections]
        read = status_filter("read")

        def counts(papers: int, done: int) -> str:
            return f"  {papers} · {done}✓"

        total = count_papers(self.conn, self.user)
        root_label = Text.assemble("All lists", (counts(total, count_papers(self.conn, self.user, [read])), "dim"))
        if shape == self._tree_shape:  # only the counts changed: keep the cursor and what is open
            tree.root.set_label(root_label)
            for row in known:
                self._section_nodes[(row.name, None)].set_label(self._list_label(row.name, read, counts))
            for s in sections:
                self._section_nodes[(s.list, s.number)].set_label(self._section_label(s, counts))
            return
        self._tree_shape = shape
        tree.clear()
        tree.root.set_label(root_label)
        tree.root.data = Scope()
        self._section_nodes = {(None, None): tree.root}
        for row in known:
            self._section_nodes[(row.name, None)] = tree.root.add(
                self._list_label(row.name, read, counts), data=Scope(row.name, None, f"list {row.name}"), expand=True
            )
        numbers = {(s.list, s.number) for s in sections}
        for s in sections:
            name, number = s.list, s.number
            head, _, _ = number.rpartition(".")
            parent = self._section_nodes.get((name, head) if head else (name, None), self._section_nodes[(name, None)])
            has_children = any(n.startswith(number + ".") for lst, n in numbers if lst == name)
            scope = Scope(name, number, f"{number} {literal(s.title)}")
            label = self._section_label(s, counts)
            self._section_nodes[(name, number)] = (
                parent.add(label, data=scope, expand=True) if has_children else parent.add_leaf(label, data=scope)
            )
        tree.root.expand()
        # The selection survives a new shape when its list and section are still there.
        chosen = self._section_nodes.get((self.scope.list_name, self.scope.section))
        if chosen is not None:
            tree.move_cursor(chosen)

    def _list_label(self, name: str, read: Any, counts: Callable[[int, int], str]) -> Text:
        from llmreads.store.filters import list_filter
        from llmreads.store.papers import count_papers

        only = list_filter(self.conn, name)
        papers = count_papers(self.conn, self.user, [only])
        done = count_papers(self.conn, self.user, [only, read])
        return Text.assemble(literal(name), (counts(papers, done), "dim"))

    def _section_label(self, s: SectionProgress, counts: Callable[[int, int], str]) -> Text:
        return Text.assemble(f"{s.number} {literal(s.title)}", (counts(s.papers, s.read), "dim"))

    def _select_section(self, spec: str) -> None:
        """The tree node `--section` names: a number, or the first section whose title holds the words."""
        from llmreads.text import fold_for_search

        wanted = spec.strip().rstrip(".")
        needle = fold_for_search(spec.strip())
        for (name, number), node in self._section_nodes.items():
            if number is None or (self.start_list is not None and name != self.start_list):
                continue
            title = fold_for_search(node.data.label if node.data else "")
            if number == wanted or (needle and needle in title.split(" ", 1)[-1]):
                self.sections.move_cursor(node)
                self.scope = node.data or self.scope
                self.load_papers()
                return

    def filters(self) -> list[Any]:
        from llmreads.store.filters import list_filter, section_filter, stars_filter, status_filter, tag_filter

        found = []
        if self.scope.list_name is not None:
            found.append(list_filter(self.conn, self.scope.list_name))
        if self.scope.section is not None:
            found.append(section_filter(self.conn, self.scope.section))
        if self.min_stars:
            found.append(stars_filter(self.min_stars))
        if self.status_filter:
            found.append(status_filter(self.status_filter))
        if self.tag:
            found.append(tag_filter(self.tag))
        return found

    @property
    def searching(self) -> bool:
        return bool(self.query_text.strip())

    @property
    def sort(self) -> str:
        if self.searching:
            return SEARCH_SORTS[self.sorts["search"]]
        return LIST_SORTS[self.sorts["list"]]

    def load_papers(self) -> None:
        """The papers of the tree's selection, or of the search in it, through the store as the commands read them."""
        from llmreads.store.papers import count_papers, list_papers
        from llmreads.store.search import search

        self.problem = ""
        try:
            filters = self.filters()
            if self.searching:
                result = search(self.conn, self.user, self.query_text, filters, sort=self.sort, limit=ROW_LIMIT,
                                glossary_terms=self.glossary_terms)
                self.rows, self.total, self.exact = result.papers, result.total, result.exact
            else:
                self.rows = list_papers(self.conn, self.user, filters, sort=self.sort, limit=ROW_LIMIT)
                self.exact = True
                self.total = (
                    len(self.rows) if len(self.rows) < ROW_LIMIT else count_papers(self.conn, self.user, filters)
                )
        except NotFound as exc:  # the list or section went away (another process): back to every paper
            self.scope = Scope()
            self.problem = str(exc)
            self.load_papers()
            return
        except InvalidQuery as exc:  # half-typed FTS syntax: keep the last results
            self.problem = str(exc)
        self.fill_table()

    def fill_table(self) -> None:
        table = self.table
        keep = self.current_key
        table.clear(columns=True)
        narrow = self._narrow
        columns = self._columns()
        for key, label, width in columns:
            table.add_column(label, key=key, width=self._title_width() if key == "title" else width)
        for row in self.rows:
            cells: dict[str, str | Content] = {
                "stars": stars(row.stars, narrow),
                "status": STATUS_MARK.get(row.status, "?"),
                "title": Content(literal(row.title).replace("\n", " ")),
                "mine": stars(row.my_stars or 0, narrow=True),
                "tags": Content(literal(" ".join(row.tags))),
                "id": row.id,
            }
            table.add_row(*(cells[key] for key, _, _ in columns), key=row.key)
        self.show_count()
        keys = [row.key for row in self.rows]
        if keep in keys:
            table.move_cursor(row=keys.index(keep), animate=False)
        self.show_paper(self.rows[table.cursor_row] if self.rows else None)

    def _columns(self) -> list[tuple[str, str, int]]:
        """The table's columns as (key, label, width) at this width; the title's width is what is left."""
        if self._narrow:
            return [("stars", "★", 2), ("status", "", 1), ("title", "title", 0), ("mine", "you", 3)]
        wide_enough = self._table_width() >= 70
        return [("stars", "★", 5), ("status", "", 1), ("title", "title", 0), ("mine", "you", 3),
                *([("tags", "tags", 10)] if wide_enough else []), ("id", "id", 6)]

    def _table_width(self) -> int:
        return self.table.scrollable_content_region.width or self.size.width

    def _title_width(self) -> int:
        others = [width for key, _, width in self._columns() if key != "title"]
        return max(8, self._table_width() - sum(others) - 2 * (len(others) + 1))

    def fit_columns(self) -> None:
        title = self.table.columns.get(ColumnKey("title"))
        if title is None:
            return
        if title.width != self._title_width() or len(self.table.columns) != len(self._columns()):
            self.fill_table()

    def show_count(self) -> None:
        if self.searching:
            many = f"{self.total:,}" + ("" if self.exact else "+")
            what = f"{many} {'match' if self.total == 1 and self.exact else 'matches'} for “{literal(self.query_text)}”"
        else:
            what = f"{self.total:,} {'paper' if self.total == 1 else 'papers'}"
        pieces = [what]
        if len(self.rows) < self.total or not self.exact:
            pieces.append(f"first {len(self.rows):,} shown")
        pieces.append(self.scope.label)
        if self.min_stars:
            pieces.append(f"{self.min_stars}+ stars")
        if self.status_filter:
            pieces.append(self.status_filter)
        if self.tag:
            pieces.append(f"#{literal(self.tag)}")
        pieces.append(f"by {self.sort}")
        line = Content(" · ".join(pieces))
        if self.problem:
            line = Content.assemble(line, ("  " + literal(self.problem), "bold"))
        self.query_one("#count", Static).update(line)

    def show_paper(self, row: PaperRow | None) -> None:
        from llmreads.store.papers import paper_detail, paper_of_key

        body = self.query_one("#detail-body", Static)
        if row is None:
            self.current_key = None
            body.update(Content("Nothing here." if not self.searching else "No paper matches the search."))
            return
        self.current_key = row.key
        paper_id = paper_of_key(self.conn, row.key)
        if paper_id is None:
            body.update(gone(row.title))
            return
        from llmreads.store.personal import history

        detail = paper_detail(self.conn, self.user, paper_id)
        events = [event for event in history(self.conn, self.user) if event.key == detail.key]
        body.update(paper_content(detail, row, events))

    @property
    def current(self) -> PaperRow | None:
        return next((row for row in self.rows if row.key == self.current_key), None)

    # Events

    @on(Tree.NodeHighlighted, "#sections")
    def _scope_chosen(self, event: Tree.NodeHighlighted[Scope]) -> None:
        scope = event.node.data
        if scope is not None and scope != self.scope:
            self.scope = scope
            self.load_papers()

    @on(DataTable.RowHighlighted, "#papers")
    def _paper_chosen(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        row = next((r for r in self.rows if r.key == key), None)
        if row is not None and row.key != self.current_key:
            self.show_paper(row)

    @on(Input.Changed, "#search")
    def _query_changed(self, event: Input.Changed) -> None:
        if event.value != self.query_text:
            self.query_text = event.value
            self.current_key = None  # a new search: its best hit first
            self.load_papers()


    # Actions

    def action_focus_search(self) -> None:
        # At once, not as Widget.focus does (after the messages queued): the keys typed
        # right after `/` (a fast typist, a paste) belong to the search box.
        self.screen.set_focus(self.query_one("#search", Input))

    def action_submit_search(self) -> None:
        """From the search box to the results, the best hit selected."""
        self.screen.set_focus(self.table)
        if self.rows:
            self.table.move_cursor(row=0, animate=False)

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
            self._query_changed(Input.Changed(search, ""))  # at once: the keys that follow see every paper
        self.screen.set_focus(self.table)

    def action_sort(self) -> None:
        which = "search" if self.searching else "list"
        sorts = SEARCH_SORTS if self.searching else LIST_SORTS
        self.sorts[which] = (self.sorts[which] + 1) % len(sorts)
        self.load_papers()

    def action_refresh(self) -> None:
        self.reload()
        self.notify("Read again.", timeout=2)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_filters(self) -> None:
        from llmreads.store.personal import tag_counts

        def chosen(result: tuple[int, str, str] | None) -> None:
            if result is not None:
                self.min_stars, self.status_filter, self.tag = result
                self.load_papers()

        tags = [count.tag for count in tag_counts(self.conn, self.user)]
        self.push_screen(FilterScreen(self.min_stars, self.status_filter, self.tag, tags), chosen)

    def action_rate(self, stars: int) -> None:
        from llmreads.store.personal import set_rating

        row = self.current
        if row is None:
            return
        done = f"{row.id}: your stars cleared" if stars == 0 else f"{row.id}: yours {'★' * stars}"
        self.write(done, row, lambda conn, pid: set_rating(conn, self.user, pid, stars))

    def action_tags(self, text: str | None = None, problem: str = "") -> None:
        row = self.current
        if row is None:
            return
        before = list(row.tags)

        def chosen(tags: list[str] | None) -> None:
            if tags is None:
                return
            from llmreads.store.personal import add_tags, remove_tags

            added = [tag for tag in tags if tag not in before]
            removed = [tag for tag in before if tag not in tags]
            if not added and not removed:
                return

            def job(conn: sqlite3.Connection, pid: int) -> None:
                if added:
                    add_tags(conn, self.user, pid, added)
                if removed:
                    remove_tags(conn, self.user, pid, removed)

            def failed(message: str) -> None:  # the tags typed come back, with what was wrong
                self.action_tags(" ".join(tags), message)

            self.write(f"{row.id} tagged {' '.join(tags) or '(none)'}", row, job, failed)

        shown = " ".join(before) if text is None else text
        self.push_screen(TagScreen(row.title, shown, problem), chosen)

    def action_mark(self, status: str) -> None:
        from llmreads.store.tracking import set_status

        row = self.current
        if row is None:
            return
        self.write(f"{row.id} marked {status}", row, lambda conn, pid: set_status(conn, self.user, [pid], status))

    def action_note(self, text: str = "", problem: str = "") -> None:
        row = self.current
        if row is None:
            return

        def written(note: str | None) -> None:
            if note is None:
                return

            def failed(message: str) -> None:  # the text is never lost: the note screen comes back with it
                self.action_note(note, message)

            from llmreads.store.notes import add_note

            self.write(f"note added to {row.id}", row, lambda conn, pid: add_note(conn, self.user, pid, note), failed)

        self.push_screen(NoteScreen(row.title, text, problem), written)

    def action_open(self) -> None:
        row = self.current
        if row is None:
            return
        url = row.url or (f"https://arxiv.org/abs/{row.arxiv}" if row.arxiv else "")
        if not url.lower().startswith(("https://", "http://")):
            self.notify(f"{row.id} has no web link to open", severity="warning")
            return
        self.open_url(url)
        self.notify(f"Opening {literal(url)}", timeout=3)

    # Writing

    def write(
        self,
        done: str,
        row: PaperRow,
        job: Callable[[sqlite3.Connection, int], object],
        failed: Callable[[str], None] | None = None,
    ) -> None:
        """Write one change to `row`'s paper on the writer's thread; read again when it is in."""
        key, title = row.key, row.title

        def run(conn: sqlite3.Connection) -> object:
            from llmreads.store.papers import paper_of_key

            paper_id = paper_of_key(conn, key)
            if paper_id is None:
                raise NotFound(f"{title!r} is no longer in the database; nothing was changed")
            return job(conn, paper_id)

        async def wait() -> None:
            import asyncio

            try:
                await asyncio.wrap_future(self.writer.submit(run))
            except (LlmreadsError, sqlite3.Error) as exc:
                message = str(exc)
                self.notify(literal(message), severity="error", timeout=8)
                self.reload()  # what failed it (a paper removed elsewhere) shows
                if failed is not None:
                    failed(message)
                return
            self.reload()
            self.notify(literal(done), timeout=2)

        self.run_worker(wait(), group="writes")

    def _waiting(self) -> None:
        """On the writer's thread: the write waits for another process (an import) to finish writing."""
        message = "waiting for another llmreads process to finish writing (an import, most likely)..."
        if self.is_running:
            try:
                self.call_from_thread(self.notify, message.capitalize(), timeout=5)
                return
            except RuntimeError:  # the screen closed meanwhile
                pass
        from llmreads import render  # after `q`: the last changes are still being written

        render.info(f"llmreads: {message}")

    async def writes_done(self) -> None:
        """Wait until every change made so far is written and shown (for tests)."""
        await self.workers.wait_for_complete()


def run_browse(app: BrowseApp) -> None:
    """Run the screen; then write whatever changes are still on their way, and only then return."""
    try:
        app.run()
    finally:
        app.writer.close()


__all__: Sequence[str] = ("BrowseApp", "Scope", "run_browse")
