"""The tests' llmreads processes: one forked from the fork server answers as the installed script started afresh."""

from __future__ import annotations

import os

import pytest

import processes
from helpers import read_fixture

EXEC = {"LLMREADS_TEST_EXEC": "1"}


@pytest.mark.parametrize("args", [
    ("--version",),
    ("list", "--limit", "5"),
    ("search", "微调", "--limit", "3"),
    ("show", "lora", "--json"),
    ("show", "no-such-paper-zz"),  # a domain error: one line, status 1
    ("list", "--stars", "9"),  # a usage error: Click's message, status 2
    ("mark-read", "lora", "--json"),
])
def test_a_forked_run_answers_as_a_fresh_one(seeded, args):
    forked = processes.run(*args)
    fresh = processes.run(*args, env=EXEC)
    assert (forked.returncode, forked.stdout, forked.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    assert forked.stdout or forked.stderr


def test_a_forked_run_takes_its_input_time_zone_and_folder(seeded, tmp_path, monkeypatch):
    (tmp_path / "zh.md").write_text(read_fixture("chinese_titles.md"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    imported = processes.run("import", "zh.md", "--name", "zh")  # a path relative to the test's folder
    assert imported.returncode == 0, imported.stderr
    assert "zh" in processes.run("lists", env=EXEC).stdout
    for env in ({}, EXEC):
        assert processes.run("mark-read", "lora", env={**env, "TZ": "XST-8"}).returncode == 0
    forked = processes.run("show", "lora", env={"TZ": "Asia/Shanghai"})
    fresh = processes.run("show", "lora", env={"TZ": "Asia/Shanghai", **EXEC})
    assert forked.stdout == fresh.stdout and "status  read (since" in forked.stdout
    piped = processes.run("note", "add", "lora", "-", input="from stdin, 中文\n")
    assert piped.returncode == 0, piped.stderr
    assert "from stdin, 中文" in processes.run("note", "list", "lora", env=EXEC).stdout


def test_a_forked_run_at_a_terminal_shows_what_a_fresh_one_shows(seeded):
    forked = processes.in_terminal("list", "--limit", "4", columns=40)
    fresh = processes.in_terminal("list", "--limit", "4", columns=40, env=EXEC)
    assert forked == fresh
    assert forked[0] == 0 and "\x1b[" in forked[1]  # colours: stdout is a terminal


def test_an_environment_that_starts_python_otherwise_is_run_afresh():
    environment = {name: value for name, value in os.environ.items() if name != "LLMREADS_TEST_EXEC"}
    server = processes._server_for(environment)
    assert server is not None
    assert processes._server_for({**environment, "LC_ALL": "C"}) is None
    assert processes._server_for({**environment, "PYTHONIOENCODING": "latin-1"}) is None
    assert processes._server_for({**environment, "TZ": "UTC", "NO_COLOR": "1"}) is server
    assert processes._server_for({**environment, **EXEC}) is None


def test_a_fork_server_that_has_ended_is_started_again(seeded):
    environment = {name: value for name, value in os.environ.items() if name != "LLMREADS_TEST_EXEC"}
    first = processes._server_for(environment)
    assert first is not None
    first.process.kill()
    first.process.wait(10)
    done = processes.run("--version", env={"LLMREADS_TEST_EXEC": ""})
    assert done.returncode == 0 and done.stdout.startswith("llmreads ")
    again = processes._server_for(environment)
    assert again is not None and again is not first and again.process.poll() is None



def test_a_run_past_its_timeout_is_killed_and_the_server_serves_the_next(seeded):
    import subprocess

    with pytest.raises(subprocess.TimeoutExpired):  # `note add` with no text waits for the editor
        processes.run("note", "add", "lora", env={"EDITOR": "sh -c 'sleep 30'"}, timeout=1)
    done = processes.run("--version")
    assert done.returncode == 0 and done.stdout.startswith("llmreads ")
