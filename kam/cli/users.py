"""`kam user add` and `kam user list`: the people who sign in, created by the installer
from the shell, and each one's roles."""

import sys
from typing import Annotated

import typer
from rich.table import Table

from kam.cli.common import Json, console, fail, print_json, setup_django

app = typer.Typer(help="Manage the people who sign in.")


def _roles(names: list[str]) -> set:
    from kam.people.roles import Role

    by_name = {role.value.casefold(): role for role in Role}
    unknown = [name for name in names if name.casefold() not in by_name]
    if unknown:
        fail(f"[red]Unknown role {unknown[0]!r}.[/] Roles: {', '.join(r.value for r in Role)}", 2)
    return {by_name[name.casefold()] for name in names}


def _password(from_stdin: bool) -> str:
    if not from_stdin:
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        fail("[red]No password on standard input[/] (--password-stdin reads one line).", 2)
    return line


@app.command("add")
def add(
    username: str,
    role: Annotated[list[str], typer.Option(help="Role name, e.g. 'Head of KAM' (repeatable).")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from the first line of standard input (for scripts); "
            "without it you are asked for it, hidden, twice.",
        ),
    ] = False,
    first_name: str = "",
    last_name: str = "",
    title: str = "",
    email: str = "",
) -> None:
    """Create a user with the given roles, or give an existing one these roles and password.

    The password must pass the validators (at least 8 characters, not a common password,
    not all digits, not close to the user's names).
    """
    setup_django()
    from django.core.exceptions import ValidationError

    from kam.people.models import User
    from kam.people.services import do_create_user

    roles = _roles(role)
    password = _password(password_stdin)
    existed = User.objects.filter(username=username).exists()
    try:
        user = do_create_user(
            None,
            username,
            password=password,
            roles=roles,
            first_name=first_name,
            last_name=last_name,
            title=title,
            email=email,
        )
    except ValidationError as refused:
        fail(f"[red]Password refused, nothing saved:[/] {' '.join(refused.messages)}", 2)
    verb = "updated" if existed else "created"
    console.print(f"User {user.username} {verb} with roles {', '.join(sorted(roles))}.")


@app.command("list")
def list_users(as_json: Json = False) -> None:
    """Every user with their roles, capacity and whether they may sign in (active first)."""
    setup_django()
    from kam.people.queries import users_with_roles

    users = users_with_roles()
    rows = [
        {
            "username": user.username,
            "name": user.get_full_name(),
            "title": user.title,
            "email": user.email,
            "roles": sorted(role.value for role in user.roles()),
            "active": user.is_active,
            "must_change_password": user.must_change_password,
            "min_key_accounts": user.min_key_accounts,
            "max_key_accounts": user.max_key_accounts,
            "last_login": user.last_login.isoformat() if user.last_login else None,
        }
        for user in users
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No users yet. Add one with `kam user add NAME --role Administrator`.")
        return
    table = Table(title="Users")
    for column in ("User", "Name", "Roles", "Key accounts", "Status"):
        table.add_column(column, justify="right" if column == "Key accounts" else "left")
    for user in users:
        status = (
            "deactivated"
            if not user.is_active
            else "must change password"
            if user.must_change_password
            else "active"
        )
        table.add_row(
            user.username,
            user.get_full_name(),
            ", ".join(sorted(role.value for role in user.roles())) or "no role",
            f"{user.min_key_accounts}–{user.max_key_accounts}",
            status,
        )
    console.print(table)
