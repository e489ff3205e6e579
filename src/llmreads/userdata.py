"""Store layer, user-data part: statuses and notes written to, and merged from, a portable JSON file.

User data is the data of record, keyed by user and stable paper key, so a file
moves between databases whatever lists they hold: papers it names may arrive
later. A merge never duplicates: a status is one per (user, paper) and the newer
one wins; a note is known by its UUID, and the newer edit of it wins (two
edits of the same second are both kept, as two notes). A note without a UUID
the database knows (from a file of an older llmreads, or given another UUID by
each database's upgrade) is the same note as one of that user on the same
paper with exactly its text; anything less certain is added, so that both are
kept. A paper is named by any of its keys: each user's part of the file
carries the aliases of its keys (a link that changed), which a merge adds to
the database before it matches anything.

Tags, ratings and the status history merge the same way, by identity: a tag
is one per (user, paper, tag); a rating one per (user, paper), the newer one
winning; a history event is known by its UUID, else by (user, paper, status,
time), and only added. A status a merge adds or changes is an event of the
history too, unless the file's history already holds it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NotRequired, TypedDict, cast

from llmreads.errors import ImportFailed
from llmreads.models import Status

FORMAT = "llmreads-user-data"
VERSION = 1


@dataclass(frozen=True)
class StatusRecord:
    key: str
    status: str
    updated_at: str


@dataclass(frozen=True)
class NoteRecord:
    key: str
    text: str
    created_at: str
    updated_at: str
    uuid: str | None = None  # files of older llmreads have none


@dataclass(frozen=True)
class TagRecord:
    key: str
    tag: str
    tagged_at: str


@dataclass(frozen=True)
class RatingRecord:
    key: str
    stars: int
    updated_at: str


@dataclass(frozen=True)
class EventRecord:
    key: str
    status: str
    at: str
    event_id: str | None = None  # a hand-written file may have none


@dataclass(frozen=True)
class AliasRecord:
    alias: str  # an old key of the paper
    key: str  # the key that names it now


@dataclass(frozen=True)
class PaperRecord:
    """A paper of one of the user's own lists (llmreads add), with its fetched metadata."""

    list: str
    section: str
    key: str
    title: str
    url: str
    arxiv: str | None
    doi: str | None
    metadata: dict[str, object] | None  # as paper_metadata holds it, when it was fetched


@dataclass
class UserData:
    papers: list[PaperRecord] = field(default_factory=list)
    statuses: list[StatusRecord] = field(default_factory=list)
    notes: list[NoteRecord] = field(default_factory=list)
    notes_skipped: list[str] = field(default_factory=list)  # notes the file holds that are not imported, and why
    aliases: list[AliasRecord] = field(default_factory=list)
    tags: list[TagRecord] = field(default_factory=list)
    ratings: list[RatingRecord] = field(default_factory=list)
    history: list[EventRecord] = field(default_factory=list)


@dataclass
class UserDataFile:
    users: dict[str, UserData] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # a user name as written: why it is not imported


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    kept: int = 0


@dataclass
class UserReport:
    papers: Counts = field(default_factory=Counts)  # added papers: added to a list of theirs, or there already
    statuses: Counts = field(default_factory=Counts)
    notes: Counts = field(default_factory=Counts)
    notes_skipped: list[str] = field(default_factory=list)
    tags: Counts = field(default_factory=Counts)
    ratings: Counts = field(default_factory=Counts)
    history: Counts = field(default_factory=Counts)


@dataclass
class MergeReport:
    source: str
    dry_run: bool = False
    users: dict[str, UserReport] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # users of the file left out, and why


# ---------------------------------------------------------------- export


class ExportedStatus(TypedDict):
    key: str
    title: NotRequired[str]  # for people reading the file (when a paper has the key); an import goes by the key
    status: str
    updated_at: str


class ExportedNote(TypedDict):
    key: str
    title: NotRequired[str]
    uuid: str
    text: str
    created_at: str
    updated_at: str


class ExportedAlias(TypedDict):
    alias: str  # an old key of the paper
    key: str  # the key that names it now


class ExportedTag(TypedDict):
    key: str
    title: NotRequired[str]
    tag: str
    tagged_at: str


class ExportedRating(TypedDict):
    key: str
    title: NotRequired[str]
    stars: int
    updated_at: str


class ExportedEvent(TypedDict):
    key: str
    title: NotRequired[str]
    event_id: str
    status: str
    at: str


class ExportedUser(TypedDict):
    statuses: list[ExportedStatus]
    notes: list[ExportedNote]
    tags: list[ExportedTag]
    ratings: list[ExportedRating]
    history: list[ExportedEvent]
    aliases: NotRequired[list[ExportedAlias]]  # only when some record is kept under an old key
    papers: NotRequired[list[dict[str, object]]]  # the papers of the user's own lists (llmreads add)


class UserDataDocument(TypedDict):
    """The user-data file as written: a JSON document (a TypedDict, not a dataclass: it is the file's format)."""

    format: str  # FORMAT
    version: int  # VERSION
    exported_at: str
    users: dict[str, ExportedUser]


def export_user_data(conn: sqlite3.Connection, users: Sequence[str] | None) -> UserDataDocument:
    """The file's content for these users (every user with any data when None)."""
    from llmreads.aliases import aliases_of, paper_id_sql
    from llmreads.store.base import now

    if users is None:
        users = [
            r[0] for r in conn.execute(
                "SELECT user FROM statuses UNION SELECT user FROM notes UNION SELECT user FROM tags"
                " UNION SELECT user FROM ratings UNION SELECT user FROM status_history"
                " UNION SELECT owner FROM lists WHERE owner IS NOT NULL ORDER BY 1"
            )
        ]
    data: dict[str, ExportedUser] = {}
    for user in users:
        # The title comes second, after the key, when a paper has the key.
        statuses: list[ExportedStatus] = [
            {"key": r["paper_key"], "status": r["status"], "updated_at": r["updated_at"]}
            if r["title"] is None
            else {"key": r["paper_key"], "title": r["title"], "status": r["status"], "updated_at": r["updated_at"]}
            for r in conn.execute(
                "SELECT s.paper_key, s.status, s.updated_at, p.title FROM statuses s"
                f" LEFT JOIN papers p ON p.id = {paper_id_sql('s.paper_key')} WHERE s.user = ?"
                " ORDER BY p.position IS NULL, p.position, s.paper_key",
                (user,),
            )
        ]
        notes: list[ExportedNote] = [
            {"key": r["paper_key"], "uuid": r["uuid"], "text": r["text"], "created_at": r["created_at"],
             "updated_at": r["updated_at"]}
            if r["title"] is None
            else {"key": r["paper_key"], "title": r["title"], "uuid": r["uuid"], "text": r["text"],
                  "created_at": r["created_at"], "updated_at": r["updated_at"]}
            for r in conn.execute(
                "SELECT n.paper_key, n.uuid, n.text, n.created_at, n.updated_at, p.title FROM notes n"
                f" LEFT JOIN papers p ON p.id = {paper_id_sql('n.paper_key')} WHERE n.user = ?"
                " ORDER BY n.created_at, n.id",
                (user,),
            )
        ]
        tags: list[ExportedTag] = [
            cast("ExportedTag", _with_title(
                {"key": r["paper_key"], "tag": r["tag"], "tagged_at": r["tagged_at"]}, r["title"]
            ))
            for r in conn.execute(
                "SELECT t.paper_key, t.tag, t.tagged_at, p.title FROM tags t"
                f" LEFT JOIN papers p ON p.id = {paper_id_sql('t.paper_key')} WHERE t.user = ?"
                " ORDER BY p.position IS NULL, p.position, t.paper_key, t.tag",
                (user,),
            )
        ]
        ratings: list[ExportedRating] = [
            cast("ExportedRating", _with_title(
                {"key": r["paper_key"], "stars": r["stars"], "updated_at": r["updated_at"]}, r["title"]
            ))
            for r in conn.execute(
                "SELECT r.paper_key, r.stars, r.updated_at, p.title FROM ratings r"
                f" LEFT JOIN papers p ON p.id = {paper_id_sql('r.paper_key')} WHERE r.user = ?"
                " ORDER BY p.position IS NULL, p.position, r.paper_key",
                (user,),
            )
        ]
        history: list[ExportedEvent] = [
            cast("ExportedEvent", _with_title(
                {"key": r["paper_key"], "event_id": r["event_id"], "status": r["status"], "at": r["at"]}, r["title"]
            ))
            for r in conn.execute(
                "SELECT h.paper_key, h.event_id, h.status, h.at, p.title FROM status_history h"
                f" LEFT JOIN papers p ON p.id = {paper_id_sql('h.paper_key')} WHERE h.user = ?"
                " ORDER BY h.at, h.rowid",
                (user,),
            )
        ]
        part: ExportedUser = {
            "statuses": statuses, "notes": notes, "tags": tags, "ratings": ratings, "history": history,
        }
        papers = _own_papers(conn, user)
        if papers:
            part["papers"] = papers
        # The keys records are kept under may be old keys of their papers: the file says which.
        aliases = aliases_of(conn, [str(r["key"]) for r in (*statuses, *notes, *tags, *ratings, *history)])
        if aliases:
            part["aliases"] = [{"alias": alias, "key": key} for alias, key in aliases]
        data[user] = part
    return {"format": FORMAT, "version": VERSION, "exported_at": now(), "users": data}


_METADATA_FIELDS = ("title", "authors", "year", "published", "abstract", "primary_category", "doi", "journal_ref",
                   "arxiv", "source", "fetched_at")


def _own_papers(conn: sqlite3.Connection, user: str) -> list[dict[str, object]]:
    """The papers of `user`'s own lists, list by list, in their order, each with its fetched metadata."""
    from llmreads.store.metadata import metadata_join

    out = []
    for r in conn.execute(
        "SELECT l.name AS list, sec.title AS section, p.key, p.title AS paper_title, p.url, p.arxiv AS paper_arxiv,"
        " m.title, m.authors, m.year, m.published, m.abstract, m.primary_category, m.doi, m.journal_ref, m.arxiv,"
        " m.source, m.fetched_at"
        " FROM lists l JOIN entries e ON e.list_id = l.id JOIN sections sec ON sec.id = e.section_id"
        f" JOIN papers p ON p.id = e.paper_id {metadata_join()}"
        " WHERE l.owner = ? ORDER BY l.id, e.position",
        (user,),
    ):
        paper: dict[str, object] = {
            "list": r["list"], "section": r["section"], "key": r["key"], "title": r["paper_title"], "url": r["url"],
            "arxiv": r["paper_arxiv"] or r["arxiv"], "doi": r["doi"],
        }
        if r["fetched_at"] is not None:
            paper["metadata"] = {name: json.loads(r[name]) if name == "authors" else r[name]
                                 for name in _METADATA_FIELDS}
        out.append(paper)
    return out


def _with_title(record: dict[str, object], title: str | None) -> dict[str, object]:
    # The title is for people reading the file, second after the key; an import goes by the key alone.
    if title is not None:
        record = {"key": record["key"], "title": title, **{k: v for k, v in record.items() if k != "key"}}
    return record


# ---------------------------------------------------------------- reading a file

MAX_FILE_BYTES = 256 * 1024 * 1024


def read_user_data_file(path: str) -> str:
    """A user-data file's text (`-` for stdin); JSON is UTF-8."""
    import sys

    from llmreads.config import expand_user

    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            with expand_user(path, "FILE").open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ImportFailed(f"{path} does not exist") from None
    except IsADirectoryError:
        raise ImportFailed(f"{path} is a directory, not a user-data file") from None
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ImportFailed(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path} is not UTF-8 text (byte {exc.start}), so not a user-data file") from None


def parse_user_data(text: str, source: str) -> UserDataFile:
    """Every user's statuses and notes in a user-data file; ImportFailed for anything else.

    A user whose name breaks the rule for user names is left out (and named),
    not the whole file: the other users' data is good.
    """
    from llmreads.config import user_name_problem
    from llmreads.store.notes import MAX_NOTE_CHARS

    try:
        doc = json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"{source} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise ImportFailed(f"{source} is not a user-data file (nested too deeply)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportFailed(f'{source} is not an llmreads user-data file (no "format": "{FORMAT}")')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ImportFailed(f"{source}: version must be a whole number, not {version!r}")
    if version > VERSION:
        raise ImportFailed(f"{source} has user-data version {version}, newer than this llmreads reads; upgrade")
    if version < 1:
        raise ImportFailed(f"{source}: unknown user-data version {version}")
    users = doc.get("users")
    if not isinstance(users, dict):
        raise ImportFailed(f'{source}: "users" must be an object of user names')
    out = UserDataFile()
    for name, value in users.items():
        problem = user_name_problem(name)
        if problem is not None:
            out.skipped[name] = f"the name {problem}"
            continue
        user = name.strip()
        where = f"{source}: users.{name}"
        if not isinstance(value, dict):
            raise ImportFailed(f"{where} must be an object with statuses and notes")
        data = out.users.setdefault(user, UserData())
        for i, item in enumerate(_array(value, "statuses", where)):
            at = f"{where}.statuses[{i}]"
            status = _string(item, "status", at)
            if status not in {s.value for s in Status}:
                raise ImportFailed(f"{at}.status must be unread, reading or read, not {status!r}")
            data.statuses.append(
                StatusRecord(_key(item, at), status, _timestamp(_string(item, "updated_at", at), f"{at}.updated_at"))
            )
        for i, item in enumerate(_array(value, "notes", where)):
            at = f"{where}.notes[{i}]"
            text_ = _string(item, "text", at).strip()
            if not text_:
                raise ImportFailed(f"{at}.text must not be empty")
            record = NoteRecord(
                _key(item, at), text_,
                _timestamp(_string(item, "created_at", at), f"{at}.created_at"),
                _timestamp(_string(item, "updated_at", at), f"{at}.updated_at"),
                _uuid(item, at),
            )
            if len(text_) > MAX_NOTE_CHARS:  # refused as `note add` refuses it; never cut
                data.notes_skipped.append(
                    f"{at.removeprefix(source + ': ')} on {record.key}: {len(text_):,} characters,"
                    f" over the limit of {MAX_NOTE_CHARS:,}"
                )
                continue
            data.notes.append(record)
        for i, item in enumerate(_array(value, "tags", where)):
            at = f"{where}.tags[{i}]"
            data.tags.append(TagRecord(
                _key(item, at), _tag(_string(item, "tag", at), f"{at}.tag"),
                _timestamp(_string(item, "tagged_at", at), f"{at}.tagged_at"),
            ))
        for i, item in enumerate(_array(value, "ratings", where)):
            at = f"{where}.ratings[{i}]"
            stars = item.get("stars")
            if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
                raise ImportFailed(f"{at}.stars must be a whole number from 1 to 5, not {stars!r}")
            data.ratings.append(
                RatingRecord(_key(item, at), stars, _timestamp(_string(item, "updated_at", at), f"{at}.updated_at"))
            )
        for i, item in enumerate(_array(value, "history", where)):
            at = f"{where}.history[{i}]"
            status = _string(item, "status", at)
            if status not in {s.value for s in Status}:
                raise ImportFailed(f"{at}.status must be unread, reading or read, not {status!r}")
            event_id = _uuid(item, at, "event_id")
            data.history.append(
                EventRecord(_key(item, at), status, _timestamp(_string(item, "at", at), f"{at}.at"), event_id)
            )
        for i, item in enumerate(_array(value, "papers", where)):
            data.papers.append(_paper_record(item, f"{where}.papers[{i}]"))
        for i, item in enumerate(_array(value, "aliases", where)):
            at = f"{where}.aliases[{i}]"
            alias, key = _key(item, at, "alias"), _key(item, at)
            if alias != key:
                data.aliases.append(AliasRecord(alias, key))
    return out


def _optional_string(item: dict[str, object], name: str, where: str) -> str | None:
    return None if item.get(name) is None else _string(item, name, where)


def _paper_record(item: dict[str, object], at: str) -> PaperRecord:
    metadata = item.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise ImportFailed(f"{at}.metadata must be an object")
        authors = metadata.get("authors", [])
        if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
            raise ImportFailed(f"{at}.metadata.authors must be a list of names")
        year = metadata.get("year")
        if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
            raise ImportFailed(f"{at}.metadata.year must be a whole number, not {_kind(year)}")
        for name in _METADATA_FIELDS:
            if name not in ("authors", "year"):
                _optional_string(metadata, name, f"{at}.metadata")
        _string(metadata, "source", f"{at}.metadata")
    return PaperRecord(
        _string(item, "list", at).strip() or "added", " ".join(_string(item, "section", at).split()) or "Papers",
        _key(item, at), _string(item, "title", at), _string(item, "url", at),
        _optional_string(item, "arxiv", at), _optional_string(item, "doi", at), metadata,
    )


class _HugeInteger:
    """An integer too long to be anything in a user-data file, kept as its length (Python would refuse to read it)."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"a number of {self.digits:,} digits"


def _integer(text: str) -> int | _HugeInteger:
    return int(text) if len(text) <= 100 else _HugeInteger(len(text.lstrip("-")))


def _uuid(item: dict[str, object], where: str, name: str = "uuid") -> str | None:
    import uuid

    if item.get(name) is None:
        return None
    value = _string(item, name, where)
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ImportFailed(f"{where}.{name} must be a UUID such as {uuid.UUID(int=0)}, not {value!r}") from None


def _tag(value: str, where: str) -> str:
    from llmreads.errors import InvalidQuery
    from llmreads.store.personal import normal_tag

    try:
        return normal_tag(value)
    except InvalidQuery as exc:
        raise ImportFailed(f"{where}: {exc}") from None


def _array(value: dict[str, object], name: str, where: str) -> list[dict[str, object]]:
    items = value.get(name, [])
    if not isinstance(items, list):
        raise ImportFailed(f"{where}.{name} must be a list")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ImportFailed(f"{where}.{name}[{i}] must be an object")
    return items


def _string(item: dict[str, object], name: str, where: str) -> str:
    if name not in item:
        raise ImportFailed(f"{where} has no {name}")
    value = item[name]
    if not isinstance(value, str):
        raise ImportFailed(f"{where}.{name} must be a string, not {_kind(value)}")
    return value


def _key(item: dict[str, object], where: str, name: str = "key") -> str:
    key = _string(item, name, where).strip()
    if not key:
        raise ImportFailed(f"{where}.{name} must not be empty")
    return key


_KINDS = {
    type(None): "null", bool: "true/false", int: "a number", float: "a number", _HugeInteger: "a number",
    list: "a list", dict: "an object",
}


def _kind(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _timestamp(value: str, where: str) -> str:
    """An ISO 8601 date-time in the store's form: UTC, `+00:00`. A time without a zone is taken as UTC."""
    try:
        parsed = _parse_time(value)
    except OverflowError:
        raise ImportFailed(f"{where} is out of range in UTC (years 1 to 9999): {value!r}") from None
    if parsed is None:
        raise ImportFailed(f"{where} must be an ISO 8601 date-time such as 2024-05-01T12:00:00+00:00, not {value!r}")
    return parsed.isoformat()


def _parse_time(value: str) -> datetime | None:
    """None for what is not an ISO 8601 date-time; OverflowError for one that is, beyond the years UTC can hold."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _normal(value: str) -> str:
    """A stored time in the form _timestamp gives, so the two compare as text."""
    try:
        parsed = _parse_time(value)
    except OverflowError:
        return value
    return parsed.isoformat() if parsed is not None else value


# ---------------------------------------------------------------- merging


@dataclass
class _Note:
    id: int | None
    uuid: str
    key: str
    text: str
    updated_at: str


def merge_user_data(
    conn: sqlite3.Connection, data: UserDataFile, *, source: str, dry_run: bool = False
) -> MergeReport:
    """Merge a file's users into the database, in one transaction; a dry run only counts."""
    from llmreads.store.base import transaction

    report = MergeReport(source=source, dry_run=dry_run, skipped=dict(data.skipped))
    if dry_run:
        conn.execute("BEGIN")  # the file's aliases are added, to count as the merge would, then rolled back
        try:
            for user, records in data.users.items():
                report.users[user] = _merge_user(conn, user, records, write=False)
        finally:
            conn.execute("ROLLBACK")
        return report
    with transaction(conn):
        for user, records in data.users.items():
            report.users[user] = _merge_user(conn, user, records, write=True)
    return report


def _merge_user(conn: sqlite3.Connection, user: str, data: UserData, *, write: bool) -> UserReport:
    from llmreads.aliases import add_alias

    for record in data.aliases:
        add_alias(conn, record.alias, record.key)
    papers = _merge_papers(conn, user, data.papers)  # first: the user's statuses may be on them
    history = _merge_history(conn, user, data.history, write=write)
    changed: list[EventRecord] = []  # the statuses the merge sets: events of the history too
    report = UserReport(
        papers=papers,
        statuses=_merge_statuses(conn, user, data.statuses, write=write, changed=changed),
        notes=_merge_notes(conn, user, data.notes, write=write),
        notes_skipped=list(data.notes_skipped),
        tags=_merge_tags(conn, user, data.tags, write=write),
        ratings=_merge_ratings(conn, user, data.ratings, write=write),
        history=history,
    )
    if write:
        _merge_history(conn, user, changed, write=write)  # not counted: the file named them as statuses
    return report


def _merge_papers(conn: sqlite3.Connection, user: str, records: Sequence[PaperRecord]) -> Counts:
    """Recreate the papers of the user's own lists (a dry run writes too, inside the transaction it rolls back)."""
    from llmreads.fetch import Record
    from llmreads.refs import Ref
    from llmreads.store.library import NewPaper, put_papers

    counts = Counts()
    groups: dict[tuple[str, str], list[NewPaper]] = {}
    for record in records:
        meta = record.metadata
        fetched = None
        if meta is not None:
            fetched = Record(
                source=str(meta["source"]), title=str(meta.get("title") or record.title),
                authors=tuple(meta.get("authors") or ()),  # type: ignore[arg-type]
                abstract=meta.get("abstract"), published=meta.get("published"),  # type: ignore[arg-type]
                primary_category=meta.get("primary_category"), doi=meta.get("doi"),  # type: ignore[arg-type]
                journal_ref=meta.get("journal_ref"), arxiv=meta.get("arxiv"),  # type: ignore[arg-type]
            )
        ref = Ref(record.key, record.url, arxiv=record.arxiv if record.key.startswith("arxiv:") else None,
                  doi=record.doi if record.key.startswith("doi:") else None)
        groups.setdefault((record.list, record.section), []).append(NewPaper(ref, record.title, fetched))
    for (list_name, section), papers in groups.items():
        for added in put_papers(conn, user, list_name, papers, section=section):
            if added.added:
                counts.added += 1
            elif list_name in added.held_by:
                counts.kept += 1
            else:
                counts.updated += 1  # a paper the database had, now in the user's list too
    return counts


def _merge_statuses(
    conn: sqlite3.Connection, user: str, records: Sequence[StatusRecord], *, write: bool,
    changed: list[EventRecord] | None = None,
) -> Counts:
    counts, changes = _merge_newest(
        conn, user, "statuses", "status", [(r.key, r.status, r.updated_at) for r in records], write=write
    )
    if changed is not None:
        changed += [EventRecord(key, str(status), at) for key, status, at in changes]
    return counts


def _merge_newest(
    conn: sqlite3.Connection, user: str, table: str, column: str, records: Sequence[tuple[str, object, str]],
    *, write: bool,
) -> tuple[Counts, list[tuple[str, object, str]]]:
    """Merge (key, value, time) records into a table of one row per (user, paper): the newer one wins.

    Statuses and ratings both work so. A paper's row is read through every
    key of the paper, and a change goes to the key it is kept under here.
    Returns the counts and the records whose value changed, under that key.
    """
    from llmreads.aliases import canonical_keys

    counts = Counts()
    changes: list[tuple[str, object, str]] = []
    rows = conn.execute(
        f"SELECT paper_key, {column}, updated_at FROM {table} WHERE user = ? ORDER BY updated_at, rowid", (user,)
    ).fetchall()
    paper = canonical_keys(conn, [*(r[0] for r in rows), *(key for key, _, _ in records)])
    # By paper: the value read for it is the newest of its keys', and a change goes to that row.
    current = {paper[r[0]]: (r[1], _normal(r[2]), r[0]) for r in rows}
    for key, value, updated_at in records:
        known = current.get(paper[key])
        # Both times are in _timestamp's form, which sorts as text.
        if known is not None and updated_at <= known[1]:
            counts.kept += 1
            continue
        if known is None:
            counts.added += 1
        elif value != known[0]:
            counts.updated += 1
        else:
            counts.kept += 1  # the same value, set again later: only its time moves on
        kept_under = key if known is None else known[2]
        current[paper[key]] = (value, updated_at, kept_under)
        if known is None or value != known[0]:
            changes.append((kept_under, value, updated_at))
        if write:
            conn.execute(
                f"INSERT INTO {table} (user, paper_key, {column}, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT"
                f" (user, paper_key) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at",
                (user, kept_under, value, updated_at),
            )
    return counts, changes


def _merge_notes(conn: sqlite3.Connection, user: str, records: Sequence[NoteRecord], *, write: bool) -> Counts:
    """Notes by UUID, else by (key, exact text); see the module's docstring. Nothing is ever deleted."""
    from llmreads.aliases import canonical_keys
    from llmreads.store.index import index_note
    from llmreads.store.notes import new_note_uuid

    counts = Counts()
    by_uuid: dict[str, _Note] = {}
    by_text: dict[tuple[str, str], list[_Note]] = {}

    def remember(note: _Note) -> None:
        by_uuid[note.uuid] = note
        by_text.setdefault((note.key, note.text), []).append(note)

    rows = conn.execute(
        "SELECT id, uuid, paper_key, text, updated_at FROM notes WHERE user = ? ORDER BY id", (user,)
    ).fetchall()
    # A note's paper is compared by its canonical key: the note may be stored under any key of it.
    paper = canonical_keys(conn, [*(r["paper_key"] for r in rows), *(r.key for r in records)])
    for r in rows:
        remember(_Note(r["id"], r["uuid"], paper[r["paper_key"]], r["text"], _normal(r["updated_at"])))
    in_file = {record.uuid for record in records if record.uuid is not None}
    for record in records:
        note = by_uuid.get(record.uuid) if record.uuid is not None else None
        # Two edits of one note in the same second, one on each side: which is newer cannot be
        # known, so the file's is kept beside this one (below), as for a note of unknown identity.
        tie = note is not None and record.updated_at == note.updated_at and record.text != note.text
        if note is not None and note.key == paper[record.key] and not tie:
            if record.text == note.text or record.updated_at < note.updated_at:
                counts.kept += 1
                continue
            counts.updated += 1
            by_text[(note.key, note.text)].remove(note)
            note.text, note.updated_at = record.text, record.updated_at
            by_text.setdefault((note.key, note.text), []).append(note)
            if write:
                assert note.id is not None
                conn.execute(
                    "UPDATE notes SET text = ?, updated_at = ? WHERE id = ?", (record.text, record.updated_at, note.id)
                )
                index_note(conn, note.id, record.text)
            continue
        # Unknown here (or, oddly, known on another paper, or tied): the same note only if its text is exactly one's.
        free_uuid = None  # the file's UUID, when no note has it yet
        if note is None and record.uuid is not None and not _uuid_used(conn, record.uuid):
            free_uuid = record.uuid
        same = by_text.get((paper[record.key], record.text))
        if same:
            counts.kept += 1
            unclaimed = next((n for n in same if n.uuid not in in_file), None)
            if free_uuid is not None and unclaimed is not None and free_uuid < unclaimed.uuid:
                # Each database gave this note its own UUID when it upgraded: both settle on
                # the smaller one, so that later edits on either side merge as edits.
                del by_uuid[unclaimed.uuid]
                unclaimed.uuid = free_uuid
                by_uuid[free_uuid] = unclaimed
                if write:
                    conn.execute("UPDATE notes SET uuid = ? WHERE id = ?", (free_uuid, unclaimed.id))
            continue
        counts.added += 1
        added = _Note(None, free_uuid or new_note_uuid(), paper[record.key], record.text, record.updated_at)
        if write:
            added.id = conn.execute(
                "INSERT INTO notes (user, paper_key, text, created_at, updated_at, uuid) VALUES (?, ?, ?, ?, ?, ?)",
                (user, record.key, record.text, record.created_at, record.updated_at, added.uuid),
            ).lastrowid
            assert added.id is not None
            index_note(conn, added.id, record.text)
        remember(added)
    return counts


def _uuid_used(conn: sqlite3.Connection, uuid: str) -> bool:
    return conn.execute("SELECT 1 FROM notes WHERE uuid = ?", (uuid,)).fetchone() is not None


def _merge_tags(conn: sqlite3.Connection, user: str, records: Sequence[TagRecord], *, write: bool) -> Counts:
    """A tag is one per (user, paper, tag): one the paper has under any of its keys is kept as it is."""
    from llmreads.aliases import canonical_keys

    counts = Counts()
    rows = conn.execute("SELECT paper_key, tag FROM tags WHERE user = ?", (user,)).fetchall()
    paper = canonical_keys(conn, [*(r[0] for r in rows), *(r.key for r in records)])
    have = {(paper[r[0]], r[1]) for r in rows}
    for record in records:
        if (paper[record.key], record.tag) in have:
            counts.kept += 1
            continue
        counts.added += 1
        have.add((paper[record.key], record.tag))
        if write:
            conn.execute(
                "INSERT OR IGNORE INTO tags (user, paper_key, tag, tagged_at) VALUES (?, ?, ?, ?)",
                (user, record.key, record.tag, record.tagged_at),
            )
    return counts


def _merge_ratings(conn: sqlite3.Connection, user: str, records: Sequence[RatingRecord], *, write: bool) -> Counts:
    """A rating is one per (user, paper), as a status is: the newer one wins, under the key it is kept here."""
    return _merge_newest(
        conn, user, "ratings", "stars", [(r.key, r.stars, r.updated_at) for r in records], write=write
    )[0]


def _merge_history(conn: sqlite3.Connection, user: str, records: Sequence[EventRecord], *, write: bool) -> Counts:
    """Events by UUID, else by (paper, status, time); only ever added, never changed or deleted."""
    from llmreads.aliases import canonical_keys
    from llmreads.store.personal import new_event_id

    counts = Counts()
    rows = conn.execute("SELECT event_id, paper_key, status, at FROM status_history WHERE user = ?", (user,)).fetchall()
    paper = canonical_keys(conn, [*(r[1] for r in rows), *(r.key for r in records)])
    ids = {r[0] for r in rows}
    seen = {(paper[r[1]], r[2], _normal(r[3])) for r in rows}
    for record in records:
        identity = (paper[record.key], record.status, record.at)
        if (record.event_id is not None and record.event_id in ids) or identity in seen:
            counts.kept += 1
            continue
        counts.added += 1
        seen.add(identity)
        event_id = record.event_id
        if event_id is None or conn.execute(
            "SELECT 1 FROM status_history WHERE event_id = ?", (event_id,)
        ).fetchone() is not None:  # none, or another user's: this event gets one of its own
            event_id = new_event_id()
        ids.add(event_id)
        if write:
            conn.execute(
                "INSERT OR IGNORE INTO status_history (event_id, user, paper_key, status, at) VALUES (?, ?, ?, ?, ?)",
                (event_id, user, record.key, record.status, record.at),
            )
    return counts
