"""Titles and section names typed in Traditional Chinese name what the Simplified text holds (as search does)."""

from __future__ import annotations

import json

from processes import run


def listed_ids(*args: str) -> list[str]:
    result = run("list", "--json", *args)
    assert result.returncode == 0, result.stderr
    return [paper["id"] for paper in json.loads(result.stdout)]


def test_a_section_named_in_traditional_chinese_is_the_simplified_section(seeded):
    simplified = listed_ids("--section", "综述")
    assert len(simplified) == 9  # section 2.6 综述及其他
    assert listed_ids("--section", "綜述") == simplified
    assert listed_ids("--section", "基礎語言") == listed_ids("--section", "1")


def test_a_section_that_matches_in_neither_script_is_still_an_error(seeded):
    result = run("list", "--section", "綜述論")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no section matches '綜述論'")


def test_a_title_typed_in_traditional_chinese_names_the_paper(seeded, tmp_path):
    listing = tmp_path / "mine.md"
    listing.write_text(
        "# 我的论文\n\n"
        "- [大语言模型综述](https://arxiv.org/abs/2303.18223)\n"
        "- [指令微调的数据](https://example.org/instruction-data)\n",
        encoding="utf-8",
    )
    imported = run("import", str(listing), "--name", "mine")
    assert imported.returncode == 0, imported.stderr
    for ref, title in [
        ("大語言模型綜述", "大语言模型综述"),  # the whole title
        ("大語言", "大语言模型综述"),  # the start of a title
        ("指令微調", "指令微调的数据"),
    ]:
        shown = run("show", ref, "--json")
        assert shown.returncode == 0, (ref, shown.stderr)
        assert json.loads(shown.stdout)["title"] == title
    marked = run("mark-read", "指令微調的數據", "--json")
    assert marked.returncode == 0, marked.stderr
    assert [row["title"] for row in json.loads(marked.stdout)] == ["指令微调的数据"]
