"""The command line, run in-process with Typer's CliRunner (stdout and stderr kept apart)."""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from pathlib import Path

import pytest

from helpers import FIXTURES, snapshot

LORA = "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"

# Papers with four or five stars, worked out by hand from the ✡ in the seed's ID column.
FOUR_PLUS = {
    "09794a": "Language Models are Few-Shot Learners",
    "008403": "Training language models to follow instructions with human feedback",
    "f77a8b": "Attention Is All You Need",
    "6e0310": "Finetuned Language Models Are Zero-Shot Learners",
    "a31f45": "Pre-train, Prompt, and Predict: A Systematic Survey of Prompting Methods in Natural Language Processing",
    "240ba8": "Fine-Tuning Language Models from Human Preferences",
    "fdcc67": "Scaling Down to Scale Up: A Guide to Parameter-Efficient Fine-Tuning",
    "50f228": LORA,
    "69f176": "Zero-Shot Text-to-Image Generation",
    "fcd11b": "High-Resolution Image Synthesis with Latent Diffusion Models",
    "88bfb3": "ChatGLM-6B",
}

SECTIONS = [
    ("1", "OpenAI/Google 基础语言大模型", 8),
    ("2", "LLM的关键技术", 57),
    ("2.1", "ICL", 10),
    ("2.2", "CoT", 4),
    ("2.3", "RLHF", 10),
    ("2.4", "PEFT", 6),
    ("2.5", "Embedding/位置编码/激活函数/attention加速", 18),
    ("2.6", "综述及其他", 9),
    ("3", "大模型与多模态相关", 30),
    ("4", "类ChatGPT及垂域版类ChatGPT开源模型", 23),
]

MARKUP_LIST = """# Markup

1. # Sec [red]one[/]

| **ID** | **Paper** | **Introduction** |
| ------ | --------- | ---------------- |
| 1✡✡ | [[bold]x[/] paper](https://example.org/x) | intro [b]y[/b] |
| 2✡ | \\[bold\\]plain\\[/\\] title | none |
"""


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result.stdout


def json_out(result):  # type: ignore[no-untyped-def]
    return json.loads(ok(result))


@pytest.fixture
def db() -> Path:
    return Path(os.environ["LLMREADS_DB"])


# ---------------------------------------------------------------- first use and listing


def test_first_use_imports_the_bundled_list(cli, db):
    result = cli("list", "--stars", "4", "--json")
    rows = json_out(result)
    assert result.stderr == f"llmreads: imported the bundled list (118 papers) into {db}\n"
    assert {row["id"]: row["title"] for row in rows} == FOUR_PLUS
    assert [row["id"] for row in rows] == list(FOUR_PLUS)  # list order
    assert all(row["stars"] >= 4 and row["status"] == "unread" for row in rows)
    again = cli("list", "--stars", "4", "--json")
    assert again.stderr == ""
    assert json_out(again) == rows


def test_list_json_fields(seeded, cli):
    rows = json_out(cli("list", "--json"))
    assert len(rows) == 118
    lora = next(row for row in rows if row["id"] == "50f228")
    assert lora == {
        "id": "50f228",
        "key": "arxiv:2106.09685",
        "title": LORA,
        "url": "https://arxiv.org/pdf/2106.09685.pdf",
        "arxiv": "2106.09685",
        "stars": 5,
        "sections": ["2.4 PEFT"],
        "status": "unread",
        "status_at": None,
        "authors": [],  # until `enrich` fetches them
        "year": 2021,  # from the arXiv id
        "tags": [],
        "my_stars": None,
    }


def test_list_plain_output_is_tab_separated(seeded, cli):
    lines = ok(cli("list", "--stars", "5")).splitlines()
    assert [line.split("\t")[0] for line in lines] == ["09794a", "f77a8b", "240ba8", "50f228", "88bfb3"]
    for line in lines:
        fields = line.split("\t")
        assert len(fields) == 5
        assert fields[1] == "5" and fields[2] == "unread"
    assert lines[3].split("\t")[3:] == [LORA, "2.4 PEFT"]


def test_list_limit_and_sort(seeded, cli):
    rows = json_out(cli("list", "--sort", "stars", "--limit", "3", "--json"))
    assert [row["stars"] for row in rows] == [5, 5, 5]
    rows = json_out(cli("list", "--sort", "title", "--limit", "2", "--json"))
    assert [row["title"] for row in rows] == [
        "A Comprehensive Survey on Pretrained Foundation Models: A History from BERT to ChatGPT",
        "A Comprehensive Survey on Segment Anything Model for Vision and Beyond",
    ]


def test_list_section_number_includes_subsections(seeded, cli):
    rows = json_out(cli("list", "--section", "2", "--json"))
    assert len(rows) == 57
    labels = {label for row in rows for label in row["sections"]}
    assert {"2 LLM的关键技术", "2.1 ICL", "2.2 CoT", "2.3 RLHF", "2.4 PEFT", "2.6 综述及其他"} <= labels
    for row in rows:
        assert any(label.split(" ")[0] in ("2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6") for label in row["sections"])
    assert "Attention Is All You Need" in {row["title"] for row in rows}


def test_list_section_by_title_fragment(seeded, cli):
    rows = json_out(cli("list", "--section", "rlhf", "--json"))
    assert len(rows) == 10
    assert all("2.3 RLHF" in row["sections"] for row in rows)
    rows = json_out(cli("list", "--section", "多模态", "--json"))
    assert len(rows) == 30
    assert all(row["sections"] == ["3 大模型与多模态相关"] for row in rows)


def test_sections_json_counts(seeded, cli):
    tree = json_out(cli("sections", "--json"))
    assert [(s["number"], s["title"], s["papers"]) for s in tree] == SECTIONS
    assert all(s["read"] == 0 for s in tree)


def test_search_snippets_mark_where_the_text_was_cut(cli, seeded):
    def snippets(query: str) -> dict[str, str]:
        return {row["id"]: row["snippet"] for row in json_out(cli("search", query, "--json"))}

    def introduction(paper: str) -> str:
        return str(json_out(cli("show", paper, "--json"))["entries"][0]["introduction"])

    found = snippets("lora")
    # LoRA's match opens its long introduction: cut at the end only.
    lora, lora_intro = found["50f228"], introduction("50f228")
    assert lora.endswith("…") and not lora.startswith("…")
    assert lora_intro.startswith(lora[:-1]) and len(lora_intro) > len(lora)
    # Scaling Down's match is far into it: cut at the start only, shown to the end.
    scaling, scaling_intro = found["fdcc67"], introduction("fdcc67")
    assert scaling.startswith("…") and not scaling.endswith("…")
    assert scaling_intro.endswith(scaling[1:]) and len(scaling_intro) > len(scaling)
    # A short introduction is shown whole, with no mark.
    assert snippets("涌现")["45c615"] == introduction("45c615") == "Google 22年8月份，探讨大语言模型的涌现能力"


# ---------------------------------------------------------------- statuses


def test_mark_read_then_list_by_status(seeded, cli):
    out = ok(cli("mark-read", "lora", "1706.03762"))
    assert "50f228" in out and "f77a8b" in out
    rows = json_out(cli("list", "--status", "read", "--json"))
    assert [row["id"] for row in rows] == ["f77a8b", "50f228"]
    assert all(row["status"] == "read" and row["status_at"] for row in rows)
    marked = json_out(cli("mark-reading", "arXiv:2005.14165", "--json"))
    assert [(row["id"], row["status"]) for row in marked] == [("09794a", "reading")]
    assert [row["id"] for row in json_out(cli("list", "--status", "reading", "--json"))] == ["09794a"]
    ok(cli("mark-unread", "50f228"))
    assert [row["id"] for row in json_out(cli("list", "--status", "read", "--json"))] == ["f77a8b"]
    assert len(json_out(cli("list", "--status", "unread", "--json"))) == 116
    # Another user sees none of it.
    assert json_out(cli("--user", "bob", "list", "--status", "read", "--json")) == []
    assert json_out(cli("list", "--status", "read", "--json", env={"LLMREADS_USER": "bob"})) == []


def test_mark_read_with_a_bad_ref_marks_nothing(seeded, cli, one_error):
    ok(cli("list", "--limit", "1"))
    line = one_error(cli("mark-read", "lora", "no such paper here"))
    assert "no such paper here" in line
    assert json_out(cli("list", "--status", "read", "--json")) == []


def test_show_json_fields(seeded, cli):
    ok(cli("note", "add", "lora", "rank 8 is enough"))
    ok(cli("mark-reading", "lora"))
    detail = json_out(cli("show", "lora", "--json"))
    assert {"id", "key", "title", "url", "arxiv", "stars", "sections", "status", "entries", "links", "notes"} <= set(
        detail
    )
    assert (detail["id"], detail["key"], detail["title"]) == ("50f228", "arxiv:2106.09685", LORA)
    assert (detail["url"], detail["arxiv"], detail["stars"]) == (
        "https://arxiv.org/pdf/2106.09685.pdf",
        "2106.09685",
        5,
    )
    assert (detail["sections"], detail["status"], detail["links"]) == (["2.4 PEFT"], "reading", [])
    [entry] = detail["entries"]
    assert (entry["section"], entry["number"], entry["stars"], entry["line"]) == ("2.4 PEFT", 2, 5, 87)
    assert entry["introduction"].startswith("LoRa 微调方法论文")
    assert [(n["id"], n["text"], n["paper"]) for n in detail["notes"]] == [(1, "rank 8 is enough", "50f228")]


def test_show_json_of_a_duplicated_paper(seeded, cli):
    detail = json_out(cli("show", "1909.08593", "--json"))
    assert detail["title"] == "Fine-Tuning Language Models from Human Preferences"
    assert detail["stars"] == 5
    assert detail["sections"] == ["2.3 RLHF"]
    assert [(e["number"], e["stars"], e["line"]) for e in detail["entries"]] == [(1, 5, 68), (6, 1, 73)]
    assert len(detail["links"]) == 23
    assert detail["links"][0] == {"text": "解读", "url": "https://huggingface.co/blog/zh/rlhf"}
    assert detail["notes"] == [] and detail["status"] == "unread"


def test_show_plain_output(seeded, cli):
    out = ok(cli("show", "2106.09685v2", env={"COLUMNS": "100"}))
    assert out.splitlines()[0] == LORA
    assert "50f228" in out and "arxiv:2106.09685" in out and "2.4 PEFT" in out


# ---------------------------------------------------------------- notes


def test_note_add_list_edit_delete(seeded, cli):
    out = ok(cli("note", "add", "lora", "first note"))
    assert out == f"Added note 1 to 50f228  {LORA}\n"
    ok(cli("note", "add", "1706.03762", "second note"))
    notes = json_out(cli("note", "list", "--json"))
    assert [(n["id"], n["paper"], n["text"]) for n in notes] == [
        (1, "50f228", "first note"),
        (2, "f77a8b", "second note"),
    ]
    assert [n["id"] for n in json_out(cli("note", "list", "lora", "--json"))] == [1]
    assert ok(cli("note", "edit", "1", "changed text")) == "Updated note 1.\n"
    assert [n["text"] for n in json_out(cli("note", "list", "lora", "--json"))] == ["changed text"]
    lines = ok(cli("note", "list")).splitlines()
    assert [line.split("\t")[0] for line in lines] == ["1", "2"]
    assert ok(cli("note", "delete", "1")) == "Deleted note 1.\n"
    assert [n["id"] for n in json_out(cli("note", "list", "--json"))] == [2]
    ok(cli("note", "delete", "2"))
    assert ok(cli("note", "list")) == "No notes yet.\n"
    # bob cannot see or touch alice's notes
    ok(cli("note", "add", "lora", "alice only"))
    assert json_out(cli("--user", "bob", "note", "list", "--json")) == []


def _editor(tmp_path: Path, body: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(body, encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def test_note_edit_in_editor(seeded, cli, tmp_path):
    ok(cli("note", "add", "lora", "before the editor"))
    seen = tmp_path / "seen.txt"
    editor = _editor(
        tmp_path,
        "import sys, pathlib\n"
        "path = pathlib.Path(sys.argv[1])\n"
        f"pathlib.Path({str(seen)!r}).write_text(path.read_text(encoding='utf-8'), encoding='utf-8')\n"
        "path.write_text('written by the editor\\n', encoding='utf-8')\n",
    )
    assert ok(cli("note", "edit", "1", env={"EDITOR": editor})) == "Updated note 1.\n"
    assert seen.read_text(encoding="utf-8") == "before the editor\n"
    assert [n["text"] for n in json_out(cli("note", "list", "--json"))] == ["written by the editor"]


def test_note_edit_in_editor_unchanged_and_failing(seeded, cli, tmp_path, one_error, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the edited text is kept
    ok(cli("note", "add", "lora", "keep me"))
    untouched = _editor(tmp_path, "pass\n")
    assert ok(cli("note", "edit", "1", env={"EDITOR": untouched})) == "Note 1 unchanged.\n"
    failing = _editor(tmp_path, "import sys, pathlib\npathlib.Path(sys.argv[1]).write_text('lost')\nsys.exit(3)\n")
    error = one_error(cli("note", "edit", "1", env={"EDITOR": failing}))
    kept = Path(error.rsplit(" ", 1)[1])
    assert "status 3" in error and kept.parent.parent == tmp_path and kept.read_text() == "lost"
    assert [n["text"] for n in json_out(cli("note", "list", "--json"))] == ["keep me"]


# ---------------------------------------------------------------- progress


def test_progress_json(seeded, cli):
    ok(cli("mark-read", "lora", "1706.03762"))
    ok(cli("mark-reading", "2212.10560"))
    data = json_out(cli("progress", "--json"))
    assert data["user"] == "alice"
    assert data["total"] == {"papers": 118, "read": 2, "reading": 1}
    assert [(s["stars"], s["papers"], s["read"], s["reading"]) for s in data["stars"]] == [
        (5, 5, 2, 0),
        (4, 6, 0, 0),
        (3, 17, 0, 0),
        (2, 30, 0, 1),
        (1, 56, 0, 0),
        (0, 4, 0, 0),
    ]
    sections = {s["number"]: (s["papers"], s["read"], s["reading"]) for s in data["sections"]}
    assert sections["2"] == (57, 2, 1)
    assert sections["2.4"] == (6, 1, 0)
    assert sections["3"] == (30, 0, 0)
    bob = json_out(cli("--user", "bob", "progress", "--json"))
    assert bob["total"] == {"papers": 118, "read": 0, "reading": 0}


# ---------------------------------------------------------------- import


def test_import_from_stdin_and_lists(cli):
    text = (FIXTURES / "duplicates.md").read_bytes()
    ok(cli("import", "-", "--name", "piped", input=text))
    names = [row["name"] for row in json_out(cli("lists", "--json"))]
    assert names == ["piped"]
    rows = json_out(cli("list", "--json"))
    assert [(r["title"], r["stars"]) for r in rows] == [("LoRA: Low-Rank Adaptation", 3), ("Other", 2)]


def test_import_same_file_twice_reports_unchanged(cli, tmp_path):
    path = tmp_path / "list.md"
    path.write_bytes((FIXTURES / "top_sections.md").read_bytes())
    first = ok(cli("import", str(path)))
    assert first.startswith("Imported Top Sections as list 'Top Sections': 3 sections, 3 entries, 3 distinct papers")
    second = ok(cli("import", str(path)))
    assert "unchanged" in second and "Imported" not in second


# ---------------------------------------------------------------- errors


def test_import_missing_path(cli, one_error, tmp_path):
    line = one_error(cli("import", str(tmp_path / "nope.md")))
    assert str(tmp_path / "nope.md") in line and "does not exist" in line


def test_import_directory(cli, one_error, tmp_path):
    line = one_error(cli("import", str(tmp_path)))
    assert str(tmp_path) in line and "directory" in line


def test_import_binary_file(cli, one_error, tmp_path):
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    line = one_error(cli("import", str(path)))
    assert str(path) in line and "binary" in line


def test_import_non_utf8_file(cli, one_error, tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes("# Caf\xe9\n\n| ID | Paper |\n| -- | -- |\n| 1 | [caf\xe9](https://e.org) |\n".encode("latin-1"))
    line = one_error(cli("import", str(path)))
    assert str(path) in line and "UTF-8" in line


def test_import_markdown_without_tables_leaves_db_unchanged(cli, one_error, seeded):
    before = snapshot(seeded)
    for args in ((), ("--name", "LLM_Paper_Reading")):
        line = one_error(cli("import", str(FIXTURES / "no_tables.md"), *args))
        assert line.startswith(f"Error: {FIXTURES / 'no_tables.md'} holds no papers"), line
    assert snapshot(seeded) == before


def test_show_unknown_ref(seeded, cli, one_error):
    assert one_error(cli("show", "zzz-no-paper")) == "Error: no paper matches 'zzz-no-paper'"


def test_show_ambiguous_ref(seeded, cli, one_error):
    result = cli("show", "language")
    line = one_error(result)
    assert "language" in line
    lines = result.stderr.splitlines()
    candidates = lines[lines.index(line) + 1 :]
    assert candidates and all(c.startswith("  ") for c in candidates)
    assert result.stdout == ""


def test_unknown_section(seeded, cli, one_error):
    assert "no-such-section" in one_error(cli("list", "--section", "no-such-section"))
    assert one_error(cli("list", "--section", "9")) == "Error: no section matches '9' (see `llmreads sections`)"
    assert "no section matches '7.7'" in one_error(cli("search", "lora", "--section", "7.7"))


def test_unknown_note(seeded, cli, one_error):
    assert one_error(cli("note", "edit", "99", "text")) == "Error: no note 99 for user alice"
    assert one_error(cli("note", "delete", "99")) == "Error: no note 99 for user alice"


def test_db_path_that_is_a_text_file(cli, one_error, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("my shopping list\n")
    assert str(path) in one_error(cli("--db", str(path), "list"))
    assert one_error(cli("list", env={"LLMREADS_DB": str(path)})) == f"Error: {path} is not an SQLite database"
    assert path.read_text() == "my shopping list\n"


def test_db_path_that_is_a_directory(cli, one_error, tmp_path):
    assert one_error(cli("--db", str(tmp_path), "list")) == f"Error: database path {tmp_path} is a directory"


def test_empty_user_name(cli, one_error):
    assert "from --user" in one_error(cli("--user", "  ", "list"))
    assert "from LLMREADS_USER" in one_error(cli("list", env={"LLMREADS_USER": "  "}))


def test_usage_errors_exit_2(cli):
    # Values outside an option's choices or range: tests/test_usage_errors.py.
    result = cli("list", "--stars", "many")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert cli("no-such-command").exit_code == 2


def test_version(cli):
    from llmreads import __version__

    assert ok(cli("--version")) == f"llmreads {__version__}\n"


# ---------------------------------------------------------------- terminal output


def test_terminal_footers_say_how_many_are_shown_of_how_many(cli, seeded):
    terminal = {"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "80"}

    def footer(*args: str) -> str:
        return ok(cli(*args, env=terminal)).rstrip("\n").splitlines()[-1]

    assert footer("list", "--stars", "4", "--limit", "3") == "3 of 11 papers · 4+ stars"
    assert footer("list", "--stars", "4") == "11 papers · 4+ stars"
    assert footer("next") == "5 of 118 papers · next to read"
    assert footer("search", "lora", "--limit", "1") == "1 of 2 papers match 'lora'"
    assert footer("search", "lora") == "2 papers match 'lora'"


def test_rich_markup_is_shown_literally(cli, tmp_path):
    path = tmp_path / "markup.md"
    path.write_text(MARKUP_LIST, encoding="utf-8")
    ok(cli("import", str(path), "--name", "markup"))
    ok(cli("note", "add", "plain", "[bold]note[/] [link=https://example.org]click[/link]"))
    terminal = {"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "80"}

    listing = ok(cli("list", env=terminal))
    assert "[bold]x[/] paper" in listing
    assert "[bold]plain[/] title" in listing
    assert "Sec [red]one[/]" in listing
    assert "\t" not in listing  # a table, not tab-separated lines

    notes = ok(cli("note", "list", env=terminal))
    assert "[bold]note[/] [link=https://example.org]click[/link]" in notes

    shown = ok(cli("show", "plain", env=terminal))
    assert "[bold]plain[/] title" in shown
    assert "[bold]note[/]" in shown

    sections = ok(cli("sections", env=terminal))
    assert "Sec [red]one[/]" in sections

    found = ok(cli("search", "paper", env=terminal))
    assert "[bold]x[/] paper" in found
    assert "[b]y[/b]" in ok(cli("show", "x paper", env=terminal))
