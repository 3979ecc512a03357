"""`kam clv fit` and `kam clv show ACCOUNT`: the lifetime-value models from the command line.

The integrator registers them with one line in kam/cli.py ``main()``:
``clv_cli.register(app)`` (after ``from kam.selection import clv_cli``).
"""

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from kam.cli import _django, console, err

clv_app = typer.Typer(help="Lifetime-value models: fit and check them, show one account.")


def _as_of(text: str | None, con: object) -> date:
    from kam.analytics.selection.features import resolve_as_of

    if text:
        try:
            return date.fromisoformat(text)
        except ValueError:
            err.print(f"[red]--as-of {text!r}:[/] use YYYY-MM-DD")
            raise typer.Exit(2) from None
    return resolve_as_of(con, None)


@clv_app.command("fit")
def fit(
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: latest).")] = (
        None
    ),
    holdout_weeks: Annotated[int, typer.Option(help="Weeks held out to check forecasts.")] = 26,
    months: Annotated[int, typer.Option(help="Plan horizon in months.")] = 24,
) -> None:
    """Fit BG/NBD, Pareto/NBD and Gamma-Gamma; print parameters, SEs, fit and holdout check."""
    _django()
    from kam.analytics.clv.portfolio import (
        FutureValueSettings,
        FutureValueUnavailable,
        future_value_step,
    )
    from kam.stores import analytics_store

    settings = FutureValueSettings(
        months=months, holdout_weeks=holdout_weeks, models=("bgnbd", "pareto_nbd")
    )
    with analytics_store().connect(read_only=True) as con:
        day = _as_of(as_of, con)
        try:
            result = future_value_step(con, day, settings)
        except FutureValueUnavailable as why:
            err.print(f"[red]No fit:[/] {why}")
            raise typer.Exit(1) from None
    cal = result.calibration_end
    console.print(
        f"[bold]{result.customers:,} customers[/] as of {day} ({result.repeat_customers:,} "
        f"bought more than once); time unit: weeks"
    )
    table = Table(title="Parameters (± standard error)")
    for column in ("model", "parameter", "estimate", "std. error"):
        table.add_column(column, justify="right" if column != "model" else "left")
    fits = [(r.label, r.fit) for r in result.models] + [("Gamma-Gamma", result.spend)]
    for label, fitted in fits:
        for index, (name, estimate) in enumerate(fitted.params.items()):
            table.add_row(
                label if index == 0 else "", name, f"{estimate:.4g}",
                f"{fitted.std_errors[name]:.3g}",
            )  # fmt: skip
    console.print(table)
    checks = Table(title=f"Fit and holdout check (fitted to {cal}, predicting to {day})")
    for column in ("model", "log-likelihood", "converged", "holdout actual", "predicted", "MAE",
                   "RMSE", "correlation"):  # fmt: skip
        checks.add_column(column)
    for report in result.models:
        h = report.holdout
        checks.add_row(
            report.label, f"{report.fit.log_likelihood:,.1f}", "yes" if report.fit.converged
            else "no", *(["—"] * 5 if h is None else [f"{h.total_actual:,.0f}",
            f"{h.total_predicted:,.0f} ({h.relative_error:+.1%})", f"{h.mae:.3f}",
            f"{h.rmse:.3f}", f"{h.correlation:.3f}"]),
        )  # fmt: skip
    console.print(checks)
    rho = result.spend.frequency_spend_correlation
    warn = " [yellow](above 0.3: spend forecasts are biased)[/]" if abs(rho) > 0.3 else ""
    console.print(f"Gamma-Gamma: frequency/spend correlation {rho:+.3f}{warn}")
    console.print(f"Chosen: [bold]{result.report(result.chosen).label}[/] — {result.reason}")


@clv_app.command("show")
def show(account: Annotated[str, typer.Argument(help="The account's customer id.")]) -> None:
    """One account's predicted value, interval, purchases and P(alive) from the latest run."""
    _django()
    from kam.analytics.clv.history import alive_history, purchase_days
    from kam.analytics.clv.portfolio import account_future_value
    from kam.selection.queries import latest_run, purchase_fit_of
    from kam.stores import analytics_store

    run = latest_run()
    if run is None:
        err.print("[red]No scoring run yet.[/] Run `kam score` first.")
        raise typer.Exit(2)
    if not run.future_value_table:
        err.print(f"[red]Run {run.pk} has no predicted value:[/] {run.future_value_note}")
        raise typer.Exit(1)
    with analytics_store().connect(read_only=True) as con:
        row = account_future_value(con, run.snapshot_id, account)
        fit = purchase_fit_of(run.future_value)
        days = purchase_days(con, account, run.as_of) if row and run.as_of else []
    if row is None:
        err.print(f"[red]No purchases of {account!r} up to {run.as_of}[/] in run {run.pk}.")
        raise typer.Exit(1)
    record = run.future_value
    console.print(
        f"[bold]{account}[/] as of {run.as_of} (run {run.pk}, next {record['months']} months, "
        f"{record['monthly_discount_rate']:.1%} monthly discount)"
    )
    console.print(
        f"Predicted value {row['clv']:,.0f} (90% range {row['clv_lower']:,.0f} – "
        f"{row['clv_upper']:,.0f}); expected purchases {row['expected_purchases']:.2f} at "
        f"{row['expected_spend']:,.0f} each; P(alive) now {row['p_alive']:.0%}"
    )
    history = alive_history(fit, days, run.as_of) if fit and run.as_of else []
    if history:
        table = Table(title="P(alive) at month ends (last 12)")
        table.add_column("date")
        table.add_column("repeat purchases", justify="right")
        table.add_column("P(alive)", justify="right")
        for point in history[-12:]:
            table.add_row(str(point.day), str(point.frequency), f"{point.p_alive:.0%}")
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add `kam clv` to the `kam` application."""
    app.add_typer(clv_app, name="clv")


__all__ = ["register"]
