"""Commands that carry data out and back in: export, user-data export, user-data import."""


from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from llmreads.app import (
    Group,
    JsonOpt,
    ListOpt,
    SectionOpt,
    app,
    build_filters,
    state,
)
from llmreads.options import StarsOpt, StatusOpt

user_data_app = typer.Typer(
    cls=Group,
    help="Carry your statuses, notes, tags, ratings and history elsewhere, as JSON keyed by paper key.",
    no_args_is_help=True,
)
app.add_typer(user_data_app, name="user-data")


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    markdown = "markdown"
    bibtex = "bibtex"


FORMAT_ALIASES = {"md": "markdown", "bib": "bibtex"}


def _export_format(value: str) -> ExportFormat:
    """A format by its name or short name (md, bib), in any case; anything else is a usage error naming the choices."""
    name = value.strip().lower()
    try:
        return ExportFormat(FORMAT_ALIASES.get(name, name))
    except ValueError:
        choices = ", ".join(repr(f.value) for f in ExportFormat)
        raise typer.BadParameter(f"{value!r} is not one of {choices} (or 'md', 'bib')") from None


OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output", "-o", help="Write to this file (atomically; never the database) instead of stdout.",
        show_default=False,
    ),
]
# Long form only: -f is --format.
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite the -o file if it exists.")]


def _to_stdout(output: str | None) -> bool:
    # /dev/stdout as a path may be a file the shell opened: its own descriptor writes it as the shell meant.
    return output is None or output in ("-", "/dev/stdout")


def _check_output(output: str | None, *, database: Path, force: bool) -> None:
    """Refuse a bad -o file before anything is read."""
    from llmreads.config import expand_user
    from llmreads.export import check_output

    if not _to_stdout(output):
        assert output is not None
        check_output(expand_user(output, "--output"), database=database, force=force)


def _emit(text: str, output: str | None, done: str, *, database: Path, force: bool, private: bool = False) -> None:
    """Print `text`, or write it to `output` and say so on stderr."""
    from llmreads import render
    from llmreads.config import expand_user
    from llmreads.export import write_output

    if _to_stdout(output):
        render.document(text)
        return
    assert output is not None
    write_output(expand_user(output, "--output"), text, database=database, force=force, private=private)
    render.info(f"{done} to {output}")


@app.command("export")
def export_command(
    ctx: typer.Context,
    format_: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format", "-f", help="Output format (md and bib for short) [default: json, or by the -o file's suffix].",
            show_default=False, metavar="[json|csv|markdown|bibtex]", parser=_export_format,
            autocompletion=lambda: [f.value for f in ExportFormat],
        ),
    ] = None,
    list_name: ListOpt = None,
    section: SectionOpt = None,
    stars: StarsOpt = None,
    status: StatusOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    raw_csv: Annotated[
        bool,
        typer.Option(
            "--raw-csv",
            help="CSV cells as they are: no ' before a cell a spreadsheet would take for a formula (=, +, -, @).",
        ),
    ] = False,
) -> None:
    """Export papers with your status, notes, tags and stars as JSON, CSV, Markdown or BibTeX."""
    from llmreads import export
    from llmreads.store.exports import collect

    st = state(ctx)
    _check_output(output, database=st.db_path, force=force)
    conn = st.conn()
    st.ensure_bundled_list(conn)
    chosen_list = list_name or st.default_list
    filters = build_filters(conn, section, stars, status, chosen_list)
    data = collect(conn, st.user, filters, chosen_list)
    fmt = format_.value if format_ is not None else export.format_for(output)
    count = len(data.papers)
    text = export.render(data, fmt, raw_csv=raw_csv)
    _emit(text, output, f"Wrote {count} {'paper' if count == 1 else 'papers'} ({fmt})", database=st.db_path,
          force=force)


@user_data_app.command("export")
def user_data_export(
    ctx: typer.Context,
    output: OutputOpt = None,
    force: ForceOpt = False,
    all_users: Annotated[bool, typer.Option("--all-users", help="Every user in the database, not only you.")] = False,
) -> None:
    """Write your statuses, notes, tags, ratings and history as JSON, keyed by paper key."""
    from llmreads import render
    from llmreads.text import clean
    from llmreads.userdata import export_user_data

    st = state(ctx)
    _check_output(output, database=st.db_path, force=force)
    data = export_user_data(st.conn(), None if all_users else [st.user])
    users = data["users"]
    statuses = sum(len(u["statuses"]) for u in users.values())
    notes = sum(len(u["notes"]) for u in users.values())
    who = ", ".join(clean(user) for user in users) or "no users"
    text = render.json_text(data) + "\n"
    _emit(text, output, f"Wrote {statuses} statuses and {notes} notes of {who}", database=st.db_path, force=force,
          private=True)


@user_data_app.command("import")
def user_data_import(
    ctx: typer.Context,
    path: Annotated[
        str, typer.Argument(metavar="FILE", help="A file from `user-data export`, - for stdin.", show_default=False)
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report the changes without writing them.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Merge a user-data file: the newer change wins, nothing is duplicated.

    The file names its users, and each is imported as that user whatever --user
    says: a file exported by alice adds to alice's statuses and notes. Papers
    this database does not hold yet keep their data until a list brings them.
    """
    from dataclasses import asdict

    from llmreads import render
    from llmreads.text import clean
    from llmreads.userdata import merge_user_data, parse_user_data, read_user_data_file

    st = state(ctx)
    source = "<stdin>" if path == "-" else path
    data = parse_user_data(read_user_data_file(path), source)
    report = merge_user_data(st.conn(), data, source=source, dry_run=dry_run)
    others = [clean(user) for user in report.users if user != st.user]
    if others:
        render.info(f"note: imported as the file's own users ({', '.join(others)}), not as {st.user}")
    for name, why in report.skipped.items():
        render.info(f"warning: {source}: user {name!r} skipped: {why}")
    if json_:
        render.emit_json(asdict(report))
    else:
        render.user_data_import(report)
