"""The `kam` command: a thin layer over the services and queries, with progress bars, tables
and --json.

The whole command tree is assembled here, at import, from one module per group; each group
imports its helpers from ``kam.cli.common`` and never from this package, so nothing imports
back. Commands that act do so as a user (``--as``, else ``$KAM_USER``, else the first
Administrator) and go through the same services, and so the same permission checks, as the
web app. Tests drive ``app`` with Typer's runner.
"""

import typer

from kam.cli import (
    accounts,
    backup,
    clv,
    data,
    engagement,
    engine,
    health,
    opportunities,
    program,
    report,
    selection,
    server,
    users,
)

app = typer.Typer(
    help="kam — key account management: data in, selection, plans and measurement.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Install and run.
app.command()(server.setup)
app.command()(server.serve)
app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    server.manage
)
app.add_typer(users.app, name="user")
app.add_typer(accounts.app, name="account")

# Data in.
data.import_app.command("wallet")(opportunities.import_wallet)
data.import_app.command("satisfaction")(health.import_satisfaction)
app.add_typer(data.import_app, name="import")
app.add_typer(data.ingest_app, name="ingest")
app.command()(data.demo)

# Key-account selection and lifetime value.
app.command()(selection.score)
app.add_typer(selection.cycle_app, name="cycle")
app.add_typer(selection.policy_app, name="policy")
app.add_typer(clv.app, name="clv")

# Engagement: the log and the cadence.
app.add_typer(engagement.app, name="engagement")

# The programme: KPIs, P&L, concentration, measured return; the portfolio review.
app.add_typer(program.app, name="program")
app.add_typer(report.app, name="report")

# Opportunities and whitespace.
app.add_typer(opportunities.app, name="opportunities")
app.command("whitespace")(opportunities.whitespace)

# Account health: scores, the backtest, learned weights.
app.add_typer(health.app, name="health")

# The analytics engine (DuckDB embedded, or Spark over the lake).
app.add_typer(engine.engine_app, name="engine")
app.add_typer(engine.lake_app, name="lake")

# Backup and restore.
app.command("export")(backup.export)
app.command("restore")(backup.restore)


def main() -> None:
    """The console script (``[project.scripts] kam``)."""
    app()


__all__ = ["app", "main"]
