"""Per-customer future value for a whole customer base, computed on what customers share.

``value.customer_value`` evaluates each customer on their own; over a million customers the
interval simulation alone (customers × draws × months) would take minutes. The models
allow the same numbers far more cheaply, because a customer's future splits into parts
that depend on little:

* P(alive) depends on (x, t_x, T): evaluated once per distinct triple (or, where it is a
  cheap closed form, per customer);
* the expected purchases *if alive* depend on (x, T) only, so the discounted expected
  purchases are P(alive) × D(x, T) with D computed once per distinct (x, T);
* the Gamma-Gamma spend enters as a pure scale: given the spend history, a customer's
  value is (gamma + x m_x) × W where the distribution of W depends on (x, T) alone (see
  ``value.simulate_value_quantiles``: the spend rate is Gamma(p x + q, 1) / (gamma + x m_x));
* dead customers buy nothing, so the value is a mixture: 0 with probability 1 - P(alive),
  otherwise (gamma + x m_x) × W. Its q-quantile is 0 when q <= 1 - P(alive), else
  (gamma + x m_x) × Q_W((q - 1 + P(alive)) / P(alive)).

So the interval simulates W once per distinct (x, T) — T rounded on a 2% grid of alpha + T
(alpha being the purchase model's age offset: 1 with one purchase rate), which moves no
quantile by more than the simulation noise — and reads every customer's interval off the
sorted draws. The closed-form CLV is exact (no rounding). The draws are made in blocks of
(x, T) rows, each from its own stream of the seed, on two threads: a seed gives the same
interval every time, whatever the machine.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from kam.analytics.clv import gamma_gamma, pareto_nbd
from kam.analytics.clv.purchases import expected_if_alive, probability_alive, purchase_model
from kam.analytics.clv.results import FitResult
from kam.analytics.clv.summary import summary_arrays, summary_unit
from kam.analytics.clv.value import _check_horizon, _simulate_purchases, periods_per_month

Floats = npt.NDArray[np.float64]

AGE_GRID = 0.02
"""Relative resolution of alpha + T when the interval groups customers by age."""
_BLOCK_CELLS = 1_000_000
"""Most draws (rows x draws) one block of the interval's simulation holds at once."""
_MIN_BLOCKS = 2
_PURCHASES_AT_ONCE = 4_000_000
_THREADS = 2


def _distinct(*columns: npt.NDArray[np.float64]) -> tuple[list[Floats], npt.NDArray[np.int64]]:
    """Distinct rows of the given columns and, per input row, the index of its distinct row."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    uniques = []
    for column in columns:
        values, codes = np.unique(column, return_inverse=True)
        uniques.append(values)
        key = key * len(values) + codes.reshape(-1)
    ukey, inverse = np.unique(key, return_inverse=True)
    rows = []
    for values in reversed(uniques):
        rows.append(values[ukey % len(values)])
        ukey = ukey // len(values)
    return list(reversed(rows)), inverse.reshape(-1).astype(np.int64)


def alive_probability(fit: FitResult, x: Floats, t_x: Floats, T: Floats) -> Floats:
    """P(alive) of every customer, evaluated once per distinct (x, t_x, T).

    Only the Pareto/NBD's needs hypergeometric terms worth sharing; the BG/NBD family's is
    a closed form cheaper than finding the distinct triples, so it is evaluated per customer.
    """
    if fit.model != pareto_nbd.MODEL:
        return probability_alive(fit, x, t_x, T)
    (ux, utx, ut), inverse = _distinct(x, t_x, T)
    return probability_alive(fit, ux, utx, ut)[inverse]


def discounted_if_alive(
    fit: FitResult, x: Floats, T: Floats, *, months: int, rate: float, month_length: float
) -> tuple[Floats, Floats]:
    """(discounted, undiscounted) expected purchases over ``months`` if alive, per (x, T)."""
    discounted = np.zeros(len(x))
    previous = np.zeros(len(x))
    for month in range(1, months + 1):
        cumulative = expected_if_alive(fit, x, T, np.full(len(x), month * month_length))
        discounted += (cumulative - previous) / (1.0 + rate) ** month
        previous = cumulative
    return discounted, previous


def _sorted_draws(
    purchase_fit: FitResult,
    spend: FitResult,
    x: Floats,
    T: Floats,
    *,
    months: int,
    rate: float,
    month_length: float,
    draws: int,
    seed: int | None,
) -> Floats:
    """Sorted draws of W (value per unit of gamma + x m_x, given alive) per (x, T) row.

    The rows are cut into blocks (at least two, each of at most ``_BLOCK_CELLS`` draws),
    each drawn from its own stream of the seed (``SeedSequence.spawn``) on one of two
    threads: NumPy's generators let go of the GIL while they fill arrays, so the blocks
    run on both cores. The blocks and their streams depend on the rows and the seed
    alone, never on the threads, so a seed gives the same draws every time.
    """
    out = np.empty((len(x), draws))
    if not len(x):
        return out
    blocks = min(len(x), max(_MIN_BLOCKS, -(-len(x) * draws // _BLOCK_CELLS)))
    edges = np.linspace(0, len(x), blocks + 1).astype(np.int64)
    streams = np.random.SeedSequence(seed).spawn(blocks)

    def block(index: int) -> None:
        part = slice(int(edges[index]), int(edges[index + 1]))
        out[part] = _block_draws(
            purchase_fit,
            spend,
            x[part],
            T[part],
            months=months,
            rate=rate,
            month_length=month_length,
            draws=draws,
            rng=np.random.default_rng(streams[index]),
        )

    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        for done in [pool.submit(block, index) for index in range(blocks)]:
            done.result()
    return out


def _block_draws(
    purchase_fit: FitResult,
    spend: FitResult,
    x: Floats,
    T: Floats,
    *,
    months: int,
    rate: float,
    month_length: float,
    draws: int,
    rng: np.random.Generator,
) -> Floats:
    """Sorted draws of W for one block of rows, from one stream."""
    p = spend.params["p"]
    discount = np.asarray((1.0 + rate) ** -np.arange(1, months + 1), dtype=np.float64)
    # The limits where nobody stops draw a count per cell over the horizon (limits.py).
    steady = getattr(purchase_model(purchase_fit), "steady_purchases", None)
    shape = (len(x), draws)
    horizon_counts = (
        steady(purchase_fit.params, x, T, shape, months * month_length, rng) if steady else None
    )
    if horizon_counts is not None:
        total = _steady_spend(horizon_counts, discount, p, rng)
        rate_draw = gamma_gamma.rate_draws(spend.params, x, shape, rng)
        return np.sort(total / rate_draw, axis=1)
    counts = _simulate_purchases(
        purchase_fit, x, T, T, np.ones(len(x)), draws, months, month_length, rng
    )
    shape = counts[0].shape
    total = np.zeros(shape)
    for month, n_month in enumerate(counts):
        # Only cells with purchases draw their spend: a Gamma of shape 0 is 0 and takes no
        # number from the generator, so the draws are those of the whole array, bit for
        # bit, at a fraction of the cost (most months of most draws buy nothing).
        bought = n_month > 0
        total[bought] += discount[month] * rng.standard_gamma(p * n_month[bought])
    rate_draw = gamma_gamma.rate_draws(spend.params, x, shape, rng)
    return np.sort(total / rate_draw, axis=1)


def _steady_spend(
    counts: npt.NDArray[np.int64], discount: Floats, p: float, rng: np.random.Generator
) -> Floats:
    """Discounted spend (per unit of the spend rate) of each cell's ``counts`` purchases over
    the horizon, nobody stopping: each purchase falls in a month drawn uniformly (a Poisson
    process, given its count) and is worth Gamma(p, 1), discounted by its month's factor.
    The purchases are taken a bounded number at a time, so memory does not grow with the
    purchase rate."""
    flat = counts.reshape(-1)
    total = np.zeros(flat.size)
    ends = np.cumsum(flat)
    start = 0
    while start < flat.size:
        before = int(ends[start - 1]) if start else 0
        stop = int(np.searchsorted(ends, before + _PURCHASES_AT_ONCE, side="right"))
        stop = max(stop, start + 1)
        cells = np.repeat(np.arange(start, stop), flat[start:stop])
        month = (rng.random(len(cells)) * len(discount)).astype(np.intp)
        worth = discount[month] * rng.standard_gamma(p, len(cells))
        total[start:stop] = np.bincount(cells - start, weights=worth, minlength=stop - start)
        start = stop
    return total.reshape(counts.shape)


def _read_quantile(sorted_draws: Floats, group: npt.NDArray[np.int64], level: Floats) -> Floats:
    position = np.clip(level, 0.0, 1.0) * (sorted_draws.shape[1] - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, sorted_draws.shape[1] - 1)
    frac = position - low
    a, b = sorted_draws[group, low], sorted_draws[group, high]
    return np.asarray(a + frac * (b - a), dtype=np.float64)


def forecast(
    purchase_fit: FitResult,
    spend_fit: FitResult,
    summary: pa.Table,
    *,
    months: int = 24,
    monthly_discount_rate: float = 0.01,
    interval: float = 0.9,
    draws: int = 500,
    seed: int | None = 0,
) -> pa.Table:
    """Every customer's future value over ``months`` (the columns of value.customer_value).

    ``customer_id``, ``p_alive``, ``expected_purchases`` (undiscounted), ``expected_spend``
    (per purchase), ``clv`` (discounted) and ``clv_lower`` / ``clv_upper`` (the central
    ``interval`` of the posterior predictive distribution, see the module docstring).
    """
    _check_horizon(months, monthly_discount_rate)
    if not 0.0 < interval < 1.0:
        raise ValueError("interval must be a probability between 0 and 1")
    unit = summary_unit(summary, default=purchase_fit.time_unit or "weeks")
    if purchase_fit.time_unit is not None and purchase_fit.time_unit != unit:
        raise ValueError(
            f"the purchase model was fitted in {purchase_fit.time_unit}, the summary is in {unit}"
        )
    month_length = periods_per_month(unit)
    xi, t_x, T = summary_arrays(summary)
    x = xi.astype(np.float64)
    spend = summary.column("mean_repeat_spend").fill_null(0.0).to_numpy(zero_copy_only=False)
    spend = np.where(x > 0, np.asarray(spend, dtype=np.float64), 0.0)
    alive = alive_probability(purchase_fit, x, t_x, T)
    (ux, uT), pair = _distinct(x, T)
    disc, total = discounted_if_alive(
        purchase_fit, ux, uT, months=months, rate=monthly_discount_rate, month_length=month_length
    )
    per_purchase = gamma_gamma.expected_spend(spend_fit.params, x, spend)
    offset = purchase_model(purchase_fit).age_offset(purchase_fit.params)
    rounded = np.exp(np.round(np.log(offset + T) / AGE_GRID) * AGE_GRID) - offset
    (gx, gT), group = _distinct(x, np.maximum(rounded, 0.0))
    sorted_draws = _sorted_draws(
        purchase_fit,
        spend_fit,
        gx,
        gT,
        months=months,
        rate=monthly_discount_rate,
        month_length=month_length,
        draws=draws,
        seed=seed,
    )
    scale = gamma_gamma.value_scale(spend_fit.params, x, spend)
    tail = (1.0 - interval) / 2.0
    bounds = []
    for level in (tail, 1.0 - tail):
        safe = np.maximum(alive, 1e-300)
        inner = (level - 1.0 + alive) / safe
        value = scale * _read_quantile(sorted_draws, group, inner)
        bounds.append(np.where(level <= 1.0 - alive, 0.0, value))
    return pa.table(
        {
            "customer_id": summary.column("customer_id"),
            "p_alive": alive,
            "expected_purchases": alive * total[pair],
            "expected_spend": per_purchase,
            "clv": alive * disc[pair] * per_purchase,
            "clv_lower": bounds[0],
            "clv_upper": bounds[1],
        }
    )
