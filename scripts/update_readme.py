"""Re-run every command of the README's tour and paste what it printed.

Each block in README.md of the form

    <!-- run: llmreads list --stars 4 -->
    ```
    ...output...
    ```

gets its output replaced by a fresh run, in order, against one new database
(user `ada`), each in a real terminal of 80 columns (util-linux `script`),
without colour. $SEED names the bundled list's file. The arXiv API and
Crossref are a local stand-in on 127.0.0.1 (tests/fake_services.py, answering
in their documented formats) that knows the papers of TOUR_PAPERS: the "Your
own papers" part of the tour needs no network and prints the same every time.
Usage: python scripts/update_readme.py
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"

# What the stand-in for arXiv knows: (id, title, authors, first-version date, abstract).
TOUR_PAPERS = [
    ("2307.09288", "Llama 2: Open Foundation and Fine-Tuned Chat Models",
     ["Hugo Touvron", "Louis Martin", "Kevin Stone", "Peter Albert"], "2023-07-18T14:31:57Z",
     "In this work, we develop and release Llama 2, a collection of pretrained and fine-tuned large language"
     " models (LLMs) ranging in scale from 7 billion to 70 billion parameters."),
    ("2305.18290", "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
     ["Rafael Rafailov", "Archit Sharma", "Eric Mitchell", "Stefano Ermon", "Christopher D. Manning",
      "Chelsea Finn"], "2023-05-29T17:57:46Z",
     "We introduce Direct Preference Optimization (DPO), which fine-tunes a language model on preference data"
     " with a simple classification loss, without fitting a reward model or sampling during fine-tuning."),
    ("2312.00752", "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", ["Albert Gu", "Tri Dao"],
     "2023-12-01T18:01:34Z",
     "We introduce Mamba, a selective state space model architecture that scales linearly in sequence length."),
    ("2302.13971", "LLaMA: Open and Efficient Foundation Language Models",
     ["Hugo Touvron", "Thibaut Lavril", "Gautier Izacard", "Xavier Martinet"], "2023-02-27T17:11:15Z",
     "We introduce LLaMA, a collection of foundation language models ranging from 7B to 65B parameters."),
]


def tour_services() -> tuple[object, dict[str, str]]:
    """The local stand-in for arXiv and Crossref, started; and the settings that point llmreads at it."""
    import sys

    sys.path.insert(0, str(README.parent / "tests"))
    from fake_services import FakeServices, Server

    fake = FakeServices()
    for arxiv, title, authors, published, abstract in TOUR_PAPERS:
        fake.add_arxiv(arxiv, title, authors, published=published, abstract=abstract, category="cs.CL")
    server = Server(fake)
    settings = {"LLMREADS_ARXIV_API": fake.arxiv_api, "LLMREADS_CROSSREF_API": fake.crossref_api,
                "LLMREADS_ARXIV_DELAY": "0"}
    return server, settings
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BLOCK = re.compile(r"(<!-- run: (?P<cmd>.+?) -->\n```[a-z]*\n)(?P<out>.*?)(```)", re.S)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    server, settings = tour_services()
    with tempfile.TemporaryDirectory() as folder:
        env = dict(
            os.environ,
            LLMREADS_DB=str(Path(folder) / "tour.db"),
            LLMREADS_USER="ada",
            LLMREADS_CONFIG=str(Path(folder) / "config.toml"),
            SEED=str(README.parent / "seeds" / "llm_paper_reading.md"),
            NO_COLOR="1",
            **settings,
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

        try:
            README.write_text(BLOCK.sub(run, text), encoding="utf-8")
        finally:
            server.close()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
