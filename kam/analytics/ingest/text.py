"""Smaller imports (contacts, ratings) read and checked the way customers and lines are.

A CSV file is read by the same reader (every value as text, header width checked first,
malformed lines collected), its rows staged with their line numbers, and the shared rules
(required values, no NUL bytes, no control characters in identifiers, CSV shape) run with
the caller's own checks in one statement. A file that cannot be read as rows at all is
refused (ImportRefused); otherwise its rows come back as an Arrow table of text with every
problem the rules found, so a caller with rules of its own (contacts' reporting lines)
names them all in one refusal. It runs in a private in-memory DuckDB: nothing is stored.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from kam.analytics.ingest.checks import Check, add_problem, create_problems_table, run_checks
from kam.analytics.ingest.mapping import ColumnMapping
from kam.analytics.ingest.problems import ImportKind, ImportRefused, RowProblem
from kam.analytics.ingest.readers import (
    CSV_SUFFIXES,
    ReadError,
    check_csv_header,
    open_source,
    sql_name,
)
from kam.analytics.ingest.refusal import refusal
from kam.analytics.ingest.stage import ROWS, build_stage, match_columns
from kam.analytics.ingest.validate import check_csv_shape, check_required, check_text
from kam.analytics.schema import Column


@dataclass(frozen=True)
class CheckedRows:
    """A CSV's rows as text (canonical column names, plus ``line``) and what is wrong with them.

    ``problems`` holds the first MAX_REPORTED_PROBLEMS in file order; the file may be
    written only when it is empty.
    """

    rows: pa.Table
    problems: tuple[RowProblem, ...]


ExtraChecks = Callable[[Mapping[str, str]], list[Check]]
"""The caller's rules, given which header feeds each column; SQL over ``kam_rows``."""


def read_checked_csv(
    kind: ImportKind,
    path: Path,
    columns: tuple[Column, ...],
    *,
    file_label: str,
    checks: ExtraChecks | None = None,
    tables: Mapping[str, pa.Table] | None = None,
    refuse_unknown_columns: bool = False,
    max_columns: int = 100,
    excel: bool = False,
) -> CheckedRows:
    """The file's rows and every problem the shared rules and ``checks`` find in them.

    With ``excel`` an .xlsx workbook is read too (its first sheet; problems name rows as
    Excel numbers them). Raises ImportRefused when the file cannot be read as rows (not
    CSV, a missing column).
    ``tables`` are registered under their names for ``checks`` to look values up in
    (known accounts, users). Empty cells are NULL; values are trimmed.
    """
    con = duckdb.connect(config={"memory_limit": "1GB", "threads": 2})
    try:
        return _read(
            kind,
            con,
            path,
            columns,
            file_label,
            checks,
            tables or {},
            refuse_unknown_columns,
            max_columns,
            excel,
        )
    finally:
        con.close()


def _read(
    kind: ImportKind,
    con: duckdb.DuckDBPyConnection,
    path: Path,
    columns: tuple[Column, ...],
    label: str,
    checks: ExtraChecks | None,
    tables: Mapping[str, pa.Table],
    refuse_unknown: bool,
    max_columns: int,
    excel: bool = False,
) -> CheckedRows:
    create_problems_table(con)
    is_excel = excel and path.suffix.lower() == ".xlsx"
    try:
        if path.suffix.lower() not in CSV_SUFFIXES and not is_excel:
            also = " or Excel (.xlsx)" if excel else ""
            raise ReadError(f"cannot import a {path.suffix or 'suffix-less'} file; use CSV{also}")
        if not is_excel:
            check_csv_header(path, max_columns)
        source = open_source(con, path)
    except ReadError as error:
        add_problem(con, None, str(error))
        raise ImportRefused(refusal(con, kind, label, "line", 0, (), None)) from None
    unit = "line" if source.is_csv else "row"
    matched = match_columns(source, columns, ColumnMapping())
    expected = ", ".join(c.name for c in columns)
    for name in matched.missing:
        add_problem(con, name, f"missing required column {name}; expected {expected}", line=1)
    if refuse_unknown:
        for header in matched.ignored:
            add_problem(con, header, f"unknown column; expected any of {expected}", line=1)
    if matched.missing or (refuse_unknown and matched.ignored):
        raise ImportRefused(refusal(con, kind, label, unit, 0, matched.ignored, None))
    rows = build_stage(con, source, columns, matched.headers, ColumnMapping())
    for name, table in tables.items():
        con.register(name, table)
    found = (check_csv_shape() if source.is_csv else []) + check_required(columns, matched.headers)
    found += check_text(columns, matched.headers)
    found += checks(matched.headers) if checks else []
    problems: tuple[RowProblem, ...] = ()
    if run_checks(con, found):
        problems = refusal(con, kind, label, unit, rows, matched.ignored, None).problems
    names = ", ".join(sql_name(c.name) for c in columns)
    table = con.execute(f"SELECT line, {names} FROM {ROWS} ORDER BY line").to_arrow_table()
    return CheckedRows(table, problems)
