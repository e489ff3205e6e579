"""Fit the user's world: what to read next, opening links, users, settings, completion and output.

Everything runs in-process with CliRunner except shell completion, which also
runs once through the installed console script as a shell would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from helpers import FIXTURES, SEED_SECTIONS, json_out, ok

FORMATS = FIXTURES / "formats"
LORA = "LORA: LOW-RANK ADAPTATION OF LARGE LANGUAGE MODELS"
LORA_URL = "https://arxiv.org/pdf/2106.09685.pdf"
FIVE_STARS = ["09794a", "f77a8b", "240ba8", "50f228", "88bfb3"]  # in list order
FOUR_STARS = ["008403", "6e0310", "a31f45", "fdcc67", "69f176", "fcd11b"]
GPT1 = "33dec7"  # three stars, first in the list
SECTIONS = SEED_SECTIONS
ZH_SHORT = "大语言模型的低秩微调方法综述"
ZH_LONG = "指令微调让语言模型成为零样本学习者：一项关于多任务提示训练的大规模实证研究与分析报告"

SGR = re.compile(r"\x1b\[([0-9;]*)m")


def ids(cli, *args: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [row["id"] for row in json_out(cli(*args, "--json"))]


def id_of(cli, key: str) -> str:  # type: ignore[no-untyped-def]
    (found,) = [row["id"] for row in json_out(cli("list", "--all", "--json")) if row["key"] == key]
    return str(found)


def colour_codes(text: str) -> list[str]:
    """SGR parameters that set a foreground or background colour."""
    found = []
    for params in SGR.findall(text):
        for part in params.split(";"):
            if part and (30 <= int(part) <= 49 or 90 <= int(part) <= 107):
                found.append(params)
                break
    return found


@pytest.fixture
def db() -> Path:
    return Path(os.environ["LLMREADS_DB"])


# ---------------------------------------------------------------- next


def test_next_on_a_fresh_seed(cli, seeded):
    assert ids(cli, "next") == FIVE_STARS
    assert ids(cli, "next", "-n", "8") == FIVE_STARS + FOUR_STARS[:3]
    assert ids(cli, "next", "--count", "1") == ["09794a"]


def test_next_puts_reading_first_and_never_shows_read(cli, seeded):
    codex = id_of(cli, "arxiv:2107.03374")  # no stars
    ok(cli("mark-reading", codex, GPT1))
    ok(cli("mark-read", "09794a", "50f228"))
    assert ids(cli, "next", "-n", "6") == [GPT1, codex, "f77a8b", "240ba8", "88bfb3", "008403"]
    everything = json_out(cli("next", "-n", "500", "--json"))
    assert len(everything) == 116
    assert {"09794a", "50f228"}.isdisjoint(row["id"] for row in everything)
    assert [row["status"] for row in everything[:2]] == ["reading", "reading"]
    assert {row["status"] for row in everything[2:]} == {"unread"}
    stars = [row["stars"] for row in everything[2:]]
    assert stars == sorted(stars, reverse=True)
    # Another user's reading does not change alice's next.
    assert ids(cli, "--user", "bob", "next") == FIVE_STARS
    ok(cli("mark-unread", "09794a"))
    assert ids(cli, "next", "-n", "3") == [GPT1, codex, "09794a"]


def test_next_plain_lines_and_nothing_left(cli, seeded):
    lines = ok(cli("next", "-n", "2")).splitlines()
    assert lines == [
        "09794a\t5\tunread\tLanguage Models are Few-Shot Learners\t1 OpenAI/Google 基础语言大模型",
        "f77a8b\t5\tunread\tAttention Is All You Need\t2 LLM的关键技术",
    ]
    cot = ids(cli, "list", "--section", "2.2")
    assert len(cot) == 4
    ok(cli("mark-read", *cot))
    result = cli("next", "--section", "2.2")
    assert ok(result) == "Nothing left to read here. Well done.\n"
    assert json_out(cli("next", "--section", "2.2", "--json")) == []


@pytest.mark.parametrize("count", ["0", "-1"])
def test_next_count_below_one_is_a_usage_error_naming_the_option(cli, seeded, count):
    result = cli("next", "--count", count)
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert re.match(r"Usage: \S+ next ", result.stderr), result.stderr  # Click's usage line
    assert "Invalid value for '--count'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- open


def _no_browser(*args: object, **kwargs: object) -> int:
    raise AssertionError(f"a browser was opened: {args}")


def test_open_print_only_prints(cli, seeded, monkeypatch):
    import webbrowser

    monkeypatch.setattr(webbrowser, "open", _no_browser)
    result = cli("open", "lora", "--print")
    assert ok(result) == "https://arxiv.org/abs/2106.09685\n"  # an arXiv paper opens on its abstract page
    assert result.stderr == ""
    assert ok(cli("open", "2106.09685", "--print", "--pdf")) == "https://arxiv.org/pdf/2106.09685\n"


def test_open_launches_the_browser_once(cli, seeded, monkeypatch):
    import webbrowser

    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(webbrowser, "open", lambda *args, **kwargs: calls.append(args) or True)
    ok(cli("open", "50f228"))
    assert calls == [("https://arxiv.org/abs/2106.09685",)]


@pytest.mark.parametrize(
    ("title", "detail"),
    [
        ("Local PDF Paper", " (its link is 'papers/local.pdf')"),
        ("Mail Paper", " (its link is 'mailto:author@example.org')"),
        ("No Link Paper", ""),
    ],
)
def test_open_refuses_links_that_are_not_web_links(cli, one_error, monkeypatch, title, detail):
    monkeypatch.setattr(typer, "launch", _no_browser)
    ok(cli("import", str(FORMATS / "local_links.md")))
    paper = next(row for row in json_out(cli("list", "--json")) if row["title"] == title)
    expected = f"Error: {paper['id']} has no web link to open{detail}"
    assert one_error(cli("open", paper["id"])) == expected
    assert one_error(cli("open", paper["id"], "--print")) == expected


def test_open_ambiguous_ref_opens_nothing(cli, seeded, one_error, monkeypatch):
    monkeypatch.setattr(typer, "launch", _no_browser)
    assert one_error(cli("open", "language models")).startswith("Error: 'language models' matches ")


# ---------------------------------------------------------------- users


def test_users_json(cli, seeded):
    assert json_out(cli("users", "--json")) == []
    assert ok(cli("users")) == "No one has marked, tagged or rated a paper or written a note yet.\n"
    ok(cli("mark-read", "50f228", "f77a8b"))
    ok(cli("mark-reading", "09794a"))
    ok(cli("note", "add", "50f228", "low rank"))
    ok(cli("--user", "bob", "mark-reading", "50f228"))
    ok(cli("--user", "carol", "note", "add", "f77a8b", "first"))
    ok(cli("--user", "carol", "note", "add", "f77a8b", "second"))
    rows = json_out(cli("users", "--json"))
    assert [{k: v for k, v in row.items() if k != "last_active"} for row in rows] == [
        {"user": "alice", "read": 2, "reading": 1, "notes": 1, "tags": 0, "rated": 0, "papers": 118},
        {"user": "bob", "read": 0, "reading": 1, "notes": 0, "tags": 0, "rated": 0, "papers": 118},
        {"user": "carol", "read": 0, "reading": 0, "notes": 2, "tags": 0, "rated": 0, "papers": 118},
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", row["last_active"]) for row in rows)
    plain = ok(cli("users")).splitlines()
    assert [line.split("\t")[:4] for line in plain] == [
        ["alice", "2/118", "1", "1"],
        ["bob", "0/118", "1", "0"],
        ["carol", "0/118", "0", "2"],
    ]


def test_users_count_only_papers_a_list_still_holds(cli, seeded):
    ok(cli("import", str(FORMATS / "reading_group.md")))
    only = id_of(cli, "url:example.org/rg/only")  # in the reading group's list alone
    ok(cli("mark-read", only, "50f228"))
    ok(cli("mark-reading", "f77a8b"))
    assert [(r["read"], r["reading"], r["papers"]) for r in json_out(cli("users", "--json"))] == [(2, 1, 119)]
    ok(cli("remove-list", "Reading Group"))
    # The status stays (user data is never removed), but the paper is no longer one of the list's.
    (row,) = json_out(cli("users", "--json"))
    assert (row["user"], row["read"], row["reading"], row["papers"]) == ("alice", 1, 1, 118)
    assert ok(cli("users")).split("\t")[:3] == ["alice", "1/118", "1"]


# ---------------------------------------------------------------- config


def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("LLMREADS_CONFIG", str(path))
    return path


def test_config_path(cli, tmp_path, monkeypatch):
    assert ok(cli("config", "path")) == f"{tmp_path / 'no-config.toml'}\n"
    monkeypatch.delenv("LLMREADS_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert ok(cli("config", "path")) == f"{tmp_path / 'xdg' / 'llmreads' / 'config.toml'}\n"
    assert not (tmp_path / "xdg").exists()


def test_config_show_from_the_file(cli, tmp_path, monkeypatch):
    path = write_config(
        tmp_path, monkeypatch, f'user = "carol"\ndb = "{tmp_path / "file.db"}"\nlist = "Reading Group"\n'
    )
    monkeypatch.delenv("LLMREADS_DB")
    monkeypatch.delenv("LLMREADS_USER")
    assert json_out(cli("config", "show", "--json")) == {
        "config": {"value": str(path), "source": "exists"},
        "db": {"value": str(tmp_path / "file.db"), "source": "config file"},
        "user": {"value": "carol", "source": "config file"},
        "list": {"value": "Reading Group", "source": "config file"},
    }
    assert not (tmp_path / "file.db").exists()  # showing settings opens nothing


def test_config_precedence_option_env_file(cli, tmp_path, monkeypatch):
    write_config(tmp_path, monkeypatch, f'user = "carol"\ndb = "{tmp_path / "file.db"}"\nlist = "From File"\n')
    monkeypatch.setenv("LLMREADS_DB", str(tmp_path / "env.db"))
    monkeypatch.setenv("LLMREADS_USER", "dave")
    monkeypatch.setenv("LLMREADS_LIST", "From Env")
    shown = json_out(cli("config", "show", "--json"))
    assert {k: (v["value"], v["source"]) for k, v in shown.items() if k != "config"} == {
        "db": (str(tmp_path / "env.db"), "environment"),
        "user": ("dave", "environment"),
        "list": ("From Env", "environment"),
    }
    shown = json_out(cli("--db", str(tmp_path / "opt.db"), "--user", "erin", "config", "show", "--json"))
    assert {k: (v["value"], v["source"]) for k, v in shown.items() if k != "config"} == {
        "db": (str(tmp_path / "opt.db"), "option"),
        "user": ("erin", "option"),
        "list": ("From Env", "environment"),
    }
    # The settings are the ones used: the option's database is the one written.
    ok(cli("--db", str(tmp_path / "opt.db"), "--user", "erin", "mark-read", "lora"))
    assert (tmp_path / "opt.db").exists() and not (tmp_path / "env.db").exists()
    assert not (tmp_path / "file.db").exists()
    rows = json_out(cli("--db", str(tmp_path / "opt.db"), "users", "--json"))
    assert [(r["user"], r["read"]) for r in rows] == [("erin", 1)]


def test_config_file_settings_are_used(cli, tmp_path, monkeypatch):
    write_config(tmp_path, monkeypatch, f'user = "carol"\ndb = "{tmp_path / "file.db"}"\n')
    monkeypatch.delenv("LLMREADS_DB")
    monkeypatch.delenv("LLMREADS_USER")
    ok(cli("mark-read", "lora"))
    assert (tmp_path / "file.db").exists()
    rows = json_out(cli("users", "--json"))
    assert [(r["user"], r["read"]) for r in rows] == [("carol", 1)]


def test_list_honours_the_files_default_list(cli, tmp_path, monkeypatch):
    ok(cli("import"))
    ok(cli("import", str(FORMATS / "reading_group.md")))
    write_config(tmp_path, monkeypatch, 'list = "Reading Group"\n')
    group = json_out(cli("list", "--json"))
    assert sorted(row["key"] for row in group) == ["arxiv:1706.03762", "arxiv:2106.09685", "url:example.org/rg/only"]
    assert len(ids(cli, "list", "--list", "LLM_Paper_Reading")) == 118
    assert [s["title"] for s in json_out(cli("sections", "--json"))] == ["Week 1", "Week 2"]
    assert json_out(cli("progress", "--json"))["total"]["papers"] == 3
    assert ids(cli, "next", "-n", "2") == ["f77a8b", "50f228"]
    assert ids(cli, "search", "meeting") == [id_of(cli, "url:example.org/rg/only")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('user = "carol\n', "is not valid TOML: "),
        ('colour = "red"\n',
         ": unknown setting 'colour' (known: user, db, list, arxiv_api, crossref_api, arxiv_delay, glossary)"),
        ('user = ""\n', ": user must be a non-empty string"),
        ('list = "   "\n', ": list must be a non-empty string"),
        ("db = 3\n", ": db must be a non-empty string"),
    ],
)
def test_bad_config_files(cli, one_error, tmp_path, monkeypatch, text, message):
    path = write_config(tmp_path, monkeypatch, text)
    for args in (("list",), ("config", "show"), ("mark-read", "lora")):
        error = one_error(cli(*args))
        assert error.startswith(f"Error: config file {path}"), error
        assert message in error
    assert not Path(os.environ["LLMREADS_DB"]).exists()


def test_config_path_works_with_a_broken_config_file(cli, tmp_path, monkeypatch):
    """`config path` is how a user finds the file to fix; it must not need the file to be valid."""
    path = write_config(tmp_path, monkeypatch, "user = \n")
    assert ok(cli("config", "path")) == f"{path}\n"


# ---------------------------------------------------------------- completion


class FakeContext:
    """What the completion callbacks use of a Click context: the root's parameters."""

    def __init__(self, **params: object) -> None:
        self.params = {"db": None, "user": None, **params}

    def find_root(self) -> FakeContext:
        return self


def test_completion_callbacks(cli, seeded):
    from llmreads import completion

    ctx = FakeContext()
    assert completion.sections(ctx, "2.") == [(n, t) for n, t in SECTIONS if n.startswith("2.")]
    assert completion.sections(ctx, "") == SECTIONS
    assert completion.sections(ctx, "9") == []
    ok(cli("import", str(FORMATS / "reading_group.md")))
    assert completion.sections(ctx, "1") == [("1", f"{SECTIONS[0][1]} / Week 1")]  # one per number
    assert completion.papers(ctx, "50f") == [("50f228", LORA)]
    # An arXiv id prefix: offered as arXiv ids, since the shell keeps only what starts with the typed text.
    assert completion.papers(ctx, "2106.09") == [("2106.09685", LORA)]
    assert [paper for paper, _ in completion.papers(ctx, "2106.0")] == ["2106.09685", "2106.07139", "2106.08254"]
    assert completion.papers(ctx, "zz") == []
    assert len(completion.papers(ctx, "")) == 119
    assert completion.lists(ctx, "") == [
        ("LLM_Paper_Reading", "LLM_Paper_Reading"),
        ("Reading Group", "Reading Group"),
    ]
    assert completion.lists(ctx, "Rea") == [("Reading Group", "Reading Group")]
    assert completion.statuses("") == ["unread", "reading", "read"]
    assert completion.statuses("re") == ["reading", "read"]
    assert completion.statuses("x") == []


def test_completion_hides_papers_no_list_holds(cli, seeded):
    from llmreads import completion

    ok(cli("import", str(FORMATS / "reading_group.md")))
    only = id_of(cli, "url:example.org/rg/only")
    assert completion.papers(FakeContext(), only) == [(only, "Group Only Paper")]
    ok(cli("remove-list", "Reading Group"))
    assert completion.papers(FakeContext(), only) == []
    assert completion.lists(FakeContext(), "") == [("LLM_Paper_Reading", "LLM_Paper_Reading")]


def test_completion_uses_the_db_option_and_the_config_file(cli, seeded, tmp_path, monkeypatch):
    from llmreads import completion

    other = tmp_path / "other.db"
    ok(cli("--db", str(other), "import", str(FORMATS / "reading_group.md")))
    assert completion.lists(FakeContext(db=other), "") == [("Reading Group", "Reading Group")]
    write_config(tmp_path, monkeypatch, f'db = "{other}"\n')
    monkeypatch.delenv("LLMREADS_DB")
    assert completion.lists(FakeContext(), "") == [("Reading Group", "Reading Group")]


def test_completion_without_a_database(tmp_path, db):
    from llmreads import completion

    missing = tmp_path / "missing" / "none.db"
    for ctx in (FakeContext(), FakeContext(db=missing)):
        assert completion.sections(ctx, "") == []
        assert completion.papers(ctx, "") == []
        assert completion.lists(ctx, "") == []
    assert not db.exists()
    assert not missing.parent.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def _console_script() -> str:
    script = Path(sys.executable).with_name("llmreads")
    found = str(script) if script.exists() else shutil.which("llmreads")
    assert found, "the llmreads console script is not installed"
    return found


def _complete(words: str, env: dict[str, str]) -> list[str]:
    parts = words.split(" ")
    done = subprocess.run(
        [_console_script()],
        env={
            **os.environ,
            **env,
            "_LLMREADS_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(parts) - 1),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return [line for line in done.stdout.splitlines() if line]


def test_shell_completion_through_the_console_script(cli, seeded, tmp_path):
    assert _complete("llmreads list --section 2.", {}) == ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6"]
    assert _complete("llmreads show 50f", {}) == ["50f228"]
    assert _complete("llmreads list --status rea", {}) == ["reading", "read"]
    missing = tmp_path / "nowhere.db"
    assert _complete("llmreads show 50f", {"LLMREADS_DB": str(missing)}) == []
    assert not missing.exists()


# ---------------------------------------------------------------- output at fixed widths


WIDTH_COMMANDS = [
    ("list", "--stars", "4"),
    ("search", "微调"),
    ("show", "lora"),
    ("sections",),
    ("progress",),
]


@pytest.fixture
def seeded_with_chinese_titles(cli, seeded, prepared):  # type: ignore[no-untyped-def]
    return prepared("everyday.chinese_titles", lambda: ok(cli("import", str(FORMATS / "chinese_titles.md"))))


def _forced(cli, width: int, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = cli(*args, env={"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": str(width)})
    return ok(result)


@pytest.mark.parametrize("width", [40, 80, 200])
@pytest.mark.parametrize("args", WIDTH_COMMANDS, ids=lambda a: " ".join(a))
def test_no_line_is_wider_than_the_terminal(cli, seeded_with_chinese_titles, width, args):
    from rich.cells import cell_len

    out = _forced(cli, width, *args)
    assert out.strip()
    assert "\t" not in out and "\x1b" not in out
    too_wide = [line for line in out.splitlines() if cell_len(line) > width]
    assert too_wide == []


def _whole_on_a_line(out: str, text: str) -> bool:
    return any(text in line for line in out.splitlines())


def _squeezed(out: str) -> str:
    return "".join(out.split())


@pytest.mark.parametrize("width", [40, 80, 200])
def test_chinese_titles_are_shown(cli, seeded_with_chinese_titles, width):
    listing = _forced(cli, width, "list", "--stars", "4")
    found = _forced(cli, width, "search", "微调")
    # A wrapped title continues in its own column; the row's section label sits beside its first line.
    for out in (listing, found):
        squeezed = _squeezed(out).replace("1微调方法", "")
        assert ZH_SHORT in squeezed and ZH_LONG in squeezed
        assert _whole_on_a_line(out, ZH_LONG) == (width >= 200)
    # The list's title column is about 24 cells wide at 40 columns; a search result's line is the whole width.
    assert _whole_on_a_line(listing, ZH_SHORT) == (width >= 80)
    assert _whole_on_a_line(found, ZH_SHORT)
    if width >= 80:
        assert _whole_on_a_line(listing, "3 大模型与多模态相关")
    shown = _forced(cli, width, "show", "lora")
    assert _whole_on_a_line(shown, "§ 2.4 PEFT")
    assert "LoRa微调方法论文在大型数据集上预训练的" in _squeezed(shown)
    for command in ("sections", "progress"):
        out = _forced(cli, width, command)
        fitting = (
            [f"{n} {t}" for n, t in SECTIONS]
            if width >= 80
            else [
                "基础语言大模型",
                "2 LLM的关键技术",
                "3 大模型与多模态相关",
                "2.6 综述及其他",
                "2.4 PEFT",
            ]
        )
        missing = [label for label in fitting if not _whole_on_a_line(out, label)]
        assert missing == [], (command, out)


@pytest.mark.parametrize("width", [40, 80, 200])
@pytest.mark.parametrize("command", ["sections", "progress"])
def test_latin_words_in_chinese_section_titles_are_not_split(cli, seeded, width, command):
    """A narrow column may break a Chinese title between ideographs, but not inside `ChatGPT`."""
    out = _forced(cli, width, command)
    titles = " ".join(t for _, t in SECTIONS)
    for word in sorted(set(re.findall(r"[A-Za-z][A-Za-z0-9]+", titles))):
        assert out.count(word) >= titles.count(word), (word, out)


# ---------------------------------------------------------------- piped output and colour


def test_piped_list_next_and_search_are_tab_separated(cli, seeded):
    for args, fields in ((("list",), 5), (("next", "-n", "7"), 5), (("search", "微调", "--exact"), 6)):
        out = ok(cli(*args))
        assert "\x1b" not in out
        lines = out.splitlines()
        assert lines
        assert [len(line.split("\t")) for line in lines] == [fields] * len(lines), args
        rows = json_out(cli(*args, "--json"))
        assert [line.split("\t")[0] for line in lines] == [row["id"] for row in rows]
        for line, row in zip(lines, rows, strict=True):
            parts = line.split("\t")
            assert parts[1:5] == [str(row["stars"]), row["status"], row["title"], "; ".join(row["sections"])]
            if fields == 6:
                assert parts[5] == row["snippet"] and "微调" in parts[5]
    assert len(ok(cli("list")).splitlines()) == 118


def test_color_option_forces_tables_and_colour_when_piped(cli, seeded):
    out = ok(cli("--color", "list", "--stars", "5"))
    assert colour_codes(out)
    assert "\t" not in out
    plain = SGR.sub("", out)
    assert plain.splitlines()[0].split()[:4] == ["id", "★", "status", "title"]
    assert all(paper in plain for paper in FIVE_STARS)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--no-color",), {}),
        ((), {"NO_COLOR": "1"}),
    ],
)
def test_no_colour_in_a_forced_terminal(cli, seeded, args, env):
    forced = {"LLMREADS_FORCE_TERMINAL": "1", "COLUMNS": "100", "FORCE_COLOR": "1"}
    coloured = ok(cli("list", "--stars", "5", env=forced))
    assert colour_codes(coloured)  # the control: colour is on without the switch
    for command in (("list", "--stars", "5"), ("search", "lora"), ("show", "lora"), ("sections",), ("progress",)):
        out = ok(cli(*args, *command, env={**forced, **env}))
        assert colour_codes(out) == [], command
        assert "LORA" in out or "PEFT" in out


def test_a_large_import_shows_no_progress_bar_when_stderr_is_not_a_terminal(cli, tmp_path):
    from llmreads.sources import PROGRESS_MIN_LINES

    rows = ["# Big List", "", "## Papers", "", "| Title | Link | Notes |", "| --- | --- | --- |"]
    count = 0
    while len(rows) <= PROGRESS_MIN_LINES + 100:
        rows.append(f"| Big paper {count} | https://example.org/big/{count} | {'notes on scaling ' * 10}|")
        count += 1
    path = tmp_path / "big.md"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = cli("import", str(path))
    assert ok(result).splitlines()[0] == (
        f"Imported Big List as list 'Big List': 1 section, {count} entries, {count} distinct papers"
    )
    assert result.stderr == ""


# ---------------------------------------------------------------- wrapping mixed Chinese and English


def test_wrap_fills_lines_with_chinese_and_keeps_latin_words_whole(seed_doc):
    from rich.cells import cell_len

    from llmreads.render import wrap

    # A run of Chinese glued to Latin text no longer jumps whole to the next line.
    mixed = "Open AI GPT3原始论文GPT-3仍然是训练当下大语言模型（如ChatGPT）的常用基线和基础模型"
    first = "   Open AI GPT3原始论文GPT-3仍然是训练当下大语言模型（如ChatGPT）的常用基线和基"
    assert wrap(mixed, 80, "   ")[0] == first
    closing = set("。，、；：？！）」』】〉》”’…")
    for entry in seed_doc.entries:
        # Latin words outside URLs (a URL longer than a line is cut, as it must be)
        prose = re.sub(r"https?://\S+", " ", entry.intro)
        words = {w for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", prose) if len(w) <= 20}
        for width in (24, 40, 61, 80):
            lines = wrap(entry.intro, width)
            assert all(cell_len(line) <= width for line in lines)
            assert "".join("".join(lines).split()) == "".join(entry.intro.split())
            assert not any(line[:1] in closing for line in lines[1:]), (width, lines)
            for word in words:  # a Latin word is never cut
                assert any(word in line for line in lines), (word, width, lines)


def test_a_note_of_hundreds_of_lines_is_shown_line_for_line(cli, seeded):
    """A terminal shows a long note a block of lines at a time: no line lost, doubled or glued to the next."""
    from llmreads.render import wrap

    paragraphs = [
        f"段落{i} " + " ".join(f"word{i}-{j}" for j in range(i % 7 * 3)) + ("，中文句子继续写下去" * (i % 3))
        for i in range(260)
    ]
    ok(cli("note", "add", "lora", "-", input="\n".join(paragraphs)))
    out = _forced(cli, 40, "show", "lora").splitlines()
    start = next(i for i, line in enumerate(out) if line.startswith("  [")) + 1
    expected = [line for p in paragraphs for line in (wrap(p, 40, "      ") or [""])]
    assert len(expected) > 300
    assert out[start:] == expected
