"""Merge user data back and forth between two databases and count the notes: none lost, none duplicated.

    python bench/userdata_merge.py                  # 20 rounds, the figures the issue asks for
    python bench/userdata_merge.py --rounds 50 --notes 20 --seed 7

Two databases, "desktop" and "laptop", hold the bundled list. Each round, on
both sides, alice adds --notes notes (acknowledged: `add_note` returned
its number); --same-second of them, on the same paper on both sides, are given
one shared creation and edit second, as two machines writing at the same moment
would. Then --edits notes already on one side are edited there (acknowledged:
`update_note` returned); edits come fast, so some fall in the same second
as an edit of the same note on the other side the round before. Then the real
CLI exports each side (`llmreads user-data export`) and imports it into the
other (`llmreads user-data import`), in both orders, once or twice a round.

At the end, after a last exchange both ways, every acknowledged note must be
on both sides with its last acknowledged text (found), no (user, paper, text)
may be there twice (duplicates), both sides must hold the same texts, and the
note index must match the notes. Texts kept beside a note because two edits of
it fell in the same second (which of them is newer cannot be known) are
counted, not treated as errors.

Progress goes to stderr, the figures to stdout; exit status 1 when a note is
missing, duplicated or different on the two sides.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

USER = "alice"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Side:
    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.db = folder / f"{name}.db"
        self.folder = folder

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")}
        env.update(LLMREADS_DB=str(self.db), LLMREADS_USER=USER, LLMREADS_CONFIG=str(self.folder / "no-config.toml"))
        return env

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "llmreads", *args], capture_output=True, text=True, env=self.env()
        )
        if result.returncode != 0:
            raise SystemExit(f"{self.name}: llmreads {' '.join(args)}: exit {result.returncode}: {result.stderr}")
        return result.stdout

    def connect(self) -> sqlite3.Connection:
        from llmreads.db import open_db

        return open_db(self.db)


def exchange(source: Side, target: Side, folder: Path) -> tuple[int, int, int]:
    path = folder / f"{source.name}-to-{target.name}.json"
    path.unlink(missing_ok=True)
    source.cli("user-data", "export", "-o", str(path))
    report = json.loads(target.cli("user-data", "import", str(path), "--json"))
    n = report["users"].get(USER, {}).get("notes", {"added": 0, "updated": 0, "kept": 0})
    return n["added"], n["updated"], n["kept"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--notes", type=int, default=10, help="notes added on each side per round")
    parser.add_argument("--same-second", type=int, default=4, help="of those, written in one shared second")
    parser.add_argument("--edits", type=int, default=4, help="notes edited per round")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the databases (their folder is printed)")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    from llmreads.sources import import_path
    from llmreads.store.notes import add_note, get_note, update_note
    from llmreads.store.papers import list_papers, resolve_ref

    folder = Path(tempfile.mkdtemp(prefix="llmreads-merge-bench-"))
    desktop, laptop = Side("desktop", folder), Side("laptop", folder)
    sides = (desktop, laptop)
    for side in sides:
        conn = side.connect()
        import_path(conn, None, name=None)
        conn.close()
    conn = desktop.connect()
    papers = [(p.id, p.key) for p in list_papers(conn, USER, limit=30)]
    conn.close()

    last_text: dict[str, str] = {}  # note UUID -> its last acknowledged text
    key_of: dict[str, str] = {}
    added = edits = merges = 0
    merge_counts = Counter[str]()
    started = time.monotonic()
    for r in range(args.rounds):
        shared_paper = papers[r % len(papers)]
        stamp = f"2024-01-01T{r // 3600:02d}:{r // 60 % 60:02d}:{r % 60:02d}+00:00"
        for side in sides:
            conn = side.connect()
            try:
                for i in range(args.notes):
                    same = i < args.same_second
                    short, key = shared_paper if same else rng.choice(papers)
                    text = f"{side.name} round {r} note {i}" + (" (same second)" if same else "")
                    note_id = add_note(conn, USER, resolve_ref(conn, short), text)
                    uuid = get_note(conn, USER, note_id).uuid
                    assert isinstance(uuid, str)
                    if same:  # as written by a clock that read the same second on both machines
                        conn.execute("UPDATE notes SET created_at = ?, updated_at = ? WHERE id = ?",
                                     (stamp, stamp, note_id))
                    last_text[uuid], key_of[uuid] = text, key
                    added += 1
            finally:
                conn.close()
        editor = sides[r % 2]
        conn = editor.connect()
        try:
            known = [(row["id"], row["uuid"]) for row in conn.execute(
                "SELECT id, uuid FROM notes WHERE user = ? ORDER BY id", (USER,))]
            for note_id, uuid in rng.sample(known, min(args.edits, len(known))):
                text = f"edited on the {editor.name} in round {r}: {rng.random():.6f}"
                update_note(conn, USER, note_id, text)
                if uuid in last_text:
                    last_text[uuid] = text
                edits += 1
        finally:
            conn.close()
        order = [(desktop, laptop), (laptop, desktop)] if rng.random() < 0.5 else [(laptop, desktop), (desktop, laptop)]
        for source, target in order * (1 + (r % 2)):
            a, u, k = exchange(source, target, folder)
            merge_counts.update(added=a, updated=u, kept=k)
            merges += 1
        log(f"round {r + 1}/{args.rounds}: {added} notes added, {edits} edits, {merges} merges")
    for source, target in ((desktop, laptop), (laptop, desktop), (desktop, laptop)):
        exchange(source, target, folder)
        merges += 1
    elapsed = time.monotonic() - started

    problems: list[str] = []
    texts_by_side: dict[str, Counter[tuple[str, str]]] = {}
    for side in sides:
        conn = sqlite3.connect(side.db)
        try:
            rows = conn.execute("SELECT paper_key, text FROM notes WHERE user = ?", (USER,)).fetchall()
            indexed = conn.execute("SELECT count(*) FROM notes_fts").fetchone()[0]
            uuids_unique = conn.execute("SELECT count(DISTINCT uuid) = count(*) FROM notes").fetchone()[0]
        finally:
            conn.close()
        texts = Counter((str(key), str(text)) for key, text in rows)
        texts_by_side[side.name] = texts
        duplicates = sum(n - 1 for n in texts.values() if n > 1)
        found = sum((key_of[u], t) in texts for u, t in last_text.items())
        extra = len(set(texts) - {(key_of[u], t) for u, t in last_text.items()})
        print(f"{side.name:8} notes acknowledged {len(last_text)}, found {found}, duplicates {duplicates}, "
              f"rows {len(rows)} (of which kept beside a same-second edit: {extra}), index rows {indexed}")
        if found != len(last_text):
            problems.append(f"{side.name}: {len(last_text) - found} acknowledged notes missing")
        if duplicates:
            problems.append(f"{side.name}: {duplicates} duplicated notes")
        if indexed != len(rows):
            problems.append(f"{side.name}: {indexed} index rows for {len(rows)} notes")
        if not uuids_unique:
            problems.append(f"{side.name}: a UUID held by two notes")
    if texts_by_side["desktop"] != texts_by_side["laptop"]:
        problems.append("the two sides hold different notes")
    print(f"merges   {merges} (user-data export + import, real CLI) in {elapsed:.1f} s: notes "
          f"{merge_counts['added']} added, {merge_counts['updated']} updated, {merge_counts['kept']} kept; "
          f"{added} notes added and {edits} edits acknowledged, {args.same_second} a round per side in a shared second")
    for problem in problems:
        print(f"PROBLEM  {problem}")
    if args.keep:
        print(f"databases in {folder}")
    else:
        import shutil

        shutil.rmtree(folder)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
