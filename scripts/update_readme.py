"""Re-run every command of the README's tour and paste what it printed.

Each block in README.md of the form

    <!-- run: llmreads list --stars 4 -->
    ```
    ...output...
    ```

gets its output replaced by a fresh run, in order, against one new database
(user `ada`), each in a real terminal of 80 columns (util-linux `script`),
without colour. $SEED names the bundled list's file.
Usage: python scripts/update_readme.py
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BLOCK = re.compile(r"(<!-- run: (?P<cmd>.+?) -->\n```[a-z]*\n)(?P<out>.*?)(```)", re.S)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        env = dict(
            os.environ,
            LLMREADS_DB=str(Path(folder) / "tour.db"),
            LLMREADS_USER="ada",
            LLMREADS_CONFIG=str(Path(folder) / "config.toml"),
            SEED=str(README.parent / "seeds" / "llm_paper_reading.md"),
            NO_COLOR="1",
        )
        env.pop("COLUMNS", None)
        env.pop("LLMREADS_FORCE_TERMINAL", None)

        def run(match: re.Match[str]) -> str:
            command = match.group("cmd")
            in_terminal = f"stty cols 80 rows 50; {command}"
            done = subprocess.run(
                ["script", "-qec", in_terminal, "/dev/null"], env=env, capture_output=True, text=True, cwd=folder
            )
            shown = ANSI.sub("", done.stdout.replace("\r", ""))  # bold and dim cannot show in markdown
            output = "\n".join(line.rstrip() for line in shown.splitlines())
            return f"{match.group(1)}$ {command}\n{output}\n{match.group(4)}"

        README.write_text(BLOCK.sub(run, text), encoding="utf-8")


if __name__ == "__main__":
    main()
