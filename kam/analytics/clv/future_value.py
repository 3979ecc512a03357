"""The future-value step over the whole store: summaries, fits, choice of model, predictions.

One pass over the purchase days (``summaries_from_days``) gives every customer's purchase
summary as of the as-of date *and* as of the end of a calibration period before it, with
what they bought in the holdout period between; the BG/NBD and the Pareto/NBD are fitted
on the calibration summary, checked against the holdout, and the better one (smaller
per-customer error of the holdout purchases; log-likelihood when there is no holdout) is
refitted on the whole history, with the Gamma-Gamma spend model, to predict each
customer's next ``months`` (``forecast.forecast``). Beyond ``fit_sample`` customers the fits
see a fixed sample of them (``fit_sample.py``); the predictions cover everyone.

Definitions are those of ``summary.py`` (Fader, Hardie & Lee 2005): a purchase is a day on
which the customer has invoice lines — several invoices on one day are one purchase
occasion, credit notes are not purchases; frequency = purchase days - 1; recency and age
in weeks from the first purchase; mean repeat spend over the purchase days after the
first. ``customer_month`` cannot give these (it has invoices per month, not distinct
days); ``customer_day``, kept by every import, holds exactly those purchase days, so the
step groups it (a quarter of the rows of the lines at TPC-H scale) rather than every line.
A store written before that table existed has it empty: the step rebuilds it once, or
(store opened read-only) groups the lines itself — the same answer either way.

The result is written to the store as the table ``clv_<run id>`` (``write_future_value``),
beside the score snapshot of the same run, which carries ``predicted_clv`` as the raw
value of the ``future_value`` criterion (``with_predicted_clv``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import duckdb
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kam.analytics.clv import gamma_gamma
from kam.analytics.clv.degenerate import FitStatus, Resolution, resolve
from kam.analytics.clv.fit_sample import fit_rows
from kam.analytics.clv.forecast import forecast
from kam.analytics.clv.holdout import evaluate_holdout
from kam.analytics.clv.purchases import ASKABLE, label, model_of
from kam.analytics.clv.results import FitResult, HoldoutEvaluation, SpendFitResult
from kam.analytics.clv.summary import (
    UNIT_METADATA_KEY,
    collapse,
    purchase_days,
    summaries_from_days,
)
from kam.analytics.ingest.load import refresh_customer_day
from kam.analytics.store import store_tables

UNIT = "weeks"
"""The models' time unit: weeks, as in the published fits (days give the same model with
alpha 7× larger; weeks keep the parameters readable next to the literature)."""
PREDICTION_COLUMNS = (
    "customer_id", "first_purchase", "last_purchase", "frequency", "recency", "age",
    "mean_repeat_spend", "p_alive", "expected_purchases", "expected_spend", "clv",
    "clv_lower", "clv_upper",
)  # fmt: skip
_ID = re.compile(r"^[A-Za-z0-9_]{1,64}$")


class FutureValueUnavailable(ValueError):
    """The models cannot be fitted on this store; the message says why in plain words."""


@dataclass(frozen=True)
class FutureValueSettings:
    """How the step runs: plan horizon, discounting, holdout, interval, model choice."""

    months: int = 24
    monthly_discount_rate: float = 0.01
    holdout_weeks: int = 26
    interval: float = 0.9
    draws: int = 500
    min_repeat_customers: int = 30
    models: tuple[str, ...] = ("bgnbd",)
    """The purchase models to fit; with several, the holdout (or log-likelihood) chooses."""
    fit_sample: int = 200_000
    """Most customers the population fits see (0: all); everyone gets predictions."""

    def __post_init__(self) -> None:
        if not 1 <= self.months <= 120:
            raise ValueError("the CLV horizon must be between 1 and 120 months")
        if not 0.0 <= self.monthly_discount_rate < 1.0:
            raise ValueError("the monthly discount rate must be in [0, 1)")
        if self.fit_sample < 0:
            raise ValueError("the fit sample cannot be negative")
        if self.holdout_weeks < 0:
            raise ValueError("the holdout cannot be negative")
        unknown = [m for m in self.models if m not in ASKABLE]
        if unknown or not self.models:
            raise ValueError(f"models must be among {sorted(ASKABLE)}, not {unknown}")


@dataclass(frozen=True)
class ModelReport:
    """One purchase model as asked for: its fit on the whole history (resolved to a limit when
    it ran to the edge of its parameter space, see ``degenerate.py``) and on the calibration
    period with the holdout check (None without a holdout, or when that fit failed)."""

    model: str
    resolution: Resolution
    calibration: Resolution | None = None
    holdout: HoldoutEvaluation | None = None
    problem: str = ""
    """Why the model is not used although its fit is (e.g. no finite holdout error)."""

    @property
    def fit(self) -> FitResult:
        """The fit the predictions come from: the model's own, or the limit used for it (its
        own when nothing is usable)."""
        return self.resolution.fit or self.resolution.own

    @property
    def calibration_fit(self) -> FitResult | None:
        """The fit on the calibration period the holdout check was made with."""
        return self.calibration.fit if self.calibration is not None else None

    @property
    def status(self) -> FitStatus:
        """Converged, used at a limit, or failed."""
        return self.resolution.status

    @property
    def usable(self) -> bool:
        """Whether the model's predictions can be used."""
        return self.resolution.usable and not self.problem

    @property
    def label(self) -> str:
        """The model asked for: BG/NBD or Pareto/NBD."""
        return label(self.model)

    @property
    def fit_label(self) -> str:
        """The model the figures come from, e.g. "BG/NBD with one purchase rate"."""
        return label(self.fit.model)

    @property
    def note(self) -> str:
        """What happened to this model, in words ("" when it converged and is usable)."""
        parts = [self.resolution.note]
        calibration = self.calibration
        if calibration is not None and calibration.note and calibration.note != parts[0]:
            parts.append(f"On the calibration period: {calibration.note}")
        parts.append(self.problem)
        return " ".join(part for part in parts if part)


@dataclass(frozen=True)
class FutureValue:
    """The outcome of the step: which model, why, its fits, and one row per customer."""

    as_of: dt.date
    settings: FutureValueSettings
    chosen: str
    reason: str
    models: tuple[ModelReport, ...]
    spend: SpendFitResult
    predictions: pa.Table = field(repr=False)
    customers: int = 0
    repeat_customers: int = 0
    calibration_end: dt.date | None = None
    missing: int = 0
    """Customers without a finite predicted value: their future value is missing."""
    notes: tuple[str, ...] = ()
    """Anything else worth saying about the predictions, in words."""

    @property
    def purchase_fit(self) -> FitResult:
        """The fit the predictions come from."""
        return self.report(self.chosen).fit

    @property
    def label(self) -> str:
        """The models the figures come from, in words: "BG/NBD + Gamma-Gamma"."""
        spend = "Gamma-Gamma"
        if self.spend.model == gamma_gamma.ONE_RATE_MODEL:
            spend = "Gamma-Gamma with one spend rate"
        return f"{self.report(self.chosen).fit_label} + {spend}"

    def report(self, model: str) -> ModelReport:
        """The report of one purchase model."""
        return next(m for m in self.models if m.model == model)


def _as_summary(table: pa.Table, prefix: str = "") -> pa.Table:
    """A summary table in the shape summary.py gives (its unit in the metadata)."""
    columns = {"customer_id": table.column("customer_id")}
    for name in ("frequency", "recency", "age", "mean_repeat_spend"):
        columns[name] = table.column(prefix + name)
    if prefix:
        columns["holdout_frequency"] = table.column("holdout_frequency")
        columns["holdout_revenue"] = table.column("holdout_revenue")
    summary = pa.table(columns)
    if prefix:
        summary = summary.filter(pc.is_valid(summary.column("frequency")))
    return summary.replace_schema_metadata({UNIT_METADATA_KEY: UNIT.encode()})


def _choose(reports: list[ModelReport]) -> tuple[str, str]:
    """(the model whose predictions are used, why, in words); only usable models compete.

    With a holdout for every candidate, the smaller per-customer error wins; otherwise the
    higher log-likelihood. A model that did not converge, ran off to an edge none of its
    limits describes, or has no finite holdout error never wins.
    """
    usable = [r for r in reports if r.usable]
    left_out = [r.note or f"the {r.label} is not usable." for r in reports if not r.usable]
    if not usable:
        raise FutureValueUnavailable("no purchase model can be used: " + " ".join(left_out))
    tail = f"; not used — {' '.join(left_out)}" if left_out else ""
    if len(usable) == 1:
        only = usable[0]
        why = "the model asked for" if len(reports) == 1 else "the only usable model"
        return only.model, f"{only.fit_label}, {why}{tail}"
    if all(r.holdout is not None for r in usable):
        errors = {r.model: r.holdout.mae if r.holdout else math.inf for r in usable}
        best, tied = _least(errors)
        maes = ", ".join(f"{r.fit_label} {r.holdout.mae:.3f}" for r in usable if r.holdout)
        return best, f"smaller per-customer holdout error ({maes} purchases){tied}{tail}"
    best, tied = _least({r.model: -r.fit.log_likelihood for r in usable})
    lls = ", ".join(f"{r.fit_label} {r.fit.log_likelihood:,.1f}" for r in usable)
    return best, f"higher log-likelihood ({lls}); no holdout check{tied}{tail}"


TIE = 1e-9
"""Figures of two models within this share of each other are a tie. Two models that ran to
the same limit (TPC-H's "nobody stops buying") give the same figures but for rounding, which
differs with the order the engine returned the rows in: a tie is broken by ``ASKABLE``'s
order, so the same data chooses the same model on DuckDB and on Spark."""


def _least(figures: dict[str, float]) -> tuple[str, str]:
    """The model with the least figure, and a clause saying so when others tie with it."""
    low = min(figures.values())
    tied = [m for m, v in figures.items() if v <= low + TIE * max(abs(low), 1.0)]
    if len(tied) == 1:
        return tied[0], ""
    first = min(tied, key=ASKABLE.index)
    return first, f"; a tie within {TIE:g}, so the {label(first)}, first in kam's order"


def _report(
    model: str,
    full: pa.Table,
    calibration: pa.Table | None,
    weeks: float,
    fitted: Callable[[FitResult], None] | None = None,
) -> ModelReport:
    """The model fitted on the whole history, then on the calibration period and checked
    against the holdout; ``fitted`` is told the fit to predict with as soon as it is known
    (before the calibration fit), so the predictions can start beside it."""
    stats = collapse(full)
    resolution = resolve(model_of(model).fit(stats), stats)
    if fitted is not None and resolution.fit is not None:
        fitted(resolution.fit)
    if calibration is None or resolution.fit is None:
        return ModelReport(model, resolution)
    used = resolution.fit
    cal_stats = collapse(calibration)
    try:
        # The calibration history is the full one minus the last weeks: its optimum is
        # close, so starting there saves most of the optimiser's iterations. The model is
        # the one the whole history called for (a limit, if it came to that).
        cal_own = model_of(used.model).fit(cal_stats, start=tuple(used.params.values()))
    except (ValueError, FloatingPointError):
        return ModelReport(model, resolution)
    cal = resolve(cal_own, cal_stats)
    if cal.fit is None:
        return ModelReport(model, resolution, cal)
    holdout = evaluate_holdout(cal.fit, calibration, weeks)
    problem = "" if math.isfinite(holdout.mae) else "Its holdout check gives no finite error."
    return ModelReport(model, resolution, cal, holdout, problem)


def _repeat_buyers(summary: pa.Table) -> int:
    return int(pc.sum(pc.greater(summary.column("frequency"), 0)).as_py() or 0)


def fit_future_value(
    summaries: pa.Table,
    as_of: dt.date,
    settings: FutureValueSettings | None = None,
    calibration_end: dt.date | None = None,
) -> FutureValue:
    """Fit, check, choose and predict from the table ``purchase_summaries`` returned.

    FutureValueUnavailable (with the reason in plain words) when there are too few repeat
    buyers, or no purchase model gives usable estimates.
    """
    settings = settings or FutureValueSettings()
    full = _as_summary(summaries)
    repeat = _repeat_buyers(full)
    if repeat < settings.min_repeat_customers:
        raise FutureValueUnavailable(
            f"{repeat} customer(s) bought more than once up to {as_of}; the lifetime-value "
            f"models need at least {settings.min_repeat_customers}"
        )
    rows = fit_rows(summaries.column("customer_id"), settings.fit_sample)
    sample = summaries if rows is None else summaries.take(rows)
    fit_on = full if rows is None else _as_summary(sample)
    calibration = None
    if "cal_frequency" in sample.column_names:
        calibration = _as_summary(sample, "cal_")
        if _repeat_buyers(calibration) < settings.min_repeat_customers:
            calibration = None  # too little before the holdout to check anything
    weeks = float(settings.holdout_weeks)
    reports, problems = [], []

    def predict(purchase: FitResult, spend: SpendFitResult) -> pa.Table:
        return forecast(
            purchase,
            spend,
            full,
            months=settings.months,
            monthly_discount_rate=settings.monthly_discount_rate,
            interval=settings.interval,
            draws=settings.draws,
        )

    ahead: list[tuple[FitResult, Future[pa.Table]]] = []
    # The spend model needs nothing from the purchase models: it is fitted beside them, on
    # the other core (numpy releases the GIL in its array loops), and its errors, if any,
    # are raised where they were when it came after them. With one purchase model asked
    # for, its predictions need nothing from the calibration fit and the holdout check
    # either (those only decide whether it is usable): they are computed beside them,
    # after the spend model, and kept only if that fit is the one used.
    with ThreadPoolExecutor(max_workers=1) as beside:
        spend_fit = beside.submit(_spend_fit, fit_on)

        def predict_ahead(purchase: FitResult) -> None:
            ahead.append((purchase, beside.submit(lambda: predict(purchase, spend_fit.result()))))

        fitted = predict_ahead if len(settings.models) == 1 else None
        for model in settings.models:
            try:
                reports.append(_report(model, fit_on, calibration, weeks, fitted))
            except (ValueError, FloatingPointError) as error:
                problems.append(f"{label(model)}: {error}")
        if not reports:
            raise FutureValueUnavailable(
                "no purchase model could be fitted: " + "; ".join(problems)
            )
        chosen, reason = _choose(reports)
        spend = spend_fit.result()
        purchase = next(r.fit for r in reports if r.model == chosen)
        early = [done for fit, done in ahead if fit is purchase]
        predicted = early[0].result() if early else predict(purchase, spend)
    values = {name: _finite_or_missing(predicted.column(name)) for name in PREDICTION_COLUMNS[7:]}
    table = pa.table(
        {
            "customer_id": summaries.column("customer_id"),
            "first_purchase": summaries.column("first_purchase"),
            "last_purchase": summaries.column("last_purchase"),
            "frequency": full.column("frequency"),
            "recency": full.column("recency"),
            "age": full.column("age"),
            "mean_repeat_spend": full.column("mean_repeat_spend"),
            **values,
        }
    )
    missing = values["clv"].null_count
    return FutureValue(
        as_of=as_of,
        settings=settings,
        chosen=chosen,
        reason=reason,
        models=tuple(reports),
        spend=spend,
        predictions=table,
        customers=table.num_rows,
        repeat_customers=repeat,
        calibration_end=calibration_end if calibration is not None else None,
        missing=missing,
        notes=_prediction_notes(spend, missing),
    )


def _spend_fit(summary: pa.Table) -> SpendFitResult:
    """The Gamma-Gamma fit; FutureValueUnavailable when it gives nothing to predict with."""
    try:
        spend = gamma_gamma.fit(summary)
    except ValueError as error:
        raise FutureValueUnavailable(f"the spend model cannot be fitted: {error}") from None
    values = [*spend.params.values(), spend.log_likelihood]
    if not spend.converged or not all(math.isfinite(v) for v in values):
        raise FutureValueUnavailable(
            f"the spend model (Gamma-Gamma) did not converge: {spend.message.strip()}"
        )
    return spend


def _finite_or_missing(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The column with every NaN or infinity made NULL: a value that is not a number is
    missing, never a value."""
    values = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
    return pa.array(values, pa.float64(), mask=~np.isfinite(values))


def _prediction_notes(spend: SpendFitResult, missing: int) -> tuple[str, ...]:
    notes = []
    if missing:
        why = ""
        if spend.params.get("q", 2.0) <= 1.0:
            why = (
                f" The spend model's q is {spend.params['q']:.3g} (at most 1): the mean spend "
                "of the population is infinite, so a customer with no repeat purchase to go "
                "by has no finite expected spend."
            )
        notes.append(
            f"{missing:,} customer(s) have no finite predicted value; their future value is "
            f"missing, never counted.{why}"
        )
    if spend.note:
        notes.insert(0, spend.note)
    return tuple(notes)


def calibration_end_for(as_of: dt.date, settings: FutureValueSettings) -> dt.date | None:
    """The end of the calibration period: as-of minus the holdout (None without one)."""
    if settings.holdout_weeks <= 0:
        return None
    return as_of - dt.timedelta(weeks=settings.holdout_weeks)


def stored_purchase_days(con: Any) -> ir.Table:
    """The store's purchase days: ``customer_day``, rebuilt once if a store written before
    it existed has it empty; the lines grouped on the fly if it cannot be rebuilt here
    (read-only store, a backend without the table)."""
    if "customer_day" not in con.list_tables():
        return purchase_days(con.table("transactions"))
    days = con.table("customer_day")
    if days.limit(1).to_pyarrow().num_rows:
        return days
    raw = getattr(con, "con", None)
    if not isinstance(raw, duckdb.DuckDBPyConnection):
        return purchase_days(con.table("transactions"))
    try:
        raw.execute("BEGIN TRANSACTION")
    except duckdb.Error:
        return purchase_days(con.table("transactions"))  # inside the caller's transaction
    try:
        refresh_customer_day(raw)
        raw.execute("COMMIT")
    except duckdb.Error:
        # A read-only store: the same days, grouped from the lines.
        raw.execute("ROLLBACK")
        return purchase_days(con.table("transactions"))
    return con.table("customer_day")


def future_value_step(
    con: Any, as_of: dt.date | None, settings: FutureValueSettings | None = None
) -> FutureValue:
    """The whole step on a store: one scan of its purchase days, fits, choice, predictions.

    ``as_of`` None (``resolve_as_of`` of an empty store): FutureValueUnavailable, saying so.
    """
    if as_of is None:
        raise FutureValueUnavailable("the store holds no transactions yet: nothing to fit")
    settings = settings or FutureValueSettings()
    cal_end = calibration_end_for(as_of, settings)
    expr = summaries_from_days(stored_purchase_days(con), as_of, cal_end)
    return fit_future_value(con.to_pyarrow(expr), as_of, settings, cal_end)


def future_value_table_name(run_id: str) -> str:
    """The store table holding a run's per-customer future value."""
    if not _ID.match(run_id):
        raise ValueError(f"run id {run_id!r}: use 1-64 letters, digits or _")
    return f"clv_{run_id}"


def write_future_value(con: Any, result: FutureValue, run_id: str) -> str:
    """Write the predictions as the table ``clv_<run_id>`` of a DuckDB store; its name.

    Written once (an existing table is an error: runs are immutable) in one statement, so
    a reader sees the whole table or none of it.
    """
    name = future_value_table_name(run_id)
    raw = con.con
    raw.register("_kam_clv_incoming", result.predictions)
    try:
        raw.execute(f"CREATE TABLE {name} AS SELECT * FROM _kam_clv_incoming")
    finally:
        raw.unregister("_kam_clv_incoming")
    return name


def drop_future_value(con: Any, run_id: str) -> None:
    """Delete a run's future-value table (e.g. when the scoring that needed it failed)."""
    con.con.execute(f"DROP TABLE IF EXISTS {future_value_table_name(run_id)}")


def with_predicted_clv(features: ir.Table, future_value: ir.Table) -> ir.Table:
    """``features`` plus ``predicted_clv`` (the discounted CLV; NULL for non-buyers).

    What ``score_accounts(..., features=...)`` needs for the ``future_value`` criterion.
    """
    clv = future_value.select(_cid=future_value.customer_id, predicted_clv=future_value.clv)
    joined = features.left_join(clv, features.customer_id == clv._cid)
    return joined.select(*features.columns, "predicted_clv")


def account_future_value(con: Any, run_id: str, customer_id: str) -> dict[str, Any] | None:
    """One customer's row of a run's future-value table, or None."""
    name = future_value_table_name(run_id)
    if name not in store_tables(con):
        return None
    # Plain SQL: compiling an Ibis filter cost more than DuckDB's answer.
    found = con.con.execute(f"SELECT * FROM {name} WHERE customer_id = ?", [customer_id])
    rows = found.to_arrow_table().to_pylist()
    return rows[0] if rows else None
