"""`llmreads export`: every format parsed back by an ordinary reader, and the Markdown by llmreads itself."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from helpers import assert_one_error
from llmreads.cli import app

LORA = "arxiv:2106.09685"
ATTENTION = "arxiv:1706.03762"
GPT3 = "arxiv:2005.14165"
NOTE_LORA = "Low-rank *adapters*: [click](javascript:alert(1))\n- not a list item\n1. nor this <b>one</b> &amp;"
NOTE_LORA_2 = "第二条笔记：注意力 $x$ # not a heading\n# nor this"

# A list with everything an export must escape or refuse: markup in titles,
# Chinese, links that are not web links, a paper without any link, a year column.
HOSTILE = """# Hostile & Co. list

## 1 Odd titles

| ID | Paper | Year | Intro |
| - | - | - | - |
|1★★|[A *star* [x] _u_ `c` &amp; <b>h</b> 100% $5 #1 {b} ~t ^c \\back](https://example.com/a_(b)?x=1&y=2) | 2020 | 1 |
| 2 | [注意力机制：大模型综述](https://example.org/中文/paper) | 2023 | 中文 |
| 3★ | [Evil script](javascript:alert(1)) | | bad link |
| 4 | [Local file](file:///etc/passwd) | | file |
| 5 | [Data link](data:text/html,<script>alert(1)</script>) | | data |
| 6★★★ | No link at all | 2019 | plain |

### 1.1 Deeper

- [LoRA again](https://arxiv.org/abs/2106.09685v2) ★★★★ with a [code link](https://github.com/microsoft/LoRA)
"""
UNSAFE_KEYS = {"url:alert(1)", "url:etc/passwd", "url:text/html,%3Cscript%3Ealert(1)%3C/script%3E"}


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    return result


def listed(*args: str, db: str | None = None) -> list[dict[str, object]]:
    papers = json.loads(ok(*(["--db", db] if db else []), "list", "--json", *args).stdout)
    assert isinstance(papers, list)
    return papers


@pytest.fixture
def marked(seeded: Path, prepared: Callable[[str, Callable[[], object]], Path]) -> None:
    """The bundled list, with alice's statuses and notes on three papers."""

    def build() -> None:
        ok("mark-read", LORA, ATTENTION)
        ok("mark-reading", GPT3)
        ok("note", "add", LORA, NOTE_LORA)
        ok("note", "add", LORA, NOTE_LORA_2)
        ok("note", "add", ATTENTION, "the paper")

    prepared("export.marked", build)


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.md"
    path.write_text(HOSTILE, encoding="utf-8")
    ok("import", str(path))
    return path


def by_key(items: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(item["key"]): item for item in items}


# ---------------------------------------------------------------- JSON


def test_json_holds_every_paper_in_list_order_with_status_and_notes(marked: None) -> None:
    papers = json.loads(ok("export").stdout)
    assert [p["key"] for p in papers] == [p["key"] for p in listed()]
    assert set(papers[0]) == {
        "id", "key", "title", "url", "arxiv", "stars", "sections", "status", "status_at", "year", "notes",
        "introductions", "links", "authors", "tags", "my_stars",
    }
    lora = by_key(papers)[LORA]
    assert lora["status"] == "read" and lora["status_at"]
    assert [n["text"] for n in lora["notes"]] == [NOTE_LORA, NOTE_LORA_2]
    assert set(lora["notes"][0]) == {"id", "text", "created_at", "updated_at"}
    assert lora["sections"] == ["2.4 PEFT"]
    assert lora["introductions"] and lora["introductions"][0]["section"] == "2.4 PEFT"
    assert lora["arxiv"] == "2106.09685" and lora["stars"] == 5
    assert by_key(papers)[GPT3]["status"] == "reading"
    unread = [p for p in papers if p["key"] not in (LORA, ATTENTION, GPT3)]
    assert all(p["status"] == "unread" and p["notes"] == [] for p in unread)


def test_json_has_years_and_links_from_the_entries(hostile: Path) -> None:
    papers = by_key(json.loads(ok("export").stdout))
    assert papers["title:no link at all"]["year"] == "2019"
    assert papers[LORA]["year"] is None
    assert papers[LORA]["links"] == [{"text": "code link", "url": "https://github.com/microsoft/LoRA"}]
    assert papers[LORA]["sections"] == ["1.1 Deeper"]


def test_filters_pick_the_papers(marked: None) -> None:
    read = json.loads(ok("export", "--status", "read").stdout)
    assert {p["key"] for p in read} == {LORA, ATTENTION}
    section = json.loads(ok("export", "--section", "2.4", "--stars", "5").stdout)
    assert [p["key"] for p in section] == [p["key"] for p in listed("--section", "2.4", "--stars", "5")]
    assert LORA in {p["key"] for p in section}


def test_unknown_list_is_assert_one_error(marked: None) -> None:
    assert "no list named" in assert_one_error(run("export", "--list", "nope"))


def test_unknown_format_is_a_usage_error(marked: None) -> None:
    assert run("export", "--format", "yaml").exit_code == 2


# ---------------------------------------------------------------- CSV


def test_csv_reads_back_with_the_csv_module(marked: None) -> None:
    text = ok("export", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    reader = csv.reader(io.StringIO(text, newline=""))
    assert next(reader) == ["id", "key", "title", "url", "arxiv", "stars", "sections", "status", "notes", "tags",
                            "my_stars"]
    assert [r["key"] for r in rows] == [p["key"] for p in listed()]
    lora = {r["key"]: r for r in rows}[LORA]
    assert lora["notes"] == NOTE_LORA + "\n\n" + NOTE_LORA_2
    assert lora["status"] == "read" and lora["stars"] == "5" and lora["arxiv"] == "2106.09685"
    two_sections = [r for r in rows if "; " in r["sections"]]
    for row in two_sections:
        paper = by_key(listed())[row["key"]]
        assert row["sections"].split("; ") == paper["sections"]


# ---------------------------------------------------------------- BibTeX


def bib_entries(text: str) -> list[dict[str, str]]:
    import bibtexparser
    from bibtexparser.middlewares import LatexDecodingMiddleware

    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks
    raw = bibtexparser.parse_string(text)
    assert not raw.failed_blocks and len(raw.entries) == len(library.entries)
    return [
        {"ID": entry.key, "ENTRYTYPE": entry.entry_type}
        | {f.key: str(f.value) for f in entry.fields}
        | {f"raw:{f.key}": str(f.value) for f in raw_entry.fields}
        for entry, raw_entry in zip(library.entries, raw.entries, strict=True)
    ]


def test_bibtex_reads_back_with_a_bibtex_parser(marked: None) -> None:
    entries = bib_entries(ok("export", "--format", "bibtex").stdout)
    papers = listed()
    assert len(entries) == len(papers)
    assert len({e["ID"] for e in entries}) == len(entries)
    for entry, paper in zip(entries, papers, strict=True):
        assert entry["title"] == paper["title"]  # decoded: the escaping was exact
        assert entry["raw:title"].startswith("{") and entry["raw:title"].endswith("}")  # capitals kept
    lora = next(e for e, p in zip(entries, papers, strict=True) if p["key"] == LORA)
    assert lora["ID"] == "lora-2106.09685"
    assert lora["eprint"] == "2106.09685" and lora["archivePrefix"] == "arXiv"
    assert lora["year"] == "2021"
    assert lora["raw:howpublished"] == r"\url{https://arxiv.org/abs/2106.09685}"
    assert lora["url"].startswith("https://arxiv.org/")
    assert "primaryClass" not in lora
    wide = next(e for e in entries if e["title"].startswith("ProtTrans"))
    assert wide["raw:title"].startswith("{ProtTrans：Towards") and "Life’s" in wide["raw:title"]  # UTF-8 as it is


@pytest.fixture
def tagged(seeded: Path, prepared: Callable[[str, Callable[[], object]], Path]) -> None:
    """alice's tags and stars on LoRA and the Transformer; bob's other ones on LoRA."""

    def build() -> None:
        ok("tag", LORA, "peft", "must_read", "c++#1")
        ok("rate", LORA, "4")
        ok("tag", ATTENTION, "must_read")
        ok("--user", "bob", "tag", LORA, "bob-only")
        ok("--user", "bob", "rate", LORA, "2")

    prepared("export.tagged", build)


def test_json_carries_the_users_tags_and_stars(tagged: None) -> None:
    papers = by_key(json.loads(ok("export").stdout))
    assert (papers[LORA]["tags"], papers[LORA]["my_stars"]) == (["c++#1", "must_read", "peft"], 4)
    assert (papers[ATTENTION]["tags"], papers[ATTENTION]["my_stars"]) == (["must_read"], None)
    assert (papers[GPT3]["tags"], papers[GPT3]["my_stars"]) == ([], None)
    bobs = by_key(json.loads(ok("--user", "bob", "export").stdout))
    assert (bobs[LORA]["tags"], bobs[LORA]["my_stars"], bobs[ATTENTION]["tags"]) == (["bob-only"], 2, [])


def test_csv_carries_the_users_tags_and_stars(tagged: None) -> None:
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(ok("export", "-f", "csv").stdout, newline=""))}
    assert (rows[LORA]["tags"].split(";"), rows[LORA]["my_stars"]) == (["c++#1", "must_read", "peft"], "4")
    assert (rows[ATTENTION]["tags"], rows[ATTENTION]["my_stars"]) == ("must_read", "")
    assert (rows[GPT3]["tags"], rows[GPT3]["my_stars"]) == ("", "")
    bobs = {r["key"]: r for r in csv.DictReader(io.StringIO(ok("export", "-f", "csv", "--user", "bob").stdout,
                                                            newline=""))}
    assert (bobs[LORA]["tags"], bobs[LORA]["my_stars"]) == ("bob-only", "2")


def test_bibtex_carries_the_users_tags_as_keywords_and_stars_as_ranking(tagged: None) -> None:
    entries = {e["eprint"]: e for e in bib_entries(ok("export", "-f", "bib").stdout) if "eprint" in e}
    lora, attention = entries["2106.09685"], entries["1706.03762"]
    assert lora["keywords"].split(", ") == ["c++#1", "must_read", "peft"]  # decoded: the escaping was exact
    assert (lora["ranking"], attention["keywords"]) == ("rank4", "must_read")
    assert "ranking" not in attention and "keywords" not in entries["2005.14165"]
    bobs = {e["eprint"]: e for e in bib_entries(ok("--user", "bob", "export", "-f", "bib").stdout) if "eprint" in e}
    assert (bobs["2106.09685"]["keywords"], bobs["2106.09685"]["ranking"]) == ("bob-only", "rank2")
    assert "keywords" not in bobs["1706.03762"]


def test_bibtex_escapes_special_characters_and_refuses_other_links(hostile: Path) -> None:
    text = ok("export", "--format", "bibtex").stdout
    entries = bib_entries(text)
    papers = listed()
    for entry, paper in zip(entries, papers, strict=True):
        # pylatexenc decodes \textasciicircum{} to the modifier letter; BibTeX prints a caret.
        assert entry["title"].replace("\u02c6", "^") == paper["title"]
    odd = entries[0]
    assert odd["raw:title"] == (
        r"{A star [x] u c \& h 100\% \$5 \#1 \{b\} \textasciitilde{}t \textasciicircum{}c \textbackslash{}back}"
    )
    assert odd["raw:url"] == "https://example.com/a_(b)?x=1&y=2" and odd["year"] == "2020"
    assert "注意力机制：大模型综述" in text
    for entry, paper in zip(entries, papers, strict=True):
        if paper["key"] in UNSAFE_KEYS:
            assert "url" not in entry and "howpublished" not in entry
            assert entry["note"] == paper["url"]
    assert "url = {javascript" not in text and "url = {file" not in text and "url = {data" not in text


# ---------------------------------------------------------------- Markdown


def test_markdown_reimports_as_the_same_papers(marked: None, tmp_path: Path) -> None:
    exported = tmp_path / "exported.md"
    result = ok("export", "--format", "markdown", "-o", str(exported))
    assert result.stdout == ""
    other = str(tmp_path / "other.db")
    ok("--db", other, "import", str(exported))
    before, after = listed(), listed(db=other)
    assert {p["key"] for p in after} == {p["key"] for p in before}
    assert [p["key"] for p in after] == [p["key"] for p in before]
    assert {p["key"]: p["stars"] for p in after} == {p["key"]: p["stars"] for p in before}
    sections = json.loads(ok("sections", "--json").stdout)
    other_sections = json.loads(ok("--db", other, "sections", "--json").stdout)
    assert [(s["number"], s["title"]) for s in other_sections] == [(s["number"], s["title"]) for s in sections]


def test_markdown_reads_as_a_reading_list(marked: None) -> None:
    text = ok("export", "--format", "markdown").stdout
    lines = text.splitlines()
    assert lines[0] == "# LLM_Paper_Reading"
    assert "## 2 LLM的关键技术" in lines and "### 2.4 PEFT" in lines
    assert lines.index("## 2 LLM的关键技术") < lines.index("### 2.1 ICL") < lines.index("### 2.4 PEFT")
    lora = next(i for i, line in enumerate(lines) if "2106.09685" in line)
    assert lines[lora].startswith("- [LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS](https://arxiv.org/")
    assert lines[lora].endswith(" ★★★★★ ✅")
    # The introduction follows, then each note as a quote of its own, their markup escaped,
    # so they show as written and link nowhere.
    assert lines[lora + 1].startswith("  LoRa 微调方法论文")
    assert lines[lora + 2 : lora + 10] == [
        "",
        r"  > Low-rank \*adapters\*: \[click\](javascript:alert(1))",
        r"  > \- not a list item",
        r"  > 1\. nor this \<b>one\</b> \&amp;",
        "",
        r"  > 第二条笔记：注意力 \$x\$ # not a heading",
        r"  > \# nor this",
        "",
    ]
    gpt3 = next(line for line in lines if "2005.14165" in line)
    assert gpt3.endswith(" (reading)")
    # Every entry of the list, so a paper the list gives twice is there twice (its marks once).
    entries = [line for line in lines if line.startswith("- [")]
    assert (len(entries), len(listed())) == (120, 118)


def test_markdown_escapes_every_underscore_that_could_emphasise(marked: None) -> None:
    import mistune

    ok("note", "add", ATTENTION, "_scaled_ dot-product, __not bold__, snake_case_name and _")
    text = ok("export", "--format", "markdown").stdout
    assert r"  > \_scaled\_ dot-product, \_\_not bold\_\_, snake_case_name and \_" in text.splitlines()
    # An ordinary Markdown reader shows every note as written: no emphasis anywhere.
    html = mistune.html(text)
    assert isinstance(html, str)
    assert "<em>" not in html and "<strong>" not in html
    assert "_scaled_ dot-product, __not bold__, snake_case_name and _" in html


def test_markdown_never_links_to_anything_but_the_web(hostile: Path, tmp_path: Path) -> None:
    text = ok("export", "--format", "markdown").stdout
    for scheme in ("javascript:", "file:", "data:"):
        assert f"]({scheme}" not in text and f"(<{scheme}" not in text
        assert scheme in text  # shown as plain text
    assert "- [Evil script]() javascript:alert(1) ★" in text
    assert "- [No link at all]() (2019) ★★★" in text
    exported = tmp_path / "hostile-export.md"
    exported.write_text(text, encoding="utf-8")
    other = str(tmp_path / "other.db")
    ok("--db", other, "import", str(exported))
    before = {p["key"]: p for p in listed()}
    after = {p["key"]: p for p in listed(db=other)}
    # Web links and papers without a link come back as themselves; a paper whose
    # only link was refused comes back by its title.
    assert set(after) == (set(before) - UNSAFE_KEYS) | {"title:evil script", "title:local file", "title:data link"}
    for key in set(before) - UNSAFE_KEYS:
        assert after[key]["title"] == before[key]["title"]
        assert after[key]["url"] == before[key]["url"]
        assert after[key]["stars"] == before[key]["stars"]


# ---------------------------------------------------------------- files


def test_output_file_is_written_whole_and_reported_on_stderr(marked: None, tmp_path: Path) -> None:
    target = tmp_path / "out" / "papers.bib"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    result = ok("export", "-o", str(target), "--force")
    assert result.stdout == ""
    count = len(listed())
    assert result.stderr.strip() == f"Wrote {count} papers (bibtex) to {target}"
    assert bib_entries(target.read_text(encoding="utf-8"))  # the suffix chose BibTeX
    assert [p.name for p in target.parent.iterdir()] == ["papers.bib"]  # no temporary file left behind


def test_format_option_wins_over_the_suffix(marked: None, tmp_path: Path) -> None:
    target = tmp_path / "papers.txt"
    ok("export", "--format", "csv", "--status", "read", "-o", str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    assert {r["key"] for r in rows} == {LORA, ATTENTION}
    ok("export", "--status", "reading", "-o", str(target), "--force")  # no --format, no known suffix: JSON
    assert [p["key"] for p in json.loads(target.read_text(encoding="utf-8"))] == [GPT3]


def test_output_into_a_missing_folder_is_assert_one_error(marked: None, tmp_path: Path) -> None:
    message = assert_one_error(run("export", "-o", str(tmp_path / "missing" / "papers.json")))
    assert message.startswith(f"Error: cannot write {tmp_path / 'missing' / 'papers.json'}: "), message
    assert assert_one_error(run("export", "-o", str(tmp_path))) == f"Error: {tmp_path} is a directory"


def test_markdown_title_is_the_lists_one_and_for_several_lists_a_general_one(marked: None, hostile: Path) -> None:
    def first_line(*args: str) -> str:
        return ok("export", "--format", "markdown", *args).stdout.splitlines()[0]

    assert {r["name"] for r in json.loads(ok("lists", "--json").stdout)} == {"LLM_Paper_Reading", "Hostile & Co. list"}
    assert first_line() == "# Reading list"
    assert first_line("--list", "Hostile & Co. list") == "# Hostile & Co. list"
    # No paper of the list left by the filters: still the list's title.
    assert first_line("--list", "Hostile & Co. list", "--stars", "5") == "# Hostile & Co. list"
