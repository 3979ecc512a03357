"""Write checked transaction lines: matched with the stored lines by key range, upserted, and
the rollups updated for the customer-months the lines touch.

The work is proportional to the file, not to the store:

- **match**: the staged lines are joined with the stored lines whose invoice_id lies
  between the file's lowest and highest, a constant range DuckDB prunes the stored
  row groups with (their min/max statistics) before it reads them. A file of new
  invoices usually matches nothing, and then the staged table is written as it is.
- **rollups**: ``customer_month`` and ``customer_day`` are recomputed only for the
  (customer, month) pairs the written lines touch, including the pair a changed line
  left, from the written lines and the stored lines of those pairs (a date range, pruned
  the same way). They are computed before the lines are written, so that they read the
  stored lines as committed (DuckDB reads its own uncommitted rows about half as fast).
"""

from collections.abc import Collection
from datetime import date

import duckdb

from kam.analytics.ingest.checks import insert_counted
from kam.analytics.ingest.load import (
    LINE_GROUPS_SELECT,
    PURCHASE_DAY_SELECT,
    ROLLUP_SELECT,
    UpsertCounts,
)
from kam.analytics.ingest.progress import STAGES, tell, watching
from kam.analytics.ingest.readers import sql_name, sql_string
from kam.analytics.progress import Progress
from kam.analytics.schema import Column, DocumentType

KEYS = ("invoice_id", "line_id")
MATCHED = "kam_matched"
WRITTEN = "kam_written"
TOUCHED = "kam_touched_months"
GROUPS = "kam_line_groups"
ROLLUP_COLUMNS = "customer_id, date, invoice_id, revenue, cost, quantity, document_type"


def match_stored(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    columns: tuple[Column, ...],
    present: Collection[str],
) -> int:
    """Create ``kam_matched``: the staged lines whose key is stored; how many there are.

    Each match has the staged and stored row ids, whether a column the file has changed,
    where the stored line was (customer, date: its rollups change too if it moves), and
    the stored value of each column the file does not have (the line keeps it).
    """
    bounds = con.execute(f"SELECT min(invoice_id), max(invoice_id) FROM {stage}").fetchone()
    lowest, highest = bounds if bounds else (None, None)
    within = "false"
    if lowest is not None and highest is not None:
        within = f"t.invoice_id BETWEEN {sql_string(lowest)} AND {sql_string(highest)}"
        # A file of new invoices usually has no stored line in its range: then there is
        # nothing to join (and no hash table of the file's keys to build).
        if not con.execute(f"SELECT 1 FROM transactions t WHERE {within} LIMIT 1").fetchall():
            within = "false"
    absent = [c.name for c in columns if c.name not in KEYS and c.name not in present]
    compared = [c.name for c in columns if c.name not in KEYS and c.name in present]
    changed = " OR ".join(f"s.{sql_name(n)} IS DISTINCT FROM t.{sql_name(n)}" for n in compared)
    carried = "".join(f", t.{sql_name(n)}" for n in absent)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {MATCHED} AS "
        f"SELECT s.rowid AS stage_row, t.rowid AS store_row, ({changed or 'false'}) AS changed, "
        f"t.customer_id AS old_customer_id, t.date AS old_date{carried} "
        f"FROM {stage} s JOIN transactions t "
        "ON s.invoice_id = t.invoice_id AND s.line_id = t.line_id "
        f"WHERE {within}"
    )
    return _count(con, f"SELECT count(*) FROM {MATCHED}")


def negative_on_an_invoice(con: duckdb.DuckDBPyConnection, stage: str) -> bool:
    """Whether a staged line with a negative quantity would be stored as an invoice line.

    For a file without document_type: a line keeps its stored type, so a stored credit
    note may turn negative; a new line is an invoice line. Needs ``kam_matched``.
    """
    return bool(
        con.execute(
            f"SELECT 1 FROM {stage} s LEFT JOIN {MATCHED} m ON s.rowid = m.stage_row "
            "LEFT JOIN transactions t ON t.rowid = m.store_row "
            f"WHERE s.quantity < 0 AND coalesce(t.document_type, '{DocumentType.INVOICE.value}') "
            f"= '{DocumentType.INVOICE.value}' LIMIT 1"
        ).fetchall()
    )


def write_lines(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    columns: tuple[Column, ...],
    present: Collection[str],
    matched: int,
    progress: Progress | None = None,
) -> UpsertCounts:
    """Upsert the staged lines (after ``match_stored``) and update the rollups they touch.

    New keys are inserted, changed lines replaced (the file's columns from the file, the
    others kept from the stored line), identical lines left alone. Every write is counted.
    """
    rows = _count(con, f"SELECT count(*) FROM {stage}")
    changed = _count(con, f"SELECT count(*) FROM {MATCHED} WHERE changed") if matched else 0
    written = stage
    if matched:
        merged = ", ".join(
            f"s.{sql_name(c.name)}"
            if c.name in KEYS or c.name in present
            else f"CASE WHEN m.stage_row IS NULL THEN s.{sql_name(c.name)} "
            f"ELSE m.{sql_name(c.name)} END AS {sql_name(c.name)}"
            for c in columns
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {WRITTEN} AS SELECT {merged} FROM {stage} s "
            f"LEFT JOIN {MATCHED} m ON s.rowid = m.stage_row "
            "WHERE m.stage_row IS NULL OR m.changed"
        )
        written = WRITTEN
    tell(progress, "summarising", STAGES["summarising"][0])
    if rows - matched + changed:
        with watching(con, progress, "summarising"):
            _update_rollups(con, written, changed)
    tell(progress, "writing", STAGES["writing"][0])
    with watching(con, progress, "writing"):
        if changed:
            con.execute(
                f"DELETE FROM transactions WHERE rowid IN "
                f"(SELECT store_row FROM {MATCHED} WHERE changed)"
            )
        if rows - matched + changed:
            names = ", ".join(sql_name(c.name) for c in columns)
            # The stored order of lines means nothing: DuckDB may write them as its threads go.
            con.execute("SET preserve_insertion_order = false")
            try:
                insert_counted(
                    con,
                    "transactions",
                    f"INSERT INTO transactions ({names}) SELECT {names} FROM {written}",
                )
            finally:
                con.execute("RESET preserve_insertion_order")
    return UpsertCounts(inserted=rows - matched, updated=changed, unchanged=matched - changed)


def _update_rollups(con: duckdb.DuckDBPyConnection, written: str, changed: int) -> None:
    """Recompute the rollups of every (customer, month) the written lines touch.

    Runs before the lines are written: the rollups read the written lines from the staging
    table and, in the months that already hold stored lines, the other lines of the
    touched customers from the store, less the lines being replaced. A month without
    stored lines has no rollup rows yet (they always describe the stored lines), so its
    rows are simply added.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {GROUPS} AS "
        + LINE_GROUPS_SELECT.format(lines=f"(SELECT {ROLLUP_COLUMNS} FROM {written})")
    )
    shared = _months_with_stored_lines(con, changed)
    groups = GROUPS
    if shared:
        moved = (
            f" UNION ALL SELECT old_customer_id, old_date FROM {MATCHED} WHERE changed"
            if changed
            else ""
        )
        months = "[" + ", ".join(f"DATE '{month}'" for month in shared) + "]"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {TOUCHED} AS SELECT DISTINCT customer_id, month "
            "FROM (SELECT customer_id, date_trunc('month', date)::DATE AS month "
            f"FROM (SELECT customer_id, date FROM {GROUPS}{moved})) "
            f"WHERE list_contains({months}, month)"
        )
        first, after = shared[0], _next_month(shared[-1])

        def in_months(column: str) -> str:
            # Constant bounds, so that a scan skips the row groups of other months unread.
            return f"{column} >= DATE '{first}' AND {column} < DATE '{after}'"

        touched = (
            f"EXISTS (SELECT 1 FROM {TOUCHED} k WHERE k.customer_id = {{row}}.customer_id "
            "AND k.month = date_trunc('month', {when}))"
        )
        stored_lines = (
            f"(SELECT {ROLLUP_COLUMNS} FROM transactions t WHERE {in_months('t.date')} "
            f"AND {touched.format(row='t', when='t.date')}"
        )
        if changed:
            stored_lines += f" AND t.rowid NOT IN (SELECT store_row FROM {MATCHED} WHERE changed)"
        stored_lines += ")"
        # A group of an invoice both stored and in the file appears twice: the rollups sum it.
        groups = (
            f"(SELECT * FROM {GROUPS} UNION ALL {LINE_GROUPS_SELECT.format(lines=stored_lines)})"
        )
        for table, when in (("customer_month", "r.month"), ("customer_day", "r.date")):
            con.execute(
                f"DELETE FROM {table} r WHERE {in_months(when)} "
                f"AND {touched.format(row='r', when=when)}"
            )
    for table, select in (("customer_month", ROLLUP_SELECT), ("customer_day", PURCHASE_DAY_SELECT)):
        insert_counted(con, table, f"INSERT INTO {table} {select.format(groups=groups)}")


def _months_with_stored_lines(con: duckdb.DuckDBPyConnection, changed: int) -> list[date]:
    """The months, among those of the written lines and of the lines they replace, that hold
    stored lines; in order."""
    span = con.execute(
        f"SELECT date_trunc('month', min(date))::DATE, "
        f"(date_trunc('month', max(date)) + INTERVAL 1 MONTH)::DATE FROM {GROUPS}"
    ).fetchone()
    if span is None or span[0] is None:
        return []
    first, after = span
    # Pruned by the row groups' date statistics: only those overlapping the span are read.
    found = con.execute(
        "SELECT DISTINCT date_trunc('month', date)::DATE FROM transactions "
        f"WHERE date >= DATE '{first}' AND date < DATE '{after}'"
        + (
            f" UNION SELECT date_trunc('month', old_date)::DATE FROM {MATCHED} WHERE changed"
            if changed
            else ""
        )
    ).fetchall()
    return sorted(month for (month,) in found if month is not None)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
