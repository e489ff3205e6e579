"""Re-run every command of the README's tour and paste what it printed.

Each block in README.md of the form

    <!-- run: llmreads list --stars 4 -->
    ```
    ...output...
    ```

gets its output replaced by a fresh run, in order, against one new database
(user `ada`, 80 columns, as a terminal without colour would show it).
Usage: python scripts/update_readme.py
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- run: (?P<cmd>.+?) -->\n```[a-z]*\n)(?P<out>.*?)(```)", re.S)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        env = dict(
            os.environ,
            LLMREADS_DB=str(Path(folder) / "tour.db"),
            LLMREADS_USER="ada",
            LLMREADS_FORCE_TERMINAL="1",
            COLUMNS="80",
            NO_COLOR="1",
        )

        def run(match: re.Match[str]) -> str:
            command = match.group("cmd")
            done = subprocess.run(
                ["bash", "-c", command + " 2>&1"], env=env, capture_output=True, text=True, cwd=folder
            )
            output = "\n".join(line.rstrip() for line in done.stdout.splitlines())
            return f"{match.group(1)}$ {command}\n{output}\n{match.group(4)}"

        README.write_text(BLOCK.sub(run, text), encoding="utf-8")


if __name__ == "__main__":
    main()
