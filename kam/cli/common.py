"""What every command group shares: Django and the database set up, the acting user, progress
bars, the as-of date, consoles that keep tables whole, and JSON output without NaN.

The groups import from here and never from ``kam.cli`` itself, which imports them.
"""

import dataclasses
import json
import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as ProgressBar

from kam.analytics.progress import Progress

if TYPE_CHECKING:
    from kam.people.models import User

PIPED_WIDTH = 1000
"""Width output is laid out at when it goes to a file or another program, not a terminal."""


class KamConsole(Console):
    """Rich's console, except that output not going to a terminal is not cut to 80 columns.

    Rich lays a table out at the terminal's width, and at 80 when there is none, so a table
    piped to a file lost its right-hand columns. Off a terminal the width is PIPED_WIDTH (a
    table takes only the width it needs) unless ``COLUMNS`` says otherwise.
    """

    @property
    def size(self) -> ConsoleDimensions:
        if self._width is None and not self.is_terminal and "COLUMNS" not in self._environ:
            return ConsoleDimensions(PIPED_WIDTH, super().size.height)
        return super().size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = KamConsole()
err = KamConsole(stderr=True)

AsUser = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar="KAM_USER",
        show_default=False,
        help="Act as this user; their role decides what is allowed "
        "(default: $KAM_USER, else the first Administrator).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print the figures as JSON on standard output.")]
ManagerOption = Annotated[
    str | None, typer.Option("--manager", help="Only this manager's accounts (user name).")
]


def parse_as_of(text: str) -> date:
    """An --as-of value as a date: YYYY-MM-DD, else a usage error naming what was given.

    The one parser of as-of dates on the command line; no --as-of at all means the latest
    transaction, which the queries resolve.
    """
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date; use YYYY-MM-DD") from None


AsOf = Annotated[
    date | None,
    typer.Option(
        "--as-of",
        parser=parse_as_of,
        metavar="YYYY-MM-DD",
        show_default=False,
        help="As-of date YYYY-MM-DD (default: the latest transaction).",
    ),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` on standard error and stop with exit ``code``."""
    err.print(message)
    raise typer.Exit(code)


def refuse(error: Exception) -> NoReturn:
    """Stop on a service's refusal: "Not allowed" and exit 3 for a permission, else exit 1."""
    from django.core.exceptions import PermissionDenied

    if isinstance(error, PermissionDenied):
        fail(f"[red]Not allowed:[/] {error}", 3)
    fail(f"[red]{error}[/]", 1)


@contextmanager
def refusals(*also: type[Exception]) -> Iterator[None]:
    """Inside: a service's PermissionDenied (and any of ``also``) stops the command with
    ``refuse``, so every command words a refusal and picks its exit code the same way."""
    from django.core.exceptions import PermissionDenied

    caught: tuple[type[Exception], ...] = (PermissionDenied, *also)
    try:
        yield
    except caught as error:
        refuse(error)


def setup_django(*, database: bool = True) -> None:
    """Configure Django; with ``database``, make sure the database is ready to use.

    A fresh database (no tables at all) is set up on the spot, as ``kam setup`` would; one
    that an upgrade left behind is refused with the instruction to run ``kam setup``.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    django.setup()
    from kam.audit.choices import Interface
    from kam.audit.context import act_as

    act_as(None, Interface.CLI)  # the audit trail's interface; the user once --as is known
    if database:
        ensure_database()


def ensure_database() -> None:
    """Set up a fresh database; stop plainly on an unreachable or outdated one."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        fail(f"[red]Cannot open the database:[/] {error}. Check KAM_DATABASE_URL.", 2)
    if not pending:
        return
    if not executor.loader.applied_migrations:
        err.print("A new install: setting up the database first (what `kam setup` does).")
        setup_database()
        return
    fail(
        f"[red]The database needs upgrading[/] ({len(pending)} migration(s) not applied). "
        "Run `kam setup` first; it is safe to run again.",
        2,
    )


def setup_database() -> None:
    """Create or upgrade the tables and the roles (idempotent)."""
    from django.core.management import call_command

    from kam.people.services import do_ensure_roles

    call_command("migrate", interactive=False, verbosity=0)
    do_ensure_roles()


def acting_user(username: str | None) -> "User":
    """The user a command acts as: ``username`` (--as or $KAM_USER), else the first
    Administrator; stops with a hint when there is no such user."""
    from kam.people.models import User
    from kam.people.queries import administrators

    if username:
        found = User.objects.filter(username=username).first()
        if found is None:
            fail(
                f"[red]No user {username!r}.[/] Create one with `kam user add {username} "
                "--role Administrator`, load the demo (`kam demo`), or pass another --as.",
                2,
            )
        return _acting(found)
    admins = administrators()
    if not admins:
        fail(
            "[red]No user to act as:[/] kam has no Administrator yet. Create one with "
            "`kam user add NAME --role Administrator` (or load the demo company with "
            "`kam demo`), or name a user with --as NAME or KAM_USER=NAME.",
            2,
        )
    err.print(
        f"[dim]Acting as {admins[0].username} (the first Administrator; choose another with "
        "--as or KAM_USER).[/]"
    )
    return _acting(admins[0])


def _acting(user: "User") -> "User":
    """``user`` is who the audit trail records for what this command writes."""
    from kam.audit.choices import Interface
    from kam.audit.context import act_as

    act_as(user, Interface.CLI)
    return user


@contextmanager
def progress(title: str) -> Iterator[Progress]:
    """A Rich progress bar on standard error, driven by the services' (stage, fraction)."""
    with ProgressBar(
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


def jsonable(value: Any) -> Any:
    """``value`` as JSON types: dates as ISO text, dataclasses and mappings as objects, and
    every non-finite number (NaN, ±inf) as null, because a non-finite number is missing."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if hasattr(value, "item"):  # a numpy scalar
        return jsonable(value.item())
    return str(value)


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on standard output (``jsonable`` first: never a NaN)."""
    typer.echo(json.dumps(jsonable(data), indent=2, ensure_ascii=False, allow_nan=False))


def number(value: Any, spec: str = ",.0f") -> str:
    """A figure for a table: ``format(value, spec)``, or "—" when it is missing or not finite."""
    if value is None:
        return "—"
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return str(value)
    return format(value, spec) if math.isfinite(as_float) else "—"
