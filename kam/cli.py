"""The `kam` command: a thin layer over the services, with progress bars and tables.

Every command that changes data acts as a user (``--as``, default ``$KAM_USER`` or ``admin``)
and goes through the same services, and so the same permission checks, as the web app.
"""

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    help="kam — key account management: data in, selection, plans and measurement.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Import your own customer master and transaction lines.")
ingest_app = typer.Typer(help="Generate and load public benchmark data sets.")
user_app = typer.Typer(help="Manage the people who sign in.")
app.add_typer(import_app, name="import")
app.add_typer(ingest_app, name="ingest")
app.add_typer(user_app, name="user")

console = Console()
err = Console(stderr=True)

AsUser = Annotated[
    str,
    typer.Option("--as", help="Act as this user (their role decides what is allowed)."),
]


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    django.setup()


def _acting_user(username: str) -> Any:
    from kam.people.models import User

    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        err.print(
            f"[red]No user {username!r}.[/] Create one with `kam user add {username} --role "
            "Administrator`, or load the demo (`kam demo`), or pass --as."
        )
        raise typer.Exit(2) from None


def _default_user() -> str:
    return os.environ.get("KAM_USER", "admin")


@contextmanager
def _progress(title: str) -> Iterator[Callable[[str, float], None]]:
    """A Rich progress bar driven by the services' (stage, fraction) callbacks."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bar:
        task = bar.add_task(title, total=100)

        def update(label: str, fraction: float) -> None:
            bar.update(task, description=f"{title}: {label}", completed=100 * fraction)

        yield update
        bar.update(task, description=f"{title}: done", completed=100)


def _print_report(report: Any) -> None:
    table = Table(title=f"{report.kind} from {report.file}", show_header=True)
    for column in ("rows", "inserted", "updated", "unchanged"):
        table.add_column(column, justify="right")
    table.add_row(
        *(f"{getattr(report, c):,}" for c in ("rows", "inserted", "updated", "unchanged"))
    )
    console.print(table)


def _print_refusal(refused: Any, problems_out: Path | None) -> None:
    report = refused.report
    err.print(
        f"[red bold]Refused:[/] {report.file} has {report.problem_count:,} problem(s); "
        "nothing was imported and the stores are unchanged."
    )
    table = Table(show_header=True, header_style="bold")
    for column in ("file", "line", "column", "reason"):
        table.add_column(column)
    shown = report.problems[:50]
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
    username: str,
) -> None:
    _django()
    from django.core.exceptions import PermissionDenied

    from kam.accounts import services
    from kam.analytics.ingest import ColumnMapping, ImportRefused, MappingError

    if not file.exists():
        err.print(f"[red]No such file:[/] {file}")
        raise typer.Exit(2)
    try:
        mapping = ColumnMapping.parse(mapping_pairs, date_format=date_format)
        if mapping_file:
            mapping = ColumnMapping.from_toml(mapping_file).merged(mapping)
    except MappingError as error:
        err.print(f"[red]Column mapping:[/] {error}")
        raise typer.Exit(2) from None
    user = _acting_user(username)
    do_import = (
        services.do_import_customers if kind == "customers" else services.do_import_transactions
    )
    try:
        with _progress(f"Importing {kind}") as progress:
            report = do_import(
                user, file, mapping=mapping, progress=progress, problems_csv=problems_out
            )
    except ImportRefused as refused:
        _print_refusal(refused, problems_out)
        raise typer.Exit(1) from None
    except PermissionDenied as denied:
        err.print(f"[red]Not allowed:[/] {denied}")
        raise typer.Exit(3) from None
    _print_report(report)


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


@import_app.command("customers")
def import_customers(
    file: Path,
    map_: MapOption = None,
    mapping: MappingFile = None,
    date_format: DateFormat = None,
    problems_out: ProblemsOut = None,
    as_user: AsUser = "",
) -> None:
    """Import a customer master (CSV, Parquet, .xlsx): id, name, parent, region, segment."""
    _run_import(
        "customers",
        file,
        map_ or [],
        mapping,
        date_format,
        problems_out,
        as_user or _default_user(),
    )


@import_app.command("transactions")
def import_transactions(
    file: Path,
    map_: MapOption = None,
    mapping: MappingFile = None,
    date_format: DateFormat = None,
    problems_out: ProblemsOut = None,
    as_user: AsUser = "",
) -> None:
    """Import invoice lines (CSV, Parquet or .xlsx) for customers already imported."""
    _run_import(
        "transactions",
        file,
        map_ or [],
        mapping,
        date_format,
        problems_out,
        as_user or _default_user(),
    )


@app.command()
def setup() -> None:
    """Create or upgrade the database tables and the roles (safe to run again)."""
    _django()
    from django.core.management import call_command

    from kam.people.services import do_ensure_roles

    call_command("migrate", interactive=False, verbosity=0)
    do_ensure_roles()
    console.print("Database ready.")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same company.")] = 7,
    customers: Annotated[int, typer.Option(help="How many customers to generate.")] = 3000,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the store already has data.")
    ] = False,
) -> None:
    """Generate the demo company (a B2B supplier, ~3 years of invoice lines) and load it."""
    _django()
    from kam.analytics.demo import DEMO_PASSWORD
    from kam.datasets import do_load_demo
    from kam.stores import analytics_store

    if if_empty and _store_has_data(analytics_store()):
        console.print("The store already has data; demo not reloaded.")
        return
    with _progress("Demo company") as progress:
        loaded = do_load_demo(None, seed=seed, customers=customers, progress=progress)
    _print_report(loaded.customers)
    _print_report(loaded.transactions)
    console.print(f"Users: {', '.join(loaded.users)} — password [bold]{DEMO_PASSWORD}[/]")


def _store_has_data(store: Any) -> bool:
    with store.connect(read_only=True) as con:
        return bool(con.table("transactions").count().to_pyarrow().as_py())


@ingest_app.command("tpch")
def ingest_tpch(
    scale: Annotated[
        float, typer.Option(help="TPC-H scale factor (1 = 150k customers, 6M lines).")
    ] = 1,
    work_dir: Annotated[
        Path | None, typer.Option(help="Where to generate the files (default: the data dir).")
    ] = None,
    as_user: AsUser = "",
) -> None:
    """Generate TPC-H with tpchgen-cli and load it as customers and transaction lines."""
    _django()
    from kam.analytics.ingest import ImportRefused
    from kam.datasets import do_load_tpch

    user = _acting_user(as_user or _default_user())
    try:
        with _progress(f"TPC-H SF{scale:g}") as progress:
            loaded = do_load_tpch(user, scale=scale, work_dir=work_dir, progress=progress)
    except ImportRefused as refused:
        _print_refusal(refused, None)
        raise typer.Exit(1) from None
    _print_report(loaded.customers)
    _print_report(loaded.transactions)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[list[str], typer.Option(help="Role name, e.g. 'Head of KAM' (repeatable).")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    first_name: str = "",
    last_name: str = "",
) -> None:
    """Create (or update) a user with the given roles."""
    _django()
    from kam.people.roles import Role
    from kam.people.services import do_create_user

    try:
        roles = {Role(name) for name in role}
    except ValueError:
        err.print(f"[red]Unknown role.[/] Roles: {', '.join(r.value for r in Role)}")
        raise typer.Exit(2) from None
    do_create_user(
        None, username, password=password, roles=roles, first_name=first_name, last_name=last_name
    )
    console.print(f"User {username} saved with roles {', '.join(sorted(roles))}.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port (env PORT).")] = 8000,
) -> None:
    """Serve the web app with gunicorn (one process, several threads: DuckDB wants one writer)."""
    _django()
    from django.conf import settings

    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    console.print(
        f"kam is serving on [bold]http://{host}:{port}/[/] (data in {settings.DATA_DIR})\n"
        "Demo login: [bold]head[/] / [bold]kam-demo[/] (Head of KAM), "
        "[bold]admin[/] / [bold]kam-demo[/] (Administrator)"
    )
    os.execv(
        gunicorn,
        [
            gunicorn,
            "kam.wsgi",
            "--bind",
            f"{host}:{port}",
            "--workers",
            "1",
            "--threads",
            "8",
            "--timeout",
            "600",
            "--access-logfile",
            "-",
        ],
    )


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run a Django management command, e.g. `kam manage createsuperuser`."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kam manage", *ctx.args])


def main() -> None:
    from kam.selection import cli as selection_cli
    from kam.selection import clv_cli

    selection_cli.register(app)
    clv_cli.register(app)
    app()
