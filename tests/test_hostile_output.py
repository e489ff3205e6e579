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


# ---------------------------------------------------------------- the terminal

TERMINAL = {"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "80"}
TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
ESC_URL_LIST = "# Links\n\n## 1 Odd\n\n| ID | Paper |\n| - | - |\n| 1 | [Esc link](https://example.com/\x1b[31mred) |\n"


def test_every_export_format_is_cleaned_for_a_terminal_and_left_as_it_is_for_a_pipe() -> None:
    ok("note", "add", LORA, HOSTILE_NOTE + "\r\nsecond line")
    for format_ in ("json", "csv", "markdown", "bibtex"):
        shown = ok("export", "--format", format_, "--status", "unread", env=TERMINAL).stdout
        assert shown and not TERMINAL_UNSAFE.findall(shown), (format_, TERMINAL_UNSAFE.findall(shown))
    shown = ok("export", "--format", "markdown", env=TERMINAL).stdout
    assert "esc  [31mred [0m bel" in shown.replace("\\", "") and "second line" in shown
    assert shown.count("\n") == ok("export", "--format", "markdown").stdout.count("\n")  # the same lines
    piped = ok("export", "--format", "markdown").stdout
    assert "\x1b\\[31mred\x1b\\[0m bel \x07" in piped and "\u202eevil" in piped  # the data as it is
    csv_piped = ok("export", "--format", "csv").stdout
    assert "\x1b[31m" in csv_piped and "\x85" in csv_piped


def test_a_markdown_export_piped_into_import_reads_back_as_the_same_papers(tmp_path: Path) -> None:
    ok("mark-read", LORA)
    ok("note", "add", LORA, HOSTILE_NOTE)
    text = ok("export", "--format", "markdown").stdout
    other = str(tmp_path / "other.db")
    ok("--db", other, "import", "-", "--name", "mine", input=text)
    mine = json.loads(ok("--db", other, "list", "--json").stdout)
    original = json.loads(ok("list", "--json").stdout)
    assert [(p["key"], p["title"], p["stars"]) for p in mine] == [(p["key"], p["title"], p["stars"]) for p in original]


def test_open_print_never_sends_a_control_character(tmp_path: Path) -> None:
    doc = tmp_path / "links.md"
    doc.write_text(ESC_URL_LIST, encoding="utf-8")
    ok("import", str(doc))
    stored = json.loads(ok("show", "Esc link", "--json").stdout)["url"]
    assert "\x1b" in stored  # what a list may hold
    for env in (TERMINAL, {"LLMREADS_FORCE_TERMINAL": "0"}):
        printed = ok("open", "--print", "Esc link", env=env).stdout
        assert printed.startswith("https://example.com/") and printed.endswith("\n")
        assert not TERMINAL_UNSAFE.findall(printed), printed


# ---------------------------------------------------------------- Rich markup


def test_a_user_name_is_never_read_as_rich_markup() -> None:
    colour = {**TERMINAL, "LLMREADS_COLOR": "1"}
    for name in ("[/]", "[link=file:///etc/passwd]x[/link]", "[bold red]ada"):
        for env in (TERMINAL, colour):
            shown = ok("--user", name, "progress", env=env).stdout
            assert f"Reading progress of {name}" in re.sub(r"\x1b\[[0-9;]*m", "", shown), shown
            assert "\x1b]8;" not in shown  # no hyperlink


def test_a_list_name_heading_the_sections_is_cleaned(tmp_path: Path) -> None:
    doc = tmp_path / "links.md"
    doc.write_text(ESC_URL_LIST, encoding="utf-8")
    ok("import")
    ok("import", str(doc), "--name", "mine \x1b[31mred\x07 \u202eevil")
    shown = ok("sections", env=TERMINAL).stdout
    assert "mine [31mred evil" in shown
    assert not TERMINAL_UNSAFE.findall(shown), TERMINAL_UNSAFE.findall(shown)
