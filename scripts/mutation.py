"""Mutation testing over a fixed, bounded scope: how many small changes to the code the tests catch.

    python scripts/mutation.py                       # the default scope, seed 12
    python scripts/mutation.py --sample 50 --seed 3  # a smaller sample of store and parse
    python scripts/mutation.py --skip-query          # only the store and parse sample

The scope is every mutant of `query.py`, plus a sample of `--sample` mutants drawn
with a fixed seed from the store and the parser (`store.py` or `store/*.py`,
`parse.py` or `parse/*.py`), so the same command measures the code before and after
a restructuring. Each mutant is one small change (a comparison flipped, `and`/`or`
swapped, a constant nudged, a `return` emptied, `not` dropped...), written into the
source file in place, and the tests that cover its line (found once with
coverage's per-test contexts) are run with `-x`; the file is restored after each.
A mutant is killed when those tests fail or run out of time, survives when they pass, and
is counted as uncovered when no test runs its line. A line run only when its module is
imported (a constant, a compiled pattern) is tried with every test that covers the module
(`at_import` in the JSON; before, such mutants counted as uncovered). The time limit is
CPU time (`--cpu-limit`), so that a loaded machine does not turn a slow survivor into a
kill; a mutant killed by it is marked `timed_out`.

Needs `pip install pytest-cov`. Run it from a clean work tree: it edits src/ while it
runs and restores every file when it ends (also on Ctrl-C).
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "llmreads"

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
    ast.GtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv, ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr,
}


@dataclass(frozen=True)
class Mutant:
    path: Path
    line: int
    end_line: int
    start: tuple[int, int]
    end: tuple[int, int]
    replacement: str
    description: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} {self.description}"


def _skipped_lines(tree: ast.Module) -> set[int]:
    """Docstrings, annotations and `if TYPE_CHECKING:` blocks: changing them changes nothing that runs."""
    lines: set[int] = set()

    def span(node: ast.AST) -> range:
        return range(node.lineno, (node.end_lineno or node.lineno) + 1)  # type: ignore[attr-defined]

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
            body[0].value, ast.Constant
        ) and isinstance(body[0].value.value, str):
            lines.update(span(body[0]))
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            lines.update(span(node))
        if isinstance(node, ast.AnnAssign):
            lines.update(span(node.annotation))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.returns is not None:
                lines.update(span(node.returns))
            for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                if arg.annotation is not None:
                    lines.update(span(arg.annotation))
    return lines


def _variants(node: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """Each mutated copy of `node` with a description; the copy replaces the node's source text."""
    if isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            swap = _COMPARE_SWAPS.get(type(op))
            if swap is not None:
                new = copy.deepcopy(node)
                new.ops[index] = swap()
                yield new, f"{type(op).__name__} -> {swap.__name__}"
    elif isinstance(node, ast.BinOp):
        swap2 = _BINOP_SWAPS.get(type(node.op))
        if swap2 is not None and not (isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant)):
            new = copy.deepcopy(node)
            new.op = swap2()
            yield new, f"{type(node.op).__name__} -> {swap2.__name__}"
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield new, "and <-> or"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield copy.deepcopy(node.operand), "not dropped"
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield ast.Constant(not value), f"{value} -> {not value}"
        elif isinstance(value, int):
            yield ast.Constant(value + 1), f"{value} -> {value + 1}"
        elif isinstance(value, str) and value and not value.isspace() and len(value) < 200:
            yield ast.Constant("XX" + value + "XX"), "string changed"
    elif isinstance(node, ast.Return) and node.value is not None and not (
        isinstance(node.value, ast.Constant) and node.value.value is None
    ):
        yield ast.Return(ast.Constant(None)), "return None"
    elif isinstance(node, ast.Break):
        yield ast.Continue(), "break -> continue"
    elif isinstance(node, ast.Continue):
        yield ast.Break(), "continue -> break"


def mutants_of(path: Path) -> list[Mutant]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    skipped = _skipped_lines(tree)
    found: list[Mutant] = []
    in_fstring: set[int] = {id(n) for j in ast.walk(tree) if isinstance(j, ast.JoinedStr) for n in ast.walk(j)}
    for node in ast.walk(tree):
        if not hasattr(node, "lineno") or node.lineno in skipped or id(node) in in_fstring:
            continue
        for new, description in _variants(node):
            found.append(
                Mutant(
                    path, node.lineno, node.end_lineno or node.lineno,
                    (node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0),
                    ast.unparse(new), description,
                )
            )
    found.sort(key=lambda m: (m.start, m.end, m.description))
    return found


def apply(source: str, mutant: Mutant) -> str:
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    data = source.encode("utf-8")
    start = offsets[mutant.start[0] - 1] + mutant.start[1]
    end = offsets[mutant.end[0] - 1] + mutant.end[1]
    replacement = mutant.replacement
    if "\n" in replacement:
        replacement = "(" + replacement.replace("\n", " ") + ")"
    if isinstance(ast.parse(replacement).body[0], ast.Expr):
        replacement = f"({replacement})"
    return (data[:start] + replacement.encode("utf-8") + data[end:]).decode("utf-8")


def scope_files(pattern: str) -> list[Path]:
    single = PACKAGE / f"{pattern}.py"
    return [single] if single.exists() else sorted((PACKAGE / pattern).glob("*.py"))


REPORT = ROOT / ".mutation-times.xml"
# Every pytest run below loads this module as a plugin (pytest_configure below).
PLUGIN_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "scripts"),
                                                                         os.environ.get("PYTHONPATH")]))}


def pytest_configure(config: object) -> None:
    """No Hypothesis deadline: on a loaded machine a slow example is not a failure (nor a kill)."""
    from hypothesis import settings

    settings.register_profile("mutation", deadline=None)
    settings.load_profile("mutation")
COVERAGE_FILE = ROOT / ".coverage.mutation"


def coverage_map(
    python: str, workers: int, sources: list[str], reuse: bool = False
) -> tuple[dict[str, dict[int, set[str]]], dict[str, float]]:
    """For each source file, each line's covering tests (node ids without parameters); each test's seconds.

    Only `sources` (the modules of the scope) are traced: the other modules' lines are not needed.
    A test that fails without any mutant (a flaky one, on a loaded machine) is left out of the map:
    it would otherwise "kill" every mutant it covers. With `reuse`, the files of an earlier run of
    this step are read again instead of running the suite (they are kept until a run completes).
    """
    if not (reuse and REPORT.exists() and COVERAGE_FILE.exists()):
        subprocess.run(
            [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "mutation",
             *(f"--cov={source}" for source in sources),
             "--cov-context=test", "--cov-report=", "-n", str(workers), f"--junitxml={REPORT}"],
            cwd=ROOT, env={**PLUGIN_ENV, "COVERAGE_FILE": str(COVERAGE_FILE)},
        )
    seconds: dict[str, float] = {}
    failed: set[str] = set()
    import xml.etree.ElementTree as ElementTree

    for case in ElementTree.parse(REPORT).iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        node = re.sub(r"\[.*$", "", f"{module}.py::{case.get('name', '')}")
        seconds[node] = seconds.get(node, 0.0) + float(case.get("time", 0.0))
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(node)
    if failed:
        print(f"left out, failing without a mutant: {', '.join(sorted(failed))}")
    from coverage import CoverageData

    data = CoverageData(basename=str(COVERAGE_FILE))
    data.read()
    result: dict[str, dict[int, set[str]]] = {}
    for filename in data.measured_files():
        by_line = data.contexts_by_lineno(filename)
        result[str(Path(filename).resolve())] = {
            line: {re.sub(r"\[.*$", "", c.split("|")[0]) for c in contexts if c} - failed
            for line, contexts in by_line.items()
        }
    return result, seconds



# A mutant can make a loop grow a list without end: its run stops at this much memory, as at its time limit.
MEMORY_LIMIT = 4 << 30


def _limit(cpu: float) -> None:
    """Limits of one mutant's test run: CPU seconds, and memory."""
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu), int(cpu) + 5))
    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT, MEMORY_LIMIT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=200, help="mutants drawn from the store and the parser")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--cpu-limit", type=float,
                        help="CPU seconds before a mutant's run counts as killed (default: 30 + 3 times what its"
                             " tests took in the coverage run); CPU time, so that a loaded machine changes nothing")
    parser.add_argument("--timeout", type=float, help="wall-clock seconds, a backstop (default: 20 x the CPU limit)")
    parser.add_argument("--json", type=Path, help="write every mutant's outcome here")
    parser.add_argument("--limit", type=int, help="run only the first N mutants of the scope (a quick look)")
    parser.add_argument("--skip-query", action="store_true",
                        help="leave out the mutants of query.py: only the store and parse sample")
    parser.add_argument("--reuse-coverage", action="store_true",
                        help="read the coverage of an earlier run cut short instead of running the suite again")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers of the coverage run")
    args = parser.parse_args()

    full = [] if args.skip_query else mutants_of(PACKAGE / "query.py")
    pool = [m for pattern in ("store", "parse") for path in scope_files(pattern) for m in mutants_of(path)]
    sampled = random.Random(args.seed).sample(pool, min(args.sample, len(pool)))
    sampled.sort(key=lambda m: (str(m.path), m.start, m.description))
    scope = full + sampled
    if args.limit:
        scope = scope[: args.limit]
    print(f"scope: {len(full)} mutants of query.py, {len(sampled)} of {len(pool)} from store and parse"
          f" (seed {args.seed})")

    started = time.monotonic()
    sources = sorted({"llmreads." + ".".join(m.path.relative_to(PACKAGE).with_suffix("").parts[:1]) for m in scope})
    covering, seconds = coverage_map(sys.executable, args.workers, sources, args.reuse_coverage)
    print(f"coverage map: {time.monotonic() - started:.0f} s")
    originals = {m.path: m.path.read_text(encoding="utf-8") for m in scope}
    outcomes: list[dict[str, object]] = []
    try:
        for number, mutant in enumerate(scope, 1):
            lines = covering.get(str(mutant.path.resolve()), {})
            # Fastest first: with -x a killed mutant stops at the first test that fails.
            tests = sorted({t for line in range(mutant.line, mutant.end_line + 1) for t in lines.get(line, set())},
                           key=lambda t: (seconds.get(t, 60.0), t))
            # A line run only on import (a constant, a compiled pattern) has no test of its own: every
            # test that runs the module's code uses it.
            at_import = not tests and any(line in lines for line in range(mutant.line, mutant.end_line + 1))
            if at_import:
                tests = sorted({t for found in lines.values() for t in found}, key=lambda t: (seconds.get(t, 60.0), t))
            timed_out = False
            if not tests:
                outcome = "uncovered"
            else:
                cpu = args.cpu_limit or 30 + 3 * sum(seconds.get(t, 60.0) for t in tests)
                mutant.path.write_text(apply(originals[mutant.path], mutant), encoding="utf-8")
                try:
                    run = subprocess.run(
                        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "mutation",
                         "-n", "0", *tests],
                        cwd=ROOT, env=PLUGIN_ENV, capture_output=True, timeout=args.timeout or 20 * cpu,
                        preexec_fn=lambda cpu=cpu: _limit(cpu),
                    )
                    outcome = "killed" if run.returncode != 0 else "survived"
                    timed_out = run.returncode in (-signal.SIGXCPU, -signal.SIGKILL)
                except subprocess.TimeoutExpired:
                    outcome, timed_out = "killed", True
                finally:
                    mutant.path.write_text(originals[mutant.path], encoding="utf-8")
            outcomes.append({"mutant": mutant.name, "replacement": mutant.replacement, "outcome": outcome,
                             "tests": len(tests), "timed_out": timed_out, "at_import": at_import})
            shown = f"{outcome} (timeout)" if timed_out else outcome
            print(f"[{number}/{len(scope)}] {shown}: {mutant.name}  ->  {mutant.replacement[:80]}", flush=True)
            if args.json:  # after each mutant, so that a run cut short still says what it found
                args.json.write_text(json.dumps(outcomes, indent=1, ensure_ascii=False), encoding="utf-8")
    finally:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")

    def rate(group: list[dict[str, object]]) -> str:
        alive = sum(1 for o in group if o["outcome"] != "killed")
        # As counted before mutants of lines run on import were tried: all of them uncovered.
        before = alive + sum(1 for o in group if o["at_import"] and o["outcome"] == "killed")
        return (f"{alive}/{len(group)} survived or uncovered ({100 * alive / max(1, len(group)):.1f}%);"
                f" {before} with lines run on import counted as uncovered")

    query_part = [o for o in outcomes if str(o["mutant"]).startswith("src/llmreads/query.py")]
    rest = [o for o in outcomes if o not in query_part]
    print(f"query.py: {rate(query_part)}")
    print(f"store and parse sample: {rate(rest)}")
    print(f"all: {rate(outcomes)}; {time.monotonic() - started:.0f} s")
    if not args.limit:
        REPORT.unlink(missing_ok=True)
        COVERAGE_FILE.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
