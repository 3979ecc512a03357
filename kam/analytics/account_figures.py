"""The account portfolio as the web app lists it: one row per customer with its revenue windows.

Every figure is read from ``customer_month`` (one row per customer and month), never from
the transaction lines, so a page of the list costs one aggregate over the monthly table
however many invoice lines sit behind it. Windows are whole calendar months ending with
the month of the as-of date (the latest transaction in the store unless given), never the
wall clock: "last 12 months" on 2024-06-18 means June 2023 to June 2024 inclusive.

Nothing here loads all customers into Python: filters, sorting and pagination happen in
the engine, and only one page of rows comes back.
"""

import math
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics.store import resolve_as_of

_NO_TRANSACTIONS = date(1970, 1, 1)


class AccountStatus(StrEnum):
    """Where a customer stands in its buying life, judged at the as-of date."""

    NEW = "new"  # first order within the last 12 months
    ACTIVE = "active"  # ordered within the last 6 months
    LAPSING = "lapsing"  # last order 6 to 12 months ago
    LOST = "lost"  # no order for 12 months or more
    PROSPECT = "prospect"  # never ordered


class AccountSort(StrEnum):
    """The columns the account list can be sorted by."""

    REVENUE = "revenue"
    NAME = "name"
    LAST_ORDER = "last_order"
    LIFETIME = "lifetime"


@dataclass(frozen=True)
class AccountListQuery:
    """What the user asked the account list for; empty strings mean "no filter"."""

    search: str = ""
    region: str = ""
    segment: str = ""
    status: AccountStatus | None = None
    sort: AccountSort = AccountSort.REVENUE
    descending: bool = True
    page: int = 1
    page_size: int = 25


class RevenueWindows:
    """What the account list and the account page share: the two 12-month revenue windows."""

    revenue_12m: float
    revenue_prev_12m: float

    @property
    def growth_pct(self) -> float | None:
        """Revenue change of the last 12 months against the 12 before, in percent (None
        without revenue in the 12 before)."""
        if self.revenue_prev_12m <= 0:
            return None
        return (self.revenue_12m / self.revenue_prev_12m - 1) * 100


@dataclass(frozen=True)
class AccountRow(RevenueWindows):
    """One customer in the account list, with its revenue windows at the as-of date."""

    customer_id: str
    name: str
    country: str
    region: str
    segment: str
    revenue_12m: float
    revenue_prev_12m: float
    revenue_lifetime: float
    margin_pct: float | None
    first_order: date | None
    last_order: date | None
    status: AccountStatus


@dataclass(frozen=True)
class AccountPage:
    """One page of the account list, and how many accounts match in total."""

    rows: tuple[AccountRow, ...]
    total: int
    page: int
    page_size: int
    as_of: date | None

    @property
    def page_count(self) -> int:
        """How many pages the matching accounts fill (at least one, even when empty)."""
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def first_index(self) -> int:
        """The 1-based position of the first row on this page (0 when there are none)."""
        return (self.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        """The 1-based position of the last row on this page."""
        return self.first_index + len(self.rows) - 1 if self.rows else 0


@dataclass(frozen=True)
class AccountSummary(RevenueWindows):
    """The headline KPIs of one account at the as-of date."""

    customer_id: str
    as_of: date
    revenue_12m: float
    revenue_prev_12m: float
    revenue_lifetime: float
    margin_pct: float | None
    orders_12m: int
    orders_lifetime: int
    first_order: date | None
    last_order: date | None
    status: AccountStatus


@dataclass(frozen=True)
class FilterOptions:
    """The regions and segments present in the customer master, for filter drop-downs."""

    regions: tuple[str, ...]
    segments: tuple[str, ...]


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` away from ``day``'s month (negative goes back)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def shift_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the end of shorter months (Mar 31 - 1 → Feb 28)."""
    first = add_months(day, months)
    following = add_months(first, 1)
    last_day = (following - first).days
    return first.replace(day=min(day.day, last_day))


def has_store_tables(con: DuckDBBackend) -> bool:
    """Whether the store has been initialised (a read-only open of a fresh file has no tables)."""
    return {"customers", "customer_month"} <= set(con.list_tables())


def account_metrics(
    con: DuckDBBackend, as_of: date, customer_ids: list[str] | None = None
) -> ir.Table:
    """Per-customer revenue windows, margin, order counts and order dates at ``as_of``.

    Only customers with at least one monthly row appear (only those in ``customer_ids``
    when given); months after ``as_of`` are ignored. Margin is over the last 12 months
    and NULL when no cost was imported.
    """
    cm = con.table("customer_month")
    if customer_ids is not None:
        cm = cm.filter(cm.customer_id.isin(customer_ids))
    start_12 = add_months(as_of, -11)
    start_24 = add_months(as_of, -23)
    cm = cm.filter(cm.month < add_months(as_of, 1))
    in_12 = cm.month >= ibis.literal(start_12)
    in_prev = (cm.month >= ibis.literal(start_24)) & (cm.month < ibis.literal(start_12))
    metrics = cm.group_by("customer_id").aggregate(
        revenue_12m=ibis.ifelse(in_12, cm.revenue, 0.0).sum(),
        revenue_prev_12m=ibis.ifelse(in_prev, cm.revenue, 0.0).sum(),
        revenue_lifetime=cm.revenue.sum(),
        cost_12m=cm.cost.sum(where=in_12),
        orders_12m=ibis.ifelse(in_12, cm.orders, 0).sum(),
        orders_lifetime=cm.orders.sum(),
        first_order=cm.first_date.min(),
        last_order=cm.last_date.max(),
    )
    margin = ibis.ifelse(
        metrics.revenue_12m > 0,
        (metrics.revenue_12m - metrics.cost_12m) / metrics.revenue_12m * 100,
        ibis.null("float64"),
    )
    return metrics.mutate(margin_pct=margin).drop("cost_12m")


def _status(first_order: ir.DateValue, last_order: ir.DateValue, as_of: date) -> ir.StringValue:
    year_ago = ibis.literal(shift_months(as_of, -12))
    half_year_ago = ibis.literal(shift_months(as_of, -6))
    return (
        ibis.cases(
            (last_order.isnull(), AccountStatus.PROSPECT.value),
            (last_order <= year_ago, AccountStatus.LOST.value),
            (first_order > year_ago, AccountStatus.NEW.value),
            (last_order > half_year_ago, AccountStatus.ACTIVE.value),
            else_=AccountStatus.LAPSING.value,
        )
    ).name("status")


def _filtered_customers(con: DuckDBBackend, query: AccountListQuery) -> ir.Table:
    customers = con.table("customers")
    if search := query.search.strip().lower():
        customers = customers.filter(
            customers.name.lower().contains(search) | customers.customer_id.lower().contains(search)
        )
    if query.region:
        customers = customers.filter(customers.region == query.region)
    if query.segment:
        customers = customers.filter(customers.segment == query.segment)
    return customers


def _with_metrics(customers: ir.Table, metrics: ir.Table, as_of: date) -> ir.Table:
    joined = customers.left_join(metrics, customers.customer_id == metrics.customer_id)
    zero = ibis.literal(0.0)
    return joined.select(
        customer_id=customers.customer_id,
        name=customers.name,
        country=customers.country,
        region=customers.region,
        segment=customers.segment,
        revenue_12m=metrics.revenue_12m.coalesce(zero),
        revenue_prev_12m=metrics.revenue_prev_12m.coalesce(zero),
        revenue_lifetime=metrics.revenue_lifetime.coalesce(zero),
        margin_pct=metrics.margin_pct,
        first_order=metrics.first_order,
        last_order=metrics.last_order,
        status=_status(metrics.first_order, metrics.last_order, as_of),
    )


def _order_keys(query: AccountListQuery, table: ir.Table) -> list[Any]:
    column = {
        AccountSort.REVENUE: table.revenue_12m,
        AccountSort.NAME: table.name.lower(),
        AccountSort.LAST_ORDER: table.last_order,
        AccountSort.LIFETIME: table.revenue_lifetime,
    }[query.sort]
    key = ibis.desc(column) if query.descending else ibis.asc(column)
    return [key, table.customer_id]


def _row(record: dict[str, Any]) -> AccountRow:
    return AccountRow(
        customer_id=record["customer_id"],
        name=record["name"] or record["customer_id"],
        country=record["country"] or "",
        region=record["region"] or "",
        segment=record["segment"] or "",
        revenue_12m=record["revenue_12m"] or 0.0,
        revenue_prev_12m=record["revenue_prev_12m"] or 0.0,
        revenue_lifetime=record["revenue_lifetime"] or 0.0,
        margin_pct=record["margin_pct"],
        first_order=record["first_order"],
        last_order=record["last_order"],
        status=AccountStatus(record["status"]),
    )


def _sort_key(
    con: DuckDBBackend, query: AccountListQuery, as_of: date, customers: ir.Table
) -> ir.Table:
    """Per customer, only the figure the list is sorted by: far cheaper than every metric."""
    cm = con.table("customer_month")
    cm = cm.filter(cm.month < add_months(as_of, 1))
    if query.search or query.region or query.segment:
        # Aggregate the matching customers' months only, not everyone's.
        cm = cm.filter(cm.customer_id.isin(customers.customer_id))
    if query.sort is AccountSort.REVENUE:
        # Only the last 12 months are read: a fraction of the table on a long history.
        cm = cm.filter(cm.month >= add_months(as_of, -11))
        return cm.group_by("customer_id").aggregate(key=cm.revenue.sum())
    if query.sort is AccountSort.LIFETIME:
        return cm.group_by("customer_id").aggregate(key=cm.revenue.sum())
    return cm.group_by("customer_id").aggregate(key=cm.last_date.max())


def _page_ids(
    con: DuckDBBackend, customers: ir.Table, query: AccountListQuery, as_of: date, offset: int
) -> list[str]:
    if query.sort is AccountSort.NAME:
        key = customers.name.lower()
        table = customers.select("customer_id", key=key)
    else:
        sort_key = _sort_key(con, query, as_of, customers)
        joined = customers.left_join(sort_key, customers.customer_id == sort_key.customer_id)
        key = sort_key.key
        if query.sort is not AccountSort.LAST_ORDER:
            key = key.coalesce(0.0)  # no sales in the window counts as zero revenue
        table = joined.select(customer_id=customers.customer_id, key=key)
    # Accounts that never ordered have no last order and sort last either way; the id
    # breaks ties so that pages never overlap.
    order = ibis.desc(table.key) if query.descending else ibis.asc(table.key)
    window = table.order_by([order, table.customer_id]).limit(query.page_size, offset=offset)
    return window.customer_id.to_pyarrow().to_pylist()


def account_page(
    con: DuckDBBackend, query: AccountListQuery, as_of: date | None = None
) -> AccountPage:
    """One page of accounts matching ``query``, with their KPIs at ``as_of``.

    A page past the last one is clamped to the last; an empty or fresh store gives an empty
    page. Without a status filter the engine ranks customers by the sort column alone and
    computes the full KPIs for the page's rows only; a status filter needs every
    customer's order dates, so it ranks the full KPI table in one pass.
    """
    query = replace(query, page_size=max(1, query.page_size))
    as_of = resolve_as_of(con, as_of)
    if not has_store_tables(con):
        return AccountPage(rows=(), total=0, page=1, page_size=query.page_size, as_of=as_of)
    # Customers but no transactions yet: everyone is a prospect with no revenue. The
    # placeholder date only feeds the status rule, which then sees no orders at all.
    at = as_of or _NO_TRANSACTIONS
    customers = _filtered_customers(con, query)
    if query.status is not None:
        return _status_page(con, customers, query, query.status, at, as_of)
    total = int(customers.count().to_pyarrow().as_py())
    page = min(max(1, query.page), max(1, math.ceil(total / query.page_size)))
    ids = _page_ids(con, customers, query, at, (page - 1) * query.page_size)
    metrics = account_metrics(con, at, customer_ids=ids)
    found = _with_metrics(customers.filter(customers.customer_id.isin(ids)), metrics, at)
    by_id = {record["customer_id"]: _row(record) for record in found.to_pyarrow().to_pylist()}
    rows = tuple(by_id[customer_id] for customer_id in ids if customer_id in by_id)
    return AccountPage(rows=rows, total=total, page=page, page_size=query.page_size, as_of=as_of)


def _status_page(
    con: DuckDBBackend,
    customers: ir.Table,
    query: AccountListQuery,
    status: AccountStatus,
    at: date,
    as_of: date | None,
) -> AccountPage:
    table = _with_metrics(customers, account_metrics(con, at), at)
    table = table.filter(table.status == status.value)
    # The total rides along as a window count, so the KPI table is built once, not twice.
    table = table.mutate(total=table.customer_id.count().over(ibis.window()))
    ordered = table.order_by(_order_keys(query, table))
    page = max(1, query.page)
    while True:
        records = ordered.limit(query.page_size, offset=(page - 1) * query.page_size)
        found = records.to_pyarrow().to_pylist()
        if found or page == 1:
            break
        # Past the last page: count once, then fetch the last page.
        total = int(table.count().to_pyarrow().as_py())
        page = max(1, math.ceil(total / query.page_size))
        if total == 0:
            break
    total = int(found[0]["total"]) if found else 0
    rows = tuple(_row(record) for record in found)
    return AccountPage(rows=rows, total=total, page=page, page_size=query.page_size, as_of=as_of)


def account_summary(
    con: DuckDBBackend, customer_id: str, as_of: date | None = None
) -> AccountSummary | None:
    """The KPIs of one account at ``as_of``; None when the store holds no transactions at all."""
    as_of = resolve_as_of(con, as_of)
    if as_of is None:
        return None
    metrics = account_metrics(con, as_of, customer_ids=[customer_id])
    metrics = metrics.mutate(status=_status(metrics.first_order, metrics.last_order, as_of))
    records = metrics.to_pyarrow().to_pylist()
    if not records:
        return AccountSummary(
            customer_id=customer_id,
            as_of=as_of,
            revenue_12m=0.0,
            revenue_prev_12m=0.0,
            revenue_lifetime=0.0,
            margin_pct=None,
            orders_12m=0,
            orders_lifetime=0,
            first_order=None,
            last_order=None,
            status=AccountStatus.PROSPECT,
        )
    record = records[0]
    return AccountSummary(
        customer_id=customer_id,
        as_of=as_of,
        revenue_12m=record["revenue_12m"] or 0.0,
        revenue_prev_12m=record["revenue_prev_12m"] or 0.0,
        revenue_lifetime=record["revenue_lifetime"] or 0.0,
        margin_pct=record["margin_pct"],
        orders_12m=int(record["orders_12m"] or 0),
        orders_lifetime=int(record["orders_lifetime"] or 0),
        first_order=record["first_order"],
        last_order=record["last_order"],
        status=AccountStatus(record["status"]),
    )


def monthly_revenue(
    con: DuckDBBackend, customer_id: str, as_of: date | None = None, months: int = 36
) -> pa.Table:
    """Revenue and cost of one account for each of the ``months`` months ending at ``as_of``.

    Every month appears, with 0 where the account bought nothing, so charts show gaps as
    gaps. Columns: month (date, first of month), revenue, cost, orders.
    """
    as_of = resolve_as_of(con, as_of)
    schema = pa.schema(
        [
            ("month", pa.date32()),
            ("revenue", pa.float64()),
            ("cost", pa.float64()),
            ("orders", pa.int64()),
        ]
    )
    if as_of is None:
        return schema.empty_table()
    first = add_months(as_of, -(months - 1))
    cm = con.table("customer_month")
    found = cm.filter(
        (cm.customer_id == customer_id) & (cm.month >= first) & (cm.month < add_months(as_of, 1))
    )
    found = found.group_by("month").aggregate(
        revenue=found.revenue.sum(), cost=found.cost.sum(), orders=found.orders.sum()
    )
    by_month = {r["month"]: r for r in found.to_pyarrow().to_pylist()}
    calendar = [add_months(first, i) for i in range(months)]
    return pa.table(
        {
            "month": calendar,
            "revenue": [(by_month.get(m) or {}).get("revenue") or 0.0 for m in calendar],
            "cost": [(by_month.get(m) or {}).get("cost") or 0.0 for m in calendar],
            "orders": [int((by_month.get(m) or {}).get("orders") or 0) for m in calendar],
        },
        schema=schema,
    )


def revenue_by_category(
    con: DuckDBBackend, customer_id: str, as_of: date | None = None, months: int = 12
) -> pa.Table:
    """One account's revenue per product category over the ``months`` months ending at ``as_of``.

    Read from the transaction lines (the monthly table has no category), filtered to the
    one customer first. Columns: category ("(none)" for lines without one), revenue;
    largest first.
    """
    as_of = resolve_as_of(con, as_of)
    schema = pa.schema([("category", pa.string()), ("revenue", pa.float64())])
    if as_of is None or "transactions" not in con.list_tables():
        return schema.empty_table()
    lines = con.table("transactions")
    lines = lines.filter(
        (lines.customer_id == customer_id)
        & (lines.date >= add_months(as_of, -(months - 1)))
        & (lines.date <= as_of)
    )
    category = lines.category.fill_null("(none)")
    result = (
        lines.mutate(category=category)
        .group_by("category")
        .aggregate(revenue=lines.revenue.sum())
        .order_by(ibis.desc("revenue"))
    )
    return result.to_pyarrow().cast(schema)


def revenue_12m_by_customer(
    con: DuckDBBackend, customer_ids: list[str], as_of: date | None = None
) -> dict[str, float]:
    """Revenue of the last 12 months for each of a handful of accounts (e.g. subsidiaries)."""
    as_of = resolve_as_of(con, as_of)
    if as_of is None or not customer_ids:
        return {}
    cm = con.table("customer_month")
    cm = cm.filter(
        cm.customer_id.isin(customer_ids)
        & (cm.month >= add_months(as_of, -11))
        & (cm.month < add_months(as_of, 1))
    )
    result = cm.group_by("customer_id").aggregate(revenue=cm.revenue.sum()).to_pyarrow()
    return {r["customer_id"]: r["revenue"] or 0.0 for r in result.to_pylist()}


def filter_options(con: DuckDBBackend) -> FilterOptions:
    """The distinct non-empty regions and segments of the customer master, sorted."""
    if not has_store_tables(con):
        return FilterOptions(regions=(), segments=())
    customers = con.table("customers")

    def distinct(column: str) -> tuple[str, ...]:
        values = customers.select(column).distinct().to_pyarrow().column(column).to_pylist()
        return tuple(sorted(v for v in values if v))

    return FilterOptions(regions=distinct("region"), segments=distinct("segment"))
