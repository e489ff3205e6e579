"""Naming a paper: links, title tiers, ids and their prefixes, the choice at a terminal; through real processes."""

from __future__ import annotations

import json

import pytest

from processes import in_terminal, run


def shown_id(*ref: str) -> str:
    result = run("show", *ref, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["id"]


@pytest.mark.parametrize("link", [
    "https://github.com/THUDM/ChatGLM-6B",
    "github.com/THUDM/ChatGLM-6B",
    "http://www.github.com/THUDM/ChatGLM-6B/",
])
def test_a_link_the_paper_shows_names_it(seeded, link):
    assert shown_id(link) == "88bfb3"
    marked = run("mark-read", link, "--json")
    assert marked.returncode == 0, marked.stderr
    assert [row["id"] for row in json.loads(marked.stdout)] == ["88bfb3"]


def test_every_link_that_show_lists_names_its_paper(seeded):
    detail = json.loads(run("show", "88bfb3", "--json").stdout)
    links = [detail["url"], *(link["url"] for link in detail["links"])]
    assert len(links) == 4 and "https://chatglm.cn/" in links
    for url in links:
        assert shown_id(url) == "88bfb3", url
        assert shown_id(url.split("://", 1)[1]) == "88bfb3", url
        assert shown_id(url.split("://", 1)[1].rstrip("/")) == "88bfb3", url


def test_the_link_open_prints_names_the_paper(seeded):
    printed = run("open", "--print", "chatglm-6b").stdout.strip()
    assert shown_id(printed) == "88bfb3"


def test_a_link_no_paper_has_is_named_in_the_error(seeded):
    result = run("show", "https://example.org/nothing-here")
    assert result.returncode == 1
    assert "https://example.org/nothing-here" in result.stderr


def test_a_title_that_starts_with_the_words_wins_over_titles_that_hold_them(seeded):
    assert shown_id("attention") == "f77a8b"  # Attention Is All You Need
    assert shown_id("llama") == "b2c3ad"  # LLaMA: Open and Efficient...


def test_whole_words_win_over_a_prefix(seeded):
    # Several titles start with "bert" (BERT, BERTology...); one holds it as a whole word at the start.
    assert shown_id("bert") == "53a411"


def test_the_whole_title_wins(seeded):
    assert shown_id("Attention Is All You Need") == "f77a8b"
    assert shown_id("attention is all you need") == "f77a8b"


def test_a_full_id_always_names_its_paper(seeded):
    assert shown_id("50f228") == "50f228"


def test_a_unique_id_prefix_names_the_paper(seeded):
    assert shown_id("50f2") == "50f228"
    assert shown_id("50F22") == "50f228"


def test_an_id_prefix_is_not_tried_when_a_title_holds_the_text(seeded, tmp_path):
    extra = tmp_path / "extra.md"
    extra.write_text("# Extra\n\n| 论文 | 链接 |\n|---|---|\n| Notes on 50f2 | https://example.org/notes |\n")
    assert run("import", str(extra)).returncode == 0
    titled = json.loads(run("show", "50f2", "--json").stdout)
    assert titled["title"] == "Notes on 50f2"
    assert shown_id("50f22") == "50f228"  # no title holds this one


def test_an_ambiguous_reference_in_a_pipe_is_an_error_with_candidates(seeded):
    result = run("show", "gpt")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: 'gpt' matches 2 papers; use an id"
    assert {line.split()[0] for line in lines[1:]} == {"a95e11", "922c07"}


def test_an_ambiguous_reference_at_a_terminal_offers_a_numbered_choice(seeded):
    code, screen = in_terminal("show", "gpt", answers="2\r")
    assert code == 0, screen
    assert "1  a95e11  GPT-4 Technical Report" in screen
    assert "2  922c07  GPT Understands, Too" in screen
    after = screen.split("Which one?", 1)[1]
    assert "GPT Understands, Too" in after and "922c07" in after and "a95e11" not in after


def test_a_choice_cancelled_at_a_terminal_is_the_error_and_changes_nothing(seeded):
    code, screen = in_terminal("mark-read", "gpt", answers="\r")
    assert code == 1
    assert "Error: 'gpt' matches 2 papers" in screen
    assert json.loads(run("list", "--status", "read", "--json").stdout) == []


def test_mark_read_with_one_bad_ref_changes_nothing_and_names_it(seeded):
    result = run("mark-read", "lora", "zzzq-no-such", "1706.03762")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: no paper matches 'zzzq-no-such'; none of the 3 papers was marked read"
    ]
    assert json.loads(run("list", "--status", "read", "--json").stdout) == []


def test_mark_read_names_every_bad_ref(seeded):
    result = run("mark-reading", "zzzq", "gpt", "lora")
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert "'zzzq'" in first and "'gpt' matches 2 papers" in first and "none of the 3 papers" in first
    assert json.loads(run("list", "--status", "reading", "--json").stdout) == []


def test_an_unknown_user_on_a_read_only_command_is_told_the_known_users(seeded):
    run("--user", "carol", "mark-read", "lora")
    run("--user", "dave", "note", "add", "lora", "hi")
    result = run("progress", "--user", "bobb", "--json")
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "llmreads: user 'bobb' has recorded nothing in this database; known users: 'carol', 'dave'"
    ]
    assert run("progress", "--user", "carol", "--json").stderr == ""


def test_a_write_by_a_new_user_says_nothing_about_users(seeded):
    result = run("mark-read", "lora", "--user", "erin")
    assert result.returncode == 0 and result.stderr == ""


def test_an_unknown_user_and_an_error_is_one_line(seeded):
    result = run("show", "zzzq", "--user", "bobb")
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["Error: no paper matches 'zzzq'"]
