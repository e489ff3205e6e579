"""Reading documents: the bundled list, files and stdin, decoded to text."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmreads.store import ImportReport

SEED_NAME = "llm_paper_reading.md"


def bundled_seed() -> tuple[str, str]:
    """The bundled list's text and a source name for it."""
    from importlib.resources import files

    resource = files("llmreads").joinpath("seeds", SEED_NAME)
    if resource.is_file():
        return resource.read_text(encoding="utf-8"), f"bundled:{SEED_NAME}"
    # An editable install runs from the source tree, where the seed is at the top.
    path = Path(__file__).resolve().parents[2] / "seeds" / SEED_NAME
    return path.read_text(encoding="utf-8"), f"bundled:{SEED_NAME}"


MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def read_document(path: str, encoding: str | None = None) -> tuple[str, str]:
    """Text and source name of a document path, `-` for stdin."""
    from llmreads.errors import ImportFailed

    if path == "-":
        data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
        source = "<stdin>"
    else:
        file = Path(path)
        if file.is_dir():
            raise ImportFailed(f"{path} is a directory, not a markdown file")
        try:
            with file.open("rb") as handle:
                if os.fstat(handle.fileno()).st_size > MAX_DOCUMENT_BYTES:
                    raise ImportFailed(f"{path} is larger than {MAX_DOCUMENT_BYTES // 2**20} MiB; split the list")
                data = handle.read(MAX_DOCUMENT_BYTES + 1)
        except FileNotFoundError:
            raise ImportFailed(f"{path} does not exist") from None
        except OSError as exc:
            raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None
        source = str(file.resolve())
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ImportFailed(f"{path} is larger than {MAX_DOCUMENT_BYTES // 2**20} MiB; split the list")
    return decode(data, path, encoding), source


def decode(data: bytes, label: str, encoding: str | None = None) -> str:
    """Decode a document: the encoding given, else by its BOM, else UTF-8, else GB18030."""
    from llmreads.errors import ImportFailed

    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise ImportFailed(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise ImportFailed(f"{label} is not {encoding} text (byte {exc.start})") from None
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name)
            except UnicodeDecodeError:
                raise ImportFailed(f"{label} starts with a {name} mark but is not {name} text") from None
    if b"\x00" in data[:65536]:
        raise ImportFailed(f"{label} is a binary file, not a markdown document")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Chinese lists saved on Windows are often GBK; GB18030 is its superset.
    # It decodes almost any bytes, so only text that reads as Chinese counts.
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _looks_chinese(text):
        return text
    raise ImportFailed(f"{label} is not UTF-8 text (name its encoding with --encoding)")


def _looks_chinese(text: str) -> bool:
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r")
    ideographs = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    others = sum(1 for ch in text if ord(ch) > 127 and not "\u4e00" <= ch <= "\u9fff" and not "\u3000" <= ch <= "\u303f"
                 and not "\uff00" <= ch <= "\uffef")
    return controls == 0 and ideographs > 0 and others <= ideographs // 10


def import_path(
    conn: sqlite3.Connection,
    path: str | None,
    *,
    name: str | None,
    encoding: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
) -> ImportReport:
    """Read, parse and import a document (the bundled list when `path` is None)."""
    from llmreads import store
    from llmreads.parse import iter_document

    text, source = read_document(path, encoding) if path else bundled_seed()
    fallback = "stdin" if path == "-" else Path(source.split(":", 1)[-1]).stem
    with _progress(text) as on_chunk:
        return store.import_document(
            conn,
            iter_document(text, on_chunk),
            name=name,
            fallback_name=fallback,
            source=source,
            sha256=store.document_sha256(text),
            dry_run=dry_run,
            strict=strict,
        )


PROGRESS_MIN_CHARS = 1_000_000  # smaller documents import in well under a second


@contextmanager
def _progress(text: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for a large import, only when stderr is a terminal."""
    if len(text) < PROGRESS_MIN_CHARS or not sys.stderr.isatty():
        yield None
        return
    from llmreads import render

    with render.line_progress("Importing", text.count("\n") + 1) as advance:
        yield advance
