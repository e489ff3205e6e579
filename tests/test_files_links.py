"""Files, links and encodings: export formats by extension, paths that cannot be written, the bundled list,
`open`, and GBK lists; through the installed `llmreads`."""

from __future__ import annotations

import json

import pytest

from processes import run

GBK_LIST = (
    "# 中文论文列表\n\n## 1 基础模型\n\n| 论文 | 链接 | 推荐 | 简介 |\n|---|---|---|---|\n"
    "| 注意力就是一切 | https://arxiv.org/abs/1706.03762 | ★★★★★ | 变换器原始论文，提出自注意力机制 |\n"
    "| 语言模型是少样本学习者 | https://arxiv.org/abs/2005.14165 | ★★★ | 大模型涌现能力 |\n"
)


@pytest.mark.parametrize(("name", "starts"), [
    ("out.md", "# LLM_Paper_Reading"), ("out.bib", "@misc{"), ("out.csv", "id,key,title"), ("out.json", "["),
    ("out", "["), ("out.txt", "["),
])
def test_export_picks_the_format_by_the_extension(seeded, tmp_path, name, starts):
    target = tmp_path / name
    result = run("export", "--stars", "5", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_text(encoding="utf-8").startswith(starts)


def test_format_wins_over_the_extension_and_takes_short_names(seeded, tmp_path):
    target = tmp_path / "out.md"
    assert run("export", "--stars", "5", "-f", "csv", "-o", str(target)).returncode == 0
    assert target.read_text(encoding="utf-8").startswith("id,key,title")
    assert run("export", "--stars", "5", "-f", "md").stdout.startswith("# LLM_Paper_Reading")
    assert run("export", "--stars", "5", "-f", "BIB").stdout.startswith("@misc{")
    bad = run("export", "-f", "docx")
    assert bad.returncode == 2
    assert "'docx' is not one of" in bad.stderr and "--format" in bad.stderr


@pytest.mark.parametrize("where", ["file-as-parent", "sys"])
def test_a_database_that_cannot_be_created_is_one_error_line(tmp_path, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    path = blocker / "llmreads.db" if where == "file-as-parent" else "/sys/llmreads-test.db"
    result = run("--db", str(path), "list")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert str(path) in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("where", ["file-as-parent", "sys"])
def test_a_backup_that_cannot_be_written_is_one_error_line(seeded, tmp_path, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    target = blocker / "backup.db" if where == "file-as-parent" else "/sys/llmreads-backup.db"
    result = run("db", "backup", str(target))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert str(target) in result.stderr or "a-file" in result.stderr


def test_a_database_whose_lists_were_removed_stays_empty_and_says_how_to_get_the_list_back(seeded):
    assert run("remove-list", "LLM_Paper_Reading").returncode == 0
    listed = run("list", "--json")
    assert listed.returncode == 0
    assert json.loads(listed.stdout) == []
    assert "`llmreads import` imports the bundled list back" in listed.stderr
    assert "imported the bundled list" not in listed.stderr
    assert json.loads(run("list", "--json").stdout) == []  # still empty: never imported behind your back
    assert run("import").returncode == 0
    assert len(json.loads(run("list", "--json").stdout)) == 118


def test_a_just_created_database_gets_the_bundled_list():
    result = run("list", "--stars", "5", "--json")
    assert result.returncode == 0
    assert "imported the bundled list (118 papers)" in result.stderr


def test_open_prefers_the_arxiv_abstract_page_and_pdf_on_request(seeded):
    # The list links LoRA's PDF; the abstract page is what opens.
    assert run("open", "--print", "lora").stdout == "https://arxiv.org/abs/2106.09685\n"
    assert run("open", "--print", "--pdf", "lora").stdout == "https://arxiv.org/pdf/2106.09685\n"
    assert run("open", "--print", "chatglm-6b").stdout == "https://github.com/THUDM/ChatGLM-6B\n"


def test_open_without_a_browser_says_nothing_was_opened(seeded):
    result = run("open", "lora", env={"BROWSER": "false"})
    assert result.returncode == 1
    assert result.stdout == "https://arxiv.org/abs/2106.09685\n"
    assert result.stderr.startswith("Error: no browser could be started") and "nothing was opened" in result.stderr
    opened = run("open", "lora", env={"BROWSER": "true"})
    assert opened.returncode == 0 and opened.stderr == ""


@pytest.mark.parametrize("encoding", ["gb18030", "GB18030", "gbk", "GBK", "cp936", "Gb18030"])
def test_a_named_encoding_is_used_as_given(seeded, tmp_path, encoding):
    source = tmp_path / "gbk.md"
    source.write_bytes(GBK_LIST.encode("gbk"))
    result = run("import", str(source), "--encoding", encoding, "--json")
    assert result.returncode == 0, result.stderr
    titles = {r["title"] for r in json.loads(run("list", "--list", "中文论文列表", "--json").stdout)}
    assert titles == {"注意力就是一切", "语言模型是少样本学习者"}


def test_a_gbk_list_with_star_glyphs_is_detected(seeded, tmp_path):
    source = tmp_path / "gbk.md"
    source.write_bytes(GBK_LIST.encode("gbk"))
    result = run("import", str(source))
    assert result.returncode == 0, result.stderr
    rows = json.loads(run("list", "--list", "中文论文列表", "--json").stdout)
    assert {r["title"] for r in rows} == {"注意力就是一切", "语言模型是少样本学习者"}
