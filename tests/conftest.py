"""Shared fixtures: an isolated environment for every test, the seed list, and a ready database."""

from __future__ import annotations

import gc
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

import processes
from fake_services import FakeServices, Server
from helpers import ROOT, SEED_PATH, SUITE_EXAMPLES, THOROUGH, assert_one_error, copy_database, import_text, settle

# Property tests (see helpers.SUITE_EXAMPLES): no deadline, since on a machine busy with other work one slow
# example says nothing about the code; each test names its own count through helpers.examples.
settings.register_profile("suite", max_examples=SUITE_EXAMPLES, deadline=None)
settings.register_profile("thorough", max_examples=200, deadline=None)
settings.load_profile("thorough" if THOROUGH else "suite")

# Environment variables that change what llmreads prints or where it writes.
_CLEARED = (
    "LLMREADS_LIST",
    "LLMREADS_FORCE_TERMINAL",
    "LLMREADS_COLOR",
    "LLMREADS_ASCII",
    "NO_COLOR",
    "FORCE_COLOR",
    "VISUAL",
    "EDITOR",
    "COLUMNS",
    "LINES",
)


# The `llmreads` processes that tests start write and reuse bytecode, as a user's
# Python does: with PYTHONDONTWRITEBYTECODE set (some machines set it), every one of
# several hundred launches compiled src/ from source, some 60 ms of CPU each.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# The same for this process (each xdist worker): the test modules it imports after this one are kept
# assertion-rewritten in tests/__pycache__, and src/ compiled, instead of rewriting and compiling every module
# in every worker on every run (some 3 s of CPU per worker).
sys.dont_write_bytecode = False


# Where tests keep their files: a folder in RAM (/dev/shm) when the machine has one with room, unless --basetemp names
# another or LLMREADS_TEST_TMP=disk. Each write a test commits is synced to its file, and on this project's
# machines a synced write to a disk costs some 2 ms against 0.15 ms in RAM; thousands of tests commit several
# each. The code runs the same (it still syncs); only the wait goes. Removed after a run that passed; kept,
# and named, after one that failed.
RAM_FOLDER = Path("/dev/shm")
# A run keeps every test's folder until it ends: some 460 MB at most here. A smaller RAM folder (a container's
# /dev/shm is often 64 MB) would fill up, so the run then keeps its files where pytest would.
RAM_NEEDED = 2 << 30


def _free_bytes(folder: Path) -> int:
    found = os.statvfs(folder)
    return found.f_bavail * found.f_frsize


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: one worker more than the cores this process may use. Some tests wait on purpose (locks, a
    terminal, a killed import): a third worker on two cores runs while one waits (64 s against 67 to 75 s here).
    PYTEST_XDIST_AUTO_NUM_WORKERS still decides when set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") or not hasattr(os, "sched_getaffinity"):
        return None
    return len(os.sched_getaffinity(0)) + 1


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return  # an xdist worker: its folder comes from the run that started it, which compiled everything
    if getattr(config.option, "numprocesses", None):
        _compile_once(config)
    if config.option.basetemp or os.environ.get("LLMREADS_TEST_TMP") == "disk":
        return
    if RAM_FOLDER.is_dir() and os.access(RAM_FOLDER, os.W_OK | os.X_OK) and _free_bytes(RAM_FOLDER) >= RAM_NEEDED:
        import tempfile

        config.option.basetemp = config._llmreads_ram_tmp = tempfile.mkdtemp(  # type: ignore[attr-defined]
            prefix="llmreads-tests-", dir=RAM_FOLDER
        )


def _compile_once(config: pytest.Config) -> None:
    """Compile llmreads and the tests once, here, before the workers start.

    From a fresh clone, every xdist worker compiled each module of src/ and
    rewrote the asserts of every test module as it imported them, all at
    once (some 2.4 s of CPU a worker), and the first processes the tests
    start compiled src/ again. Done here once, they find it all made. The
    rewritten test modules are written where and as pytest's own import
    hook writes them (its private functions: should a pytest release change
    them, this step does nothing and the workers rewrite as before).
    """
    import compileall

    compileall.compile_dir(ROOT / "src" / "llmreads", quiet=2)
    compileall.compile_dir(Path(__file__).parent, maxlevels=0, quiet=2)
    try:
        from _pytest.assertion import rewrite

        state = config.stash[rewrite.assertstate_key]
        for module in sorted(Path(__file__).parent.glob("test_*.py")):
            cache = rewrite.get_cache_dir(module)
            pyc = cache / (module.name[:-3] + rewrite.PYC_TAIL)
            if rewrite._read_pyc(module, pyc) is None and rewrite.try_makedirs(cache):
                source_stat, code = rewrite._rewrite_test(module, config)
                rewrite._write_pyc(state, code, source_stat, pyc)
    except (ImportError, AttributeError, KeyError, TypeError, OSError, SyntaxError):
        pass


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = getattr(config, "_llmreads_ram_tmp", None)
    if folder is None:
        return
    if getattr(config, "_llmreads_failed", True):
        sys.stderr.write(f"test files kept in {folder}\n")
    else:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._llmreads_failed = exitstatus != 0  # type: ignore[attr-defined]


@pytest.fixture
def tmp_path(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new folder for the test, named after it, as pytest's tmp_path (which looks through every folder made so
    far to number the next: some 1,000 a worker, a quadratic second or two of a run)."""
    import re
    import tempfile

    name = re.sub(r"\W", "_", request.node.name)[:30]
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=tmp_path_factory.getbasetemp()))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the garbage collector off what collection loaded (pytest, Typer, Textual, hypothesis, the test modules).

    Those objects live until the session ends, yet every full collection walks them all: ~0.1 s each,
    in thousands of automatic collections and in helpers.settle. What the tests create is collected as before
    (llmreads.entry.freeze_loaded does the same for a command's process).
    """
    gc.collect()
    gc.freeze()


def _build_app_once() -> None:
    """Build the Click command of the Typer app once per session instead of at every CliRunner.invoke.

    typer.testing.CliRunner.invoke builds every registered command on each call (llmreads.cli registers them
    all), ~20 ms of annotation evaluation per call and most of an in-process test. The built command keeps no
    state of a run (each run has its own Click context), so one build serves every invocation; it is built
    again if the app's commands change.
    """
    import typer.main
    import typer.testing

    build = typer.main.get_command
    built: dict[int, tuple[object, tuple[int, ...], object]] = {}

    def get_command(app: typer.Typer):  # type: ignore[no-untyped-def]
        registered = (id(app.registered_callback), *map(id, app.registered_commands), *map(id, app.registered_groups))
        entry = built.get(id(app))
        if entry is None or entry[1] != registered:
            entry = built[id(app)] = (app, registered, build(app))
        return entry[2]

    typer.testing._get_command = get_command  # type: ignore[assignment]


_build_app_once()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test gets its own database file and the user alice; no terminal forcing."""
    monkeypatch.setenv("LLMREADS_DB", str(tmp_path / "llmreads.db"))
    monkeypatch.setenv("LLMREADS_USER", "alice")
    monkeypatch.setenv("LLMREADS_CONFIG", str(tmp_path / "no-config.toml"))  # never the real user's config
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    # The metadata services: nothing listens on port 9 of this machine, so no test reaches the network.
    monkeypatch.setenv("LLMREADS_ARXIV_API", "http://127.0.0.1:9/api/query")
    monkeypatch.setenv("LLMREADS_CROSSREF_API", "http://127.0.0.1:9/works")
    monkeypatch.setenv("LLMREADS_ARXIV_DELAY", "0")
    monkeypatch.setenv("LLMREADS_FETCH_TIMEOUT", "2")


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServices]:
    """The arXiv API and Crossref as a local server on 127.0.0.1 (tests/fake_services.py), set as the endpoints."""
    fake = FakeServices()
    server = Server(fake)
    monkeypatch.setenv("LLMREADS_ARXIV_API", fake.arxiv_api)
    monkeypatch.setenv("LLMREADS_CROSSREF_API", fake.crossref_api)
    monkeypatch.setenv("LLMREADS_FETCH_TIMEOUT", "0.5")
    try:
        yield fake
    finally:
        server.close()


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_PATH.read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def seed_lines(seed_text: str) -> list[str]:
    return seed_text.split("\n")


@pytest.fixture(scope="session")
def seed_doc(seed_text: str):  # type: ignore[no-untyped-def]
    from llmreads.parse import parse

    return parse(seed_text)


# Template databases, made once per session (per xdist worker) and copied for each test that
# needs one: a copy takes a few milliseconds, an import of the seed most of a second.


@pytest.fixture(scope="session")
def seed_template(tmp_path_factory: pytest.TempPathFactory, seed_text: str) -> Path:
    """A migrated database holding the seed list, imported as import_text imports it (for `conn`)."""
    from llmreads.db import open_db

    path = tmp_path_factory.mktemp("seed-template") / "store.db"
    connection = open_db(path)
    import_text(connection, seed_text)
    connection.close()  # the last connection: its -wal is checkpointed into the file and removed
    return path


@pytest.fixture(scope="session")
def blank_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database that open_db has made and migrated, holding nothing: for tests that need many fresh ones."""
    from llmreads.db import open_db

    path = tmp_path_factory.mktemp("blank-template") / "blank.db"
    open_db(path).close()
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def conn(db_path: Path, seed_template: Path) -> Iterator[sqlite3.Connection]:
    """A migrated database holding the imported seed list (a copy of the session's template)."""
    from llmreads.db import open_db

    connection = open_db(copy_database(seed_template, db_path))
    yield connection
    connection.close()


@pytest.fixture
def cli() -> Callable[..., object]:
    """Run the Typer app in-process; the result has separate .stdout and .stderr."""
    from typer.testing import CliRunner

    from llmreads.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | bytes | None = None, env: dict[str, str | None] | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), input=input, env=env)

    return run


@pytest.fixture
def one_error() -> Callable[..., str]:
    return assert_one_error


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the bundled list, made once by a real first use."""
    path = tmp_path_factory.mktemp("template") / "llmreads.db"
    result = processes.run("--db", str(path), "sections")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def seeded(seeded_template: Path) -> Path:
    """This test's database ($LLMREADS_DB), a copy of the template: as the CLI's first use leaves it.

    For tests of what comes after the first use; the tests of the first use itself start without it.
    """
    return copy_database(seeded_template, Path(os.environ["LLMREADS_DB"]))


@pytest.fixture(scope="session")
def _prepared_templates() -> dict[str, Path]:
    return {}


@pytest.fixture
def prepared(
    _prepared_templates: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, Callable[[], object]], Path]:
    """`prepared(name, build)`: this test's database ($LLMREADS_DB) as `build` leaves it.

    The first test that asks for `name` (in each xdist worker) runs `build` on its own database, which is then
    kept as a template; every later test gets a copy of that file instead of running the same commands again.
    `build` must depend only on what every test that asks for `name` shares (the same starting database and
    commands), and must not record paths of the test (an imported file's path is stored with its list).
    """

    def prepare(name: str, build: Callable[[], object]) -> Path:
        path = Path(os.environ["LLMREADS_DB"])
        template = _prepared_templates.get(name)
        if template is not None:
            return copy_database(template, path)
        build()
        settle(path)  # every connection closed and the -wal checkpointed: the file holds it all
        template = tmp_path_factory.mktemp("prepared") / "template.db"
        copy_database(path, template)
        _prepared_templates[name] = template
        return path

    return prepare
