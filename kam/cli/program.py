"""`kam program show|kpis|pnl|target|import-costs`: the programme view on the command line —
the same reads and writes as the /program/ pages, with the acting user's permissions."""

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kam.cli.common import (
    AsOf,
    AsUser,
    Json,
    acting_user,
    console,
    err,
    fail,
    print_json,
    refusals,
    setup_django,
)

app = typer.Typer(help="The key account programme: KPIs, P&L, concentration, measured return.")
SCOPES = ("program", "tier", "manager", "account")


def _share(value: Any) -> str:
    from kam.performance.templatetags.programme_tags import share_text

    return share_text(value)


def _points(value: Any) -> str:
    from kam.performance.templatetags.programme_tags import points_text

    return points_text(value)


def _figure(value: Any, unit: str = "") -> str:
    return "—" if value is None else f"{value:,.1f}{unit}"


@app.command("show")
def show(username: AsUser = None, as_of: AsOf = None, as_json: Json = False) -> None:
    """Concentration, the programme's KPIs, the measured return and the post-launch answers."""
    setup_django()
    from kam.performance.figures import programme_figures

    with refusals():
        figures = programme_figures(acting_user(username), as_of)
    if as_json:
        print_json(figures)
        return
    if figures["as_of"] is None:
        fail("No sales in the store yet: import transactions or load the demo.", 1)
    latest = figures["concentration"]["points"][-1]
    console.print(f"[bold]Programme as of {figures['as_of']}[/]")
    console.print(
        f"Largest customer {_share(latest['revenue_share']['1'])} of revenue, top 5 "
        f"{_share(latest['revenue_share']['5'])}, top 10 {_share(latest['revenue_share']['10'])}; "
        f"HHI {_figure(latest['hhi_revenue'])}"
    )
    for alert in figures["concentration"]["alerts"]:
        console.print(f"[yellow]Alert:[/] {alert}")
    table = Table("KPI", "Now", "Target", "Status")
    for kpi in figures.get("kpis", {}).get("kpis", []):
        table.add_row(
            kpi["label"], _figure(kpi["value"], kpi["unit"]), _figure(kpi["target"], kpi["unit"]),
            kpi["status"].replace("_", " "),
        )  # fmt: skip
    console.print(table)
    if "roi" in figures:
        for name in ("matched", "discontinuity"):
            e = figures["roi"][name]
            shown = (
                f"{_points(e['effect'])} (95% {_points(e['low'])} to {_points(e['high'])}), "
                f"{e['verdict']}"
                if e["effect"] is not None
                else f"too thin to tell: {e['why']}"
            )
            console.print(f"Return, {name}: {shown}")
    for answer in figures["post_launch"]:
        console.print(
            f"{answer['answer'].upper():>16}  {answer['question']}  [dim]{answer['figures']}[/]"
        )
    console.print(f"Checklist maturity: {figures['checklist_maturity']:.0f} / 100")


@app.command("kpis")
def kpis(
    scope: Annotated[str, typer.Option(help="program, tier, manager or account")] = "tier",
    username: AsUser = None,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Every KPI per tier, manager or key account, against its target."""
    setup_django()
    from kam.performance.figures import kpi_board_figures

    if scope not in SCOPES:
        fail(f"[red]No scope {scope!r}:[/] use one of {', '.join(SCOPES)}.", 2)
    with refusals():
        groups = kpi_board_figures(acting_user(username), scope, as_of)
    if as_json:
        print_json(groups)
        return
    for group in groups:
        table = Table("KPI", "Now", "Target", "Status", title=group["label"])
        for kpi in group["kpis"]:
            table.add_row(
                kpi["label"], _figure(kpi["value"], kpi["unit"]),
                _figure(kpi["target"], kpi["unit"]), kpi["status"].replace("_", " "),
            )  # fmt: skip
        console.print(table)


@app.command("pnl")
def pnl(username: AsUser = None, as_of: AsOf = None, as_json: Json = False) -> None:
    """The key accounts' P&L, per manager and tier (needs the financials permission)."""
    setup_django()
    from kam.performance.figures import pnl_figures

    with refusals():
        figures = pnl_figures(acting_user(username), as_of)
    if as_json:
        print_json(figures)
        return
    if figures is None:
        fail("No sales in the store yet.", 1)
    for title, rows in (("Per tier", figures["by_tier"]), ("Per manager", figures["by_manager"])):
        table = Table("", "Accounts", "Revenue", "Gross margin", "Cost to serve", "Contribution",
                      "Imported", "Estimated", title=title)  # fmt: skip
        for row in [*rows, figures["programme"]]:
            table.add_row(
                row["group"], str(row["accounts"]), f"{row['revenue']:,.0f}",
                f"{row['gross_margin']:,.0f}", f"{row['cost_to_serve']:,.0f}",
                f"{row['contribution']:,.0f}", str(row["imported"]), str(row["estimated"]),
            )  # fmt: skip
        console.print(table)


@app.command("target")
def target(
    kpi: Annotated[str, typer.Argument(help="The KPI's key, e.g. revenue_growth")],
    value: Annotated[float, typer.Argument(help="The target, in the KPI's unit")],
    scope: Annotated[str, typer.Option(help="program, tier, manager or account")] = "program",
    key: Annotated[str, typer.Option(help="Which tier, manager or account")] = "",
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """Set a KPI's target for the programme, a tier, a manager or an account."""
    setup_django()
    from kam.performance.models import KpiTarget
    from kam.performance.services import ProgramError, do_set_kpi_target

    user = acting_user(username)
    current = KpiTarget.objects.filter(kpi=kpi, scope=scope, scope_key=key).first()
    with refusals(ProgramError):
        saved = do_set_kpi_target(
            user, kpi, value, scope=scope, scope_key=key,
            revision=current.revision if current else None,
        )  # fmt: skip
    result = {
        "kpi": saved.kpi,
        "scope": saved.scope,
        "key": saved.scope_key,
        "target": saved.target,
    }
    if as_json:
        print_json(result)
    else:
        console.print(f"Target of {kpi} for {scope} {key}: {value:g}".replace("  ", " "))


@app.command("import-costs")
def import_costs(
    file: Annotated[Path, typer.Argument(help="A CSV (.csv, .txt) or Excel (.xlsx) file.")],
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """Import cost to serve per account and period (docs/program.md): all or nothing."""
    setup_django()
    from kam.performance.cost_import import CostImportRefused
    from kam.performance.services import do_import_cost_to_serve

    if not file.exists():
        fail(f"[red]No such file:[/] {file}", 2)
    try:
        with refusals():
            report = do_import_cost_to_serve(acting_user(username), file)
    except CostImportRefused as refused:
        err.print(f"[red bold]Refused:[/] {refused.file}; nothing was imported.")
        for issue in refused.issues[:50]:
            err.print(f"  {issue}")
        if as_json:
            print_json({"refused": True, "problems": [str(i) for i in refused.issues]})
        raise typer.Exit(1) from None
    figures = {"file": report.file, "rows": report.rows, "created": report.created,
               "updated": report.updated, "unchanged": report.unchanged}  # fmt: skip
    if as_json:
        print_json(figures)
    else:
        console.print(
            f"{report.file}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged."
        )
