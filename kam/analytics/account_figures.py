"""The account portfolio as the web app lists it: one row per customer with its revenue windows.

Every figure is read from ``customer_month`` (one row per customer and month), never from
the transaction lines, so a page of the list costs one aggregate over the monthly table
however many invoice lines sit behind it. Windows are whole calendar months ending with
the month of the as-of date (the latest transaction in the store unless given), never the
wall clock: "last 12 months" on 2024-06-18 means June 2023 to June 2024 inclusive.

Nothing here loads all customers into Python: filters, sorting and pagination happen in
the engine, and only one page of rows comes back. The queries are plain SQL with
parameters, not Ibis expressions: a page asks a handful of small questions, and building
and compiling an expression for each cost several times what DuckDB takes to answer it.
"""

import math
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

import pyarrow as pa
from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics.store import (
    RowsOf,
    latest_transaction_date,
    reader_memo,
    reader_rows,
    reader_table,
    resolve_as_of,
    store_tables,
)

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
    return {"customers", "customer_month"} <= store_tables(con)


def _records(con: DuckDBBackend, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of ``sql`` run with ``params``, as dicts (a page's worth: a few dozen)."""
    cursor = con.con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _count(con: DuckDBBackend, sql: str, params: dict[str, Any]) -> int:
    found = con.con.execute(sql, params).fetchone()
    return int(found[0]) if found else 0


def _in_list(prefix: str, values: list[str], params: dict[str, Any]) -> str:
    """``($prefix0, $prefix1, ...)`` for an IN list, the values added to ``params``."""
    names = [f"{prefix}{i}" for i in range(len(values))]
    params.update(zip(names, values, strict=True))
    return "(" + ", ".join(f"${name}" for name in names) + ")" if names else "(NULL)"


def _metrics_sql(as_of: date, params: dict[str, Any], customer_ids: list[str] | None) -> str:
    """Per-customer revenue windows, margin, order counts and order dates at ``as_of``, as
    SQL (``params`` filled in). Only customers with a monthly row appear (only those in
    ``customer_ids`` when given); months after ``as_of`` are ignored. Margin is over the
    last 12 months and NULL when no cost was imported."""
    params.update(
        start_12=add_months(as_of, -11), start_24=add_months(as_of, -23), end=add_months(as_of, 1)
    )
    only = (
        f"AND customer_id IN {_in_list('id', customer_ids, params)}"
        if customer_ids is not None
        else ""
    )
    return f"""
        SELECT customer_id, revenue_12m, revenue_prev_12m, revenue_lifetime, orders_12m,
               orders_lifetime, first_order, last_order,
               CASE WHEN revenue_12m > 0 THEN (revenue_12m - cost_12m) / revenue_12m * 100
               END AS margin_pct
        FROM (
            SELECT customer_id,
                   sum(CASE WHEN month >= $start_12 THEN revenue ELSE 0.0 END) AS revenue_12m,
                   sum(CASE WHEN month >= $start_24 AND month < $start_12 THEN revenue ELSE 0.0 END)
                       AS revenue_prev_12m,
                   sum(revenue) AS revenue_lifetime,
                   sum(cost) FILTER (WHERE month >= $start_12) AS cost_12m,
                   sum(CASE WHEN month >= $start_12 THEN orders ELSE 0 END) AS orders_12m,
                   sum(orders) AS orders_lifetime,
                   min(first_date) AS first_order,
                   max(last_date) AS last_order
            FROM customer_month
            WHERE month < $end {only}
            GROUP BY customer_id
        )"""


def _status_sql(as_of: date, params: dict[str, Any]) -> str:
    """Where a customer stands at ``as_of`` (AccountStatus), from ``first_order`` and
    ``last_order`` (NULL: never ordered)."""
    params.update(year_ago=shift_months(as_of, -12), half_year_ago=shift_months(as_of, -6))
    return f"""CASE
        WHEN last_order IS NULL THEN '{AccountStatus.PROSPECT.value}'
        WHEN last_order <= $year_ago THEN '{AccountStatus.LOST.value}'
        WHEN first_order > $year_ago THEN '{AccountStatus.NEW.value}'
        WHEN last_order > $half_year_ago THEN '{AccountStatus.ACTIVE.value}'
        ELSE '{AccountStatus.LAPSING.value}' END"""


def _customers_where(query: AccountListQuery, params: dict[str, Any]) -> str:
    """The customer master's rows the query's search, region and segment keep, as SQL."""
    conditions = ["TRUE"]
    if search := query.search.strip().lower():
        params["search"] = search
        conditions.append(
            "(contains(lower(name), $search) OR contains(lower(customer_id), $search))"
        )
    if query.region:
        params["region"] = query.region
        conditions.append("region = $region")
    if query.segment:
        params["segment"] = query.segment
        conditions.append("segment = $segment")
    return " AND ".join(conditions)


def _with_metrics_sql(customers: str, metrics: str, status: str) -> str:
    """Every matching customer (``customers``: a WHERE clause on the master) with its
    metrics (0 revenue without any) and its status."""
    return f"""
        SELECT c.customer_id, c.name, c.country, c.region, c.segment,
               coalesce(m.revenue_12m, 0.0) AS revenue_12m,
               coalesce(m.revenue_prev_12m, 0.0) AS revenue_prev_12m,
               coalesce(m.revenue_lifetime, 0.0) AS revenue_lifetime,
               m.margin_pct, m.first_order, m.last_order,
               coalesce(m.orders_12m, 0) AS orders_12m,
               coalesce(m.orders_lifetime, 0) AS orders_lifetime,
               {status} AS status
        FROM (SELECT * FROM customers WHERE {customers}) AS c
        LEFT JOIN ({metrics}) AS m ON c.customer_id = m.customer_id"""


def _order_sql(query: AccountListQuery) -> str:
    """ORDER BY of the KPI table for ``query``'s sort; the id breaks ties."""
    column = {
        AccountSort.REVENUE: "revenue_12m",
        AccountSort.NAME: "lower(name)",
        AccountSort.LAST_ORDER: "last_order",
        AccountSort.LIFETIME: "revenue_lifetime",
    }[query.sort]
    direction = "DESC" if query.descending else "ASC"
    return f"{column} {direction} NULLS LAST, customer_id ASC"


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


def _kpis(con: DuckDBBackend, as_of: date) -> str | None:
    """Every account of the master with its figures and status at ``as_of``, derived once
    per reader copy (``reader_table``) when ``as_of`` is the latest date, as the pages ask
    it; None otherwise (a writer, another date): then each question reads the store."""
    if reader_memo(con) is None or as_of != latest_transaction_date(con):
        return None

    def build() -> pa.Table:
        params: dict[str, Any] = {}
        metrics = _metrics_sql(as_of, params, None)
        table = _with_metrics_sql("TRUE", metrics, _status_sql(as_of, params))
        return con.con.execute(table, params).to_arrow_table()

    return reader_table(con, "account_kpis", build)


def _kpi_page(con: DuckDBBackend, kpis: str, query: AccountListQuery) -> tuple[list, int, int]:
    """(the page's records, the matching total, the page number clamped to the last)."""
    params: dict[str, Any] = {}
    where = _customers_where(query, params)
    if query.status is not None:
        params["status"] = query.status.value
        where += " AND status = $status"
    total = _count(con, f"SELECT count(*) FROM {kpis} WHERE {where}", params)
    page = min(max(1, query.page), max(1, math.ceil(total / query.page_size)))
    params.update(limit=query.page_size, offset=(page - 1) * query.page_size)
    found = _records(
        con,
        f"""SELECT * FROM {kpis} WHERE {where} ORDER BY {_order_sql(query)}
            LIMIT $limit OFFSET $offset""",
        params,
    )
    return found, total, page


def _page_ids(con: DuckDBBackend, query: AccountListQuery, as_of: date, offset: int) -> list[str]:
    """The ids of one page, ranked by the sort column alone: far cheaper than every metric."""
    params: dict[str, Any] = {"limit": query.page_size, "offset": offset}
    where = _customers_where(query, params)
    direction = "DESC" if query.descending else "ASC"
    if query.sort is AccountSort.NAME:
        sql = f"""SELECT customer_id FROM customers WHERE {where}
                  ORDER BY lower(name) {direction} NULLS LAST, customer_id ASC"""
    else:
        params["end"] = add_months(as_of, 1)
        months = "month < $end"
        if query.sort is AccountSort.REVENUE:
            # Only the last 12 months are read: a fraction of the table on a long history.
            params["start_12"] = add_months(as_of, -11)
            months += " AND month >= $start_12"
        if query.search or query.region or query.segment:
            # Aggregate the matching customers' months only, not everyone's.
            months += f" AND customer_id IN (SELECT customer_id FROM customers WHERE {where})"
        figure = "max(last_date)" if query.sort is AccountSort.LAST_ORDER else "sum(revenue)"
        # No sales in the window counts as zero revenue; never ordered sorts last either way.
        key = "k.key" if query.sort is AccountSort.LAST_ORDER else "coalesce(k.key, 0.0)"
        sql = f"""
            SELECT c.customer_id FROM (SELECT customer_id FROM customers WHERE {where}) AS c
            LEFT JOIN (SELECT customer_id, {figure} AS key FROM customer_month WHERE {months}
                       GROUP BY customer_id) AS k ON c.customer_id = k.customer_id
            ORDER BY {key} {direction} NULLS LAST, c.customer_id ASC"""
    rows = con.con.execute(f"{sql} LIMIT $limit OFFSET $offset", params).fetchall()
    return [row[0] for row in rows]


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
    if (kpis := _kpis(con, at)) is not None:
        found, total, page = _kpi_page(con, kpis, query)
        rows = tuple(_row(record) for record in found)
        return AccountPage(
            rows=rows, total=total, page=page, page_size=query.page_size, as_of=as_of
        )
    if query.status is not None:
        return _status_page(con, query, query.status, at, as_of)
    params: dict[str, Any] = {}
    where = _customers_where(query, params)
    total = _count(con, f"SELECT count(*) FROM customers WHERE {where}", params)
    page = min(max(1, query.page), max(1, math.ceil(total / query.page_size)))
    ids = _page_ids(con, query, at, (page - 1) * query.page_size)
    params = {}
    metrics = _metrics_sql(at, params, ids)
    only = f"customer_id IN {_in_list('page', ids, params)}"
    found = _records(con, _with_metrics_sql(only, metrics, _status_sql(at, params)), params)
    by_id = {record["customer_id"]: _row(record) for record in found}
    rows = tuple(by_id[customer_id] for customer_id in ids if customer_id in by_id)
    return AccountPage(rows=rows, total=total, page=page, page_size=query.page_size, as_of=as_of)


def _status_page(
    con: DuckDBBackend,
    query: AccountListQuery,
    status: AccountStatus,
    at: date,
    as_of: date | None,
) -> AccountPage:
    params: dict[str, Any] = {"status": status.value, "limit": query.page_size}
    table = _with_metrics_sql(
        _customers_where(query, params), _metrics_sql(at, params, None), _status_sql(at, params)
    )
    # The total rides along as a window count, so the KPI table is built once, not twice.
    sql = f"""SELECT *, count(*) OVER () AS total FROM ({table}) WHERE status = $status
              ORDER BY {_order_sql(query)} LIMIT $limit OFFSET $offset"""
    page = max(1, query.page)
    while True:
        found = _records(con, sql, {**params, "offset": (page - 1) * query.page_size})
        if found or page == 1:
            break
        # Past the last page: count once, then fetch the last page.
        unpaged = {k: v for k, v in params.items() if k != "limit"}
        total = _count(con, f"SELECT count(*) FROM ({table}) WHERE status = $status", unpaged)
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
    records = []
    if (kpis := _kpis(con, as_of)) is not None:
        found = f"SELECT * FROM {kpis} WHERE customer_id = $customer AND last_order IS NOT NULL"
        records = _records(con, found, {"customer": customer_id})
    if not records:  # not in the master, or not derived: from the monthly table
        params: dict[str, Any] = {}
        metrics = _metrics_sql(as_of, params, [customer_id])
        records = _records(
            con, f"SELECT *, {_status_sql(as_of, params)} AS status FROM ({metrics})", params
        )
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
    end = add_months(as_of, 1)
    rows_of = customer_month_rows(con)
    if rows_of is not None:
        found = _by_month(rows_of(customer_id).to_pylist(), first, end)
    else:
        found = _records(
            con,
            """SELECT month, sum(revenue) AS revenue, sum(cost) AS cost, sum(orders) AS orders
           FROM customer_month
           WHERE customer_id = $customer AND month >= $first AND month < $end
           GROUP BY month""",
            {"customer": customer_id, "first": first, "end": end},
        )
    by_month = {r["month"]: r for r in found}
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


def customer_month_rows(con: DuckDBBackend) -> RowsOf | None:
    """Each customer's ``customer_month`` rows, sorted by customer and kept per reader copy
    (``reader_rows``; None on a writer's connection): the account page's months and the
    revenue trends of a list read slices of the same table."""
    return reader_rows(
        con,
        "customer_month",
        "SELECT customer_id, month, revenue, cost, orders FROM customer_month ORDER BY ALL",
    )


def _by_month(rows: list[dict[str, Any]], first: date, end: date) -> list[dict[str, Any]]:
    """Monthly rows summed per month within [first, end), as SQL's sum (NULL when no value)."""
    months: dict[date, dict[str, Any]] = {}
    for row in rows:
        if not first <= row["month"] < end:
            continue
        total = months.setdefault(row["month"], {"month": row["month"]})
        for column in ("revenue", "cost", "orders"):
            if row[column] is not None:
                total[column] = (total.get(column) or 0) + row[column]
    return list(months.values())


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
    if as_of is None or "transactions" not in store_tables(con):
        return schema.empty_table()
    window = {"first": add_months(as_of, -(months - 1)), "as_of": as_of}
    by_category = """SELECT customer_id, coalesce(category, '(none)') AS category,
                            sum(revenue) AS revenue
                     FROM transactions WHERE {where} AND date >= $first AND date <= $as_of
                     GROUP BY ALL"""
    if as_of == latest_transaction_date(con) and months == 12:
        # Every account's year by category, derived once per reader copy: one scan of the
        # lines instead of one per account page.
        rows_of = reader_rows(
            con,
            "account_categories",
            f"SELECT * FROM ({by_category.format(where='TRUE')})"
            " ORDER BY customer_id, revenue DESC",
            params=window,
        )
        if rows_of is not None:
            return rows_of(customer_id).select(["category", "revenue"]).cast(schema)
    result = con.con.execute(
        f"SELECT category, revenue FROM ({by_category.format(where='customer_id = $customer')})"
        " ORDER BY revenue DESC",
        {**window, "customer": customer_id},
    ).to_arrow_table()
    return result.cast(schema)


def revenue_12m_by_customer(
    con: DuckDBBackend, customer_ids: list[str], as_of: date | None = None
) -> dict[str, float]:
    """Revenue of the last 12 months for each of a handful of accounts (e.g. subsidiaries)."""
    as_of = resolve_as_of(con, as_of)
    if as_of is None or not customer_ids:
        return {}
    params: dict[str, Any] = {"start_12": add_months(as_of, -11), "end": add_months(as_of, 1)}
    found = con.con.execute(
        f"""SELECT customer_id, sum(revenue) FROM customer_month
            WHERE customer_id IN {_in_list("id", customer_ids, params)}
              AND month >= $start_12 AND month < $end
            GROUP BY customer_id""",
        params,
    ).fetchall()
    return {customer_id: revenue or 0.0 for customer_id, revenue in found}


def filter_options(con: DuckDBBackend) -> FilterOptions:
    """The distinct non-empty regions and segments of the customer master, sorted."""
    if not has_store_tables(con):
        return FilterOptions(regions=(), segments=())
    memo = reader_memo(con)
    if memo is not None and "filter_options" in memo:
        return memo["filter_options"]

    def distinct(column: str) -> tuple[str, ...]:
        values = con.con.execute(f"SELECT DISTINCT {column} FROM customers").fetchall()
        return tuple(sorted(v for (v,) in values if v))

    options = FilterOptions(regions=distinct("region"), segments=distinct("segment"))
    if memo is not None:
        memo["filter_options"] = options
    return options
