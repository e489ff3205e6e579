"""What llmreads prints, in a terminal, in a pipe and at 40 columns; through the installed `llmreads`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from processes import in_terminal, run

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen_text(screen: str) -> str:
    return ANSI.sub("", screen).replace("\r\n", "\n")


def test_piped_search_prints_every_hit(seeded):
    every = json.loads(run("search", "language", "--json").stdout)
    assert len(every) > 20
    piped = run("search", "language")
    assert piped.returncode == 0
    assert [line.split("\t")[0] for line in piped.stdout.splitlines()] == [p["id"] for p in every]
    assert piped.stderr == ""


def test_a_piped_search_with_a_limit_says_on_stderr_how_many_were_left_out(seeded):
    result = run("search", "language", "--limit", "3")
    assert len(result.stdout.splitlines()) == 3
    total = len(json.loads(run("search", "language", "--json").stdout))
    assert result.stderr == f"3 of {total} papers shown (--limit)\n"


def test_no_match_goes_to_stderr_never_into_the_stream(seeded):
    result = run("search", "zzqqxx")
    assert result.returncode == 0
    assert result.stdout == ""
    assert result.stderr.startswith("No papers match 'zzqqxx'")


def test_with_filters_it_says_how_many_matched_before_them(seeded):
    result = run("search", "lora", "--section", "1")
    assert result.stdout == ""
    assert result.stderr == "No papers match 'lora' with 1 OpenAI/Google 基础语言大模型. 2 papers match without.\n"
    code, screen = in_terminal("search", "lora", "--stars", "5")
    assert code == 0
    assert "1 paper matches 'lora' (2 before 5+ stars)" in screen_text(screen)


def test_the_status_column_has_a_header_and_a_reading_mark_that_is_not_an_ellipsis(seeded):
    run("mark-reading", "lora")
    run("mark-read", "1706.03762")
    code, screen = in_terminal("list", "--stars", "5", columns=100)
    text = screen_text(screen)
    header = text.splitlines()[0].split()
    assert header[:4] == ["id", "★", "status", "title"]
    lora = next(line for line in text.splitlines() if "50f228" in line)
    attention = next(line for line in text.splitlines() if "f77a8b" in line)
    assert "◐" in lora and "…" not in lora
    assert "✓" in attention


def test_progress_says_one_star(seeded):
    lines = run("progress").stdout.splitlines()
    assert any(line.startswith("1 star\t") for line in lines)
    assert any(line.startswith("2 stars\t") for line in lines)


def test_db_status_and_backup_give_sizes_in_kib_or_mib(seeded, tmp_path):
    status = run("db", "status").stdout
    size_line = next(line for line in status.splitlines() if line.startswith("size"))
    assert re.fullmatch(r"size\s+\d+\.\d (KiB|MiB)", size_line), size_line
    backup = run("db", "backup", str(tmp_path / "copy.db"))
    assert re.search(r"\(\d+\.\d (KiB|MiB), schema", backup.stdout), backup.stdout


def test_show_prints_local_dates(seeded):
    run("mark-read", "lora")
    stamp = json.loads(run("show", "lora", "--json").stdout)["status_at"]
    local = datetime.fromisoformat(stamp).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    shown = run("show", "lora", env={"TZ": "Asia/Shanghai"}).stdout
    assert f"status  read (since {local})" in shown
    assert stamp not in shown


def test_multi_line_notes_keep_their_lines(seeded):
    text = "first line\nsecond line\nthird line\nfourth line\nfifth line"
    assert run("note", "add", "lora", "-", input=text).returncode == 0
    shown = run("show", "lora").stdout.splitlines()
    start = shown.index("notes")
    assert [line.strip() for line in shown[start + 2 : start + 7]] == text.split("\n")
    code, screen = in_terminal("note", "list")
    listed = screen_text(screen)
    assert "first line" in listed and "third line" in listed and "fourth line" not in listed
    assert "2 more lines (--full)" in listed
    code, screen = in_terminal("note", "list", "--full")
    assert all(line in screen_text(screen) for line in text.split("\n"))


HELP_SECTIONS = ["Reading commands:", "Tracking commands:", "Lists commands:", "Data commands:"]


def test_help_lists_the_commands_grouped_and_whole_at_40_columns():
    result = run("--help", env={"COLUMNS": "40"})
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 40 for line in lines), [line for line in lines if len(line) > 40]
    assert [line for line in lines if line.endswith("commands:")] == HELP_SECTIONS
    flat = " ".join(result.stdout.split()).replace("- ", "-")  # a line may break after a hyphen
    from llmreads.app import CommandLoaderGroup

    for name, listing in CommandLoaderGroup.COMMANDS.items():
        assert f"{name} {listing.help}".replace("- ", "-") in flat, name


def test_help_names_arguments_in_capitals_and_says_what_options_take():
    text = run("search", "--help").stdout
    assert "Usage: llmreads search [OPTIONS] QUERY...\n" in text
    for placeholder in ("--section SECTION", "--status [unread|reading|read]", "--sort [relevance|stars|list]",
                        "--limit LIMIT"):
        assert placeholder in text, placeholder
    assert "<str>" not in text and "{query}" not in text
    assert "Usage: llmreads mark-read [OPTIONS] REFS...\n" in run("mark-read", "--help").stdout
    assert "Usage: llmreads show [OPTIONS] REF\n" in run("show", "--help").stdout
    assert "Usage: llmreads note add [OPTIONS] REF [TEXT]...\n" in run("note", "add", "--help").stdout
    assert "--db PATH" in run("--help").stdout


def test_help_does_not_import_rich():
    code = (
        "import atexit, sys\nsys.argv = ['llmreads', 'search', '--help']\nfrom llmreads.entry import main\n"
        "atexit.register(lambda: print('rich' in sys.modules, file=sys.stderr))\n"  # main ends the process
        "main()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert result.stderr.strip().splitlines()[-1] == "False"
    assert "QUERY" in result.stdout


def test_ascii_draws_stars_bars_and_marks_in_ascii(seeded):
    run("mark-reading", "lora")
    for args in (["--ascii", "list", "--stars", "5"], ["list", "--stars", "5", "--ascii"]):
        code, screen = in_terminal(*args, columns=100)
        text = screen_text(screen)
        assert "*****" in text and "★" not in text and "◐" not in text
        assert ">" in next(line for line in text.splitlines() if "50f228" in line)
    code, screen = in_terminal("progress", env={"LLMREADS_ASCII": "1"})
    text = screen_text(screen)
    assert "█" not in text and "░" not in text and "----------" in text


def test_no_usage_line_writes_an_argument_in_braces(cli):
    import typer

    from llmreads.app import CommandLoaderGroup, app

    group = typer.main.get_command(app)
    names = []
    for name in CommandLoaderGroup.COMMANDS:
        command = group.get_command(None, name)  # type: ignore[arg-type]
        names.append([name])
        names += [[name, sub] for sub in getattr(command, "commands", {})]
    assert ["note", "add"] in names and ["db", "status"] in names
    for words in names:
        result = cli(*words, "--help")
        assert result.exit_code == 0, (words, result.output)
        usage = result.output.splitlines()[0]
        assert usage.startswith(f"Usage: root {' '.join(words)} "), usage
        assert "{" not in usage and "}" not in usage, usage
