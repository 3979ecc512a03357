"""Write checked staging rows into the store: an upsert by key, and the rollups of the lines.

The rollups are ``customer_month`` (per-account features) and ``customer_day`` (the
purchase days of the lifetime-value models); both are recomputed for the customers whose
lines changed, in the import's transaction, so they always describe the stored lines.
"""

from collections.abc import Collection
from dataclasses import dataclass

import duckdb

from kam.analytics.ingest.checks import insert_counted
from kam.analytics.ingest.stage import STAGE
from kam.analytics.schema import Column, DocumentType

AFFECTED = "kam_affected_customers"


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
    track_customers: bool = False,
) -> UpsertCounts:
    """Insert new keys, replace changed rows, leave identical rows alone.

    Only the ``present`` columns (those the file has) are compared and written: a column
    the file does not have keeps the stored value, so a partial file never wipes data; a
    new key takes the staged value (NULL, or the column's default). With
    ``track_customers`` the temp table ``kam_affected_customers`` lists every customer
    whose lines changed (including the customer a moved line left), for the rollup.
    """
    names = ", ".join(f'"{c.name}"' for c in columns)
    rows = _count(con, f"SELECT count(*) FROM {STAGE}")
    if _count(con, f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)") == 0:
        # An empty table (the first import): no comparison to make.
        insert_counted(con, table, f"INSERT INTO {table} ({names}) SELECT {names} FROM {STAGE}")
        if track_customers:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {AFFECTED} AS "
                f"SELECT DISTINCT customer_id FROM {STAGE}"
            )
        return UpsertCounts(inserted=rows, updated=0, unchanged=0)
    join = " AND ".join(f's."{k}" = t."{k}"' for k in keys)
    compared = [c.name for c in columns if c.name not in keys and c.name in present]
    differs = " OR ".join(f's."{n}" IS DISTINCT FROM t."{n}"' for n in compared) or "false"
    # The row as it will be stored: the file's columns, the stored value for the others.
    merged = ", ".join(
        f's."{c.name}"'
        if c.name in keys or c.name in present
        else f'CASE WHEN t.rowid IS NULL THEN s."{c.name}" ELSE t."{c.name}" END AS "{c.name}"'
        for c in columns
    )
    old_customer = ", t.customer_id AS old_customer_id" if track_customers else ""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE kam_diff AS "
        f"SELECT t.rowid AS store_row{old_customer}, {merged} "
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
    if track_customers:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {AFFECTED} AS SELECT customer_id FROM kam_diff "
            "UNION SELECT old_customer_id FROM kam_diff WHERE old_customer_id IS NOT NULL"
        )
    return UpsertCounts(inserted=inserted, updated=changed - inserted, unchanged=rows - changed)


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
               count(*) AS lines,
               bool_or(document_type = '{DocumentType.INVOICE.value}') AS is_order,
               min(date) AS first_date, max(date) AS last_date
        FROM transactions {{where}}
        GROUP BY ALL
    )
    GROUP BY customer_id, month
"""
"""customer_month from transaction lines: revenue, cost and quantity net of credit notes;
``orders`` counts distinct invoices (credit notes are not orders)."""


PURCHASE_DAY_SELECT = f"""
    SELECT customer_id, date, sum(revenue) AS revenue, count(*) AS lines
    FROM transactions
    WHERE (document_type IS NULL OR document_type = '{DocumentType.INVOICE.value}') {{where}}
    GROUP BY customer_id, date
"""
"""customer_day from transaction lines: what ``clv.future_value`` counts as a purchase, i.e. a
day with invoice lines (a line without a document type is an invoice line); credit notes
are left out, a negative invoice line is summed as it is."""


def _refresh(
    con: duckdb.DuckDBPyConnection, table: str, select: str, *, everyone: bool, joiner: str
) -> None:
    if everyone:
        con.execute(f"DELETE FROM {table}")
        insert_counted(con, table, f"INSERT INTO {table} {select.format(where='')}")
        return
    affected = f"customer_id IN (SELECT customer_id FROM {AFFECTED})"
    con.execute(f"DELETE FROM {table} WHERE {affected}")
    insert_counted(con, table, f"INSERT INTO {table} {select.format(where=f'{joiner} {affected}')}")


def refresh_customer_day(con: duckdb.DuckDBPyConnection, *, everyone: bool = False) -> None:
    """Recompute customer_day for the customers in ``kam_affected_customers`` (or everyone).

    ``everyone=True`` also rebuilds it in a store written before the table existed.
    """
    if not everyone and _count(con, f"SELECT count(*) FROM {AFFECTED}") == 0:
        return
    _refresh(con, "customer_day", PURCHASE_DAY_SELECT, everyone=everyone, joiner="AND")


def refresh_customer_month(con: duckdb.DuckDBPyConnection, *, everyone: bool = False) -> None:
    """Recompute the rollups (customer_month and customer_day) for the customers in
    ``kam_affected_customers`` (or everyone).

    Callers that write transactions some other way (the demo generator) can call it with
    ``everyone=True``; both rollups follow, so neither can describe older lines.
    """
    if not everyone and _count(con, f"SELECT count(*) FROM {AFFECTED}") == 0:
        return
    _refresh(con, "customer_month", ROLLUP_SELECT, everyone=everyone, joiner="WHERE")
    refresh_customer_day(con, everyone=everyone)
