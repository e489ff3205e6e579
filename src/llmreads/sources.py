"""Reading documents: the bundled list, files and stdin, decoded to text."""

from __future__ import annotations

import sqlite3
import sys
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


def read_document(path: str) -> tuple[str, str]:
    """Text and source name of a document path, `-` for stdin."""
    from llmreads.errors import ImportFailed

    if path == "-":
        data = sys.stdin.buffer.read()
        source = "<stdin>"
    else:
        file = Path(path)
        if file.is_dir():
            raise ImportFailed(f"{path} is a directory, not a markdown file")
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            raise ImportFailed(f"{path} does not exist") from None
        except OSError as exc:
            raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None
        source = str(file.resolve())
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFailed(f"{path} is a binary file, not a markdown document")
    for encoding in ("utf-8-sig", "utf-16"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return data.decode(encoding), source
        except UnicodeDecodeError:
            pass
    raise ImportFailed(f"{path} is not UTF-8 text")


def import_path(conn: sqlite3.Connection, path: str | None, *, name: str | None) -> ImportReport:
    from llmreads import store
    from llmreads.parse import parse

    text, source = read_document(path) if path else bundled_seed()
    doc = parse(text)
    if not name:
        stem = Path(source.split(":", 1)[-1]).stem if path != "-" else "stdin"
        name = doc.title or stem
    return store.import_document(conn, doc, name=name, source=source, sha256=store.document_sha256(text))


