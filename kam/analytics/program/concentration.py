"""Concentration risk (seed 004: "over-reliant on one large contract"): how much of revenue
and of gross margin the largest 1, 5 and 10 customers hold, and the Herfindahl–Hirschman
index, at several as-of dates so their movement shows.

Every figure is over a trailing 12 months ending with an as-of month, read from
``customer_month``. One Ibis expression for every date at once, so the same code runs on
DuckDB and on Spark.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics.account_figures import add_months
from kam.analytics.program.pnl import ids_key
from kam.analytics.store import reader_memoised

TOP_N = (1, 5, 10)
"""The customer counts whose share of the whole is reported."""


@dataclass(frozen=True)
class ConcentrationPoint:
    """Concentration over the 12 months ending with ``as_of``'s month.

    Shares are fractions (0–1) of the total over customers with a positive figure; the HHI
    is the sum of squared percentage shares (0–10,000): 10,000 is one customer holding all,
    1,500 is where competition authorities start calling a market concentrated. A figure is
    None when there is nothing to share (no customer with positive revenue or margin).
    """

    as_of: date
    customers: int
    revenue: float
    margin: float | None
    revenue_share: dict[int, float | None]
    margin_share: dict[int, float | None]
    hhi_revenue: float | None
    hhi_margin: float | None


def hhi(values: Sequence[float]) -> float | None:
    """The Herfindahl–Hirschman index of ``values`` (each a customer's revenue or margin):
    the sum of squared percentage shares of the positive values; None when none is positive.

    >>> hhi([50, 50])
    5000.0
    """
    positive = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    total = sum(positive)
    if total <= 0:
        return None
    return sum((100 * v / total) ** 2 for v in positive)


def window_totals(con: DuckDBBackend, as_of: date) -> ir.Table:
    """Per customer: revenue and gross margin (revenue less cost, NULL where no cost was
    imported) over the 12 months ending with ``as_of``'s month, with ``as_of`` as a column."""
    months = con.table("customer_month")
    start, end = add_months(as_of, -11), add_months(as_of, 1)
    inside = months.filter((months.month >= start) & (months.month < end))
    return inside.group_by("customer_id").aggregate(
        revenue=inside.revenue.sum(),
        margin=(inside.revenue - inside.cost).sum(),
        as_of=ibis.literal(as_of),
    )


def _share_table(totals: ir.Table, column: str) -> ir.Table:
    """Per as-of date: the positive total of ``column``, the sums of its largest 1/5/10 and
    the sum of squared shares."""
    positive = totals.filter(totals[column] > 0)
    rank = ibis.row_number().over(
        group_by=positive.as_of, order_by=[ibis.desc(positive[column]), positive.customer_id]
    )
    ranked = positive.mutate(rank=rank)
    total = ranked[column].sum().over(group_by=ranked.as_of)
    ranked = ranked.mutate(share=ranked[column] / total)
    value = ranked[column]
    return ranked.group_by("as_of").aggregate(
        total=value.sum(),
        squares=(ranked.share * ranked.share).sum(),
        **{f"top_{n}": value.sum(where=ranked.rank < n) for n in TOP_N},
    )


def concentration_expr(con: DuckDBBackend, dates: Sequence[date]) -> tuple[ir.Table, ir.Table]:
    """The revenue and the margin share tables for every date in ``dates`` (one row each)."""
    totals = ibis.union(*(window_totals(con, day) for day in dates), distinct=False)
    counts = totals.filter(totals.revenue > 0).group_by("as_of").aggregate(customers=ibis._.count())
    revenue = _share_table(totals, "revenue").join(counts, "as_of")
    return revenue, _share_table(totals, "margin")


def concentration_dates(as_of: date, points: int = 8, step_months: int = 3) -> list[date]:
    """``points`` as-of dates ``step_months`` apart, ending with ``as_of`` (oldest first)."""
    return [
        as_of if k == 0 else _month_end(add_months(as_of, -k * step_months))
        for k in reversed(range(points))
    ]


def _month_end(first: date) -> date:
    return add_months(first, 1) - timedelta(days=1)


def _fraction(part: float | None, whole: float | None) -> float | None:
    if part is None or whole is None or whole <= 0:
        return None
    share = part / whole
    return share if math.isfinite(share) else None


def concentration_over_time(
    con: DuckDBBackend, dates: Sequence[date]
) -> tuple[ConcentrationPoint, ...]:
    """Concentration at each of ``dates`` (oldest first); a date without sales is left out.
    Kept per reader copy: it reads the whole store and depends on nothing else."""
    key = "program_concentration:" + ",".join(day.isoformat() for day in dates)
    return reader_memoised(con, key, lambda: _concentration_over_time(con, dates))


def _concentration_over_time(
    con: DuckDBBackend, dates: Sequence[date]
) -> tuple[ConcentrationPoint, ...]:
    revenue_expr, margin_expr = concentration_expr(con, dates)
    revenue_rows = {row["as_of"]: row for row in revenue_expr.to_pyarrow().to_pylist()}
    margin_rows = {row["as_of"]: row for row in margin_expr.to_pyarrow().to_pylist()}
    points = []
    for day in sorted(revenue_rows):
        rev = revenue_rows[day]
        mar = margin_rows.get(day)
        points.append(
            ConcentrationPoint(
                as_of=day,
                customers=int(rev["customers"]),
                revenue=float(rev["total"]),
                margin=float(mar["total"]) if mar else None,
                revenue_share={n: _fraction(rev[f"top_{n}"], rev["total"]) for n in TOP_N},
                margin_share={
                    n: _fraction(mar[f"top_{n}"], mar["total"]) if mar else None for n in TOP_N
                },
                hhi_revenue=_hhi_of(rev["squares"]),
                hhi_margin=_hhi_of(mar["squares"]) if mar else None,
            )
        )
    return tuple(points)


def _hhi_of(squares: float | None) -> float | None:
    if squares is None or not math.isfinite(squares):
        return None
    return float(squares) * 10_000


@dataclass(frozen=True)
class AccountShare:
    """One customer's share of the 12 months' revenue and gross margin (fractions; None when
    the whole is not positive or the customer's margin is unknown)."""

    customer_id: str
    revenue: float
    margin: float | None
    revenue_share: float | None
    margin_share: float | None


def account_shares(
    con: DuckDBBackend, as_of: date, customer_ids: Sequence[str]
) -> dict[str, AccountShare]:
    """{customer id: its share} for ``customer_ids`` with sales in the 12 months ending with
    ``as_of``'s month, against the positive totals over every customer (kept per reader
    copy)."""
    key = f"program_shares:{as_of}:{ids_key(customer_ids)}"
    return dict(reader_memoised(con, key, lambda: _account_shares(con, as_of, customer_ids)))


def _account_shares(
    con: DuckDBBackend, as_of: date, customer_ids: Sequence[str]
) -> dict[str, AccountShare]:
    totals = window_totals(con, as_of)
    whole = (
        totals.aggregate(
            revenue=totals.revenue.sum(where=totals.revenue > 0),
            margin=totals.margin.sum(where=totals.margin > 0),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    rows = totals.filter(totals.customer_id.isin(list(customer_ids))).to_pyarrow().to_pylist()
    shares = {}
    for row in rows:
        revenue = float(row["revenue"] or 0.0)
        margin = row["margin"]
        shares[row["customer_id"]] = AccountShare(
            customer_id=row["customer_id"],
            revenue=revenue,
            margin=margin if margin is not None and math.isfinite(margin) else None,
            revenue_share=_fraction(max(revenue, 0.0), whole["revenue"]),
            margin_share=_fraction(max(margin, 0.0), whole["margin"])
            if margin is not None
            else None,
        )
    return shares
