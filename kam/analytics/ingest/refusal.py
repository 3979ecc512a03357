"""A refused import's report: the first problems in file order, and all of them as a CSV."""

from pathlib import Path

import duckdb

from kam.analytics.ingest.checks import PROBLEMS, problem_count
from kam.analytics.ingest.problems import (
    MAX_REPORTED_PROBLEMS,
    ImportKind,
    ImportReport,
    RowProblem,
)
from kam.analytics.ingest.readers import sql_string


def refusal(
    con: duckdb.DuckDBPyConnection,
    kind: ImportKind,
    label: str,
    unit: str,
    rows: int,
    ignored: tuple[str, ...],
    problems_csv: Path | str | None,
) -> ImportReport:
    """The report of a refused file, naming its problems; optionally all of them in a CSV."""
    order = 'ORDER BY line NULLS FIRST, "column", reason'
    fetched = con.execute(
        f'SELECT line, "column", reason, value FROM {PROBLEMS} {order} '
        f"LIMIT {MAX_REPORTED_PROBLEMS}"
    ).fetchall()
    problems = tuple(
        RowProblem(
            file=label,
            line=line,
            column=column,
            reason=reason,
            value=value,
            unit="row" if unit == "row" else "line",
        )
        for line, column, reason, value in fetched
    )
    if problems_csv is not None:
        con.execute(
            f'COPY (SELECT {sql_string(label)} AS file, line AS {unit}, "column", reason, value '
            f"FROM {PROBLEMS} {order}) TO {sql_string(str(problems_csv))} (HEADER, DELIMITER ',')"
        )
    return ImportReport(
        kind=kind,
        file=label,
        rows=rows,
        problems=problems,
        problem_count=problem_count(con),
        ignored_columns=ignored,
    )
