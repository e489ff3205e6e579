"""Third-party text on its way out: JSON, the terminal, spreadsheets, Rich, and user names."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner, Result

from llmreads.cli import app

LORA = "arxiv:2106.09685"
# C1 controls (CSI, NEL), bidi overrides and isolates, DEL, ESC, BEL: text a note may hold.
HOSTILE_NOTE = (
    "rtl \u202eevil\u202c iso \u2066x\u2069 csi \x9b31m nel \x85 del \x7f esc \x1b[31mred\x1b[0m bel \x07 中文"
)
RAW_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def run(*args: str, input: str | None = None, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input, env=env)


def ok(*args: str, input: str | None = None, env: dict[str, str | None] | None = None) -> Result:
    result = run(*args, input=input, env=env)
    assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    return result


# ---------------------------------------------------------------- JSON


def test_json_exports_escape_controls_and_bidi_marks_and_read_back_the_same(tmp_path: Path) -> None:
    ok("note", "add", LORA, HOSTILE_NOTE)
    outputs = {
        "export": ok("export", "--format", "json").stdout,
        "user-data export": ok("user-data", "export").stdout,
        "note list --json": ok("note", "list", "--json").stdout,
    }
    target = tmp_path / "papers.json"
    ok("export", "-o", str(target))
    outputs["export -o"] = target.read_text(encoding="utf-8")
    for name, text in outputs.items():
        assert not RAW_UNSAFE.findall(text), (name, RAW_UNSAFE.findall(text))
        assert "\\u202e" in text and "\\u009b" in text, name
        assert "中文" in text, name  # other text stays as it is (ensure_ascii=False)
    papers = json.loads(outputs["export"])
    assert [n["text"] for p in papers for n in p["notes"]] == [HOSTILE_NOTE]
    assert json.loads(outputs["export -o"]) == papers
    users = json.loads(outputs["user-data export"])["users"]
    assert [n["text"] for n in users["alice"]["notes"]] == [HOSTILE_NOTE]
