"""Import transaction lines into the lake (``KAM_ANALYTICS_ENGINE=spark``): the same checks,
errors and counts as an import into the embedded store, then one atomic commit.

How: the lake's writer lock held, a scratch DuckDB file in the write's staging folder is
given the customer master and the lake's stored lines of the invoices the file names (all a
line of the file can match or be checked against), and the embedded store's own import runs
on it — so every rule, every problem and the inserted / updated / unchanged counts are
exactly those of today's import. What it changed (lines new or changed, lines replaced) is
then written month by month: each month it touches is rewritten whole (its stored lines,
less the replaced ones, plus the new ones), with its ``customer_month`` and
``customer_day`` rows, into the staging folder, and committed with one rename
(``kam.analytics.lake``). The rollups of those months are copied into the embedded store,
in a transaction committed after the lake's, so the web app's pages read them as today.

The customer master is imported into the embedded store as always (the analytics read it
from there); the lake's copy of it is then replaced by the store's in one commit
(``import_customers_to_lake``), for readers of the lake outside kam.
"""

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from kam.analytics.ingest.importer import import_transactions
from kam.analytics.ingest.load import LINE_GROUPS_SELECT, PURCHASE_DAY_SELECT, ROLLUP_SELECT
from kam.analytics.ingest.mapping import ColumnMapping
from kam.analytics.ingest.problems import ImportReport
from kam.analytics.ingest.progress import tell
from kam.analytics.ingest.readers import ReadError, open_source
from kam.analytics.ingest.stage import converted, match_columns
from kam.analytics.lake import (
    MONTHLY,
    Lake,
    LakeWrite,
    copy_partitioned,
    copy_whole,
    partition_key,
)
from kam.analytics.progress import Progress
from kam.analytics.schema import TRANSACTION_COLUMNS
from kam.analytics.store import AnalyticsStore

SEED = "kam_lake_seed"
"""In the scratch store: the lake's lines of the file's invoices, as they were."""


def import_transactions_to_lake(
    store: AnalyticsStore,
    lake: Lake,
    path: Path | str,
    *,
    mapping: ColumnMapping | None = None,
    progress: Progress | None = None,
    file_label: str | None = None,
    problems_csv: Path | str | None = None,
) -> ImportReport:
    """Upsert the file's lines into the lake, keyed by (invoice_id, line_id), and refresh the
    rollups of the months they touch, in the lake and in ``store``.

    Raises ImportRefused (nothing written anywhere) if any row breaks a rule, as
    ``import_transactions`` does; a file whose lines are all stored already changes nothing.
    """
    path = Path(path)
    mapping = mapping or ColumnMapping()
    with lake.writing() as write:
        scratch = AnalyticsStore(
            f"duckdb://{write.staging / 'scratch.duckdb'}",
            memory_limit=store.memory_limit,
            threads=store.threads,
        )
        _seed(scratch, store, lake, write, path, mapping)
        report = import_transactions(
            scratch,
            path,
            mapping=mapping,
            progress=progress,
            file_label=file_label,
            problems_csv=problems_csv,
        )
        if not (report.inserted or report.updated):
            return report
        tell(progress, "writing", 0.97)
        with scratch.connect() as backend:
            months, rollups = _stage_months(backend.con, lake, write)
            # The lake's copy of the customer master, for readers outside kam.
            copy_whole(backend.con, "SELECT * FROM customers", "customers",
                       write.stage_folder("customers"))  # fmt: skip
        replaced: dict[str, set[str] | None] = {
            table: {partition_key(month) for month in months} for table in MONTHLY
        }
        replaced["customers"] = None
        with store.connect() as backend:
            _mirror_rollups(backend.con, months, rollups, lambda: write.commit(replaced))
    return report


def import_customers_to_lake(
    store: AnalyticsStore, lake: Lake, run: Callable[[], ImportReport]
) -> ImportReport:
    """Run ``run`` (the customer master's import into ``store``) holding the lake's writer
    lock, then replace the lake's copy of the customer master by the store's, committed
    with one rename. A refused file, or one that changes nothing, commits nothing; a
    failure before the rename leaves the lake's previous copy (the next import of either
    kind writes it again)."""
    with lake.writing() as write:
        report = run()
        if report.refused or not (report.inserted or report.updated):
            return report
        with store.connect() as backend:
            copy_whole(backend.con, "SELECT * FROM customers", "customers",
                       write.stage_folder("customers"))  # fmt: skip
        write.commit({"customers": None})
    return report


def _seed(
    scratch: AnalyticsStore,
    store: AnalyticsStore,
    lake: Lake,
    write: LakeWrite,
    path: Path,
    mapping: ColumnMapping,
) -> None:
    """Give the scratch store the customers and the lake's lines of the file's invoices."""
    with store.connect(read_only=True) as backend:
        customers = backend.con.execute("SELECT * FROM customers").to_arrow_table()
    with scratch.connect() as backend:
        con = backend.con
        con.register("kam_incoming_customers", customers)
        con.execute("INSERT INTO customers SELECT * FROM kam_incoming_customers")
        con.unregister("kam_incoming_customers")
        con.execute(f"CREATE TABLE {SEED} AS SELECT * FROM transactions WHERE false")
        try:
            source = open_source(con, path)
        except (ReadError, duckdb.Error):
            return  # the import names what is wrong with the file
        headers = match_columns(source, TRANSACTION_COLUMNS, mapping).headers
        if "invoice_id" not in headers:
            return
        column = next(c for c in TRANSACTION_COLUMNS if c.name == "invoice_id")
        invoice = converted(column, source, headers["invoice_id"], mapping)
        try:
            con.execute(
                "CREATE TEMP TABLE kam_file_invoices AS "
                f"SELECT DISTINCT {invoice} AS invoice_id FROM {source.relation}"
            )
        except duckdb.Error:
            return
        bounds = con.execute("SELECT min(invoice_id), max(invoice_id) FROM kam_file_invoices")
        lowest, highest = bounds.fetchone() or (None, None)
        if lowest is None:
            return
        # A constant range first: the lake's files are pruned by their invoice_id statistics.
        con.execute(
            f"INSERT INTO {SEED} SELECT * FROM ({lake.select('transactions', write.base)}) t "
            "WHERE t.invoice_id BETWEEN $lowest AND $highest "
            "AND t.invoice_id IN (SELECT invoice_id FROM kam_file_invoices)",
            {"lowest": lowest, "highest": highest},
        )
        con.execute(f"INSERT INTO transactions SELECT * FROM {SEED}")


def _stage_months(
    con: duckdb.DuckDBPyConnection, lake: Lake, write: LakeWrite
) -> tuple[list[object], dict[str, pa.Table]]:
    """Stage every month the import touched, rewritten whole, and its rollups; the months
    and the rollups (for the embedded store)."""
    con.execute(
        f"CREATE TEMP TABLE kam_new AS SELECT * FROM transactions EXCEPT SELECT * FROM {SEED}"
    )
    con.execute(
        f"CREATE TEMP TABLE kam_gone AS SELECT * FROM {SEED} EXCEPT SELECT * FROM transactions"
    )
    months = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT date_trunc('month', date)::DATE AS month FROM "
            "(SELECT date FROM kam_new UNION ALL SELECT date FROM kam_gone) ORDER BY month"
        ).fetchall()
    ]
    listed = "[" + ", ".join(f"DATE '{month}'" for month in months) + "]"
    first, last = months[0], months[-1]
    con.execute(
        "CREATE TEMP TABLE kam_month_lines AS "
        f"SELECT * FROM ({lake.select('transactions', write.base)}) l "
        f"WHERE l.date >= DATE '{first}' AND l.date < DATE '{last}' + INTERVAL 1 MONTH "
        f"AND list_contains({listed}, date_trunc('month', l.date)::DATE) "
        "AND NOT EXISTS (SELECT 1 FROM kam_gone g "
        "WHERE g.invoice_id = l.invoice_id AND g.line_id = l.line_id) "
        "UNION ALL SELECT * FROM kam_new"
    )
    copy_partitioned(
        con, "SELECT * FROM kam_month_lines", "transactions", write.stage_folder("transactions")
    )
    groups = f"({LINE_GROUPS_SELECT.format(lines='kam_month_lines')})"
    rollups = {}
    for table, select in (("customer_month", ROLLUP_SELECT), ("customer_day", PURCHASE_DAY_SELECT)):
        con.execute(f"CREATE TEMP TABLE kam_{table} AS {select.format(groups=groups)}")
        copy_partitioned(con, f"SELECT * FROM kam_{table}", table, write.stage_folder(table))
        rollups[table] = con.execute(f"SELECT * FROM kam_{table}").to_arrow_table()
    return months, rollups


def _mirror_rollups(
    con: duckdb.DuckDBPyConnection,
    months: list[object],
    rollups: dict[str, pa.Table],
    commit_lake: Callable[[], object],
) -> None:
    """Replace the months' rollups in the embedded store, committed right after the lake."""
    listed = "[" + ", ".join(f"DATE '{month}'" for month in months) + "]"
    con.execute("BEGIN TRANSACTION")
    try:
        for table, rows in rollups.items():
            when = "month" if table == "customer_month" else "date_trunc('month', date)::DATE"
            con.execute(f"DELETE FROM {table} WHERE list_contains({listed}, {when})")
            con.register("kam_incoming_rollup", rows)
            con.execute(f"INSERT INTO {table} SELECT * FROM kam_incoming_rollup")
            con.unregister("kam_incoming_rollup")
        commit_lake()
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
