"""Reading documents: the bundled list, files and stdin, checked, then streamed line by line."""

from __future__ import annotations

import codecs
import io
import os
import sqlite3
import stat
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

    _check_encoding(encoding)
    if path == "-":
        held = _read_once(sys.stdin.buffer, "stdin", encoding, f"stdin holds more than {_limit()}; split the list")
        return _source(held, "<stdin>", "stdin", "stdin", encoding)
    file = Path(path)
    try:
        info = file.stat()
    except FileNotFoundError:
        raise ImportFailed(f"{path} does not exist") from None
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImportFailed(f"{path} is a directory, not a markdown file")
    if not stat.S_ISREG(info.st_mode):
        # A FIFO, `<(cmd)` (/dev/fd/N) or a device: it can be read only once,
        # and its size is not known in advance.
        try:
            raw = file.open("rb")
        except OSError as exc:
            raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None
        with raw:
            held = _read_once(raw, path, encoding, f"{path} is larger than {_limit()}; split the list")
        return _source(held, os.path.abspath(path), file.stem, path, encoding)
    if info.st_size > MAX_DOCUMENT_BYTES:
        raise ImportFailed(f"{path} is larger than {_limit()}; split the list")

    def open_binary() -> BinaryIO:
        try:
            return file.open("rb")
        except OSError as exc:
            raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None

    return _source(open_binary, str(file.resolve()), file.stem, path, encoding)


def _limit() -> str:
    return f"{MAX_DOCUMENT_BYTES // 2**20} MiB"


def _check_encoding(encoding: str | None) -> None:
    """Refuse an --encoding Python does not know, or a codec that does not turn bytes into text."""
    from llmreads.errors import ImportFailed

    if encoding is None:
        return
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise ImportFailed(f"unknown encoding {encoding!r}") from None
    if not getattr(info, "_is_text_encoding", True):  # hex, base64, rot13, zlib...: bytes to bytes
        raise ImportFailed(f"--encoding {encoding} is not a text encoding")


def _chosen_encoding(head: bytes, encoding: str | None, label: str) -> str | None:
    """The encoding named or given by a BOM, else None; refuses bytes that are plainly not text."""
    from llmreads.errors import ImportFailed

    chosen = encoding
    if chosen is None:
        chosen = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    if chosen is None and b"\x00" in head:
        raise ImportFailed(f"{label} is a binary file, not a markdown document")
    return chosen


HEAD_BYTES = 65536  # what decides whether a document is binary
IN_MEMORY_BYTES = 16 * 1024 * 1024  # a document read once is kept in memory up to this, then in a temporary file


def _read_once(raw: BinaryIO, label: str, encoding: str | None, too_large: str) -> Callable[[], BinaryIO]:
    """Read a stream that cannot be read twice, up to the size limit; return what opens a copy of it.

    Binary bytes are refused at the first block, so `/dev/zero` is not read
    to the limit; a large document goes to a temporary file, not to memory.
    """
    from llmreads.errors import ImportFailed

    head = raw.read(HEAD_BYTES)
    _chosen_encoding(head, encoding, label)
    blocks, size, spill = [head], len(head), None
    while block := raw.read(BLOCK):
        size += len(block)
        if size > MAX_DOCUMENT_BYTES:
            if spill is not None:
                spill.close()
            raise ImportFailed(too_large)
        if spill is None and size > IN_MEMORY_BYTES:
            import tempfile

            spill = tempfile.TemporaryFile(prefix="llmreads-import-")
            spill.writelines(blocks)
            blocks = []
        if spill is not None:
            spill.write(block)
        else:
            blocks.append(block)
    if spill is None:
        data = b"".join(blocks)
        return lambda: io.BytesIO(data)
    spill.flush()
    held = spill

    def open_copy() -> BinaryIO:
        # Each pass gets its own handle from the start (a dup shares the offset, and passes run one at a time).
        os.lseek(held.fileno(), 0, os.SEEK_SET)
        return os.fdopen(os.dup(held.fileno()), "rb")

    return open_copy


def _source(
    open_binary: Callable[[], BinaryIO], name: str, fallback: str, label: str, encoding: str | None
) -> Source:
    """Check the bytes (encoding, binary or not) and fingerprint them, reading block by block."""
    from llmreads.errors import ImportFailed

    with open_binary() as raw:
        head = raw.read(HEAD_BYTES)
    chosen = _chosen_encoding(head, encoding, label)
    candidates = [chosen] if chosen else ["utf-8", "gb18030"]
    for candidate in candidates:
        try:
            digest, lines, ideographs, others = _scan(open_binary, candidate)
        except LookupError:
            raise ImportFailed(f"unknown encoding {candidate!r}") from None
        except UnicodeError as exc:  # a decode error, or a codec refusing its input (punycode, undefined)
            if chosen:
                where = f" (byte {exc.start} of a block)" if isinstance(exc, UnicodeDecodeError) else ""
                raise ImportFailed(f"{label} is not {candidate} text{where}") from None
            continue
        # GB18030 decodes almost any bytes, so only text that reads as Chinese counts; an
        # encoding the user named is used as given (gb18030, GBK, cp936: never second-guessed).
        if not chosen and candidate == "gb18030" and not (ideographs and others <= ideographs // 10):
            break
        return Source(name, fallback, candidate, digest, lines, open_binary)
    raise ImportFailed(f"{label} is not UTF-8 text (name its encoding with --encoding)")


def _scan(open_binary: Callable[[], BinaryIO], encoding: str) -> tuple[str, int, int, int]:
    """Decode every byte (raising on the first bad one); return sha256, line count and script counts."""
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
                    elif (ord(ch) < 32 and ch not in "\t\n\r") or (ord(ch) > 127 and not _in_gbk_symbols(ch)):
                        others += 1
        decoder.decode(b"", final=True)
    return digest.hexdigest(), lines + 1, ideographs, others


# The symbols GBK holds besides ideographs (its rows A1-A9 and the punctuation of
# GB18030): Latin-1 signs, Greek and Cyrillic, punctuation, arrows, maths, box drawing,
# shapes and stars (★ ☆ ●), CJK punctuation, kana, bopomofo, full-width forms.
_GBK_SYMBOLS = (
    ("\u00a0", "\u00ff"), ("\u0370", "\u04ff"), ("\u2000", "\u22ff"), ("\u2460", "\u27bf"),
    ("\u3000", "\u33ff"), ("\ufe30", "\ufe4f"), ("\uff00", "\uffef"),
)


def _in_gbk_symbols(ch: str) -> bool:
    return any(low <= ch <= high for low, high in _GBK_SYMBOLS)


def import_path(
    conn: sqlite3.Connection,
    path: str | None,
    *,
    name: str | None,
    encoding: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    reader: str | None = None,
) -> ImportReport:
    """Read, parse and import a document (the bundled list when `path` is None), streaming its lines.

    `reader`: the user who takes the statuses and notes an llmreads export carries (see import_document).
    """
    from llmreads.store.importer import import_document, import_unchanged

    source = read_document(path, encoding) if path else bundled_seed()
    # The very bytes the list was last imported from: known without loading the parser (and mistune).
    unchanged = import_unchanged(conn, name=name, fallback_name=source.fallback_name, source=source.name,
                                 sha256=source.sha256, dry_run=dry_run, strict=strict, reader=reader)
    if unchanged is not None:
        return unchanged
    from llmreads.models import KnownRows
    from llmreads.parse import iter_document

    known = KnownRows()  # what the list holds, which the import fills for the parser to skip (parse.reuse)
    with _progress(source) as on_chunk:
        return import_document(
            conn,
            iter_document(source.lines(), on_chunk, reuse=known),
            name=name,
            fallback_name=source.fallback_name,
            source=source.name,
            sha256=source.sha256,
            dry_run=dry_run,
            strict=strict,
            reader=reader,
            reuse=known,
            again=lambda: iter_document(source.lines(), on_chunk, reuse=KnownRows()),  # every row read
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
