"""Command layer, shared part: options several commands share, declared with their choices and ranges.

A value outside them is Click's usage error (exit 2, naming the option) before
the command runs; the one-line `Error:` of exit 1 is for what only the
database can tell (an unknown section or paper). Not in llmreads.commands,
which holds only command modules (each loaded alone, for the command it registers).
The date options are in llmreads.dates: `mark-read --date` loads none of these
choices (an Enum costs ~0.2 ms to create).
"""


from enum import StrEnum
from typing import Annotated

import typer

from llmreads import completion

# The largest integer SQLite holds. "At most" more than that is all of them.
MAX_SQL_INT = 2**63 - 1


class StatusChoice(StrEnum):
    """The reading statuses of models.Status, without loading models (its dataclasses cost start-up time)."""

    unread = "unread"
    reading = "reading"
    read = "read"


# Members in capitals: a member named `title` would hide str.title.
class ListSort(StrEnum):
    LIST = "list"
    STARS = "stars"
    TITLE = "title"
    MY_STARS = "my-stars"
    READ = "read"


class ProgressBy(StrEnum):
    SECTION = "section"
    MONTH = "month"


class SearchSort(StrEnum):
    RELEVANCE = "relevance"
    STARS = "stars"
    LIST = "list"


def at_most(value: int | None) -> int | None:
    """A count of papers to show, capped at what SQLite's LIMIT takes."""
    return None if value is None else min(value, MAX_SQL_INT)


StarsOpt = Annotated[int | None, typer.Option("--stars", help="At least this many stars.", min=0, max=5)]
StatusOpt = Annotated[
    StatusChoice | None,
    typer.Option("--status", help="Only papers with this reading status.", case_sensitive=False,
                 autocompletion=completion.statuses),
]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", "-n", help="Show at most this many.", min=1, callback=at_most)
]


def _years(value: str | None) -> str | None:
    """`--year 2023` or `--year 2022..2023`; anything else is a usage error naming the option."""
    if value is None:
        return None
    from llmreads.errors import InvalidQuery
    from llmreads.query import parse_years

    try:
        parse_years(value, "--year")
        return value
    except InvalidQuery as exc:
        raise typer.BadParameter(str(exc).removeprefix("--year ").removeprefix("--year: ")) from None


YearOpt = Annotated[
    str | None,
    typer.Option("--year", help="Only papers of this year, or of a range: 2022..2023.", callback=_years),
]
