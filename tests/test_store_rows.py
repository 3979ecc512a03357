"""``insert_rows`` writes what DuckDB's ``executemany`` would, in one statement."""

from datetime import date

import duckdb
import pytest
from store_rows import insert_rows

TABLE = "CREATE TABLE t (id VARCHAR, day DATE, revenue DOUBLE, note VARCHAR, kind VARCHAR)"
ROWS = [
    ("A", "2024-01-31", 100, None),
    ("B", "2024-02-29", 12.5, "late"),
    ("C", "2024-03-31", None, None),
]


@pytest.mark.parametrize(
    ("sql", "rows"),
    [
        ("INSERT INTO t VALUES (?, ?::DATE, ?, ?, 'invoice')", ROWS),
        (
            "INSERT INTO t VALUES (?, ?, ?, NULL, ?)",
            [(i, date(2024, 1, 1), 1.0, "x") for i in "xy"],
        ),
    ],
)
def test_the_rows_are_those_executemany_writes(sql, rows):
    tables = []
    for write in (lambda con: con.executemany(sql, rows), lambda con: insert_rows(con, sql, rows)):
        con = duckdb.connect()
        con.execute(TABLE)
        write(con)
        tables.append(con.execute("SELECT * FROM t").fetchall())
    assert tables[0] == tables[1]
    assert len(tables[1]) == len(rows)


@pytest.mark.parametrize(
    ("sql", "rows", "message"),
    [
        ("INSERT INTO t SELECT 1", [(1,)], "not a one-row INSERT"),
        ("INSERT INTO t VALUES ('a', NULL, 1, NULL, 'x')", [()], "no \\?"),
        ("INSERT INTO t VALUES (?, NULL, ?, NULL, 'x')", [("a",)], "every row needs 2"),
    ],
)
def test_a_statement_it_cannot_rewrite_is_refused(sql, rows, message):
    with pytest.raises(ValueError, match=message):
        insert_rows(duckdb.connect(), sql, rows)
