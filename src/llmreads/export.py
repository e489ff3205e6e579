"""Export layer: papers with one user's status, notes, tags and stars, written as JSON, CSV, Markdown or BibTeX.

What an export holds is read by the store (store.exports.collect); the
format functions here are pure, records in and text out, and the output file
is written whole or not at all. Every text here came from a document or a
note, so each format escapes it for itself, and only http(s) URLs ever
become links.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from llmreads.errors import LlmreadsError
from llmreads.models import EXPORT_MARK
from llmreads.text import clean_block

if TYPE_CHECKING:
    from llmreads.store.exports import Export, ExportEntry, ExportPaper

SUFFIXES = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown", ".bib": "bibtex"}
CSV_COLUMNS = ("id", "key", "title", "url", "arxiv", "stars", "sections", "status", "notes", "tags", "my_stars")
CSV_TAG_SEPARATOR = ";"  # a tag never holds one (store.personal.normal_tag)


def is_web_url(url: str) -> bool:
    """Only http and https URLs become links; `javascript:`, `file:`, `data:` and the like stay text."""
    if not url or re.search(r"[\s\x00-\x1f\x7f]", url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def render(export: Export, format_: str, *, raw_csv: bool = False) -> str:
    """The export as text; `raw_csv` leaves CSV cells that read as formulas as they are."""
    if format_ == "csv":
        return to_csv(export, raw=raw_csv)
    formats: dict[str, Callable[[Export], str]] = {"json": to_json, "markdown": to_markdown, "bibtex": to_bibtex}
    return formats[format_](export)


# ---------------------------------------------------------------- JSON and CSV


def to_json(export: Export) -> str:
    from llmreads.render import json_text

    data = [
        {
            "id": p.id, "key": p.key, "title": p.title, "url": p.url, "arxiv": p.arxiv, "stars": p.stars,
            "sections": p.sections, "status": p.status, "status_at": p.status_at, "year": p.year,
            "notes": p.notes, "introductions": p.introductions, "links": p.links, "authors": p.authors,
            "tags": p.tags, "my_stars": p.my_stars,
        }
        for p in export.papers
    ]
    return json_text(data) + "\n"


# What makes a spreadsheet read a cell as a formula (=, +, -, @) or shift it (tab, carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one that could start a formula gets a leading `'` (OWASP's advice)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(export: Export, *, raw: bool = False) -> str:
    """One row per paper; with `raw`, cells go out as they are, even those a spreadsheet would run."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for p in export.papers:
        texts = [
            p.id, p.key, p.title, p.url, p.arxiv or "", str(p.stars), "; ".join(p.sections), p.status,
            "\n\n".join(str(n["text"]) for n in p.notes), CSV_TAG_SEPARATOR.join(p.tags),
            "" if p.my_stars is None else str(p.my_stars),
        ]
        writer.writerow(texts if raw else [csv_cell(text) for text in texts])
    return out.getvalue()


# ---------------------------------------------------------------- Markdown

# Characters that would start markup inside a line of text. `&` only matters
# before something that reads as an entity, and `_` only where it is not inside
# a word (`GPT_3` cannot open emphasis), so those are escaped only there.
_MD_SPECIAL = re.compile(
    r"[\\`*\[\]<~$]|(?<![^\W_])_|_(?![^\W_])|&(?=#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)"
)
_MD_HEADING_SPECIAL = re.compile(_MD_SPECIAL.pattern + "|#")
_MD_ENTITY = re.compile(r"&(?=#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
# What turns a line into a block of its own: a list item, heading, quote, rule, fence or table.
_MD_LINE_START = re.compile(r"^(\s*\d*)([-+*=>#|.)])")
STATUS_MARKS = {"read": "✅", "reading": "(reading)", "unread": ""}
STAR = "★"


def md_escape(text: str, *, heading: bool = False) -> str:
    """Text that Markdown shows as it is: no emphasis, links, HTML or entities."""
    pattern = _MD_HEADING_SPECIAL if heading else _MD_SPECIAL
    return pattern.sub(lambda m: "\\" + m.group(0), text)


def _md_note_lines(text: str) -> list[str]:
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        escaped = md_escape(line.rstrip())
        lines.append(_MD_LINE_START.sub(r"\1\\\2", escaped, count=1))
    return lines


def md_url(url: str) -> str:
    """A link destination that mistune reads back as the same URL."""
    url = _MD_ENTITY.sub("&#38;", url).replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>")
    depth = 0
    for ch in url:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth != 0:
        url = url.replace("(", "\\(").replace(")", "\\)")
    return url


def md_paper_line(paper: ExportPaper, entry: ExportEntry | None = None, *, marks: bool = True) -> str:
    """`- [Title](url) [code](url) ★★★ ✅`, its introduction under it, then the notes quoted.

    The link comes first, so llmreads' own parser reads the line back as this
    paper; the entry's other links, its stars and the reader's status follow on
    that line, the introduction on the next (see parse.lists.read_export_item).
    A checkbox before the link (`- [x] [Title](url)`) would make the item start
    with text, which the parser takes for prose. A paper without a web URL gets
    an empty link target, which keeps a title-keyed paper's key; any other URL
    follows as plain text. With `entry`, the title, stars, introduction and
    links are that entry's; `marks` says whether the status and notes go here
    (a paper listed in two places carries them once).
    """
    title = md_escape(entry.title if entry is not None else paper.title)
    parts = [f"- [{title}]({md_url(paper.url)})" if is_web_url(paper.url) else f"- [{title}]()"]
    if paper.url and not is_web_url(paper.url):
        parts.append(md_escape(paper.url))
    if entry is not None:
        parts += [f"[{md_escape(text)}]({md_url(url)})" for text, url in entry.links if is_web_url(url)]
        if entry.year:
            parts.append(f"({md_escape(entry.year)})")
    stars = entry.stars if entry is not None else paper.stars
    if stars:
        parts.append(STAR * stars)
    if marks and STATUS_MARKS.get(paper.status):
        parts.append(STATUS_MARKS[paper.status])
    lines = [" ".join(parts)]
    if entry is not None and entry.intro.strip():
        lines += [f"  {line.lstrip()}" if line.strip() else "" for line in _md_note_lines(entry.intro.strip())]
    for note in paper.notes if marks else []:
        # Each note a quote of its own (a blank line between), so that a re-import tells them apart.
        lines += ["", *(f"  > {line}" if line else "  >" for line in _md_note_lines(str(note["text"]).strip()))]
    return "\n".join(lines)


def to_markdown(export: Export) -> str:
    """A reading list to post: sections as headings, a line per paper, notes quoted under it.

    Each paper is listed where its lists place it (twice when a list does), with
    that entry's introduction and links, so that importing the file gives the
    list back; the status and notes go with its first place. Parent sections
    get headings too, so a re-import keeps the section numbers.
    """
    read = sum(1 for p in export.papers if p.status == "read")
    reading = sum(1 for p in export.papers if p.status == "reading")
    summary = f"{len(export.papers)} {'paper' if len(export.papers) == 1 else 'papers'} · {read} read"
    out = [f"# {md_escape(export.title, heading=True)}", "", summary + (f" · {reading} reading" if reading else "")]
    out += ["", EXPORT_MARK]  # a paper linking a repository stays a paper when the list is imported again

    def heading(level: int, text: str) -> None:
        out.extend(["", f"{'#' * min(level, 6)} {md_escape(text, heading=True)}", ""])

    placed = sorted(((e, p) for p in export.papers for e in p.entries), key=lambda pair: pair[0].order)
    several = len({e.section.list_id for e, _ in placed}) > 1
    base = 3 if several else 2  # several lists: a heading per list, its sections one level down
    shown: set[tuple[int, str]] = set()
    marked: set[str] = set()
    current_list: int | None = None
    for entry, paper in placed:
        home = entry.section
        if several and home.list_id != current_list:
            current_list = home.list_id
            heading(2, home.list_title)
        parts = home.number.split(".")
        for depth in range(len(parts)):
            number = ".".join(parts[: depth + 1])
            section = export.sections.get((home.list_id, number))
            if section is not None and (home.list_id, number) not in shown:
                shown.add((home.list_id, number))
                heading(base + depth, section.label)
        if out[-1]:
            out.append("")  # the items are apart, so an introduction or a quote stays with its own
        out.append(md_paper_line(paper, entry, marks=paper.key not in marked))
        marked.add(paper.key)
    unplaced = [p for p in export.papers if not p.entries]
    if unplaced:
        heading(base, "Other papers")
        out += [md_paper_line(p) for p in unplaced]
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


# ---------------------------------------------------------------- BibTeX

_BIB_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIB_TABLE = str.maketrans(_BIB_ESCAPES)
_STOP_WORDS = frozenset(
    "a an and are as at by can do does for from how in into is it its of on or the to toward towards via what"
    " when where which why with".split()
)
_ARXIV_NEW = re.compile(r"^(\d\d)(\d\d)\.\d{4,5}$")
_ARXIV_OLD = re.compile(r"/(\d\d)(\d\d)\d{3}$")


def bib_escape(text: str) -> str:
    """A field value with BibTeX's and LaTeX's special characters escaped; other Unicode kept."""
    return re.sub(r"\s+", " ", text.translate(_BIB_TABLE)).strip()


def bib_author(name: str) -> str:
    """One author for BibTeX's `and`-separated list: escaped, braced when the name itself holds ` and `."""
    escaped = bib_escape(" ".join(name.split()))
    return "{" + escaped + "}" if re.search(r"\band\b", escaped, re.IGNORECASE) else escaped


def bib_url(url: str) -> str:
    """A URL for a `url` field: kept verbatim (styles wrap it in \\url), braces and backslashes encoded."""
    return url.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def arxiv_year(arxiv: str) -> str | None:
    """The year an arXiv id was assigned: 2106.09685 is June 2021, hep-th/9901001 January 1999."""
    match = _ARXIV_NEW.match(arxiv) or _ARXIV_OLD.search(arxiv)
    if not match:
        return None
    yy = int(match.group(1))
    return str(1900 + yy if yy >= 91 else 2000 + yy)


def citekey_word(title: str) -> str:
    """The first significant word of a title as lower-case ASCII, `paper` when there is none."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    words: list[str] = re.findall(r"[a-z0-9]+", ascii_title)
    for word in words:
        if word not in _STOP_WORDS and re.search(r"[a-z]", word):
            return word[:24]
    return "paper"


def citekeys(papers: Sequence[ExportPaper]) -> list[str]:
    """Citation keys `lora-2106.09685` (word and arXiv id) or `improving-3f2a1b` (word and short id), unique."""
    used: set[str] = set()
    out = []
    for p in papers:
        suffix = re.sub(r"[^A-Za-z0-9.-]", "-", p.arxiv) if p.arxiv else p.id
        base = f"{citekey_word(p.title)}-{suffix}"
        key, n = base, 1
        while key.lower() in used:
            n += 1
            key = f"{base}-{n}"
        used.add(key.lower())
        out.append(key)
    return out


def bibtex_entry(paper: ExportPaper, citekey: str) -> str:
    # The published title in double braces keeps its case as published (BibTeX styles lower-case the rest).
    fields: list[tuple[str, str]] = [("title", "{" + bib_escape(paper.published_title or paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(bib_author(name) for name in paper.authors)))
    year = paper.year or (arxiv_year(paper.arxiv) if paper.arxiv else None)
    if year:
        fields.append(("year", bib_escape(year)))
    if paper.arxiv:
        fields += [("eprint", bib_escape(paper.arxiv)), ("archivePrefix", "arXiv")]
    web = is_web_url(paper.url)
    if web:
        fields.append(("url", bib_url(paper.url)))
    if paper.arxiv:
        fields.append(("howpublished", r"\url{" + bib_url(f"https://arxiv.org/abs/{paper.arxiv}") + "}"))
    if paper.url and not web:
        fields.append(("note", bib_escape(paper.url)))
    if paper.tags:
        fields.append(("keywords", ", ".join(bib_escape(tag) for tag in paper.tags)))
    if paper.my_stars:
        fields.append(("ranking", f"rank{int(paper.my_stars)}"))  # JabRef's field for the reader's own stars
    body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
    return f"@misc{{{citekey},\n{body}}}\n"


def to_bibtex(export: Export) -> str:
    return "\n".join(
        bibtex_entry(p, key) for p, key in zip(export.papers, citekeys(export.papers), strict=True)
    )


# ---------------------------------------------------------------- files


def format_for(path: str | None) -> str:
    """The format a file name asks for by its suffix; JSON when it names none."""
    if path is None or path == "-":
        return "json"
    return SUFFIXES.get(Path(path).suffix.lower(), "json")


def check_output(path: Path, *, database: Path, force: bool = False) -> int | None:
    """Refuse an -o file that `write_output` would refuse; else its mode (None: it does not exist).

    Commands call this before they read anything, so a refusal costs nothing.
    """
    import stat

    from llmreads.maintenance import database_file

    role = database_file(path, database)
    if role is not None:
        raise LlmreadsError(f"{path} is {role} ({database}); choose another file")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LlmreadsError(f"cannot write {path}: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise LlmreadsError(f"{path} is a directory")
    if stat.S_ISREG(mode) and not force:
        raise LlmreadsError(f"{path} exists; use --force to overwrite it")
    return mode


def write_output(path: Path, text: str, *, database: Path, force: bool = False, private: bool = False) -> None:
    """Write an export to the file the user named with -o.

    Never the database or one of its -wal, -shm or -journal files, even with
    `force`; an existing file only with `force`. A pipe, FIFO or device (such
    as /dev/null, or /dev/stdout in a pipe) is written to as it is, never
    replaced by a file. A regular file, reached through any symlinks, is
    replaced whole by `write_atomic`.
    """
    import stat

    mode = check_output(path, database=database, force=force)
    if mode is not None and not stat.S_ISREG(mode):
        try:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(clean_block(text) if handle.isatty() else text)  # /dev/tty: a terminal like stdout
        except OSError as exc:
            raise LlmreadsError(f"cannot write {path}: {exc.strerror}") from None
        return
    write_atomic(Path(os.path.realpath(path)), text, private=private, replace=force)


def write_atomic(path: Path, text: str, *, private: bool = False, replace: bool = True) -> None:
    """Write `text` to `path` through a temporary file in the same folder, so a reader never sees half a file.

    An existing file keeps its permissions; a new one gets the usual ones, or
    owner-only ones when `private` (notes are personal). Unless `replace`, a
    file that appears at `path` meanwhile is left alone and the write refused.
    The temporary file never outlives a failure.
    """
    import tempfile

    if path.is_dir():
        raise LlmreadsError(f"{path} is a directory")
    folder = path.parent
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600 if private else 0o666 & ~_umask()
    except OSError as exc:
        raise LlmreadsError(f"cannot write {path}: {exc.strerror}") from None
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if replace:
            os.replace(tmp, path)
            tmp = None
        else:
            _place_new(tmp, path)
    except OSError as exc:
        raise LlmreadsError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _place_new(tmp: str, path: Path) -> None:
    """Give the file `tmp` the name `path` as well, refusing if `path` exists (no overwrite)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise LlmreadsError(f"{path} exists; use --force to overwrite it") from None
    except OSError:
        # A file system without hard links: a rename, after one more look.
        if path.exists():
            raise LlmreadsError(f"{path} exists; use --force to overwrite it") from None
        os.replace(tmp, path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
