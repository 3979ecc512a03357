"""Import customers and transaction lines into the analytical store: atomic, idempotent, checked.

Every step runs inside DuckDB, in one transaction: read the file into a staging table
(every CSV value read as text, so no value is guessed at), run every check into a
problems table in one statement, and only when there is no problem upsert the rows and
(for transaction lines) recompute the ``customer_month`` and ``customer_day`` rollups of
the customers they touch. A refused file leaves the store exactly as it was.
"""

from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from kam.analytics.ingest.checks import add_problem, create_problems_table, run_checks
from kam.analytics.ingest.fast import CLEAN, stage_clean, unknown_customer
from kam.analytics.ingest.lines import match_stored, negative_on_an_invoice, write_lines
from kam.analytics.ingest.load import UpsertCounts, upsert
from kam.analytics.ingest.mapping import ColumnMapping
from kam.analytics.ingest.problems import ImportKind, ImportRefused, ImportReport
from kam.analytics.ingest.progress import STAGES, never_backwards, tell, watching
from kam.analytics.ingest.readers import ReadError, Source, open_source, sql_name
from kam.analytics.ingest.refusal import refusal
from kam.analytics.ingest.stage import STAGE, build_stage, match_columns
from kam.analytics.ingest.validate import (
    check_csv_shape,
    check_customer_rules,
    check_required,
    check_text,
    check_transaction_rules,
    check_typed,
    find_cycles,
)
from kam.analytics.progress import Progress
from kam.analytics.schema import CUSTOMER_COLUMNS, TRANSACTION_COLUMNS, Column
from kam.analytics.store import AnalyticsStore

CustomerMirror = Callable[[pa.RecordBatchReader], None]
"""Receives the checked customer rows before the store commits; raising rolls it back."""


def import_customers(
    store: AnalyticsStore,
    path: Path | str,
    *,
    mapping: ColumnMapping | None = None,
    progress: Progress | None = None,
    file_label: str | None = None,
    problems_csv: Path | str | None = None,
    mirror: CustomerMirror | None = None,
    max_lengths: Mapping[str, int] | None = None,
) -> ImportReport:
    """Upsert the customer master from a CSV, Parquet or Excel file, keyed by customer_id.

    Raises ImportRefused (nothing written) if any row breaks a rule. A column the file
    does not have keeps its stored value; an empty cell in a column it has empties it.
    ``mirror`` receives the file's customer rows as Arrow batches before the store
    commits, with only the columns the file has (customer_id and name always); if it
    raises, the store is rolled back and the error propagates. ``max_lengths`` caps text
    columns (the operational database's field sizes).
    """
    return _import(
        "customers",
        store,
        Path(path),
        mapping=mapping or ColumnMapping(),
        progress=progress,
        file_label=file_label,
        problems_csv=problems_csv,
        mirror=mirror,
        max_lengths=max_lengths or {},
    )


def import_transactions(
    store: AnalyticsStore,
    path: Path | str,
    *,
    mapping: ColumnMapping | None = None,
    progress: Progress | None = None,
    file_label: str | None = None,
    problems_csv: Path | str | None = None,
) -> ImportReport:
    """Upsert transaction lines keyed by (invoice_id, line_id) and refresh the rollups.

    Raises ImportRefused (nothing written) if any row breaks a rule; every customer must
    have been imported first.
    """
    return _import(
        "transactions",
        store,
        Path(path),
        mapping=mapping or ColumnMapping(),
        progress=progress,
        file_label=file_label,
        problems_csv=problems_csv,
        mirror=None,
        max_lengths={},
    )


def _import(
    kind: ImportKind,
    store: AnalyticsStore,
    path: Path,
    *,
    mapping: ColumnMapping,
    progress: Progress | None,
    file_label: str | None,
    problems_csv: Path | str | None,
    mirror: CustomerMirror | None,
    max_lengths: Mapping[str, int],
) -> ImportReport:
    columns = CUSTOMER_COLUMNS if kind == "customers" else TRANSACTION_COLUMNS
    label = file_label or path.name
    progress = never_backwards(progress)
    with store.connect() as backend:
        con: duckdb.DuckDBPyConnection = backend.con
        con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
        transaction = _Transaction(con)
        try:
            report = _run(
                kind,
                con,
                transaction,
                path,
                columns,
                mapping,
                progress,
                label,
                problems_csv,
                max_lengths,
                mirror,
            )
            if report.refused:
                raise ImportRefused(report)
            transaction.commit()
        except BaseException:
            transaction.rollback()
            raise
    tell(progress, "done", 1.0)
    return report


class _Transaction:
    """The store transaction an import writes in, begun once the staging table exists.

    Staging happens before it begins: temporary tables only, which the store never sees;
    a table created outside a transaction numbers its rows in file order, and is read
    about twice as fast as one the open transaction wrote.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.open = False

    def begin(self) -> None:
        self.con.execute("BEGIN TRANSACTION")
        self.open = True

    def commit(self) -> None:
        if self.open:
            self.con.execute("COMMIT")
            self.open = False

    def rollback(self) -> None:
        if self.open:
            self.con.execute("ROLLBACK")
            self.open = False


def _run(
    kind: ImportKind,
    con: duckdb.DuckDBPyConnection,
    transaction: _Transaction,
    path: Path,
    columns: tuple[Column, ...],
    mapping: ColumnMapping,
    progress: Progress | None,
    label: str,
    problems_csv: Path | str | None,
    max_lengths: Mapping[str, int],
    mirror: CustomerMirror | None,
) -> ImportReport:
    create_problems_table(con)
    unit = "row" if path.suffix.lower() in (".parquet", ".xlsx") else "line"
    tell(progress, "reading", 0.0)
    try:
        source = open_source(con, path)
    except ReadError as error:
        add_problem(con, None, str(error))
        return refusal(con, kind, label, unit, 0, (), problems_csv)
    matched = match_columns(source, columns, mapping)
    names = ", ".join(c.name for c in columns)
    for name in matched.unknown_mapped:
        add_problem(con, name, f"the column mapping names {name!r}, not a {kind} column ({names})")
    found = ", ".join(source.columns) or "none"
    for name in matched.missing:
        header = mapping.header_for(name)
        mapped = f" (mapped to {header!r})" if header != name else ""
        add_problem(
            con, name, f"missing required column {name}{mapped}; the file has columns: {found}"
        )
    if matched.missing or matched.unknown_mapped:
        return refusal(con, kind, label, unit, 0, matched.ignored, problems_csv)

    if kind == "transactions":
        fast = _fast_load(con, transaction, source, columns, matched.headers, mapping, progress)
        if fast is not None:
            return _imported(kind, label, *fast, matched.ignored)

    with watching(con, progress, "reading"):
        try:
            rows = build_stage(con, source, columns, matched.headers, mapping)
        except duckdb.Error as error:
            add_problem(con, None, f"cannot read the file: {str(error).splitlines()[0]}")
            return refusal(con, kind, label, unit, 0, matched.ignored, problems_csv)
    # Checks that read the store run inside the transaction that writes, so what they
    # checked against is what the rows land next to.
    transaction.begin()
    tell(progress, "checking", STAGES["checking"][0])
    with watching(con, progress, "checking"):
        problems = _check_all(
            kind, con, source, columns, matched.headers, mapping, unit, max_lengths
        )
    if problems:
        return refusal(con, kind, label, unit, rows, matched.ignored, problems_csv)

    if kind == "customers":
        tell(progress, "writing", STAGES["writing"][0])
        with watching(con, progress, "writing"):
            counts = upsert(con, "customers", columns, ("customer_id",), present=matched.headers)
        if mirror is not None:
            # Only the file's columns: one it does not have leaves the accounts' value alone.
            present = ", ".join(sql_name(c.name) for c in columns if c.name in matched.headers)
            mirror(con.execute(f"SELECT {present} FROM {STAGE}").to_arrow_reader(50_000))
    else:
        stored = match_stored(con, STAGE, columns, matched.headers)
        counts = write_lines(con, STAGE, columns, matched.headers, stored, progress)
    return _imported(kind, label, rows, counts, matched.ignored)


def _imported(
    kind: ImportKind, label: str, rows: int, counts: UpsertCounts, ignored: tuple[str, ...]
) -> ImportReport:
    return ImportReport(
        kind=kind,
        file=label,
        rows=rows,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        ignored_columns=ignored,
    )


def _fast_load(
    con: duckdb.DuckDBPyConnection,
    transaction: _Transaction,
    source: Source,
    columns: tuple[Column, ...],
    headers: dict[str, str],
    mapping: ColumnMapping,
    progress: Progress | None,
) -> tuple[int, UpsertCounts] | None:
    """Import a clean file of lines reading it once; None (rolled back) if it is not clean.

    The staged path then reads the file again as text and names every problem.
    """
    with watching(con, progress, "loading"):
        rows = stage_clean(con, source, columns, headers, mapping)
    if rows is None:
        con.execute("RESET preserve_insertion_order")  # the staged path numbers rows in order
        return None
    transaction.begin()
    if unknown_customer(con):
        transaction.rollback()
        return None
    found = match_stored(con, CLEAN, columns, headers)
    if "document_type" not in headers and negative_on_an_invoice(con, CLEAN):
        transaction.rollback()
        return None
    return rows, write_lines(con, CLEAN, columns, headers, found, progress)


def _check_all(
    kind: ImportKind,
    con: duckdb.DuckDBPyConnection,
    source: Source,
    columns: tuple[Column, ...],
    headers: Mapping[str, str],
    mapping: ColumnMapping,
    unit: str,
    max_lengths: Mapping[str, int],
) -> int:
    """Run every rule over the staged rows; the number of problems found."""
    checks = check_csv_shape() if source.is_csv else []
    checks += check_required(columns, headers)
    checks += check_text(columns, headers)
    checks += check_typed(columns, headers, mapping.date_format)
    if kind == "customers":
        checks += check_customer_rules(headers, unit, max_lengths)
        return run_checks(con, checks, find_cycles(con, headers))
    checks += check_transaction_rules(con, headers, unit)
    return run_checks(con, checks)
