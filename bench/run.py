"""Benchmark llmreads against the targets in the project's issues and print one table.

    python bench/run.py                   # 1k, 10k and 100k lists; a few minutes
    python bench/run.py --quick           # 1k and 10k only, fewer repetitions
    python bench/run.py --sizes 1k,50k    # any sizes
    python bench/run.py --nonempty-sizes 20k,100k   # which sizes are also imported into a non-empty database

Synthetic lists are made by bench/generate.py and cached in bench/data/;
every database is made afresh in bench/data/run/ on each run. Progress goes
to stderr, the machine and the table to stdout. See bench/README.md for what
each figure means.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
RUN_DIR = DATA / "run"
SEED_LIST = ROOT / "seeds" / "llm_paper_reading.md"
GENERATOR = BENCH / "generate.py"
USER = "bench"
LIST_NAME = "bench"
LORA_ARXIV = "2106.09685"  # the LoRA paper in the seed list: the paper `show` and `mark-read` work on

# Targets from the project's issues.
COMMAND_RATIO = 1.3  # a command's whole-process time against `python -c "import typer"`
HELP_RATIO = 1.1  # --help and --version against the same baseline
COMPLETION_RATIO = 1.1  # a shell-completion call (one Tab press) against the same baseline
IMPORT_RATIO = 1.3  # an import against mistune parsing the same file
# The issue sets the import-time and database-size targets at 100,000 papers;
# smaller lists are shown for reference (start-up and creating the schema,
# some 0.15 s, weigh on them, and a nearly empty database is mostly pages of
# empty tables).
TARGET_PAPERS = 100_000
IMPORT_MEMORY_MIB = 300.0
REIMPORT_RATIO = 0.5  # re-importing an unchanged list against the first import
UPDATED_RATIO = 1 / 3  # re-importing the list with 1% of its rows changed, 1% added, 1% removed
UPDATED_SHARE = 0.01
NONEMPTY_RATIO = 1.1  # an import into a database holding the bundled list and user data, against an empty one
DB_SIZE_RATIO = 3.0  # the database against the markdown
QUERY_MEDIAN_MS = 20.0
QUERY_P95_MS = 50.0

# The in-process searches; each word is in the generator's vocabulary (the seed's).
# The glossary expands lora (to 5 forms), 微调 (6), large language models (5)
# and the last, a term of three forms: 扩散模型, diffusion model, diffusion
# probabilistic model.
SEARCHES = (
    ("English word", "lora"),
    ("Chinese word", "微调"),
    ("phrase", '"language models"'),
    ("three words", "large language models"),
    ("glossary term, three forms", "扩散模型"),
)

MISTUNE_ALONE = """
import sys
import mistune
with open(sys.argv[1], encoding="utf-8") as handle:
    text = handle.read()
mistune.create_markdown(renderer=None, plugins=["table"])(text)
"""


class BenchError(Exception):
    """A measurement that could not be made: a command failed, a query raised."""


@dataclass
class Figure:
    name: str
    unit: str  # "s" (shown as ms or s), "MiB"
    median: float | None = None
    p95: float | None = None
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    passed: bool | None = None  # None: no target (shown for reference)
    error: str = ""
    paired: float | None = None  # the median of the ratios of runs paired with their baseline's, where they are

    @property
    def ratio(self) -> float | None:
        if self.paired is not None:
            return self.paired
        if self.median is None or not self.baseline:
            return None
        return self.median / self.baseline


@dataclass
class Samples:
    """Timings (and peak memory) of repeated runs of one thing."""

    values: list[float] = field(default_factory=list)
    memory_mib: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p95(self) -> float:
        return percentile(self.values, 95)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value that `pct` percent of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- sizes and data


def parse_sizes(text: str) -> list[tuple[str, int]]:
    """`1k,10k,100k` as [(label, papers)], smallest first."""
    sizes = []
    for part in text.split(","):
        label = part.strip().lower()
        multiplier = {"k": 1000, "m": 1_000_000}.get(label[-1:], 1)
        digits = label[:-1] if multiplier > 1 else label
        if not digits.isdigit() or int(digits) < 1:
            raise argparse.ArgumentTypeError(f"not a size: {part!r} (say 1k, 10k, 100k)")
        sizes.append((label, int(digits) * multiplier))
    return sorted(sizes, key=lambda size: size[1])


def list_file(label: str, papers: int, seed: int) -> Path:
    """The generated list of `papers` rows, made again only when the generator, the seed list or the size changed."""
    path = DATA / f"list-{label}.md"
    meta = path.with_suffix(".json")
    stamp = {
        "papers": papers,
        "seed": seed,
        "generator": hashlib.sha256(GENERATOR.read_bytes() + SEED_LIST.read_bytes()).hexdigest(),
    }
    if path.exists() and meta.exists() and json.loads(meta.read_text()) == stamp:
        return path
    log(f"generating {path.relative_to(ROOT)} ({papers} papers)")
    command = [sys.executable, str(GENERATOR), "--papers", str(papers), "--seed", str(seed), "-o", str(path)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench/generate.py failed:\n{done.stderr}")
    log(done.stderr.strip())
    meta.write_text(json.dumps(stamp))
    return path


def llmreads_command() -> list[str]:
    """The installed console script next to this interpreter, as a user runs it."""
    script = Path(sys.executable).parent / "llmreads"
    if script.exists():
        return [str(script)]
    found = shutil.which("llmreads")
    return [found] if found else [sys.executable, "-m", "llmreads"]


def child_env() -> dict[str, str]:
    """The environment of every measured process.

    Bytecode is cached, in bench/data/pycache, for llmreads and the baseline
    alike: with PYTHONDONTWRITEBYTECODE set (as on the project's machines) an
    editable install would compile llmreads' sources on every run, which an
    installed wheel never does.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
    env["LLMREADS_USER"] = USER
    return env


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (Path(f"{path}{s}") for s in ("", "-wal", "-shm")) if p.exists())


def updated_list(markdown: Path, seed: int) -> Path:
    """The list as its next version: 1% of its table rows changed, 1% removed, 1% added (new arXiv ids).

    A changed row gets by turns a longer introduction, one more star or a
    longer title; an added row is a copy of another with a new title and link.
    """
    path = markdown.with_name(f"{markdown.stem}-updated.md")
    lines = markdown.read_text(encoding="utf-8").splitlines(keepends=True)
    rows = [i for i, line in enumerate(lines) if line.startswith("| ") and line[2:3].isdigit()]
    rng = random.Random(seed)
    picked = rng.sample(rows, 3 * max(1, round(len(rows) * UPDATED_SHARE)))
    third = len(picked) // 3
    changed, removed, added = picked[:third], set(picked[third:2 * third]), picked[2 * third:]
    for turn, i in enumerate(changed):
        cells = lines[i].split(" | ")
        if turn % 3 == 0:
            cells[-1] = "更新的介绍 " + cells[-1]
        elif turn % 3 == 1:
            cells[0] = cells[0].rstrip() + "✡"
        else:
            cells[1] = cells[1].replace("](", " Revisited](", 1)
        lines[i] = " | ".join(cells)
    extra: dict[int, str] = {}
    for turn, i in enumerate(added):
        cells = lines[i].split(" | ")
        cells[1] = f"[Added Paper Number {turn} on Updated Lists](https://arxiv.org/abs/2999.{turn:05d})"
        extra[i] = " | ".join(cells)
    out = []
    for i, line in enumerate(lines):
        if i not in removed:
            out.append(line)
        if i in extra:
            out.append(extra[i])
    path.write_text("".join(out), encoding="utf-8")
    return path


def user_database(path: Path, env: dict[str, str]) -> None:
    """A database as a user's is after some use: the bundled list (imported on first use) and user data.

    Two users; a third of the bundled list's papers read or being read, and
    a note on every tenth.
    """
    remove_db(path)
    run_measured([*llmreads_command(), "--db", str(path), "list", "--limit", "1"], env)  # imports the bundled list
    from llmreads.db import open_db
    from llmreads.store.notes import add_note
    from llmreads.store.tracking import set_status

    conn = open_db(path)
    ids = [row[0] for row in conn.execute("SELECT id FROM papers ORDER BY position")]
    for user in (USER, "other"):
        set_status(conn, user, ids[::3], "read")
        set_status(conn, user, ids[1::6], "reading")
        for paper_id in ids[::10]:
            add_note(conn, user, paper_id, f"{user}: to compare with the survey, 第{paper_id}篇")
    conn.close()


# ---------------------------------------------------------------- running processes


def run_measured(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command to its end: (wall seconds, peak resident MiB of that process, its output)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise BenchError(f"`{shown(argv)}` exited with {proc.returncode}: {tail(text)}")
    return elapsed, usage.ru_maxrss / 1024, text  # ru_maxrss is in KiB on Linux


def run_piped(argv: Sequence[str], env: dict[str, str]) -> float:
    """Wall time of one run with its output going to a pipe, as when a script reads it."""
    start = time.perf_counter()
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        message = (done.stderr or done.stdout).decode("utf-8", "replace")
        raise BenchError(f"`{shown(argv)}` exited with {done.returncode}: {tail(message)}")
    return elapsed


def shown(argv: Sequence[str]) -> str:
    parts = [Path(a).name if a == sys.executable or a.endswith("/llmreads") else a for a in argv]
    return " ".join(p if p and " " not in p and "\n" not in p else json.dumps(p) for p in parts)


def tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.rstrip() for line in text.strip().splitlines()[-lines:]) or "(no output)"


def time_processes(
    cases: dict[str, list[str]], runs: int, env: dict[str, str], case_env: dict[str, dict[str, str]] | None = None
) -> dict[str, Samples]:
    """`runs` wall times of each command, interleaved so that a busy moment of the machine hits them all alike.

    `case_env` adds environment variables for some commands (shell completion is asked through them).
    """
    samples = {name: Samples() for name in cases}
    envs = {name: {**env, **(case_env or {}).get(name, {})} for name in cases}
    for name, argv in cases.items():  # a first run of each warms the page cache and writes bytecode
        try:
            run_piped(argv, envs[name])
        except BenchError as exc:
            samples[name].error = str(exc)
    order = [name for name in cases if not samples[name].error]
    shuffle = random.Random(0)
    for round_number in range(runs):
        shuffle.shuffle(order)
        for name in list(order):
            try:
                samples[name].values.append(run_piped(cases[name], envs[name]))
            except BenchError as exc:
                samples[name].error = str(exc)
                order.remove(name)
        if (round_number + 1) % 10 == 0:
            log(f"  process timings: {round_number + 1}/{runs} rounds")
    return samples


# ---------------------------------------------------------------- the figures


def fmt_time(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return fmt_time(value) if unit == "s" else f"{value:.1f} {unit}"


def process_figures(
    samples: dict[str, Samples], ratios: dict[str, float | None], baseline: str, baseline_name: str,
    reported: Sequence[str] = (),
) -> list[Figure]:
    """Each command's figure against the baseline: with its ratio target, or `reported` (a ratio, no target)."""
    base = samples[baseline]
    base_median = base.median if base.values else None
    figures = []
    for name, sample in samples.items():
        ratio_target = ratios.get(name)
        figure = Figure(name, "s", baseline_name=baseline_name)
        if ratio_target is not None or name in reported:  # the baselines themselves are shown for reference
            figure.baseline = base_median
        if name in reported:
            figure.target = "(reported)"
        if sample.error:
            figure.error = sample.error
        elif sample.values:
            figure.median, figure.p95 = sample.median, sample.p95
        if ratio_target is not None:
            figure.target = f"<= {ratio_target:g}x {baseline_name}"
            ratio = figure.ratio
            figure.passed = None if ratio is None else ratio <= ratio_target
        figures.append(figure)
    return figures


def import_figures(
    label: str, papers: int, markdown: Path, db: Path, runs: int, env: dict[str, str],
    user_db: Path | None = None, seed: int = 1,
) -> tuple[list[Figure], dict[str, Samples]]:
    """The import of one list: wall time and peak memory, the re-imports, the database size.

    With `user_db` (a database holding the bundled list and user data), each
    run also imports the list into a copy of it, paired with the import into
    an empty database. Returns the figures and the samples by kind
    (`empty`, `non-empty`, `mistune`) for the growth exponents.
    """
    cli = llmreads_command()
    updated = updated_list(markdown, seed)
    importing = [*cli, "--db", str(db), "import", str(markdown), "--name", LIST_NAME]
    reimporting = [*cli, "--db", str(db), "import", str(updated), "--name", LIST_NAME]
    full_db = db.with_name(f"{db.stem}-nonempty.db")
    into_full = [*cli, "--db", str(full_db), "import", str(markdown), "--name", LIST_NAME]
    mistune_alone = [sys.executable, "-c", MISTUNE_ALONE, str(markdown)]
    first, again, changed, full, mistune = Samples(), Samples(), Samples(), Samples(), Samples()
    size = 0
    for run in range(runs):
        log(f"  import {label}: run {run + 1}/{runs}")
        remove_db(db)
        steps = [(first, importing), (again, importing), (changed, reimporting), (mistune, mistune_alone)]
        if user_db is not None:
            remove_db(full_db)
            shutil.copyfile(user_db, full_db)
            # The two imports of a pair run one after the other, in turns: a busy moment hits both alike.
            steps.insert(0 if run % 2 else 3, (full, into_full))
        for samples, argv in steps:
            if samples.error:
                continue
            try:
                elapsed, peak, _ = run_measured(argv, env)
            except BenchError as exc:
                samples.error = str(exc)
                continue
            samples.values.append(elapsed)
            samples.memory_mib.append(peak)
            if samples is first:
                size = db_bytes(db)
    markdown_mib = markdown.stat().st_size / 2**20
    targeted = papers >= TARGET_PAPERS
    timed = _figure(f"import {label}", first, mistune, f"<= {IMPORT_RATIO:g}x mistune",
                    lambda r: r <= IMPORT_RATIO, baseline_name="mistune")
    if not targeted:
        timed.target, timed.passed = "(set at 100k)", None
    figures = [timed]
    if user_db is not None:
        # Each import into the non-empty database ran next to one into an empty one: the ratio is the median of
        # those pairs' ratios, so that the machine's speed, which moves by a fifth from one minute to the next,
        # cancels out within a pair rather than adding to the gap between two medians of three.
        nonempty = _figure(f"import {label} into a non-empty database", full, first,
                           f"<= {NONEMPTY_RATIO:g}x empty (pairs)", lambda r: r <= NONEMPTY_RATIO,
                           baseline_name="empty db")
        if not (full.error or first.error) and len(full.values) == len(first.values) > 0:
            nonempty.paired = statistics.median(f / e for e, f in zip(first.values, full.values, strict=True))
            nonempty.passed = nonempty.paired <= NONEMPTY_RATIO
        figures.append(nonempty)
    memory = Figure(f"import {label} peak memory", "MiB", target=f"< {IMPORT_MEMORY_MIB:g} MiB",
                    baseline_name="mistune")
    memory.error = first.error or full.error or again.error or changed.error
    peaks = first.memory_mib + full.memory_mib + again.memory_mib + changed.memory_mib  # every import, re-imports too
    if peaks:
        memory.median, memory.p95 = statistics.median(peaks), max(peaks)
        memory.passed = max(peaks) < IMPORT_MEMORY_MIB
    if mistune.memory_mib:
        memory.baseline = statistics.median(mistune.memory_mib)
    figures.append(memory)
    figures.append(_figure(f"re-import {label} unchanged", again, first, f"<= {REIMPORT_RATIO:g}x 1st import",
                           lambda r: r <= REIMPORT_RATIO, baseline_name="1st import"))
    reimport = _figure(f"re-import {label} updated (1% changed, added, removed)", changed, first,
                       f"<= {UPDATED_RATIO:.2f}x 1st import", lambda r: r <= UPDATED_RATIO,
                       baseline_name="1st import")
    if not targeted:
        reimport.target, reimport.passed = "(set at 100k)", None
    figures.append(reimport)
    database = Figure(f"database size {label}", "MiB", baseline=markdown_mib, baseline_name="markdown",
                      target=f"< {DB_SIZE_RATIO:g}x markdown")
    database.error = first.error
    if size:
        database.median = size / 2**20
        database.passed = database.median < DB_SIZE_RATIO * markdown_mib
    if not targeted:
        database.target, database.passed = "(set at 100k)", None
    figures.append(database)
    return figures, {"empty": first, "non-empty": full, "mistune": mistune}


def growth_exponents(papers: dict[str, int], samples: dict[str, dict[str, Samples]]) -> str:
    """How each kind of run grows with the list: k in time ~ papers^k, a least-squares fit of log time on log size.

    1.0 is linear; the issue's figures had the import into a non-empty database at about 1.4.
    """
    labels = [label for label in papers if label in samples]
    if len(labels) < 2:
        return ""
    parts = []
    for kind in ("mistune", "empty", "non-empty"):
        points = [(math.log(papers[label]), math.log(samples[label][kind].median))
                  for label in labels if samples[label][kind].values]
        if len(points) < 2:
            continue
        mean_x = statistics.fmean(x for x, _ in points)
        mean_y = statistics.fmean(y for _, y in points)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
        parts.append(f"{kind} {slope:.2f}")
    return f"growth exponent over {', '.join(labels)} (time ~ papers^k): " + ", ".join(parts)


def _figure(
    name: str, samples: Samples, baseline: Samples, target: str, check: Callable[[float], bool], baseline_name: str
) -> Figure:
    figure = Figure(name, "s", target=target, baseline_name=baseline_name, error=samples.error)
    if samples.values:
        figure.median, figure.p95 = samples.median, samples.p95
    if baseline.values:
        figure.baseline = baseline.median
    elif baseline.error and not figure.error:
        figure.error = f"baseline: {baseline.error}"
    ratio = figure.ratio
    if ratio is not None:
        figure.passed = check(ratio)
    return figure


def with_abstracts(label: str, db: Path, seed: int) -> tuple[Path, Figure]:
    """A copy of the imported database where every paper has an abstract (as `enrich` leaves it), and its size.

    The abstracts (bench/generate.py) go into paper_metadata and the search
    index is rebuilt from the tables, as an open after a change of what is
    indexed does.
    """
    from generate import abstracts

    from llmreads.db import open_db
    from llmreads.store.base import transaction
    from llmreads.store.index import rebuild

    path = RUN_DIR / f"list-{label}-abstracts.db"
    remove_db(path)
    source, target = sqlite3.connect(db), sqlite3.connect(path)
    with target:
        source.backup(target)
    source.close()
    target.close()
    conn = open_db(path)
    keys = [key for (key,) in conn.execute("SELECT key FROM papers WHERE listed = 1 ORDER BY id")]
    started = time.perf_counter()
    with transaction(conn):
        conn.executemany(
            "INSERT INTO paper_metadata (key, abstract, source) VALUES (?, ?, 'bench')"
            " ON CONFLICT (key) DO UPDATE SET abstract = excluded.abstract",
            zip(keys, abstracts(len(keys), seed, SEED_LIST.read_text(encoding="utf-8")), strict=True),
        )
        rebuild(conn)
    conn.execute("VACUUM")
    conn.close()
    log(f"  {len(keys)} abstracts added and the index rebuilt in {time.perf_counter() - started:.1f} s")
    markdown_mib = (DATA / f"list-{label}.md").stat().st_size / 2**20
    size = Figure(f"database size {label} with an abstract for every paper", "MiB", baseline=markdown_mib,
                  baseline_name="markdown", target="(reported)")
    size.median = db_bytes(path) / 2**20
    return path, size


def query_figures(label: str, db: Path, runs: int) -> list[Figure]:
    """In-process timings of the store's queries on an imported database."""
    from llmreads.db import open_db
    from llmreads.store.filters import stars_filter
    from llmreads.store.papers import list_papers
    from llmreads.store.search import search

    conn = open_db(db)
    calls: dict[str, Callable[[], object]] = {
        f"{label} in-process: list --stars 4 --limit 50": lambda: list_papers(
            conn, USER, [stars_filter(4)], limit=50
        ),
    }
    for kind, text in SEARCHES:
        def call(text: str = text) -> object:
            return search(conn, USER, text, [], limit=20)

        try:
            page = search(conn, USER, text, [], limit=20)
            hits = str(page.total) if page.exact else f"{page.total:,}+"  # a page counts them up to a cap
        except Exception as exc:  # any failure of the store is a finding to report
            hits = "-1"
            log(f"  search {text}: {type(exc).__name__}: {exc}")
        calls[f"{label} in-process: search {text} ({kind}, {hits} hits)"] = call

        def scored(text: str = text) -> object:  # what `search --json` asks: bm25 of the papers shown
            return search(conn, USER, text, [], limit=20, scores=True)

        calls[f"{label} in-process: search {text} --json"] = scored
    samples = {name: Samples() for name in calls}
    for name, function in calls.items():
        try:
            for _ in range(3):
                function()
        except Exception as exc:
            samples[name].error = f"{type(exc).__name__}: {exc}"
    order = [name for name in calls if not samples[name].error]
    shuffle = random.Random(1)
    for _ in range(runs):
        shuffle.shuffle(order)
        for name in order:
            start = time.perf_counter()
            calls[name]()
            samples[name].values.append(time.perf_counter() - start)
    conn.close()
    figures = []
    for name, sample in samples.items():
        # The four kinds of search (and list) have targets; --json is shown for reference.
        targeted = not name.endswith("--json")
        figure = Figure(name, "s", target=f"med < {QUERY_MEDIAN_MS:g} ms, p95 < {QUERY_P95_MS:g} ms"
                        if targeted else "-")
        figure.error = sample.error
        if sample.values:
            figure.median, figure.p95 = sample.median, sample.p95
            if targeted:
                figure.passed = figure.median * 1000 < QUERY_MEDIAN_MS and figure.p95 * 1000 < QUERY_P95_MS
        figures.append(figure)
    return figures


def paper_ref(cli: list[str], db: Path, env: dict[str, str]) -> str:
    """The short id of the LoRA paper in the seed database (its arXiv id if that cannot be had)."""
    try:
        _, _, out = run_measured([*cli, "--db", str(db), "show", LORA_ARXIV, "--json"], env)
        detail = json.loads(out)
        return str(detail["id"])
    except (BenchError, ValueError, KeyError, TypeError) as exc:
        log(f"  cannot read the paper's id from `show --json` ({exc}); using the arXiv id")
        return LORA_ARXIV


# ---------------------------------------------------------------- the table


def render(figures: Sequence[Figure]) -> str:
    header = ("figure", "median", "p95", "baseline", "ratio", "target", "pass/fail")
    rows = []
    for f in figures:
        ratio = f.ratio
        verdict = "ERROR" if f.error else {True: "pass", False: "FAIL", None: "-"}[f.passed]
        baseline = fmt_value(f.baseline, f.unit)
        if f.baseline is not None and f.baseline_name:
            baseline = f"{baseline} ({f.baseline_name})"
        rows.append(
            (
                f.name,
                fmt_value(f.median, f.unit),
                fmt_value(f.p95, f.unit),
                baseline,
                "-" if ratio is None or f.baseline is None else f"{ratio:.2f}x",
                f.target or "-",
                verdict,
            )
        )
    widths = [max(columns(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {1, 2, 4}

    def line(cells: Sequence[str]) -> str:
        padded = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            space = " " * (width - columns(cell))
            padded.append(space + cell if i in right else cell + space)
        return "  ".join(padded).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    errors = [f for f in figures if f.error]
    if errors:
        out.append("")
        out += [f"ERROR {f.name}: {f.error}" for f in errors]
    return "\n".join(out)


def columns(text: str) -> int:
    """Terminal columns of `text`: ideographs take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine(load_at_start: str) -> str:
    import mistune

    from llmreads import __version__

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"machine: {platform.machine()} {platform.system()} {platform.release()}, nproc {cores},"
        f" load average {load_at_start} at the start, {load_average()} at the end\n"
        f"python {platform.python_version()} ({'a virtualenv' if sys.prefix != sys.base_prefix else 'the system'}),"
        f" SQLite {sqlite3.sqlite_version},"
        f" llmreads {__version__}, mistune {mistune.__version__}"
    )


# ---------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes,
                        help="list sizes, comma-separated (default 1k,10k,20k,50k,100k)")
    parser.add_argument("--nonempty-sizes", type=parse_sizes,
                        help="sizes also imported into a database holding the bundled list and user data"
                        " (default 20k,50k,100k, --quick 1k,10k); added to --sizes")
    parser.add_argument("--quick", action="store_true", help="small lists and few repetitions: a smoke run")
    parser.add_argument("--runs", type=int, help="runs of each whole-process figure (default 30, --quick 10)")
    parser.add_argument("--query-runs", type=int, help="runs of each in-process query (default 200, --quick 50)")
    parser.add_argument("--import-runs", type=int, help="imports of each list (default 5, --quick 2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated lists (default 1)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its target")
    parser.add_argument("--imports-only", action="store_true",
                        help="only the import figures: no whole-process commands, no queries")
    args = parser.parse_args(argv)
    sizes: list[tuple[str, int]] = args.sizes or parse_sizes("1k,10k" if args.quick else "1k,10k,20k,50k,100k")
    nonempty = dict(args.nonempty_sizes or parse_sizes("1k,10k" if args.quick else "20k,50k,100k"))
    sizes = sorted(({**dict(sizes), **nonempty}).items(), key=lambda size: size[1])
    runs = args.runs or (10 if args.quick else 30)
    query_runs = args.query_runs or (50 if args.quick else 200)
    import_runs = args.import_runs or (2 if args.quick else 5)
    started = time.perf_counter()
    load_at_start = load_average()
    env = child_env()
    cli = llmreads_command()

    lists = {label: list_file(label, papers, args.seed) for label, papers in sizes}
    if RUN_DIR.exists():
        shutil.rmtree(RUN_DIR)
    RUN_DIR.mkdir(parents=True)

    # The seed database, made first so that it also writes the bytecode of
    # what an import uses (and of mistune) before anything is timed.
    seed_db = RUN_DIR / "seed.db"
    log("importing the seed list")
    try:
        run_measured([*cli, "--db", str(seed_db), "import", str(SEED_LIST)], env)
        run_measured([sys.executable, "-c", MISTUNE_ALONE, str(SEED_LIST)], env)
    except BenchError as exc:
        raise SystemExit(f"cannot import the seed list: {exc}") from None

    user_db = RUN_DIR / "user.db"
    log("making a database with the bundled list and user data")
    try:
        user_database(user_db, env)
    except BenchError as exc:
        raise SystemExit(f"cannot make the database with user data: {exc}") from None

    figures: list[Figure] = []
    dbs: dict[str, Path] = {}
    growth: dict[str, dict[str, Samples]] = {}
    for label, papers in sizes:
        log(f"importing list-{label} ({import_runs} runs, each with re-imports and a mistune parse"
            f"{', and into a non-empty database' if label in nonempty else ''})")
        dbs[label] = RUN_DIR / f"list-{label}.db"
        found, samples = import_figures(label, papers, lists[label], dbs[label], import_runs, env,
                                        user_db if label in nonempty else None, args.seed)
        figures += found
        if label in nonempty:
            growth[label] = samples
    largest = sizes[-1][0]
    if not dbs[largest].exists() or any(f.error for f in figures if f.name == f"import {largest}"):
        log(f"the list-{largest} import failed; the figures on its database are left out")
        largest_db = None
    else:
        largest_db = dbs[largest]

    if args.imports_only:
        return finish(args, figures, dict(sizes), growth, started, load_at_start,
                      f"imports only, {import_runs} imports per figure")
    ref = paper_ref(cli, seed_db, env)
    on_seed = [*cli, "--db", str(seed_db)]
    cases: dict[str, list[str]] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
        # llmreads freezes what it has loaded before a command runs, which
        # spares the collection at exit (~6 ms): the baseline doing the same.
        "python -c 'import typer, gc; gc.freeze()'": [sys.executable, "-c", "import typer, gc; gc.freeze()"],
    }
    ratios: dict[str, float | None] = {}
    reported: list[str] = []  # figures shown against the baseline without a target
    commands = {
        "list --stars 4": ["list", "--stars", "4"],
        "search lora": ["search", "lora"],
        f"mark-read {ref}": ["mark-read", ref],
        f"show {ref}": ["show", ref],
    }
    for name, words in commands.items():
        for json_flag in ((), ("--json",)):
            key = f"llmreads {name}{' --json' if json_flag else ''} (seed)"
            cases[key] = [*on_seed, *words, *json_flag]
            ratios[key] = COMMAND_RATIO
    for flag in ("--help", "--version"):
        cases[f"llmreads {flag}"] = [*cli, flag]
        ratios[f"llmreads {flag}"] = HELP_RATIO
    # A Tab press: the shell's completion script runs llmreads with the words
    # typed so far in the environment (bash: COMP_WORDS and the index of the
    # word being completed; zsh: _TYPER_COMPLETE_ARGS, and help texts shown).
    case_env: dict[str, dict[str, str]] = {}
    prefix = ref[:3]
    for key, shell, words in (
        (f"complete: llmreads show {prefix}<Tab> (seed)", "bash", f"llmreads show {prefix}"),
        (f"complete: llmreads show {prefix}<Tab> (seed, zsh)", "zsh", f"llmreads show {prefix}"),
        ("complete: llmreads sh<Tab>", "bash", "llmreads sh"),
    ):
        cases[key] = cli
        ratios[key] = COMPLETION_RATIO
        case_env[key] = {"_LLMREADS_COMPLETE": f"complete_{shell}", "LLMREADS_DB": str(seed_db)}
        if shell == "bash":
            case_env[key] |= {"COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
        else:
            case_env[key]["_TYPER_COMPLETE_ARGS"] = words
    search_db = None
    if largest_db is not None:
        log(f"the {largest} search database: an abstract for every paper")
        search_db, size = with_abstracts(largest, largest_db, args.seed)
        figures.append(size)
        # What a user who types the search waits for: the page a terminal shows (20 hits). Piped, a search
        # prints every hit (3,552 here, each with its snippet): reported, as a listing's cost, not start-up's.
        key = f"llmreads search lora ({largest}, abstracts)"
        cases[key] = [*cli, "--db", str(search_db), "search", "lora", "--limit", "20"]
        ratios[key] = COMMAND_RATIO
        every = f"llmreads search lora, every hit piped ({largest}, abstracts)"
        cases[every] = [*cli, "--db", str(search_db), "search", "lora"]
        reported.append(every)
    log(f"whole-process timings: {len(cases)} commands x {runs} runs, interleaved")
    samples = time_processes(cases, runs, env, case_env)
    figures = process_figures(samples, ratios, "python -c 'import typer'", "typer", reported) + figures

    if search_db is not None:
        log(f"in-process queries on the {largest} database with abstracts: {query_runs} runs each")
        figures += query_figures(f"{largest} with abstracts", search_db, query_runs)

    return finish(args, figures, dict(sizes), growth, started, load_at_start,
                  f"{runs} process runs, {import_runs} imports, {query_runs} query runs per figure")


def finish(
    args: argparse.Namespace, figures: list[Figure], papers: dict[str, int], growth: dict[str, dict[str, Samples]],
    started: float, load_at_start: str, counts: str,
) -> int:
    """Print the machine, the table and the growth exponents; the exit status."""
    elapsed = time.perf_counter() - started
    print(machine(load_at_start))
    print(f"sizes {', '.join(papers)}; {counts}; seed {args.seed}")
    print()
    print(render(figures))
    print()
    exponents = growth_exponents(papers, growth)
    if exponents:
        print(exponents)
    print(f"run took {elapsed:.0f} s")
    if any(f.error for f in figures):
        return 1
    if args.strict and any(f.passed is False for f in figures):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
