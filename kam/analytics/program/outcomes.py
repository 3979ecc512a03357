"""What happened to each account around a selection date: its revenue in the year before
(size), its trend into that year, and its growth after — the inputs of the ROI estimators.

Growth after compares the months after the cut with the same calendar months a year
earlier, so seasonality cancels; when fewer than 12 months have passed, only those that
have are compared. It is the arc growth rate (after − before) ÷ the mean of the two, which
lies between −2 (stopped buying) and +2 (started), near the percentage change for small
changes: an account that stopped buying counts instead of being left out, and one small
account that went from almost nothing to something cannot outweigh a hundred others.
"""

import math
from dataclasses import dataclass
from datetime import date

import ibis
from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics.account_figures import add_months
from kam.analytics.store import reader_memoised


@dataclass(frozen=True)
class Outcome:
    """One account around the cut: revenue in the 12 months before, the 12 before those, the
    months after and the same months a year earlier."""

    customer_id: str
    segment: str | None
    revenue_before: float
    revenue_earlier: float
    revenue_after: float
    revenue_after_last_year: float

    @property
    def log_revenue(self) -> float:
        """Log of the revenue before the cut (NaN when none)."""
        return math.log(self.revenue_before) if self.revenue_before > 0 else math.nan

    @property
    def trend(self) -> float:
        """Log growth into the cut: the year before against the one before that."""
        if self.revenue_before <= 0 or self.revenue_earlier <= 0:
            return math.nan
        return math.log(self.revenue_before / self.revenue_earlier)

    @property
    def growth(self) -> float:
        """Arc growth after the cut against the same months a year earlier: the change over
        the mean of the two, between −2 and 2 (NaN when neither holds any revenue)."""
        after, before = max(self.revenue_after, 0.0), max(self.revenue_after_last_year, 0.0)
        if after + before <= 0:
            return math.nan
        return (after - before) / ((after + before) / 2)


def arc_to_ratio(growth: float) -> float:
    """The revenue ratio (after ÷ before) an arc growth rate stands for: (2 + g) ÷ (2 − g)."""
    return (2 + growth) / (2 - growth)


def months_after(cut: date, latest: date) -> int:
    """Whole months after ``cut``'s month up to ``latest``'s, at most 12."""
    gap = (latest.year - cut.year) * 12 + latest.month - cut.month
    return max(0, min(12, gap))


def outcomes_around(con: DuckDBBackend, cut: date, latest: date) -> list[Outcome]:
    """Every customer's outcome around ``cut`` (the selection's as-of date), with the months
    after it up to ``latest``; empty when no month has passed. Kept per reader copy."""
    key = f"program_outcomes:{cut}:{latest}"
    return list(reader_memoised(con, key, lambda: _outcomes_around(con, cut, latest)))


def _outcomes_around(con: DuckDBBackend, cut: date, latest: date) -> list[Outcome]:
    after = months_after(cut, latest)
    if after == 0:
        return []
    first_after = add_months(cut, 1)
    end_after = add_months(first_after, after)
    before_start = add_months(cut, -11)
    earlier_start = add_months(cut, -23)
    months = con.table("customer_month")
    month = months.month

    def total(start: date, end: date) -> ibis.Value:
        return months.revenue.sum(where=(month >= start) & (month < end)).coalesce(0.0)

    sums = (
        months.filter(month >= earlier_start)
        .group_by("customer_id")
        .aggregate(
            revenue_before=total(before_start, first_after),
            revenue_earlier=total(earlier_start, before_start),
            revenue_after=total(first_after, end_after),
            revenue_after_last_year=total(add_months(first_after, -12), add_months(end_after, -12)),
        )
    )
    customers = con.table("customers").select("customer_id", "segment")
    joined = sums.left_join(customers, "customer_id").select(
        sums.customer_id, customers.segment, *[sums[c] for c in sums.columns[1:]]
    )
    return [Outcome(**row) for row in joined.to_pyarrow().to_pylist()]
