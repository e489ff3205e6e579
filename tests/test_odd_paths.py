"""Paths and settings that are not what they seem: folders that cannot hold a database, users
that do not exist, FIFOs and devices, codecs that are not text encodings, absurd config files.

Each gives one `Error:` line naming the file or the setting, and never a traceback or a
hang. What could block runs in a subprocess with a timeout; the timeout only guards the
test run, the assertions are on the exit code and stderr.
"""

from __future__ import annotations

import codecs
import encodings.aliases
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import processes
from helpers import assert_one_error

DOC = """# Tiny

| **ID** | **Paper** | **Introduction** |
| --- | --- | --- |
| 1✡✡ | [Attention Is All You Need](https://arxiv.org/abs/1706.03762) | 注意力 |
| 2✡ | [LoRA](https://arxiv.org/abs/2106.09685) | 低秩 |
"""


def subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREADS_")}
    env.update(LLMREADS_DB=str(tmp_path / "llmreads.db"), LLMREADS_USER="alice",
               LLMREADS_CONFIG=str(tmp_path / "no-config.toml"))
    env.update(extra)
    return env



def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def via(where: str, value: str, tmp_path: Path) -> tuple[list[str], dict[str, str | None]]:
    """The global arguments and environment that set the database path to `value` by `where`."""
    if where == "--db":
        return ["--db", value], {}
    if where == "LLMREADS_DB":
        return [], {"LLMREADS_DB": value}
    config = tmp_path / "config.toml"
    config.write_text(f"db = {value!r}\n", encoding="utf-8")
    return [], {"LLMREADS_DB": None, "LLMREADS_CONFIG": str(config)}


# ---------------------------------------------------------------- a database that cannot be made


def _unmakeable(kind: str, tmp_path: Path) -> Path:
    file = tmp_path / "a-file"
    file.write_text("not a folder\n")
    if kind == "parent is a file":
        return file / "x.db"
    if kind == "grandparent is a file":
        return file / "sub" / "x.db"
    if kind == "in /proc":
        return Path("/proc/llmreads-test.db")
    if kind == "read-only folder":
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
        return folder / "x.db"
    raise AssertionError(kind)


UNMAKEABLE = ["parent is a file", "grandparent is a file", "in /proc", "read-only folder"]


@pytest.mark.parametrize("where", ["--db", "LLMREADS_DB", "config file"])
@pytest.mark.parametrize("kind", UNMAKEABLE)
def test_a_database_that_cannot_be_created_is_one_error_naming_it(cli, tmp_path, kind, where):
    if kind == "in /proc" and not Path("/proc/self").exists():
        pytest.skip("no /proc here")
    if kind == "read-only folder" and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    path = _unmakeable(kind, tmp_path)
    args, env = via(where, str(path), tmp_path)
    line = assert_one_error(cli(*args, "mark-read", "lora", env=env))
    assert line.startswith(f"Error: cannot create database {path}: "), line
    assert not path.exists()


@pytest.mark.parametrize("where", ["--db", "LLMREADS_DB", "config file"])
def test_the_home_of_an_unknown_user_is_one_error_naming_the_setting(cli, tmp_path, where):
    args, env = via(where, "~nosuchuser-llmreads/x.db", tmp_path)
    line = assert_one_error(cli(*args, "list", env=env))
    named = {"--db": "--db", "LLMREADS_DB": "LLMREADS_DB", "config file": f"db in {tmp_path / 'config.toml'}"}
    assert line == (
        f"Error: {named[where]}: ~nosuchuser-llmreads/x.db names a home folder of an unknown user (nosuchuser-llmreads)"
    )


def test_a_config_file_in_the_home_of_an_unknown_user_is_one_error(cli, tmp_path):
    env = {"LLMREADS_CONFIG": "~nosuchuser-llmreads/config.toml"}
    line = assert_one_error(cli("list", env=env))
    assert line == (
        "Error: LLMREADS_CONFIG: ~nosuchuser-llmreads/config.toml names a home folder of an unknown user"
        " (nosuchuser-llmreads)"
    )
    assert assert_one_error(cli("config", "path", env=env)) == line


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("export", "-o", "~nosuchuser-llmreads/x.json"), "--output"),
        (("user-data", "export", "-o", "~nosuchuser-llmreads/x.json"), "--output"),
        (("user-data", "import", "~nosuchuser-llmreads/x.json"), "FILE"),
        (("db", "backup", "~nosuchuser-llmreads/x.db"), "PATH"),
        (("db", "restore", "~nosuchuser-llmreads/x.db"), "FILE"),
    ],
)
def test_a_file_in_the_home_of_an_unknown_user_is_one_error_naming_the_argument(cli, args, named):
    assert cli("import").exit_code == 0
    line = assert_one_error(cli(*args))
    assert line == (
        f"Error: {named}: ~nosuchuser-llmreads/x.{args[-1].rsplit('.', 1)[1]} names a home folder of an unknown user"
        " (nosuchuser-llmreads)"
    )


# ---------------------------------------------------------------- what is not a regular file


@pytest.mark.parametrize("where", ["--db", "LLMREADS_DB"])
def test_a_fifo_as_the_database_is_refused_without_opening_it(tmp_path, where):
    fifo = tmp_path / "fifo.db"
    os.mkfifo(fifo)
    args, extra = via(where, str(fifo), tmp_path)
    env = subprocess_env(tmp_path, **{k: v for k, v in extra.items() if v is not None})
    line = one_error_line(processes.run(*args, "list", env=env, timeout=30))
    assert line == f"Error: database path {fifo} is not a regular file (a FIFO)"
    assert one_error_line(processes.run(*args, "db", "status", env=env, timeout=30)) == line


def test_a_device_as_the_database_is_refused(cli):
    line = assert_one_error(cli("--db", "/dev/null", "list"))
    assert line == "Error: database path /dev/null is not a regular file (a character device)"


def _feed_fifo(fifo: Path, data: bytes) -> threading.Thread:
    def feed() -> None:
        try:
            with open(fifo, "wb") as handle:  # blocks until the reader opens it
                handle.write(data)
        except BrokenPipeError:
            pass  # the reader had read enough

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


def test_importing_a_fifo_reads_it_once(tmp_path):
    fifo = tmp_path / "list.md"
    os.mkfifo(fifo)
    feeder = _feed_fifo(fifo, DOC.encode("utf-8"))
    result = processes.run("import", str(fifo), "--json", env=subprocess_env(tmp_path), timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"papers": 2' in result.stdout
    assert '"list_name": "Tiny"' in result.stdout
    feeder.join(timeout=10)


def test_importing_a_process_substitution_reads_it_once(tmp_path):
    # What `llmreads import <(curl ...)` passes: /dev/fd/N, a pipe inherited from the shell.
    read_end, write_end = os.pipe()
    os.write(write_end, DOC.replace("Tiny", "Piped").encode("utf-8"))
    os.close(write_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "llmreads", "import", f"/dev/fd/{read_end}", "--json"],
            env=subprocess_env(tmp_path), capture_output=True, text=True, timeout=60, pass_fds=(read_end,),
            stdin=subprocess.DEVNULL,
        )
    finally:
        os.close(read_end)
    assert result.returncode == 0, result.stderr
    assert '"papers": 2' in result.stdout
    assert f'"source": "/dev/fd/{read_end}"' in result.stdout


def test_importing_a_fifo_of_binary_bytes_stops_at_the_first_block(tmp_path):
    fifo = tmp_path / "zeros.md"
    os.mkfifo(fifo)
    _feed_fifo(fifo, b"\x00" * (4 << 20))  # the feeder is left blocked once the reader has gone
    result = processes.run("import", str(fifo), env=subprocess_env(tmp_path), timeout=60)
    assert one_error_line(result) == f"Error: {fifo} is a binary file, not a markdown document"


def test_importing_dev_zero_is_refused_at_the_first_block(tmp_path):
    result = processes.run("import", "/dev/zero", env=subprocess_env(tmp_path), timeout=60)
    assert one_error_line(result) == "Error: /dev/zero is a binary file, not a markdown document"


def test_a_fifo_is_read_up_to_the_size_limit_only(tmp_path, monkeypatch):
    from llmreads import sources
    from llmreads.errors import ImportFailed

    monkeypatch.setattr(sources, "MAX_DOCUMENT_BYTES", 1 << 20)
    fifo = tmp_path / "endless.md"
    os.mkfifo(fifo)
    _feed_fifo(fifo, DOC.encode("utf-8") * 100_000)  # some 50 MiB
    with pytest.raises(ImportFailed) as raised:
        sources.read_document(str(fifo))
    assert str(raised.value) == f"{fifo} is larger than 1 MiB; split the list"


def test_a_large_fifo_is_read_once_and_kept_whole(tmp_path, monkeypatch):
    from llmreads import sources

    monkeypatch.setattr(sources, "IN_MEMORY_BYTES", 4096)  # beyond this a temporary file holds it
    fifo = tmp_path / "large.md"
    os.mkfifo(fifo)
    rows = "".join(f"| {n} | [Paper {n}](https://example.org/{n}) | 简介 {n} |\n" for n in range(3, 2000))
    text = DOC + rows
    _feed_fifo(fifo, text.encode("utf-8"))
    source = sources.read_document(str(fifo))
    assert "\n".join(source.lines()) == text.removesuffix("\n")
    assert "\n".join(source.lines()) == text.removesuffix("\n")  # and again, as the import's passes do


def test_a_config_file_that_never_ends_is_cut_short(tmp_path):
    result = processes.run("list", env=subprocess_env(tmp_path, LLMREADS_CONFIG="/dev/zero"), timeout=60)
    assert one_error_line(result) == "Error: config file /dev/zero is larger than 1 MiB, too large for a config file"


def test_a_config_file_from_a_fifo_is_read(tmp_path):
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    _feed_fifo(fifo, b'list = "fifo-list"\n')
    result = processes.run("config", "show", env=subprocess_env(tmp_path, LLMREADS_CONFIG=str(fifo)), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "fifo-list  [config file]" in result.stdout


# ---------------------------------------------------------------- encodings and nesting


@pytest.mark.parametrize("name", ["hex", "base64", "rot13", "zlib", "uu"])
def test_a_codec_that_is_not_a_text_encoding_is_one_error(cli, tmp_path, name):
    path = tmp_path / "list.md"
    path.write_text(DOC, encoding="utf-8")
    line = assert_one_error(cli("import", str(path), "--encoding", name))
    assert line == f"Error: --encoding {name} is not a text encoding"


def test_every_codec_gives_a_list_or_one_error(tmp_path):
    from llmreads.errors import ImportFailed
    from llmreads.sources import read_document

    path = tmp_path / "list.md"
    path.write_text(DOC, encoding="utf-8")
    names = sorted({*encodings.aliases.aliases.values(), "undefined", "idna", "punycode", "utf_16", "utf_32",
                    "unicode_escape", "raw_unicode_escape", "utf_7", "mbcs", "oem", "rot13", "charmap"})
    outcomes = {}
    for name in names:
        try:
            outcomes[name] = len(list(read_document(str(path), name).lines()))
        except ImportFailed as exc:
            outcomes[name] = str(exc)
    assert outcomes["utf_8"] == 6
    assert outcomes["hex_codec"] == "--encoding hex_codec is not a text encoding"
    assert outcomes["undefined"] == f"{path} is not undefined text"
    assert outcomes["utf_16"].startswith(f"{path} is not utf_16 text")
    assert codecs.lookup("utf_16")._is_text_encoding


@pytest.mark.parametrize("shape", ["arrays", "tables"])
@pytest.mark.parametrize("where", ["LLMREADS_CONFIG", "default place"])
def test_a_config_file_nested_5000_deep_is_one_error(cli, tmp_path, monkeypatch, shape, where):
    deep = "[" * 5000 + "]" * 5000 if shape == "arrays" else "{a = " * 5000 + "1" + "}" * 5000
    if where == "LLMREADS_CONFIG":
        path = tmp_path / "deep.toml"
        monkeypatch.setenv("LLMREADS_CONFIG", str(path))
    else:
        monkeypatch.delenv("LLMREADS_CONFIG")
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
        path = tmp_path / "xdg" / "llmreads" / "config.toml"
        path.parent.mkdir(parents=True)
        path.write_text("", encoding="utf-8")
    path.write_text(f"user = {deep}\n", encoding="utf-8")
    line = assert_one_error(cli("list"))
    assert line == f"Error: config file {path} is not valid TOML: nested too deeply"
