"""The fast path for the first import of transaction lines: straight from the file to the table.

When the transactions table is empty there is nothing to compare against, so the file is
read once, converted strictly (a value that does not convert stops the statement) and
inserted directly; the rules are then checked on the inserted rows. Reading a large file
once instead of twice (into a staging table, then into the store) is most of the cost of
an import. If anything is wrong the caller rolls back and takes the staged path, which
finds every problem with its line; a bad file costs a second read, a good one does not.
"""

from dataclasses import replace

import duckdb

from kam.analytics.ingest.checks import insert_counted
from kam.analytics.ingest.mapping import ColumnMapping
from kam.analytics.ingest.readers import Source, csv_relation, sql_name
from kam.analytics.ingest.stage import converted
from kam.analytics.schema import Column, ColumnType, DocumentType


def insert_first_load(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    columns: tuple[Column, ...],
    headers: dict[str, str],
    mapping: ColumnMapping,
) -> int | None:
    """Insert the file into the empty transactions table; the row count, or None if not clean.

    Must run inside the import's transaction: on None (or a DuckDB error, which means a
    value did not convert) the caller rolls back and checks the file the staged way.
    """
    source = _typed(source, columns, headers, mapping)
    names = ", ".join(sql_name(c.name) for c in columns)
    values = ", ".join(
        f"{converted(c, source, headers.get(c.name), mapping, strict=True)} AS {sql_name(c.name)}"
        for c in columns
    )
    bad = [f"{sql_name(c.name)} IS NULL" for c in columns if c.required]
    bad += [f"NOT isfinite({sql_name(c.name)})" for c in columns if c.type is ColumnType.NUMBER]
    for column in columns:
        if column.type is ColumnType.TEXT and column.name in headers:
            name = sql_name(column.name)
            bad.append(
                f"regexp_matches({name}, '[\\x00-\\x1f\\x7f]')"
                if column.identifier
                else f"contains({name}, chr(0))"
            )
    bad += [
        f"document_type NOT IN {tuple(t.value for t in DocumentType)}",
        f"(quantity < 0 AND document_type = '{DocumentType.INVOICE.value}')",
        "customer_id NOT IN (SELECT customer_id FROM customers)",
    ]
    # error() stops the statement at the first bad row, checked as the rows stream by.
    # The stored order of lines means nothing (a bad file's line numbers come from the
    # staged path), so DuckDB may insert in whatever order its threads finish.
    con.execute("SET preserve_insertion_order = false")
    try:
        inserted = insert_counted(
            con,
            "transactions",
            f"INSERT INTO transactions ({names}) SELECT {names} "
            f"FROM (SELECT {values} FROM {source.relation}) "
            f"WHERE CASE WHEN {' OR '.join(bad)} THEN error('not clean') ELSE true END",
        )
    finally:
        con.execute("RESET preserve_insertion_order")
    duplicates = con.execute(
        "SELECT 1 FROM transactions GROUP BY hash(invoice_id, line_id) HAVING count(*) > 1 LIMIT 1"
    ).fetchall()
    if duplicates:
        return None
    return inserted


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
