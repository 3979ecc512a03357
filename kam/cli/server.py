"""`kam setup`, `kam serve` and `kam manage`: the install and the web server."""

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from kam.cli.common import console, setup_database, setup_django


def setup() -> None:
    """Create or upgrade the database tables and the roles (safe to run again)."""
    setup_django(database=False)
    setup_database()
    console.print("Database ready.")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port (env PORT).")] = 8000,
) -> None:
    """Serve the web app with gunicorn (one process, several threads: DuckDB wants one writer)."""
    setup_django()
    from django.conf import settings

    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    console.print(
        f"kam is serving on [bold]http://{host}:{port}/[/] (data in {settings.DATA_DIR})\n"
        "Demo login (after `kam demo`): [bold]head[/] / [bold]kam-demo[/] (Head of KAM), "
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


def manage(ctx: typer.Context) -> None:
    """Run a Django management command, e.g. `kam manage createsuperuser`."""
    setup_django(database=False)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kam manage", *ctx.args])
