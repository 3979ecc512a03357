"""`kam clv fit` and `kam clv show ACCOUNT`: the lifetime-value models from the command line.

The figures are built once as plain data (``fit_figures``, ``account_figures``); --json
prints that data and the tables are drawn from the same objects. Fields the result objects
gain later (a convergence note, a fallback) reach --json without a change here, because
the figures copy every field of the dataclasses except the bulky ones.
"""

import dataclasses
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from kam.cli.common import (
    AsOf,
    AsUser,
    Json,
    acting_user,
    console,
    fail,
    number,
    print_json,
    refusals,
    setup_django,
)

app = typer.Typer(help="Lifetime-value models: fit and check them, show one account.")

BULKY_FIELDS = {"covariance", "predictions", "by_frequency"}
"""Dataclass fields left out of the figures: matrices and per-customer tables."""
SHOWN_FIELDS = {"models", "spend", "settings", "fit", "calibration_fit", "holdout"}
"""Fields the figures lay out themselves rather than copy."""

PRINTED_FIELDS = {"as_of", "chosen", "chosen_label", "reason", "customers", "repeat_customers",
                  "calibration_end", "settings", "purchase_models", "spend", "label",
                  "scoring_uses", "missing"}  # fmt: skip
"""Top-level figures that print_fit already shows in its tables and lines."""


def _plain(value: Any) -> bool:
    """Whether ``value`` is a plain figure (no nested result object, no table)."""
    if value is None or isinstance(value, str | int | float | date):
        return True
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    if isinstance(value, Mapping):
        return all(_plain(item) for item in value.values())
    return False


def _fields(value: Any) -> dict[str, Any]:
    """Every plain field of a dataclass, but the bulky ones and those laid out separately.

    Nested result objects are left out: the figures lay out the parts that matter.
    """
    return {
        f.name: getattr(value, f.name)
        for f in dataclasses.fields(value)
        if f.name not in BULKY_FIELDS | SHOWN_FIELDS and _plain(getattr(value, f.name))
    }


def _fit(fit: Any) -> dict[str, Any] | None:
    if fit is None:
        return None
    return {**_fields(fit), "aic": fit.aic, "bic": fit.bic}


def _holdout(holdout: Any) -> dict[str, Any] | None:
    if holdout is None:
        return None
    return {
        **_fields(holdout),
        "relative_error": holdout.relative_error,
        "by_frequency": holdout.by_frequency.to_pylist(),
    }


def fit_figures(result: Any) -> dict[str, Any]:
    """The future-value step's fits, checks and choice as plain figures.

    Each purchase model says in words what happened to it: ``status`` (converged, limit:
    it ran to an edge of its parameter space and one of its limits is used, failed: not
    used), ``note`` (why), ``fit_label`` (the model whose figures are used) and ``own_fit``
    (the asked model's fit as the optimiser left it, when that is not the one used).
    """
    from kam.analytics.clv.future_value import FutureValueSettings
    from kam.analytics.clv.purchases import label

    return {
        **_fields(result),
        "chosen_label": result.report(result.chosen).fit_label,
        "label": result.label,
        "scoring_uses": [label(model) for model in FutureValueSettings().models],
        "settings": result.settings,
        "purchase_models": [
            {
                **_fields(report),
                "label": report.label,
                "fit_label": report.fit_label,
                "status": report.status.value,
                "usable": report.usable,
                "note": report.note,
                "fit": _fit(report.fit),
                "own_fit": None
                if report.resolution.own is report.fit
                else _fit(report.resolution.own),
                "calibration_fit": _fit(report.calibration_fit),
                "holdout": _holdout(report.holdout),
            }
            for report in result.models
        ],
        "spend": {**(_fit(result.spend) or {}), "label": _spend_label(result.spend)},
    }


def _spend_label(spend: Any) -> str:
    from kam.analytics.clv import gamma_gamma

    if spend.model == gamma_gamma.ONE_RATE_MODEL:
        return "Gamma-Gamma with one spend rate"
    return "Gamma-Gamma"


STATUS_WORDS = {"converged": "yes", "limit": "at its limit", "failed": "no: not used"}
"""How the checks table says what became of each purchase model."""


def _fitted_on(figures: dict[str, Any]) -> tuple[str, str | None]:
    whole = f"history to {figures['as_of']}"
    if figures["calibration_end"] is None:
        return whole, None
    return whole, f"calibration to {figures['calibration_end']}"


def _parameter_rows(table: Table, label: str, fitted_on: str, fit: dict[str, Any]) -> None:
    for index, (name, estimate) in enumerate(fit["params"].items()):
        table.add_row(
            label if index == 0 else "",
            fitted_on if index == 0 else "",
            name,
            number(estimate, ".4g"),
            number(fit["std_errors"].get(name), ".3g"),
        )


def _no_holdout_reason(figures: dict[str, Any]) -> str:
    weeks = figures["settings"].holdout_weeks
    if not weeks:
        return "none asked for, --holdout-weeks 0"
    return f"too few repeat buyers before the last {weeks} weeks to check on them"


def print_fit(figures: dict[str, Any]) -> None:
    """The tables of ``kam clv fit``."""
    console.print(
        f"[bold]{figures['customers']:,} customers[/] as of {figures['as_of']} "
        f"({figures['repeat_customers']:,} bought more than once); time unit: weeks"
    )
    whole, calibration = _fitted_on(figures)
    table = Table(title="Parameters (± standard error)")
    for column in ("model", "fitted on", "parameter", "estimate", "std. error"):
        table.add_column(
            column, justify="right" if column in ("estimate", "std. error") else "left"
        )
    for model in figures["purchase_models"]:
        if model["own_fit"] is not None and model["status"] == "limit":
            _parameter_rows(table, model["label"], f"{whole}, ran off", model["own_fit"])
            _parameter_rows(table, f"→ {model['fit_label']}", whole, model["fit"])
        else:
            _parameter_rows(table, model["label"], whole, model["fit"])
        if model["calibration_fit"] is not None and calibration:
            _parameter_rows(table, "", calibration, model["calibration_fit"])
    _parameter_rows(table, figures["spend"]["label"], whole, figures["spend"])
    console.print(table)

    if calibration:
        title = (
            f"Fit and holdout check (calibration to {figures['calibration_end']}, "
            f"holdout to {figures['as_of']})"
        )
    else:
        title = f"Fit on the {whole} (no holdout check: {_no_holdout_reason(figures)})"
    checks = Table(title=title)
    columns = ("model", "log-likelihood", "calibration LL", "converged", "holdout actual",
               "predicted", "MAE", "RMSE", "correlation")  # fmt: skip
    for column in columns:
        checks.add_column(column, justify="left" if column == "model" else "right")
    for model in figures["purchase_models"]:
        h, cal = model["holdout"], model["calibration_fit"]
        checks.add_row(
            model["label"],
            number(model["fit"]["log_likelihood"], ",.1f"),
            number(cal["log_likelihood"], ",.1f") if cal else "—",
            STATUS_WORDS.get(model["status"], model["status"]),
            *(["—"] * 5 if h is None else [
                number(h["total_actual"]),
                f"{number(h['total_predicted'])} ({number(h['relative_error'], '+.1%')})",
                number(h["mae"], ".3f"), number(h["rmse"], ".3f"),
                number(h["correlation"], ".3f"),
            ]),
        )  # fmt: skip
    spend = figures["spend"]
    checks.add_row(
        "Gamma-Gamma",
        number(spend["log_likelihood"], ",.1f"),
        "—",
        "yes" if spend["converged"] else "no",
        *(["—"] * 5),
    )
    console.print(checks)
    for model in figures["purchase_models"]:
        if model["note"]:
            colour = "yellow" if model["status"] == "limit" else "red"
            console.print(f"[{colour}]{model['label']}:[/] {model['note']}")
    if not spend["converged"] and spend.get("message"):
        console.print(f"[yellow]Gamma-Gamma did not converge:[/] {spend['message']}")
    rho = spend.get("frequency_spend_correlation")
    warn = (
        " [yellow](above 0.3: spend forecasts are biased)[/]"
        if rho is not None and abs(rho) > 0.3
        else ""
    )
    console.print(f"Gamma-Gamma: frequency/spend correlation {number(rho, '+.3f')}{warn}")
    console.print(f"Chosen: [bold]{figures['chosen_label']}[/] — {figures['reason']}")
    if figures["missing"]:
        console.print(
            f"[yellow]{figures['missing']:,} customer(s) without a finite predicted value:[/] "
            "their future value is missing, never counted"
        )
    console.print(
        f"A scoring run (kam score, Re-score) fits {' and '.join(figures['scoring_uses'])} "
        "only; its figures name the model they come from."
    )
    _print_notes(figures)


def _print_notes(figures: dict[str, Any]) -> None:
    """Any other text the result carries (a fallback, a note on missing predictions), so a
    field added to the result reaches the terminal as well as --json."""
    for name, value in figures.items():
        if name in PRINTED_FIELDS or not value:
            continue
        texts = [value] if isinstance(value, str) else value
        if isinstance(texts, list | tuple) and all(isinstance(t, str) for t in texts):
            for text in texts:
                console.print(f"{name.replace('_', ' ').capitalize()}: {text}")


@app.command("fit")
def fit(
    as_of: AsOf = None,
    holdout_weeks: Annotated[int, typer.Option(help="Weeks held out to check forecasts.")] = 26,
    months: Annotated[int, typer.Option(help="Plan horizon in months.")] = 24,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Fit BG/NBD, Pareto/NBD and Gamma-Gamma; print parameters, SEs, fit and holdout check."""
    setup_django()
    from kam.analytics.clv.future_value import FutureValueUnavailable
    from kam.selection.queries import future_value_check

    user = acting_user(as_user)
    with refusals(ValueError):  # settings out of range
        try:
            result = future_value_check(
                user, as_of=as_of, months=months, holdout_weeks=holdout_weeks
            )
        except FutureValueUnavailable as why:  # a ValueError too, so caught first
            fail(f"[red]No fit:[/] {why}", 1)
    figures = fit_figures(result)
    if as_json:
        print_json(figures)
    else:
        print_fit(figures)


def account_figures(customer_id: str, found: Any) -> dict[str, Any]:
    """One account's future value in the latest run as plain figures."""
    record = found.record
    return {
        "customer_id": customer_id,
        "run": found.run.pk,
        "as_of": found.run.as_of,
        "model": record.get("model"),
        "model_label": found.model_label,
        "months": record.get("months"),
        "monthly_discount_rate": record.get("monthly_discount_rate"),
        **found.row,
        "p_alive_history": found.history,
    }


def _print_account(figures: dict[str, Any]) -> None:
    console.print(
        f"[bold]{figures['customer_id']}[/] as of {figures['as_of']} (run {figures['run']}, "
        f"{figures['model_label']}, next {figures['months']} months, "
        f"{number(figures['monthly_discount_rate'], '.1%')} monthly discount)"
    )
    money = (  # absent for a user without the financials permission (kam.accounts.access)
        f"Predicted value {number(figures['clv'])} (90% range {number(figures['clv_lower'])} – "
        f"{number(figures['clv_upper'])}); "
        if "clv" in figures
        else ""
    )
    spend = f" at {number(figures['expected_spend'])} each" if "expected_spend" in figures else ""
    console.print(
        f"{money}expected purchases {number(figures['expected_purchases'], '.2f')}{spend}; "
        f"P(alive) now {number(figures['p_alive'], '.0%')}"
    )
    history: list[Any] = figures["p_alive_history"]
    if history:
        table = Table(title="P(alive) at month ends (last 12)")
        table.add_column("date")
        table.add_column("repeat purchases", justify="right")
        table.add_column("P(alive)", justify="right")
        for point in history[-12:]:
            table.add_row(str(point.day), str(point.frequency), number(point.p_alive, ".0%"))
        console.print(table)


@app.command("show")
def show(
    account: Annotated[str, typer.Argument(help="The account's customer id.")],
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """One account's predicted value, interval, purchases and P(alive) from the latest run."""
    setup_django()
    from kam.selection.queries import account_future_value

    user = acting_user(as_user)
    with refusals():
        found = account_future_value(user, account)
    if found is None:
        fail("[red]No scoring run yet.[/] Run `kam score` first.", 2)
    if not found.record:
        fail(f"[red]Run {found.run.pk} has no predicted value:[/] {found.run.future_value_note}")
    if found.row is None:
        fail(f"[red]No purchases of {account!r} up to {found.run.as_of}[/] in run {found.run.pk}.")
    figures = account_figures(account, found)
    if as_json:
        print_json(figures)
    else:
        _print_account(figures)
