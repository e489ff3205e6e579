"""Record what search prints for a set of queries, and check later that it is unchanged.

    python bench/search_same.py record bench/data/search-same.json   # before a change
    python bench/search_same.py check bench/data/search-same.json    # after it: exit 1 on a difference

Three databases: the bundled seed list; a generated list of 3,000 papers
(bench/generate.py) with fetched abstracts on some papers (so that hits in an
abstract alone rank last), a user's notes, statuses and tags; and another
generated list of 3,000 papers where every paper has an abstract of arXiv
length (bench/generate.py's, as the benchmark's search database has them). Each query runs
through the command line in-process, piped (every hit, plain lines) and with
`--json`: the exact output is compared, so a change to speed search up shows
here if it changes a ranking, a count, a snippet or `matched`.

A page of many hits counts them only up to store.search.COUNT_MOST (5,000),
which no search of 3,000 papers reaches. CAPPED searches run in-process with
the cap set to CAP, far below their hits: there the papers of the page must
be the same, and only the total may differ, as a lower bound (CAP, not
exact) where the full count is more; `check` says how many took that path.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SEED_LIST = ROOT / "seeds" / "llm_paper_reading.md"
USER = "bench"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?(?:[+-]\d\d:\d\d|Z)?")

# (database, arguments after `search`): English, Chinese, Traditional, glossary terms, phrases,
# three words, qualifiers, --exact, filters, --sort, OR/NOT, title:, an arXiv id, notes.
QUERIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("seed", ("lora",)),
    ("seed", ("attention",)),
    ("seed", ("bert",)),
    ("seed", ("icl",)),
    ("seed", ("涌现",)),
    ("seed", ("微調",)),
    ("seed", ("思维链",)),
    ("seed", ("思維鏈", "--limit", "4")),
    ("seed", ("multimodal",)),
    ("seed", ("2106.09685",)),
    ("seed", ("lora", "--exact")),
    ("seed", ("large", "language", "models", "--limit", "7")),
    ("seed", ("chain-of-thought",)),
    ("seed", ("指令微调",)),
    ("seed", ("survey", "--sort", "stars")),
    ("seed", ("模型", "--sort", "list", "--limit", "9")),
    ("seed", ("zebrafish",)),
    ("gen", ("lora",)),
    ("gen", ("lora", "--limit", "20")),
    ("gen", ("微调", "--limit", "20")),
    ("gen", ("微调", "--exact", "--limit", "25")),
    ("gen", ("微調", "--limit", "15")),
    ('gen', ('"language models"', "--limit", "30")),
    ("gen", ("large", "language", "models", "--limit", "40")),
    ("gen", ("扩散模型", "--limit", "60")),
    ("gen", ("扩散模型",)),
    ("gen", ("diffusion", "model", "--limit", "30")),
    ("gen", ("思维链", "--limit", "30")),
    ("gen", ("论文", "--limit", "20")),
    ("gen", ("reward", "model", "--limit", "25")),
    ("gen", ("zebrafish",)),
    ("gen", ("quokka", "--limit", "20")),
    ("gen", ("quokka", "--no-notes", "--limit", "20")),
    ("gen", ("lora", "--stars", "4", "--limit", "20")),
    ("gen", ("微调", "--status", "read", "--limit", "20")),
    ("gen", ("attention", "--sort", "stars", "--limit", "20")),
    ("gen", ("attention", "--sort", "list", "--limit", "20")),
    ("gen", ("transformer", "-flash", "--limit", "20")),
    ("gen", ("lora", "OR", "adapter", "--limit", "20")),
    ("gen", ("title:diffusion", "--limit", "20")),
    ("gen", ("tag:mine",)),
    ("gen", ("tag:mine", "微调")),
    ("gen", ("-tag:mine", "lora", "--limit", "20")),
    ("gen", ("author:hu", "lora")),
    ("gen", ("year:2021", "--limit", "10")),
    ("gen", ("year:2020..2022", "attention", "--limit", "20")),
    ("gen", ("lora", "OR", "微调", "--raw", "--limit", "20")),
    ("gen", ("prompt", "NOT", "tuning", "--limit", "20")),
    ("gen", ("quokka", "lora")),
    ("gen", ("abstractonly",)),
    ("abs", ("lora", "--limit", "20")),
    ("abs", ("微调", "--limit", "20")),
    ("abs", ('"language models"', "--limit", "20")),
    ("abs", ("large", "language", "models", "--limit", "20")),
    ("abs", ("扩散模型", "--limit", "20")),
    ("abs", ("扩散模型", "--limit", "60")),
    ("abs", ("diffusion", "--limit", "20")),
    ("abs", ("transformer", "-flash", "--limit", "20")),
    ("abs", ("title:diffusion", "model", "--limit", "20")),
    ("abs", ("attention", "OR", "lora", "--limit", "30")),
    ("abs", ("思维链", "--limit", "20")),
    ("abs", ("zebrafish",)),
    ("abs", ("language", "models", "--limit", "25", "--exact")),
)

# (database, query): pages of 20 of searches with more than CAP hits, compared on the papers shown.
CAP = 100
CAPPED: tuple[tuple[str, str], ...] = (
    ("gen", "微调"),
    ("gen", "attention"),
    ("gen", "扩散模型"),
    ("gen", "large language models"),
    ("abs", "lora"),
    ("abs", "微调"),
    ("abs", '"language models"'),
    ("abs", "large language models"),
    ("abs", "扩散模型"),
    ("abs", "diffusion"),
    ("abs", "transformer -flash"),
    ("abs", "title:diffusion model"),
    ("abs", "模型"),
)

ABSTRACTS = (
    "We study low-rank adaptation (LoRA) of large language models and its diffusion model variants.",
    "A survey of chain-of-thought prompting; 思维链 and 微调 compared on reward model benchmarks.",
    "Diffusion probabilistic models meet transformers: attention is what you need, abstractonly marker.",
)


def llmreads() -> list[str]:
    script = Path(sys.executable).parent / "llmreads"
    return [str(script)] if script.exists() else [sys.executable, "-m", "llmreads"]


def run(db: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")} | {"LLMREADS_USER": USER}
    done = subprocess.run([*llmreads(), "--db", str(db), *args], capture_output=True, text=True, env=env)
    out = f"exit {done.returncode}\n--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
    return TIMESTAMP.sub("<time>", out)  # when a status was set is not search's doing


def databases(folder: Path) -> dict[str, Path]:
    """The seed database, the generated one with abstracts, notes, statuses and tags, and one with every abstract."""
    from llmreads.db import open_db
    from llmreads.fetch import Record
    from llmreads.store.library import save_records
    from llmreads.store.notes import add_note
    from llmreads.store.personal import add_tags
    from llmreads.store.tracking import set_status

    seed_db, gen_db, abs_db = folder / "seed.db", folder / "gen.db", folder / "abs.db"
    listing, abs_listing = folder / "list-3k.md", folder / "list-3k-abstracts.md"
    for path, seed in ((listing, "7"), (abs_listing, "11")):
        generate = [sys.executable, str(BENCH / "generate.py"), "--papers", "3000", "--seed", seed, "-o", str(path)]
        subprocess.run(generate, check=True, capture_output=True)
    for db, source in ((seed_db, SEED_LIST), (gen_db, listing), (abs_db, abs_listing)):
        out = run(db, "import", str(source))
        if not out.startswith("exit 0"):
            raise SystemExit(f"import of {source} failed:\n{out}")
    conn = open_db(seed_db)
    ids = [r[0] for r in conn.execute("SELECT id FROM papers ORDER BY position")]
    add_note(conn, USER, ids[3], "zebrafish: compare with the LoRA paper")
    conn.close()
    conn = open_db(gen_db)
    rows = conn.execute("SELECT id, key FROM papers ORDER BY position").fetchall()
    ids = [r[0] for r in rows]
    records = [
        (key, Record(source="arxiv", title=f"Paper {i}", authors=("Edward Hu", "Ada Lovelace") if i % 2 else ("Bo Li",),
                     abstract=ABSTRACTS[i % len(ABSTRACTS)], published=f"{2019 + i % 5}-03-01"))
        for i, (_pid, key) in enumerate(rows[::11])
    ]
    save_records(conn, records)
    set_status(conn, USER, ids[::4], "read")
    set_status(conn, USER, ids[1::9], "reading")
    for pid in ids[::13]:
        add_note(conn, USER, pid, f"quokka notes {pid}: 微调 details, lora")
    for pid in ids[::17]:
        add_tags(conn, USER, pid, ["mine"])
    conn.close()
    sys.path.insert(0, str(BENCH))
    from generate import abstracts

    conn = open_db(abs_db)
    keys = [r[0] for r in conn.execute("SELECT key FROM papers WHERE listed = 1 ORDER BY id")]
    texts = abstracts(len(keys), 11, SEED_LIST.read_text(encoding="utf-8"))
    save_records(conn, [(key, Record(source="arxiv", title="", abstract=text))
                        for key, text in zip(keys, texts, strict=True)])
    conn.close()
    return {"seed": seed_db, "gen": gen_db, "abs": abs_db}


def outputs(folder: Path) -> tuple[dict[str, str], dict[str, dict[str, object]]]:
    dbs = databases(folder)
    found: dict[str, str] = {}
    for name, args in QUERIES:
        for extra in ((), ("--json",)):
            key = f"{name}: search {' '.join(args)}{' --json' if extra else ''}"
            found[key] = run(dbs[name], "search", *args, *extra)
    return found, capped(dbs)


def capped(dbs: dict[str, Path]) -> dict[str, dict[str, object]]:
    """The page of each CAPPED search, its total and whether that is exact, with the cap at CAP (in-process)."""
    import llmreads.store.search as module
    from llmreads.db import open_db

    module.COUNT_MOST = CAP  # no such cap before it was made: then it changes nothing
    found: dict[str, dict[str, object]] = {}
    for name, query in CAPPED:
        conn = open_db(dbs[name])
        result = module.search(conn, USER, query, limit=20)
        conn.close()
        found[f"{name}: {query} (page of 20, cap {CAP})"] = {
            "papers": [(paper.key, paper.snippet) for paper in result.papers],
            "total": result.total,
            "exact": getattr(result, "exact", True),
        }
    return found


def capped_differences(expected: dict[str, dict[str, object]], found: dict[str, dict[str, object]]) -> list[str]:
    """The CAPPED searches whose page differs, or whose total does beyond being the cap where the hits are more."""
    differ = []
    for key, before in expected.items():
        after = found.get(key)
        if after is None or json.loads(json.dumps(after["papers"])) != before["papers"]:
            differ.append(f"{key}: other papers")
        elif after["exact"] and after["total"] != before["total"]:
            differ.append(f"{key}: total {after['total']}, was {before['total']}")
        elif not after["exact"] and not before.get("exact", True) and after["total"] != before["total"]:
            differ.append(f"{key}: lower bound {after['total']}, was {before['total']}")  # a record made with the cap
        elif not after["exact"] and before.get("exact", True) and not int(before["total"]) > int(after["total"]) >= CAP:
            differ.append(f"{key}: lower bound {after['total']}, but the hits were {before['total']}")
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("record", "check"))
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        found, pages = outputs(Path(tmp))
    if args.action == "record":
        args.file.parent.mkdir(parents=True, exist_ok=True)
        record = found | {"capped pages": pages}
        args.file.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"recorded {len(found)} outputs and {len(pages)} capped pages in {args.file}")
        return 0
    expected = json.loads(args.file.read_text(encoding="utf-8"))
    expected_pages = expected.pop("capped pages", {})
    page_differ = capped_differences(expected_pages, pages)
    bounded = sum(1 for key in expected_pages if not pages.get(key, {}).get("exact", True))
    for line in page_differ:
        print(f"== {line}")
    print(f"{len(expected_pages) - len(page_differ)} of {len(expected_pages)} capped pages (cap {CAP}) show the same"
          f" papers; {bounded} of them with the total as a lower bound ({CAP}+) where the hits are more")
    differ = [key for key in expected if found.get(key) != expected[key]]
    for key in differ:
        import difflib

        print(f"== {key}")
        diff = difflib.unified_diff(expected[key].splitlines(), found.get(key, "").splitlines(), lineterm="", n=1)
        print("\n".join(list(diff)[:40]))
    print(f"{len(expected) - len(differ)} of {len(expected)} outputs unchanged")
    return 1 if differ or page_differ else 0


if __name__ == "__main__":
    sys.exit(main())
