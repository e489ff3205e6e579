"""Import any curated paper list, and update it safely.

One small fixture per format and quirk under tests/fixtures/formats/, each with
the exact papers it must yield; encodings written with Python's codecs; several
lists side by side; and re-imports of a changed seed, reported exactly and
rehearsed with --dry-run.
"""

from __future__ import annotations

import codecs
import json
import os
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers import FIXTURES, SEED_PATH, json_out, ok, snapshot
from llmreads.parse import parse

FORMATS = FIXTURES / "formats"

GPT4 = "GPT-4 Technical Report"
CODEX = "Evaluating Large Language Models Trained on Code"
OFFSITE = "Offsite-Tuning: Transfer Learning without Full Model"
QLORA = "QLoRA: Efficient Finetuning of Quantized LLMs"
ATTENTION = "Attention Is All You Need"
ATTENTION_NEW = "Attention Is All You Need (Transformer)"
LORA = "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"


def text_of(name: str) -> str:
    return (FORMATS / name).read_bytes().decode("utf-8")


def db_file() -> Path:
    return Path(os.environ["LLMREADS_DB"])


def list_names() -> list[str]:
    """The lists in the database, read without llmreads (no bundled-list auto-import)."""
    connection = sqlite3.connect(db_file())
    try:
        return [row[0] for row in connection.execute("SELECT name FROM lists ORDER BY id")]
    finally:
        connection.close()


def papers(cli, *args: str) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    """(title, url, key, stars, sections) of `list --json`, in list order."""
    rows = json_out(cli("list", "--json", *args))
    return [(r["title"], r["url"], r["key"], r["stars"], r["sections"]) for r in rows]


def import_fixture(cli, name: str) -> str:  # type: ignore[no-untyped-def]
    result = cli("import", str(FORMATS / name))
    ok(result)
    return result.stderr


def entries(name: str) -> list[tuple[object, ...]]:
    """(title, year, introduction, extra fields) of each parsed entry."""
    return [(e.title, e.year, e.intro, e.extra) for e in parse(text_of(name)).entries]


# ---------------------------------------------------------------- columns by name, any order, any language


def test_english_column_names(cli):
    assert import_fixture(cli, "columns_english.md") == ""
    section = ["1 Foundations"]
    assert papers(cli) == [
        (ATTENTION, "https://arxiv.org/abs/1706.03762", "arxiv:1706.03762", 5, section),
        ("Deep Residual Learning", "https://example.org/resnet", "url:example.org/resnet", 3, section),
        ("Unrated Preprint", "https://example.org/unrated.pdf", "url:example.org/unrated.pdf", 0, section),
    ]
    assert entries("columns_english.md") == [
        (ATTENTION, "2017", "The transformer", (("Venue", "NeurIPS"),)),
        ("Deep Residual Learning", "2015", "Skip connections", (("Venue", "CVPR"),)),
        ("Unrated Preprint", None, "", ()),
    ]


def test_chinese_column_names(cli):
    assert import_fixture(cli, "columns_chinese.md") == ""
    assert papers(cli) == [
        ("语言模型是少样本学习者", "https://arxiv.org/abs/2005.14165", "arxiv:2005.14165", 4, ["1 基础模型"]),
        ("通义千问技术报告", "https://example.cn/qwen", "url:example.cn/qwen", 3, ["1 基础模型"]),
    ]
    assert entries("columns_chinese.md") == [
        ("语言模型是少样本学习者", "2020", "GPT-3 的原始论文", (("机构", "OpenAI"),)),
        ("通义千问技术报告", "2023", "阿里巴巴的大模型", (("机构", "阿里"),)),
    ]


def test_reordered_mixed_language_column_names(cli):
    # | 说明 | date | name | 重要程度 | url | code |: the title is the third column.
    assert import_fixture(cli, "columns_reordered.md") == ""
    section = ["1 Instruction Tuning"]
    assert papers(cli) == [
        (
            "Finetuned Language Models Are Zero-Shot Learners",
            "https://arxiv.org/abs/2109.01652",
            "arxiv:2109.01652",
            4,
            section,
        ),
        ("Self-Instruct", "https://arxiv.org/abs/2212.10560", "arxiv:2212.10560", 2, section),
    ]
    assert entries("columns_reordered.md") == [
        (
            "Finetuned Language Models Are Zero-Shot Learners",
            "2021",
            "指令微调",
            (("code", "https://github.com/google-research/flan"),),
        ),
        ("Self-Instruct", "2022", "Self generated instructions", ()),
    ]


def test_unknown_columns_are_visible_to_the_user(cli):
    """Columns llmreads has no role for are kept; `show --json` must let the user see them."""
    import_fixture(cli, "columns_english.md")
    detail = json_out(cli("show", "1706.03762", "--json"))
    shown = json.dumps(detail, ensure_ascii=False)
    assert "NeurIPS" in shown, "the Venue column is stored but not shown anywhere"
    assert "venue" in shown.casefold()


# ---------------------------------------------------------------- ratings


RATINGS = [
    ("Hexagram Three", 3),  # ✡✡✡
    ("Star Four", 4),  # ⭐⭐⭐⭐
    ("Star Two Variation Selector", 2),  # ⭐️⭐️ (U+FE0F after each star)
    ("Glowing Five", 5),  # 🌟🌟🌟🌟🌟
    ("Black Star Two", 2),  # ★★
    ("Filled And Empty Three", 3),  # ★★★☆☆
    ("Fraction Four", 4),  # 4/5
    ("Digit Four", 4),  # 4
    ("Fire Three", 3),  # 🔥🔥🔥
    ("Check Mark", 0),  # ✅ is not a rating
    ("Cross Mark", 0),  # ❌
    ("Ticked Box", 0),  # [x]
    ("Empty Box", 0),  # [ ]
    ("Glowing Variation Selector One", 1),  # 🌟️
]


def test_ratings(cli):
    assert import_fixture(cli, "ratings.md") == ""
    rows = json_out(cli("list", "--json"))
    assert [(r["title"], r["stars"]) for r in rows] == RATINGS
    assert [r["url"] for r in rows] == [f"https://example.org/r/{i}" for i in range(1, 15)]


@pytest.mark.parametrize(
    ("rating", "stars"),
    [("8/10", 4), ("10/10", 5), ("2/10", 1), ("0/10", 0), ("3/4", 4), ("6 / 10", 3), ("9/3", 5)],
)
def test_a_fraction_is_scaled_to_five_stars(cli, tmp_path, rating, stars):
    path = tmp_path / "fractions.md"
    path.write_text(
        "# Fractions\n\n## Rated\n\n| Paper | Rating |\n| --- | --- |\n"
        f"| [Scaled Paper](https://example.org/scaled) | {rating} |\n",
        encoding="utf-8",
    )
    ok(cli("import", str(path)))
    assert [(r[0], r[3]) for r in papers(cli)] == [("Scaled Paper", stars)]


def test_a_checkbox_column_is_kept_as_a_field_not_read_as_stars():
    extra = [e.extra for e in parse(text_of("ratings.md")).entries][:5]
    assert extra == [(("Read", "✅"),), (("Read", "❌"),), (("Read", "[x]"),), (("Read", "[ ]"),), ()]


def test_a_column_headed_by_a_star_is_the_rating(cli):
    """`| Paper | ⭐ | Link |`: a header that is only a star glyph names the rating column."""
    import_fixture(cli, "star_header.md")
    assert [(r[0], r[3]) for r in papers(cli)] == [("Starred By Header", 3), ("Unstarred", 0)]


def test_rating_filters_use_the_parsed_stars(cli):
    import_fixture(cli, "ratings.md")
    rows = json_out(cli("list", "--stars", "4", "--json"))
    assert [r["title"] for r in rows] == ["Star Four", "Glowing Five", "Fraction Four", "Digit Four"]


# ---------------------------------------------------------------- lists of links


def test_bullet_and_numbered_lists(cli):
    assert import_fixture(cli, "bullet_lists.md") == ""
    models, training = ["2 Models"], ["3 Training"]
    assert papers(cli) == [
        (ATTENTION, "https://arxiv.org/abs/1706.03762", "arxiv:1706.03762", 3, models),
        ("BERT", "https://example.org/bert", "url:example.org/bert", 0, models),
        ("Plain Star Bullet", "https://example.org/plain", "url:example.org/plain", 0, models),
        (
            "Scaling Laws for Neural Language Models",
            "https://arxiv.org/abs/2001.08361",
            "arxiv:2001.08361",
            0,
            training,
        ),
        (
            "Training Compute-Optimal Large Language Models",
            "https://arxiv.org/pdf/2203.15556.pdf",
            "arxiv:2203.15556",
            0,
            training,
        ),
    ]
    # The table of contents (anchor links) yields no paper; its section is empty.
    tree = json_out(cli("sections", "--json"))
    assert [(s["number"], s["title"], s["papers"]) for s in tree] == [
        ("1", "Contents", 0),
        ("2", "Models", 3),
        ("3", "Training", 2),
    ]


def test_list_items_keep_their_text_and_other_links(cli):
    import_fixture(cli, "bullet_lists.md")
    scaling = json_out(cli("show", "2001.08361", "--json"))
    assert [(e["introduction"], e["links"]) for e in scaling["entries"]] == [
        ("Kaplan et al., 2020", [{"text": "code", "url": "https://github.com/openai/scaling"}]),
    ]
    chinchilla = json_out(cli("show", "2203.15556", "--json"))
    assert [(e["introduction"], e["links"]) for e in chinchilla["entries"]] == [
        ("Chinchilla", [{"text": "code", "url": "https://github.com/example/chinchilla"}]),
    ]
    bert = json_out(cli("show", "BERT", "--json"))
    assert [e["introduction"] for e in bert["entries"]] == ["encoder-only pre-training, 2018"]
    assert [(e.title, e.year) for e in parse(text_of("bullet_lists.md")).entries][1] == ("BERT", "2018")


def test_list_items_point_at_their_own_lines(cli):
    """`show --json` gives each entry's line; a list item's is the item's line, as a table row's is the row's."""
    import_fixture(cli, "bullet_lists.md")
    lines = {}
    for ref in ("1706.03762", "BERT", "Plain Star Bullet", "2001.08361", "2203.15556"):
        detail = json_out(cli("show", ref, "--json"))
        lines[detail["title"]] = detail["entries"][0]["line"]
    assert lines == {
        ATTENTION: 11,
        "BERT": 12,
        "Plain Star Bullet": 13,
        "Scaling Laws for Neural Language Models": 17,
        "Training Compute-Optimal Large Language Models": 19,
    }


# ---------------------------------------------------------------- headings and HTML


def test_headings_of_any_depth_numbered_html_and_emoji(cli):
    assert import_fixture(cli, "headings.md") == ""
    tree = json_out(cli("sections", "--json"))
    assert [(s["number"], s["title"], s["depth"], s["papers"]) for s in tree] == [
        ("1", "🚀 Foundations", 0, 3),
        ("1.1", "Transformers", 1, 2),
        ("1.1.1", "Efficient Attention", 2, 1),
        ("2", "Alignment", 0, 1),
        ("5", "Numbered Section", 0, 3),
        ("5.2", "Numbered Child", 1, 2),
        ("5.2.1", "📚 Very Deep Emoji", 2, 1),
    ]
    rows = json_out(cli("list", "--json"))
    assert [(r["title"], r["sections"]) for r in rows] == [
        ("Root Paper", ["1 🚀 Foundations"]),
        ("Deep Paper", ["1.1 Transformers"]),
        ("Deeper Paper", ["1.1.1 Efficient Attention"]),
        ("HTML Heading Paper", ["2 Alignment"]),
        ("Numbered Paper", ["5 Numbered Section"]),
        ("Child Paper", ["5.2 Numbered Child"]),
        ("Deepest Paper", ["5.2.1 📚 Very Deep Emoji"]),
    ]
    by_title = json_out(cli("list", "--section", "foundations", "--json"))
    assert [r["title"] for r in by_title] == ["Root Paper", "Deep Paper", "Deeper Paper"]
    by_number = json_out(cli("list", "--section", "5", "--json"))
    assert [r["title"] for r in by_number] == ["Numbered Paper", "Child Paper", "Deepest Paper"]


def test_details_and_html_in_cells(cli):
    assert import_fixture(cli, "details_and_html.md") == ""  # the empty row is skipped silently
    cells = ["2 HTML In Cells"]
    assert papers(cli) == [
        ("Folded Paper", "https://example.org/d/folded", "url:example.org/d/folded", 2, ["1 Hidden In Details"]),
        ("Anchor Title", "https://example.org/d/anchor", "url:example.org/d/anchor", 0, cells),
        ("Line Broken Title", "https://example.org/d/broken", "url:example.org/d/broken", 0, cells),
        ("Pipe | In Title", "https://example.org/d/pipe", "url:example.org/d/pipe", 0, cells),
        ("Empty Link Title", "", "title:empty link title", 0, cells),
        ("Empty Target", "", "title:empty target", 0, cells),
    ]
    assert [(e.intro, e.links) for e in parse(text_of("details_and_html.md")).entries] == [
        ("", ()),
        ("first line second line", ()),
        ("plain", ()),
        ("a | b", ()),
        ("nothing to open", ()),
        ("a link without a target", ()),
    ]


def test_tables_that_are_not_paper_lists_are_not_imported(cli):
    """Fenced code, an HTML comment, a badge table and a timeline hold no papers; the two tables are named."""
    assert import_fixture(cli, "not_imported.md") == (
        "left out: 2 tables with no column of paper titles:\n"
        "  line 5: Badge | License\n"
        "  line 31: Date | Event\n"
    )
    assert papers(cli) == [
        ("The Real Paper", "https://example.org/n/real", "url:example.org/n/real", 0, ["3 Papers"]),
    ]


def test_a_commented_out_section_is_not_imported(cli):
    """An HTML comment hides everything in it, headings included."""
    assert import_fixture(cli, "comment_with_heading.md") == ""
    assert papers(cli) == [
        ("Current Paper", "https://example.org/c/current", "url:example.org/c/current", 0, ["1 Current"]),
    ]


# ---------------------------------------------------------------- rows that cannot be read


def test_unreadable_rows_are_warnings_with_line_numbers(cli):
    result = cli("import", str(FORMATS / "bad_rows.md"))
    assert ok(result).splitlines()[0] == (
        "Imported Bad Rows as list 'Bad Rows': 1 section, 2 entries, 2 distinct papers"
    )
    assert result.stderr == "warning: line 8: row has no paper title\nwarning: line 10: row has no paper title\n"
    assert [(r[0], r[3]) for r in papers(cli)] == [("Good Paper", 0), ("Another Good Paper", 0)]
    assert [(e.title, e.line) for e in parse(text_of("bad_rows.md")).entries] == [
        ("Good Paper", 7),
        ("Another Good Paper", 9),
    ]


def test_import_json_lists_the_problems(cli):
    report = json_out(cli("import", str(FORMATS / "bad_rows.md"), "--json"))
    assert report["problems"] == ["line 8: row has no paper title", "line 10: row has no paper title"]
    assert (report["entries"], report["papers"]) == (2, 2)


def test_an_overlong_title_is_a_warning(cli, tmp_path):
    path = tmp_path / "long.md"
    path.write_text(
        "# Long\n\n## Papers\n\n| Title | Link |\n| --- | --- |\n| " + "x" * 2001 + " | https://e.org/long |\n"
        "| Short | https://e.org/short |\n",
        encoding="utf-8",
    )
    result = cli("import", str(path))
    ok(result)
    assert result.stderr == "warning: line 7: title is 2001 characters long; row skipped\n"
    assert [r[0] for r in papers(cli)] == ["Short"]


def test_an_unreadable_first_row_is_reported_and_keeps_the_title(cli, one_error):
    """The first row of the first table cannot be read: still a warning, and the list is still named by its H1."""
    path = FORMATS / "first_row_bad.md"
    result = cli("import", str(path))
    assert ok(result).splitlines()[0] == (
        "Imported Bad First Row as list 'Bad First Row': 1 section, 1 entry, 1 distinct paper"
    )
    assert result.stderr == "warning: line 5: row has no paper title\n"
    assert papers(cli) == [
        ("Good Paper", "https://example.org/fb/good", "url:example.org/fb/good", 0, ["1 Bad First Row"]),
    ]
    assert one_error(cli("import", str(path), "--strict", "--name", "strict")) == (
        f"Error: {path.resolve()}: line 5: row has no paper title (--strict)"
    )
    assert list_names() == ["Bad First Row"]


def test_strict_import_fails_and_writes_nothing(cli, one_error):
    ok(cli("import", str(FORMATS / "columns_english.md")))
    before = snapshot(db_file())
    error = one_error(cli("import", str(FORMATS / "bad_rows.md"), "--strict"))
    assert error == f"Error: {(FORMATS / 'bad_rows.md').resolve()}: line 8: row has no paper title (--strict)"
    assert snapshot(db_file()) == before
    assert list_names() == ["English Columns"]


def test_strict_reimport_keeps_the_previous_version(cli, one_error):
    ok(cli("import", str(FORMATS / "bad_rows.md"), "--name", "bad"))
    before = snapshot(db_file())
    error = one_error(cli("import", str(FORMATS / "bad_rows.md"), "--name", "bad", "--strict"))
    assert error == f"Error: {(FORMATS / 'bad_rows.md').resolve()}: line 8: row has no paper title (--strict)"
    assert snapshot(db_file()) == before


def test_strict_import_of_a_clean_list_succeeds(cli):
    result = cli("import", str(FORMATS / "headings.md"), "--strict")
    ok(result)
    assert result.stderr == ""
    assert list_names() == ["Headings Of Every Kind"]


# ---------------------------------------------------------------- encodings


CHINESE = [
    ("语言模型是少样本学习者", "arxiv:2005.14165", 4),
    ("通义千问技术报告", "url:example.cn/qwen", 3),
]


def _encoded(kind: str) -> bytes:
    text = text_of("columns_chinese.md")
    if kind == "utf-8 BOM CRLF":
        return codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode("utf-8")
    if kind == "utf-16-le BOM":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if kind == "utf-16-be BOM":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    if kind == "utf-16-le BOM CRLF":
        return codecs.BOM_UTF16_LE + text.replace("\n", "\r\n").encode("utf-16-le")
    if kind == "gb18030":
        return text.encode("gb18030")
    if kind == "gbk":
        return text.replace("🌟", "★").encode("gbk")  # GBK has no emoji
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["utf-8 BOM CRLF", "utf-16-le BOM", "utf-16-be BOM", "utf-16-le BOM CRLF", "gb18030", "gbk"]
)
def test_encodings_are_detected(cli, tmp_path, kind):
    path = tmp_path / "chinese.md"
    path.write_bytes(_encoded(kind))
    result = cli("import", str(path))
    assert ok(result).splitlines()[0] == (
        "Imported 中文列名 as list '中文列名': 1 section, 2 entries, 2 distinct papers"
    )
    assert result.stderr == ""
    assert [(r[0], r[2], r[3]) for r in papers(cli)] == CHINESE
    assert json_out(cli("sections", "--json"))[0]["title"] == "基础模型"


def test_bom_and_crlf_keep_line_numbers(cli, tmp_path):
    path = tmp_path / "bad_rows.md"
    path.write_bytes(codecs.BOM_UTF8 + text_of("bad_rows.md").replace("\n", "\r\n").encode("utf-8"))
    result = cli("import", str(path))
    ok(result)
    assert result.stderr == "warning: line 8: row has no paper title\nwarning: line 10: row has no paper title\n"
    assert [r[0] for r in papers(cli)] == ["Good Paper", "Another Good Paper"]


def test_named_encoding(cli, tmp_path, one_error):
    path = tmp_path / "gbk.md"
    path.write_bytes(_encoded("gbk"))
    ok(cli("import", str(path), "--encoding", "gbk"))
    assert [(r[0], r[2], r[3]) for r in papers(cli)] == CHINESE
    assert one_error(cli("import", str(path), "--encoding", "utf-8", "--name", "x")).startswith(
        f"Error: {path} is not utf-8 text (byte "
    )
    assert one_error(cli("import", str(path), "--encoding", "klingon", "--name", "y")) == (
        "Error: unknown encoding 'klingon'"
    )
    assert list_names() == ["中文列名"]


def test_binary_file_is_one_clear_error(cli, tmp_path, one_error):
    path = tmp_path / "figure.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert one_error(cli("import", str(path))) == f"Error: {path} is a binary file, not a markdown document"
    assert list_names() == []


def test_random_bytes_are_one_clear_error(cli, tmp_path, one_error):
    noise = random.Random(20230820).randbytes(4096)
    with_nul = tmp_path / "noise.md"
    with_nul.write_bytes(noise)
    assert one_error(cli("import", str(with_nul))) == f"Error: {with_nul} is a binary file, not a markdown document"
    without_nul = tmp_path / "noise2.md"
    without_nul.write_bytes(noise.replace(b"\x00", b""))
    assert one_error(cli("import", str(without_nul))) == (
        f"Error: {without_nul} is not UTF-8 text (name its encoding with --encoding)"
    )
    assert list_names() == []


def test_stdin(cli):
    result = cli("import", "-", input=_encoded("utf-16-le BOM"))
    ok(result)
    assert [(r[0], r[2], r[3]) for r in papers(cli)] == CHINESE
    ok(cli("import", "-", input=text_of("no_heading.md").encode("utf-8")))
    rows = json_out(cli("lists", "--json"))
    assert [(r["name"], r["title"], r["source"], r["papers"]) for r in rows] == [
        ("中文列名", "中文列名", "<stdin>", 2),
        ("stdin", "stdin", "<stdin>", 1),
    ]


# ---------------------------------------------------------------- several lists


def _ids(cli, *args: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [row["id"] for row in json_out(cli(*args, "--json"))]


def id_of(cli, key: str) -> str:  # type: ignore[no-untyped-def]
    (found,) = [row["id"] for row in json_out(cli("list", "--all", "--json")) if row["key"] == key]
    return str(found)


GROUP_ONLY = "url:example.org/rg/only"


def test_lists_json(seeded, cli):
    ok(cli("import"))  # the bundled list
    ok(cli("import", str(FORMATS / "reading_group.md")))
    rows = json_out(cli("lists", "--json"))
    assert [{k: v for k, v in r.items() if k != "imported_at"} for r in rows] == [
        {
            "name": "LLM_Paper_Reading",
            "title": "LLM_Paper_Reading",
            "source": "bundled:llm_paper_reading.md",
            "updated": "2023-08-20",
            "papers": 118,
        },
        {
            "name": "Reading Group",
            "title": "Reading Group",
            "source": str((FORMATS / "reading_group.md").resolve()),
            "updated": "2024-03-01",
            "papers": 3,
        },
    ]
    for row in rows:
        assert set(row) == {"name", "title", "source", "updated", "papers", "imported_at"}
        stamp = datetime.fromisoformat(str(row["imported_at"]))
        assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=5)


def test_a_paper_in_two_lists_is_one_paper(seeded, cli):
    ok(cli("import"))
    ok(cli("import", str(FORMATS / "reading_group.md")))
    only = id_of(cli, GROUP_ONLY)
    group = json_out(cli("list", "--list", "Reading Group", "--json"))
    assert sorted((r["id"], r["key"], r["title"], r["stars"], r["sections"]) for r in group) == sorted(
        [
            ("f77a8b", "arxiv:1706.03762", ATTENTION, 5, ["2 LLM的关键技术", "1 Week 1"]),
            (only, GROUP_ONLY, "Group Only Paper", 0, ["1 Week 1"]),
            ("50f228", "arxiv:2106.09685", LORA, 5, ["2.4 PEFT", "2 Week 2"]),
        ]
    )
    assert len(json_out(cli("list", "--json"))) == 119
    attention = json_out(cli("show", "f77a8b", "--json"))
    assert [(e["list"], e["section"], e["stars"]) for e in attention["entries"]] == [
        ("LLM_Paper_Reading", "2 LLM的关键技术", 5),
        ("Reading Group", "1 Week 1", 3),
    ]
    # Status and notes belong to the paper, whichever list it is reached through.
    ok(cli("mark-read", "f77a8b"))
    ok(cli("note", "add", "f77a8b", "read for week one"))
    assert _ids(cli, "list", "--list", "LLM_Paper_Reading", "--status", "read") == ["f77a8b"]
    assert _ids(cli, "list", "--list", "Reading Group", "--status", "read") == ["f77a8b"]
    assert [n["text"] for n in json_out(cli("note", "list", "f77a8b", "--json"))] == ["read for week one"]


def test_list_option_on_every_browsing_command(seeded, cli):
    ok(cli("import"))
    ok(cli("import", str(FORMATS / "reading_group.md")))
    ok(cli("mark-read", "f77a8b"))
    only = id_of(cli, GROUP_ONLY)
    assert _ids(cli, "search", "attention", "--list", "Reading Group") == ["f77a8b"]
    assert _ids(cli, "search", "meeting", "--list", "Reading Group") == [only]
    assert _ids(cli, "search", "meeting", "--list", "LLM_Paper_Reading") == []
    tree = json_out(cli("sections", "--list", "Reading Group", "--json"))
    assert [(s["list"], s["number"], s["title"], s["papers"], s["read"]) for s in tree] == [
        ("Reading Group", "1", "Week 1", 2, 1),
        ("Reading Group", "2", "Week 2", 1, 0),
    ]
    progress = json_out(cli("progress", "--list", "Reading Group", "--json"))
    assert progress["total"] == {"papers": 3, "read": 1, "reading": 0}
    assert progress["stars"] == [
        {"stars": 5, "papers": 2, "read": 1, "reading": 0},
        {"stars": 0, "papers": 1, "read": 0, "reading": 0},
    ]
    assert [s["number"] for s in progress["sections"]] == ["1", "2"]
    assert json_out(cli("progress", "--json"))["total"] == {"papers": 119, "read": 1, "reading": 0}
    assert _ids(cli, "next", "--list", "Reading Group") == ["50f228", only]  # stars first


def test_list_of_one_list_follows_that_lists_order(seeded, cli):
    """`list --list NAME` shows NAME's papers in NAME's order, though another list holds some of them too."""
    ok(cli("import"))
    ok(cli("import", str(FORMATS / "reading_group.md")))
    only = id_of(cli, GROUP_ONLY)
    assert _ids(cli, "list", "--list", "Reading Group") == ["f77a8b", only, "50f228"]
    assert _ids(cli, "next", "--list", "Reading Group", "-n", "3") == ["f77a8b", "50f228", only]


def test_unknown_list_is_one_error(cli, one_error):
    ok(cli("import", str(FORMATS / "reading_group.md")))
    for args in (("list",), ("search", "x"), ("sections",), ("progress",), ("next",)):
        assert one_error(cli(*args, "--list", "Nope")) == "Error: no list named 'Nope' (see `llmreads lists`)"


def test_list_is_identified_by_its_title(cli, tmp_path):
    ok(cli("import", str(FORMATS / "reading_group.md")))
    copy = tmp_path / "renamed-copy.md"
    copy.write_text(
        text_of("reading_group.md") + "| New Week Two Paper | https://example.org/rg/new | ⭐ |\n", encoding="utf-8"
    )
    report = json_out(cli("import", str(copy), "--json"))
    assert (report["list_name"], report["added"], report["removed"], report["unchanged"]) == (
        "Reading Group",
        ["New Week Two Paper"],
        [],
        3,
    )
    rows = json_out(cli("lists", "--json"))
    assert [(r["name"], r["source"], r["papers"]) for r in rows] == [("Reading Group", str(copy.resolve()), 4)]


def test_a_list_without_a_title_is_named_after_its_file(cli, tmp_path):
    ok(cli("import", str(FORMATS / "no_heading.md")))
    copy = tmp_path / "other_name.md"
    copy.write_bytes((FORMATS / "no_heading.md").read_bytes())
    ok(cli("import", str(copy)))
    rows = json_out(cli("lists", "--json"))
    assert [(r["name"], r["title"], r["papers"]) for r in rows] == [
        ("no_heading", "no_heading", 1),
        ("other_name", "other_name", 1),
    ]
    assert [r[1:] for r in papers(cli)] == [
        ("https://example.org/nh/one", "url:example.org/nh/one", 0, ["1 Papers"]),  # one paper in two lists
    ]


def test_name_option(cli):
    ok(cli("import", str(FORMATS / "reading_group.md"), "--name", "rg"))
    ok(cli("import", str(FORMATS / "reading_group.md"), "--name", "rg-copy"))
    rows = json_out(cli("lists", "--json"))
    assert [(r["name"], r["title"], r["papers"]) for r in rows] == [
        ("rg", "Reading Group", 3),
        ("rg-copy", "Reading Group", 3),
    ]
    assert len(_ids(cli, "list", "--list", "rg-copy")) == 3
    assert len(_ids(cli, "list")) == 3


def test_remove_list_keeps_user_data_and_reimport_restores(seeded, cli):
    ok(cli("import"))
    group_path = str(FORMATS / "reading_group.md")
    ok(cli("import", group_path))
    only = id_of(cli, GROUP_ONLY)
    ok(cli("mark-reading", only))
    ok(cli("note", "add", only, "bring questions"))
    ok(cli("mark-read", "f77a8b"))
    before = {ref: json_out(cli("show", ref, "--json")) for ref in (only, "f77a8b", "50f228")}

    result = cli("remove-list", "Reading Group")
    assert ok(result) == (
        "Removed list 'Reading Group' (3 papers); your statuses, notes, tags, ratings and history are kept.\n"
    )
    assert [r["name"] for r in json_out(cli("lists", "--json"))] == ["LLM_Paper_Reading"]
    assert only not in _ids(cli, "list")
    assert len(_ids(cli, "list")) == 118
    hidden = [r for r in json_out(cli("list", "--all", "--json")) if r["id"] == only]
    assert [(r["title"], r["status"], r["sections"]) for r in hidden] == [("Group Only Paper", "reading", [])]
    assert [n["text"] for n in json_out(cli("show", only, "--json"))["notes"]] == ["bring questions"]
    attention = json_out(cli("show", "f77a8b", "--json"))
    assert (attention["status"], attention["sections"], attention["stars"]) == ("read", ["2 LLM的关键技术"], 5)
    assert [e["list"] for e in attention["entries"]] == ["LLM_Paper_Reading"]

    ok(cli("import", group_path))
    after = {ref: json_out(cli("show", ref, "--json")) for ref in (only, "f77a8b", "50f228")}
    assert after == before


def test_remove_unknown_list(cli, one_error):
    ok(cli("import", str(FORMATS / "reading_group.md")))
    assert one_error(cli("remove-list", "Nope")) == "Error: no list named 'Nope' (see `llmreads lists`)"
    assert list_names() == ["Reading Group"]


# ---------------------------------------------------------------- safe updates of the seed


def changed_seed() -> str:
    """The seed with QLoRA added to 2.4, GPT-4 removed, Offsite-Tuning moved from 2.1 to 2.4,
    Codex re-rated from 0 to 2 stars and Attention Is All You Need retitled."""
    seed = SEED_PATH.read_bytes().decode("utf-8")
    lines = seed.split("\n")

    def row(fragment: str) -> str:
        (found,) = [line for line in lines if fragment in line]
        return found + "\n"

    def swap(text: str, old: str, new: str) -> str:
        assert text.count(old) == 1, old
        return text.replace(old, new)

    gpt4, offsite, lora = row(f"[{GPT4}]"), row(f"[{OFFSITE}]"), row(f"[{LORA}]")
    text = swap(seed, gpt4, "")
    text = swap(text, offsite, "")
    qlora = f"| 8✡✡    | [{QLORA}](https://arxiv.org/abs/2305.14314) | 量化微调 |\n"
    text = swap(text, lora, lora + offsite + qlora)
    text = swap(text, f"| 6      | [{CODEX}]", f"| 6✡✡    | [{CODEX}]")
    return swap(text, f"[{ATTENTION}](", f"[{ATTENTION_NEW}](")


def expected_report(source: str, dry_run: bool) -> dict[str, object]:
    return {
        "list_name": "LLM_Paper_Reading",
        "title": "LLM_Paper_Reading",
        "source": source,
        "sections": 10,
        "entries": 120,
        "papers": 118,
        "added": [QLORA],
        "removed": [GPT4],
        "moved": [f"{OFFSITE}: 2.1 → 2.4"],
        "rerated": [f"{CODEX}: 0 → 2 stars"],
        "retitled": [f"{ATTENTION} → {ATTENTION_NEW}"],
        "updated": [],
        "link_changes": [],
        # GPT-4 leaves the list with alice's and bob's statuses (and their history) and notes: named, for
        # `list --all`.
        "left_with_user_data": [
            {"id": "a95e11", "key": "arxiv:2303.08774", "title": GPT4, "statuses": 2, "notes": 2, "tags": 0,
             "ratings": 0, "history": 2}
        ],
        "unchanged": 114,
        "problems": [],
        "skipped_tables": [],
        "unread_items": [],
        "non_papers": [],
        "clashes": [],  # 2212.10560 is listed twice with one title written two ways: not a clash
        "introductions_emptied": 0,
        "marked": 0,
        "statuses_read": 0,
        "notes_read": 0,
        "skipped": False,
        "dry_run": dry_run,
    }


DRY_RUN_TEXT = f"""\
Would import LLM_Paper_Reading as list 'LLM_Paper_Reading': 10 sections, 120 entries, 118 distinct papers
  added 1, updated 3, unchanged 114, removed 1
  added: {QLORA}
  removed: {GPT4}
  moved: {OFFSITE}: 2.1 → 2.4
  re-rated: {CODEX}: 0 → 2 stars
  retitled: {ATTENTION} → {ATTENTION_NEW}
  kept on a paper no list holds: a95e11  {GPT4} (2 statuses, 2 notes, 2 history events)
  (`llmreads list --all` shows the papers no list holds that keep your statuses, notes, tags or ratings)
Dry run: nothing was written.
"""


@pytest.fixture
def seed_with_user_data(cli, seeded, prepared):  # type: ignore[no-untyped-def]
    def build() -> None:
        ok(cli("mark-read", "2303.08774", "2107.03374"))  # GPT-4, Codex
        ok(cli("mark-reading", "2302.04870"))  # Offsite-Tuning
        ok(cli("note", "add", "2303.08774", "multimodal, few details"))
        ok(cli("--user", "bob", "mark-reading", "2303.08774"))
        ok(cli("--user", "bob", "note", "add", "2303.08774", "bob's gpt-4 note"))

    prepared("formats.seed_with_user_data", build)


def test_dry_run_reports_the_changes_and_writes_nothing(cli, tmp_path, seed_with_user_data):
    path = tmp_path / "changed.md"
    path.write_text(changed_seed(), encoding="utf-8")
    before = snapshot(db_file())
    report = json_out(cli("import", str(path), "--dry-run", "--json"))
    assert report == expected_report(str(path.resolve()), dry_run=True)
    assert snapshot(db_file()) == before
    result = cli("import", str(path), "--dry-run")
    assert ok(result) == DRY_RUN_TEXT
    assert result.stderr == ""
    assert snapshot(db_file()) == before
    # The real import reports the very same changes.
    real = cli("import", str(path))
    assert ok(real) == DRY_RUN_TEXT.replace("Would import", "Imported").replace("Dry run: nothing was written.\n", "")
    assert snapshot(db_file()) != before


def test_reimport_of_a_changed_seed(seeded, cli, tmp_path, seed_with_user_data):
    path = tmp_path / "changed.md"
    path.write_text(changed_seed(), encoding="utf-8")
    gpt4_before = json_out(cli("show", "2303.08774", "--json"))
    bob_before = json_out(cli("--user", "bob", "show", "2303.08774", "--json"))

    report = json_out(cli("import", str(path), "--json"))
    assert report == expected_report(str(path.resolve()), dry_run=False)
    assert [(r["name"], r["papers"]) for r in json_out(cli("lists", "--json"))] == [("LLM_Paper_Reading", 118)]

    listed = {r["id"]: r for r in json_out(cli("list", "--json"))}
    assert len(listed) == 118
    assert gpt4_before["id"] not in listed
    qlora = next(r for r in listed.values() if r["key"] == "arxiv:2305.14314")
    assert (qlora["title"], qlora["stars"], qlora["sections"], qlora["status"]) == (QLORA, 2, ["2.4 PEFT"], "unread")
    offsite = next(r for r in listed.values() if r["key"] == "arxiv:2302.04870")
    assert (offsite["sections"], offsite["status"]) == (["2.4 PEFT"], "reading")
    codex = next(r for r in listed.values() if r["key"] == "arxiv:2107.03374")
    assert (codex["stars"], codex["status"]) == (2, "read")
    assert listed["f77a8b"]["title"] == ATTENTION_NEW
    assert [r["title"] for r in json_out(cli("list", "--section", "2.4", "--json"))] == [
        "Scaling Down to Scale Up: A Guide to Parameter-Efficient Fine-Tuning",
        LORA,
        OFFSITE,
        QLORA,
        "Prefix-Tuning: Optimizing Continuous Prompts for Generation",
        "GPT Understands, Too",
        "P-Tuning v2: Prompt Tuning Can Be Comparable to Fine-tuning Universally Across Scales and Tasks",
        "The Power of Scale for Parameter-Efficient Prompt Tuning",
    ]
    document_order = list(dict.fromkeys(e.key for e in parse(changed_seed()).entries))
    assert [r["key"] for r in json_out(cli("list", "--json"))] == document_order

    # The removed paper is hidden, but `list --all` shows it, with its status and notes.
    everything = {r["id"]: r for r in json_out(cli("list", "--all", "--json"))}
    assert len(everything) == 119
    hidden = everything[gpt4_before["id"]]
    assert (hidden["title"], hidden["status"], hidden["sections"]) == (GPT4, "read", [])
    assert [n["text"] for n in json_out(cli("show", "2303.08774", "--json"))["notes"]] == ["multimodal, few details"]
    assert _ids(cli, "list", "--status", "read") == [codex["id"]]
    assert _ids(cli, "search", "Technical Report") == []

    # Importing the original again brings GPT-4 back whole.
    back = json_out(cli("import", "--json"))
    assert (back["added"], back["removed"], back["moved"], back["rerated"], back["retitled"], back["updated"]) == (
        [GPT4],
        [QLORA],
        [f"{OFFSITE}: 2.4 → 2.1"],
        [f"{CODEX}: 2 → 0 stars"],
        [f"{ATTENTION_NEW} → {ATTENTION}"],
        [],
    )
    assert json_out(cli("show", "2303.08774", "--json")) == gpt4_before
    assert json_out(cli("--user", "bob", "show", "2303.08774", "--json")) == bob_before
    assert len(_ids(cli, "list")) == 118


def test_reimport_reports_other_changes_as_updated(seeded, cli, tmp_path):
    ok(cli("import"))
    seed = SEED_PATH.read_bytes().decode("utf-8")
    old = "| 3✡     | [Emergent Abilities of Large Language Models](https://arxiv.org/abs/2206.07682) | Google 22年8"
    assert seed.count(old) == 1
    path = tmp_path / "intro.md"
    path.write_text(seed.replace(old, old.replace("Google", "Google Research")), encoding="utf-8")
    report = json_out(cli("import", str(path), "--json"))
    assert (report["added"], report["removed"], report["moved"], report["rerated"], report["retitled"]) == (
        [],
        [],
        [],
        [],
        [],
    )
    assert (report["updated"], report["unchanged"]) == (["Emergent Abilities of Large Language Models"], 117)
    again = cli("import", str(path))
    assert ok(again) == "LLM_Paper_Reading: unchanged since the last import (118 papers, 10 sections).\n"
