"""`kam score`, `kam cycle new|show|publish`, `kam policy export|import`: key-account
selection from the command line, through the selection services and queries."""

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from kam.cli.common import (
    AsOf,
    AsUser,
    Json,
    acting_user,
    console,
    fail,
    print_json,
    progress,
    refusals,
    setup_django,
)

if TYPE_CHECKING:
    from kam.selection.queries import CycleReview, TierTypes

cycle_app = typer.Typer(help="Yearly key-account selection cycles: propose, review, publish.")
policy_app = typer.Typer(help="The selection policy as a TOML file.")

CycleId = Annotated[int | None, typer.Argument(help="The cycle's id (default: the newest).")]
SHOWN_DECISIONS = 40


def score_figures(run: Any, tier_types: list["TierTypes"]) -> dict[str, Any]:
    """A scoring run and its tier × type matrix as plain figures (what --json prints)."""
    from kam.selection.fit_record import future_value_fit_note, future_value_label
    from kam.selection.models import QuadrantChoice

    tiers = [
        {"tier": row.tier, "label": row.label, "by_type": row.by_type, "all": row.typed}
        for row in tier_types
    ]
    return {
        "run": run.pk,
        "snapshot_id": run.snapshot_id,
        "as_of": run.as_of,
        "policy_version": run.policy_version.version,
        "customers": run.customers,
        "key_accounts": run.key_accounts,
        "qualifying": run.qualifying,
        "capacity": run.capacity,
        "seconds": run.seconds,
        "future_value_model": run.future_value.get("model") if run.future_value else None,
        "future_value_label": future_value_label(run.future_value or {}),
        "future_value_reason": (run.future_value or {}).get("reason"),
        "future_value_fit_note": future_value_fit_note(run.future_value or {}),
        "future_value_missing": (run.future_value or {}).get("missing"),
        "future_value_note": run.future_value_note,
        "types": {str(q): str(label) for q, label in QuadrantChoice.choices},
        "tiers": tiers,
    }


def score(as_of: AsOf = None, as_user: AsUser = None, as_json: Json = False) -> None:
    """Score every account under the current policy and write a new snapshot."""
    setup_django()
    from kam.selection import queries, services

    user = acting_user(as_user)
    with refusals(ValueError), progress("Scoring") as update:
        run = services.do_run_scoring(user, as_of=as_of, progress=update)
    figures = score_figures(run, queries.tier_types(user, run))
    if as_json:
        print_json(figures)
        return
    table = Table(
        title=f"Run {run.pk}: {run.customers:,} customers as of {run.as_of}, policy "
        f"v{run.policy_version.version}, {run.key_accounts:,} key accounts ({run.seconds:.1f} s)"
    )
    table.add_column("tier")
    for label in figures["types"].values():
        table.add_column(label, justify="right")
    table.add_column("all", justify="right")
    for tier in figures["tiers"]:
        row = [tier["by_type"][q] for q in figures["types"]]
        table.add_row(tier["label"], *(f"{n:,}" for n in row), f"{tier['all']:,}")
    console.print(table)
    if run.future_value_note:
        console.print(f"Predicted future value missing in this run: {run.future_value_note}")
    else:
        console.print(f"Predicted future value from {figures['future_value_label']}.")
        if figures["future_value_fit_note"]:
            console.print(f"[yellow]{figures['future_value_fit_note']}[/]")
        if figures["future_value_missing"]:
            console.print(
                f"{figures['future_value_missing']:,} customer(s) without a finite predicted "
                "value: missing in the score, never counted."
            )


def _reasons(decision: Any, limit: int = 3) -> str:
    return "; ".join(
        f"{r['label']} {r['before']}→{r['after']}" if r["before"] is not None
        else f"{r['label']} {r['after']}"
        for r in decision.reasons[:limit]
    )  # fmt: skip


def cycle_figures(review: "CycleReview") -> dict[str, Any]:
    """A cycle and every decision in it as plain figures (what --json prints)."""
    cycle = review.cycle
    return {
        "cycle": cycle.pk,
        "name": cycle.name,
        "status": cycle.status,
        "as_of": cycle.as_of,
        "previous": cycle.previous.name if cycle.previous else None,
        "counts": review.counts,
        "churn": review.churn,
        "max_churn": review.max_churn,
        "churn_above_band": review.churn_above_band,
        "shares": asdict(review.shares) if review.shares else None,
        "coverage": asdict(review.coverage) if review.coverage else None,
        "decisions": [
            {
                "customer_id": d.account_id,
                "account": d.account.name,
                "rank": d.key_rank,
                "proposal": d.proposal,
                "is_key": d.is_key,
                "override": d.override_key,
                "tier": d.tier,
                "type": d.quadrant,
                "previous_type": d.previous_quadrant,
                "manager": d.manager.username if d.manager else None,
                "sponsor": d.sponsor.username if d.sponsor else None,
                "reasons": d.reasons,
                "why": d.why,
            }
            for d in review.decisions
        ],
    }


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def _show(review: "CycleReview", as_json: bool, limit: int = SHOWN_DECISIONS) -> None:
    if as_json:
        print_json(cycle_figures(review))
        return
    cycle, decisions = review.cycle, review.decisions
    console.print(
        f"[bold]{cycle.name}[/] (id {cycle.pk}) · {cycle.get_status_display()} · as of "
        f"{cycle.as_of} · compared with {cycle.previous.name if cycle.previous else 'nothing'}"
    )
    table = Table(show_header=True)
    for column in ("rank", "account", "proposal", "decision", "tier", "type", "reasons"):
        table.add_column(column)
    for d in decisions[:limit]:
        moved = f"{d.previous_quadrant} → {d.quadrant}" if d.quadrant_changed else d.quadrant
        table.add_row(
            str(d.key_rank or ""),
            d.account.name,
            d.get_proposal_display(),
            ("key" if d.is_key else "not key")
            + (" (override)" if d.override_key is not None else ""),
            d.get_tier_display(),
            moved or "",
            _reasons(d),
        )
    console.print(table)
    if len(decisions) > limit:
        console.print(f"… and {len(decisions) - limit} more (--json lists them all).")
    console.print(f"{review.counts['key']} key accounts after decisions.")
    if review.churn is not None:
        band = f" (above the policy's {review.max_churn:.0%})" if review.churn_above_band else ""
        console.print(f"Churn: the proposal removes {review.churn:.0%} of the key accounts{band}.")
    if review.shares:
        for label, part in (
            ("key set", review.shares.key_set),
            ("same number by revenue", review.shares.by_revenue),
            ("same number by future value", review.shares.by_future_value),
        ):
            console.print(
                f"{label}: {part.accounts:,} accounts, {_pct(part.revenue_share)} of revenue, "
                f"{_pct(part.future_value_share)} of predicted future value"
            )
    for d in decisions:
        if d.proposal == "remove":
            console.print(f"[dim]remove {d.account_id} {d.account.name}: {d.why}[/]")


def _review(user: Any, cycle_id: int | None) -> "CycleReview":
    from kam.selection.queries import cycle_review

    review = cycle_review(user, cycle_id)
    if review is None:
        fail("[red]No such cycle.[/] Propose one with `kam cycle new`.", 2)
    return review


@cycle_app.command("new")
def cycle_new(
    as_of: AsOf = None, name: str = "", as_user: AsUser = None, as_json: Json = False
) -> None:
    """Propose a cycle: add / keep / remove against the last published one."""
    setup_django()
    from kam.selection.services import do_create_cycle

    user = acting_user(as_user)
    with refusals(ValueError), progress("Proposing") as update:
        cycle = do_create_cycle(user, as_of=as_of, name=name, progress=update)
    _show(_review(user, cycle.pk), as_json)


@cycle_app.command("show")
def cycle_show(cycle_id: CycleId = None, as_user: AsUser = None, as_json: Json = False) -> None:
    """Show a cycle's decisions with their reasons (default: the newest cycle)."""
    setup_django()
    user = acting_user(as_user)
    with refusals():
        review = _review(user, cycle_id)
    _show(review, as_json)


@cycle_app.command("publish")
def cycle_publish(
    cycle_id: CycleId = None,
    approve: Annotated[bool, typer.Option(help="Approve it first if it is a draft.")] = False,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Publish a cycle: its key accounts become the key accounts."""
    setup_django()
    from kam.selection.services import do_approve_cycle, do_publish_cycle

    user = acting_user(as_user)
    with refusals(ValueError):
        cycle = _review(user, cycle_id).cycle
        if approve and cycle.status == "draft":
            do_approve_cycle(user, cycle)
        do_publish_cycle(user, cycle)
    review = _review(user, cycle.pk)
    if as_json:
        print_json(cycle_figures(review))
        return
    console.print(
        f"{cycle.name} published: {len(review.decisions)} decisions applied, "
        f"{review.counts['key']} key accounts."
    )


@policy_app.command("export")
def policy_export(
    file: Annotated[
        Path | None, typer.Argument(help="Write here (default: standard output).")
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="Which version (default: the latest).")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Write a policy version as TOML."""
    setup_django()
    from kam.selection.queries import policy_version
    from kam.selection.services import do_ensure_default_policy

    with refusals():
        saved = policy_version(acting_user(as_user), version)
        if saved is None and version is None:  # nothing saved yet: the shipped default
            saved = do_ensure_default_policy()
    if saved is None:
        fail(f"[red]No policy version {version}.[/]", 2)
    if file is None:
        typer.echo(saved.toml, nl=False)
    else:
        file.write_text(saved.toml, encoding="utf-8")
        console.print(f"Policy v{saved.version} written to {file}.")


@policy_app.command("import")
def policy_import(file: Path, note: str = "", as_user: AsUser = None) -> None:
    """Read a TOML policy and save it as a new version."""
    setup_django()
    from kam.selection.services import do_import_policy

    if not file.exists():
        fail(f"[red]No such file:[/] {file}", 2)
    user = acting_user(as_user)
    try:
        with refusals():
            saved = do_import_policy(user, file.read_text(encoding="utf-8"), note=note)
    except ValueError as error:
        fail(f"[red]{file}:[/] {error}", 1)
    console.print(f"Saved as policy v{saved.version}.")
