"""Render layer: the only module that imports Rich.

A terminal gets Rich tables; a pipe gets plain tab-separated lines (one paper
a line, for cut, grep and fzf); --json gets JSON with unescaped Chinese.
All text from documents and notes is passed to Rich as Text, never as markup.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from llmreads.text import clean, clean_block, escape_json

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console
    from rich.text import Text

    from llmreads.maintenance import BackupReport, DatabaseStatus, IndexVersion, RestoreReport
    from llmreads.models import ImportReport
    from llmreads.store.detail import PaperDetail
    from llmreads.store.library import Added
    from llmreads.store.notes import Note
    from llmreads.store.papers import PaperRow
    from llmreads.store.personal import HistoryEvent, MonthCount, TagCount
    from llmreads.store.reports import (
        Counts,
        ListSummary,
        Progress,
        RemovedList,
        SectionProgress,
        StarsProgress,
        UserProgress,
    )
    from llmreads.store.search import SearchResult
    from llmreads.userdata import MergeReport

# A glyph per status that cannot be taken for cut text (… is what a cut cell ends with).
STATUS_MARK = {"read": "✓", "reading": "◐", "unread": " "}
ASCII_STATUS_MARK = {"read": "x", "reading": ">", "unread": " "}
NARROW = 60
PIPE_WIDTH = 1_000_000  # "never wrap"


def error(message: str) -> None:
    print(f"Error: {clean(message)}", file=sys.stderr)


def info(message: str) -> None:
    print(message, file=sys.stderr)


def choose(question: str, candidates: list[str]) -> int | None:
    """Ask on the terminal which of `candidates` is meant: a number, or None (empty answer, EOF, Ctrl-C)."""
    print(f"{clean(question)}:", file=sys.stderr)
    shown = candidates[:20]
    for number, candidate in enumerate(shown, 1):
        print(f"  {number:>2}  {'  '.join(map(clean, candidate.split('  ', 1)))}", file=sys.stderr)
    if len(candidates) > len(shown):
        print(f"  … and {len(candidates) - len(shown)} more (use an id)", file=sys.stderr)
    while True:
        print(f"Which one? [1-{len(shown)}, Enter to cancel] ", end="", file=sys.stderr, flush=True)
        try:
            answer = sys.stdin.readline()
        except KeyboardInterrupt:
            print(file=sys.stderr)
            return None
        answer = answer.strip()
        if not answer:
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(shown):
            return int(answer) - 1


def json_text(data: object) -> str:
    """JSON with Chinese as it is, but every control and bidi mark escaped (\\uXXXX), so a terminal shows them inert.

    Every JSON llmreads writes (--json, `export`, `user-data export`) is made here.
    """
    import json

    return escape_json(json.dumps(data, ensure_ascii=False, indent=2))


def emit_json(data: object) -> None:
    """A query's answer as --json prints it: a result dataclass or NamedTuple (or a list of them) as an object
    of its fields."""
    print(json_text(_plain(data)))


def _plain(data: object) -> object:
    fields = getattr(data, "_fields", None)  # a NamedTuple result (store.detail, store.notes): an object
    if fields is not None and isinstance(data, tuple):
        return {name: _plain(value) for name, value in zip(fields, data, strict=True)}
    if isinstance(data, list | tuple):
        return [_plain(item) for item in data]
    if hasattr(data, "__dataclass_fields__") and not isinstance(data, type):
        from dataclasses import asdict  # field order is the JSON's key order

        return asdict(data)  # type: ignore[call-overload]
    return data


def document(text: str) -> None:
    """A whole export on stdout: cleaned like any other text for a terminal; as it is for a pipe, to read back."""
    print(clean_block(text) if is_terminal() else text, end="")


def link(url: str) -> None:
    """A paper's URL on a line of its own, cleaned like every title and URL `list` and `show` print."""
    print(clean(url))


def is_terminal() -> bool:
    """Whether stdout gets tables (a terminal, or --color) rather than plain lines."""
    forced = os.environ.get("LLMREADS_FORCE_TERMINAL")
    if forced is not None:
        return forced not in ("", "0")
    return os.environ.get("LLMREADS_COLOR") == "1" or sys.stdout.isatty()


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    color = os.environ.get("LLMREADS_COLOR")
    return Console(
        stderr=stderr,
        highlight=False,
        force_terminal=True if color == "1" else None,
        no_color=True if color == "0" else None,
    )


@contextmanager
def line_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A transient progress bar on stderr; the callback takes the line reached."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn(label), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
        console=console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda line: bar.update(task, completed=line)


def ascii_only() -> bool:
    """Whether to draw stars, bars and marks in ASCII (--ascii, LLMREADS_ASCII=1): for terminals where ★ and █
    are double width."""
    return os.environ.get("LLMREADS_ASCII", "") not in ("", "0")


def mark(status: str) -> str:
    return (ASCII_STATUS_MARK if ascii_only() else STATUS_MARK)[status]


@contextmanager
def fetch_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A transient progress bar on stderr when it is a terminal (nothing otherwise); the callback takes a step."""
    if total == 0 or not sys.stderr.isatty():
        yield lambda step: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda step: bar.advance(task, step)


def stars(n: int, narrow: bool = False) -> str:
    star = "*" if ascii_only() else "★"
    if narrow:
        return f"{n}{star}" if n else ""
    return star * n


def local_time(stamp: object) -> str:
    """A stored UTC timestamp (ISO 8601) as the reader's local date and time, to the minute."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def size(n: int) -> str:
    """A file size a reader takes in at a glance: bytes, KiB, MiB or GiB."""
    if n < 1024:
        return f"{n} {plural(n, 'byte', 'bytes')}"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024  # type: ignore[assignment]
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}"
    raise AssertionError("unreachable")


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Wrap mixed Chinese and English as a reader expects.

    A word that does not fit moves to the next line whole (one longer than a
    line is cut), except a run of Chinese after a line less than half full:
    it breaks between ideographs and fills the line. Latin words are never
    cut, and a line never starts with closing punctuation (。，、）…): the
    ideograph before it comes along. Rich wraps only at spaces, which leaves
    a ragged gap before every run of Chinese.
    """
    if width >= PIPE_WIDTH:  # a pipe: one line, and no Rich to load for measuring it
        return [indent + text] if text.strip() else []
    import re

    from rich.cells import cell_len

    room = max(10, width - cell_len(indent))
    lines: list[str] = []
    line = ""
    used = 0  # cell_len(line), kept as it grows: measured again for every word, a 1 MB note took seconds

    def push(piece: str, size: int) -> None:
        nonlocal line, used
        if used + size > room and line.strip():
            kept = line.rstrip()
            # The last ideograph, or the last Latin word, comes along with closing
            # punctuation (and with any closing punctuation already after it).
            last = (
                re.search(rf"(?:[^\W\u3000-\u9fff\uff00-\uffef]+|\S)[{re.escape(_CLOSING)}]*$", kept)
                if piece[0] in _NO_LINE_START
                else None
            )
            if last is not None and last.start() > 0 and cell_len(last.group() + piece) <= room:
                lines.append(indent + kept[: last.start()].rstrip())
                line = last.group() + piece
            else:
                lines.append(indent + kept)
                line = piece.lstrip()
            used = cell_len(line)
        else:
            line += piece
            used += size
        while used > room:  # one piece longer than a line, such as a URL
            cut = room
            while cell_len(line[:cut]) > room:
                cut -= 1
            lines.append(indent + line[:cut])
            line = line[cut:]
            used = cell_len(line)

    for word in re.findall(r"\S+|\s+", text):
        if word.isspace():
            if line:
                line += " "
                used += 1
            continue
        size = cell_len(word)
        if used + size <= room or (
            size <= room
            and line.strip()
            and (used >= room // 2 or not re.search(r"[\u3000-\u9fff\uff00-\uffef]", word))
        ):
            push(word, size)
        else:
            for piece in re.findall(r"[^\W\u3000-\u9fff\uff00-\uffef]+[^\s\u3000-\u9fff\uff00-\uffef]*|.", word):
                push(piece, cell_len(piece))
    if line.strip():
        lines.append(indent + line.rstrip())
    return lines


# Closing punctuation, Chinese and Latin, that a line must not start with.
_CLOSING = "。，、；：？！）」』】〉》”’…—,.;:!?)]%"
_NO_LINE_START = frozenset(_CLOSING)


def plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _tsv(*fields: object) -> str:
    return "\t".join(clean(str(f)) for f in fields)


def papers(rows: Sequence[PaperRow], *, total: int, description: str = "") -> None:
    if not is_terminal():
        for row in rows:
            print(_tsv(row.id, row.stars, row.status, row.title, "; ".join(row.sections)))
        return
    from rich.table import Table
    from rich.text import Text

    out = console()
    narrow = out.width < NARROW
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", expand=True)
    rated = any(row.my_stars for row in rows)
    tagged = any(row.tags for row in rows)
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("*" if ascii_only() else "★", style="yellow", no_wrap=True)
    if rated:  # your stars, beside the list's
        table.add_column("you", style="magenta", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("title", overflow="fold")
    if not narrow:
        table.add_column("section", no_wrap=True, overflow="ellipsis", style="dim", max_width=24)
    for row in rows:
        cells = [Text(row.id), Text(stars(row.stars, narrow))]
        if rated:
            cells.append(Text(stars(row.my_stars or 0, narrow)))
        title = Text(row.title)
        if tagged and row.tags:
            title.append("  " + " ".join(f"#{tag}" for tag in row.tags), style="green")
        cells += [Text(mark(row.status)), title]
        if not narrow:
            cells.append(Text(", ".join(row.sections)))
        table.add_row(*cells)
    out.print(table)
    shown = f"{len(rows)} of {total}" if len(rows) < total else str(total)
    out.print(Text(f"{shown} {plural(total, 'paper', 'papers')}" + (f" · {description}" if description else ""),
                   style="dim"))


def search_results(result: SearchResult, *, query: str, description: str = "") -> None:
    """The hits; on stderr, what is not a hit: no match, how many the filters left out, how many are not shown."""
    before = ""
    if description and result.unfiltered != result.total:
        before = f" ({result.unfiltered} before {description})"
    if not result.papers:
        message = f"No papers match {query!r}" + (f" with {description}" if description else "") + "."
        if description and result.unfiltered:
            message += f" {result.unfiltered} {plural(result.unfiltered, 'paper matches', 'papers match')} without."
        if result.suggestions:
            message += " Did you mean: " + ", ".join(result.suggestions) + "?"
        info(message)
        return
    if not is_terminal():
        for row in result.papers:
            print(_tsv(row.id, row.stars, row.status, row.title, "; ".join(row.sections), row.snippet or ""))
        if len(result.papers) < result.total or not result.exact:
            info(f"{len(result.papers)} of {_hits(result)} papers shown (--limit)")
        return
    from rich.text import Text

    out = console()
    from rich.cells import cell_len

    for row in result.papers:
        star_mark = stars(row.stars, out.width < NARROW) or "·"
        prefix = f"{row.id} {star_mark} {mark(row.status)} "
        for i, part in enumerate(wrap(row.title, out.width, " " * cell_len(prefix))):
            head = Text()
            if i == 0:
                head.append(row.id, style="cyan")
                head.append(" ")
                head.append(star_mark, style="yellow")
                head.append(f" {mark(row.status)} ")
            else:
                head.append(" " * cell_len(prefix))
            title = Text(part[cell_len(prefix):], style="bold")
            _highlight(title, result.patterns)
            head.append_text(title)
            out.print(head)
        if row.sections:
            out.print(Text("   " + ", ".join(row.sections), style="dim"))
        for line in wrap(row.snippet or "", out.width, "   "):
            snippet = Text(line)
            _highlight(snippet, result.patterns)
            out.print(snippet)
    shown = _hits(result) if len(result.papers) == result.total and result.exact else (
        f"{len(result.papers)} of {_hits(result)}")
    out.print(Text(f"{shown} {plural(result.total, 'paper matches', 'papers match')} {query!r}{before}", style="dim"))


def _hits(result: SearchResult) -> str:
    """How many papers match: `1234`, or `5,000+` where a page counted them only so far (store.search.COUNT_MOST)."""
    return str(result.total) if result.exact else f"{result.total:,}+"


def _highlight(text: Text, patterns: Sequence[str]) -> None:
    import re

    from llmreads.text import fold_scripts

    plain = fold_scripts(text.plain)  # the patterns are Simplified, as the index is; offsets hold
    for pattern in patterns:
        for found in re.finditer(pattern, plain, re.IGNORECASE):
            text.stylize("bold reverse", found.start(), found.end())


Span = tuple[str, str]  # (text, Rich style)


def _emit(lines: Sequence[Sequence[Span]]) -> None:
    """Styled lines to a terminal through Rich; to a pipe as plain text, without importing Rich."""
    if not is_terminal():
        for spans in lines:
            print("".join(text for text, _ in spans))
        return
    from rich.text import Text

    # Lines printed a block at a time: a print call per line cost ~0.1 ms (a 1 MB note has 22,000 lines),
    # and Rich splits a Text of many lines in time that grows with its length times its lines.
    out = console()
    for first in range(0, len(lines), _EMIT_BLOCK):
        block = Text()
        for number, spans in enumerate(lines[first : first + _EMIT_BLOCK]):
            if number:
                block.append("\n")
            for text, style in spans:
                block.append(text, style=style or None)
        out.print(block)


_EMIT_BLOCK = 100


def _width() -> int:
    """Where to wrap long text: the terminal's width; never in a pipe."""
    if not is_terminal():
        return PIPE_WIDTH
    return console().width


def paper(detail: PaperDetail) -> None:
    width = _width()
    lines: list[list[Span]] = [[(detail.title, "bold")]]
    fields = [
        ("id", detail.id),
        ("key", detail.key),
        ("url", detail.url or "-"),
        ("arXiv", detail.arxiv or "-"),
        ("stars", stars(detail.stars) or "-"),
        *([("yours", stars(detail.my_stars))] if detail.my_stars else []),
        ("status", detail.status + (f" (since {local_time(detail.status_at)})" if detail.status_at else "")),
        *([("tags", ", ".join(detail.tags))] if detail.tags else []),
    ]
    if detail.authors:
        fields.insert(2, ("authors", ", ".join(detail.authors)))
    if detail.year:
        fields.insert(3 if detail.authors else 2, ("year", str(detail.year)))
    for label, value in fields:
        for i, part in enumerate(wrap(clean(value), width, " " * 9)):
            lines.append([(f"{label:>7}  " if i == 0 else " " * 9, "dim"), (part[9:], "")])
    for entry in detail.entries:
        head: list[Span] = [(f"§ {entry.section}", "bold cyan")]
        if entry.number is not None:
            head.append((f"  #{entry.number}", "dim"))
        head.append((f"  {stars(entry.stars)}", "yellow"))
        lines += [[], head]
        details = ([f"year {entry.year}"] if entry.year else []) + [
            f"{name}: {value}" for name, value in entry.fields.items()
        ]
        if details:
            lines += [[(part, "dim")] for part in wrap(clean(" · ".join(details)), width)]
        lines += [[(intro_line, "")] for intro_line in wrap(entry.introduction, width)]
        for link in entry.links:
            text, url = clean(link.text), clean(link.url)
            shown = url if text == url else f"{text}  {url}"
            for i, part in enumerate(wrap(shown, width, "    ")):
                lines.append([("  → " if i == 0 else "    ", "dim"), (part[4:], "blue" if text == url else "")])
    if detail.abstract:
        lines += [[], [("abstract", "bold")]]
        lines += [[(part, "")] for part in wrap(clean(detail.abstract), width)]
    if detail.notes:
        lines += [[], [("notes", "bold")]]
        for note in detail.notes:
            lines.append([(f"  [{note.id}] ", "dim"), (local_time(note.updated_at), "dim")])
            for line in clean_block(note.text).strip("\n").split("\n"):
                lines += [[(part, "")] for part in wrap(line, width, "      ")] or [[("", "")]]
    _emit(lines)


def status_changes(rows: Sequence[PaperRow], status: str) -> None:
    for row in rows:
        print(f"{mark(status)} {status:<7} {row.id}  {clean(row.title)}")


def paper_tags(row: PaperRow) -> None:
    tags = ", ".join(row.tags) if row.tags else "no tags"
    print(f"{row.id}  {clean(row.title)}: {clean(tags)}")


def rated(row: PaperRow) -> None:
    if row.my_stars:
        print(f"{stars(row.my_stars)} (yours)  {row.id}  {clean(row.title)}")
    else:
        print(f"No rating of yours  {row.id}  {clean(row.title)}")


def tag_counts(counts: Sequence[TagCount]) -> None:
    if not counts:
        print("No tags yet: `llmreads tag REF TAG` adds one.")
        return
    _records(("tag", "papers"), [(c.tag, c.papers) for c in counts], numeric={"papers"})


def history(found: Sequence[HistoryEvent]) -> None:
    if not found:
        print("No status changes yet.")
        return
    records = [
        (event.at[:16].replace("T", " "), f"{mark(event.status)} {event.status}", event.id or "-",
         event.title if event.title is not None else f"{event.key} (no such paper)")
        for event in found
    ]
    _records(("when", "status", "id", "title"), records, numeric=set())


def read_by_month(months: Sequence[MonthCount], list_name: str | None = None) -> None:
    """`progress --by month`: the papers read in each month (of one list's papers), as bars."""
    if not months:
        print("No papers read yet.")
        return
    if not is_terminal():
        for m in months:
            print(_tsv(m.month, m.read))
        return
    from rich.table import Table
    from rich.text import Text

    out = console()
    width = 10 if out.width < NARROW else 30
    most = max(m.read for m in months)
    title = "Papers read per month" + (f" · list {clean(list_name)}" if list_name is not None else "")
    table = Table(box=None, header_style="bold", pad_edge=False, title=Text(title, style="table.title"),
                  title_justify="left")
    table.add_column("month", no_wrap=True)
    table.add_column("read", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    for month, read, bar in _month_rows(months, width, most):
        table.add_row(Text(month, style="dim" if not read else ""), Text(read), Text(bar, style="green"))
    out.print(table)


def _month_rows(months: Sequence[MonthCount], width: int, most: int) -> Iterator[tuple[str, str, str]]:
    """A row per month; a run of three or more months with nothing read is one row that says how many."""
    i = 0
    while i < len(months):
        run = i
        while run < len(months) and months[run].read == 0:
            run += 1
        if run - i >= 3:
            yield f"{months[i].month} … {months[run - 1].month}", "0", f"({run - i} months)"
            i = run
            continue
        m = months[i]
        yield m.month, str(m.read), ("#" if ascii_only() else "█") * (round(width * m.read / most) if m.read else 0)
        i += 1


def notes(items: Sequence[Note], full: bool = False, first_lines: int = 3) -> None:
    """Notes in a table, each with its lines (the first `first_lines` unless `full`); one line each in a pipe."""
    if not items:
        print("No notes yet.")
        return
    if not is_terminal():
        for note in items:
            print(_tsv(note.id, note.paper, note.updated_at, note.text))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("note", style="cyan", no_wrap=True)
    table.add_column("paper", no_wrap=True)
    table.add_column("text", overflow="fold")
    table.add_column("updated", style="dim", no_wrap=True)
    for note in items:
        lines = [clean(line) for line in clean_block(note.text).strip("\n").split("\n")]
        if not full and len(lines) > first_lines:
            more = len(lines) - first_lines
            lines = [*lines[:first_lines], f"… {more} more {plural(more, 'line', 'lines')} (--full)"]
        text = Text("\n".join(lines))
        if not note.listed:
            # `list` does not show the paper: name it here (and `list --all` shows it).
            about = f"{note.title} (no list holds it)" if note.title else f"{note.key} (no such paper)"
            text = Text.assemble((clean(about) + "\n", "dim"), text)
        table.add_row(Text(str(note.id)), Text(note.paper or "?"), text, Text(local_time(note.updated_at)[:10]))
    console().print(table)


def sections(tree: Sequence[SectionProgress]) -> None:
    if not is_terminal():
        for s in tree:
            print(_tsv(s.number, s.title, s.papers, s.read))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("section", overflow="fold")
    table.add_column("papers", justify="right")
    table.add_column("read", justify="right")
    lists = {s.list for s in tree}
    last_list = None
    for s in tree:
        if len(lists) > 1 and s.list != last_list:
            table.add_row(Text(clean(s.list), style="bold underline"), Text(""), Text(""))
            last_list = s.list
        indent = "  " * s.depth
        label = Text(f"{indent}{s.number} ", style="cyan")
        label.append(s.title, style="bold" if s.depth == 0 else "")
        table.add_row(label, Text(str(s.papers)), Text(f"{s.read}"))
    console().print(table)


def _bar(done: int, total: int, width: int) -> str:
    if total <= 0:
        return " " * width
    filled = round(width * done / total)
    full, empty = ("#", "-") if ascii_only() else ("█", "░")
    return full * filled + empty * (width - filled)


def progress(data: Progress) -> None:
    total = data.total
    if not is_terminal():
        for s in data.sections:
            print(_tsv(s.number, s.title, s.read, s.papers))
        for st in data.stars:
            print(_tsv(f"{st.stars} {plural(st.stars, 'star', 'stars')}", "", st.read, st.papers))
        print(_tsv("total", "", total.read, total.papers))
        return
    from rich.table import Table
    from rich.text import Text

    out = console()
    width = 10 if out.width < NARROW else 20
    title = Text(f"Reading progress of {clean(data.user)}", style="table.title")  # a name is no markup
    table = Table(box=None, header_style="bold", pad_edge=False, title=title, title_justify="left")
    table.add_column("", overflow="fold")
    table.add_column("read", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    rows: list[SectionProgress | StarsProgress | Counts] = [*data.sections, *data.stars, total]
    counts = [f"{c.read}/{c.papers}" for c in rows]
    label_width = max(12, out.width - width - max(len(c) for c in counts) - 4)  # what the other columns leave
    for s in data.sections:
        indent = "  " * s.depth
        label = Text("\n".join(wrap(f"{s.number} {s.title}", label_width, indent)))
        bar = Text(_bar(s.read, s.papers, width), style="green")
        table.add_row(label, Text(f"{s.read}/{s.papers}"), bar)
    table.add_section()
    for st in data.stars:
        table.add_row(Text(stars(st.stars) or "no stars", style="yellow"), Text(f"{st.read}/{st.papers}"),
                      Text(_bar(st.read, st.papers, width), style="green"))
    table.add_section()
    table.add_row(Text("total", style="bold"), Text(f"{total.read}/{total.papers}"),
                  Text(_bar(total.read, total.papers, width), style="bold green"))
    out.print(table)


def import_report(report: ImportReport) -> None:
    sections = f"{report.sections} {plural(report.sections, 'section', 'sections')}"
    if report.skipped:
        papers = f"{report.papers} {plural(report.papers, 'paper', 'papers')}"
        print(f"{report.title}: unchanged since the last import ({papers}, {sections}).")
        return
    verb = "Would import" if report.dry_run else "Imported"
    print(
        f"{verb} {report.title} as list {report.list_name!r}: {sections}, "
        f"{report.entries} {plural(report.entries, 'entry', 'entries')}, "
        f"{report.papers} distinct {plural(report.papers, 'paper', 'papers')}"
    )
    print(
        f"  added {len(report.added)}, updated {report.changed}, unchanged {report.unchanged}, "
        f"removed {len(report.removed)}"
    )
    if report.empties_introductions:
        print(f"  warning: introductions emptied: {report.introductions_emptied} of the list's {report.papers} papers"
              " had one and have none now")
    if report.statuses_read or report.notes_read:
        print(f"  read as yours: {_count(report.statuses_read, 'status', 'statuses')},"
              f" {_count(report.notes_read, 'note', 'notes')}")
    elif report.marked:
        print(f"  {_count(report.marked, 'paper carries', 'papers carry')} a status or notes;"
              " `--with-user-data` reads them as yours")
    if report.unchanged < report.papers or report.removed:
        for label, items in (
            ("added", report.added), ("removed", report.removed), ("moved", report.moved),
            ("re-rated", report.rerated), ("retitled", report.retitled), ("updated", report.updated),
        ):
            if label == "added" and len(items) == report.papers:
                continue  # a first import: every paper is new
            for item in items[:50]:
                print(f"  {label}: {clean(item)}")
            if len(items) > 50:
                print(f"  {label}: … and {len(items) - 50} more")
        for change in report.link_changes[:50]:
            print(f"  link changed: {clean(change.title)}: {clean(change.old_key)} → {clean(change.new_key)}")
        if len(report.link_changes) > 50:
            print(f"  link changed: … and {len(report.link_changes) - 50} more")
    left = report.left_with_user_data
    for paper in left[:50]:
        kept = ", ".join(_count(number, one, many) for number, one, many in (
            (paper.statuses, "status", "statuses"), (paper.notes, "note", "notes"), (paper.tags, "tag", "tags"),
            (paper.ratings, "rating", "ratings"), (paper.history, "history event", "history events"),
        ) if number)
        print(f"  kept on a paper no list holds: {paper.id}  {clean(paper.title)} ({kept})")
    if len(left) > 50:
        print(f"  kept on a paper no list holds: … and {len(left) - 50} more")
    if left:
        print("  (`llmreads list --all` shows the papers no list holds that keep your statuses, notes, tags or"
              " ratings)")
    if report.dry_run:
        print("Dry run: nothing was written.")
    for problem in report.problems:
        info(f"warning: {problem}")


def import_left_out(report: ImportReport, *, verbose: bool = False) -> None:
    """What the document holds that did not become a paper, on stderr: counts and lines, or every item."""
    if report.skipped:
        return

    def lines(numbers: Sequence[int]) -> str:
        shown = ", ".join(str(n) for n in numbers[:20])
        return ("line " if len(numbers) == 1 else "lines ") + shown + (", …" if len(numbers) > 20 else "")

    tables = report.skipped_tables
    if tables:
        info(f"left out: {_count(len(tables), 'table', 'tables')} with no column of paper titles:")
        for table in tables if verbose else tables[:10]:
            info(f"  line {table.line}: {clean(' | '.join(table.headers)) or '(no header)'}")
        if not verbose and len(tables) > 10:
            info(f"  … and {len(tables) - 10} more (--verbose lists them)")
    unread = report.unread_items
    if unread:
        looks = "looks like a paper but was" if len(unread) == 1 else "look like papers but were"
        info(f"left out: {_count(len(unread), 'item', 'items')} that {looks} not read "
             f"({lines([item.line for item in unread])})")
        if verbose:
            for item in unread:
                info(f"  line {item.line}: {clean(item.text)[:160]}")
    others = report.non_papers
    if others:
        info(f"left out: {_count(len(others), 'item', 'items')} linking only to code, models, data, videos or posts"
             + ("" if verbose else " (--verbose lists them)"))
        if verbose:
            for other in others:
                info(f"  line {other.line}: {clean(other.text)[:120]}  {clean(other.url)}")
    for clash in report.clashes:
        titles = " / ".join(f'"{clean(title)}"' for title in clash.titles)
        info(f"clash: arXiv {clash.arxiv} is listed under {len(clash.titles)} titles: {titles}; kept the first")


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def lists(rows: Sequence[ListSummary]) -> None:
    if not rows:
        print("No lists imported yet.")
        return
    # The title is the name unless --name gave another; then both are shown.
    titled = any(row.title != row.name for row in rows)
    columns = ("name", *(("title",) if titled else ()), "papers", "updated", "imported", "source")
    records = [
        (row.name, *((row.title,) if titled else ()), row.papers, row.updated or "-",
         row.imported_at[:16].replace("T", " "), row.source)
        for row in rows
    ]
    _records(columns, records, numeric={"papers"})


def users(rows: Sequence[UserProgress]) -> None:
    if not rows:
        print("No one has marked, tagged or rated a paper or written a note yet.")
        return
    columns = ("user", "read", "reading", "notes", "tags", "rated", "last active")
    records = [
        (row.user, f"{row.read}/{row.papers}", row.reading, row.notes, row.tags, row.rated,
         (row.last_active or "-")[:16].replace("T", " "))
        for row in rows
    ]
    _records(columns, records, numeric={"read", "reading", "notes", "tags", "rated"})


def _records(columns: Sequence[str], records: Sequence[Sequence[object]], numeric: set[str]) -> None:
    """A small table: Rich on a terminal, tab-separated lines in a pipe."""
    if not is_terminal():
        for record in records:
            print(_tsv(*record))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        table.add_column(column, justify="right" if column in numeric else "left", overflow="fold")
    for record in records:
        table.add_row(*(Text(clean(str(value))) for value in record))
    console().print(table)


def nothing_next() -> None:
    print("Nothing left to read here. Well done.")


def list_removed(removed: RemovedList) -> None:
    print(f"Removed list {removed.name!r} ({removed.papers} papers);"
          " your statuses, notes, tags, ratings and history are kept.")


def added(results: Sequence[Added]) -> None:
    """What `add` did, a line a paper: added, or already there (and where), and any key that became an alias."""
    for r in results:
        if r.linked:
            where = ", ".join(clean(name) for name in r.held_by) or "no list"
            line = f"Already in list {where} as {r.id}  {clean(r.title)}; linked to arXiv {clean(r.linked)}"
            if r.to_list not in r.held_by:
                line += f"; added to {clean(r.to_list)} too"
        elif r.added:
            line = f"Added {r.id}  {clean(r.title)}  to {clean(r.to_list)}"
        else:
            where = ", ".join(clean(name) for name in r.held_by) or "no list"
            also = "" if r.to_list in r.held_by else f"; added to {clean(r.to_list)} too"
            line = f"Already there: {r.id}  {clean(r.title)}  (in {where}){also}"
        if r.aliased:
            line += f"; {clean(r.aliased)} is the same paper"
        if r.tagged:
            line += f"; tagged {', '.join(clean(tag) for tag in r.tagged)}"
        print(line)


def enriched(counts: dict[str, int]) -> None:
    """What `enrich` did."""
    print(f"Fetched metadata of {counts['fetched']} of {counts['wanted']} papers"
          + (f"; {counts['unknown']} unknown to the service" if counts.get("unknown") else "")
          + (f"; {counts['linked']} given their arXiv ids from the bundled data" if counts.get("linked") else "")
          + (f"; {counts['matched']} added by arXiv id found to be a paper here by title" if counts.get("matched")
             else "") + ".")


def arxiv_set(paper_id: str, title: str, arxiv: str) -> None:
    print(f"{paper_id}  {clean(title)}  is arXiv {clean(arxiv)}")


def note_added(note_id: int, paper_id: str, title: str) -> None:
    print(f"Added note {note_id} to {paper_id}  {clean(title)}")


def note_updated(note_id: int) -> None:
    print(f"Updated note {note_id}.")


def note_unchanged(note_id: int) -> None:
    print(f"Note {note_id} unchanged.")


def note_deleted(note_id: int) -> None:
    print(f"Deleted note {note_id}.")


def user_data_import(report: MergeReport) -> None:
    """What `user-data import` did (or would do), user by user; warnings went to stderr before."""
    verb = "Would import" if report.dry_run else "Imported"
    print(f"{verb} user data from {report.source}:")
    if not report.users and not report.skipped:
        print("  the file holds no users")
    for user, counts in report.users.items():
        s, n, a = counts.statuses, counts.notes, counts.papers
        own = f"; own papers {a.added} added, {a.updated} listed, {a.kept} kept" if a.added + a.updated + a.kept \
            else ""
        print(
            f"  {clean(user)}: statuses {s.added} added, {s.updated} updated, {s.kept} kept;"
            f" notes {n.added} added, {n.updated} updated, {n.kept} kept{own}"
        )
        extra = [
            f"{name} {c.added} added" + (f", {c.updated} updated" if name == "ratings" else "") + f", {c.kept} kept"
            for name, c in (("tags", counts.tags), ("ratings", counts.ratings), ("history", counts.history))
            if c.added or c.updated or c.kept
        ]
        if extra:
            print(f"    {'; '.join(extra)}")
        for skipped in counts.notes_skipped:
            print(f"    note skipped: {clean(skipped)}")
    for name, why in report.skipped.items():
        print(f"  {name!r}: skipped, {why}")
    if report.dry_run:
        print("Dry run: nothing was written.")


def path(file: Path | str) -> None:
    """A file's path alone on a line (`db path`, `config path`), for scripts to use."""
    print(file)


def settings(items: dict[str, dict[str, str | None]]) -> None:
    """`config show`: each setting, its value and where it comes from."""
    for key, item in items.items():
        print(f"{key:<7}{item['value'] or '(all lists)'}  [{item['source']}]")


def db_status(data: DatabaseStatus) -> None:
    """`db status`: one labelled line per fact about the database file."""
    from llmreads.db import RESTORE_HINT

    schema = data.schema
    if schema.unknown:
        verdict = f"written by a newer llmreads ({', '.join(schema.unknown)}); upgrade llmreads"
    elif schema.pending:
        verdict = f"older; {', '.join(schema.pending)} will be applied on next use"
    else:
        verdict = "up to date"
    rows: list[tuple[str, object]] = [
        ("file", data.file),
        ("size", size(data.size) + (f" (+ {size(data.wal_size)} in the -wal file)" if data.wal_size else "")),
        ("schema", f"{', '.join(schema.applied) or '(empty)'} / latest {schema.latest}: {verdict}"),
        ("index", _index_verdict(data.search_index)),
        ("journal", data.journal_mode),
        ("check", "ok (PRAGMA quick_check)" if data.quick_check == "ok"
         else f"DAMAGED: {data.quick_check}; {RESTORE_HINT}"),
    ]
    for name, count in (
        ("lists", data.lists), ("papers", data.papers), ("users", data.users), ("notes", data.notes),
        ("statuses", data.statuses),
    ):
        rows.append((name, "-" if count is None else count))
    for label, value in rows:
        print(f"{label:<9} {value}")


def _index_verdict(index: IndexVersion) -> str:
    if index.version == index.latest:
        return f"search index version {index.version}: up to date"
    return f"search index version {index.version} / latest {index.latest}: rebuilt on next use"


def backup_done(report: BackupReport) -> None:
    print(f"Backed up {report.database} to {report.backup} ({size(report.size)}, schema {report.schema[-1]}).")


def restore_done(report: RestoreReport) -> None:
    print(f"Restored {report.backup} into {report.database}.")
    if report.replaced is not None:
        if report.replaced.exists():
            print(f"The database it replaced is kept at {report.replaced}")
        else:
            print(f"Leftover -wal/-shm files of a deleted database were moved to {report.replaced}-*")


def to_json(rows: Sequence[PaperRow]) -> list[dict[str, object]]:
    return [
        {k: v for k, v in row.as_dict().items() if v is not None or k in ("arxiv", "status_at", "my_stars")}
        for row in rows
    ]
