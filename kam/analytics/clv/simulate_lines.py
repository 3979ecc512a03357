"""Transaction lines of synthetic BG/NBD + Gamma-Gamma customers, day by day.

``simulate`` draws summaries; tests of the whole future-value step need what a store holds:
dated lines. Each customer is acquired on a uniform day of the acquisition window, buys at
their own Poisson rate (lambda ~ Gamma(r, alpha) per week) and after each repeat purchase
quits with probability p ~ Beta(a, b) (Fader, Hardie & Lee 2005); each purchase is worth
Gamma(p_spend, nu) with nu ~ Gamma(q, gamma) per customer (the Gamma-Gamma model).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pyarrow as pa


def simulate_transaction_lines(
    n: int,
    purchase_params: Mapping[str, float],
    spend_params: Mapping[str, float],
    *,
    start: dt.date,
    end: dt.date,
    acquisition_days: int = 84,
    seed: int = 0,
) -> pa.Table:
    """One line per purchase day: customer_id (C00001...), date, revenue; sorted by customer."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = (purchase_params[k] for k in ("r", "alpha", "a", "b"))
    last = (end - start).days
    ids: list[str] = []
    days: list[int] = []
    revenue: list[float] = []
    for i in range(n):
        rate = rng.gamma(r, 1.0 / alpha) / 7.0  # per day
        dropout = rng.beta(a, b)
        nu = rng.gamma(spend_params["q"], 1.0 / spend_params["gamma"])
        t = float(rng.integers(0, acquisition_days))
        moments = [int(t)]
        while rate > 0:
            t += rng.exponential(1.0 / rate)
            if t > last:
                break
            moments.append(int(t))
            if rng.random() < dropout:
                break
        distinct = sorted(set(moments))
        ids.extend([f"C{i:05}"] * len(distinct))
        days.extend(distinct)
        revenue.extend(rng.gamma(spend_params["p"], 1.0 / nu, len(distinct)).tolist())
    base = np.datetime64(start, "D")
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.string()),
            "date": pa.array(base + np.array(days, dtype="timedelta64[D]"), pa.date32()),
            "revenue": pa.array(revenue, pa.float64()),
        }
    )
