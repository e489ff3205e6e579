"""Command layer, shared part: options several commands share, declared with their choices and ranges.

A value outside them is Click's usage error (exit 2, naming the option) before
the command runs; the one-line `Error:` of exit 1 is for what only the
database can tell (an unknown section or paper). Not in llmreads.commands,
which holds only command modules (each loaded alone, for the command it registers).
"""


from datetime import datetime
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


def _local_moment(value: str, option: str) -> datetime:
    """A date (local midnight) or ISO 8601 date-time (local time unless it names its offset) typed for `option`."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date such as 2024-03-01 (or a date-time such as 2024-03-01T18:30)",
            param_hint=option,
        ) from None
    return moment.astimezone() if moment.tzinfo is None else moment


def when_done(value: str | None) -> str | None:
    """`--date`: when a status change happened, in the stored form (UTC); not in the future."""
    if value is None:
        return None
    from datetime import UTC

    moment = _local_moment(value, "--date")
    if moment > datetime.now(UTC):
        raise typer.BadParameter(f"{value!r} is in the future", param_hint="--date")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def since_date(value: str | None) -> datetime | None:
    """`--since`: a local date or date-time."""
    return None if value is None else _local_moment(value, "--since")


def month_span(value: str | None) -> tuple[datetime, datetime] | None:
    """`--month YYYY-MM`: the local month, as its first moment and the first moment of the next."""
    if value is None:
        return None
    import re

    found = re.fullmatch(r"\s*(\d{4})-(\d{2})\s*", value)
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        raise typer.BadParameter(f"{value!r} is not a month such as 2026-11", param_hint="--month")
    year, month = int(found.group(1)), int(found.group(2))
    start = datetime(year, month, 1).astimezone()
    if (year, month) == (9999, 12):
        return start, datetime.max.replace(tzinfo=start.tzinfo)
    end = datetime(year + month // 12, month % 12 + 1, 1).astimezone()
    return start, end


DateOpt = Annotated[
    str | None,
    typer.Option("--date", help="When it happened: a date such as 2024-03-01 (local), to backfill your history.",
                 callback=when_done, show_default=False),
]
