"""The statement that records problems and the write guard: no row can vanish unnoticed."""

import duckdb
import pytest

from kam.analytics.ingest.checks import (
    PROBLEMS,
    Check,
    StoreWriteError,
    insert_counted,
    run_checks,
)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE kam_rows AS SELECT i + 2 AS line, NULL::VARCHAR AS name "
                "FROM range(200000) t(i)")  # fmt: skip
    con.execute("CREATE TEMP TABLE nothing AS SELECT 1 AS line WHERE false")
    return con


def test_every_check_finding_nothing_or_everything_is_recorded_in_a_transaction(con):
    # An empty check followed by one finding every row: the sequence that used to lose them.
    checks = [
        Check(None, "true", "'malformed line'", source="nothing"),
        Check("name", "name IS NULL", "'empty required value'"),
    ]
    con.execute("BEGIN TRANSACTION")

    found = run_checks(con, checks, [(7, "parent_id", "hierarchy cycle: A -> B -> A")])

    assert found == 200_001
    assert con.execute(f"SELECT count(*), min(line) FROM {PROBLEMS}").fetchone() == (200_001, 2)


def test_a_write_the_engine_loses_is_never_committed_silently(con):
    # DuckDB 1.5 drops a large INSERT into a table that took an INSERT from an empty table
    # earlier in the same transaction; the guard must either see every row or refuse.
    con.execute("CREATE TABLE target (line BIGINT)")
    con.execute("BEGIN TRANSACTION")
    insert_counted(con, "target", "INSERT INTO target SELECT line FROM nothing")

    refusal = None
    try:
        insert_counted(con, "target", "INSERT INTO target SELECT line FROM kam_rows")
    except StoreWriteError as error:
        refusal = str(error)

    if refusal is None:
        assert con.execute("SELECT count(*) FROM target").fetchone() == (200_000,)
    else:
        assert "the engine reported 200000 rows but the table grew by 0" in refusal
