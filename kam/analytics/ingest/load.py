"""Write checked customer rows into the store by key, and the SQL of the lines' rollups.

The rollups are ``customer_month`` (per-account features) and ``customer_day`` (the
purchase days of the lifetime-value models). Their SQL is here, with the rebuild from
every stored line; an import updates the part its lines touch (``lines.write_lines``).
"""

from collections.abc import Collection
from dataclasses import dataclass

import duckdb

from kam.analytics.ingest.checks import insert_counted
from kam.analytics.ingest.stage import STAGE
from kam.analytics.schema import Column, DocumentType


@dataclass(frozen=True)
class UpsertCounts:
    """How the staged rows compared with the stored ones."""

    inserted: int
    updated: int
    unchanged: int


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def upsert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: tuple[Column, ...],
    keys: tuple[str, ...],
    *,
    present: Collection[str],
) -> UpsertCounts:
    """Insert new keys, replace changed rows, leave identical rows alone (the customer master).

    Only the ``present`` columns (those the file has) are compared and written: a column
    the file does not have keeps the stored value, so a partial file never wipes data; a
    new key takes the staged value (NULL, or the column's default). Transaction lines are
    written by ``lines.write_lines``, which matches them by key range.
    """
    names = ", ".join(f'"{c.name}"' for c in columns)
    rows = _count(con, f"SELECT count(*) FROM {STAGE}")
    if _count(con, f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)") == 0:
        # An empty table (the first import): no comparison to make.
        insert_counted(con, table, f"INSERT INTO {table} ({names}) SELECT {names} FROM {STAGE}")
        return UpsertCounts(inserted=rows, updated=0, unchanged=0)
    join = " AND ".join(f's."{k}" = t."{k}"' for k in keys)
    differs = _differs(columns, keys, present)
    # The row as it will be stored: the file's columns, the stored value for the others.
    merged = ", ".join(
        f's."{c.name}"'
        if c.name in keys or c.name in present
        else f'CASE WHEN t.rowid IS NULL THEN s."{c.name}" ELSE t."{c.name}" END AS "{c.name}"'
        for c in columns
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE kam_diff AS "
        f"SELECT t.rowid AS store_row, {merged} "
        f"FROM {STAGE} s LEFT JOIN {table} t ON {join} "
        f"WHERE t.rowid IS NULL OR {differs}"
    )
    changed = _count(con, "SELECT count(*) FROM kam_diff")
    inserted = _count(con, "SELECT count(*) FROM kam_diff WHERE store_row IS NULL")
    if changed:
        con.execute(
            f"DELETE FROM {table} WHERE rowid IN "
            "(SELECT store_row FROM kam_diff WHERE store_row IS NOT NULL)"
        )
        insert_counted(con, table, f"INSERT INTO {table} ({names}) SELECT {names} FROM kam_diff")
    return UpsertCounts(inserted=inserted, updated=changed - inserted, unchanged=rows - changed)


def _differs(columns: tuple[Column, ...], keys: tuple[str, ...], present: Collection[str]) -> str:
    """SQL: the staged row ``s`` differs from the stored row ``t`` in a column the file has."""
    compared = [c.name for c in columns if c.name not in keys and c.name in present]
    return " OR ".join(f's."{n}" IS DISTINCT FROM t."{n}"' for n in compared) or "false"


LINE_GROUPS_SELECT = """
    SELECT customer_id, date, invoice_id, document_type,
           sum(revenue) AS revenue, sum(cost) AS cost, sum(quantity) AS quantity,
           count(*) AS lines
    FROM {lines}
    GROUP BY ALL
"""
"""Transaction lines summed per customer, day, invoice and document type: both rollups are
computed from these groups (a quarter as many rows as lines), which are summed once."""

ROLLUP_SELECT = f"""
    SELECT customer_id, month,
           sum(revenue) AS revenue, sum(cost) AS cost, sum(quantity) AS quantity,
           sum(lines) AS lines, count(*) FILTER (WHERE is_order) AS orders,
           min(first_date) AS first_date, max(last_date) AS last_date
    FROM (
        -- one row per invoice first: counting distinct invoices this way is cheaper
        -- than count(DISTINCT ...) over every line
        SELECT customer_id, date_trunc('month', date)::DATE AS month, invoice_id,
               sum(revenue) AS revenue, sum(cost) AS cost, sum(quantity) AS quantity,
               sum(lines) AS lines,
               bool_or(document_type = '{DocumentType.INVOICE.value}') AS is_order,
               min(date) AS first_date, max(date) AS last_date
        FROM {{groups}}
        GROUP BY ALL
    )
    GROUP BY customer_id, month
"""
"""customer_month from line groups (``LINE_GROUPS_SELECT``): revenue, cost and quantity net
of credit notes; ``orders`` counts distinct invoices (credit notes are not orders)."""


PURCHASE_DAY_SELECT = f"""
    SELECT customer_id, date, sum(revenue) AS revenue, sum(lines) AS lines
    FROM {{groups}}
    WHERE document_type IS NULL OR document_type = '{DocumentType.INVOICE.value}'
    GROUP BY customer_id, date
"""
"""customer_day from line groups: what ``clv.future_value`` counts as a purchase, i.e. a
day with invoice lines (a line without a document type is an invoice line); credit notes
are left out, a negative invoice line is summed as it is."""


def refresh_customer_day(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild customer_day from every stored line (a store written before the table existed).

    Imports keep it up to date themselves, for the months their lines touch
    (``lines.write_lines``).
    """
    _rebuild(con, "customer_day", PURCHASE_DAY_SELECT)


def refresh_customer_month(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild both rollups (customer_month and customer_day) from every stored line.

    For code that writes transactions some other way (the demo generator); both rollups
    follow, so neither can describe older lines. Imports keep them up to date themselves.
    """
    _rebuild(con, "customer_month", ROLLUP_SELECT)
    refresh_customer_day(con)


def _rebuild(con: duckdb.DuckDBPyConnection, table: str, select: str) -> None:
    con.execute(f"DELETE FROM {table}")
    groups = f"({LINE_GROUPS_SELECT.format(lines='transactions')})"
    insert_counted(con, table, f"INSERT INTO {table} {select.format(groups=groups)}")
