"""Command layer, shared part: how a command line is read, before Click parses it.

Click takes any word that starts with `-` for an option, and a root option
only before the command's name. llmreads reads a command line as people type
it (buku, pubs, gh and llm do the same):

- A word is an option of a command only when it is exactly one of that
  command's option names (`-n`, `--limit`), or `--name=value` for one of
  them; the words after it that the option takes are its value.
- Any other word that starts with a single `-` (`-flash`, `-nlp`, `-`) is a
  word of the command's free text when the command takes free text (its
  last argument takes any number of words: a query, a note, papers), so
  `search attention -flash` leaves papers out as the query syntax says. A
  command without free text still reports it as an unknown option.
- An unknown `--word` is always Click's "No such option" (with its
  suggestion: `--stras` is a typo of `--stars`, not text).
- `--` ends the options: every word after it is text.
- The root's options that say where and as whom a command runs (GLOBAL:
  `--db`, `--user`, `--color/--no-color`) may come after the command too,
  unless that command has an option of the same name.

`arrange` rewrites the command line into one Click reads the same way: the
root's options first, then the command names, the command's options, and
its words after a `--` when one of them starts with `-`. The group calls it
with the command line whole; commands of any module get it without a line of
their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typer import _click as click

# The root's options that may also follow the command's name, and how many words each takes.
GLOBAL = {"--db": 1, "--user": 1, "--color": 0, "--no-color": 0}


def option_arity(command: click.Command, ctx: click.Context) -> dict[str, int]:
    """Each option name of `command` (with -h/--help) and how many words follow it."""
    arity: dict[str, int] = {}
    for param in command.get_params(ctx):
        if param.param_type_name != "option":
            continue
        flag = bool(getattr(param, "is_flag", False) or getattr(param, "count", False))
        for name in (*param.opts, *param.secondary_opts):
            arity[name] = 0 if flag else max(param.nargs, 1)
    return arity


def takes_free_text(command: click.Command) -> bool:
    """Whether the command's last argument takes any number of words."""
    arguments = [param for param in command.params if param.param_type_name == "argument"]
    return bool(arguments) and arguments[-1].nargs == -1


def _words(token: str, arity: dict[str, int]) -> int | None:
    """How many words `token` starts when it is an option of `arity` (itself and its value), else None."""
    if token in arity:
        return 1 + arity[token]
    if token.startswith("--") and "=" in token and token.split("=", 1)[0] in arity:
        return 1
    return None


def _skip_options(args: list[str], start: int, arity: dict[str, int]) -> int:
    """The index of the first word from `start` that is neither an option nor an option's value."""
    i = start
    while i < len(args) and args[i].startswith("-") and args[i] not in ("-", "--"):
        i += _words(args[i], arity) or 1  # an unknown option: Click will name it
    return i


def arrange(group: click.Command, ctx: click.Context, args: list[str]) -> list[str]:
    """The command line `args` of the root `group`, arranged for Click as the module docstring says."""
    args = list(args)
    i = _skip_options(args, 0, option_arity(group, ctx))
    prefix = args[:i]
    names: list[str] = []
    command = group
    while hasattr(command, "get_command"):  # a group: the next word names its command
        if i >= len(args) or args[i] == "--":
            return args
        sub = command.get_command(ctx, args[i])
        if sub is None:
            return args  # Click says there is no such command
        names.append(args[i])
        i += 1
        command = sub
        if hasattr(command, "get_command"):
            j = _skip_options(args, i, option_arity(command, ctx))
            names.extend(args[i:j])
            i = j
    arity = option_arity(command, ctx)
    free_text = takes_free_text(command)
    hoisted: list[str] = []
    options: list[str] = []
    words: list[str] = []
    while i < len(args):
        token = args[i]
        if token == "--":
            words.extend(args[i + 1 :])
            break
        count = _words(token, arity)
        if count is None and token.split("=", 1)[0] in GLOBAL:
            count = 1 if "=" in token else 1 + GLOBAL[token]
            hoisted.extend(args[i : i + count])
        elif count is not None:
            options.extend(args[i : i + count])
        elif token.startswith("-") and token != "-" and (token.startswith("--") or not free_text):
            count = 1
            options.append(token)  # not an option of this command: Click's usage error names it
        else:
            count = 1
            words.append(token)
        i += count
    if any(word.startswith("-") and word != "-" for word in words):
        words.insert(0, "--")
    return [*prefix, *hoisted, *names, *options, *words]
