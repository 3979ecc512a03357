"""One customer's P(alive) over their history, from the fitted population parameters.

At each month end since the first purchase (and at the as-of date) the customer's summary
is what we would have seen then — purchases so far, the last one, age — and the fitted
purchase model turns it into P(alive) at that moment. The line shows a KAM how the
customer's silence, measured against their own rhythm, made the model more or less sure
they are still buying.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np

from kam.analytics.clv.future_value import stored_purchase_days
from kam.analytics.clv.purchases import probability_alive
from kam.analytics.clv.results import FitResult
from kam.analytics.clv.summary import days_per_unit
from kam.analytics.store import reader_rows, store_tables


@dataclass(frozen=True)
class AlivePoint:
    """P(alive) at one date, with the repeat purchases seen by then."""

    day: dt.date
    p_alive: float
    frequency: int


def purchase_dates(con: Any, customer_id: str, as_of: dt.date) -> list[dt.date]:
    """One customer's purchase days up to ``as_of``, oldest first.

    The same days the summaries count (``summary.purchase_days``: days with invoice lines),
    read from the store's ``customer_day`` rollup where it is kept.
    """
    if "customer_day" in store_tables(con):
        rows_of = reader_rows(
            con, "customer_day", "SELECT customer_id, date FROM customer_day ORDER BY ALL"
        )
        if rows_of is not None:
            mine = rows_of(customer_id).column("date").to_pylist()
            return sorted({d for d in mine if d is not None and d <= as_of})
    days = stored_purchase_days(con)
    mine = days.filter(
        (days.customer_id == customer_id) & (days.date <= ibis.literal(as_of, type="date"))
    )
    found = mine.select("date").distinct().order_by("date").to_pyarrow()
    return [d for d in found.column("date").to_pylist() if d is not None]


def _month_ends(first: dt.date, as_of: dt.date) -> list[dt.date]:
    ends = []
    year, month = first.year, first.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        end = dt.date(year, month, 1) - dt.timedelta(days=1)
        if end >= as_of:
            break
        ends.append(end)
    return [*ends, as_of]


def alive_history(
    fit: FitResult, days: list[dt.date], as_of: dt.date, *, unit: str = "weeks"
) -> list[AlivePoint]:
    """P(alive) at every month end from the first purchase to ``as_of`` (then at as_of)."""
    ordered = sorted(d for d in set(days) if d <= as_of)
    if not ordered:
        return []
    per_unit = float(days_per_unit(unit))
    ordinal = np.array([d.toordinal() for d in ordered])
    first = ordinal[0]
    moments = _month_ends(ordered[0], as_of)
    at = np.array([m.toordinal() for m in moments])
    seen = np.searchsorted(ordinal, at, side="right")  # purchases on or before each moment
    x = seen - 1
    last = ordinal[seen - 1]
    alive = probability_alive(fit, x, (last - first) / per_unit, (at - first) / per_unit)
    return [AlivePoint(day, float(p), int(n)) for day, p, n in zip(moments, alive, x, strict=True)]
