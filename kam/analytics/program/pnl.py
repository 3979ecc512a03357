"""Account P&L (seed 003, "Client profitability: are you able to generate a profit and loss
for each key account?"): revenue, cost of goods, gross margin, cost to serve and
contribution, per account and rolled up per manager and tier.

Revenue and cost of goods come from the store's ``customer_month`` (Ibis); cost to serve is
handed in by the app — imported per account and period, or estimated from logged
engagement and team time at configured rates — and always carries which it is.
"""

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics.store import reader_memoised


class CostSource(StrEnum):
    """Where an account's cost to serve comes from."""

    IMPORTED = "imported"
    ESTIMATED = "estimated"


@dataclass(frozen=True)
class CostToServe:
    """An account's cost to serve over a period, and whether it was imported or estimated."""

    amount: float
    source: CostSource


@dataclass(frozen=True)
class Sales:
    """An account's revenue and cost of goods over a period; ``cogs`` None when no cost was
    imported for its lines."""

    revenue: float
    cogs: float | None


def _known(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def ids_key(customer_ids: Sequence[str]) -> str:
    """A short name for a set of customer ids, to key what is memoised for them."""
    return hashlib.sha1("\x1f".join(sorted(set(customer_ids))).encode()).hexdigest()


def sales_between(
    con: DuckDBBackend, start: date, end: date, customer_ids: Sequence[str]
) -> dict[str, Sales]:
    """{customer id: its sales} over the months from ``start`` up to (not including)
    ``end``'s month, for the accounts in ``customer_ids`` that sold anything then.

    Plain SQL with parameters (compiling an Ibis expression cost more than the answer),
    kept per reader copy: the programme's pages ask for the same windows many times."""
    if not customer_ids:
        return {}
    if not isinstance(con, DuckDBBackend):
        return _sales_on_any_engine(con, start, end, customer_ids)

    def read() -> dict[str, Sales]:
        rows = con.con.execute(
            "SELECT customer_id, sum(revenue), sum(cost) FROM customer_month"
            " WHERE month >= $start AND month < $end"
            " AND customer_id IN (SELECT unnest($ids::VARCHAR[])) GROUP BY customer_id",
            {"start": start, "end": end, "ids": list(customer_ids)},
        ).fetchall()
        return {
            cid: Sales(float(_known(revenue) or 0.0), _known(cogs)) for cid, revenue, cogs in rows
        }

    key = f"program_sales:{start}:{end}:{ids_key(customer_ids)}"
    return dict(reader_memoised(con, key, read))


def _sales_on_any_engine(
    con: Any, start: date, end: date, customer_ids: Sequence[str]
) -> dict[str, Sales]:
    """``sales_between`` as an Ibis expression, for an engine other than DuckDB (Spark):
    the DuckDB = Spark test compares the two paths."""
    months = con.table("customer_month")
    inside = months.filter(
        (months.month >= start) & (months.month < end) & months.customer_id.isin(customer_ids)
    )
    rows = inside.group_by("customer_id").aggregate(
        revenue=inside.revenue.sum(), cogs=inside.cost.sum()
    )
    return {
        row["customer_id"]: Sales(float(_known(row["revenue"]) or 0.0), _known(row["cogs"]))
        for row in rows.to_pyarrow().to_pylist()
    }


@dataclass(frozen=True)
class AccountPnl:
    """One account's P&L over a period. A figure built on an unknown one is unknown (None)."""

    customer_id: str
    revenue: float
    cogs: float | None
    cost_to_serve: float | None
    cost_source: CostSource | None

    @property
    def gross_margin(self) -> float | None:
        """Revenue less cost of goods."""
        return None if self.cogs is None else self.revenue - self.cogs

    @property
    def gross_margin_pct(self) -> float | None:
        """Gross margin as a percentage of revenue."""
        margin = self.gross_margin
        if margin is None or self.revenue <= 0:
            return None
        return margin / self.revenue * 100

    @property
    def contribution(self) -> float | None:
        """Gross margin less cost to serve: what the account leaves to cover overheads."""
        margin = self.gross_margin
        if margin is None or self.cost_to_serve is None:
            return None
        return margin - self.cost_to_serve


def account_pnl(
    customer_ids: Iterable[str], sales: Mapping[str, Sales], costs: Mapping[str, CostToServe]
) -> list[AccountPnl]:
    """The P&L of each account in ``customer_ids`` (no sales: zero revenue)."""
    rows = []
    for customer_id in customer_ids:
        sold = sales.get(customer_id, Sales(0.0, None))
        cost = costs.get(customer_id)
        rows.append(
            AccountPnl(
                customer_id=customer_id,
                revenue=sold.revenue,
                cogs=sold.cogs,
                cost_to_serve=None if cost is None else _known(cost.amount),
                cost_source=None if cost is None else cost.source,
            )
        )
    return rows


@dataclass(frozen=True)
class PnlRollup:
    """The P&L of a group of accounts (a manager's, a tier's, the programme's): each figure
    summed over the accounts where it is known, with how many those are."""

    group: str
    accounts: int
    revenue: float
    cogs: float
    gross_margin: float
    cost_to_serve: float
    contribution: float
    with_margin: int
    with_contribution: int
    imported: int
    estimated: int

    @property
    def gross_margin_pct(self) -> float | None:
        """Gross margin over the revenue of the accounts whose margin is known, in percent."""
        return None if self.revenue <= 0 else self.gross_margin / self.revenue * 100


def roll_up(rows: Iterable[AccountPnl], group_of: Mapping[str, str]) -> list[PnlRollup]:
    """Sum ``rows`` per group (``group_of``: customer id → group name; accounts without one
    are left out), largest revenue first."""
    groups: dict[str, list[AccountPnl]] = {}
    for row in rows:
        if row.customer_id in group_of:
            groups.setdefault(group_of[row.customer_id], []).append(row)
    rollups = [_sum(name, members) for name, members in groups.items()]
    return sorted(rollups, key=lambda rollup: (-rollup.revenue, rollup.group))


def _sum(name: str, members: list[AccountPnl]) -> PnlRollup:
    with_margin = [m for m in members if m.gross_margin is not None]
    with_contribution = [m for m in members if m.contribution is not None]
    return PnlRollup(
        group=name,
        accounts=len(members),
        revenue=sum(m.revenue for m in members),
        cogs=sum(m.cogs or 0.0 for m in with_margin),
        gross_margin=sum(m.gross_margin or 0.0 for m in with_margin),
        cost_to_serve=sum(m.cost_to_serve or 0.0 for m in members),
        contribution=sum(m.contribution or 0.0 for m in with_contribution),
        with_margin=len(with_margin),
        with_contribution=len(with_contribution),
        imported=sum(m.cost_source is CostSource.IMPORTED for m in members),
        estimated=sum(m.cost_source is CostSource.ESTIMATED for m in members),
    )


def estimated_cost(
    engagement_hours: float,
    hourly_rate: float,
    team_share: float,
    team_cost_per_year: float,
    years: float,
) -> float:
    """Cost to serve estimated from what was logged: the hours our people spent in the
    account's engagements at ``hourly_rate``, plus ``team_share`` (the account's part of its
    manager's time, 1 / accounts managed) of ``team_cost_per_year`` over ``years``."""
    return engagement_hours * hourly_rate + team_share * team_cost_per_year * years
