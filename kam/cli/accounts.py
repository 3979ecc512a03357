"""`kam account team`: who works an account with its key account manager."""

from typing import Annotated

import typer
from rich.table import Table

from kam.cli.common import (
    AsUser,
    Json,
    acting_user,
    console,
    fail,
    print_json,
    refusals,
    setup_django,
)

app = typer.Typer(help="Accounts: their teams.")


@app.command("team")
def team(
    customer_id: Annotated[str, typer.Argument(help="The account's customer id.")],
    members: Annotated[
        list[str] | None,
        typer.Option("--set", help="Make these users the whole team (repeat the option)."),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Leave the account without a team.")
    ] = False,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Show an account's team, or set it (--set, --clear: the Head of KAM or an Administrator)."""
    setup_django()
    from kam.accounts.models import Account
    from kam.accounts.services import do_set_account_team
    from kam.people.queries import UnknownUser, users_named

    account = Account.objects.filter(customer_id=customer_id).first()
    if account is None:
        fail(f"[red]No account {customer_id!r}.[/]", 2)
    if members or clear:
        user = acting_user(as_user)
        try:
            chosen = users_named(members or [])
        except UnknownUser as unknown:
            fail(f"[red]{unknown}[/] `kam user list` shows who exists.", 2)
        with refusals(ValueError):
            do_set_account_team(user, account, chosen)
    rows = [
        {"username": m.username, "name": m.display_name, "title": m.title}
        for m in account.team.order_by("first_name", "username")
    ]
    if as_json:
        print_json({"customer_id": account.customer_id, "members": rows})
        return
    if not rows:
        console.print(f"{account.name} has no team yet.")
        return
    table = Table(title=f"Team of {account.name}")
    for column in ("User", "Name", "Title"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["username"], row["name"], row["title"])
    console.print(table)
