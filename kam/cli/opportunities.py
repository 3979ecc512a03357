"""`kam opportunities import FILE`, `kam opportunities pipeline`, `kam whitespace ACCOUNT` and
`kam import wallet FILE`: opportunities and wallet estimates in from CSV or Excel (all or
nothing, every bad row named by line and column), the pipeline, an account's whitespace."""

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
    fail,
    print_json,
    progress,
    refusals,
    setup_django,
)
from kam.cli.data import print_refusal, print_report, report_figures

app = typer.Typer(help="Opportunities: import them, and the pipeline.")

FileArgument = Annotated[Path, typer.Argument(help="A CSV (.csv, .txt) or Excel (.xlsx) file.")]


def _import(kind: str, file: Path, username: str | None, as_json: bool) -> None:
    setup_django()
    from django.utils import timezone

    from kam.analytics.ingest import ImportRefused
    from kam.opportunities import services

    if not file.exists():
        fail(f"[red]No such file:[/] {file}", 2)
    user = acting_user(username)
    try:
        with refusals(), progress(f"Importing {kind}") as update:
            if kind == "opportunities":
                report = services.do_import_opportunities(
                    user, file, today=timezone.localdate(), progress=update
                )
            else:
                report = services.do_import_wallets(user, file, progress=update)
    except ImportRefused as refused:
        print_refusal(refused, None, as_json)
        raise typer.Exit(1) from None
    if as_json:
        print_json(report_figures(report))
    else:
        print_report(report)


@app.command("import")
def import_opportunities(
    file: FileArgument, username: AsUser = None, as_json: Json = False
) -> None:
    """Import opportunities: one row each (docs/opportunities.md); the same file twice
    changes nothing."""
    _import("opportunities", file, username, as_json)


def import_wallet(file: FileArgument, username: AsUser = None, as_json: Json = False) -> None:
    """Import wallet estimates: customer_id, category, amount (a year's spend with every
    supplier), source."""
    _import("wallets", file, username, as_json)


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


@app.command()
def pipeline(
    manager: ManagerOption = None,
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """The open pipeline of the accounts you read, per manager: value and weighted."""
    setup_django()
    from django.utils import timezone

    from kam.opportunities import queries
    from kam.people.models import User

    user = acting_user(username)
    whose = None
    if manager:
        whose = User.objects.filter(username=manager).first()
        if whose is None:
            fail(f"[red]No user[/] {manager!r}", 2)
    with refusals():
        found = queries.programme_pipeline(user, timezone.localdate(), whose)

    def figures(p: Any) -> dict[str, Any]:
        return {
            "count": p.count, "value": p.value, "weighted": p.weighted,
            "won_12m": p.won_12m, "lost_12m": p.lost_12m,
            "by_stage": [vars(b) for b in p.by_stage], "by_month": [vars(b) for b in p.by_month],
        }  # fmt: skip

    rows = [
        {"manager": m.manager.username if m.manager else None, "accounts": m.accounts}
        | figures(m.pipeline)
        for m in found.managers
    ]
    if as_json:
        print_json({"total": figures(found.total), "managers": rows})
        return
    table = Table(title="Open pipeline")
    for name in ("manager", "accounts", "open", "value", "weighted"):
        table.add_column(name, justify="left" if name == "manager" else "right")
    for row in rows:
        table.add_row(row["manager"] or "(none)", str(row["accounts"]), str(row["count"]),
                      _money(row["value"]), _money(row["weighted"]))  # fmt: skip
    total = found.total
    table.add_row("total", "", str(total.count), _money(total.value), _money(total.weighted))
    console.print(table)


def whitespace(
    account: Annotated[str, typer.Argument(help="The account's customer_id.")],
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """An account's whitespace: per category what it buys, the pipeline, the wallet (entered,
    or ≈ estimated from peers) and share of wallet; the grid of business units in --json."""
    setup_django()
    from kam.accounts.models import Account
    from kam.opportunities import queries

    found_account = Account.objects.filter(customer_id=account).first()
    if found_account is None:
        fail(f"[red]No account[/] {account!r}", 2)
    user = acting_user(username)
    with refusals():
        found = queries.account_whitespace(user, found_account)
    if as_json:
        print_json(
            {
                "customer_id": account,
                "as_of": found.as_of.isoformat() if found.as_of else None,
                "business_units": list(found.units),
                "cells": [c for units in found.cells.values() for c in units.values()],
                "categories": [
                    row | {"peers": [p["peer_id"] for p in found.peers.get(row["category"], ())]}
                    for row in found.categories
                ],
                "gaps": [vars(g) for g in found.gaps],
            }
        )
        return
    if found.as_of is None:
        console.print("No transaction lines yet: whitespace is read from them.")
        return
    table = Table(title=f"Whitespace of {found_account.name}, 12 months to {found.as_of}")
    for name in ("category", "bought", "pipeline", "wallet", "share", "open wallet"):
        table.add_column(name, justify="left" if name == "category" else "right")
    for row in found.categories:
        wallet = _money(row["wallet"])
        if row["wallet_source"] == "peers" and row["wallet"] > row["peer_median"]:
            wallet = f"≥ {wallet} (what it buys; {row['peer_count']} peers' median lower)"
        elif row["wallet_source"] == "peers":
            wallet = f"≈ {wallet} ({row['peer_count']} peers)"
        share = row["share_of_wallet"]
        table.add_row(
            row["category"], _money(row["bought"]), _money(row["pipeline"]), wallet,
            "—" if share is None else f"{share:.0%}",
            _money(row["open_wallet"]) if row["wallet"] is not None else "—",
        )  # fmt: skip
    console.print(table)
