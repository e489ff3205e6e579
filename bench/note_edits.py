"""Several processes edit the same notes at once with `llmreads note edit` and a scripted EDITOR.

    python bench/note_edits.py                     # 4 editors x 25 edits of 3 notes, one deleter
    python bench/note_edits.py --editors 6 --edits 40 --notes 2 --no-deletes

Each editor process runs the real CLI, `llmreads note edit N`, again and again
on a random note of the first --notes (plus those added since). Its EDITOR is a
small script that reads the note as opened, waits a moment (0-150 ms, as a person
would take minutes) and writes a new text naming itself and the text it opened:
`save E3-17 after E1-4`. A save is acknowledged when the command exits 0 with
"Updated note N."; a refused save must name, in its one Error line, a file that
holds exactly the text the editor wrote. Unless --no-deletes, one more process
now and then deletes a note and adds a new one, so numbers would be reused if
they could be.

Afterwards each note's text is the end of a chain of saves (each names the one it
opened); every acknowledged save of that note must be on the chain, so no
acknowledged save was overwritten by an edit that had not seen it (found), and
no save may be on the chain of a note other than the one it opened (misdirected).

Progress goes to stderr, the figures to stdout; exit status 1 when an
acknowledged save is lost or misdirected, or a refused one left no file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

USER = "alice"

EDITOR = textwrap.dedent(
    """
    import os, random, re, sys, time
    path = sys.argv[1]
    with open(path, encoding="utf-8") as handle:
        opened = handle.read()
    match = re.match(r"save (\\S+)", opened)
    prev = match.group(1) if match else "?"
    time.sleep(random.random() * float(os.environ["BENCH_PAUSE"]))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"save {os.environ['BENCH_TAG']} after {prev}\\n")
    with open(os.environ["BENCH_LOG"], "a", encoding="utf-8") as log:  # one short append: never interleaved
        log.write(f"{os.environ['BENCH_TAG']} {prev}\\n")
    """
)

WORKER = textwrap.dedent(
    """
    import json, os, random, re, subprocess, sys
    name, edits, seed, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    results = []
    sys.stdin.readline()
    for i in range(edits):
        top = int(open(os.environ["BENCH_TOP"]).read() or first)
        note = rng.randint(1, top)
        tag = f"{name}-{i}"
        env = dict(os.environ, BENCH_TAG=tag)
        done = subprocess.run([sys.executable, "-m", "llmreads", "note", "edit", str(note)],
                              capture_output=True, text=True, env=env)
        results.append({"tag": tag, "note": note, "code": done.returncode, "out": done.stdout, "err": done.stderr})
    print(json.dumps(results), flush=True)
    """
)

DELETER = textwrap.dedent(
    """
    import os, subprocess, sys, time
    rounds, pause, first = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    sys.stdin.readline()
    top = first
    def llmreads(*args):
        return subprocess.run([sys.executable, "-m", "llmreads", *args], capture_output=True, text=True)
    for k in range(rounds):
        time.sleep(pause)
        llmreads("note", "delete", str(top - (k % 2)))   # a note being edited, now and then
        added = llmreads("note", "add", "lora", f"save new-{k} after none")
        top = int(added.stdout.split()[2])
        with open(os.environ["BENCH_TOP"] + ".tmp", "w") as handle:
            handle.write(str(top))
        os.replace(os.environ["BENCH_TOP"] + ".tmp", os.environ["BENCH_TOP"])
    print("done", flush=True)
    """
)

SAVE = re.compile(r"save (\S+) after (\S+)")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--editors", type=int, default=4)
    parser.add_argument("--edits", type=int, default=25, help="edits per editor process")
    parser.add_argument("--notes", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.15, help="longest time an editor stays open (s)")
    parser.add_argument("--no-deletes", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from llmreads import store
    from llmreads.db import open_db
    from llmreads.sources import import_path

    folder = Path(tempfile.mkdtemp(prefix="llmreads-edit-bench-"))
    db = folder / "edits.db"
    tmp = folder / "tmp"  # the editors' files, and those kept when a save is refused
    tmp.mkdir()
    top = folder / "top"
    conn = open_db(db)
    import_path(conn, None, name=None)
    lora = store.resolve_ref(conn, "lora")
    for n in range(args.notes):
        store.add_note(conn, USER, lora, f"save orig-{n + 1} after none")
    conn.close()
    top.write_text(str(args.notes))
    (folder / "saves.log").write_text("")
    editor_script = folder / "editor.py"
    editor_script.write_text(EDITOR, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")}
    env.update(
        LLMREADS_DB=str(db), LLMREADS_USER=USER, LLMREADS_CONFIG=str(folder / "no-config.toml"),
        EDITOR=f"{shlex.quote(sys.executable)} {shlex.quote(str(editor_script))}", TMPDIR=str(tmp),
        BENCH_PAUSE=str(args.pause), BENCH_TOP=str(top), BENCH_LOG=str(folder / "saves.log"),
    )
    env.pop("VISUAL", None)
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, f"E{i}", str(args.edits), str(args.seed * 100 + i),
                          str(args.notes)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        for i in range(args.editors)
    ]
    deletes = 0 if args.no_deletes else max(1, args.edits // 5)
    if deletes:
        procs.append(subprocess.Popen([sys.executable, "-c", DELETER, str(deletes), "1.0", str(args.notes)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env))
    log(f"{args.editors} editors x {args.edits} edits of {args.notes} notes"
        + (f", {deletes} deletes and adds" if deletes else "") + " ...")
    started = time.monotonic()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results: list[dict[str, object]] = []
    for proc in procs[: args.editors]:
        out, _ = proc.communicate()
        results += json.loads(out.strip().splitlines()[-1])
    for proc in procs[args.editors:]:
        proc.communicate()
    elapsed = time.monotonic() - started

    problems: list[str] = []
    acknowledged: dict[str, int] = {}  # tag -> note it was saved into
    refused = kept = unchanged = missing_note = 0
    for r in results:
        tag, note, code, out, err = (r["tag"], r["note"], r["code"], str(r["out"]), str(r["err"]))
        assert isinstance(tag, str) and isinstance(note, int)
        errors = [line for line in err.splitlines() if line.startswith("Error:")]
        if code == 0 and out == f"Updated note {note}.\n":
            acknowledged[tag] = note
        elif code == 0:
            unchanged += 1
        elif code == 1 and len(errors) == 1 and "Traceback" not in err and f"no note {note} " in errors[0]:
            missing_note += 1  # deleted before the editor opened: nothing was typed
        elif code == 1 and len(errors) == 1 and "Traceback" not in err:
            refused += 1
            match = re.search(r"kept in (\S+)$", errors[0])
            if match is None:
                problems.append(f"{tag}: refused without naming a file: {errors[0]}")
                continue
            path = Path(match.group(1))
            if path.is_file() and path.read_text(encoding="utf-8").startswith(f"save {tag} after "):
                kept += 1
            else:
                problems.append(f"{tag}: {path} does not hold the refused text")
        else:
            problems.append(f"{tag}: exit {code}: {err.strip()[-300:]}")

    conn = sqlite3.connect(db)
    try:
        finals = dict(conn.execute("SELECT id, text FROM notes WHERE user = ?", (USER,)).fetchall())
        indexed = conn.execute("SELECT count(*) FROM notes_fts").fetchone()[0]
        sequence = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'notes'").fetchone()[0]
    finally:
        conn.close()
    # What every editor wrote: its save and the save it had opened. A note's text is the
    # end of a chain of such links; an acknowledged save that is not on its note's chain
    # was overwritten by a save that had not seen it.
    opened_by = dict(line.split() for line in (folder / "saves.log").read_text(encoding="utf-8").splitlines())
    on_chains: dict[str, int] = {}
    for note_id, text in finals.items():
        match = SAVE.match(str(text))
        tag = match.group(1) if match else None
        while tag is not None and tag not in on_chains and tag in opened_by:
            on_chains[tag] = note_id
            tag = opened_by[tag]
    found_saves = misdirected = deleted = 0
    lost = []
    for tag, note in acknowledged.items():
        if tag in on_chains:
            found_saves += 1
            misdirected += on_chains[tag] != note
        elif note not in finals:
            deleted += 1  # saved, then its note deleted on purpose
        else:
            lost.append(tag)
    print(f"edits    {len(results)} `note edit` runs by {args.editors} processes in {elapsed:.1f} s "
          f"(editor open up to {args.pause * 1000:.0f} ms); {deletes} deletes + adds")
    print(f"saves    acknowledged {len(acknowledged)}, found on their note's chain {found_saves}, "
          f"in notes deleted afterwards {deleted}, lost {len(lost)}, misdirected {misdirected}; "
          f"refused {refused} (text kept in the named file: {kept}); "
          f"unchanged {unchanged}; note gone before opening {missing_note}")
    print(f"notes    {len(finals)} at the end, index rows {indexed}, highest number ever given {sequence}")
    if misdirected:
        problems.append(f"{misdirected} saves landed in a note other than the one opened")
    if kept != refused:
        problems.append(f"{refused - kept} refused saves left no file holding their text")
    if lost:
        problems.append(f"{len(lost)} acknowledged saves lost: {', '.join(lost[:10])}")
    if indexed != len(finals):
        problems.append(f"{indexed} index rows for {len(finals)} notes")
    for problem in problems:
        print(f"PROBLEM  {problem}")
    import shutil

    shutil.rmtree(folder)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
