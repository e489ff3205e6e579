"""Stress llmreads: many processes writing at once, many starting on a new database, one huge import.

    python bench/stress.py                      # all three parts, the counts the issue asks for
    python bench/stress.py --cli                # the writers run the real `llmreads` CLI (slower)
    python bench/stress.py --skip-import        # only the concurrency parts
    python bench/stress.py --import-mb 50 --import-shape one-section

1. Writers: N processes (default 8) start together against one database; each,
   as its own user, marks K papers (default 50) read, then unread for every other
   one, adds K notes and reads in between, each operation on a fresh connection
   as a CLI run has (or, with --cli, as a real `llmreads` process). Afterwards
   exactly the expected statuses, notes and note index rows must exist.
2. Cold starts: R rounds of N `llmreads mark-read` processes started at the same
   moment on a database that does not exist yet (create, migrate, switch to WAL,
   import the bundled list): every one must succeed and the list exist once.
3. A large import: a markdown list of about --import-mb MB (default 50) imported
   by `llmreads import` in a new database; its wall time and peak resident memory
   (`resource.getrusage(RUSAGE_CHILDREN)` in a helper process whose only child
   is the import).

Progress goes to stderr and a summary to stdout; the exit status is 1 when any
operation failed ("database is locked" included) or any row is missing or extra.
Nothing here asserts on time: the figures are for reading.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
GENERATOR = BENCH / "generate.py"

WORKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from llmreads.db import open_db
    from llmreads.models import Status
    from llmreads.store.filters import status_filter
    from llmreads.store.notes import add_note
    from llmreads.store.papers import list_papers, resolve_ref
    from llmreads.store.search import search
    from llmreads.store.tracking import set_status

    db, user, refs = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
    print("ready", flush=True)
    sys.stdin.readline()
    errors, started = [], time.monotonic()
    for i, ref in enumerate(refs):
        try:
            conn = open_db(db)
            try:
                pid = resolve_ref(conn, ref)
                set_status(conn, user, [pid], Status.read)
                list_papers(conn, user, [status_filter("read")], limit=20)
                if i % 2:
                    set_status(conn, user, [pid], Status.unread)
                add_note(conn, user, pid, f"{user} note {i} 压力测试")
                search(conn, user, "压力测试", limit=5)
            finally:
                conn.close()
        except Exception as exc:
            errors.append(f"{ref}: {type(exc).__name__}: {exc}")
    print(json.dumps({"errors": errors, "seconds": time.monotonic() - started}), flush=True)
    """
)

CLI_WORKER = textwrap.dedent(
    """
    import json, subprocess, sys, time

    db, user, refs = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    print("ready", flush=True)
    sys.stdin.readline()
    errors, started = [], time.monotonic()

    def llmreads(*args):
        result = subprocess.run([sys.executable, "-m", "llmreads", "--db", db, "--user", user, *args],
                                capture_output=True, text=True)
        if result.returncode != 0:
            errors.append(f"{' '.join(args)}: exit {result.returncode}: {result.stderr.strip()[-300:]}")

    for i, ref in enumerate(refs):
        llmreads("mark-read", ref)
        if i % 2:
            llmreads("mark-unread", ref)
        llmreads("note", "add", ref, f"{user} note {i} 压力测试")
    print(json.dumps({"errors": errors, "seconds": time.monotonic() - started}), flush=True)
    """
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def env_for(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")}
    env.update(LLMREADS_DB=str(db), LLMREADS_USER="stress", LLMREADS_CONFIG=str(db.parent / "no-config.toml"))
    return env


# ---------------------------------------------------------------- 1. writers


def prepare(db: Path, count: int) -> list[tuple[str, str]]:
    """A database with the bundled list; the (short id, key) of the papers the writers use."""
    from llmreads.db import open_db
    from llmreads.sources import import_path
    from llmreads.store.papers import list_papers

    conn = open_db(db)
    try:
        import_path(conn, None, name=None)
        papers = list_papers(conn, "stress", limit=count)
    finally:
        conn.close()
    if len(papers) < count:
        raise SystemExit(f"the bundled list has only {len(papers)} papers; use --ops {len(papers)} or fewer")
    return [(p.id, p.key) for p in papers]


def writers(folder: Path, processes: int, ops: int, cli: bool) -> list[str]:
    db = folder / "writers.db"
    papers = prepare(db, ops)
    refs = ",".join(short for short, _ in papers)
    users = [f"writer{i}" for i in range(processes)]
    script = CLI_WORKER if cli else WORKER
    log(f"writers: {processes} {'CLI ' if cli else ''}processes x {ops} papers ...")
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(db), user, refs], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, env=env_for(db))
        for user in users
    ]
    for proc in procs:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit("a worker did not start")
    started = time.monotonic()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    reports = []
    problems = []
    for user, proc in zip(users, procs, strict=True):
        out, _ = proc.communicate()
        if proc.returncode != 0:
            problems.append(f"{user}: worker exited with {proc.returncode}")
            continue
        report = json.loads(out.strip().splitlines()[-1])
        reports.append(report)
        problems += [f"{user}: {error}" for error in report["errors"]]
    elapsed = time.monotonic() - started
    writes = processes * ops * (2.5 if cli else 3.5)
    locked = sum("locked" in p for p in problems)
    print(f"writers     {processes} processes x {ops} papers{' (CLI)' if cli else ''}: {elapsed:.1f} s, "
          f"about {writes / elapsed:.0f} write transactions/s; "
          f"{len(problems)} failed operations ({locked} 'database is locked')")
    return problems + check_rows(db, users, papers)


def check_rows(db: Path, users: list[str], papers: list[tuple[str, str]]) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        statuses = set(conn.execute("SELECT user, paper_key, status FROM statuses").fetchall())
        notes = conn.execute("SELECT user, paper_key, text FROM notes").fetchall()
        indexed = conn.execute("SELECT count(*) FROM notes_fts").fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    expected_statuses = {(u, key, "unread" if i % 2 else "read") for u in users for i, (_, key) in enumerate(papers)}
    expected_notes = sorted((u, key, f"{u} note {i} 压力测试") for u in users for i, (_, key) in enumerate(papers))
    problems = []
    if statuses != expected_statuses:
        problems.append(f"statuses: {len(expected_statuses - statuses)} missing or wrong, "
                        f"{len(statuses - expected_statuses)} unexpected")
    if sorted(notes) != expected_notes:
        problems.append(f"notes: {len(notes)} rows, expected {len(expected_notes)} (or different texts)")
    if indexed != len(notes):
        problems.append(f"notes_fts: {indexed} rows for {len(notes)} notes")
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    print(f"rows        statuses {len(statuses)}/{len(expected_statuses)}, notes {len(notes)}/{len(expected_notes)}, "
          f"note index {indexed}, integrity {integrity}")
    return problems


# ---------------------------------------------------------------- 2. cold starts


def cold_starts(folder: Path, processes: int, rounds: int) -> list[str]:
    refs = ["lora", "2005.14165", "2203.02155", "1706.03762", "1910.10683", "2303.08774", "2206.07682",
            "2107.03374"]
    problems = []
    log(f"cold starts: {rounds} rounds of {processes} processes on a new database ...")
    started = time.monotonic()
    for r in range(rounds):
        db = folder / f"cold-{r}.db"
        procs = [
            subprocess.Popen([sys.executable, "-m", "llmreads", "--user", f"u{i}", "mark-read", refs[i % len(refs)]],
                             env=env_for(db), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for i in range(processes)
        ]
        for i, proc in enumerate(procs):
            _, err = proc.communicate()
            if proc.returncode != 0:
                problems.append(f"cold start round {r}, process {i}: {err.strip()[-300:]}")
        conn = sqlite3.connect(db)
        lists = conn.execute("SELECT count(*) FROM lists").fetchone()[0]
        papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        conn.close()
        if lists != 1 or papers != 118:
            problems.append(f"cold start round {r}: {lists} lists, {papers} papers (expected 1 and 118)")
    print(f"cold starts {rounds} rounds x {processes} processes: {time.monotonic() - started:.1f} s, "
          f"{len(problems)} problems")
    return problems


# ---------------------------------------------------------------- 3. a large import


def make_list(path: Path, megabytes: float, shape: str) -> None:
    if shape == "seed" and GENERATOR.exists():
        papers = int(megabytes * 1_000_000 / 233)  # the generator writes about 233 bytes a paper
        subprocess.run([sys.executable, str(GENERATOR), "--papers", str(papers), "--seed", "1", "-o", str(path),
                        "-q"], check=True)
        return
    # One section holding every row: the parser's worst case (it works a section at a time).
    intro = "大模型 introduction text with several words " * 55
    rows = int(megabytes * 1_000_000 / (len(intro.encode()) + 60))
    with path.open("w", encoding="utf-8") as out:
        out.write("1. # Everything\n\n| **ID** | **Paper** | **Introduction** |\n| --- | --- | --- |\n")
        for k in range(rows):
            out.write(f"| {k}✡ | [Title {k}](https://arxiv.org/abs/{23 + k // 100_000}01.{k % 100_000:05d})"
                      f" | {intro}{k} |\n")


def measure_import(markdown: Path, db: Path) -> dict[str, object]:
    """Run in a helper process: the import is its only child, so RUSAGE_CHILDREN is the import's."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "llmreads", "--db", str(db), "import", str(markdown),
                             "--name", "big", "--json"], capture_output=True, text=True, env=env_for(db))
    seconds = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    papers = json.loads(result.stdout)["papers"] if result.returncode == 0 else None
    return {"returncode": result.returncode, "seconds": seconds, "peak_mib": peak_kib / 1024, "papers": papers,
            "stderr": result.stderr.strip()[-500:]}


def big_import(folder: Path, megabytes: float, shape: str) -> list[str]:
    markdown = folder / f"big-{shape}.md"
    log(f"import: writing a {megabytes:g} MB list ({shape} shape) ...")
    make_list(markdown, megabytes, shape)
    size = markdown.stat().st_size
    log(f"import: importing {size / 1e6:.1f} MB ...")
    helper = subprocess.run([sys.executable, __file__, "_measure", str(markdown), str(folder / f"big-{shape}.db")],
                            capture_output=True, text=True, check=True)
    figures = json.loads(helper.stdout)
    db_size = sum(p.stat().st_size for p in folder.glob(f"big-{shape}.db*"))
    if figures["returncode"] == 0:
        print(f"import      {size / 1e6:.1f} MB ({shape} shape, {figures['papers']} papers): "
              f"{figures['seconds']:.1f} s, peak RSS {figures['peak_mib']:.0f} MiB "
              f"({figures['peak_mib'] * 2**20 / size:.1f}x the file), database {db_size / 1e6:.0f} MB")
        return []
    lines = [line for line in str(figures["stderr"]).splitlines() if line.strip()]
    print(f"import      {size / 1e6:.1f} MB ({shape} shape): refused after {figures['seconds']:.1f} s, "
          f"peak RSS {figures['peak_mib']:.0f} MiB: {lines[-1] if lines else '(no message)'}")
    if len(lines) != 1 or not lines[0].startswith("Error: "):
        return [f"import: not one clear error line: {figures['stderr']!r}"]
    return []


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "_measure":
        print(json.dumps(measure_import(Path(sys.argv[2]), Path(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=8, help="concurrent processes (default 8)")
    parser.add_argument("--ops", type=int, default=50, help="papers each writer marks and notes (default 50)")
    parser.add_argument("--cli", action="store_true", help="writers run the real llmreads CLI for each operation")
    parser.add_argument("--rounds", type=int, default=5, help="cold-start rounds (default 5)")
    parser.add_argument("--import-mb", type=float, default=50, help="size of the large list in MB (default 50)")
    parser.add_argument("--import-shape", choices=("seed", "one-section"), default="seed",
                        help="seed: sections of about 300 rows (bench/generate.py); one-section: a single table")
    parser.add_argument("--skip-writers", action="store_true")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="llmreads-stress-"))
    problems: list[str] = []
    print(f"machine     {os.cpu_count()} cpus, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")
    if not args.skip_writers:
        problems += writers(folder, args.processes, args.ops, args.cli)
    if not args.skip_cold:
        problems += cold_starts(folder, args.processes, args.rounds)
    if not args.skip_import:
        problems += big_import(folder, args.import_mb, args.import_shape)
    for problem in problems[:50]:
        print(f"PROBLEM     {problem}")
    print("result      " + ("OK" if not problems else f"{len(problems)} problems"))
    if args.keep:
        print(f"kept        {folder}")
    else:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
