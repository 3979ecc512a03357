"""The per-customer purchase summary as an Ibis expression, for DuckDB, Spark or any backend.

Same definitions as ``kam.analytics.clv.summary`` (Fader, Hardie & Lee 2005): one purchase
occasion per customer and day, frequency = occasions - 1, recency and age in the chosen
unit measured from the first purchase, mean repeat spend over the occasions after the
first. The expression only builds a query; the caller decides where it runs
(``con.to_pyarrow(expr)``), so the transactions never leave the engine.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis import _

from kam.analytics.clv.summary import DateLike, TimeUnit, days_per_unit, to_epoch_day


def _date_literal(value: DateLike) -> ir.DateScalar:
    import datetime as dt

    day = dt.date(1970, 1, 1) + dt.timedelta(days=to_epoch_day(value))
    return ibis.literal(day, type="date")


def summary_expr(
    transactions: ir.Table,
    *,
    calibration_end: DateLike,
    holdout_end: DateLike | None = None,
    unit: TimeUnit = "weeks",
) -> ir.Table:
    """Ibis expression of the purchase summary over ``transactions``.

    ``transactions`` needs the columns ``customer_id`` (string), ``date`` (date) and
    ``revenue`` (double). The result has the columns of
    ``summary.summarise_transactions`` (``customer_id``, ``first_purchase``, ``frequency``,
    ``recency``, ``age``, ``mean_repeat_spend`` and, with ``holdout_end``,
    ``holdout_frequency`` and ``holdout_revenue``), ordered by customer id.
    """
    # A typed literal: a bare 7.0 is a DECIMAL on Spark, which rounds the quotient to 6 places.
    per_unit = ibis.literal(days_per_unit(unit)).cast("float64")
    cal = _date_literal(calibration_end)
    daily = (
        transactions.filter(_.date <= cal)
        .group_by(["customer_id", "date"])
        .aggregate(revenue=_.revenue.sum())
    )
    # The first purchase day is needed on every daily row to leave it out of the spend;
    # a window keeps this a single scan rather than a self-join.
    daily = daily.mutate(first_purchase=_.date.min().over(group_by=_.customer_id))
    per_customer = daily.group_by("customer_id").aggregate(
        first_purchase=_.first_purchase.min(),
        last_purchase=_.date.max(),
        purchase_days=_.count(),
        repeat_revenue=_.revenue.sum(where=_.date > _.first_purchase),
    )
    frequency = (per_customer.purchase_days - 1).cast("int64")
    summary = per_customer.select(
        "customer_id",
        "first_purchase",
        frequency=frequency,
        recency=per_customer.last_purchase.delta(per_customer.first_purchase, unit="day")
        / per_unit,
        age=cal.delta(per_customer.first_purchase, unit="day") / per_unit,
        mean_repeat_spend=(
            per_customer.repeat_revenue.cast("float64")
            / ibis.ifelse(frequency > 0, frequency, ibis.null("int64"))
        ),
    )
    if holdout_end is not None:
        hold = _date_literal(holdout_end)
        holdout = (
            transactions.filter((_.date > cal) & (_.date <= hold))
            .group_by("customer_id")
            .aggregate(
                holdout_frequency=_.date.nunique().cast("int64"),
                holdout_revenue=_.revenue.sum().cast("float64"),
            )
        )
        joined = summary.left_join(holdout, summary.customer_id == holdout.customer_id)
        summary = joined.select(
            summary.customer_id,
            summary.first_purchase,
            summary.frequency,
            summary.recency,
            summary.age,
            summary.mean_repeat_spend,
            holdout_frequency=holdout.holdout_frequency.fill_null(0),
            holdout_revenue=holdout.holdout_revenue.fill_null(0.0),
        )
    return summary.order_by("customer_id")
