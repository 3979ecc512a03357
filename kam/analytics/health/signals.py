"""What the store says about each account's purchases as of a date.

One aggregate over the purchase days (``customer_day``) strictly up to the as-of date —
nothing after it is read, which is what makes a backtest honest — gives per account the
revenue of the latest trend window and of the window before, the days since the last
order, the usual gap between orders, and P(alive) from the lifetime-value model fitted on
the same history; a second aggregate over the same days gives the purchase-history
reference (``history``): how often accounts with each history ordered again.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import numpy.typing as npt

from kam.analytics.account_figures import shift_months
from kam.analytics.clv import bgnbd, collapse_arrays, degenerate, forecast, pareto_nbd
from kam.analytics.clv.future_value import stored_purchase_days
from kam.analytics.clv.purchases import label, model_of
from kam.analytics.clv.results import FitResult
from kam.analytics.health.history import HistoryTable, history_table
from kam.analytics.store import resolve_as_of

Floats = npt.NDArray[np.float64]

MAX_TREND_MONTHS = 12
MIN_TREND_MONTHS = 3


@dataclass(frozen=True)
class PurchaseSignals:
    """Per-account raw values as of ``as_of``, one array entry per ``customer_ids`` entry.

    NaN is missing: ``revenue_prior`` of an account younger than the trend window,
    ``usual_gap_days`` when no account ordered twice, ``p_alive`` when no model could be
    fitted. ``trend_months`` is the window length used (12, or half the history the store
    holds before ``as_of`` when that is shorter, at least 3).
    """

    as_of: dt.date
    trend_months: int
    customer_ids: tuple[str, ...]
    revenue_recent: Floats
    revenue_prior: Floats
    days_since_last: Floats
    usual_gap_days: Floats
    p_alive: Floats
    alive_model: str
    alive: AliveModel = field(default_factory=lambda: AliveModel())
    """The P(alive) model in full: parameters and any note on its fit."""
    orders: Floats | None = None
    """Days with a purchase up to ``as_of`` (None: not measured)."""
    history: HistoryTable | None = None
    """How often accounts with each purchase history ordered again (``history``); None
    when no account was active one trend window before ``as_of``."""

    def index(self) -> dict[str, int]:
        """{customer id: its position in the arrays}."""
        return {customer_id: i for i, customer_id in enumerate(self.customer_ids)}


def _months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def trend_window(first_purchase: dt.date | None, as_of: dt.date) -> int:
    """Months in each trend window: 12, or half the history before ``as_of`` (at least 3)."""
    if first_purchase is None:
        return MAX_TREND_MONTHS
    half = _months_between(first_purchase, as_of) // 2
    return max(MIN_TREND_MONTHS, min(MAX_TREND_MONTHS, half))


def purchase_signals(
    con: Any,
    as_of: dt.date | None = None,
    *,
    active_months: int = 12,
    fit_alive: bool = True,
    alive_start: AliveModel | None = None,
    alive_given: AliveModel | None = None,
    alive_for: str | None = None,
) -> PurchaseSignals | None:
    """Each account's purchase signals as of ``as_of`` (default: the latest transaction).

    Only accounts with a purchase in the ``active_months`` before ``as_of`` are scored (an
    account gone longer has no health left to watch). None when the store has no purchases
    up to ``as_of``. P(alive) comes from the model fitted on these histories (starting from
    ``alive_start``, see ``alive_probability``), or from ``alive_given`` as it is, with no
    fit; ``alive_for``: only that account's P(alive) is evaluated (the others' are NaN),
    as a one-account rescoring needs.
    """
    as_of = resolve_as_of(con, as_of)
    if as_of is None:
        return None
    days = stored_purchase_days(con)
    before = days.filter(days.date <= ibis.literal(as_of))
    first_any = before.date.min().to_pyarrow().as_py()
    if first_any is None:
        return None
    months = trend_window(first_any, as_of)
    recent_from = shift_months(as_of, -months)
    prior_from = shift_months(as_of, -2 * months)
    active_from = shift_months(as_of, -active_months)
    revenue = before.revenue.fill_null(0)
    table = (
        before.group_by("customer_id")
        .aggregate(
            first=before.date.min(),
            last=before.date.max(),
            days=before.date.nunique(),
            recent=ibis.ifelse(before.date > recent_from, revenue, 0).sum(),
            prior=ibis.ifelse(
                (before.date > prior_from) & (before.date <= recent_from), revenue, 0
            ).sum(),
        )
        .filter(lambda t: t["last"] > active_from)
        .order_by("customer_id")
        .to_pyarrow()
    )
    ids = tuple(table.column("customer_id").to_pylist())
    first = np.array(table.column("first").to_pylist(), dtype="datetime64[D]")
    last = np.array(table.column("last").to_pylist(), dtype="datetime64[D]")
    purchase_days = np.asarray(table.column("days").to_numpy(), dtype=np.float64)
    end = np.datetime64(as_of, "D")
    age = (end - first).astype(np.float64)
    span = (last - first).astype(np.float64)
    since = (end - last).astype(np.float64)
    repeats = purchase_days - 1
    gap = usual_gap(span, repeats)
    prior = np.asarray(table.column("prior").to_numpy(), dtype=np.float64)
    # An account that first bought within the recent window has no prior to compare with.
    started_in_time = first <= np.datetime64(recent_from, "D")
    prior = np.where(started_in_time, prior, np.nan)
    recent = np.asarray(table.column("recent").to_numpy(), dtype=np.float64)
    history = _history_table(before, as_of, months, active_months)
    alive, used = _nan(len(ids)), AliveModel()
    if alive_given is not None:
        used = alive_given
        chosen = [ids.index(alive_for)] if alive_for in ids else []
        if alive_for is None:
            chosen = list(range(len(ids)))
        alive[chosen] = used.probability(repeats[chosen], span[chosen] / 7, age[chosen] / 7)
    elif fit_alive:
        alive, used = alive_probability(repeats, span / 7, age / 7, alive_start)
    return PurchaseSignals(
        as_of=as_of,
        trend_months=months,
        customer_ids=ids,
        revenue_recent=recent,
        revenue_prior=prior,
        days_since_last=since,
        usual_gap_days=gap,
        p_alive=alive,
        alive_model=used.model,
        alive=used,
        orders=purchase_days,
        history=history,
    )


def _history_table(
    before: Any, as_of: dt.date, months: int, active_months: int
) -> HistoryTable | None:
    """The purchase-history reference: accounts active one trend window before ``as_of``,
    their orders and silence then, and whether they ordered again by ``as_of``."""
    looked_at = shift_months(as_of, -months)
    then = before.date <= ibis.literal(looked_at)
    table = (
        before.group_by("customer_id")
        .aggregate(
            last=before.date.max(where=then),
            days=before.date.nunique(where=then),
            again=(~then).any(),
        )
        .filter(lambda t: t["last"] > shift_months(looked_at, -active_months))
        .to_pyarrow()
    )
    if table.num_rows == 0:
        return None
    last = table.column("last").to_numpy().astype("datetime64[D]")
    since = (np.datetime64(looked_at, "D") - last).astype(np.float64)
    orders = np.asarray(table.column("days").to_numpy(), dtype=np.float64)
    again = np.asarray(table.column("again").to_numpy(), dtype=bool)
    return history_table(looked_at, months, orders, since, again)


PSEUDO_GAPS = 2.0
"""How many of the portfolio's typical gaps an account's own gaps are pooled with."""


def usual_gap(span_days: Floats, repeats: Floats) -> Floats:
    """Each account's usual gap between orders, pooled with the portfolio's: (days from
    first to last order + k·g0) / (repeat orders + k), g0 the median gap of the accounts
    that ordered more than once, k = ``PSEUDO_GAPS``. An account with one order gets g0;
    one with many, close to its own mean gap (a one-off long or short gap of a young
    account does not set its rhythm alone). NaN when no account ordered twice."""
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(repeats > 0, span_days / np.maximum(repeats, 1), np.nan)
    if not np.isfinite(own).any():
        return np.full(len(span_days), np.nan)
    typical = float(np.nanmedian(own))
    return (span_days + PSEUDO_GAPS * typical) / (repeats + PSEUDO_GAPS)


def _nan(n: int) -> Floats:
    return np.full(n, np.nan)


@dataclass(frozen=True)
class AliveModel:
    """The P(alive) model a scoring used: its id (``clv.purchases``; "" none), its fitted
    parameters (weeks) and, when the fit did not go as usual, what happened in words."""

    model: str = ""
    params: Mapping[str, float] = field(default_factory=dict)
    note: str = ""

    def probability(self, x: Floats, t_x: Floats, T: Floats) -> Floats:
        """P(alive) of these histories (weeks) under this model, NaN where not finite or
        when there is no model."""
        if not self.model or len(x) == 0:
            return _nan(len(x))
        model_of(self.model)  # ValueError for a model kam does not know
        fitted = FitResult(self.model, dict(self.params), {}, math.nan, len(x), True, 0)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            p = np.asarray(forecast.alive_probability(fitted, x, t_x, T), np.float64)
        return np.where(np.isfinite(p), np.clip(p, 0.0, 1.0), np.nan)


def alive_probability(
    x: Floats, t_x: Floats, T: Floats, start: AliveModel | None = None
) -> tuple[Floats, AliveModel]:
    """P(alive) per account from the Pareto/NBD fitted on these histories (weeks), then
    the BG/NBD; a fit that ran to the edge of its parameter space is replaced by its limit
    (``clv.degenerate``: e.g. accounts that never drop out), as the future-value step does.
    NaN (missing) when no model is usable.

    ``start``: the model of a previous scoring of the same store (say, a month earlier).
    When it is a Pareto/NBD, the fit starts from its parameters with Newton's steps, which
    converge in a few likelihood evaluations instead of the dozens a cold start takes; the
    optimum is the same (to the fit's tolerance). Should that fit not converge, it is fitted
    again from the default start, and the note says so.

    The Pareto/NBD comes first because it gives a one-order account a P(alive) below 1
    that falls with time since that order; the BG/NBD holds such an account alive for ever.
    """
    if len(x) == 0:
        return _nan(0), AliveModel()
    stats = collapse_arrays(x, t_x, T, time_unit="weeks")
    notes: list[str] = []
    models: tuple[Any, ...] = (pareto_nbd, bgnbd)
    if start is not None and start.model and start.model != pareto_nbd.MODEL:
        # The previous run gave the Pareto/NBD up (it ran off to an edge kam has no model
        # of, as on the demo company): its fit is where nearly all the time goes, so the
        # model that run used is fitted first, from its parameters.
        models = (model_of(start.model), pareto_nbd, bgnbd)
        notes.append(
            f"The {label(start.model)} of the previous run, fitted again from its parameters "
            "(the Pareto/NBD, given up there, was not tried)."
        )
    for model in models:
        try:
            # A tiny or odd portfolio can push the optimiser through invalid regions on the
            # way; the result is judged by resolve() and by finite answers below.
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                resolution = degenerate.resolve(_fit(model, stats, start, notes), stats)
                if resolution.fit is None:
                    notes.append(resolution.note)
                    continue
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as error:
            notes.append(f"The {label(model.MODEL)} could not be fitted ({error}).")
            continue
        used = AliveModel(
            resolution.fit.model,
            {k: float(v) for k, v in resolution.fit.params.items()},
            " ".join([*notes, resolution.note]).strip(),
        )
        try:
            p = used.probability(x, t_x, T)
        except (ValueError, FloatingPointError):
            p = _nan(len(x))
        if np.isfinite(p).any():
            return p, used
        notes.append(f"The {label(used.model)} gave no finite P(alive).")
    return _nan(len(x)), AliveModel(note=" ".join(notes))


def _fit(model: Any, stats: Any, start: AliveModel | None, notes: list[str]) -> Any:
    """The model fitted to ``stats``, from ``start``'s parameters when they are its own."""
    if start is None or start.model != model.MODEL:
        return model.fit(stats)
    names = model.PARAMETERS
    if not all(math.isfinite(start.params.get(n, math.nan)) for n in names):
        return model.fit(stats)
    begin = [start.params[n] for n in names]
    if model is pareto_nbd:
        warm = model.fit(stats, start=begin, start_is_close=True)
    else:
        warm = model.fit(stats, start=begin)
    if warm.converged:
        return warm
    notes.append(
        f"The {label(model.MODEL)} started from the previous run's parameters did not "
        "converge; it was fitted again from the default start."
    )
    return model.fit(stats)


def finite_or_nan(value: float | None) -> float:
    """A number as a float, NaN when it is missing or not finite."""
    if value is None:
        return math.nan
    value = float(value)
    return value if math.isfinite(value) else math.nan
