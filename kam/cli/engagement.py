"""`kam engagement import FILE` and `kam engagement overdue`: the engagement log in from CSV
or Excel (through the same import service as every file: all or nothing, every bad row
named by line and column), and the key accounts past their cadence, per manager."""

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kam.cli.common import (
    AsUser,
    Json,
    ManagerOption,
    acting_user,
    console,
    err,
    fail,
    print_json,
    progress,
    refusals,
    setup_django,
)

app = typer.Typer(help="Engagement: the log of meetings and calls, and the cadence.")

SHOWN_PROBLEMS = 50


@app.command("import")
def import_log(
    file: Annotated[Path, typer.Argument(help="A CSV (.csv, .txt) or Excel (.xlsx) file.")],
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """Import an engagement log: one row per meeting, call or visit (docs/engagement.md)."""
    setup_django()
    from django.utils import timezone

    from kam.engagement.import_file import EngagementImportRefused
    from kam.engagement.services import do_import_engagements

    if not file.exists():
        fail(f"[red]No such file:[/] {file}", 2)
    user = acting_user(username)
    try:
        with refusals(), progress("Importing engagements") as update:
            report = do_import_engagements(user, file, today=timezone.localdate(), progress=update)
    except EngagementImportRefused as refused:
        err.print(
            f"[red bold]Refused:[/] {refused.file} has {refused.issue_count:,} problem(s); "
            "nothing was imported."
        )
        if as_json:
            print_json(
                {
                    "refused": True,
                    "file": refused.file,
                    "problem_count": refused.issue_count,
                    "problems": [
                        {"line": i.line, "unit": i.unit, "column": i.column, "reason": i.reason}
                        for i in refused.issues
                    ],
                }
            )
        else:
            table = Table(show_header=True, header_style="bold")
            for column in ("where", "column", "reason"):
                table.add_column(column)
            for issue in refused.issues[:SHOWN_PROBLEMS]:
                table.add_row(f"{issue.unit} {issue.line}", issue.column, issue.reason)
            err.print(table)
            if refused.issue_count > SHOWN_PROBLEMS:
                err.print(f"… and {refused.issue_count - SHOWN_PROBLEMS:,} more.")
        raise typer.Exit(1) from None
    figures = {
        "file": report.file,
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "contacts_updated": report.contacts_updated,
    }
    if as_json:
        print_json(figures)
        return
    table = Table(title=f"engagements from {report.file}")
    for name in ("rows", "created", "updated", "unchanged", "contacts_updated"):
        table.add_column(name.replace("_", " "), justify="right")
    table.add_row(*(f"{figures[name]:,}" for name in list(figures)[1:]))
    console.print(table)


@app.command()
def overdue(
    manager: ManagerOption = None,
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """Key accounts past their cadence as of today, per manager, most overdue first."""
    setup_django()
    from django.utils import timezone

    from kam.engagement import queries

    user = acting_user(username)
    with refusals():
        loads = queries.managers_overview(user, timezone.localdate(), overdue_only=True)
    if manager:
        loads = [load for load in loads if load.manager and load.manager.username == manager]
    rows: list[dict[str, Any]] = []
    for load in loads:
        for status in load.overdue:
            touchpoint = status.overdue[0]
            rows.append(
                {
                    "manager": load.manager.username if load.manager else None,
                    "customer_id": status.customer_id,
                    "account": status.key_account.account.name,
                    "tier": status.key_account.tier,
                    "touchpoint": touchpoint.rule.kind,
                    "due_on": touchpoint.due_on.isoformat(),
                    "overdue_days": touchpoint.overdue_days,
                    "last_held": touchpoint.last_held.isoformat() if touchpoint.last_held else None,
                    "planned_on": (
                        touchpoint.planned_on.isoformat() if touchpoint.planned_on else None
                    ),
                }
            )
    if as_json:
        print_json({"today": timezone.localdate().isoformat(), "overdue": rows})
        return
    if not rows:
        console.print("Nothing overdue: every key account has met its cadence.")
        return
    table = Table(title=f"{len(rows)} key account(s) past their cadence")
    for name in ("manager", "account", "tier", "touchpoint", "due on", "days over", "planned"):
        table.add_column(name, justify="right" if name == "days over" else "left")
    for row in rows:
        table.add_row(
            row["manager"] or "—",
            f"{row['account']} ({row['customer_id']})",
            row["tier"],
            row["touchpoint"],
            row["due_on"],
            str(row["overdue_days"]),
            row["planned_on"] or "—",
        )
    console.print(table)
