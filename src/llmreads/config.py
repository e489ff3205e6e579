"""Settings: the config file and the defaults behind --db, --user and --list.

Precedence for each setting: the command-line option, then the environment
variable, then the config file, then the built-in default. The file is TOML
in the user config folder (or $LLMREADS_CONFIG):

    user = "ada"
    db = "~/papers/llmreads.db"
    list = "LLM_Paper_Reading"
    arxiv_api = "https://export.arxiv.org/api/query"     # or a mirror
    crossref_api = "https://api.crossref.org/works"
    arxiv_delay = 3                                      # seconds between two arXiv requests
    glossary = [["检索增强", "RAG"], ["蒸馏", "distillation"]]

`glossary` adds terms to search's glossary (llmreads.glossary): each one
the forms of a term, two or more.
"""

# No `from __future__ import annotations`: typing.NamedTuple would compile each field's
# annotation from its string (~25 µs a field, in every command).

import os
import sys
from pathlib import Path
from typing import NamedTuple

from llmreads.errors import LlmreadsError

KEYS = ("user", "db", "list", "arxiv_api", "crossref_api", "arxiv_delay", "glossary")
NUMBERS = ("arxiv_delay",)  # settings the file may give as a TOML number
MAX_CONFIG_BYTES = 1 << 20  # a config file is a few lines; /dev/zero is not one


class Setting(NamedTuple):
    value: str | None
    source: str  # "option", "environment", "config file", "default"


def expand_user(value: str, setting: str) -> Path:
    """`value` as a path with a leading ~ or ~user expanded; an unknown user is an error naming `setting`."""
    try:
        return Path(value).expanduser()
    except RuntimeError:  # ~name of no user (or ~ with neither HOME nor a passwd entry)
        user = value[1:].split("/", 1)[0].split(os.sep, 1)[0]
        raise LlmreadsError(
            f"{setting}: {value} names a home folder of an unknown user ({user})" if user
            else f"{setting}: {value} starts with ~ but the home folder is unknown (HOME is not set)"
        ) from None


def config_path() -> Path:
    override = os.environ.get("LLMREADS_CONFIG")
    if override:
        return expand_user(override, "LLMREADS_CONFIG")
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        # platformdirs' rule for these systems, without importing it on every start (3 ms).
        base = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
        return Path(base) / "llmreads" / "config.toml"
    from platformdirs import user_config_dir

    return Path(user_config_dir("llmreads", appauthor=False)) / "config.toml"


def read_config(path: Path | None = None) -> dict[str, str]:
    """The config file's settings (the string ones; `config_glossary` has the glossary); an absent file is empty."""
    path = path or config_path()
    parsed = _read_toml(path)
    unknown = sorted(set(parsed) - set(KEYS))
    if unknown:
        raise LlmreadsError(f"config file {path}: unknown setting {unknown[0]!r} (known: {', '.join(KEYS)})")
    for key, value in parsed.items():
        if key == "glossary":
            _glossary_terms(value, path)
        elif key in NUMBERS and isinstance(value, int | float) and not isinstance(value, bool):
            continue
        elif not isinstance(value, str) or not value.strip():
            raise LlmreadsError(f"config file {path}: {key} must be a non-empty string")
    return {key: str(value) for key, value in parsed.items() if key != "glossary"}


def config_glossary(path: Path | None = None) -> list[tuple[str, ...]]:
    """The terms the config file adds to search's glossary; an error names the file and the term."""
    path = path or config_path()
    read_config(path)  # the whole file is checked, as every command that reads it does
    return _glossary_terms(_read_toml(path).get("glossary", []), path)


def _glossary_terms(value: object, path: Path) -> list[tuple[str, ...]]:
    from llmreads.glossary import term_problem

    shape = "glossary must be a list of terms, each a list of its forms: [[\"检索增强\", \"RAG\"]]"
    if not isinstance(value, list):
        raise LlmreadsError(f"config file {path}: {shape}")
    terms = []
    for number, term in enumerate(value, 1):
        if not isinstance(term, list) or not all(isinstance(form, str) for form in term):
            raise LlmreadsError(f"config file {path}: glossary term {number}: {shape}")
        forms = tuple(form.strip() for form in term if form.strip())
        problem = term_problem(forms)
        if problem:
            raise LlmreadsError(f"config file {path}: glossary term {number}: {problem}")
        terms.append(forms)
    return terms


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:  # a FIFO works too; a device that never ends is cut short
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise LlmreadsError(f"cannot read config file {path}: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise LlmreadsError(
            f"config file {path} is larger than {MAX_CONFIG_BYTES >> 20} MiB, too large for a config file"
        )
    import tomllib

    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LlmreadsError(f"config file {path} is not valid TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise LlmreadsError(f"config file {path} is not valid TOML: nested too deeply") from None


def resolve(option: str | None, env: str, key: str, config: dict[str, str]) -> Setting:
    if option is not None:
        return Setting(option, "option")
    if os.environ.get(env):
        return Setting(os.environ[env], "environment")
    if key in config:
        return Setting(config[key], "config file")
    return Setting(None, "default")


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("llmreads", appauthor=False)) / "llmreads.db"


def default_user() -> str:
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):  # getpass.getuser's order, without its imports
        if os.environ.get(name):
            return os.environ[name]
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name (containers without a passwd entry)
        return "default"


def user_name_problem(name: str) -> str | None:
    """What makes `name` unfit to name a user, or None: the one rule for --user, LLMREADS_USER,
    the config file, the login name and the users of a user-data file.

    A name is shown in tables and messages and written into files: a control
    character (C0, C1, a bidi mark) could drive a terminal or disguise the name.
    """
    from llmreads.text import has_control

    if not name.strip():
        return "is only spaces" if name else "is empty"
    if has_control(name):
        return "holds a control character"
    return None


def check_user_name(name: str, where: str) -> str:
    """`name` without surrounding spaces; LlmreadsError naming `where` it came from when it breaks the rule."""
    problem = user_name_problem(name)
    if problem is not None:
        raise LlmreadsError(f"the user name {name!r} from {where} {problem}")
    return name.strip()


# The metadata services (llmreads.fetch): endpoints and arXiv's pace, each a setting so that
# tests and mirrors can point elsewhere. arXiv's terms ask for one request every 3 seconds.
ARXIV_API = "https://export.arxiv.org/api/query"
CROSSREF_API = "https://api.crossref.org/works"
ARXIV_DELAY = 3.0
FETCH_TIMEOUT = 5.0  # seconds a request may take (LLMREADS_FETCH_TIMEOUT): offline, add does not hang


class Services(NamedTuple):
    arxiv_api: str
    crossref_api: str
    arxiv_delay: float
    timeout: float = FETCH_TIMEOUT


def services(config: dict[str, str] | None = None) -> Services:
    """The endpoints and arXiv delay in effect: the environment, then the config file, then the defaults."""
    config = read_config() if config is None else config
    arxiv = resolve(None, "LLMREADS_ARXIV_API", "arxiv_api", config).value or ARXIV_API
    crossref = resolve(None, "LLMREADS_CROSSREF_API", "crossref_api", config).value or CROSSREF_API
    for name, url in (("arxiv_api", arxiv), ("crossref_api", crossref)):
        if not url.startswith(("http://", "https://")):
            raise LlmreadsError(f"{name} ({'LLMREADS_' + name.upper()} or the config file) must be an http(s) URL, "
                                f"not {url!r}")
    delay_setting = resolve(None, "LLMREADS_ARXIV_DELAY", "arxiv_delay", config)
    delay = ARXIV_DELAY
    if delay_setting.value is not None:
        try:
            delay = float(delay_setting.value)
        except ValueError:
            delay = -1.0
        if not 0 <= delay <= 3600:
            where = ("LLMREADS_ARXIV_DELAY" if delay_setting.source == "environment"
                     else "arxiv_delay in the config file")
            raise LlmreadsError(f"{where} must be a number of seconds from 0 to 3600, not {delay_setting.value!r}")
    timeout = FETCH_TIMEOUT
    if os.environ.get("LLMREADS_FETCH_TIMEOUT"):
        try:
            timeout = float(os.environ["LLMREADS_FETCH_TIMEOUT"])
        except ValueError:
            timeout = -1.0
        if not 0 < timeout <= 300:
            raise LlmreadsError(f"LLMREADS_FETCH_TIMEOUT must be a number of seconds above 0 and up to 300, "
                                f"not {os.environ['LLMREADS_FETCH_TIMEOUT']!r}")
    return Services(arxiv.strip(), crossref.strip(), delay, timeout)
