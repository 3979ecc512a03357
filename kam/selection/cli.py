"""`kam score`, `kam cycle new|show|publish`, `kam policy export|import`: thin over the services.

The integrator registers them with one line in kam/cli.py: ``selection_cli.register(app)``.
"""

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kam.cli import AsUser, _acting_user, _default_user, _django, _progress, console, err

cycle_app = typer.Typer(help="Yearly key-account selection cycles: propose, review, publish.")
policy_app = typer.Typer(help="The selection policy as a TOML file.")

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="As-of date YYYY-MM-DD (default: the latest transaction)."),
]


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]--as-of {text!r}:[/] use YYYY-MM-DD")
        raise typer.Exit(2) from None


def _fail(error: Exception) -> None:
    err.print(f"[red]{error}[/]")
    raise typer.Exit(1)


def score(as_of: AsOf = None, as_user: AsUser = "") -> None:
    """Score every account under the current policy and write a new snapshot."""
    _django()
    from django.core.exceptions import PermissionDenied

    from kam.selection import services, snapshots
    from kam.selection.models import QuadrantChoice, TierChoice
    from kam.stores import analytics_store

    user = _acting_user(as_user or _default_user())
    try:
        with _progress("Scoring") as progress:
            run = services.do_run_scoring(user, as_of=_date(as_of), progress=progress)
    except (PermissionDenied, ValueError) as error:
        _fail(error)
        return
    with analytics_store().connect(read_only=True) as con:
        counts = snapshots.tier_quadrant_counts(snapshots.scores(con, run.snapshot_id))
    cells = {(c["tier"], c["quadrant"] or ""): c["accounts"] for c in counts}
    table = Table(
        title=f"Run {run.pk}: {run.customers:,} customers as of {run.as_of}, policy "
        f"v{run.policy_version.version}, {run.key_accounts:,} key accounts ({run.seconds:.1f} s)"
    )
    table.add_column("tier")
    for _, label in QuadrantChoice.choices:
        table.add_column(str(label), justify="right")
    table.add_column("all", justify="right")
    for tier, label in TierChoice.choices:
        if tier == TierChoice.NOT_KEY:
            continue
        row = [cells.get((tier, q), 0) for q, _ in QuadrantChoice.choices]
        table.add_row(str(label), *(f"{n:,}" for n in row), f"{sum(row):,}")
    console.print(table)


@cycle_app.command("new")
def cycle_new(as_of: AsOf = None, name: str = "", as_user: AsUser = "") -> None:
    """Propose a cycle: add / keep / remove against the last published one."""
    _django()
    from django.core.exceptions import PermissionDenied

    from kam.selection.cycles import do_create_cycle

    user = _acting_user(as_user or _default_user())
    try:
        with _progress("Proposing") as progress:
            cycle = do_create_cycle(user, as_of=_date(as_of), name=name, progress=progress)
    except (PermissionDenied, ValueError) as error:
        _fail(error)
        return
    _show(cycle)


def _find(cycle_id: int | None) -> Any:
    from kam.selection.models import SelectionCycle

    cycles = SelectionCycle.objects.order_by("-created_at", "-id")
    cycle = cycles.filter(pk=cycle_id).first() if cycle_id else cycles.first()
    if cycle is None:
        err.print("[red]No such cycle.[/] Propose one with `kam cycle new`.")
        raise typer.Exit(2)
    return cycle


def _show(cycle: Any, limit: int = 40) -> None:
    decisions = list(cycle.decisions.select_related("account", "manager"))
    console.print(
        f"[bold]{cycle.name}[/] (id {cycle.pk}) · {cycle.get_status_display()} · as of "
        f"{cycle.as_of} · compared with {cycle.previous.name if cycle.previous else 'nothing'}"
    )
    table = Table(show_header=True)
    for column in ("rank", "account", "proposal", "decision", "tier", "type", "reasons"):
        table.add_column(column)
    decisions.sort(key=lambda d: (not d.is_key, d.key_rank or 10**9))
    for d in decisions[:limit]:
        moved = f"{d.previous_quadrant} → {d.quadrant}" if d.quadrant_changed else d.quadrant
        reasons = "; ".join(
            f"{r['label']} {r['before']}→{r['after']}" if r["before"] is not None
            else f"{r['label']} {r['after']}"
            for r in d.reasons[:3]
        )  # fmt: skip
        table.add_row(
            str(d.key_rank or ""),
            d.account.name,
            d.get_proposal_display(),
            ("key" if d.is_key else "not key")
            + (" (override)" if d.override_key is not None else ""),
            d.get_tier_display(),
            moved or "",
            reasons,
        )
    console.print(table)
    if len(decisions) > limit:
        console.print(f"… and {len(decisions) - limit} more (see the web page).")
    keys = sum(d.is_key for d in decisions)
    console.print(f"{keys} key accounts after decisions.")


@cycle_app.command("show")
def cycle_show(cycle_id: Annotated[int | None, typer.Argument()] = None) -> None:
    """Show a cycle's decisions with their reasons (default: the newest cycle)."""
    _django()
    _show(_find(cycle_id))


@cycle_app.command("publish")
def cycle_publish(
    cycle_id: Annotated[int | None, typer.Argument()] = None,
    approve: Annotated[bool, typer.Option(help="Approve it first if it is a draft.")] = False,
    as_user: AsUser = "",
) -> None:
    """Publish a cycle: its key accounts become the key accounts."""
    _django()
    from django.core.exceptions import PermissionDenied

    from kam.selection.cycles import do_approve_cycle, do_publish_cycle

    user = _acting_user(as_user or _default_user())
    cycle = _find(cycle_id)
    try:
        if approve and cycle.status == "draft":
            do_approve_cycle(user, cycle)
        do_publish_cycle(user, cycle)
    except (PermissionDenied, ValueError) as error:
        _fail(error)
    console.print(f"{cycle.name} published: {cycle.decisions.count()} decisions applied.")


@policy_app.command("export")
def policy_export(
    file: Annotated[
        Path | None, typer.Argument(help="Write here (default: standard output).")
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="Which version (default: the latest).")
    ] = None,
) -> None:
    """Write a policy version as TOML."""
    _django()
    from kam.selection.models import PolicyVersion
    from kam.selection.services import do_ensure_default_policy

    saved = (
        PolicyVersion.objects.filter(version=version).first()
        if version
        else do_ensure_default_policy()
    )
    if saved is None:
        err.print(f"[red]No policy version {version}.[/]")
        raise typer.Exit(2)
    if file is None:
        typer.echo(saved.toml, nl=False)
    else:
        file.write_text(saved.toml, encoding="utf-8")
        console.print(f"Policy v{saved.version} written to {file}.")


@policy_app.command("import")
def policy_import(file: Path, note: str = "", as_user: AsUser = "") -> None:
    """Read a TOML policy and save it as a new version."""
    _django()
    from django.core.exceptions import PermissionDenied

    from kam.selection.services import do_import_policy

    if not file.exists():
        err.print(f"[red]No such file:[/] {file}")
        raise typer.Exit(2)
    user = _acting_user(as_user or _default_user())
    try:
        saved = do_import_policy(user, file.read_text(encoding="utf-8"), note=note)
    except (PermissionDenied, ValueError) as error:
        err.print(f"[red]{file}:[/] {error}")
        raise typer.Exit(1) from None
    console.print(f"Saved as policy v{saved.version}.")


def register(app: typer.Typer) -> None:
    """Add the selection commands to the `kam` application."""
    app.command("score")(score)
    app.add_typer(cycle_app, name="cycle")
    app.add_typer(policy_app, name="policy")
