"""Discounted customer lifetime value over a plan horizon, with a prediction interval.

CLV combines a purchase model (BG/NBD or Pareto/NBD) with the Gamma-Gamma spend model,
as in Fader, Hardie & Lee (2005, "RFM and CLV: Using Iso-value Curves for Customer Base
Analysis"):

    CLV = E[spend per purchase] * sum_{m=1..M} (E[Y(m)] - E[Y(m-1)]) / (1 + d)^m

where E[Y(m)] is the customer's expected purchases in the first m months after the
calibration date (the models' conditional expectation), d the monthly discount rate and
M the horizon (a key account plan runs 12-36 months). Purchases in month m are
discounted at the end of that month. The product of the two expectations is exact
because the models assume spend and purchase timing are independent.

The prediction interval is a *posterior predictive* interval, obtained by simulation: for
each draw we sample whether the customer is still alive (with P(alive)), their purchase
rate and dropout from their posterior given (x, t_x, T), month-by-month purchases, the
value of those purchases from the Gamma-Gamma posterior of their spend, and discount.
The interval is the central quantiles of the draws. It holds the population parameters
at their estimates: with thousands of customers their uncertainty is small next to the
uncertainty about one customer's future, which is what the interval is meant to show.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from kam.analytics.clv import gamma_gamma
from kam.analytics.clv.purchases import (
    expected_purchases,
    probability_alive,
    purchase_model,
    simulate_purchases,
)
from kam.analytics.clv.results import FitResult
from kam.analytics.clv.summary import days_per_unit, summary_arrays, summary_unit

Floats = npt.NDArray[np.float64]

DAYS_PER_MONTH = 365.25 / 12.0
# Customers x draws simulated at once: bounds memory at about 16 MB per array.
_CHUNK_CELLS = 2_000_000


def periods_per_month(unit: str) -> float:
    """How many model time units make one (average) month."""
    return DAYS_PER_MONTH / days_per_unit(unit)


def _check_horizon(months: int, monthly_discount_rate: float) -> None:
    if not 1 <= months <= 120:
        raise ValueError("the CLV horizon must be between 1 and 120 months")
    if not 0.0 <= monthly_discount_rate < 1.0:
        raise ValueError("the monthly discount rate must be in [0, 1)")


def discounted_expected_purchases(
    purchase_fit: FitResult,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    months: int,
    monthly_discount_rate: float,
    month_length: float,
) -> tuple[Floats, Floats]:
    """(discounted, undiscounted) expected purchases over ``months`` months per customer.

    ``month_length`` is one month in the model's time unit. Distinct (x, t_x, T) rows are
    evaluated once, so a large base costs what its distinct histories cost.
    """
    _check_horizon(months, monthly_discount_rate)
    xs, txs, ts = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    keys = np.stack([xs, txs, ts])
    unique, inverse = np.unique(keys, axis=1, return_inverse=True)
    inverse = inverse.reshape(-1)
    ux, utx, ut = unique
    discounted = np.zeros(len(ux))
    previous = np.zeros(len(ux))
    for month in range(1, months + 1):
        cumulative = expected_purchases(purchase_fit, ux, utx, ut, month * month_length)
        discounted += (cumulative - previous) / (1.0 + monthly_discount_rate) ** month
        previous = cumulative
    return discounted[inverse], previous[inverse]


def _simulate_purchases(
    purchase_fit: FitResult,
    x: Floats,
    t_x: Floats,
    T: Floats,
    alive_probability: Floats,
    draws: int,
    months: int,
    month_length: float,
    rng: np.random.Generator,
) -> list[npt.NDArray[np.int64]]:
    """Month-by-month purchase counts (customers x draws) from each customer's posterior.

    Each draw is first alive or not (with P(alive)); the purchase model draws the rest.
    """
    alive = rng.random((len(x), draws)) < alive_probability[:, None]
    return simulate_purchases(purchase_fit, x, T, alive, months, month_length, rng)


def simulate_value_quantiles(
    purchase_fit: FitResult,
    spend_params: Mapping[str, float],
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    mean_spend: npt.ArrayLike,
    *,
    months: int,
    monthly_discount_rate: float,
    month_length: float,
    quantiles: tuple[float, ...] = (0.05, 0.95),
    draws: int = 500,
    seed: int | None = 0,
) -> tuple[Floats, Floats]:
    """Posterior predictive draws of discounted value: (mean of draws, quantiles).

    Returns the per-customer mean of the draws (a check on the closed form) and an array
    of shape (len(quantiles), n_customers).
    """
    _check_horizon(months, monthly_discount_rate)
    purchase_model(purchase_fit)
    xs, txs, ts = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    ms = np.where(xs > 0, np.nan_to_num(np.asarray(mean_spend, dtype=np.float64)), 0.0)
    alive = probability_alive(purchase_fit, xs, txs, ts)
    p = float(spend_params["p"])
    rng = np.random.default_rng(seed)
    n = len(xs)
    means = np.zeros(n)
    bounds = np.zeros((len(quantiles), n))
    chunk = max(1, _CHUNK_CELLS // draws)
    discount = (1.0 + monthly_discount_rate) ** -np.arange(1, months + 1)
    for start in range(0, n, chunk):
        part = slice(start, min(start + chunk, n))
        counts = _simulate_purchases(
            purchase_fit,
            xs[part],
            txs[part],
            ts[part],
            alive[part],
            draws,
            months,
            month_length,
            rng,
        )
        shape = counts[0].shape
        # nu | spend history ~ Gamma(p x + q, gamma + x m_x); a purchase is Gamma(p, nu),
        # so n purchases together are Gamma(n p, nu). With one spend rate, nu is known.
        if "nu" in spend_params:
            rate = np.full(shape, float(spend_params["nu"]))
        else:
            q, gamma = float(spend_params["q"]), float(spend_params["gamma"])
            rate = rng.gamma(
                np.broadcast_to((p * xs[part] + q)[:, None], shape),
                1.0 / (gamma + xs[part] * ms[part])[:, None],
            )
        value = np.zeros(shape)
        for month, n_month in enumerate(counts):
            value += discount[month] * rng.gamma(p * n_month, 1.0) / rate
        means[part] = value.mean(axis=1)
        bounds[:, part] = np.quantile(value, quantiles, axis=1)
    return means, bounds


def customer_value(
    purchase_fit: FitResult,
    spend_fit: FitResult,
    summary: pa.Table,
    *,
    months: int = 24,
    monthly_discount_rate: float = 0.01,
    interval: float | None = 0.9,
    draws: int = 500,
    seed: int | None = 0,
) -> pa.Table:
    """Per-customer future value over the next ``months`` months as an Arrow table.

    Columns: ``customer_id``, ``p_alive``, ``expected_purchases`` (undiscounted, over the
    horizon), ``expected_spend`` (per purchase), ``clv`` (discounted expected value) and,
    unless ``interval`` is None, ``clv_lower`` / ``clv_upper``: the central ``interval``
    posterior predictive interval of the discounted value (see the module docstring).
    """
    unit = summary_unit(summary, default=purchase_fit.time_unit or "weeks")
    if purchase_fit.time_unit is not None and purchase_fit.time_unit != unit:
        raise ValueError(
            f"the purchase model was fitted in {purchase_fit.time_unit}, the summary is in {unit}"
        )
    month_length = periods_per_month(unit)
    x, t_x, age = summary_arrays(summary)
    spend = summary.column("mean_repeat_spend").fill_null(0.0).to_numpy(zero_copy_only=False)
    spend = np.asarray(spend, dtype=np.float64)
    discounted, total = discounted_expected_purchases(
        purchase_fit,
        x,
        t_x,
        age,
        months=months,
        monthly_discount_rate=monthly_discount_rate,
        month_length=month_length,
    )
    per_purchase = gamma_gamma.expected_spend(spend_fit.params, x, spend)
    columns: dict[str, npt.ArrayLike | pa.ChunkedArray] = {
        "customer_id": summary.column("customer_id"),
        "p_alive": probability_alive(purchase_fit, x, t_x, age),
        "expected_purchases": total,
        "expected_spend": per_purchase,
        "clv": discounted * per_purchase,
    }
    if interval is not None:
        if not 0.0 < interval < 1.0:
            raise ValueError("interval must be a probability between 0 and 1")
        tail = (1.0 - interval) / 2.0
        _, bounds = simulate_value_quantiles(
            purchase_fit,
            spend_fit.params,
            x,
            t_x,
            age,
            spend,
            months=months,
            monthly_discount_rate=monthly_discount_rate,
            month_length=month_length,
            quantiles=(tail, 1.0 - tail),
            draws=draws,
            seed=seed,
        )
        columns["clv_lower"] = bounds[0]
        columns["clv_upper"] = bounds[1]
    return pa.table(columns)
