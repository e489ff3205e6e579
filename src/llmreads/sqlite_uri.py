"""Store layer, smallest part: the SQLite `file:` URI that opens a database file read-only.

Its own module so that shell completion, which runs on every Tab press, can
open the database read-only without loading db.py (and the migrations it
imports).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote


def readonly_uri(path: Path, *, immutable: bool = False) -> str:
    """`file:` URI of `path` with `mode=ro` (and `immutable=1`), for `sqlite3.connect(uri, uri=True)`.

    In a URI's path `?` would start the query, `#` the fragment and `%` an
    escape (https://sqlite.org/uri.html): every byte but letters, digits and
    `/_.-~` is %-escaped, file names that are not UTF-8 included. The empty
    authority (`file://` before the absolute path) keeps a path that starts
    with `//` from being read as a host name.
    """
    escaped = quote(os.fsencode(path.absolute()))
    return f"file://{escaped}?mode=ro" + ("&immutable=1" if immutable else "")
