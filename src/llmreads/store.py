"""Store layer: the import and every query, on a connection opened by db.open_db.

Curated data (lists, sections, entries, papers, links) is rewritten by each
import; user data (statuses, notes) is keyed by user and paper key and is
changed only by the user's own commands.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

from llmreads.errors import Ambiguous, ImportFailed, InvalidQuery, NotFound
from llmreads.keys import arxiv_from_ref, short_id
from llmreads.models import Document, Entry, Status
from llmreads.query import Query, compile_query, raw_query
from llmreads.text import clean, fold_for_search, segment

TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken with the write lock up front (no upgrade deadlocks)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# ---------------------------------------------------------------- import


@dataclass
class ImportReport:
    list_name: str
    title: str
    sections: int = 0
    entries: int = 0
    papers: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    skipped: bool = False  # the same document was imported before


def document_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def import_document(
    conn: sqlite3.Connection, doc: Document, *, name: str, source: str, sha256: str
) -> ImportReport:
    """Write one parsed document as the list `name`, all in one transaction."""
    if not doc.entries:
        raise ImportFailed(f"{source} holds no table of papers")
    report = ImportReport(list_name=name, title=doc.title or name)
    report.problems = [f"line {p.line}: {p.message}" for p in doc.problems]
    report.sections = len(doc.sections)
    report.entries = len(doc.entries)
    report.papers = len({e.key for e in doc.entries})
    with transaction(conn):
        row = conn.execute("SELECT id, source_sha256 FROM lists WHERE name = ?", (name,)).fetchone()
        if row is not None and row["source_sha256"] == sha256:
            report.skipped = True
            report.unchanged = report.papers
            conn.execute("UPDATE lists SET source = ?, imported_at = ? WHERE id = ?", (source, now(), row["id"]))
            return report
        old = _fingerprints(conn, row["id"]) if row is not None else {}
        if row is None:
            list_id = conn.execute(
                "INSERT INTO lists (name, title, source, source_sha256, updated, imported_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (name, report.title, source, sha256, doc.updated, now()),
            ).lastrowid
        else:
            list_id = row["id"]
            conn.execute(
                "UPDATE lists SET title = ?, source = ?, source_sha256 = ?, updated = ?, imported_at = ?"
                " WHERE id = ?",
                (report.title, source, sha256, doc.updated, now(), list_id),
            )
            conn.execute("DELETE FROM entries WHERE list_id = ?", (list_id,))
            conn.execute("DELETE FROM sections WHERE list_id = ?", (list_id,))
        assert list_id is not None
        section_ids = {}
        for position, section in enumerate(doc.sections):
            section_ids[section.number] = conn.execute(
                "INSERT INTO sections (list_id, number, parent, title, title_raw, position) VALUES (?, ?, ?, ?, ?, ?)",
                (list_id, section.number, section.parent, section.title, section.title_raw, position),
            ).lastrowid
        by_key: dict[str, list[Entry]] = {}
        for entry in doc.entries:
            by_key.setdefault(entry.key, []).append(entry)
        paper_ids = _upsert_papers(conn, by_key)
        for position, entry in enumerate(doc.entries):
            entry_id = conn.execute(
                "INSERT INTO entries (list_id, section_id, paper_id, position, number, stars, title, title_raw,"
                " url, intro, intro_raw, line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    list_id, section_ids[entry.section], paper_ids[entry.key], position, entry.number,
                    entry.stars, entry.title, entry.title_raw, entry.url, entry.intro, entry.intro_raw, entry.line,
                ),
            ).lastrowid
            conn.executemany(
                "INSERT INTO links (entry_id, position, text, url) VALUES (?, ?, ?, ?)",
                [(entry_id, i, link.text, link.url) for i, link in enumerate(entry.links)],
            )
        new = {key: _fingerprint(entries) for key, entries in by_key.items()}
        report.added = [by_key[k][0].title for k in new if k not in old]
        report.updated = [by_key[k][0].title for k in new if k in old and old[k][0] != new[k]]
        report.removed = [title for k, (_, title) in old.items() if k not in new]
        report.unchanged = report.papers - len(report.added) - len(report.updated)
        touched = [paper_ids[k] for k in new if k not in old or old[k][0] != new[k]]
        removed_keys = [k for k in old if k not in new]
        _refresh_papers(conn, touched, removed_keys)
    return report


def _fingerprint(entries: Sequence[Entry]) -> str:
    parts = [
        "\x1f".join(
            [e.section, str(e.number), str(e.stars), e.title_raw, e.url, e.intro_raw]
            + [f"{link.text}\x1e{link.url}" for link in e.links]
        )
        for e in entries
    ]
    return hashlib.sha1("\x1d".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _fingerprints(conn: sqlite3.Connection, list_id: int) -> dict[str, tuple[str, str]]:
    """Per paper key in this list: (fingerprint of its entries, its title)."""
    rows = conn.execute(
        "SELECT p.key, e.id, s.number, e.number AS num, e.stars, e.title, e.title_raw, e.url, e.intro_raw"
        " FROM entries e JOIN sections s ON s.id = e.section_id JOIN papers p ON p.id = e.paper_id"
        " WHERE e.list_id = ? ORDER BY e.position",
        (list_id,),
    ).fetchall()
    links: dict[int, list[tuple[str, str]]] = {}
    for link in conn.execute(
        "SELECT l.entry_id, l.text, l.url FROM links l JOIN entries e ON e.id = l.entry_id"
        " WHERE e.list_id = ? ORDER BY l.entry_id, l.position",
        (list_id,),
    ):
        links.setdefault(link[0], []).append((link[1], link[2]))
    grouped: dict[str, list[Entry]] = {}
    titles: dict[str, str] = {}
    from llmreads.models import Link

    for r in rows:
        titles.setdefault(r["key"], r["title"])
        grouped.setdefault(r["key"], []).append(
            Entry(
                section=r["number"], number=r["num"], stars=r["stars"], title=r["title"],
                title_raw=r["title_raw"], url=r["url"], intro="", intro_raw=r["intro_raw"],
                links=tuple(Link(t, u) for t, u in links.get(r["id"], [])), line=0, key=r["key"], arxiv=None,
            )
        )
    return {key: (_fingerprint(entries), titles[key]) for key, entries in grouped.items()}


def _upsert_papers(conn: sqlite3.Connection, by_key: dict[str, list[Entry]]) -> dict[str, int]:
    existing = {}
    keys = list(by_key)
    for chunk in _chunks(keys, 500):
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT key, id FROM papers WHERE key IN ({marks})", chunk):
            existing[row[0]] = row[1]
    ids: dict[str, int] = {}
    for key, entries in by_key.items():
        first = entries[0]
        if key in existing:
            conn.execute(
                "UPDATE papers SET title = ?, title_raw = ?, url = ?, arxiv = ? WHERE id = ?",
                (first.title, first.title_raw, first.url, first.arxiv, existing[key]),
            )
            ids[key] = existing[key]
            continue
        length = 6
        while True:
            try:
                paper_id = conn.execute(
                    "INSERT INTO papers (key, short_id, title, title_raw, url, arxiv) VALUES (?, ?, ?, ?, ?, ?)",
                    (key, short_id(key, length), first.title, first.title_raw, first.url, first.arxiv),
                ).lastrowid
                break
            except sqlite3.IntegrityError:
                length += 2  # another key shares the short id's first characters
        assert paper_id is not None
        ids[key] = paper_id
    return ids


def _chunks(items: Sequence[str] | Sequence[int], size: int) -> Iterator[list]:  # type: ignore[type-arg]
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _refresh_papers(conn: sqlite3.Connection, paper_ids: Iterable[int], removed_keys: Iterable[str]) -> None:
    """Recompute what papers derive from their entries (stars, order, listed) and their index rows."""
    conn.execute(
        "UPDATE papers SET"
        " stars = coalesce((SELECT max(stars) FROM entries WHERE paper_id = papers.id), stars),"
        " position = coalesce((SELECT min(list_id * 10000000 + position) FROM entries"
        "   WHERE paper_id = papers.id), position),"
        " listed = EXISTS (SELECT 1 FROM entries WHERE paper_id = papers.id)"
    )
    ids = list(paper_ids)
    for key in removed_keys:
        row = conn.execute("SELECT id FROM papers WHERE key = ?", (key,)).fetchone()
        if row:
            ids.append(row[0])
    for chunk in _chunks(ids, 500):
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM papers_fts WHERE rowid IN ({marks})", chunk)
        titles = dict(conn.execute(f"SELECT id, title FROM papers WHERE id IN ({marks})", chunk).fetchall())
        bodies: dict[int, list[str]] = {pid: [] for pid in chunk}
        for pid, intro in conn.execute(
            f"SELECT paper_id, intro FROM entries WHERE paper_id IN ({marks}) ORDER BY list_id, position", chunk
        ):
            bodies[pid].append(intro)
        for pid, text in conn.execute(
            f"SELECT e.paper_id, l.text FROM links l JOIN entries e ON e.id = l.entry_id"
            f" WHERE e.paper_id IN ({marks}) ORDER BY e.list_id, e.position, l.position",
            chunk,
        ):
            if not text.startswith(("http://", "https://")):
                bodies[pid].append(text)
        conn.executemany(
            "INSERT INTO papers_fts (rowid, title, body) VALUES (?, ?, ?)",
            [(pid, segment(titles[pid]), segment("\n".join(bodies[pid]))) for pid in chunk if pid in titles],
        )


def lists(conn: sqlite3.Connection) -> list[dict[str, object]]:
    rows = conn.execute(
        "SELECT l.name, l.title, l.source, l.updated, l.imported_at,"
        " (SELECT count(DISTINCT paper_id) FROM entries e WHERE e.list_id = l.id) AS papers"
        " FROM lists l ORDER BY l.id"
    )
    return [dict(row) for row in rows]


def list_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM lists").fetchone()[0])


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filter:
    """A piece of a WHERE clause over `papers p` and `statuses s`, with its parameters."""

    where: str
    params: tuple[object, ...]
    description: str


def combine(filters: Sequence[Filter]) -> tuple[str, list[object]]:
    where = " AND ".join(f"({f.where})" for f in filters) or "1"
    params: list[object] = [param for f in filters for param in f.params]
    return where, params


def stars_filter(stars: int) -> Filter:
    if not 0 <= stars <= 5:
        raise InvalidQuery(f"--stars must be between 0 and 5, not {stars}")
    return Filter("p.stars >= ?", (stars,), f"{stars}+ stars")


def status_filter(status: str) -> Filter:
    try:
        value = Status(status.strip().lower()).value
    except ValueError:
        raise InvalidQuery(f"--status must be one of unread, reading, read, not {status!r}") from None
    return Filter("coalesce(s.status, 'unread') = ?", (value,), value)


def section_filter(conn: sqlite3.Connection, spec: str) -> Filter:
    """A section number (`2` includes 2.1 ...) or a case-insensitive fragment of section titles."""
    spec = spec.strip()
    rows = conn.execute("SELECT id, number, title FROM sections ORDER BY list_id, position").fetchall()
    if re.fullmatch(r"\d+(\.\d+)*\.?", spec):
        number = spec.rstrip(".")
        chosen = [r for r in rows if r["number"] == number or r["number"].startswith(number + ".")]
    else:
        needle = fold_for_search(spec)
        chosen = [r for r in rows if needle and needle in fold_for_search(r["title"])]
        # A matching section brings its subsections along, as a number does.
        numbers = {r["number"] for r in chosen}
        chosen += [r for r in rows if r not in chosen and any(r["number"].startswith(n + ".") for n in numbers)]
    if not chosen:
        raise NotFound(f"no section matches {spec!r} (see `llmreads sections`)")
    ids = tuple(r["id"] for r in chosen)
    marks = ",".join("?" * len(ids))
    labels = ", ".join(dict.fromkeys(f"{r['number']} {r['title']}" for r in chosen))
    return Filter(f"p.id IN (SELECT paper_id FROM entries WHERE section_id IN ({marks}))", ids, labels)


def list_filter(conn: sqlite3.Connection, name: str) -> Filter:
    row = conn.execute("SELECT id, name FROM lists WHERE name = ? OR title = ?", (name, name)).fetchone()
    if row is None:
        raise NotFound(f"no list named {name!r} (see `llmreads lists`)")
    return Filter("p.id IN (SELECT paper_id FROM entries WHERE list_id = ?)", (row["id"],), f"list {row['name']}")


# ---------------------------------------------------------------- papers


@dataclass
class PaperRow:
    id: str
    key: str
    title: str
    url: str
    arxiv: str | None
    stars: int
    sections: list[str]
    status: str
    status_at: str | None = None
    snippet: str | None = None
    score: float | None = None


_PAPER_COLUMNS = (
    "p.id AS pid, p.short_id, p.key, p.title, p.url, p.arxiv, p.stars, p.position,"
    " coalesce(s.status, 'unread') AS status, s.updated_at AS status_at"
)
_PAPER_JOIN = "papers p LEFT JOIN statuses s ON s.paper_key = p.key AND s.user = ?"

SORTS = {
    "list": "p.position",
    "stars": "p.stars DESC, p.position",
    "title": "p.title COLLATE NOCASE, p.position",
}


def list_papers(
    conn: sqlite3.Connection,
    user: str,
    filters: Sequence[Filter] = (),
    *,
    sort: str = "list",
    limit: int | None = None,
    include_unlisted: bool = False,
) -> list[PaperRow]:
    where, params = combine(filters)
    listed = "1" if include_unlisted else "p.listed = 1"
    sql = f"SELECT {_PAPER_COLUMNS} FROM {_PAPER_JOIN} WHERE {listed} AND {where} ORDER BY {SORTS[sort]}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = conn.execute(sql, [user, *params]).fetchall()
    return _paper_rows(conn, rows)


def count_papers(conn: sqlite3.Connection, user: str, filters: Sequence[Filter] = ()) -> int:
    where, params = combine(filters)
    sql = f"SELECT count(*) FROM {_PAPER_JOIN} WHERE p.listed = 1 AND {where}"
    return int(conn.execute(sql, [user, *params]).fetchone()[0])


def _paper_rows(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[PaperRow]:
    labels = section_labels(conn, [r["pid"] for r in rows])
    return [
        PaperRow(
            id=r["short_id"], key=r["key"], title=r["title"], url=r["url"], arxiv=r["arxiv"],
            stars=r["stars"], sections=labels.get(r["pid"], []), status=r["status"], status_at=r["status_at"],
        )
        for r in rows
    ]


def section_labels(conn: sqlite3.Connection, paper_ids: Sequence[int]) -> dict[int, list[str]]:
    labels: dict[int, list[str]] = {}
    for chunk in _chunks(list(paper_ids), 500):
        marks = ",".join("?" * len(chunk))
        for pid, label in conn.execute(
            f"SELECT e.paper_id, sec.number || ' ' || sec.title FROM entries e JOIN sections sec"
            f" ON sec.id = e.section_id WHERE e.paper_id IN ({marks}) ORDER BY e.list_id, e.position",
            chunk,
        ):
            if label not in labels.setdefault(pid, []):
                labels[pid].append(label)
    return labels


def resolve_ref(conn: sqlite3.Connection, ref: str) -> int:
    """A paper's row id from a short id, key, arXiv id or a title fragment matching exactly one paper."""
    text = ref.strip()
    if not text:
        raise NotFound("empty paper reference")
    row = conn.execute("SELECT id FROM papers WHERE short_id = ? OR key = ?", (text.lower(), text)).fetchone()
    if row:
        return int(row[0])
    arxiv = arxiv_from_ref(text)
    if arxiv:
        row = conn.execute("SELECT id FROM papers WHERE arxiv = ?", (arxiv,)).fetchone()
        if row:
            return int(row[0])
        raise NotFound(f"no paper with arXiv id {arxiv}")
    needle = fold_for_search(text)
    words = re.findall(r"[^\W_]+", needle)
    rows = conn.execute("SELECT id, short_id, title, listed FROM papers ORDER BY listed DESC, position").fetchall()
    folded = [(r, fold_for_search(r["title"])) for r in rows]
    # Most exact first: the whole title, the words at word starts, then anywhere.
    word_pattern = re.compile(r"(?<![^\W_])" + r"[\W_]*".join(re.escape(w) for w in words)) if words else None
    stages = [
        [r for r, title in folded if title == needle],
        [r for r, title in folded if word_pattern and word_pattern.search(title)],
        [r for r, title in folded if needle in title],
    ]
    for matches in stages:
        listed = [r for r in matches if r["listed"]] or matches
        if len(listed) == 1:
            return int(listed[0]["id"])
        if len(listed) > 1:
            candidates = [f"{r['short_id']}  {r['title']}" for r in listed]
            raise Ambiguous(f"{ref!r} matches {len(listed)} papers; use an id", candidates)
    raise NotFound(f"no paper matches {ref!r}")


def paper_detail(conn: sqlite3.Connection, user: str, paper_id: int) -> dict[str, object]:
    row = conn.execute(f"SELECT {_PAPER_COLUMNS} FROM {_PAPER_JOIN} WHERE p.id = ?", (user, paper_id)).fetchone()
    if row is None:
        raise NotFound(f"no paper with row id {paper_id}")
    paper = _paper_rows(conn, [row])[0]
    entries = []
    for e in conn.execute(
        "SELECT e.id, e.number, e.stars, e.title, e.intro, e.line, sec.number AS section, sec.title AS section_title,"
        " l.name AS list FROM entries e JOIN sections sec ON sec.id = e.section_id JOIN lists l ON l.id = e.list_id"
        " WHERE e.paper_id = ? ORDER BY e.list_id, e.position",
        (paper_id,),
    ):
        links = [
            {"text": text, "url": url}
            for text, url in conn.execute(
                "SELECT text, url FROM links WHERE entry_id = ? ORDER BY position", (e["id"],)
            )
        ]
        entries.append(
            {
                "list": e["list"], "section": f"{e['section']} {e['section_title']}", "number": e["number"],
                "stars": e["stars"], "title": e["title"], "introduction": e["intro"], "line": e["line"],
                "links": links,
            }
        )
    detail: dict[str, object] = dict(paper.__dict__)
    del detail["snippet"], detail["score"]
    detail["entries"] = entries
    detail["links"] = [link for entry in entries for link in entry["links"]]  # type: ignore[attr-defined]
    detail["notes"] = list_notes(conn, user, paper.key)
    return detail


def paper_summary(conn: sqlite3.Connection, user: str, paper_id: int) -> PaperRow:
    row = conn.execute(f"SELECT {_PAPER_COLUMNS} FROM {_PAPER_JOIN} WHERE p.id = ?", (user, paper_id)).fetchone()
    return _paper_rows(conn, [row])[0]


# ---------------------------------------------------------------- user data


def set_status(conn: sqlite3.Connection, user: str, paper_ids: Sequence[int], status: Status) -> list[PaperRow]:
    with transaction(conn):
        stamp = now()
        for pid in paper_ids:
            conn.execute(
                "INSERT INTO statuses (user, paper_key, status, updated_at)"
                " SELECT ?, key, ?, ? FROM papers WHERE id = ?"
                " ON CONFLICT (user, paper_key)"
                " DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                (user, status.value, stamp, pid),
            )
    return [paper_summary(conn, user, pid) for pid in paper_ids]


def add_note(conn: sqlite3.Connection, user: str, paper_id: int, text: str) -> int:
    text = text.strip()
    if not text:
        raise InvalidQuery("a note needs some text")
    with transaction(conn):
        key = conn.execute("SELECT key FROM papers WHERE id = ?", (paper_id,)).fetchone()[0]
        stamp = now()
        note_id = conn.execute(
            "INSERT INTO notes (user, paper_key, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (user, key, text, stamp, stamp),
        ).lastrowid
        assert note_id is not None
        _index_note(conn, note_id, text)
    return note_id


def _index_note(conn: sqlite3.Connection, note_id: int, text: str | None) -> None:
    conn.execute("DELETE FROM notes_fts WHERE rowid = ?", (note_id,))
    if text is not None:
        conn.execute("INSERT INTO notes_fts (rowid, title, body) VALUES (?, '', ?)", (note_id, segment(text)))


def get_note(conn: sqlite3.Connection, user: str, note_id: int) -> dict[str, object]:
    row = conn.execute(
        "SELECT n.id, n.text, n.created_at, n.updated_at, n.paper_key, p.short_id, p.title FROM notes n"
        " LEFT JOIN papers p ON p.key = n.paper_key WHERE n.id = ? AND n.user = ?",
        (note_id, user),
    ).fetchone()
    if row is None:
        raise NotFound(f"no note {note_id} for user {user}")
    return _note_dict(row)


def _note_dict(row: sqlite3.Row) -> dict[str, object]:
    return {
        "id": row["id"], "paper": row["short_id"], "title": row["title"], "key": row["paper_key"],
        "text": row["text"], "created_at": row["created_at"], "updated_at": row["updated_at"],
    }


def list_notes(conn: sqlite3.Connection, user: str, paper_key: str | None = None) -> list[dict[str, object]]:
    sql = (
        "SELECT n.id, n.text, n.created_at, n.updated_at, n.paper_key, p.short_id, p.title FROM notes n"
        " LEFT JOIN papers p ON p.key = n.paper_key WHERE n.user = ?"
    )
    params: list[object] = [user]
    if paper_key is not None:
        sql += " AND n.paper_key = ?"
        params.append(paper_key)
    return [_note_dict(r) for r in conn.execute(sql + " ORDER BY n.created_at, n.id", params)]


def update_note(conn: sqlite3.Connection, user: str, note_id: int, text: str) -> None:
    text = text.strip()
    if not text:
        raise InvalidQuery("a note needs some text; use `note delete` to remove it")
    with transaction(conn):
        get_note(conn, user, note_id)
        conn.execute("UPDATE notes SET text = ?, updated_at = ? WHERE id = ?", (text, now(), note_id))
        _index_note(conn, note_id, text)


def delete_note(conn: sqlite3.Connection, user: str, note_id: int) -> dict[str, object]:
    with transaction(conn):
        note = get_note(conn, user, note_id)
        conn.execute("DELETE FROM notes WHERE id = ?", (note_id,))
        _index_note(conn, note_id, None)
    return note


# ---------------------------------------------------------------- sections and progress


def sections_tree(conn: sqlite3.Connection, user: str) -> list[dict[str, object]]:
    """Every section with its papers (subsections included) and this user's read count."""
    rows = conn.execute(
        "SELECT sec.id, sec.number, sec.title, l.name AS list, l.id AS list_id FROM sections sec"
        " JOIN lists l ON l.id = sec.list_id ORDER BY l.id, sec.position"
    ).fetchall()
    members = conn.execute(
        "SELECT sec.list_id, sec.number, e.paper_id, coalesce(s.status, 'unread') AS status FROM entries e"
        " JOIN sections sec ON sec.id = e.section_id JOIN papers p ON p.id = e.paper_id"
        " LEFT JOIN statuses s ON s.paper_key = p.key AND s.user = ?",
        (user,),
    ).fetchall()
    result = []
    for r in rows:
        prefix = r["number"] + "."
        papers = {
            m["paper_id"]: m["status"]
            for m in members
            if m["list_id"] == r["list_id"] and (m["number"] == r["number"] or m["number"].startswith(prefix))
        }
        result.append(
            {
                "list": r["list"], "number": r["number"], "title": r["title"],
                "depth": r["number"].count("."), "papers": len(papers),
                "read": sum(1 for s in papers.values() if s == "read"),
                "reading": sum(1 for s in papers.values() if s == "reading"),
            }
        )
    return result


def progress(conn: sqlite3.Connection, user: str) -> dict[str, object]:
    by_stars = []
    for row in conn.execute(
        "SELECT p.stars, count(*) AS papers, sum(s.status = 'read') AS read, sum(s.status = 'reading') AS reading"
        f" FROM {_PAPER_JOIN} WHERE p.listed = 1 GROUP BY p.stars ORDER BY p.stars DESC",
        (user,),
    ):
        by_stars.append(
            {"stars": row["stars"], "papers": row["papers"], "read": row["read"] or 0, "reading": row["reading"] or 0}
        )
    total = {
        "papers": sum(int(str(s["papers"])) for s in by_stars),
        "read": sum(int(str(s["read"])) for s in by_stars),
        "reading": sum(int(str(s["reading"])) for s in by_stars),
    }
    top = [s for s in sections_tree(conn, user) if s["depth"] == 0 or True]
    return {"user": user, "total": total, "sections": top, "stars": by_stars}


# ---------------------------------------------------------------- search


@dataclass
class SearchResult:
    total: int
    papers: list[PaperRow]
    patterns: list[str]
    suggestions: list[str]


def search(
    conn: sqlite3.Connection,
    user: str,
    text: str,
    filters: Sequence[Filter] = (),
    *,
    sort: str = "relevance",
    limit: int | None = None,
    notes: bool = True,
    raw: bool = False,
) -> SearchResult:
    query: Query | None = None
    if raw:
        match = raw_query(text)
        patterns: list[str] = []
        if not match:
            return SearchResult(0, [], [], [])
    else:
        query = compile_query(text)
        if query.empty:
            return SearchResult(0, [], [], [])
        match = query.fts()
        patterns = query.patterns()
    where, params = combine(filters)
    hits = (
        f"SELECT rowid AS pid, bm25(papers_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score"
        " FROM papers_fts WHERE papers_fts MATCH ?"
    )
    hit_params: list[object] = [match]
    if notes:
        hits += (
            f" UNION ALL SELECT p.id, bm25(notes_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) FROM notes_fts"
            " JOIN notes n ON n.id = notes_fts.rowid JOIN papers p ON p.key = n.paper_key"
            " WHERE notes_fts MATCH ? AND n.user = ?"
        )
        hit_params += [match, user]
    order = {
        "relevance": "h.score, p.stars DESC, p.position",
        "stars": "p.stars DESC, h.score, p.position",
        "list": "p.position",
    }[sort]
    sql = (
        f"WITH h AS (SELECT pid, min(score) AS score FROM ({hits}) GROUP BY pid)"
        f" SELECT {_PAPER_COLUMNS}, h.score FROM h JOIN papers p ON p.id = h.pid"
        " LEFT JOIN statuses s ON s.paper_key = p.key AND s.user = ?"
        f" WHERE p.listed = 1 AND {where} ORDER BY {order}"
    )
    try:
        rows = conn.execute(sql, [*hit_params, user, *params]).fetchall()
    except sqlite3.OperationalError as exc:
        raise InvalidQuery(f"cannot search for {text!r}: {exc}") from None
    shown = rows if limit is None else rows[:limit]
    papers = _paper_rows(conn, shown)
    for paper, row in zip(papers, shown, strict=True):
        paper.score = round(float(row["score"]), 4)
        paper.snippet = _snippet(conn, user, row["pid"], paper.key, patterns, notes)
    suggestions = suggest(conn, query) if query is not None and not rows else []
    return SearchResult(len(rows), papers, patterns, suggestions)


def _snippet(
    conn: sqlite3.Connection, user: str, paper_id: int, key: str, patterns: list[str], notes: bool
) -> str:
    texts = [
        r[0]
        for r in conn.execute("SELECT intro FROM entries WHERE paper_id = ? ORDER BY list_id, position", (paper_id,))
    ]
    texts += [r[0] for r in conn.execute(
        "SELECT l.text FROM links l JOIN entries e ON e.id = l.entry_id WHERE e.paper_id = ?", (paper_id,)
    )]
    if notes:
        texts += [clean(r[0]) for r in conn.execute(
            "SELECT text FROM notes WHERE user = ? AND paper_key = ? ORDER BY id", (user, key)
        )]
    for text in texts:
        for pattern in patterns:
            found = re.search(pattern, text, re.IGNORECASE)
            if found:
                return _window(text, found.start(), found.end())
    return _window(texts[0], 0, 0) if texts and texts[0] else ""


def _window(text: str, start: int, end: int, width: int = 70) -> str:
    left = max(0, start - width // 3)
    right = min(len(text), max(end, left + width))
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


def suggest(conn: sqlite3.Connection, query: Query, limit: int = 3) -> list[str]:
    """Close words from the index for the query's words, for a search that found nothing."""
    import difflib

    out: list[str] = []
    for word in query.words():
        if " " in word or len(word) < 3:
            continue
        rows = conn.execute(
            "SELECT term FROM papers_vocab WHERE term BETWEEN ? AND ? AND length(term) BETWEEN ? AND ?",
            (word[0], word[0] + "\U0010ffff", len(word) - 2, len(word) + 2),
        ).fetchall()
        for candidate in difflib.get_close_matches(word, [r[0] for r in rows], n=limit, cutoff=0.75):
            if candidate not in out and candidate != word:
                out.append(candidate)
    return out[:limit]
