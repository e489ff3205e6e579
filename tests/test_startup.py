"""Start-up cost: importing the CLI, and the everyday commands, do not load the heavy libraries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("rich", "sqlite_utils", "mistune", "textual")  # textual: only `browse` draws with it
# The metadata clients and what they stand on: only add, enrich and edit --arxiv load them.
FETCHING = ("llmreads.fetch", "urllib.request", "xml.etree.ElementTree", "http.client")


def test_importing_the_cli_loads_no_heavy_library():
    code = f"import llmreads.cli, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


def imported(args: list[str], names: tuple[str, ...]) -> list[str]:
    """Which of `names` (modules) running llmreads with `args` imports."""
    # Printed by an exit function: the command ends the process itself (entry._finish).
    code = ("import atexit, sys, runpy; sys.argv = ['llmreads', *sys.argv[1:]]\n"
            f"atexit.register(lambda: print(sorted(m for m in {names!r} if m in sys.modules), file=sys.stderr))\n"
            "runpy.run_module('llmreads', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
    return eval(result.stderr.strip().splitlines()[-1])  # the list printed last


def test_only_commands_that_fetch_load_the_metadata_clients():
    assert imported(["list", "--limit", "1", "--json"], FETCHING) == []  # first use: creates the database
    for args in (["list", "--json"], ["show", "lora", "--json"], ["search", "lora", "--json"], ["--help"]):
        assert imported(args, FETCHING) == [], args
    assert "llmreads.fetch" in imported(["add", "2401.00001"], FETCHING)  # offline here: added all the same


def test_everyday_commands_create_no_dataclass():
    # Creating a dataclass generates its methods from source (~0.5 to 1 ms each, frozen ones the most):
    # the results of show, mark-read and notes are NamedTuples; search and list rows a plain class.
    imported(["list", "--limit", "1"], ())  # first use: creates and fills the database
    for args in (["show", "lora"], ["show", "lora", "--json"], ["mark-read", "lora"], ["mark-unread", "lora", "--json"],
                 ["search", "lora"], ["search", "lora", "--json"], ["list", "--stars", "4"], ["note", "list"]):
        assert imported(args, ("dataclasses",)) == [], args


def test_listings_and_searches_a_terminal_or_a_pipe_shows_load_no_json():
    # Only --json output, authors (fetched metadata) and `show` read JSON: ~0.5 ms of a process's start.
    imported(["list", "--limit", "1"], ())  # first use: creates and fills the database
    for args in (["list", "--stars", "4"], ["search", "lora"], ["search", "lora", "--limit", "1"],
                 ["mark-read", "lora"], ["next"]):
        assert imported(args, ("json",)) == [], args
    assert imported(["list", "--stars", "4", "--json"], ("json",)) == ["json"]


def test_marking_papers_loads_neither_search_nor_the_choices_of_listings():
    imported(["list", "--limit", "1"], ())  # first use: creates and fills the database
    for args in (["mark-read", "lora"], ["mark-unread", "lora", "--date", "2024-03-01", "--json"]):
        assert imported(args, ("llmreads.options", "llmreads.query", "llmreads.glossary")) == [], args


def imported_heavy(args: list[str]) -> list[str]:
    """Heavy top-level modules a command imports, from python -X importtime."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "llmreads", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    return sorted({name for name in names if name in HEAVY})


def test_version_loads_no_heavy_library():
    assert imported_heavy(["--version"]) == []


def test_json_listing_of_a_ready_database_loads_no_heavy_library():
    imported_heavy(["list", "--limit", "1", "--json"])  # first use: creates and fills the database
    assert imported_heavy(["list", "--stars", "4", "--json"]) == []
    assert imported_heavy(["show", "lora", "--json"]) == []



def test_browse_help_loads_no_heavy_library():
    # The command's module is loaded to build its help; the screen's modules (and Textual) are not.
    assert imported_heavy(["browse", "--help"]) == []


def test_the_records_of_search_show_and_tracking_are_named_tuples_of_evaluated_annotations():
    # A frozen dataclass generates its methods from source (~1 ms a class); typing.NamedTuple
    # compiles a string annotation (a module with `from __future__ import annotations`) for each field.
    import typing

    from llmreads import config, glossary, query
    from llmreads.store import detail, filters, notes, personal

    for result in (detail.EntryLink, detail.EntryDetail, detail.PaperDetail, notes.Note, personal.TagCount,
                   personal.HistoryEvent, personal.MonthCount, query.Term, query.Alternative, query.Qualifier,
                   query.Query, glossary.Form, glossary.Match, filters.Filter, config.Setting, config.Services):
        assert issubclass(result, tuple) and not hasattr(result, "__dataclass_fields__"), result
        assert not [name for name, kind in result.__annotations__.items() if isinstance(kind, str | typing.ForwardRef)]


def compiled_by_importing(module: str, after: str) -> list[str]:
    """The regular expressions importing `module` compiles, once the modules `after` names are loaded."""
    code = (
        f"import re, sys\nimport {after}\n"
        "compiled = []\n"
        "original = re._compile\n"
        "re._compile = lambda pattern, flags: (compiled.append(pattern), original(pattern, flags))[1]\n"
        f"import {module}\n"
        "print(compiled)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout)


def test_the_modules_every_listing_loads_compile_no_pattern_they_may_not_use():
    # Compiling a regular expression is pure Python, 0.1 to 1 ms each: the patterns of paper
    # references (a URL, a host, an id prefix) are compiled when a reference needs them, those
    # of glued words (SpanBERT) when text is indexed.
    from llmreads import text

    assert compiled_by_importing(
        "llmreads.store.papers",
        "llmreads.aliases, llmreads.errors, llmreads.store.base, llmreads.store.filters, llmreads.store.index,"
        " llmreads.store.metadata, llmreads.text",
    ) == []
    found = compiled_by_importing("llmreads.text", "unicodedata, functools, os")
    assert found and text._RUN not in found and text._WORD_PART not in found


def test_an_unchanged_reimport_loads_neither_the_parser_nor_mistune(tmp_path):
    # Known by its bytes (lists.named_by): see test_reimport.py for each case, parsed or not.
    from llmreads.db import open_db
    from llmreads.sources import import_path

    path = tmp_path / "list.md"
    path.write_text("# A list\n\n| Paper | Stars |\n|---|---|\n| [P](https://arxiv.org/abs/2401.00001) | ⭐ |\n",
                    encoding="utf-8")
    conn = open_db(Path(os.environ["LLMREADS_DB"]))
    assert not import_path(conn, str(path), name=None).skipped
    conn.close()
    code = ("import atexit, sys, runpy; sys.argv = ['llmreads', 'import', sys.argv[1]]\n"
            "atexit.register(lambda: print(sorted(m for m in ('llmreads.parse', 'mistune') if m in sys.modules)))\n"
            "runpy.run_module('llmreads', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert result.stdout == "A list: unchanged since the last import (1 paper, 1 section).\n[]\n", result.stderr
