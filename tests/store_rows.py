"""Rows written straight into a test's analytical store, as one statement.

DuckDB's ``executemany`` runs its statement once a row, about 5 ms each on a busy machine:
the 720 monthly rows of the programme tests took 4 s of every test's set-up. ``insert_rows``
sends the same rows as one Arrow table through the same ``VALUES`` list instead."""

import re
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

_INSERT = re.compile(r"\s*INSERT INTO (\w+) VALUES \((.*)\)\s*", re.DOTALL | re.IGNORECASE)


def insert_rows(raw: Any, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """Insert ``rows`` with ``sql``, an ``INSERT INTO table VALUES (...)`` whose ``?`` each
    take one value of a row in turn (the other values are SQL, e.g. ``NULL`` or ``?::DATE``),
    into the DuckDB connection ``raw`` — what ``raw.executemany(sql, rows)`` would insert."""
    match = _INSERT.fullmatch(sql)
    if match is None:
        raise ValueError(f"not a one-row INSERT INTO table VALUES (...): {sql!r}")
    table, values = match.groups()
    pieces = values.split("?")
    if len(pieces) == 1:
        raise ValueError(f"no ? to take a row's values in {sql!r}")
    rows = [tuple(row) for row in rows]
    if not rows:
        return
    if any(len(row) != len(pieces) - 1 for row in rows):
        raise ValueError(f"every row needs {len(pieces) - 1} values for {sql!r}")
    columns = {f"p{i}": pa.array([row[i] for row in rows]) for i in range(len(pieces) - 1)}
    select = "".join(f"{piece}p{i}" for i, piece in enumerate(pieces[:-1])) + pieces[-1]
    raw.register("_test_rows", pa.table(columns))
    try:
        raw.execute(f"INSERT INTO {table} SELECT {select} FROM _test_rows")
    finally:
        raw.unregister("_test_rows")
