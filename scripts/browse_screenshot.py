"""Make docs/browse.svg, the README's picture of `llmreads browse`, as Textual exports it.

A new database holding the bundled list, two papers marked (read, reading)
and a note, the screen at 120x30 with a search typed; run headless.
Usage: python scripts/browse_screenshot.py
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "browse.svg"


def main() -> None:
    from llmreads.db import open_db
    from llmreads.sources import import_path
    from llmreads.store.notes import add_note
    from llmreads.store.papers import resolve_ref
    from llmreads.store.tracking import set_status
    from llmreads.tui.app import BrowseApp

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "screenshot.db"
        conn = open_db(path)
        import_path(conn, None, name=None)
        lora, scaling = resolve_ref(conn, "lora"), resolve_ref(conn, "2303.15647")
        set_status(conn, "ada", [lora], "read")
        set_status(conn, "ada", [scaling], "reading")
        add_note(conn, "ada", lora, "Rank 8 was enough for our 7B model; try it on the attention projections first.")
        app = BrowseApp(conn, "ada", path, query="微调", poll=False)

        async def shoot() -> None:
            async with app.run_test(size=(120, 30)) as pilot:
                await pilot.pause()
                OUT.write_text(app.export_screenshot(title="llmreads browse"), encoding="utf-8")

        try:
            asyncio.run(shoot())
        finally:
            app.writer.close()
            conn.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
