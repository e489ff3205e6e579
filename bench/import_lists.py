"""Import real-world markdown paper lists and measure what the importer keeps and loses.

    python bench/import_lists.py LISTS/                 # one line of figures per list
    python bench/import_lists.py LISTS/ -v              # and, per list, what was lost or let in
    python bench/import_lists.py a.md b.md --json       # the figures as JSON
    python bench/import_lists.py LISTS/ --strict        # exit 1 when a list misses the targets

Each list is imported into a database of its own in a temporary folder, the way
a user would: `python -m llmreads --db DB import FILE --json` in a subprocess
(so a list that crashes or hangs the importer is reported, not fatal). The
report of the import and the database it wrote (read-only, with sqlite3) are
then compared with the raw text of the list:

- arXiv ids found: every `arxiv.org/abs/ID`, `arxiv.org/pdf/ID` and `arXiv:ID`
  in the document (new-style ids, versions dropped); ids that appear only inside
  HTML comments or fenced code blocks are counted apart, as hidden, and left
  out of the recall;
- arXiv ids imported: the ids of the imported papers (their arXiv id or URL);
- non-paper entries: entries whose paper links to code, models, videos, posts,
  a project page or a relative file instead of a paper; entries linking to any
  other host that is not a paper archive, publisher or PDF are counted apart
  ("other links": company blogs, news, leaderboards, books);
- dirty titles: papers whose title keeps quotes, a trailing period, markdown
  marks, link labels or other debris of the source;
- what the import itself reported as skipped (its problems and, once the
  importer has them, the skip keys of `import --json`).

The targets are those of the issue on importing real-world lists. Standard
library only (plus llmreads itself, run as a subprocess). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# Targets from the issue on importing real-world lists.
TARGET_RECALL = 95.0  # % of a list's arXiv-linked papers imported
TARGET_NON_PAPER = 2.0  # % of a list's imported entries that are not papers

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
# `import --json` keys that say what was left out (the names); printed when present.
SKIP_KEYS = ("skipped_tables", "unread_items", "non_papers", "clashes", "link_changes", "introductions_emptied")

ARXIV_ID = r"(\d{4}\.\d{4,5})(?:v\d+)?"
ARXIV_IN_TEXT = re.compile(
    rf"arxiv\.org/(?:abs|pdf)/{ARXIV_ID}|\barxiv:\s?{ARXIV_ID}(?!\d)", re.IGNORECASE
)
ARXIV_IN_URL = re.compile(rf"arxiv\.org/(?:abs|pdf|html)/{ARXIV_ID}", re.IGNORECASE)
HIDDEN_SPANS = re.compile(r"<!--.*?(?:-->|\Z)|^ {0,3}(```|~~~).*?(?:^ {0,3}\1|\Z)", re.DOTALL | re.MULTILINE)

# Hosts whose pages are not papers; the value is the kind printed.
NON_PAPER_HOSTS = {
    "github.com": "code", "gitlab.com": "code", "gitee.com": "code", "bitbucket.org": "code",
    "raw.githubusercontent.com": "code", "colab.research.google.com": "code", "kaggle.com": "code",
    "huggingface.co": "model/data", "hf.co": "model/data", "modelscope.cn": "model/data",
    "youtube.com": "video", "youtu.be": "video", "bilibili.com": "video", "b23.tv": "video",
    "vimeo.com": "video", "ixigua.com": "video",
    "twitter.com": "post", "x.com": "post", "t.co": "post", "weibo.com": "post", "threads.net": "post",
    "linkedin.com": "post", "reddit.com": "post", "news.ycombinator.com": "post",
    "medium.com": "blog", "substack.com": "blog", "zhihu.com": "blog", "mp.weixin.qq.com": "blog",
    "csdn.net": "blog", "jianshu.com": "blog", "juejin.cn": "blog", "notion.so": "blog", "notion.site": "blog",
    "towardsdatascience.com": "blog", "wandb.ai": "blog",
    "discord.gg": "chat", "discord.com": "chat", "t.me": "chat",
    "img.shields.io": "badge", "camo.githubusercontent.com": "badge", "badgen.net": "badge",
}
PAPER_PATHS_ON_NON_PAPER_HOSTS = {"huggingface.co": "/papers/", "hf.co": "/papers/"}
# Hosts of papers (archives, publishers, proceedings); a link to none of these
# nor to a non-paper host, and not to a PDF, is counted as "other".
PAPER_HOSTS = (
    "arxiv.org", "doi.org", "aclanthology.org", "aclweb.org", "openreview.net", "papers.nips.cc", "neurips.cc",
    "nips.cc", "proceedings.mlr.press", "jmlr.org", "dl.acm.org", "ieeexplore.ieee.org", "link.springer.com",
    "sciencedirect.com", "nature.com", "science.org", "openaccess.thecvf.com", "ojs.aaai.org", "aaai.org",
    "ijcai.org", "semanticscholar.org", "biorxiv.org", "medrxiv.org", "techrxiv.org", "ssrn.com", "researchgate.net",
    "usenix.org", "vldb.org", "iclr.cc", "icml.cc", "mlsys.org", "proceedings.neurips.cc", "pubmed.ncbi.nlm.nih.gov",
    "ncbi.nlm.nih.gov", "academic.oup.com", "jstor.org", "tandfonline.com", "wiley.com", "mdpi.com", "frontiersin.org",
    "plos.org", "cell.com", "pnas.org", "computer.org", "ecva.net", "isca-archive.org", "isca-speech.org",
    "cdn.openai.com", "storage.googleapis.com",
)
LINK_LABELS = re.compile(r"(?:paper|papers|pdf|arxiv|link|code|here|blog|project|website|homepage|github|\W)+",
                         re.IGNORECASE)
QUOTES = "\"'“”‘’«»「」『』"


@dataclass
class Missed:
    arxiv: str
    lines: list[int]
    fate: str  # "not in any entry", "a link of another entry", "in an introduction", "in an extra field"
    entry_line: int | None = None  # the entry that holds it, if one does


@dataclass
class Flagged:
    line: int
    title: str
    url: str
    why: str


@dataclass
class ListResult:
    file: str
    error: str = ""
    entries: int = 0
    papers: int = 0
    found: int = 0
    hidden: int = 0
    imported: int = 0
    recall: float | None = None
    non_paper_entries: int = 0
    non_paper_pct: float | None = None
    other_link_entries: int = 0  # links neither to a known paper host or PDF nor to a known non-paper host
    no_link_papers: int = 0
    dirty_titles: int = 0
    problems: list[str] = field(default_factory=list)
    skips: dict[str, object] = field(default_factory=dict)
    missed: list[Missed] = field(default_factory=list)
    non_papers: list[Flagged] = field(default_factory=list)
    other_links: list[Flagged] = field(default_factory=list)
    dirty: list[Flagged] = field(default_factory=list)

    def meets_targets(self) -> bool:
        return (not self.error and (self.recall is None or self.recall >= TARGET_RECALL)
                and (self.non_paper_pct or 0.0) < TARGET_NON_PAPER and self.dirty_titles == 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="markdown lists, or folders of them")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list, per list, the arXiv ids lost, the non-papers and the dirty titles")
    parser.add_argument("--limit", type=int, default=25, help="with -v: at most this many lines of each kind")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a list misses a target")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds an import may take (default 300)")
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder (one per list)")
    args = parser.parse_args()

    files = list_files(args.paths)
    if not files:
        parser.error("no markdown files (*.md) in " + ", ".join(map(str, args.paths)))
    results = []
    with tempfile.TemporaryDirectory(prefix="llmreads-lists-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for number, path in enumerate(files, 1):
            print(f"[{number}/{len(files)}] {path.name}", file=sys.stderr)
            results.append(measure(path, folder / f"{number:02d}-{path.stem}.db", args.timeout))
    if args.json:
        print(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=2))
    else:
        print_table(results)
        if args.verbose:
            for result in results:
                print_details(result, args.limit)
        print()
        print(summary(results))
    return 1 if args.strict and not all(r.meets_targets() for r in results) else 0


def list_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in MARKDOWN_SUFFIXES))
        else:
            files.append(path)
    return files


def measure(path: Path, db: Path, timeout: float) -> ListResult:
    result = ListResult(file=path.name)
    try:
        text = decode(path.read_bytes())
    except OSError as exc:
        result.error = f"cannot read: {exc.strerror}"
        return result
    occurrences, hidden = arxiv_ids(text)
    result.found, result.hidden = len(occurrences), len(hidden)

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")}
    env |= {"LLMREADS_USER": "bench", "LLMREADS_CONFIG": str(db.with_suffix(".config.toml")),
            "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "llmreads", "--db", str(db), "import", str(path), "--json"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", errors="replace",
                              env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        result.error = f"import took more than {timeout:g} s"
        return result
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}, no message"]
        # A traceback's last line says what happened; an `Error:` line is all there is.
        result.error = f"exit {done.returncode}: {lines[-1]}"
        return result
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        result.error = f"import --json printed no JSON: {done.stdout[:80]!r}"
        return result
    result.problems = [str(p) for p in report.get("problems", [])]
    result.skips = {key: report[key] for key in SKIP_KEYS if key in report}
    try:
        rows, links = read_entries(db)
    except sqlite3.Error as exc:
        result.error = f"cannot read the database the import wrote: {exc}"
        return result
    compare(result, report, rows, links, occurrences)
    return result


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def arxiv_ids(text: str) -> tuple[dict[str, list[int]], set[str]]:
    """The visible arXiv ids with the lines they are on, and the ids found only in comments or code."""
    hidden_spans = [m.span() for m in HIDDEN_SPANS.finditer(text)]
    visible: dict[str, list[int]] = {}
    hidden: set[str] = set()
    for match in ARXIV_IN_TEXT.finditer(text):
        arxiv = match.group(1) or match.group(2)
        if any(start <= match.start() < end for start, end in hidden_spans):
            hidden.add(arxiv)
            continue
        line = text.count("\n", 0, match.start()) + 1
        lines = visible.setdefault(arxiv, [])
        if line not in lines:
            lines.append(line)
    return visible, hidden - set(visible)


@dataclass
class Row:
    entry: int
    line: int
    entry_title: str
    intro: str
    extra: str
    key: str
    title: str
    url: str
    arxiv: str


def read_entries(db: Path) -> tuple[list[Row], dict[int, list[str]]]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = [Row(*r) for r in conn.execute(
            "SELECT e.id, e.line, e.title, e.intro, e.extra, p.key, p.title, p.url, coalesce(p.arxiv, '') "
            "FROM entries e JOIN papers p ON p.id = e.paper_id ORDER BY e.line, e.position")]
        links: dict[int, list[str]] = {}
        for entry, url in conn.execute("SELECT entry_id, url FROM links ORDER BY entry_id, position"):
            links.setdefault(entry, []).append(url)
        return rows, links
    finally:
        conn.close()


def compare(result: ListResult, report: dict[str, object], rows: list[Row], links: dict[int, list[str]],
            found: dict[str, list[int]]) -> None:
    result.entries = int(str(report.get("entries", len(rows))))
    result.papers = int(str(report.get("papers", len({r.key for r in rows}))))
    imported = {r.arxiv for r in rows if r.arxiv} | {m.group(1) for r in rows for m in ARXIV_IN_URL.finditer(r.url)}
    result.imported = len(imported & found.keys())
    result.recall = 100.0 * result.imported / result.found if result.found else None

    # Where did the lost ids go? Into another paper's links or introduction, or nowhere.
    as_link: dict[str, Row] = {}
    in_intro: dict[str, Row] = {}
    in_extra: dict[str, Row] = {}
    for row in rows:
        for url in links.get(row.entry, []):
            for m in ARXIV_IN_URL.finditer(url):
                as_link.setdefault(m.group(1), row)
        for m in ARXIV_IN_TEXT.finditer(row.intro):
            in_intro.setdefault(m.group(1) or m.group(2), row)
        for m in ARXIV_IN_TEXT.finditer(row.extra):
            in_extra.setdefault(m.group(1) or m.group(2), row)
    order = {arxiv: i for i, arxiv in enumerate(found)}  # ids of one line in the order found, not a set's
    for arxiv in sorted(found.keys() - imported, key=lambda a: (found[a][0], order[a])):
        for fate, holders in (("a link of another entry", as_link), ("in an introduction", in_intro),
                              ("in an extra field", in_extra)):
            if arxiv in holders:
                result.missed.append(Missed(arxiv, found[arxiv], fate, holders[arxiv].line))
                break
        else:
            result.missed.append(Missed(arxiv, found[arxiv], "not in any entry"))

    seen: set[str] = set()
    for row in rows:
        kind = non_paper_kind(row.url)
        if kind:
            result.non_paper_entries += 1
            result.non_papers.append(Flagged(row.line, row.title, row.url, kind))
        elif row.url and not is_paper_link(row.url):
            result.other_link_entries += 1
            result.other_links.append(Flagged(row.line, row.title, row.url, urlsplit(row.url).hostname or ""))
        if row.key in seen:
            continue
        seen.add(row.key)
        if not row.url:
            result.no_link_papers += 1
        why = dirty_title(row.title)
        if why:
            result.dirty.append(Flagged(row.line, row.title, row.url, why))
    result.dirty_titles = len(result.dirty)
    result.non_paper_pct = 100.0 * result.non_paper_entries / len(rows) if rows else None


def non_paper_kind(url: str) -> str:
    """What kind of non-paper a paper's URL points to; empty for a paper (or no URL)."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return "relative link" if not parts.scheme else f"{parts.scheme} link"
    host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    if parts.path.lower().endswith(".pdf"):
        return ""  # a report kept as a PDF in a repository is still a paper
    for known, kind in NON_PAPER_HOSTS.items():
        if host == known or host.endswith("." + known):
            paper_path = PAPER_PATHS_ON_NON_PAPER_HOSTS.get(known)
            if paper_path and parts.path.startswith(paper_path):
                return ""
            return kind
    if host.endswith(".github.io"):
        return "project page"
    return ""


def is_paper_link(url: str) -> bool:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    if parts.path.lower().endswith(".pdf") or "/pdf/" in parts.path.lower():
        return True
    return any(host == known or host.endswith("." + known) for known in PAPER_HOSTS)


def quotes_around(title: str) -> bool:
    """Quotes around the whole title, or a quote left open; not a quoted phrase the title holds
    (`"Well, Keep Thinking": Enhancing ...`, `... Need a "Passage"`), which is the authors' own."""
    if title.count('"') % 2 or title.count("“") != title.count("”") or title.count("「") != title.count("」"):
        return True
    if title[0] in QUOTES and title[-1] in QUOTES and len(title) > 1:
        return not any(q in title[1:-1] for q in QUOTES if q not in "'’")  # `'s` inside is an apostrophe
    return False


def dirty_title(title: str) -> str:
    """Why a title still carries debris of its source; empty when it looks clean."""
    reasons = []
    stripped = title.strip()
    if not stripped:
        return "empty"
    if stripped != title or "  " in title:
        reasons.append("stray spaces")
    if quotes_around(stripped):
        reasons.append("quotes")
    if re.search(r"(?<!\.)(?<!\bal)\.$|[,;:]$", stripped.rstrip(QUOTES)):
        reasons.append("trailing punctuation")
    if re.search(r"\*\*|__|^[*_]|[*_]$|`", stripped):
        reasons.append("markdown marks")
    if re.search(r"\]\(|\[\^|^\[|\]$", stripped):
        reasons.append("link or footnote syntax")
    if re.search(r"</?[a-zA-Z][^>]*>|&[a-z]+;|&#\d+;", stripped):
        reasons.append("HTML")
    if re.match(r"https?://", stripped):
        reasons.append("a URL")
    elif LINK_LABELS.fullmatch(stripped):
        reasons.append("a link label")
    if unicodedata.category(stripped[0]) == "So" or re.search(r"[🔥⭐✨📄📝🆕]", stripped):
        reasons.append("emoji")
    if re.search(r"\(@[^)]*\)$", stripped):
        reasons.append("(@org) suffix")
    if re.match(r"\(?\d{1,3}[.)]\s", stripped):
        reasons.append("a leading number")
    if len(stripped) < 3:
        reasons.append("too short")
    elif len(stripped) > 300:
        reasons.append(f"too long ({len(stripped)} characters)")
    return ", ".join(reasons)


def short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def name_of(result: ListResult) -> str:
    return short(re.sub(r"(__README)?\.(md|markdown|mdown|mkd)$", "", result.file, flags=re.IGNORECASE), 46)


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def reported(result: ListResult) -> str:
    parts = []
    for key, value in result.skips.items():
        count = len(value) if isinstance(value, list | dict) else value
        if count:
            parts.append(f"{key} {count}")
    if result.problems:
        parts.append(f"problems {len(result.problems)}")
    if not parts:
        return "nothing" if result.skips else "nothing (no skip keys)"
    return ", ".join(parts)


def print_table(results: list[ListResult]) -> None:
    header = ("list", "entries", "papers", "arXiv found", "imported", "recall", "non-papers", "other links",
              "no link", "dirty", "hidden", "import reported")
    rows: list[tuple[str, ...]] = []
    for r in results:
        if r.error:
            rows.append((name_of(r), "-", "-", str(r.found), "0", pct(0.0 if r.found else None), "-", "-", "-", "-",
                         str(r.hidden), "FAILED"))
            continue
        rows.append((name_of(r), str(r.entries), str(r.papers), str(r.found), str(r.imported), pct(r.recall),
                     f"{r.non_paper_entries} ({pct(r.non_paper_pct)})", str(r.other_link_entries),
                     str(r.no_link_papers), str(r.dirty_titles),
                     str(r.hidden),
                     reported(r)))
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        cells = [cell.ljust(widths[i]) if i in (0, len(header) - 1) else cell.rjust(widths[i])
                 for i, cell in enumerate(row)]
        print("  ".join(cells).rstrip())
    for r in results:
        if r.error:
            print(f"{name_of(r)}: {r.error}")


def print_details(result: ListResult, limit: int) -> None:
    print()
    print(f"== {result.file}")
    if result.error:
        print(f"  failed: {result.error}")
        return

    def some(label: str, lines: list[str]) -> None:
        if not lines:
            return
        print(f"  {label}:")
        for line in lines[:limit]:
            print(f"    {line}")
        if len(lines) > limit:
            print(f"    … and {len(lines) - limit} more")

    fates = Counter(m.fate for m in result.missed)
    some(f"arXiv ids not imported ({len(result.missed)}: "
         + ", ".join(f"{n} {fate}" for fate, n in fates.most_common()) + ")",
         [f"line {','.join(map(str, m.lines[:4]))}: {m.arxiv} {m.fate}"
          + (f" (entry on line {m.entry_line})" if m.entry_line else "") for m in result.missed])
    kinds = Counter(f.why for f in result.non_papers)
    some(f"non-paper entries ({', '.join(f'{n} {k}' for k, n in kinds.most_common())})",
         [f"line {f.line}: {f.why}: {short(f.title, 60)} <{short(f.url, 70)}>" for f in result.non_papers])
    hosts = Counter(f.why for f in result.other_links)
    some(f"entries linking elsewhere ({', '.join(f'{n} {h}' for h, n in hosts.most_common(5))}"
         + (", …)" if len(hosts) > 5 else ")"),
         [f"line {f.line}: {short(f.title, 60)} <{short(f.url, 70)}>" for f in result.other_links])
    some("dirty titles", [f"line {f.line}: {f.why}: {short(f.title, 90)!r}" for f in result.dirty])
    skips = [f"{key}: {json.dumps(value, ensure_ascii=False)[:150]}" for key, value in result.skips.items()]
    some("reported by the import", skips + [f"problem: {p}" for p in result.problems])


def summary(results: list[ListResult]) -> str:
    failed = [r for r in results if r.error]
    found = sum(r.found for r in results)
    imported = sum(r.imported for r in results)
    measured = [r for r in results if r.found]
    worst = min(measured, key=lambda r: 0.0 if r.error else (r.recall or 0.0), default=None)
    entries = sum(r.entries for r in results)
    non_papers = sum(r.non_paper_entries for r in results)
    meeting = sum(r.meets_targets() for r in results)
    parts = [
        f"{len(results)} lists: {len(results) - len(failed)} imported, {len(failed)} failed",
        f"arXiv ids {imported}/{found} imported ({pct(100.0 * imported / found if found else None)})",
        f"worst recall {pct(0.0 if worst and worst.error else worst.recall if worst else None)}"
        + (f" ({name_of(worst)})" if worst else ""),
        f"non-paper entries {non_papers}/{entries} ({pct(100.0 * non_papers / entries if entries else None)})",
        f"dirty titles {sum(r.dirty_titles for r in results)}",
        f"meeting the targets (recall >= {TARGET_RECALL:g}%, non-papers < {TARGET_NON_PAPER:g}%, "
        f"no dirty titles): {meeting}/{len(results)}",
    ]
    return "; ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
