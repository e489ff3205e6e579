"""`llmreads browse`, driven headless with Textual's pilot: keys in, the database and the widgets asserted."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from helpers import copy_database, json_out, quick_pilot
from llmreads.tui.app import BrowseApp

Steps = Callable[[Pilot[None], BrowseApp], Awaitable[None]]

quick_pilot()


def drive(
    conn: sqlite3.Connection, db_path: Path, steps: Steps, size: tuple[int, int] = (100, 30), **options: object
) -> BrowseApp:
    """Run the screen on the test database, headless, through `steps`; every change written before it returns.

    What the widgets showed at the end is kept in `app.shown` (they are gone once the app has stopped).
    """
    app = BrowseApp(conn, "alice", db_path, poll=False, **options)  # type: ignore[arg-type]

    async def go() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await steps(pilot, app)
            await settle(pilot, app)
            keep_shown(app)

    try:
        asyncio.run(go())
    finally:
        app.writer.close()
    return app


def keep_shown(app: BrowseApp) -> None:
    """What the widgets show, kept in `app.shown`: they are gone once the app has stopped."""
    app.shown = {  # type: ignore[attr-defined]
        "#count": str(app.query_one("#count", Static).content),
        "#detail-body": str(app.query_one("#detail-body", Static).content),
        "#search": app.query_one("#search", Input).value,
    }


class SharedScreen:
    """One screen on a seeded database, kept running for the checks of this module that change nothing.

    Starting the screen is most of such a check's time. `check(steps)` drives it as `drive` does; afterwards
    the screen is put back as it opened (no modal screen, no search, every paper, the first one selected and
    the table focused) and must then show exactly what it showed when it opened, or the check fails: what
    one check does cannot reach the next. The app runs in one task on an event loop of its own, as under
    `drive`, and each check's steps run in that task.
    """

    def __init__(self, db_path: Path, size: tuple[int, int] = (100, 30)) -> None:
        from llmreads.db import open_db

        self.db_path = db_path
        self.conn = open_db(db_path)
        self.app = BrowseApp(self.conn, "alice", db_path, poll=False)
        self.loop = asyncio.new_event_loop()
        self.requests: asyncio.Queue[tuple[Steps | None, asyncio.Future[None]]] = asyncio.Queue()
        self.task = self.loop.create_task(self._serve(size))
        self.opened = self._run(self._opened)

    async def _serve(self, size: tuple[int, int]) -> None:
        async with self.app.run_test(size=size) as pilot:
            await pilot.pause()
            while True:
                steps, done = await self.requests.get()
                if steps is None:
                    done.set_result(None)
                    return
                try:
                    await steps(pilot, self.app)
                except BaseException as exc:  # the check's failure, raised in the test
                    done.set_exception(exc)
                else:
                    done.set_result(None)

    def _run(self, steps: Callable[[Pilot[None], BrowseApp], Awaitable[object]]) -> object:
        result: list[object] = []

        async def kept(pilot: Pilot[None], app: BrowseApp) -> None:
            result.append(await steps(pilot, app))

        done: asyncio.Future[None] = self.loop.create_future()
        self.requests.put_nowait((kept, done))
        self.loop.run_until_complete(done)
        return result[0]

    async def _opened(self, pilot: Pilot[None], app: BrowseApp) -> dict[str, object]:
        await settle(pilot, app)
        keep_shown(app)
        return {
            "rows": [(row.id, row.status) for row in app.rows], "total": app.total, "shown": dict(app.shown),  # type: ignore[attr-defined]
            "screen": type(app.screen).__name__, "focused": app.focused.id if app.focused else None,
            "scope": app.scope, "sorts": dict(app.sorts), "tree cursor": app.sections.cursor_line,
            "table cursor": app.table.cursor_row, "current": app.current_key,
        }

    async def _reopen(self, pilot: Pilot[None], app: BrowseApp) -> None:
        while len(app.screen_stack) > 1:
            app.pop_screen()
            await pilot.pause()
        app.action_clear_search()
        app.sections.move_cursor(app.sections.root)
        await pilot.pause()
        app.table.move_cursor(row=0, animate=False)
        await pilot.pause()

    def check(self, steps: Steps) -> BrowseApp:
        async def go(pilot: Pilot[None], app: BrowseApp) -> None:
            await steps(pilot, app)
            await settle(pilot, app)
            keep_shown(app)

        self._run(go)
        return self.app

    def reopen(self) -> None:
        self._run(self._reopen)
        assert self._run(self._opened) == self.opened, "the shared screen is not back as it opened"

    def close(self) -> None:
        done: asyncio.Future[None] = self.loop.create_future()
        self.requests.put_nowait((None, done))
        try:
            self.loop.run_until_complete(self.task)
        finally:
            self.app.writer.close()
            self.loop.close()
            self.conn.close()


@pytest.fixture(scope="module")
def _shared_screen(tmp_path_factory: pytest.TempPathFactory, seed_template: Path) -> Iterator[SharedScreen]:
    screen = SharedScreen(copy_database(seed_template, tmp_path_factory.mktemp("browse") / "shared.db"))
    yield screen
    screen.close()


@pytest.fixture
def shared(_shared_screen: SharedScreen, monkeypatch: pytest.MonkeyPatch) -> Iterator[SharedScreen]:
    """The module's shared screen (see SharedScreen), its database also as the CLI sees it (LLMREADS_DB)."""
    monkeypatch.setenv("LLMREADS_DB", str(_shared_screen.db_path))
    yield _shared_screen
    _shared_screen.reopen()


async def settle(pilot: Pilot[None], app: BrowseApp) -> None:
    await pilot.pause()
    await app.writes_done()
    await pilot.pause()


def text_of(app: BrowseApp, selector: str) -> str:
    return app.shown[selector]  # type: ignore[attr-defined,no-any-return]


def status_of(db_path: Path, short_id: str, user: str = "alice") -> str | None:
    connection = sqlite3.connect(db_path)
    try:
        row = connection.execute(
            "SELECT s.status FROM statuses s JOIN papers p ON p.key = s.paper_key WHERE p.short_id = ? AND s.user = ?",
            (short_id, user),
        ).fetchone()
        return row[0] if row else None
    finally:
        connection.close()


def ids(rows: list[dict[str, object]]) -> list[object]:
    return [row["id"] for row in rows]


@pytest.fixture
def ready(conn: sqlite3.Connection, db_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The seeded database, also as the CLI sees it (LLMREADS_DB)."""
    monkeypatch.setenv("LLMREADS_DB", str(db_path))
    return conn, db_path


def test_the_screen_shows_the_tree_with_counts_and_every_paper(shared, cli):
    tree = {}

    async def steps(pilot, app):
        tree["root"] = str(app.sections.root.label)
        tree["sections"] = [str(node.label) for node in app.sections.root.children[0].children]

    app = shared.check(steps)
    assert [row.id for row in app.rows] == ids(json_out(cli("list", "--json")))
    assert app.total == 118
    assert text_of(app, "#count").startswith("118 papers · all papers · by list")
    assert tree["root"] == "All lists  118 · 0✓"
    assert "2 LLM的关键技术  57 · 0✓" in tree["sections"] and len(tree["sections"]) == 4
    # The first paper is shown in full: its section and introduction.
    detail = text_of(app, "#detail-body")
    assert detail.startswith(app.rows[0].title)
    assert "§ 1 OpenAI/Google 基础语言大模型" in detail


def test_r_g_u_write_the_status_through_the_store_and_show_it(ready, cli):
    conn, db_path = ready
    seen: dict[str, object] = {}

    async def steps(pilot, app):
        await pilot.press("down", "r")
        await settle(pilot, app)
        seen["read"] = (status_of(db_path, app.rows[1].id), app.rows[1].status, str(app.sections.root.label))
        await pilot.press("g")
        await settle(pilot, app)
        seen["reading"] = status_of(db_path, app.rows[1].id)
        await pilot.press("u")

    app = drive(conn, db_path, steps)
    second = app.rows[1].id
    assert seen["read"] == ("read", "read", "All lists  118 · 1✓")
    assert seen["reading"] == "reading"
    assert status_of(db_path, second) == "unread"
    assert json_out(cli("show", second, "--json"))["status"] == "unread"


@pytest.mark.parametrize("query", ["lora", "微调", 'title:"language models" -scaling', "instruction OR 指令"])
def test_search_as_you_type_finds_what_the_search_command_finds(shared, cli, query):
    async def steps(pilot, app):
        await pilot.press("slash")
        assert app.focused is app.query_one("#search")
        for char in query:
            await pilot.press(char if char.isalnum() and char.isascii() else _key(char))
        await pilot.pause()

    app = shared.check(steps)
    expected = ids(json_out(cli("search", query, "--json")))
    assert text_of(app, "#search") == query
    assert [row.id for row in app.rows] == expected
    noun = "match" if len(expected) == 1 else "matches"
    assert text_of(app, "#count").startswith(f"{len(expected)} {noun} for “{query}”")


def test_the_browser_keeps_more_pages_of_the_file_as_it_searches_as_you_type(shared):
    from llmreads.tui.app import BROWSE_CACHE_KIB

    app = shared.check(lambda pilot, app: pilot.pause())
    assert app.conn.execute("PRAGMA cache_size").fetchone()[0] == -BROWSE_CACHE_KIB


def _key(char: str) -> str:
    """The pilot's name for a key that is not a letter or digit."""
    return {" ": "space", '"': "quotation_mark", "-": "minus", ":": "colon"}.get(char, char)


def test_enter_goes_to_the_best_hit_and_escape_clears_the_search(shared):
    seen: dict[str, object] = {}

    async def steps(pilot, app):
        await pilot.press("slash", "l", "o", "r", "a", "enter")
        seen["focus"] = app.focused.id
        seen["selected"] = app.current.id if app.current else None
        seen["count"] = len(app.rows)
        await pilot.press("escape")
        await pilot.pause()

    app = shared.check(steps)
    assert seen["focus"] == "papers"
    assert seen["selected"] == "50f228" and seen["count"] == 2
    assert text_of(app, "#search") == ""
    assert app.total == 118


def test_a_section_chosen_in_the_tree_lists_its_papers_as_list_section_does(shared, cli):
    async def steps(pilot, app):
        node = app._section_nodes[("LLM_Paper_Reading", "2.3")]
        app.sections.move_cursor(node)
        await pilot.pause()

    app = shared.check(steps)
    assert [row.id for row in app.rows] == ids(json_out(cli("list", "--section", "2.3", "--json")))
    assert "2.3 RLHF" in text_of(app, "#count")


def test_the_section_list_stars_status_and_query_options_start_the_screen_there(ready, cli):
    conn, db_path = ready

    async def steps(pilot, app):
        pass

    app = drive(conn, db_path, steps, section="rlhf", stars=3, query="reward")
    assert [row.id for row in app.rows] == ids(json_out(cli("search", "reward", "--section", "rlhf", "--stars", "3",
                                                           "--json")))
    assert app.scope.section == "2.3"


def test_s_cycles_the_sort(ready, cli):
    conn, db_path = ready
    seen = []

    async def steps(pilot, app):
        await pilot.press("down", "down", "r", "3")
        await settle(pilot, app)
        for _ in range(5):
            await pilot.press("s")
            seen.append((app.sort, [row.id for row in app.rows]))

    drive(conn, db_path, steps)
    assert [sort for sort, _ in seen] == ["stars", "title", "my-stars", "read", "list"]
    for sort, shown in seen:
        assert shown == ids(json_out(cli("list", "--sort", sort, "--json"))), sort


def test_f_filters_by_stars_and_status(ready, cli):
    conn, db_path = ready

    async def steps(pilot, app):
        await pilot.press("r", "f")
        await settle(pilot, app)
        screen = app.screen
        screen.query_one("#filter-stars").value = 4
        await pilot.press("ctrl+s")
        await pilot.pause()

    app = drive(conn, db_path, steps)
    assert [row.id for row in app.rows] == ids(json_out(cli("list", "--stars", "4", "--json")))
    assert "4+ stars" in text_of(app, "#count")


def test_n_writes_a_note_through_the_store(ready, cli):
    conn, db_path = ready

    async def steps(pilot, app):
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"good", "space", *"paper")
        await pilot.press("ctrl+s")

    app = drive(conn, db_path, steps)
    notes = json_out(cli("note", "list", "--json"))
    assert [(note["paper"], note["text"]) for note in notes] == [(app.rows[0].id, "good paper")]
    assert "Your notes" in text_of(app, "#detail-body") and "good paper" in text_of(app, "#detail-body")


def test_a_note_with_ansi_escapes_and_markup_is_shown_literally(ready, cli):
    conn, db_path = ready
    from llmreads.store.notes import add_note

    add_note(conn, "alice", conn.execute("SELECT id FROM papers ORDER BY position").fetchone()[0],
             "\x1b[31mred\x1b[0m [bold]not bold[/bold] [link=x]y[/link]")

    async def steps(pilot, app):
        pass

    app = drive(conn, db_path, steps)
    detail = text_of(app, "#detail-body")
    assert "␛[31mred␛[0m [bold]not bold[/bold] [link=x]y[/link]" in detail
    assert "\x1b" not in detail


def test_changes_made_elsewhere_show_when_polled_and_on_ctrl_r(ready, cli):
    conn, db_path = ready
    seen = {}

    async def steps(pilot, app):
        first = app.rows[0].id
        cli("mark-read", first)  # another connection, as another process would
        app.check_for_changes()
        await pilot.pause()
        seen["after poll"] = (app.rows[0].status, str(app.sections.root.label))
        cli("mark-reading", first)
        await pilot.press("ctrl+r")
        seen["after ctrl+r"] = app.rows[0].status

    drive(conn, db_path, steps)
    assert seen == {"after poll": ("read", "All lists  118 · 1✓"), "after ctrl+r": "reading"}


def test_a_paper_removed_while_shown_keeps_the_screen_working_and_writes_nothing(ready, tmp_path, seed_text, cli):
    conn, db_path = ready
    seen = {}

    async def steps(pilot, app):
        shown = app.current
        other = sqlite3.connect(db_path)
        other.execute("PRAGMA foreign_keys = ON")
        with other:
            paper = other.execute("SELECT id FROM papers WHERE short_id = ?", (shown.id,)).fetchone()[0]
            other.execute("DELETE FROM entries WHERE paper_id = ?", (paper,))
            other.execute("DELETE FROM papers WHERE id = ?", (paper,))
        other.close()
        await pilot.press("r")  # the row is still on the screen
        await settle(pilot, app)
        seen["status"] = status_of(db_path, shown.id)
        seen["rows"] = [row.id for row in app.rows]
        seen["shown"] = shown.id
        await pilot.press("down", "r")

    app = drive(conn, db_path, steps)
    assert seen["status"] is None
    assert seen["shown"] not in seen["rows"] and len(seen["rows"]) == 117
    assert app.rows[1].status == "read"


def test_an_empty_database_shows_an_empty_screen(tmp_path, cli):
    from llmreads.db import open_db

    db_path = tmp_path / "empty.db"
    conn = open_db(db_path)  # no list imported

    async def steps(pilot, app):
        await pilot.press("r", "n", "o", "s", "slash", "x", "enter", "escape")

    app = drive(conn, db_path, steps)
    conn.close()
    assert app.rows == [] and app.total == 0
    assert text_of(app, "#count").startswith("0 papers")
    assert text_of(app, "#detail-body") == "Nothing here."


def test_a_write_waits_for_another_process_without_freezing_the_screen(ready):
    conn, db_path = ready
    seen = {}

    async def steps(pilot, app):
        importer = sqlite3.connect(db_path, isolation_level=None)
        importer.execute("BEGIN IMMEDIATE")  # as an import holds the write lock
        try:
            await pilot.press("r")
            await pilot.pause(0.3)
            await pilot.press("s")  # the screen still answers
            seen["sort"] = app.sort
            seen["status while waiting"] = status_of(db_path, app.rows[0].id)
        finally:
            importer.execute("COMMIT")
            importer.close()

    drive(conn, db_path, steps)
    assert seen == {"sort": "stars", "status while waiting": None}
    first_in_list_order = conn.execute("SELECT short_id FROM papers ORDER BY position").fetchone()[0]
    assert status_of(db_path, first_in_list_order) == "read"


@pytest.mark.parametrize("width", [20, 40, 130])
def test_any_width_keeps_working_and_loses_nothing(ready, width):
    conn, db_path = ready

    async def steps(pilot, app):
        await pilot.resize_terminal(width, 24)
        await pilot.pause()
        await pilot.press("down", "r", "slash", "l", "o", "r", "a", "enter")

    app = drive(conn, db_path, steps)
    assert [row.id for row in app.rows] == ["50f228", "fdcc67"]
    assert conn.execute("SELECT count(*) FROM statuses WHERE status = 'read'").fetchone()[0] == 1


def test_browse_needs_a_terminal(cli, one_error):
    assert "browse needs a terminal" in one_error(cli("browse"))


def test_browse_names_an_unknown_section_before_the_screen(cli, one_error, monkeypatch):
    monkeypatch.setattr("os.isatty", lambda fd: True)
    assert "no section matches 'nosuch'" in one_error(cli("browse", "--section", "nosuch"))


def test_o_opens_the_papers_link(shared, monkeypatch):
    opened = []
    monkeypatch.setattr(shared.app, "open_url", lambda url, **kwargs: opened.append(url))  # no browser in a test

    async def steps(pilot, app):
        await pilot.press("slash", *"lora", "enter", "o")

    shared.check(steps)
    assert opened == [json_out_url(shared.conn, "50f228")]


def json_out_url(conn: sqlite3.Connection, short_id: str) -> str:
    url, arxiv = conn.execute("SELECT url, arxiv FROM papers WHERE short_id = ?", (short_id,)).fetchone()
    return url or f"https://arxiv.org/abs/{arxiv}"


def test_question_mark_shows_the_keys_and_escape_closes_them(shared):
    seen = {}

    async def steps(pilot, app):
        await pilot.press("question_mark")
        seen["open"] = type(app.screen).__name__
        await pilot.press("r")  # the help screen's, not a status change
        await pilot.press("escape")
        seen["closed"] = type(app.screen).__name__

    app = shared.check(steps)
    assert seen["open"] == "HelpScreen" and seen["closed"] == "Screen"
    assert shared.conn.execute("SELECT count(*) FROM statuses").fetchone()[0] == 0
    assert app.rows[0].status == "unread"


def test_a_note_that_cannot_be_saved_comes_back_with_its_text(ready):
    conn, db_path = ready
    seen = {}

    async def steps(pilot, app):
        shown = app.current
        await pilot.press("n", *"keep", "space", *"me")
        with sqlite3.connect(db_path) as other:  # the paper goes while the note is being written
            other.execute("PRAGMA foreign_keys = ON")
            paper = other.execute("SELECT id FROM papers WHERE short_id = ?", (shown.id,)).fetchone()[0]
            other.execute("DELETE FROM entries WHERE paper_id = ?", (paper,))
            other.execute("DELETE FROM papers WHERE id = ?", (paper,))
        other.close()
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        seen["screen"] = type(app.screen).__name__
        seen["text"] = app.screen.query_one("#note-text").text
        seen["problem"] = str(app.screen.query_one("#note-problem").content)

    drive(conn, db_path, steps)
    assert seen["screen"] == "NoteScreen" and seen["text"] == "keep me"
    assert "is no longer in the database; nothing was changed" in seen["problem"]
    assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 0


def test_escape_on_a_note_with_text_asks_once_before_leaving_it(ready):
    conn, db_path = ready
    seen = {}

    async def steps(pilot, app):
        await pilot.press("n", *"draft", "escape")
        seen["after one"] = type(app.screen).__name__
        await pilot.press("escape")
        seen["after two"] = type(app.screen).__name__

    drive(conn, db_path, steps)
    assert seen == {"after one": "NoteScreen", "after two": "Screen"}
    assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 0


def test_digits_rate_the_paper_and_0_clears_the_rating(ready, cli):
    conn, db_path = ready
    seen = {}

    async def steps(pilot, app):
        await pilot.press("4")
        await settle(pilot, app)
        seen["after 4"] = (json_out(cli("show", app.rows[0].id, "--json"))["my_stars"], app.rows[0].my_stars)
        await pilot.press("down", "2", "up", "0")

    app = drive(conn, db_path, steps)
    assert seen["after 4"] == (4, 4)
    assert [json_out(cli("show", row.id, "--json"))["my_stars"] for row in app.rows[:2]] == [None, 2]


def test_t_sets_the_tags_and_the_filter_finds_them(ready, cli):
    conn, db_path = ready
    seen = {}

    async def steps(pilot, app):
        await pilot.press("t", *"RLHF", "space", *"to-read", "enter")
        await settle(pilot, app)
        seen["tags"] = app.rows[0].tags
        await pilot.press("t")
        await pilot.pause()
        app.screen.query_one("#tags-text").value = "to-read"  # rlhf taken off
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("#filter-tag").value = "to-read"
        await pilot.press("ctrl+s")

    app = drive(conn, db_path, steps)
    assert seen["tags"] == ["rlhf", "to-read"]
    assert [row.id for row in app.rows] == ids(json_out(cli("list", "--tag", "to-read", "--json")))
    assert json_out(cli("show", app.rows[0].id, "--json"))["tags"] == ["to-read"]
    assert "#to-read" in text_of(app, "#count") and "tags #to-read" in text_of(app, "#detail-body")


def test_a_word_that_cannot_be_a_tag_is_said_and_kept(ready):
    conn, db_path = ready
    seen = {}

    async def steps(pilot, app):
        await pilot.press("t", *"ok", "space", "comma", "enter")
        await pilot.pause()
        seen["screen"] = type(app.screen).__name__
        seen["problem"] = str(app.screen.query_one("#tags-problem").content)
        seen["value"] = app.screen.query_one("#tags-text").value
        await pilot.press("escape")

    drive(conn, db_path, steps)
    assert seen["screen"] == "TagScreen" and seen["value"] == "ok ,"
    assert "a tag is a word" in seen["problem"] and "','" in seen["problem"]
    assert conn.execute("SELECT count(*) FROM tags").fetchone()[0] == 0


def test_browse_names_a_bad_tag_before_the_screen(cli, one_error, monkeypatch):
    monkeypatch.setattr("os.isatty", lambda fd: True)
    assert "a tag is a word" in one_error(cli("browse", "--tag", ","))


def test_a_search_past_the_count_s_cap_shows_its_total_as_a_lower_bound(ready, monkeypatch):
    import llmreads.store.search as module

    conn, db_path = ready
    monkeypatch.setattr(module, "COUNT_MOST", 10)
    monkeypatch.setattr(module, "_RANK_HERE_MOST", 0)  # the seed takes the paths of a large database
    monkeypatch.setattr("llmreads.tui.app.ROW_LIMIT", 5)

    async def steps(pilot, app):
        pass

    app = drive(conn, db_path, steps, query="language")
    assert (len(app.rows), app.total, app.exact) == (5, 10, False)
    assert text_of(app, "#count").startswith("10+ matches for “language” · first 5 shown")
    lora = drive(conn, db_path, steps, query="lora")
    assert text_of(lora, "#count").startswith("2 matches for “lora” · all papers")
