"""`llmreads browse` as it looks: SVG snapshots at 80 and 40 columns, with Chinese titles, NO_COLOR and a light theme.

The snapshots are in tests/__snapshots__/; after a deliberate change of the
screen, look at the report and run `pytest tests/test_browse_snapshots.py --snapshot-update`.
Textual and the plugin are pinned in the test extra, so their drawing does not drift.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from helpers import import_text, quick_pilot, read_fixture
from llmreads.tui.app import BrowseApp

quick_pilot()


@pytest.fixture
def two_lists(conn: sqlite3.Connection, db_path: Path) -> tuple[sqlite3.Connection, Path]:
    """The seed list and a small one of Chinese and mixed titles, some with brackets that look like markup."""
    import_text(conn, read_fixture("chinese_titles.md"), name="zh")
    return conn, db_path


def app_for(two_lists: tuple[sqlite3.Connection, Path], **options: object) -> BrowseApp:
    conn, db_path = two_lists
    return BrowseApp(conn, "alice", db_path, poll=False, **options)  # type: ignore[arg-type]


def test_80_columns(snap_compare, two_lists):
    app = app_for(two_lists)
    try:
        assert snap_compare(app, terminal_size=(80, 24))
    finally:
        app.writer.close()


def test_40_columns_stacks_the_panes_and_aligns_chinese_titles(snap_compare, two_lists):
    app = app_for(two_lists, list_name="zh")
    try:
        assert snap_compare(app, terminal_size=(40, 24), press=["down"])
    finally:
        app.writer.close()


def test_130_columns_puts_the_three_panes_side_by_side(snap_compare, two_lists):
    app = app_for(two_lists, query="微调")
    try:
        assert snap_compare(app, terminal_size=(130, 24))
    finally:
        app.writer.close()


def test_no_color(snap_compare, two_lists, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(two_lists, list_name="zh")
    try:
        assert snap_compare(app, terminal_size=(80, 24), press=["down", "down", "down"])
    finally:
        app.writer.close()


def test_light_theme(snap_compare, two_lists):
    app = app_for(two_lists, section="2.3")

    async def light(pilot):  # type: ignore[no-untyped-def]
        pilot.app.theme = "textual-light"

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=light)
    finally:
        app.writer.close()


def test_help_screen(snap_compare, two_lists):
    app = app_for(two_lists)
    try:
        assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"])
    finally:
        app.writer.close()


def test_the_readme_shows_the_screen_as_textual_exports_it():
    from helpers import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/browse.svg)" in readme
    picture = (ROOT / "docs" / "browse.svg").read_text(encoding="utf-8")
    assert picture.startswith("<svg") and "Generated with Rich" in picture and "微调" in picture
