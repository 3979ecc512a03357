"""`kam import`, `kam ingest` and `kam demo`: data in, through the same import services as the
web app, so every file is validated the same way and every row refused names its line."""

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kam.cli.common import (
    AsUser,
    Json,
    acting_user,
    console,
    err,
    fail,
    parse_as_of,
    print_json,
    progress,
    refusals,
    setup_django,
)

import_app = typer.Typer(help="Import your own customer master and transaction lines.")
ingest_app = typer.Typer(help="Generate and load public benchmark data sets.")

REPORT_FIGURES = ("rows", "inserted", "updated", "unchanged")
SHOWN_PROBLEMS = 50

MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        "-m",
        help="Column mapping COLUMN=HEADER, e.g. --map date=InvoiceDate (repeatable).",
    ),
]
MappingFile = Annotated[
    Path | None, typer.Option("--mapping", help="TOML file with a [columns] table.")
]
DateFormat = Annotated[
    str | None, typer.Option("--date-format", help="strftime format of dates, e.g. %d/%m/%Y.")
]
ProblemsOut = Annotated[
    Path | None, typer.Option("--problems-out", help="Write every problem to this CSV file.")
]


def report_figures(report: Any) -> dict[str, Any]:
    """An import report as plain figures (what --json prints)."""
    return {
        "kind": str(report.kind),
        "file": report.file,
        **{figure: getattr(report, figure) for figure in REPORT_FIGURES},
        "ignored_columns": list(report.ignored_columns),
    }


def print_report(report: Any) -> None:
    """One import report as a table."""
    table = Table(title=f"{report.kind} from {report.file}", show_header=True)
    for column in REPORT_FIGURES:
        table.add_column(column, justify="right")
    table.add_row(*(f"{getattr(report, column):,}" for column in REPORT_FIGURES))
    console.print(table)


def refusal_figures(refused: Any) -> dict[str, Any]:
    """A refused import as plain figures: every problem kept, with its line and column."""
    report = refused.report
    return {
        "refused": True,
        "file": report.file,
        "problem_count": report.problem_count,
        "problems": list(report.problems),
    }


def print_refusal(refused: Any, problems_out: Path | None, as_json: bool = False) -> None:
    """Why a file was refused: the first problems as a table on standard error."""
    report = refused.report
    err.print(
        f"[red bold]Refused:[/] {report.file} has {report.problem_count:,} problem(s); "
        "nothing was imported and the stores are unchanged."
    )
    if as_json:
        print_json(refusal_figures(refused))
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("file", "line", "column", "reason"):
        table.add_column(column)
    shown = report.problems[:SHOWN_PROBLEMS]
    for problem in shown:
        line = "" if problem.line is None else f"{problem.unit} {problem.line}"
        table.add_row(problem.file, line, problem.column or "", problem.reason)
    err.print(table)
    if report.problem_count > len(shown):
        hint = f"all of them are in {problems_out}" if problems_out else "--problems-out FILE"
        err.print(f"… and {report.problem_count - len(shown):,} more ({hint}).")


def _run_import(
    kind: str,
    file: Path,
    mapping_pairs: list[str],
    mapping_file: Path | None,
    date_format: str | None,
    problems_out: Path | None,
    username: str | None,
    as_json: bool,
) -> None:
    setup_django()
    from kam.accounts import services
    from kam.analytics.ingest import ColumnMapping, ImportRefused, MappingError

    if not file.exists():
        fail(f"[red]No such file:[/] {file}", 2)
    try:
        mapping = ColumnMapping.parse(mapping_pairs, date_format=date_format)
        if mapping_file:
            mapping = ColumnMapping.from_toml(mapping_file).merged(mapping)
    except MappingError as error:
        fail(f"[red]Column mapping:[/] {error}", 2)
    user = acting_user(username)
    do_import = (
        services.do_import_customers if kind == "customers" else services.do_import_transactions
    )
    try:
        with refusals(), progress(f"Importing {kind}") as update:
            report = do_import(
                user, file, mapping=mapping, progress=update, problems_csv=problems_out
            )
    except ImportRefused as refused:
        print_refusal(refused, problems_out, as_json)
        raise typer.Exit(1) from None
    if as_json:
        print_json(report_figures(report))
    else:
        print_report(report)


@import_app.command("customers")
def import_customers(
    file: Path,
    map_: MapOption = None,
    mapping: MappingFile = None,
    date_format: DateFormat = None,
    problems_out: ProblemsOut = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Import a customer master (CSV, Parquet, .xlsx): id, name, parent, region, segment."""
    _run_import("customers", file, map_ or [], mapping, date_format, problems_out, as_user, as_json)


@import_app.command("transactions")
def import_transactions(
    file: Path,
    map_: MapOption = None,
    mapping: MappingFile = None,
    date_format: DateFormat = None,
    problems_out: ProblemsOut = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Import invoice lines (CSV, Parquet or .xlsx) for customers already imported."""
    _run_import(
        "transactions", file, map_ or [], mapping, date_format, problems_out, as_user, as_json
    )


def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same company.")] = 7,
    customers: Annotated[int, typer.Option(help="How many customers to generate.")] = 3000,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when kam already holds data.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Merge the demo into data already there (needs a user allowed to load it).",
        ),
    ] = False,
    end: Annotated[
        date | None,
        typer.Option(
            "--as-of",
            parser=parse_as_of,
            metavar="YYYY-MM-DD",
            show_default=False,
            help="The last day of the demo's data (default: the last month end before today).",
        ),
    ] = None,
    in_production: Annotated[
        bool,
        typer.Option(
            "--in-production",
            help="Load it even on a production install (KAM_ENV=production): its logins "
            "share one published password until each is changed.",
        ),
    ] = False,
    programme_effect: Annotated[
        float | None,
        typer.Option(
            "--programme-effect",
            min=0.0,
            max=1.0,
            show_default=False,
            help="The chance that a key account's invoice after the first selection brings a "
            "repeat order (default 0.5; 0: key account management changes nothing).",
        ),
    ] = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Generate the demo company (a B2B supplier, ~3 years of invoice lines up to the last
    month end before today) and load it.

    Refuses an install that already holds data unless --force, and a production install
    unless --in-production. Its people are created as users only where the username is
    free (an existing user keeps their password) and must choose a new password at their
    first sign-in.
    """
    setup_django()
    from django.conf import settings

    from kam.analytics.demo import DEMO_PASSWORD
    from kam.datasets import InstallNotEmpty, do_load_demo, install_contents

    if settings.PRODUCTION and not in_production:
        fail(
            "[red]Not loaded:[/] this is a production install (KAM_ENV=production), and the "
            "demo's logins all share one published password. Use --in-production to load it "
            "anyway.",
            1,
        )

    contents = install_contents()
    if not contents.empty and if_empty:
        console.print(f"kam already has data ({contents}); the demo was not loaded.")
        return
    if not contents.empty and not force:
        fail(
            f"[red]Not loaded:[/] kam already holds {contents}, and the demo would merge its "
            "company into them. Use --force to merge anyway (as a user allowed to load the "
            "demo), or load it into an empty data directory (KAM_DATA_DIR).",
            1,
        )
    # A fresh install is loaded by the installer; merging into data needs someone's say-so.
    actor = acting_user(as_user) if (as_user or not contents.empty) else None
    try:
        with refusals(), progress("Demo company") as update:
            loaded = do_load_demo(
                actor,
                seed=seed,
                customers=customers,
                force=force,
                end=end,
                in_production=in_production,
                progress=update,
                **({} if programme_effect is None else {"programme_effect": programme_effect}),
            )
    except InstallNotEmpty as refused:  # data arrived since the check above
        fail(f"[red]Not loaded:[/] {refused}. Use --force to merge anyway.", 1)
    if as_json:
        print_json(
            {
                "customers": report_figures(loaded.customers),
                "transactions": report_figures(loaded.transactions),
                "users_created": list(loaded.users),
                "users_kept": list(loaded.kept_users),
                "as_of": loaded.as_of.isoformat() if loaded.as_of else None,
            }
        )
        return
    print_report(loaded.customers)
    print_report(loaded.transactions)
    if loaded.as_of:
        console.print(f"Figures as of {loaded.as_of:%Y-%m-%d}, the latest invoice line.")
    if loaded.users:
        console.print(
            f"Users: {', '.join(loaded.users)} — password [bold]{DEMO_PASSWORD}[/], to be "
            "changed at the first sign-in (`kam user list` shows their roles)"
        )
    if loaded.kept_users:
        console.print(
            f"Already there and left as they were (passwords unchanged): "
            f"{', '.join(loaded.kept_users)}"
        )


@ingest_app.command("tpch")
def ingest_tpch(
    scale: Annotated[
        float, typer.Option(help="TPC-H scale factor (1 = 150k customers, 6M lines).")
    ] = 1,
    work_dir: Annotated[
        Path | None, typer.Option(help="Where to generate the files (default: the data dir).")
    ] = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Generate TPC-H with tpchgen-cli and load it as customers and transaction lines."""
    setup_django()
    from kam.analytics.ingest import ImportRefused
    from kam.datasets import do_load_tpch

    user = acting_user(as_user)
    try:
        with refusals(), progress(f"TPC-H SF{scale:g}") as update:
            loaded = do_load_tpch(user, scale=scale, work_dir=work_dir, progress=update)
    except ImportRefused as refused:
        print_refusal(refused, None, as_json)
        raise typer.Exit(1) from None
    if as_json:
        print_json(
            {
                "customers": report_figures(loaded.customers),
                "transactions": report_figures(loaded.transactions),
            }
        )
        return
    print_report(loaded.customers)
    print_report(loaded.transactions)
