"""Turn an opened file into a typed staging table, keeping the text of every bad value.

The staging table ``kam_stage`` has the canonical columns with their store types. Each
date or number column also has a ``<name>__raw`` column holding the file's text only
where it did not convert (NULL otherwise, so it costs almost nothing on a good file).
The view ``kam_rows`` adds each row's line number for the checks.
"""

import re
from dataclasses import dataclass

import duckdb

from kam.analytics.ingest.mapping import ColumnMapping
from kam.analytics.ingest.readers import REJECTS_TABLE, Source, sql_name, sql_string
from kam.analytics.schema import Column, ColumnType, DocumentType

STAGE = "kam_stage"
ROWS = "kam_rows"

DEFAULTS = {"document_type": DocumentType.INVOICE.value}
"""Values an empty (or absent) column takes; these columns are also matched case-blind."""


@dataclass(frozen=True)
class MatchedColumns:
    """Which file header feeds each canonical column, and what could not be matched."""

    headers: dict[str, str]
    missing: tuple[str, ...]
    unknown_mapped: tuple[str, ...]
    ignored: tuple[str, ...]


def match_columns(
    source: Source, columns: tuple[Column, ...], mapping: ColumnMapping
) -> MatchedColumns:
    """Find each canonical column's header: as mapped, else by name ignoring case and spaces.

    "Customer ID", "customerid" and "CUSTOMER-ID" all match customer_id.
    """
    by_folded = {_fold(header): header for header in reversed(source.columns)}
    headers: dict[str, str] = {}
    for column in columns:
        wanted = mapping.header_for(column.name)
        header = wanted if wanted in source.columns else by_folded.get(_fold(wanted))
        if header is not None:
            headers[column.name] = header
    names = {column.name for column in columns}
    return MatchedColumns(
        headers=headers,
        missing=tuple(c.name for c in columns if c.required and c.name not in headers),
        unknown_mapped=tuple(sorted(set(mapping.columns) - names)),
        ignored=tuple(h for h in source.columns if h not in set(headers.values())),
    )


def _fold(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", header.lower())


def converted(
    column: Column,
    source: Source,
    header: str | None,
    mapping: ColumnMapping,
    *,
    strict: bool = False,
) -> str:
    """SQL for a column's store value from the file's ``header``.

    A value that does not convert is NULL, or with ``strict`` an error that stops the
    statement (the fast path for a first import relies on that).
    """
    if header is None:
        if column.name in DEFAULTS:
            return sql_string(DEFAULTS[column.name])
        return f"NULL::{column.type.value}"
    src = sql_name(header)
    is_text = source.columns[header] == "VARCHAR"
    text = src if is_text else f"CAST({src} AS VARCHAR)"
    if column.name in DEFAULTS:
        return f"coalesce(lower({trimmed(text)}), {sql_string(DEFAULTS[column.name])})"
    if column.type is ColumnType.TEXT:
        return trimmed(text)
    cast = "CAST" if strict else "TRY_CAST"
    target = column.type.value
    plain = f"{cast}({trimmed(src)} AS {target})" if is_text else f"{cast}({src} AS {target})"
    if column.type is ColumnType.DATE and is_text and mapping.date_format:
        # Excel date cells arrive as ISO text whatever the file's own format
        fmt = sql_string(mapping.date_format)
        return f"coalesce(TRY_CAST(TRY_STRPTIME(trim({src}), {fmt}) AS DATE), {plain})"
    return plain


def trimmed(text: str) -> str:
    """SQL for ``text`` trimmed, NULL if empty: ``NULLIF(trim(text), '')``, but cheaper.

    DuckDB's trim decodes every character of every value to find the spaces at its ends
    (any Unicode space separator), which made it the dearest step of reading a clean file.
    A value of ASCII characters only (as many bytes as characters) that neither starts nor
    ends with a space is its own trim, and that is quick to tell; only other values are
    trimmed.
    """
    return (
        f"CASE WHEN {text} LIKE ' %' OR {text} LIKE '% ' OR strlen({text}) <> length({text}) "
        f"THEN NULLIF(trim({text}), '') ELSE NULLIF({text}, '') END"
    )


def build_stage(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    columns: tuple[Column, ...],
    headers: dict[str, str],
    mapping: ColumnMapping,
) -> int:
    """Create ``kam_stage`` and ``kam_rows`` from the file in one pass; return the row count."""
    inner, outer = [], []
    if source.line_expr:
        inner.append(f"{source.line_expr} AS __kam_line")  # the file may have a "line"
        outer.append("__kam_line AS line")
    for column in columns:
        name = sql_name(column.name)
        header = headers.get(column.name)
        value = converted(column, source, header, mapping)
        if column.type is ColumnType.TEXT:
            outer.append(f"{value} AS {name}")
            continue
        raw = sql_name(f"{column.name}__raw")
        if header is None:
            outer += [f"{value} AS {name}", f"NULL::VARCHAR AS {raw}"]
            continue
        typed = sql_name(f"{column.name}__v")
        good = f"isfinite({typed})" if column.type is ColumnType.NUMBER else f"{typed} IS NOT NULL"
        src = sql_name(header)
        text = src if source.columns[header] == "VARCHAR" else f"CAST({src} AS VARCHAR)"
        inner.append(f"{value} AS {typed}")
        outer.append(f"CASE WHEN {good} THEN {typed} END AS {name}")
        outer.append(f"CASE WHEN {good} THEN NULL ELSE NULLIF(trim({text}), '') END AS {raw}")
    inner.append("*")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT {', '.join(outer)} "
        f"FROM (SELECT {', '.join(inner)} FROM {source.relation})"
    )
    _create_rows_view(con, source)
    count = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()
    return int(count[0]) if count else 0


def _create_rows_view(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    if not source.is_csv:
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {ROWS} AS SELECT rowid AS stage_row, * FROM {STAGE}"
        )
        return
    # Rows are staged in file order, so a row's line is its position plus the header,
    # plus every rejected line before it. Reject j (1-based, at line r) has r - 1 - j
    # accepted rows before it; a staged row at position k comes after it when that is <= k.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE kam_reject_gaps AS "
        "SELECT line - 1 - row_number() OVER (ORDER BY line) AS accepted_before "
        f"FROM (SELECT DISTINCT line FROM {REJECTS_TABLE})"
    )
    gaps = con.execute("SELECT count(*) FROM kam_reject_gaps").fetchone()
    shift = (
        "(SELECT count(*) FROM kam_reject_gaps g WHERE g.accepted_before <= s.rowid)"
        if gaps and gaps[0]
        else "0"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {ROWS} AS "
        f"SELECT s.rowid AS stage_row, s.rowid + 2 + {shift} AS line, s.* FROM {STAGE} s"
    )
