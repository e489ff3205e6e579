"""Third-party text on its way out: JSON, the terminal, spreadsheets, Rich, and user names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from helpers import assert_one_error
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


def test_json_exports_escape_controls_and_bidi_marks_and_read_back_the_same(seeded, tmp_path: Path) -> None:
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


def test_every_export_format_is_cleaned_for_a_terminal_and_left_as_it_is_for_a_pipe(seeded) -> None:
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


def test_a_markdown_export_piped_into_import_reads_back_as_the_same_papers(seeded, tmp_path: Path) -> None:
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


def test_a_user_name_is_never_read_as_rich_markup(seeded) -> None:
    colour = {**TERMINAL, "LLMREADS_COLOR": "1"}
    for name in ("[/]", "[link=file:///etc/passwd]x[/link]", "[bold red]ada"):
        for env in (TERMINAL, colour):
            shown = ok("--user", name, "progress", env=env).stdout
            assert f"Reading progress of {name}" in re.sub(r"\x1b\[[0-9;]*m", "", shown), shown
            assert "\x1b]8;" not in shown  # no hyperlink


def test_a_list_name_heading_the_sections_is_cleaned(seeded, tmp_path: Path) -> None:
    doc = tmp_path / "links.md"
    doc.write_text(ESC_URL_LIST, encoding="utf-8")
    ok("import")
    ok("import", str(doc), "--name", "mine \x1b[31mred\x07 \u202eevil")
    shown = ok("sections", env=TERMINAL).stdout
    assert "mine [31mred evil" in shown
    assert not TERMINAL_UNSAFE.findall(shown), TERMINAL_UNSAFE.findall(shown)


# ---------------------------------------------------------------- user names

BAD_NAMES = {"escape": "a\x1b[31mb", "bidi": "ad\u202ea", "C1": "ad\x9ba", "tab": "a\tb", "blank": "   "}


@pytest.mark.parametrize("kind", list(BAD_NAMES))
@pytest.mark.parametrize("origin", ["--user", "LLMREADS_USER", "config file", "login name"])
def test_a_bad_user_name_is_one_error_naming_where_it_came_from(tmp_path: Path, origin: str, kind: str) -> None:
    name = BAD_NAMES[kind]
    args: list[str] = []
    env: dict[str, str | None] = {}
    if origin == "--user":
        args = ["--user", name]
    elif origin == "LLMREADS_USER":
        env = {"LLMREADS_USER": name}
    elif origin == "config file":
        config = tmp_path / "config.toml"
        config.write_text(f"user = {json.dumps(name)}\n", encoding="utf-8")
        env = {"LLMREADS_USER": None, "LLMREADS_CONFIG": str(config)}
    else:
        env = {"LLMREADS_USER": None, "LOGNAME": name}
    result = run(*args, "mark-read", LORA, env=env)
    if origin == "config file" and kind == "blank":  # the config file's own check says so first
        assert f"config file {tmp_path / 'config.toml'}: user must be a non-empty string" in assert_one_error(result)
        return
    error = assert_one_error(result)
    assert {"--user": "from --user", "LLMREADS_USER": "from LLMREADS_USER",
            "config file": f"from config file {tmp_path / 'config.toml'}",
            "login name": "from the login name"}[origin] in error, error
    assert ("is only spaces" if kind == "blank" else "holds a control character") in error, error
    assert not TERMINAL_UNSAFE.findall(error)
    assert not (tmp_path / "llmreads.db").exists()  # nothing written for anyone


def test_user_data_import_skips_a_user_with_a_bad_name_and_imports_the_others(tmp_path: Path) -> None:
    note = {"key": LORA, "text": "kept", "created_at": "2024-01-01T00:00:00+00:00",
            "updated_at": "2024-01-01T00:00:00+00:00"}
    data = {"format": "llmreads-user-data", "version": 1, "exported_at": "2024-06-01T00:00:00+00:00",
            "users": {"alice": {"notes": [note]}, "b\x1b[31mob": {"notes": [note]}, "": {"notes": [note]},
                      "ca\u202erol": {"notes": [note]}, "dave": {"notes": [note]}}}
    path = tmp_path / "users.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = ok("user-data", "import", str(path), "--json")
    report = json.loads(result.stdout)
    assert sorted(report["users"]) == ["alice", "dave"]
    assert report["skipped"] == {"b\x1b[31mob": "the name holds a control character", "": "the name is empty",
                                 "ca\u202erol": "the name holds a control character"}
    for shown in ("'b\\x1b[31mob'", "''", "'ca\\u202erol'"):
        assert f"user {shown} skipped" in result.stderr, result.stderr
    assert not TERMINAL_UNSAFE.findall(result.stderr)
    users = {u["user"] for u in json.loads(ok("users", "--json").stdout)}
    assert users == {"alice", "dave"}
    again = ok("user-data", "import", str(path), "--dry-run")
    assert "'b\\x1b[31mob': skipped, the name holds a control character" in again.stdout
    assert not TERMINAL_UNSAFE.findall(again.stdout + again.stderr)


# ---------------------------------------------------------------- spreadsheets

FORMULA_TITLES = ['=HYPERLINK("http://evil.example","click")', "+1+2 plus", "-2+3 minus", "@SUM(1+1) at",
                  "A plain = title", "Another plain one"]
FORMULA_NOTES = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "a plain note", "=1+1"]


def csv_rows(text: str) -> dict[str, dict[str, str]]:
    import csv
    import io

    return {row["title"].removeprefix("'"): row for row in csv.DictReader(io.StringIO(text, newline=""))}


def test_csv_cells_that_a_spreadsheet_would_run_get_a_quote_unless_raw(tmp_path: Path) -> None:
    doc = tmp_path / "formulas.md"
    doc.write_text(
        "# Formulas\n\n## 1 Cells\n\n| ID | Paper |\n| - | - |\n"
        + "".join(f"| {i} | [{title}](https://example.com/{i}) |\n" for i, title in enumerate(FORMULA_TITLES, 1)),
        encoding="utf-8",
    )
    ok("import", str(doc), "--name", "formulas")
    papers = json.loads(ok("list", "--json").stdout)
    assert [p["title"] for p in papers] == FORMULA_TITLES
    for paper, note in zip(papers, FORMULA_NOTES, strict=True):
        ok("note", "add", str(paper["id"]), "-", input=note)
    guarded = csv_rows(ok("export", "--format", "csv").stdout)
    raw = csv_rows(ok("export", "--format", "csv", "--raw-csv").stdout)
    for title, note in zip(FORMULA_TITLES, FORMULA_NOTES, strict=True):
        assert raw[title]["title"] == title and raw[title]["notes"] == note
        assert guarded[title]["title"] == (title if title[0].isalpha() else "'" + title)
        assert guarded[title]["notes"] == (note if note[0].isalpha() else "'" + note)
        assert {k: v for k, v in guarded[title].items() if k not in ("title", "notes")} == {
            k: v for k, v in raw[title].items() if k not in ("title", "notes")}


def test_csv_guard_covers_tab_and_carriage_return_starts() -> None:
    from llmreads.export import csv_cell

    assert [csv_cell(text) for text in ("\tx", "\rx", "=x", "+x", "-x", "@x", " =x", "x=", "", "中文")] == [
        "'\tx", "'\rx", "'=x", "'+x", "'-x", "'@x", " =x", "x=", "", "中文"]
