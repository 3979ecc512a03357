"""Whitespace (seed 003): what each account buys from us, by product category and by the
customer's business unit (or site), what is in the pipeline, what is still open, and how
much of the account's wallet we hold.

- A *cell* is one category in one business unit of one account: **bought** when the
  account's invoice lines of the last 12 months put revenue there, else **in pipeline**
  when an open opportunity is there, else **open**. The categories are every category kam
  sold to anyone in those 12 months (and any the account's pipeline or wallet names), so
  an account sees what it does *not* buy; the business units are the account's own (lines
  and opportunities). Lines without a unit make a unit of their own, ``""``.
- A *wallet* is what the account spends in a category in a year, with every supplier.
  Where one is entered (``wallets``) it is used as it stands. Where none is, it is
  **estimated from peers**: the accounts of the same segment and size band (the thirds of
  the customers by revenue over the 12 months) that spend in the category — their entered
  wallet where they have one, else what they bought from us — and the estimate is the
  median of their spend, with its range (lowest, highest) and the number of peers — never
  less than what the account already buys from us in the category (its wallet holds at
  least that, so the share of an estimated wallet never passes 100 %). Fewer
  than ``min_peers`` peers give no estimate. An entered figure and an estimate are kept in
  separate columns and ``wallet_source`` says which one ``wallet`` is.
- Share of wallet is bought ÷ wallet; the open wallet is what is left, never below zero;
  a *gap* is the open wallet of a category, a *cross-sell* where the account buys nothing
  of it, an *up-sell* where it buys some.

Everything is an Ibis expression over the store's ``transactions``, ``customer_month`` and
``customers`` tables and two small Arrow tables the caller passes (open opportunities and
entered wallets), so the same code runs on DuckDB and on Spark. Windows end with the
as-of month (the caller resolves it), never the wall clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from kam.analytics.account_figures import add_months


class CellState(StrEnum):
    """What one category × business unit cell holds."""

    BOUGHT = "bought"
    IN_PIPELINE = "in_pipeline"
    OPEN = "open"


class WalletSource(StrEnum):
    """Where a category's wallet figure comes from."""

    ENTERED = "entered"
    PEERS = "peers"


MIN_PEERS = 3
"""A peer estimate needs at least this many comparable accounts spending in the category."""
SIZE_BANDS = 3
"""Customers are split into this many size bands by revenue over 12 months (thirds)."""

PIPELINE_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("category", pa.string()),
        ("business_unit", pa.string()),
        ("value", pa.float64()),
    ]
)
"""The open opportunities the caller passes: one row per opportunity (or summed)."""
WALLET_SCHEMA = pa.schema(
    [("customer_id", pa.string()), ("category", pa.string()), ("amount", pa.float64())]
)
"""The entered wallet estimates the caller passes: one row per account and category."""


@dataclass(frozen=True)
class WhitespaceQuery:
    """Whose whitespace, measured at ``as_of`` (the last of 12 whole months)."""

    customer_ids: tuple[str, ...]
    as_of: date
    min_peers: int = MIN_PEERS


def _finite(table: pa.Table, column: str) -> pa.Table:
    """``table`` without rows whose ``column`` is missing or not finite (never a value)."""
    values = table.column(column).to_pylist()
    keep = [v is not None and math.isfinite(v) for v in values]
    return table.filter(pa.array(keep, pa.bool_()))


def pipeline_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Open opportunities as ``PIPELINE_SCHEMA`` rows (business unit ``""`` when none)."""
    table = pa.Table.from_pylist(
        [{**row, "business_unit": row.get("business_unit") or ""} for row in rows],
        schema=PIPELINE_SCHEMA,
    )
    return _finite(table, "value")


def wallet_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Entered wallet estimates as ``WALLET_SCHEMA`` rows."""
    return _finite(pa.Table.from_pylist(rows, schema=WALLET_SCHEMA), "amount")


def _window(as_of: date) -> tuple[date, date]:
    return add_months(as_of, -11), add_months(as_of, 1)


def bought(con: Any, as_of: date) -> ir.Table:
    """Revenue of the 12 months up to ``as_of`` per customer, category and business unit
    (every customer; credit notes count against it)."""
    first, after = _window(as_of)
    lines = con.table("transactions")
    recent = lines.filter((lines.date >= first) & (lines.date < after) & lines.category.notnull())
    return recent.group_by(
        customer_id=recent.customer_id,
        category=recent.category,
        business_unit=recent.business_unit.fill_null(""),
    ).aggregate(revenue_12m=recent.revenue.sum())


def size_bands(con: Any, as_of: date) -> ir.Table:
    """Each customer with revenue over the 12 months: its segment (``""`` when unknown)
    and size band (0 smallest … ``SIZE_BANDS - 1``), from ``customer_month``."""
    first, after = _window(as_of)
    months = con.table("customer_month")
    recent = months.filter((months.month >= first) & (months.month < after))
    revenue = recent.group_by("customer_id").aggregate(revenue_12m=recent.revenue.sum())
    revenue = revenue.filter(revenue.revenue_12m > 0)
    customers = con.table("customers").select("customer_id", "segment")
    joined = revenue.join(customers, "customer_id", how="left")
    band = ibis.ntile(SIZE_BANDS).over(
        ibis.window(order_by=[joined.revenue_12m, joined.customer_id])
    )
    return joined.select(
        customer_id=joined.customer_id,
        segment=joined.segment.fill_null(""),
        size_band=band,
        revenue_12m=joined.revenue_12m,
    )


def _pipeline_sums(pipeline: pa.Table) -> ir.Table:
    table = ibis.memtable(pipeline)
    return table.group_by("customer_id", "category", "business_unit").aggregate(
        pipeline=table.value.sum()
    )


def _wanted(query: WhitespaceQuery) -> ir.Table:
    return ibis.memtable(
        pa.table({"customer_id": pa.array(sorted(set(query.customer_ids)), pa.string())})
    )


def _only(table: ir.Table, query: WhitespaceQuery) -> ir.Table:
    """``table``'s rows of the wanted accounts (a filter, so the result joins on freely)."""
    return table.filter(table.customer_id.isin(sorted(set(query.customer_ids))))


def _catalogue(con: Any, query: WhitespaceQuery, pipeline: pa.Table, wallets: pa.Table) -> ir.Table:
    """Per wanted customer, every category to show: sold to anyone within the window, or
    named by its own pipeline or wallets."""
    wanted = _wanted(query)
    sold = bought(con, query.as_of).select("category").distinct()
    everyone = wanted.cross_join(sold).select("customer_id", "category")
    own = (
        ibis.memtable(pipeline)
        .select("customer_id", "category")
        .union(ibis.memtable(wallets).select("customer_id", "category"))
    )
    return everyone.union(_only(own, query)).distinct()


def cells(con: Any, query: WhitespaceQuery, pipeline: pa.Table) -> ir.Table:
    """The grid of each wanted account: one row per category × business unit with its
    revenue over the 12 months, open pipeline and ``state`` (see the module doc)."""
    mine = _only(bought(con, query.as_of), query)
    open_pipeline = _only(_pipeline_sums(pipeline), query)
    units = (
        mine.select("customer_id", "business_unit")
        .union(open_pipeline.select("customer_id", "business_unit"))
        .distinct()
    )
    categories = _catalogue(con, query, pipeline, wallet_table([]))
    grid = categories.join(units, "customer_id")
    grid = grid.left_join(mine, ["customer_id", "category", "business_unit"]).select(
        "customer_id", "category", "business_unit", "revenue_12m"
    )
    grid = grid.left_join(open_pipeline, ["customer_id", "category", "business_unit"]).select(
        "customer_id", "category", "business_unit", "revenue_12m", "pipeline"
    )
    revenue = grid.revenue_12m.fill_null(0.0)
    in_pipeline = grid.pipeline.fill_null(0.0)
    state = ibis.cases(
        (revenue > 0, CellState.BOUGHT.value),
        (in_pipeline > 0, CellState.IN_PIPELINE.value),
        else_=CellState.OPEN.value,
    )
    return grid.select(
        customer_id=grid.customer_id,
        category=grid.category,
        business_unit=grid.business_unit,
        revenue_12m=revenue,
        pipeline=in_pipeline,
        state=state,
    ).order_by("customer_id", "category", "business_unit")


def peer_spend(con: Any, as_of: date, wallets: pa.Table) -> ir.Table:
    """What every banded customer spends per category: its entered wallet where it has
    one, else what it bought from us over the 12 months (only spend above zero)."""
    sold = bought(con, as_of)
    by_category = sold.group_by("customer_id", "category").aggregate(bought=sold.revenue_12m.sum())
    entered = ibis.memtable(wallets)
    both = by_category.outer_join(entered, ["customer_id", "category"]).select(
        customer_id=ibis.coalesce(by_category.customer_id, entered.customer_id),
        category=ibis.coalesce(by_category.category, entered.category),
        spend=ibis.coalesce(entered.amount, by_category.bought),
        from_wallet=entered.amount.notnull(),
    )
    banded = size_bands(con, as_of).select("customer_id", "segment", "size_band")
    spend = both.filter(both.spend > 0).join(banded, "customer_id")
    return spend.select("customer_id", "category", "spend", "from_wallet", "segment", "size_band")


def peers_of(con: Any, query: WhitespaceQuery, wallets: pa.Table) -> ir.Table:
    """For each wanted account and category, the peers that spend in it: one row per peer
    with its spend (``from_wallet`` when the figure is the peer's entered wallet)."""
    own = _only(size_bands(con, query.as_of), query)
    own = own.select(account_id=own.customer_id, own_segment=own.segment, own_band=own.size_band)
    spend = peer_spend(con, query.as_of, wallets).view()  # a self-join on the bands
    spend = spend.rename(own_segment="segment", own_band="size_band")
    joined = own.join(spend, ["own_segment", "own_band"])
    joined = joined.filter(joined.account_id != joined.customer_id)
    return joined.select(
        customer_id=joined.account_id,
        category=joined.category,
        peer_id=joined.customer_id,
        spend=joined.spend,
        from_wallet=joined.from_wallet,
    )


def categories(con: Any, query: WhitespaceQuery, pipeline: pa.Table, wallets: pa.Table) -> ir.Table:
    """One row per wanted account and category: bought, open pipeline, the entered wallet,
    the peer estimate (median, lowest, highest, number of peers), the wallet used and
    where it comes from, share of wallet, open wallet, and the gap's kind."""
    sold = bought(con, query.as_of)
    by_category = sold.group_by("customer_id", "category").aggregate(bought=sold.revenue_12m.sum())
    open_pipeline = _pipeline_sums(pipeline)
    pipeline_by_category = open_pipeline.group_by("customer_id", "category").aggregate(
        pipeline=open_pipeline.pipeline.sum()
    )
    entered = ibis.memtable(wallets).select("customer_id", "category", wallet_entered="amount")
    peers = peers_of(con, query, wallets)
    estimate = peers.group_by("customer_id", "category").aggregate(
        peer_median=peers.spend.median(),
        peer_low=peers.spend.min(),
        peer_high=peers.spend.max(),
        peer_count=peers.peer_id.count(),
    )
    keys = ["customer_id", "category"]
    rows = _catalogue(con, query, pipeline, wallets)
    for table in (by_category, pipeline_by_category, entered, estimate):
        rows = rows.left_join(table, keys).drop("customer_id_right", "category_right")
    bought_ = rows.bought.fill_null(0.0)
    count = rows.peer_count.fill_null(0)
    estimated = count >= query.min_peers
    source = ibis.cases(
        (rows.wallet_entered.notnull(), WalletSource.ENTERED.value),
        (estimated, WalletSource.PEERS.value),
        else_=ibis.null("string"),
    )
    # An account spends at least what it buys from us: a peer median below that says the
    # account is bigger in the category than its peers, not that we hold more than its wallet.
    peer_wallet = ibis.greatest(rows.peer_median, bought_)
    wallet = ibis.coalesce(
        rows.wallet_entered, ibis.ifelse(estimated, peer_wallet, ibis.null("float64"))
    )
    share = ibis.ifelse(wallet > 0, bought_ / wallet, ibis.null("float64"))
    open_wallet = ibis.greatest(wallet - bought_, 0.0)
    return rows.select(
        customer_id=rows.customer_id,
        category=rows.category,
        bought=bought_,
        pipeline=rows.pipeline.fill_null(0.0),
        wallet_entered=rows.wallet_entered,
        peer_median=ibis.ifelse(estimated, rows.peer_median, ibis.null("float64")),
        peer_low=ibis.ifelse(estimated, rows.peer_low, ibis.null("float64")),
        peer_high=ibis.ifelse(estimated, rows.peer_high, ibis.null("float64")),
        peer_count=count,
        wallet=wallet,
        wallet_source=source,
        share_of_wallet=share,
        open_wallet=open_wallet,
        gap_kind=ibis.ifelse(bought_ > 0, "up-sell", "cross-sell"),
    ).order_by("customer_id", "category")


@dataclass(frozen=True)
class Gap:
    """One category an account could buy more of: the open wallet in money."""

    customer_id: str
    category: str
    kind: str
    open_wallet: float
    bought: float
    pipeline: float
    wallet: float
    wallet_source: str
    share_of_wallet: float | None


def biggest_gaps(category_rows: pa.Table, limit: int | None = None) -> list[Gap]:
    """The categories with an open wallet above zero, biggest first (``categories`` rows,
    as Arrow)."""
    gaps = []
    for row in category_rows.to_pylist():
        open_wallet = row["open_wallet"]
        if open_wallet is None or not math.isfinite(open_wallet) or open_wallet <= 0:
            continue
        share = row["share_of_wallet"]
        gaps.append(
            Gap(
                customer_id=row["customer_id"],
                category=row["category"],
                kind=row["gap_kind"],
                open_wallet=float(open_wallet),
                bought=float(row["bought"]),
                pipeline=float(row["pipeline"]),
                wallet=float(row["wallet"]),
                wallet_source=row["wallet_source"],
                share_of_wallet=float(share)
                if share is not None and math.isfinite(share)
                else None,
            )
        )
    gaps.sort(key=lambda gap: (-gap.open_wallet, gap.customer_id, gap.category))
    return gaps[:limit] if limit is not None else gaps
