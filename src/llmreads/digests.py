"""The 64-bit digests an import keeps of what it read: one blake2b step, in one place.

A table's key, a row's digests (parse.reuse) and an entry's identity and
content (store.importer) are 8 bytes of blake2b read as a signed big-endian
integer, which SQLite stores as an INTEGER. The parser's fingerprint covers
this module: a change here makes the next re-import read every row again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def digest64(data: bytes, key: bytes = b"") -> int:
    """64 bits of blake2b of `data` (keyed by `key`, if any), signed: an SQLite integer."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8, key=key).digest(), "big", signed=True)


def text_digests64(texts: Iterable[str]) -> list[int]:
    """digest64 of each text's UTF-8 (surrogates passed through), for many texts: one expression a text."""
    blake2b, from_bytes = hashlib.blake2b, int.from_bytes
    return [from_bytes(blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big", signed=True)
            for text in texts]
