"""The one way an import's rules become problems: every check in a single statement.

A check is a SELECT over the staged rows (or the CSV reader's rejects) yielding line,
column, reason and value for each row that breaks a rule. All of an import's checks are
combined into one ``CREATE TABLE kam_problems AS ...``: the rules over the staged rows are
flags computed in one pass over them, each rule's problems selected from the rows that
have a flag set, and no check depends on the ones before it.

It is one statement rather than one INSERT per rule for a reason found the hard way:
DuckDB 1.5 loses every row of a large INSERT (more than about 115,000 rows) into a table
that an earlier INSERT in the same transaction filled from an empty table. One check
finding nothing (no rejected CSV lines) followed by one finding a whole bad column was
exactly that sequence, so a file bad in every row was imported while one bad row was
refused. The problem count is also compared with what the engine said it wrote, so a
problem can never disappear silently.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import duckdb

from kam.analytics.ingest.readers import sql_string
from kam.analytics.ingest.stage import ROWS

PROBLEMS = "kam_problems"
FLAGGED = "kam_flagged"

FoundProblem = tuple[int | None, str | None, str]
"""A problem computed in Python (line, column, reason): a hierarchy cycle, a whole-file fault."""


class StoreWriteError(RuntimeError):
    """The engine wrote a different number of rows than it reported; the import rolls back."""


@dataclass(frozen=True)
class Check:
    """One rule as SQL: the rows of ``source`` matching ``where`` break it.

    ``column`` is the header as the file names it (None for a whole-line problem, or
    ``column_sql`` computes it per row); ``reason`` and ``value`` are SQL expressions
    over ``source``, which must have a ``line`` column.
    """

    column: str | None
    where: str
    reason: str
    value: str = "NULL"
    source: str = ROWS
    column_sql: str | None = None

    def select(self) -> str:
        """The SELECT yielding this rule's problems."""
        column = self.column_sql or (sql_string(self.column) if self.column else "NULL")
        return (
            f'SELECT CAST(line AS BIGINT) AS line, CAST({column} AS VARCHAR) AS "column", '
            f"CAST({self.reason} AS VARCHAR) AS reason, CAST({self.value} AS VARCHAR) AS value "
            f"FROM {self.source} WHERE {self.where}"
        )


def create_problems_table(con: duckdb.DuckDBPyConnection) -> None:
    """An empty problems table: line (NULL for the whole file), column, reason, value."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {PROBLEMS} "
        '(line BIGINT, "column" VARCHAR, reason VARCHAR, value VARCHAR)'
    )


def add_problem(
    con: duckdb.DuckDBPyConnection, column: str | None, reason: str, line: int | None = None
) -> None:
    """Record one whole-file problem found before the rows are staged."""
    con.execute(f"INSERT INTO {PROBLEMS} VALUES (?, ?, ?, NULL)", [line, column, reason])


def run_checks(
    con: duckdb.DuckDBPyConnection, checks: Sequence[Check], found: Iterable[FoundProblem] = ()
) -> int:
    """Replace the problems table by every problem ``checks`` find, plus ``found``; the count."""
    found = list(found)
    if checks:
        written = _first(
            con.execute(f"CREATE OR REPLACE TEMP TABLE {PROBLEMS} AS {_one_pass(checks)}")
        )
    else:
        create_problems_table(con)
        written = 0
    if found:
        con.executemany(
            f"INSERT INTO {PROBLEMS} VALUES (?, ?, ?, NULL)",
            [[line, column, reason] for line, column, reason in found],
        )
    counted = problem_count(con)
    if counted != written + len(found):
        raise StoreWriteError(
            f"the checks found {written + len(found)} problems but {counted} were recorded; "
            "nothing was imported"
        )
    return counted


def _one_pass(checks: Sequence[Check]) -> str:
    """The statement yielding every problem, reading the staged rows once.

    Every rule over the staged rows becomes a flag computed in one pass; only the rows with
    a flag set are kept (none, in a clean file), and each rule's problems are selected from
    those. Checks over other sources (the CSV reader's rejects, the rows of duplicate keys)
    read their own, smaller, tables.
    """
    on_rows = [check for check in checks if check.source == ROWS]
    others = [check.select() for check in checks if check.source != ROWS]
    if not on_rows:
        return " UNION ALL ".join(others)
    flags = [f"__kam_rule_{index}" for index in range(len(on_rows))]
    computed = ", ".join(
        f"coalesce({check.where}, false) AS {flag}"
        for check, flag in zip(on_rows, flags, strict=True)
    )
    flagged = (
        f"WITH {FLAGGED} AS MATERIALIZED (SELECT * FROM (SELECT *, {computed} FROM {ROWS}) "
        f"WHERE {' OR '.join(flags)}) "
    )
    # Aliased as the staged rows, so that a rule naming them (a correlated lookup) still reads.
    selects = [
        replace(check, where=flag, source=f"{FLAGGED} AS {ROWS}").select()
        for check, flag in zip(on_rows, flags, strict=True)
    ]
    return flagged + " UNION ALL ".join(selects + others)


def problem_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many problems the import has recorded."""
    return _first(con.execute(f"SELECT count(*) FROM {PROBLEMS}"))


def insert_counted(con: duckdb.DuckDBPyConnection, table: str, sql: str) -> int:
    """Run ``INSERT INTO table ...`` (``sql``) and prove the table grew by what it reported.

    Every write of an import goes through here: a short count is a StoreWriteError, which
    rolls the import back instead of committing rows that are not there.
    """
    before = _first(con.execute(f"SELECT count(*) FROM {table}"))
    reported = _first(con.execute(sql))
    grown = _first(con.execute(f"SELECT count(*) FROM {table}")) - before
    if grown != reported:
        raise StoreWriteError(
            f"writing {table}: the engine reported {reported} rows but the table grew by "
            f"{grown}; the import was rolled back"
        )
    return reported


def _first(cursor: duckdb.DuckDBPyConnection) -> int:
    row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def length_checks(headers: Mapping[str, str], limits: Mapping[str, int]) -> list[Check]:
    """A check per column of ``limits`` the file has (``headers``: canonical name → the
    file's header): a value longer than its limit breaks it."""
    return [
        Check(
            headers[name],
            f"length({name}) > {limit}",
            f"'longer than {limit} characters'",
            f"left({name}, 80)",
        )
        for name, limit in limits.items()
        if name in headers
    ]
