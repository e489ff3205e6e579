"""Check that two versions of llmreads import the same lists into the same rows.

    python bench/import_check.py --base /tmp/base/src LIST.md [LIST.md ...]
    python bench/import_check.py --base /tmp/base/src --updated NEW.md LIST.md

Each list is imported (with `--json`) by the llmreads on this interpreter's
path and by the one under `--base` (a source tree, e.g. `git archive main`
unpacked), each into a database of its own; the import reports (without times)
and the databases are then compared: lists, sections, entries, links, papers,
aliases, statuses, notes, the entries' lines (in their rows, or packed per
list: store/lines.py) and the full-text index, read term by term through
fts5vocab (the index is contentless). With `--updated`, the updated list is
then imported over the first one by both, and compared again: a re-import must
store what a first import stores. Prints one line per list and exits 1 on any
difference, naming the table and the first rows that differ. Standard library
only (plus llmreads itself, run as a subprocess).

With `--by-place`, sections, entries and links are compared by where they are
(list, position, a link's position; an entry names its section by number),
not by row id, and papers in the order of their keys: a re-import that keeps
the rows it finds again (and numbers only new ones) stores the same list as
one that writes every row anew.

With `--new-digests`, the digests the parser gives rows (entries.source, and
table_columns, keyed and sampled by them) are left out: for a change to the
parser, whose own code and way of digesting a row are in those digests.

Positions are compared as ranks (an entry's place in its list, a listed
paper's among the listed): a position says where an entry is in its list's
order, with room between (store/positions.py), and a re-import that keeps a
list's rows keeps their positions where one that writes every row numbers them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

# Per table: the columns compared, in order (times left out: they differ by run).
TABLES = {
    "lists": "id, name, title, source, source_sha256, updated, owner",
    "sections": "*",
    "entries": "*",
    "links": "entry_id, position, text, url",
    "papers": "*",
    "key_aliases": "*",
    "statuses": "user, paper_key, status",
    "notes": "id, user, paper_key, text",
    "table_columns": "*",
}
# --by-place: the rows of these tables by where they are, without row ids (`{columns}`: the shared ones).
BY_PLACE = {
    "sections": "SELECT {columns} FROM sections ORDER BY list_id, position",
    "entries": "SELECT {columns}, (SELECT number FROM sections s WHERE s.id = entries.section_id) FROM entries"
               " ORDER BY list_id, position",
    "links": "SELECT e.list_id, e.rank, l.position, l.text, l.url FROM links l JOIN (SELECT id, list_id,"
             " row_number() OVER (PARTITION BY list_id ORDER BY position) AS rank FROM entries) e ON e.id = l.entry_id"
             " ORDER BY e.list_id, e.rank, l.position",
    "papers": "SELECT {columns} FROM papers ORDER BY key",
}
# Positions as ranks: an entry's place in its list, a listed paper's among the listed.
RANKS = {
    "entries": "row_number() OVER (PARTITION BY list_id ORDER BY position)",
    "papers": "CASE WHEN listed THEN rank() OVER (PARTITION BY listed ORDER BY position) END",
}
ROW_IDS = ("id", "section_id", "entry_id")
INDEXES = ("papers_fts", "notes_fts")
LINES = "lines"  # each entry's line: entries.line, or (migration m013) the packed list_lines


def entry_lines(conn: sqlite3.Connection) -> Iterator[tuple[object, ...]]:
    """(list id, rank, line) of every entry of an imported list, wherever the database keeps its line."""
    if "line" in {row[1] for row in conn.execute("PRAGMA table_info(entries)")}:
        return iter(conn.execute(
            "SELECT e.list_id, row_number() OVER (PARTITION BY e.list_id ORDER BY e.position), e.line"
            " FROM entries e JOIN lists l ON l.id = e.list_id WHERE l.owner IS NULL ORDER BY 1, 2"))
    import zlib
    from array import array
    from itertools import accumulate

    found: list[tuple[object, ...]] = []
    for list_id, packed in conn.execute("SELECT list_id, lines FROM list_lines ORDER BY list_id"):
        steps = array("q")
        steps.frombytes(zlib.decompress(packed))
        if sys.byteorder != "little":
            steps.byteswap()
        found += [(list_id, rank, line) for rank, line in enumerate(accumulate(steps), 1)]
    return iter(found)


def rows(conn: sqlite3.Connection, table: str, columns: str | None = None,
         by_place: bool = False) -> Iterator[tuple[object, ...]]:
    if table in RANKS and columns:
        columns = ", ".join(RANKS[table] if c == "position" else c for c in columns.split(", "))
    if by_place and table in BY_PLACE:
        if table != "papers":
            columns = ", ".join(c for c in (columns or "").split(", ") if c not in ROW_IDS)
        return iter(conn.execute(BY_PLACE[table].format(columns=columns)))
    if table in INDEXES:
        vocab = f"temp.{table}_check"
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {vocab} USING fts5vocab(main, {table}, 'instance')")
        return iter(conn.execute(f"SELECT term, doc, col, offset FROM {vocab} ORDER BY term, doc, col, offset"))
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is None:
        return iter(())
    columns = columns or TABLES[table]
    width = len(conn.execute(f"SELECT {columns} FROM {table} LIMIT 0").description)
    return iter(conn.execute(f"SELECT {columns} FROM {table} ORDER BY {', '.join(map(str, range(1, width + 1)))}"))


def compare(a: Path, b: Path, by_place: bool = False, new_digests: bool = False) -> list[str]:
    """The tables whose rows differ between two databases, each with the first differing rows."""
    from itertools import zip_longest

    differences = []
    with sqlite3.connect(a) as one, sqlite3.connect(b) as two:
        for table in [*TABLES, *INDEXES, LINES]:
            if new_digests and table == "table_columns":
                continue
            try:
                columns = shared_columns(one, two, table) if TABLES.get(table) == "*" else None
                if new_digests and table == "entries" and columns:
                    columns = ", ".join(c for c in columns.split(", ") if c != "source")
                if table == LINES:
                    pairs = zip_longest(entry_lines(one), entry_lines(two))
                else:
                    pairs = zip_longest(rows(one, table, columns, by_place), rows(two, table, columns, by_place))
            except sqlite3.OperationalError as exc:
                differences.append(f"{table}: cannot be read in both ({exc})")
                continue
            count = [0, 0]
            first = None
            for x, y in pairs:
                count[0] += x is not None
                count[1] += y is not None
                if first is None and x != y:
                    first = (x, y)
            if first is not None:
                differences.append(f"{table}: {count[0]} vs {count[1]} rows;"
                                   f" first difference {first[0]!r} vs {first[1]!r}")
    return differences


def shared_columns(one: sqlite3.Connection, two: sqlite3.Connection, table: str) -> str | None:
    """The columns of `table` both databases have, in the first one's order: a column one version added
    (entries.source, what a re-import reuses rows by) is not what the comparison is about."""
    theirs = {row[1] for row in two.execute(f"PRAGMA table_info({table})")}
    shared = [row[1] for row in one.execute(f"PRAGMA table_info({table})") if row[1] in theirs]
    return ", ".join(shared) or None


def report_of(output: str) -> object:
    """The import's --json report, without what depends on the run (times, paths)."""
    report = json.loads(output)
    for key in ("imported_at", "seconds", "source"):
        if isinstance(report, dict):
            report.pop(key, None)
    return report


def run_import(python_path: str | None, db: Path, markdown: Path, name: str) -> object:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")}
    env["LLMREADS_USER"] = "check"
    if python_path:
        env["PYTHONPATH"] = python_path
    else:
        env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, "-m", "llmreads", "--db", str(db), "import", str(markdown), "--name", name, "--json"],
        capture_output=True, text=True, env=env,
    )
    if done.returncode != 0:
        return {"exit": done.returncode, "stderr": done.stderr.strip().splitlines()[-1:]}
    return report_of(done.stdout)


def check(markdown: Path, base: str, updated: Path | None, work: Path, into: Path | None = None,
          by_place: bool = False, new_digests: bool = False) -> list[str]:
    problems = []
    dbs = {side: work / f"{markdown.stem}-{side}.db" for side in ("new", "base")}
    for db in dbs.values():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        if into is not None:
            shutil.copyfile(into, db)
    steps = [markdown] + ([updated] if updated else [])
    for step, path in enumerate(steps):
        reports = {side: run_import(None if side == "new" else base, db, path, "checked") for side, db in dbs.items()}
        if reports["new"] != reports["base"]:
            problems.append(f"import {step + 1} ({path.name}): reports differ:"
                            f" {reports['new']!r} vs {reports['base']!r}")
        problems += [f"import {step + 1} ({path.name}): {d}"
                     for d in compare(dbs["new"], dbs["base"], by_place, new_digests)]
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lists", nargs="+", type=Path, help="markdown lists to import")
    parser.add_argument("--base", required=True, help="source folder of the llmreads to compare with (its src/)")
    parser.add_argument("--updated", type=Path, help="a second version of the (single) list, imported over the first")
    parser.add_argument("--into", type=Path, help="a database (closed) to import into, copied: a non-empty one")
    parser.add_argument("--by-place", action="store_true",
                        help="compare sections, entries and links by list and position, not row id; papers by key")
    parser.add_argument("--new-digests", action="store_true",
                        help="leave out the digests the parser gives rows (a change to the parser changes them)")
    args = parser.parse_args(argv)
    if args.updated and len(args.lists) != 1:
        parser.error("--updated goes with one list")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="import-check-") as folder:
        for markdown in args.lists:
            problems = check(markdown, args.base, args.updated, Path(folder), args.into, args.by_place,
                             args.new_digests)
            failed += bool(problems)
            print(f"{markdown.name}: {'same' if not problems else 'DIFFERENT'}")
            for problem in problems:
                print(f"  {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
