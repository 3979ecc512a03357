"""The fast path for transaction lines: a clean file is read once, typed and checked as it streams.

Most files are clean, so an import first assumes this one is: the file is read in one
pass into a typed temporary table, converted strictly (a value that does not convert
stops the statement) with every per-row rule checked as the rows stream by (DuckDB's
``error()`` stops the statement at the first bad row), and duplicate keys are looked
for in that table. Anything wrong and the caller rolls back and takes the staged path,
which reads every value as text and names every problem with its line: a bad file costs
one extra read (usually cut short at its first bad row), a clean one none.
"""

from dataclasses import replace

import duckdb

from kam.analytics.ingest.mapping import ColumnMapping
from kam.analytics.ingest.readers import Source, csv_relation, sql_name
from kam.analytics.ingest.stage import converted
from kam.analytics.schema import Column, ColumnType, DocumentType

CLEAN = "kam_clean"
"""The fast path's staging table: the file's rows with their store types, nothing else."""

CONTROL = "[\\x00-\\x1f\\x7f]"
"""A line break, tab or other control character: never in an identifier."""


def stage_clean(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    columns: tuple[Column, ...],
    headers: dict[str, str],
    mapping: ColumnMapping,
) -> int | None:
    """Create ``kam_clean`` from the file; its row count, or None if any row breaks a rule.

    After None the caller runs ``RESET preserve_insertion_order``.

    Checks every rule but those that read the store: customers that exist
    (``unknown_customer``) and a negative quantity on a line stored as a credit note
    (``lines.negative_on_an_invoice``), both checked inside the import's transaction. Runs
    before that transaction begins: DuckDB scans a temporary table its own open
    transaction wrote at about half the speed of a committed one, and every later step
    (the duplicate keys, the rollups, the write) reads this one.
    """
    source = _typed(source, columns, headers, mapping)
    values = ", ".join(
        f"{converted(c, source, headers.get(c.name), mapping, strict=True)} AS {sql_name(c.name)}"
        for c in columns
    )
    # error() stops the statement at the first bad row, checked as the rows stream by.
    # The order of the staged rows means nothing here (a bad file's line numbers come from
    # the staged path), so DuckDB may stage them in whatever order its threads finish.
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {CLEAN} AS SELECT * "
            f"FROM (SELECT {values} FROM {source.relation}) "
            f"WHERE CASE WHEN {' OR '.join(_broken(columns, headers))} "
            "THEN error('not clean') ELSE true END"
        )
    except duckdb.Error:
        # A value that did not convert or a rule broken: the staged path says where. The
        # caller resets the setting.
        return None
    con.execute("RESET preserve_insertion_order")
    # Grouping a 64-bit hash is several times faster than grouping two strings; a
    # collision only sends the file down the staged path, which compares exactly.
    duplicates = con.execute(
        f"SELECT 1 FROM {CLEAN} GROUP BY hash(invoice_id, line_id) HAVING count(*) > 1 LIMIT 1"
    ).fetchall()
    if duplicates:
        return None
    row = con.execute(f"SELECT count(*) FROM {CLEAN}").fetchone()
    return int(row[0]) if row else 0


def _broken(columns: tuple[Column, ...], headers: dict[str, str]) -> list[str]:
    """SQL conditions, any of which true means the row breaks a rule."""
    bad = [f"{sql_name(c.name)} IS NULL" for c in columns if c.required]
    bad += [f"NOT isfinite({sql_name(c.name)})" for c in columns if c.type is ColumnType.NUMBER]
    texts = [c for c in columns if c.type is ColumnType.TEXT and c.name in headers]
    # One search over the values run together costs about what one column's search does.
    identifiers = ", ".join(sql_name(c.name) for c in texts if c.identifier)
    others = ", ".join(sql_name(c.name) for c in texts if not c.identifier)
    if identifiers:
        bad.append(f"regexp_matches(concat({identifiers}), '{CONTROL}')")
    if others:
        bad.append(f"contains(concat({others}), chr(0))")
    bad.append(f"document_type NOT IN {tuple(t.value for t in DocumentType)}")
    if "document_type" in headers:
        # Without the column a line stored as a credit note stays one: checked against the
        # stored lines once they are matched.
        bad.append(f"(quantity < 0 AND document_type = '{DocumentType.INVOICE.value}')")
    return bad


def unknown_customer(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a line of ``kam_clean`` names a customer the store does not hold.

    Asked inside the import's transaction, so the customers checked against are the ones
    the lines land next to.
    """
    return bool(
        con.execute(
            f"SELECT 1 FROM {CLEAN} WHERE customer_id NOT IN (SELECT customer_id FROM customers) "
            "LIMIT 1"
        ).fetchall()
    )


def _typed(
    source: Source, columns: tuple[Column, ...], headers: dict[str, str], mapping: ColumnMapping
) -> Source:
    """A CSV source read in parallel, its dates and numbers parsed by the reader itself.

    Both are cheaper than reading text into a rejects-collecting scan and casting. A line
    the reader cannot take (wrong field count, bad encoding, a value that does not parse)
    stops the read with an error, which sends the import down the staged path to name the
    problem. Dates in a custom format stay text for the cast.
    """
    if not source.is_csv or source.path is None:
        return source
    typed = {
        headers[c.name]: c.type.value
        for c in columns
        if c.name in headers
        and (c.type is ColumnType.NUMBER or (c.type is ColumnType.DATE and not mapping.date_format))
    }
    types = {header: typed.get(header, "VARCHAR") for header in source.columns}
    return replace(source, relation=csv_relation(source.path, types), columns=types)
