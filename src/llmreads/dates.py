"""Command layer, shared part: the date options (`--date`, `--since`, `--month`), read in local time.

Apart from llmreads.options, so that mark-read, mark-reading and mark-unread
(`--date`) load none of the other options' choices.
"""


from datetime import datetime
from typing import Annotated

import typer


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
