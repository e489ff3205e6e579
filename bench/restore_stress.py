"""Stress `llmreads db restore` while other processes write: is every acknowledged change kept somewhere?

    python bench/restore_stress.py                   # 5 runs: 4 writers, 1 importer, 10 restores each
    python bench/restore_stress.py --runs 1 --seconds 3 --restores 5
    python bench/restore_stress.py --cli             # the writers run the real `llmreads note add`

Each run makes a database with the bundled list and a backup of it, then for
--seconds lets --writers processes add notes (each note a unique text; a note
is acknowledged when the call returned without an error: half of the writers
keep one connection, the other half open one per note, as a CLI run does), one
process import a generated list of --import-papers papers again and again
under new names with `llmreads import` (acknowledged when it exits 0), and
runs `llmreads db restore` of the backup --restores times.

A restore puts the backup (which holds none of these notes or imports) in
place and keeps the database it replaced aside, so every acknowledged note
must be found in exactly one file: the database at the end or one of the
set-aside copies; every acknowledged import must be found whole (all its
entries) in one of them, and no file may hold part of an import.

Progress goes to stderr and the figures to stdout; the exit status is 1 when
anything acknowledged was lost, an import was found partly written, or a
restore failed. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
GENERATOR = BENCH / "generate.py"
LLMREADS = [sys.executable, "-m", "llmreads"]

WRITER = textwrap.dedent(
    """
    import json, subprocess, sys, time
    from pathlib import Path

    db, user, refs = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
    seconds, mode = float(sys.argv[4]), sys.argv[5]
    if mode != "cli":
        from llmreads.db import open_db
        from llmreads.store.notes import add_note
        from llmreads.store.papers import resolve_ref

    acknowledged, errors, n = [], [], 0
    kept = open_db(db) if mode == "keep" else None
    print("ready", flush=True)
    sys.stdin.readline()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        text = f"{user} #{n}"
        ref = refs[n % len(refs)]
        n += 1
        try:
            if mode == "cli":
                done = subprocess.run([sys.executable, "-m", "llmreads", "--db", str(db), "--user", user,
                                       "note", "add", ref, text], capture_output=True, text=True)
                if done.returncode != 0:
                    errors.append(done.stderr.strip()[-200:])
                    continue
            else:
                conn = kept or open_db(db)
                try:
                    add_note(conn, user, resolve_ref(conn, ref), text)
                finally:
                    if conn is not kept:
                        conn.close()
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        acknowledged.append(text)
    print(json.dumps({"acknowledged": acknowledged, "errors": errors}), flush=True)
    """
)

IMPORTER = textwrap.dedent(
    """
    import json, subprocess, sys, time

    db, document, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    acknowledged, errors, n = [], [], 0
    print("ready", flush=True)
    sys.stdin.readline()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        name = f"imported-{n}"
        n += 1
        done = subprocess.run([sys.executable, "-m", "llmreads", "--db", db, "import", document, "--name", name],
                              capture_output=True, text=True)
        if done.returncode == 0:
            acknowledged.append(name)
        else:
            errors.append(done.stderr.strip()[-200:])
    print(json.dumps({"acknowledged": acknowledged, "errors": errors}), flush=True)
    """
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def env_for(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")}
    env.update(LLMREADS_DB=str(db), LLMREADS_USER="stress", LLMREADS_CONFIG=str(db.parent / "no-config.toml"))
    return env


@dataclass
class Totals:
    notes_acknowledged: int = 0
    notes_found: int = 0
    notes_lost: int = 0
    notes_unacknowledged_found: int = 0
    imports_acknowledged: int = 0
    imports_found_whole: int = 0
    imports_lost: int = 0
    imports_partial: int = 0
    restores: int = 0
    restores_failed: int = 0
    write_errors: int = 0
    problems: list[str] = field(default_factory=list)


def llmreads(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LLMREADS, *args], capture_output=True, text=True, env=env_for(db))


def entries_per_import(folder: Path, document: Path) -> int:
    """How many entries one import of `document` writes, from an import into a scratch database."""
    scratch = folder / "scratch.db"
    done = llmreads(scratch, "import", str(document), "--name", "probe")
    if done.returncode != 0:
        raise SystemExit(f"the probe import failed: {done.stderr.strip()}")
    conn = sqlite3.connect(scratch)
    try:
        return int(conn.execute(
            "SELECT count(*) FROM entries JOIN lists ON lists.id = entries.list_id WHERE lists.name = 'probe'"
        ).fetchone()[0])
    finally:
        conn.close()


def start(script: str, db: Path, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", script, str(db), *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env_for(db))
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit("a worker did not start")
    return proc


def contents(path: Path) -> tuple[set[str], dict[str, int]]:
    """The writers' note texts and the entry count of every imported list in one database file."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        notes = {row[0] for row in conn.execute("SELECT text FROM notes WHERE user LIKE 'writer%'")}
        imports = dict(conn.execute(
            "SELECT lists.name, count(entries.id) FROM lists LEFT JOIN entries ON entries.list_id = lists.id"
            " WHERE lists.name LIKE 'imported-%' GROUP BY lists.id"
        ).fetchall())
        integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        conn.close()
    if integrity != "ok":
        raise SystemExit(f"{path}: quick_check says {integrity}")
    return notes, imports


def run_once(number: int, args: argparse.Namespace, document: Path, per_import: int, totals: Totals) -> None:
    with tempfile.TemporaryDirectory(prefix="restore-stress-") as name:
        folder = Path(name)
        db, backup = folder / "live.db", folder / "backup.db"
        for command in (("list", "--limit", "1"), ("db", "backup", str(backup))):
            done = llmreads(db, *command)
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()}")
        conn = sqlite3.connect(db)
        refs = ",".join(row[0] for row in conn.execute("SELECT short_id FROM papers ORDER BY id LIMIT 40"))
        conn.close()
        modes = ["cli"] * args.writers if args.cli else ["keep" if i % 2 == 0 else "open" for i in range(args.writers)]
        writers = [start(WRITER, db, f"writer{i}", refs, str(args.seconds), mode) for i, mode in enumerate(modes)]
        importer = start(IMPORTER, db, str(document), str(args.seconds))
        for proc in (*writers, importer):
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        started = time.monotonic()
        for i in range(args.restores):
            # Spread over the run, the first after some writes.
            time.sleep(max(0.0, started + args.seconds * (i + 0.5) / args.restores - time.monotonic()))
            done = llmreads(db, "db", "restore", str(backup))
            totals.restores += 1
            if done.returncode != 0:
                totals.restores_failed += 1
                totals.problems.append(f"run {number}: restore failed: {done.stderr.strip()}")
        reports = []
        for proc in (*writers, importer):
            out, _ = proc.communicate(timeout=args.seconds + 300)
            if proc.returncode != 0:
                raise SystemExit(f"a worker exited with status {proc.returncode}")
            reports.append(json.loads(out.strip().splitlines()[-1]))
        *writer_reports, import_report = reports

        asides = folder.glob("live.db.replaced-*")
        files = [db, *sorted(p for p in asides if not p.name.endswith(("-wal", "-shm", "-journal")))]
        found_notes: list[str] = []
        found_imports: dict[str, list[int]] = {}
        for path in files:
            notes, imports = contents(path)
            found_notes += notes
            for list_name, count in imports.items():
                found_imports.setdefault(list_name, []).append(count)
        acknowledged_notes = {text for report in writer_reports for text in report["acknowledged"]}
        found = set(found_notes)
        lost_notes = acknowledged_notes - found
        twice = len(found_notes) - len(found)
        acknowledged_imports = set(import_report["acknowledged"])
        whole = {name for name, counts in found_imports.items() if per_import in counts}
        partial = sum(1 for counts in found_imports.values() for count in counts if count != per_import)
        lost_imports = acknowledged_imports - whole
        errors = [e for report in reports for e in report["errors"]]

        totals.notes_acknowledged += len(acknowledged_notes)
        totals.notes_found += len(acknowledged_notes & found)
        totals.notes_lost += len(lost_notes)
        totals.notes_unacknowledged_found += len(found - acknowledged_notes)
        totals.imports_acknowledged += len(acknowledged_imports)
        totals.imports_found_whole += len(acknowledged_imports & whole)
        totals.imports_lost += len(lost_imports)
        totals.imports_partial += partial
        totals.write_errors += len(errors)
        if lost_notes:
            totals.problems.append(f"run {number}: notes lost: {', '.join(sorted(lost_notes)[:10])}")
        if lost_imports:
            totals.problems.append(f"run {number}: imports lost: {', '.join(sorted(lost_imports))}")
        if partial:
            totals.problems.append(f"run {number}: {partial} imported lists found with only part of their entries")
        if twice:
            totals.problems.append(f"run {number}: {twice} notes found in more than one file")
        totals.problems += [f"run {number}: write failed: {e}" for e in errors[:5]]
        log(f"run {number}: {len(files) - 1} copies set aside; notes {len(acknowledged_notes & found)}"
            f"/{len(acknowledged_notes)} acknowledged found; imports {len(acknowledged_imports & whole)}"
            f"/{len(acknowledged_imports)} found whole; {len(errors)} failed writes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writers", type=int, default=4, help="processes adding notes")
    parser.add_argument("--seconds", type=float, default=6.0, help="how long the writers and the importer run")
    parser.add_argument("--restores", type=int, default=10, help="restores per run, spread over --seconds")
    parser.add_argument("--import-papers", type=int, default=3000, help="papers in the list imported repeatedly")
    parser.add_argument("--cli", action="store_true", help="writers run `llmreads note add` processes")
    args = parser.parse_args()

    totals = Totals()
    with tempfile.TemporaryDirectory(prefix="restore-stress-list-") as name:
        folder = Path(name)
        document = folder / "list.md"
        subprocess.run([sys.executable, str(GENERATOR), "--papers", str(args.import_papers), "--seed", "7",
                        "-q", "-o", str(document)], check=True)
        per_import = entries_per_import(folder, document)
        log(f"{args.runs} runs: {args.writers} writers{' (CLI)' if args.cli else ''}, 1 importer "
            f"({per_import} entries an import), {args.restores} restores in {args.seconds:g} s each")
        for number in range(1, args.runs + 1):
            run_once(number, args, document, per_import, totals)

    print(f"restores    {totals.restores} ({totals.restores_failed} failed)")
    print(f"notes       {totals.notes_acknowledged} acknowledged, {totals.notes_found} found afterwards, "
          f"{totals.notes_lost} lost ({totals.notes_unacknowledged_found} found that were not acknowledged; "
          f"{totals.write_errors} writes failed and were not acknowledged)")
    print(f"imports     {totals.imports_acknowledged} acknowledged, {totals.imports_found_whole} found whole, "
          f"{totals.imports_lost} lost, {totals.imports_partial} found partly written")
    for problem in totals.problems:
        print(f"problem     {problem}")
    lost = totals.notes_lost + totals.imports_lost + totals.imports_partial + totals.restores_failed
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
