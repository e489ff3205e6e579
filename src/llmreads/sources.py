"""Reading documents: the bundled list, files and stdin, checked, then streamed line by line."""

from __future__ import annotations

import io
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from llmreads.models import ImportReport

SEED_NAME = "llm_paper_reading.md"


MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
BLOCK = 1 << 20
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


@dataclass(frozen=True)
class Source:
    """A document checked and fingerprinted in one pass, whose lines a second pass streams.

    Nothing holds the whole text: memory stays bounded by the parser's chunks.
    """

    name: str  # what `lists` shows as the list's source
    fallback_name: str  # the list's name when the document has no title
    encoding: str
    sha256: str
    lines_total: int
    open_binary: Callable[[], BinaryIO]

    def lines(self) -> Iterator[str]:
        with self.open_binary() as raw:
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline=None)
            for line in text:
                yield line.rstrip("\n")


def bundled_seed() -> Source:
    """The bundled list (inside the wheel, or at the top of a source checkout)."""
    from importlib.resources import files

    resource = files("llmreads").joinpath("seeds", SEED_NAME)
    if resource.is_file():
        data = resource.read_bytes()
    else:  # an editable install runs from the source tree
        data = (Path(__file__).resolve().parents[2] / "seeds" / SEED_NAME).read_bytes()
    return _source(lambda: io.BytesIO(data), f"bundled:{SEED_NAME}", Path(SEED_NAME).stem, SEED_NAME, "utf-8")


def read_document(path: str, encoding: str | None = None) -> Source:
    """A document path, `-` for stdin, checked: readable, not too large, text in a known encoding."""
    from llmreads.errors import ImportFailed

    if path == "-":
        data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)  # a pipe cannot be read twice
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ImportFailed(f"stdin holds more than {MAX_DOCUMENT_BYTES // 2**20} MiB; split the list")
        return _source(lambda: io.BytesIO(data), "<stdin>", "stdin", "stdin", encoding)
    file = Path(path)
    if file.is_dir():
        raise ImportFailed(f"{path} is a directory, not a markdown file")
    try:
        size = file.stat().st_size
    except FileNotFoundError:
        raise ImportFailed(f"{path} does not exist") from None
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None
    if size > MAX_DOCUMENT_BYTES:
        raise ImportFailed(f"{path} is larger than {MAX_DOCUMENT_BYTES // 2**20} MiB; split the list")

    def open_binary() -> BinaryIO:
        try:
            return file.open("rb")
        except OSError as exc:
            raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None

    return _source(open_binary, str(file.resolve()), file.stem, path, encoding)


def _source(
    open_binary: Callable[[], BinaryIO], name: str, fallback: str, label: str, encoding: str | None
) -> Source:
    """Check the bytes (encoding, binary or not) and fingerprint them, reading block by block."""
    from llmreads.errors import ImportFailed

    with open_binary() as raw:
        head = raw.read(65536)
    chosen = encoding
    if chosen is None:
        chosen = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    if chosen is None and b"\x00" in head:
        raise ImportFailed(f"{label} is a binary file, not a markdown document")
    candidates = [chosen] if chosen else ["utf-8", "gb18030"]
    for candidate in candidates:
        try:
            digest, lines, ideographs, others = _scan(open_binary, candidate)
        except LookupError:
            raise ImportFailed(f"unknown encoding {candidate!r}") from None
        except UnicodeDecodeError as exc:
            if chosen:
                raise ImportFailed(f"{label} is not {candidate} text (byte {exc.start} of a block)") from None
            continue
        # GB18030 decodes almost any bytes, so only text that reads as Chinese counts.
        if candidate == "gb18030" and not (ideographs and others <= ideographs // 10):
            break
        return Source(name, fallback, candidate, digest, lines, open_binary)
    raise ImportFailed(f"{label} is not UTF-8 text (name its encoding with --encoding)")


def _scan(open_binary: Callable[[], BinaryIO], encoding: str) -> tuple[str, int, int, int]:
    """Decode every byte (raising on the first bad one); return sha256, line count and script counts."""
    import codecs
    import hashlib

    decoder = codecs.getincrementaldecoder(encoding)()
    digest = hashlib.sha256()
    lines = ideographs = others = 0
    with open_binary() as raw:
        while block := raw.read(BLOCK):
            digest.update(block)
            text = decoder.decode(block)
            lines += text.count("\n")
            if encoding == "gb18030":
                for ch in text:
                    if "\u4e00" <= ch <= "\u9fff":
                        ideographs += 1
                    elif (ord(ch) < 32 and ch not in "\t\n\r") or (
                        ord(ch) > 127 and not ("\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")
                    ):
                        others += 1
        decoder.decode(b"", final=True)
    return digest.hexdigest(), lines + 1, ideographs, others


def import_path(
    conn: sqlite3.Connection,
    path: str | None,
    *,
    name: str | None,
    encoding: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
) -> ImportReport:
    """Read, parse and import a document (the bundled list when `path` is None), streaming its lines."""
    from llmreads import store
    from llmreads.parse import iter_document

    source = read_document(path, encoding) if path else bundled_seed()
    with _progress(source) as on_chunk:
        return store.import_document(
            conn,
            iter_document(source.lines(), on_chunk),
            name=name,
            fallback_name=source.fallback_name,
            source=source.name,
            sha256=source.sha256,
            dry_run=dry_run,
            strict=strict,
        )


PROGRESS_MIN_LINES = 5_000  # smaller documents import in well under a second


@contextmanager
def _progress(source: Source) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for a large import, only when stderr is a terminal."""
    if source.lines_total < PROGRESS_MIN_LINES or not sys.stderr.isatty():
        yield None
        return
    from llmreads import render

    with render.line_progress("Importing", source.lines_total) as advance:
        yield advance
