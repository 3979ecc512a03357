"""What a key set holds, against what simpler rules would take, and what capacity leaves out.

A Head of KAM signs a key set knowing what the policy trades away: the share of current
revenue and of predicted future value the key accounts hold, beside the same number of
accounts taken by revenue alone and by future value alone. And, when manager capacity
caps the key set below the accounts that qualify, how many qualify, how many are covered,
and what one more manager would add.
"""

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from kam.analytics.selection.scoring import raw_column


@dataclass(frozen=True)
class SetShares:
    """A set of accounts: how many, and its shares of revenue and of future value (0–1)."""

    accounts: int
    revenue_share: float | None
    future_value_share: float | None


@dataclass(frozen=True)
class KeySetShares:
    """The key set beside the same-size sets taken by revenue alone and by future value."""

    key_set: SetShares
    by_revenue: SetShares
    by_future_value: SetShares


@dataclass(frozen=True)
class Coverage:
    """Accounts that qualify, those the managers' capacity covers, and one more manager's."""

    qualifying: int
    key_accounts: int
    capacity: int | None
    per_manager: int
    next_manager_accounts: int
    next_manager_revenue_share: float | None
    next_manager_future_value_share: float | None

    @property
    def limited(self) -> bool:
        """Whether capacity, not the policy's share, sets the size of the key set."""
        return self.capacity is not None and self.key_accounts < self.qualifying


def _value(table: ir.Table, future_value_key: str) -> ir.FloatingValue:
    column = raw_column(future_value_key)
    if column in table.columns:
        return table[column]
    return ibis.null("float64")


def _share(part: object, whole: object) -> float | None:
    if part is None or not whole:
        return None
    return float(part) / float(whole)  # type: ignore[arg-type]


def key_set_shares(table: ir.Table, future_value_key: str = "future_value") -> KeySetShares:
    """The shares of the key set of a snapshot (or run) table and of the two same-size sets.

    Revenue counts the positive revenue of the last 12 months; future value is the raw value
    of the policy's future-value criterion (None when no lifetime-value model ran).
    """
    revenue = ibis.greatest(table.revenue_12m.fill_null(0.0), 0.0)
    value = ibis.greatest(_value(table, future_value_key), 0.0)
    slim = table.select(is_key=table.is_key, revenue=revenue, value=value)
    by_rev = ibis.row_number().over(ibis.window(order_by=ibis.desc(slim.revenue)))
    by_fv = ibis.row_number().over(ibis.window(order_by=slim.value.desc(nulls_first=False)))
    ranked = slim.mutate(by_rev=by_rev, by_fv=by_fv)
    n = ranked.is_key.cast("int64").sum()
    totals = (
        ranked.aggregate(
            n=n,
            revenue=ranked.revenue.sum(),
            value=ranked.value.sum(),
            key_revenue=ranked.revenue.sum(where=ranked.is_key),
            key_value=ranked.value.sum(where=ranked.is_key),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    size = int(totals["n"] or 0)
    top = (
        ranked.aggregate(
            rev_revenue=ranked.revenue.sum(where=ranked.by_rev < size),
            rev_value=ranked.value.sum(where=ranked.by_rev < size),
            fv_revenue=ranked.revenue.sum(where=ranked.by_fv < size),
            fv_value=ranked.value.sum(where=ranked.by_fv < size),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    total_revenue, total_value = totals["revenue"], totals["value"]

    def shares(revenue_part: object, value_part: object) -> SetShares:
        return SetShares(
            size,
            _share(revenue_part or 0.0, total_revenue),
            _share(value_part, total_value) if total_value else None,
        )

    return KeySetShares(
        key_set=shares(totals["key_revenue"], totals["key_value"]),
        by_revenue=shares(top["rev_revenue"], top["rev_value"]),
        by_future_value=shares(top["fv_revenue"], top["fv_value"]),
    )


def coverage(
    table: ir.Table,
    capacity: int | None,
    per_manager: int = 10,
    future_value_key: str = "future_value",
) -> Coverage:
    """How capacity limits the key set of ``table``, and what ``per_manager`` more would add.

    The next manager's accounts are the qualifying, not-key accounts next in key rank.
    """
    revenue = ibis.greatest(table.revenue_12m.fill_null(0.0), 0.0)
    value = ibis.greatest(_value(table, future_value_key), 0.0)
    qualifies = table.qualifies if "qualifies" in table.columns else table.is_key
    slim = table.select(
        key_rank=table.key_rank, qualifies=qualifies, is_key=table.is_key, revenue=revenue,
        value=value,
    )  # fmt: skip
    waiting = slim.filter(slim.qualifies & ~slim.is_key).order_by("key_rank").limit(per_manager)
    row = (
        slim.aggregate(
            qualifying=slim.qualifies.cast("int64").sum(),
            key_accounts=slim.is_key.cast("int64").sum(),
            revenue=slim.revenue.sum(),
            value=slim.value.sum(),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    extra = (
        waiting.aggregate(
            accounts=waiting.count(), revenue=waiting.revenue.sum(), value=waiting.value.sum()
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    return Coverage(
        qualifying=int(row["qualifying"] or 0),
        key_accounts=int(row["key_accounts"] or 0),
        capacity=capacity,
        per_manager=per_manager,
        next_manager_accounts=int(extra["accounts"] or 0),
        next_manager_revenue_share=_share(extra["revenue"] or 0.0, row["revenue"]),
        next_manager_future_value_share=(
            _share(extra["value"], row["value"]) if row["value"] else None
        ),
    )
