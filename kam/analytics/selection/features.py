"""Per-account features for key-account selection, as Ibis expressions over ``customer_month``.

Every figure comes from the monthly rollup (one row per customer and month, kept up to date by
each import), never from the transaction lines: one grouped pass over a table a few dozen
times smaller than the lines, then per-row arithmetic; the Pareto windows run on a narrow
table (customer, revenue) of the buying customers and are joined back. The same
expressions compile for DuckDB and for Spark (tested against each other).

Windows are whole calendar months ending with the month of the as-of date — the latest
transaction in the store unless given, never the wall clock — as in ``account_figures.py``: the last
12 months on 2024-06-18 are July 2023 to June 2024. Day counts (recency, tenure) are measured
from the as-of date and never negative.
"""

from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from kam.analytics.account_figures import add_months
from kam.analytics.selection.trend import QUARTERS, theil_growth
from kam.analytics.store import resolve_as_of

TREND_QUARTERS = QUARTERS
"""The growth trend reads the last 24 months as 8 quarterly revenues (see trend.py)."""

ABC_CUTS = (0.80, 0.95)
"""Class A: the customers making the first 80% of revenue; B the next 15%; C the rest."""


class NoTransactions(ValueError):
    """The store holds no transactions, so there is no as-of date to measure features at."""

    def __init__(self) -> None:
        super().__init__(
            "the store holds no invoice lines yet, so there is no as-of date to measure "
            "from: import transactions first, or give the as-of date"
        )


def measured_as_of(con: Any, as_of: date | None) -> date:
    """``as_of``, else the latest transaction; NoTransactions when the store has none."""
    resolved = resolve_as_of(con, as_of)
    if resolved is None:
        raise NoTransactions()
    return resolved


def _monthly_aggregates(con: Any, as_of: date, window_months: int) -> ir.Table:
    """One grouped pass over customer_month: windows, orders, dates and quarterly revenue."""
    cm = con.table("customer_month")
    cm = cm.filter(cm.month < ibis.literal(add_months(as_of, 1)))
    start_current = ibis.literal(add_months(as_of, -(window_months - 1)))
    start_previous = ibis.literal(add_months(as_of, -(2 * window_months - 1)))
    in_current = cm.month >= start_current
    in_previous = (cm.month >= start_previous) & (cm.month < start_current)
    quarters: dict[str, ir.Value] = {}
    for k in range(TREND_QUARTERS):
        start = add_months(as_of, -(3 * TREND_QUARTERS - 1) + 3 * k)
        in_quarter = (cm.month >= ibis.literal(start)) & (
            cm.month < ibis.literal(add_months(start, 3))
        )
        quarters[f"q{k}"] = cm.revenue.sum(where=in_quarter)
    return cm.group_by("customer_id").aggregate(
        revenue_12m=cm.revenue.sum(where=in_current),
        revenue_prev_12m=cm.revenue.sum(where=in_previous),
        revenue_lifetime=cm.revenue.sum(),
        cost_12m=cm.cost.sum(where=in_current),
        orders_12m=cm.orders.sum(where=in_current),
        orders_lifetime=cm.orders.sum(),
        first_date=cm.first_date.min(),
        last_date=cm.last_date.max(),
        **quarters,
    )


def _days_since(as_of: date, day: ir.DateValue) -> ir.IntegerValue:
    days = ibis.literal(as_of).delta(day, unit="day")
    return ibis.ifelse(days < 0, 0, days)


def account_features(con: Any, as_of: date | None = None, *, window_months: int = 12) -> ir.Table:
    """One row per customer in the master with the selection features at ``as_of``.

    Columns: customer_id, name, country, region, segment, revenue_12m, revenue_prev_12m,
    revenue_lifetime (0 when nothing was bought), growth_slope (see trend.py; NULL
    without revenue in the last 24 months),
    gross_margin and margin_pct (NULL without cost or revenue), orders_12m,
    order_frequency (orders a year since the first order, the span floored at one year),
    recency_days, tenure_days, first_date, last_date, and the Pareto position among
    customers with revenue in the window: revenue_share, cumulative_share, pareto_rank
    (1 = largest; ties by customer_id) and abc_class (A/B/C) — NULL for the others.
    ``window_months`` sets the current window (the policy's ``as_of_months``); the
    ``_12m`` names keep their meaning of "current window" at any length.
    """
    as_of = measured_as_of(con, as_of)
    metrics = _monthly_aggregates(con, as_of, window_months)
    customers = con.table("customers")
    pareto = _pareto_position(metrics, customers)
    joined = customers.left_join(metrics, customers.customer_id == metrics.customer_id).left_join(
        pareto, customers.customer_id == pareto.customer_id
    )
    zero = ibis.literal(0.0)
    quarters = [metrics[f"q{k}"].coalesce(zero) for k in range(TREND_QUARTERS)]
    tenure = _days_since(as_of, metrics.first_date)
    revenue_12m = metrics.revenue_12m.coalesce(zero)
    gross_margin = revenue_12m - metrics.cost_12m
    return joined.select(
        customer_id=customers.customer_id,
        name=customers.name,
        country=customers.country,
        region=customers.region,
        segment=customers.segment,
        revenue_12m=revenue_12m,
        revenue_prev_12m=metrics.revenue_prev_12m.coalesce(zero),
        revenue_lifetime=metrics.revenue_lifetime.coalesce(zero),
        growth_slope=theil_growth(quarters),
        gross_margin=gross_margin,
        margin_pct=ibis.ifelse(
            revenue_12m > 0, gross_margin / revenue_12m * 100, ibis.null("float64")
        ),
        orders_12m=metrics.orders_12m.coalesce(0),
        order_frequency=metrics.orders_lifetime.cast("float64")
        * 365.25
        / ibis.greatest(tenure.cast("float64"), 365.25),
        recency_days=_days_since(as_of, metrics.last_date),
        tenure_days=tenure,
        first_date=metrics.first_date,
        last_date=metrics.last_date,
        revenue_share=pareto.revenue_share,
        cumulative_share=pareto.cumulative_share,
        pareto_rank=pareto.pareto_rank,
        abc_class=pareto.abc_class,
    )


def _pareto_position(metrics: ir.Table, customers: ir.Table) -> ir.Table:
    """Revenue share, cumulative share, rank and ABC class of the customers with revenue.

    Computed on a narrow table (customer_id, revenue) and joined back: a window sorts every
    column it carries, and the feature rows are wide. Customers outside the master (which an
    import refuses, but a hand-loaded store may hold) do not count towards the total.
    """
    buying = metrics.filter(metrics.revenue_12m > 0).semi_join(
        customers, metrics.customer_id == customers.customer_id
    )
    buying = buying.select("customer_id", "revenue_12m")
    ranked = ibis.window(
        order_by=[ibis.desc(buying.revenue_12m), buying.customer_id], rows=(None, 0)
    )
    total = buying.revenue_12m.sum().over(ibis.window())
    share = buying.revenue_12m / total
    cumulative = buying.revenue_12m.sum().over(ranked) / total
    previous = cumulative - share  # the share of the larger customers before this one
    return buying.select(
        customer_id=buying.customer_id,
        revenue_share=share,
        cumulative_share=cumulative,
        pareto_rank=ibis.row_number().over(ranked) + 1,
        abc_class=ibis.cases(
            (previous < ABC_CUTS[0], "A"), (previous < ABC_CUTS[1], "B"), else_="C"
        ),
    )


def pareto_curve(con: Any, as_of: date | None = None, *, points: int = 200) -> pa.Table:
    """The 80/20 curve: customer share (x) against cumulative revenue share (y).

    At most about ``points`` evenly spaced rows plus the first and last customer, so a chart
    of 1.5 million customers stays small. Columns: pareto_rank, customer_share,
    cumulative_share, abc_class.
    """
    features = account_features(con, as_of)
    ranked = features.filter(features.pareto_rank.notnull())
    count = int(ranked.count().to_pyarrow().as_py())
    if count == 0:
        schema = [
            ("pareto_rank", pa.int64()),
            ("customer_share", pa.float64()),
            ("cumulative_share", pa.float64()),
            ("abc_class", pa.string()),
        ]
        return pa.schema(schema).empty_table()
    step = max(1, count // max(1, points))
    rank = ranked.pareto_rank
    sampled = ranked.filter((rank % step == 0) | (rank == 1) | (rank == count))
    curve = sampled.select(
        pareto_rank=rank,
        customer_share=rank.cast("float64") / count,
        cumulative_share=sampled.cumulative_share,
        abc_class=sampled.abc_class,
    )
    return curve.order_by("pareto_rank").to_pyarrow()


def region_segment_matrix(con: Any, as_of: date | None = None) -> pa.Table:
    """Revenue of the current window by region × segment, for the heat map.

    Columns: region, segment (NULL where the master leaves them blank), customers (with
    revenue in the window), revenue_12m, revenue_share (of all revenue in the window).
    """
    features = account_features(con, as_of)
    buying = features.filter(features.revenue_12m > 0)
    cells = buying.group_by(["region", "segment"]).aggregate(
        customers=buying.customer_id.count(), revenue_12m=buying.revenue_12m.sum()
    )
    cells = cells.mutate(revenue_share=cells.revenue_12m / cells.revenue_12m.sum().over())
    return cells.order_by(["region", "segment"]).to_pyarrow()
