"""Short writes during a large import: do they wait, and for how long is the write lock held?

    python bench/import_writers.py                   # a 150,000-paper list, 2 writer loops
    python bench/import_writers.py --papers 20k --writers 4

A database holding the bundled list imports a generated list of --papers
papers (`bench/generate.py`, cached in bench/data/) with `llmreads import`.
While it runs, --writers loops each run the real CLI, one process per
operation, alternating `mark-read REF` / `mark-unread REF` and `note add REF
TEXT`, until the import has ended. A probe connection tries `BEGIN IMMEDIATE`
without waiting every few milliseconds and records when the write lock was
taken by someone else: its longest unbroken stretch is the import's write
phase.

Printed: the import's wall time and the longest write-lock stretch; writes
acknowledged (exit 0), failed, and found in the database afterwards; the
longest a write took and how many said they were waiting. The exit status is
1 when a write failed or an acknowledged one is missing. Nothing here asserts
on time: the figures are for reading.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
WAITING = "waiting for another llmreads process"


def parse_count(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def generated_list(papers: int, seed: int) -> Path:
    path = DATA / f"list-{papers}-seed{seed}.md"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {papers} papers into {path} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(BENCH / "generate.py"), "--papers", str(papers), "--seed", str(seed),
                        "-o", str(path), "-q"], check=True)
    return path


def llmreads(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llmreads", *args], env=env, capture_output=True, text=True)


@dataclass
class Write:
    args: list[str]
    rc: int
    stderr: str
    seconds: float
    started: float


class Probe(threading.Thread):
    """Records the stretches of time in which another connection held the write lock."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.stretches: list[tuple[float, float]] = []

    def run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        locked_since: float | None = None
        while not self.stop.is_set():
            moment = time.monotonic()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                if locked_since is not None:
                    self.stretches.append((locked_since, moment))
                    locked_since = None
            except sqlite3.OperationalError:
                if locked_since is None:
                    locked_since = moment
            time.sleep(0.003)
        if locked_since is not None:
            self.stretches.append((locked_since, time.monotonic()))
        conn.close()


def writer(index: int, refs: list[str], env: dict[str, str], importing: threading.Event,
           results: list[Write]) -> None:
    """One loop of short CLI writes, until the import has ended (and at least one write)."""
    n = 0
    while importing.is_set() or n == 0:
        ref = refs[(index * 7 + n) % len(refs)]
        if n % 2:
            args = ["note", "add", ref, f"writer {index} note {n} 导入期间"]
        else:
            args = ["mark-read" if n % 4 == 0 else "mark-unread", ref]
        started = time.monotonic()
        done = llmreads(*args, env=env)
        results.append(Write(args, done.returncode, done.stderr.strip(), time.monotonic() - started, started))
        n += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=parse_count, default=150_000, help="papers in the imported list")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated list")
    parser.add_argument("--writers", type=int, default=2, help="concurrent loops of short writes")
    args = parser.parse_args()

    document = generated_list(args.papers, args.seed)
    with tempfile.TemporaryDirectory(prefix="llmreads-import-writers-") as folder:
        db = Path(folder) / "busy.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")}
        env.update(LLMREADS_DB=str(db), LLMREADS_USER="writer", LLMREADS_CONFIG=str(Path(folder) / "none.toml"))
        listed = llmreads("list", "--json", "--limit", "40", env=env)  # creates it with the bundled list
        if listed.returncode != 0:
            print(listed.stderr, file=sys.stderr)
            return 1
        refs = [row["id"] for row in json.loads(listed.stdout)]

        probe = Probe(db)
        probe.start()
        importing = threading.Event()
        importing.set()
        results: list[Write] = []
        print(f"importing {document.name} while {args.writers} loops write ...", file=sys.stderr)
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "llmreads", "import", str(document), "--name", "big"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        loops = [threading.Thread(target=writer, args=(i, refs, env, importing, results)) for i in range(args.writers)]
        for loop in loops:
            loop.start()
        out, err = proc.communicate()
        ended = time.monotonic()
        importing.clear()
        for loop in loops:
            loop.join()
        probe.stop.set()
        probe.join()

        notes_acked = sorted(r.args[3] for r in results if r.args[0] == "note" and r.rc == 0)
        conn = sqlite3.connect(db)
        notes_found = sorted(row[0] for row in conn.execute("SELECT text FROM notes WHERE user = 'writer'"))
        papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        conn.close()

    longest = max(probe.stretches, key=lambda s: s[1] - s[0], default=(0.0, 0.0))
    failed = [r for r in results if r.rc != 0]
    during = [r for r in results if r.started < ended]
    waited = [r for r in results if WAITING in r.stderr]
    slowest = max((r.seconds for r in results), default=0.0)
    print(f"import: exit {proc.returncode}, {ended - started:.1f} s wall, {papers} papers in the database"
          + (f"\n  {err.strip()[-500:]}" if proc.returncode else ""))
    print(f"write lock held by the import: {longest[1] - longest[0]:.1f} s in one stretch, from "
          f"{longest[0] - started:.1f} s to {longest[1] - started:.1f} s after it started")
    print(f"short writes: {len(results)} run ({len(during)} started during the import), "
          f"{len(results) - len(failed)} acknowledged, {len(failed)} failed; "
          f"longest {slowest:.1f} s; {len(waited)} said they were waiting")
    print(f"notes: {len(notes_acked)} acknowledged, {len(notes_found)} found afterwards"
          f"{'' if notes_acked == notes_found else ' (MISMATCH)'}")
    for r in failed[:5]:
        print(f"  failed: llmreads {' '.join(r.args)}: {r.stderr[-300:]}")
    return 1 if failed or notes_acked != notes_found or proc.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
